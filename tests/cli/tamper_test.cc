// Tamper evidence end to end with the real binaries: an auditor keeps
// `tranche head`, someone with write access to the data directory changes
// the log with the RocksDB API, and `tranche verify --against` (online and
// offline) catches it, names it, and exits 4 (cli/README.md).
#include <gtest/gtest.h>

#include <filesystem>

#include "eventstore/event_store.h"
#include "eventstore/kept_head.h"
#include "tests/cli/cli_test_support.h"
#include "tests/eventstore/tamper.h"

namespace tranche::cli {
namespace {

using namespace testing;  // NOLINT
using nlohmann::json;

constexpr int kExitDamage = 4;

std::string Trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

uint64_t PositionOf(const std::string& kept) { return std::stoull(kept.substr(0, kept.find(':'))); }

std::string StorePath(const std::string& data) { return data + "/events"; }

// The whole story on a running server: keep the head, rewrite the tail with
// fresh hashes while the server is down, and ask again.
TEST(CliTamperTest, ARewrittenTailPassesVerifyButVerifyAgainstTheKeptHeadNamesIt) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  std::filesystem::create_directories(data);
  const std::string auditor = AddToken(data, "audrey", "auditor");
  const std::string finance = AddToken(data, "fiona", "finance");
  auto pay = [&](const TranchedProcess& server, const std::string& reference) {
    CliResult paid = RunCli({"record-tranche", "--cluster", "wessex", "--year", "2009/10",
                             "--amount", "£1,000.00", "--paid-on", "2010-02-01", "--reference",
                             reference, "--url", server.url(), "--token", finance});
    ASSERT_EQ(paid.exit_code, 0) << paid.err;
  };
  std::string kept;
  {
    TranchedProcess server(data, TRANCHE_SEED_FILE);
    ASSERT_TRUE(server.ready()) << server.Log();
    const std::vector<std::string> as_auditor = {"--url", server.url(), "--token", auditor};
    pay(server, "DH-T-1");
    pay(server, "DH-T-2");

    auto online = [&](std::vector<std::string> args) {
      args.insert(args.end(), as_auditor.begin(), as_auditor.end());
      return RunCli(args);
    };
    CliResult head = online({"head"});
    ASSERT_EQ(head.exit_code, 0) << head.err;
    kept = Trimmed(head.out);
    ASSERT_TRUE(eventstore::ParseKeptHead(kept).ok()) << kept;
    CliResult head_json = online({"head", "--json"});
    ASSERT_EQ(head_json.exit_code, 0) << head_json.err;
    EXPECT_EQ(head_json.Json()["head"], kept);
    EXPECT_EQ(head_json.Json()["position"], PositionOf(kept));
    // Offline, read-only, while the server runs: the same head.
    CliResult head_offline = RunCli({"head", "--data", data});
    ASSERT_EQ(head_offline.exit_code, 0) << head_offline.err;
    EXPECT_EQ(Trimmed(head_offline.out), kept);

    CliResult intact = online({"verify", "--against", kept});
    EXPECT_EQ(intact.exit_code, 0) << intact.out << intact.err;
    EXPECT_NE(intact.out.find("still extends the kept head " + kept), std::string::npos)
        << intact.out;
    pay(server, "DH-T-3");
    EXPECT_EQ(online({"verify", "--against", kept}).exit_code, 0);  // The log grew: still fine.
    ASSERT_EQ(server.Stop(), 0);
  }

  // Change who paid DH-T-2 (the record just before the kept head) and
  // re-hash everything after it: chain, indexes and stored head agree again.
  const uint64_t kept_position = PositionOf(kept);
  {
    auto db = eventstore::testing::OpenRaw(StorePath(data));
    ASSERT_NE(db, nullptr);
    eventstore::testing::RewriteTail(db.get(), kept_position - 1,
                                     [&](eventstore::RecordedEvent* event) {
                                       if (event->position == kept_position - 1) {
                                         EXPECT_EQ(event->actor, "fiona");
                                         event->actor = "mallory";
                                       }
                                     });
  }
  CliResult plain = RunCli({"verify", "--data", data});
  EXPECT_EQ(plain.exit_code, 0) << plain.out << plain.err;
  CliResult against = RunCli({"verify", "--data", data, "--against", kept});
  EXPECT_EQ(against.exit_code, kExitDamage) << against.out << against.err;
  EXPECT_NE(against.out.find("kept_head_mismatch at position " + std::to_string(kept_position)),
            std::string::npos)
      << against.out;
  CliResult against_json = RunCli({"verify", "--data", data, "--against", kept, "--json"});
  EXPECT_EQ(against_json.exit_code, kExitDamage);
  EXPECT_EQ(against_json.Json()["damage"], "kept_head_mismatch") << against_json.out;
  EXPECT_EQ(against_json.Json()["first_bad_position"], kept_position);
  EXPECT_EQ(against_json.Json()["against"], kept);

  // The server starts on the rewritten log (it is self-consistent) and its
  // verify agrees: plain passes, against the kept head fails by name.
  TranchedProcess server(data, "");
  ASSERT_TRUE(server.ready()) << server.Log();
  CliResult online_plain = RunCli({"verify", "--url", server.url(), "--token", auditor});
  EXPECT_EQ(online_plain.exit_code, 0) << online_plain.out << online_plain.err;
  CliResult online_against =
      RunCli({"verify", "--against", kept, "--url", server.url(), "--token", auditor});
  EXPECT_EQ(online_against.exit_code, kExitDamage) << online_against.out << online_against.err;
  EXPECT_NE(online_against.out.find("kept_head_mismatch"), std::string::npos)
      << online_against.out;
}

// Tampering that breaks the chain: each is caught by plain verify too, and
// named; --against reports the same first damage.
TEST(CliTamperTest, EditedDeletedAndSwappedRecordsAreCaughtAndNamed) {
  struct Case {
    const char* damage;
    uint64_t position;
    std::function<void(eventstore::Database*)> tamper;
  };
  using eventstore::testing::GetRecord;
  using eventstore::testing::PutRecord;
  const Case cases[] = {
      {"hash_mismatch", 4,
       [](eventstore::Database* db) {
         std::string record = GetRecord(db, 4);
         record[record.size() - eventstore::kHashBytes - 2] ^= 0x01;  // Inside the payload.
         PutRecord(db, 4, record);
       }},
      {"missing_event", 5,
       [](eventstore::Database* db) {
         ASSERT_TRUE(db->db()->Delete({}, db->events(), eventstore::PositionKey(5)).ok());
       }},
      {"position_mismatch", 3,
       [](eventstore::Database* db) {
         const std::string third = GetRecord(db, 3), sixth = GetRecord(db, 6);
         PutRecord(db, 3, sixth);
         PutRecord(db, 6, third);
       }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.damage);
    TempDir dir;
    const std::string data = dir.path() + "/data";
    std::filesystem::create_directories(data);
    {
      auto store = eventstore::EventStore::Open(StorePath(data), {});
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      for (int i = 0; i < 8; ++i) {
        eventstore::AppendRequest request;
        request.command_id = "c" + std::to_string(i);
        request.actor = "tester";
        request.streams.push_back(
            {"s-" + std::to_string(i % 2), {}, {{"Happened", 1, "", "{\"n\":" + std::to_string(i) + "}"}}});
        ASSERT_TRUE((*store)->Append(std::move(request)).ok());
      }
    }
    CliResult head = RunCli({"head", "--data", data});
    ASSERT_EQ(head.exit_code, 0) << head.err;
    const std::string kept = Trimmed(head.out);
    EXPECT_EQ(PositionOf(kept), 8u);
    {
      auto db = eventstore::testing::OpenRaw(StorePath(data));
      ASSERT_NE(db, nullptr);
      c.tamper(db.get());
    }
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"verify", "--data", data, "--json"},
          std::vector<std::string>{"verify", "--data", data, "--json", "--against", kept}}) {
      CliResult verify = RunCli(args);
      EXPECT_EQ(verify.exit_code, kExitDamage) << verify.out << verify.err;
      EXPECT_EQ(verify.Json()["damage"], c.damage) << verify.out;
      EXPECT_EQ(verify.Json()["first_bad_position"], c.position) << verify.out;
    }
  }
}

TEST(CliTamperTest, AMalformedAgainstIsAUsageErrorNamingTheFlag) {
  TempDir dir;
  for (const std::string& bad : {std::string("12"), std::string("x:abc"),
                                 std::string("3:") + std::string(63, 'a')}) {
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"verify", "--against", bad, "--url", "http://127.0.0.1:1"},
          std::vector<std::string>{"verify", "--data", dir.path(), "--against", bad}}) {
      CliResult result = RunCli(args);
      EXPECT_EQ(result.exit_code, 1) << bad << ": " << result.err;
      EXPECT_NE(result.err.find("--against"), std::string::npos) << result.err;
      EXPECT_NE(result.err.find("POSITION:HASH"), std::string::npos) << result.err;
    }
  }
  CliResult help = RunCli({"head", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("POSITION:HASH"), std::string::npos) << help.out;
  CliResult verify_help = RunCli({"verify", "--help"});
  EXPECT_EQ(verify_help.exit_code, 0);
  EXPECT_NE(verify_help.out.find("--against POSITION:HASH"), std::string::npos) << verify_help.out;
  // An unreachable server is a failure (3), not damage.
  CliResult unreachable =
      RunCli({"head", "--url", "http://127.0.0.1:1", "--token", "x"});
  EXPECT_EQ(unreachable.exit_code, 3) << unreachable.err;
}

}  // namespace
}  // namespace tranche::cli
