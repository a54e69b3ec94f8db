// The `tranche` binary end to end: a real tranched over a seeded temporary
// data directory on loopback, and the real CLI as a subprocess, checking
// what it prints and the exit codes cli/README.md documents.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

#include "tests/cli/cli_test_support.h"

namespace tranche::cli {
namespace {

using namespace testing;  // NOLINT
using nlohmann::json;

// One seeded server shared by the tests of this suite (seeding takes a
// while); each test uses its own payment references.
class CliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    data_ = dir_->path() + "/data";
    std::filesystem::create_directories(data_);
    admin_token_ = AddToken(data_, "ada", "admin");
    finance_token_ = AddToken(data_, "fiona", "finance");
    viewer_token_ = AddToken(data_, "victor", "viewer");
    server_ = new TranchedProcess(data_, TRANCHE_SEED_FILE);
    ASSERT_TRUE(server_->ready()) << server_->Log();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }

  // Runs the CLI against the shared server with `token`.
  static CliResult Cli(std::vector<std::string> args, const std::string& token) {
    args.insert(args.end(), {"--url", server_->url(), "--token", token});
    return RunCli(args);
  }
  static CliResult Admin(std::vector<std::string> args) { return Cli(std::move(args), admin_token_); }

  static json WessexYear(const json& cluster, const std::string& year) {
    for (const json& y : cluster["financial_years"]) {
      if (y["financial_year"] == year) return y;
    }
    return nullptr;
  }

  static inline TempDir* dir_ = nullptr;
  static inline TranchedProcess* server_ = nullptr;
  static inline std::string data_, admin_token_, finance_token_, viewer_token_;
};

TEST_F(CliTest, RecordTrancheAcceptsPoundsAndARetryReusesTheCommandId) {
  CliResult recorded = Cli({"record-tranche", "--cluster", "wessex", "--year", "2009/10",
                            "--amount", "£125,000.00", "--paid-on", "2010-02-15", "--reference",
                            "DH-2010-0042", "--reason", "first instalment"},
                           finance_token_);
  ASSERT_EQ(recorded.exit_code, 0) << recorded.err;
  EXPECT_NE(recorded.out.find("TrancheRecorded"), std::string::npos) << recorded.out;
  const size_t at = recorded.err.find("command id: ");
  ASSERT_NE(at, std::string::npos) << recorded.err;
  const std::string command_id = recorded.err.substr(at + 12, 32);

  CliResult cluster = Admin({"cluster", "wessex", "--json"});
  ASSERT_EQ(cluster.exit_code, 0) << cluster.err;
  EXPECT_EQ(WessexYear(cluster.Json(), "2009/10")["net_paid_pence"], 12'500'000);

  // The same command id and body: the original result, nothing new appended.
  CliResult retried = Cli({"record-tranche", "--cluster", "wessex", "--year", "2009/10",
                           "--amount", "125000", "--paid-on", "2010-02-15", "--reference",
                           "DH-2010-0042", "--reason", "first instalment", "--command-id",
                           command_id, "--json"},
                          finance_token_);
  ASSERT_EQ(retried.exit_code, 0) << retried.err;
  EXPECT_EQ(retried.Json()["command_id"], command_id);
  cluster = Admin({"cluster", "wessex", "--json"});
  EXPECT_EQ(WessexYear(cluster.Json(), "2009/10")["net_paid_pence"], 12'500'000);
  EXPECT_NE(Admin({"cluster", "wessex"}).out.find("£125,000.00"), std::string::npos);
}

TEST_F(CliTest, RejectionsPrintCodeAndMessageAndExitTwo) {
  CliResult outside = Cli({"record-tranche", "--cluster", "wessex", "--year", "2009/10",
                           "--amount", "£1,000.00", "--paid-on", "2011-01-01", "--reference",
                           "DH-OUTSIDE"},
                          finance_token_);
  EXPECT_EQ(outside.exit_code, 2);
  EXPECT_NE(outside.err.find("rejected: outside_financial_year: "), std::string::npos)
      << outside.err;

  CliResult too_much = Cli({"record-tranche", "--cluster", "wessex", "--year", "2009/10",
                            "--amount", "£9,000,000.00", "--paid-on", "2010-01-10",
                            "--reference", "DH-TOO-MUCH"},
                           finance_token_);
  EXPECT_EQ(too_much.exit_code, 2);
  EXPECT_NE(too_much.err.find("rejected: tranche_exceeds_award: "), std::string::npos)
      << too_much.err;

  // A viewer may not record: 403 is a rejection too.
  CliResult forbidden = Cli({"record-tranche", "--cluster", "wessex", "--year", "2009/10",
                             "--amount", "1", "--paid-on", "2010-01-10", "--reference", "DH-V"},
                            viewer_token_);
  EXPECT_EQ(forbidden.exit_code, 2);
  EXPECT_NE(forbidden.err.find("rejected: "), std::string::npos);

  // Bad command lines never reach the server.
  EXPECT_EQ(Admin({"record-tranche", "--cluster", "wessex", "--year", "2009/10", "--amount",
                   "£12.3", "--paid-on", "2010-01-10", "--reference", "X"})
                .exit_code,
            1);
  EXPECT_EQ(Admin({"record-tranche", "--cluster", "wessex"}).exit_code, 1);
  EXPECT_EQ(Admin({"no-such-subcommand"}).exit_code, 1);
  EXPECT_EQ(RunCli({"clusters", "--url", "http://127.0.0.1:1"}).exit_code, 3);
}

TEST_F(CliTest, ClusterAsOfAndEffectiveShowTheRightMoment) {
  CliResult recorded = Cli({"record-tranche", "--cluster", "wessex", "--year", "2010/11",
                            "--amount", "£10,000.00", "--paid-on", "2010-06-30", "--reference",
                            "DH-ASOF-1", "--json"},
                           finance_token_);
  ASSERT_EQ(recorded.exit_code, 0) << recorded.err;
  const uint64_t position = recorded.Json()["first_position"];

  auto paid_2010 = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"cluster", "wessex", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    CliResult result = Admin(args);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return WessexYear(result.Json(), "2010/11")["net_paid_pence"].get<int64_t>();
  };
  EXPECT_EQ(paid_2010({}), 1'000'000);
  EXPECT_EQ(paid_2010({"--as-of", std::to_string(position - 1)}), 0);
  EXPECT_EQ(paid_2010({"--as-of", std::to_string(position)}), 1'000'000);
  const std::string recorded_at = recorded.Json()["events"][0]["recorded_at"];
  EXPECT_EQ(paid_2010({"--as-of", recorded_at}), 1'000'000);
  // Before the seed, the cluster did not exist yet.
  CliResult before = Admin({"cluster", "wessex", "--as-of", "2000-01-01T00:00:00Z"});
  EXPECT_EQ(before.exit_code, 2);
  EXPECT_NE(before.err.find("rejected: cluster_not_found: "), std::string::npos) << before.err;
  EXPECT_EQ(paid_2010({"--effective", "2010-06-29"}), 0);
  EXPECT_EQ(paid_2010({"--effective", "2010-06-30"}), 1'000'000);

  CliResult table = Admin({"cluster", "wessex", "--as-of", std::to_string(position),
                           "--effective", "2010-06-30"});
  EXPECT_NE(table.out.find("as of position " + std::to_string(position) +
                           ", effective 2010-06-30"),
            std::string::npos)
      << table.out;
  EXPECT_EQ(Admin({"cluster", "wessex", "--as-of", "yesterday"}).exit_code, 2);
}

TEST_F(CliTest, LedgerHistoryAndExportShowTheTranche) {
  ASSERT_EQ(Cli({"record-tranche", "--cluster", "wessex", "--year", "2009/10", "--amount",
                 "£2,500.50", "--paid-on", "2010-03-01", "--reference", "DH-LEDGER-1",
                 "--reason", "ledger test"},
                finance_token_)
                .exit_code,
            0);
  CliResult ledger = Admin({"ledger", "--cluster", "wessex"});
  ASSERT_EQ(ledger.exit_code, 0) << ledger.err;
  EXPECT_NE(ledger.out.find("DH-LEDGER-1"), std::string::npos) << ledger.out;
  EXPECT_NE(ledger.out.find("£2,500.50"), std::string::npos) << ledger.out;

  CliResult history = Admin({"history", "wessex"});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  EXPECT_NE(history.out.find("BidAwarded"), std::string::npos) << history.out;
  EXPECT_NE(history.out.find("fiona"), std::string::npos) << history.out;
  EXPECT_NE(history.out.find("ledger test"), std::string::npos) << history.out;
  CliResult history_json = Admin({"history", "wessex", "--json"});
  const json last = history_json.Json()["events"].back();
  EXPECT_EQ(last["type"], "TrancheRecorded");
  EXPECT_TRUE(last["net_paid_after"].contains("2009/10"));

  const std::string csv_path = dir_->path() + "/ledger.csv";
  CliResult exported = Admin({"export", "--format", "csv", "-o", csv_path});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  const std::string csv = ReadFile(csv_path);
  EXPECT_EQ(csv.rfind("position,recorded_at,", 0), 0u) << csv.substr(0, 200);
  EXPECT_NE(csv.find("DH-LEDGER-1"), std::string::npos);
  EXPECT_NE(csv.find(",2500.50,250050,"), std::string::npos);
  CliResult giving = Admin({"export", "--format", "360giving"});
  ASSERT_EQ(giving.exit_code, 0) << giving.err;
  EXPECT_FALSE(giving.Json().is_discarded());
}

TEST_F(CliTest, VerifyOnlineAndOfflineAndReplayOffline) {
  CliResult online = Admin({"verify"});
  EXPECT_EQ(online.exit_code, 0) << online.err;
  EXPECT_NE(online.out.find("ok: "), std::string::npos);
  // Offline, read-only, while the server holds the store open.
  CliResult offline = RunCli({"verify", "--data", data_});
  EXPECT_EQ(offline.exit_code, 0) << offline.err << offline.out;
  EXPECT_NE(offline.out.find("intact"), std::string::npos);
  EXPECT_EQ(RunCli({"verify", "--data", dir_->path() + "/nothing-here"}).exit_code, 3);

  CliResult replay = RunCli({"replay", "--data", data_, "--json"});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  const json replayed = replay.Json();
  EXPECT_EQ(replayed["clusters"].size(), 17u);
  // The offline fold agrees with the server at the same position.
  const uint64_t head = replayed["moment"]["as_of_position"];
  CliResult served = Admin({"cluster", "wessex", "--as-of", std::to_string(head), "--json"});
  for (const json& cluster : replayed["clusters"]) {
    if (cluster["id"] == "wessex") {
      EXPECT_EQ(cluster, served.Json());
    }
  }
  CliResult early = RunCli({"replay", "--data", data_, "--as-of", "1"});
  ASSERT_EQ(early.exit_code, 0) << early.err;
  EXPECT_NE(early.out.find("as of position 1"), std::string::npos) << early.out;
}

TEST_F(CliTest, BackupRestoresToTheSameStateWithTokens) {
  ASSERT_EQ(Cli({"record-tranche", "--cluster", "wessex", "--year", "2009/10", "--amount",
                 "£1.00", "--paid-on", "2010-03-02", "--reference", "DH-BACKUP-1"},
                finance_token_)
                .exit_code,
            0);
  const std::string backup = dir_->path() + "/backup";
  CliResult made = RunCli({"backup", "--data", data_, "--to", backup});
  ASSERT_EQ(made.exit_code, 0) << made.err << made.out;
  EXPECT_NE(made.out.find("verify of the copy"), std::string::npos) << made.out;
  EXPECT_TRUE(std::filesystem::exists(backup + "/tokens.json"));
  EXPECT_EQ(RunCli({"backup", "--data", data_, "--to", backup}).exit_code, 1);

  // Restore as cli/README.md says: move the backup into place as the data directory.
  const std::string restored = dir_->path() + "/restored";
  std::filesystem::rename(backup, restored);
  CliResult verified = RunCli({"verify", "--data", restored});
  EXPECT_EQ(verified.exit_code, 0) << verified.err << verified.out;
  CliResult original_state = RunCli({"replay", "--data", data_, "--json"});
  CliResult restored_state = RunCli({"replay", "--data", restored, "--json"});
  ASSERT_EQ(restored_state.exit_code, 0) << restored_state.err;
  EXPECT_EQ(original_state.Json(), restored_state.Json());

  // A server started on the restored directory serves it with the old tokens.
  TranchedProcess second(restored, "");
  ASSERT_TRUE(second.ready()) << second.Log();
  CliResult ledger = RunCli({"ledger", "--cluster", "wessex", "--url", second.url(), "--token",
                             finance_token_});
  EXPECT_EQ(ledger.exit_code, 0) << ledger.err;
  EXPECT_NE(ledger.out.find("DH-BACKUP-1"), std::string::npos);
}

// Its own server, since it restarts it.
TEST(CliWatchTest, WatchPrintsNewEventsAndResumesAfterARestart) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  std::filesystem::create_directories(data);
  const std::string token = AddToken(data, "ada", "admin");
  auto server = std::make_unique<TranchedProcess>(data, TRANCHE_SEED_FILE);
  ASSERT_TRUE(server->ready()) << server->Log();
  const uint16_t port = server->port();
  const std::string url = server->url();
  CliResult head = RunCli({"replay", "--data", data, "--json"});
  const uint64_t from = head.Json()["moment"]["as_of_position"].get<uint64_t>() + 1;

  const std::string out = dir.path() + "/watch.out";
  CliProcess watch({"watch", "--from", std::to_string(from), "--cluster", "wessex", "--count",
                    "2", "--url", url, "--token", token},
                   out);
  auto record = [&](const std::string& reference) {
    CliResult result = RunCli({"record-tranche", "--cluster", "wessex", "--year", "2009/10",
                               "--amount", "£100.00", "--paid-on", "2010-03-03", "--reference",
                               reference, "--url", url, "--token", token});
    EXPECT_EQ(result.exit_code, 0) << result.err;
  };
  auto wait_for = [&](const std::string& text) {
    for (int i = 0; i < 1000; ++i) {
      if (ReadFile(out).find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  };
  // Another cluster's event is filtered out but still advances the resume point.
  RunCli({"record-tranche", "--cluster", "east-midlands", "--year", "2009/10", "--amount",
          "£100.00", "--paid-on", "2010-03-03", "--reference", "EM-WATCH", "--url", url,
          "--token", token});
  record("DH-WATCH-1");
  ASSERT_TRUE(wait_for("DH-WATCH-1")) << ReadFile(out) << ReadFile(out + ".err");

  EXPECT_EQ(server->Stop(), 0);
  server = std::make_unique<TranchedProcess>(data, "", port);
  ASSERT_TRUE(server->ready()) << server->Log();
  record("DH-WATCH-2");
  EXPECT_EQ(watch.Wait(30000), 0) << ReadFile(out + ".err");
  const std::string lines = ReadFile(out);
  EXPECT_NE(lines.find("DH-WATCH-2"), std::string::npos) << lines;
  EXPECT_EQ(lines.find("EM-WATCH"), std::string::npos) << lines;
  EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 2) << lines;
  EXPECT_EQ(lines.find("DH-WATCH-1"), lines.rfind("DH-WATCH-1")) << lines;
  EXPECT_NE(ReadFile(out + ".err").find("reconnecting"), std::string::npos);
}

}  // namespace
}  // namespace tranche::cli
