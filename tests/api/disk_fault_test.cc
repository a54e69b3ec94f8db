// A full disk under the real server: the store's file system runs out of
// space (FaultFileSystem, underneath RocksDB), and the server must answer
// 503 pipeline_failed to every command from then on, keep answering reads,
// say why on /healthz, lose nothing it acknowledged, and, restarted on the
// same directory once space returns, resume at the last acknowledged
// position with an intact chain.
#include <mutex>

#include "tests/api/domain_test_support.h"
#include "tests/eventstore/fault_file_system.h"
#include "tests/eventstore/test_store.h"

namespace tranche::api {
namespace {

using namespace domain_testing;  // NOLINT
using eventstore::testing::FaultFileSystem;

// Every event in the log as position → command id, read page by page.
std::map<uint64_t, std::string> CommandIdsByPosition(Client& client) {
  std::map<uint64_t, std::string> out;
  uint64_t from = 1;
  for (int page = 0; page < 100; ++page) {
    json body = client.GetJson("/v1/events?limit=1000&from=" + std::to_string(from), kAuditorToken);
    for (const json& event : body["events"]) out[event["position"]] = event["command_id"];
    const uint64_t next = body["next"];
    if (next > body["head"].get<uint64_t>()) break;
    from = next;
  }
  return out;
}

void ExpectStoreStopped(const HttpResult& result) {
  EXPECT_EQ(result.status, 503u) << result.body;
  EXPECT_EQ(result.ErrorCode(), "pipeline_failed") << result.body;
  const json error = result.Json();
  ASSERT_FALSE(error.is_discarded()) << result.body;
  const std::string message = error["error"].value("message", "");
  EXPECT_NE(message.find("No space"), std::string::npos) << message;
  EXPECT_NE(message.find("same command_id"), std::string::npos) << message;
}

TEST(DiskFault, AFullDiskStops503sCommandsKeepsReadsAndLosesNothingAcknowledged) {
  TempDir dir;
  auto disk = std::make_shared<FaultFileSystem>();
  uint64_t last_acknowledged = 0;
  const json failed_command = TrancheBody("PAY-FULL", 1'000, "2009-08-01");
  {
    TestServer server(nullptr, nullptr, 2, std::nullopt, StoreSetup{dir.path(), disk});
    Client client(server.port());
    SetUpProgramme(client);
    for (int i = 0; i < 5; ++i) {
      json paid = client.MustCommand(
          "record-tranche", TrancheBody("PAY-" + std::to_string(i), 1'000, "2009-07-01"),
          kFinanceToken);
      last_acknowledged = paid["last_position"];
    }
    ASSERT_EQ(last_acknowledged, 8u);

    disk->SetDiskFull(true);
    ExpectStoreStopped(client.Command("record-tranche", failed_command, kFinanceToken));
    EXPECT_GT(disk->faults_injected(), 0u);
    // Space returns while the server runs: it still takes no command, since
    // its write model ran ahead of a disk that failed under it.
    disk->SetDiskFull(false);
    ExpectStoreStopped(client.Command("add-member", MemberBody("Acme Ltd"), kProgrammeToken));
    ExpectStoreStopped(client.Command("record-tranche", failed_command, kFinanceToken));

    // Reads answer, from what was acknowledged.
    EXPECT_EQ(CommandIdsByPosition(client).size(), last_acknowledged);
    json ledger = client.GetJson("/v1/ledger", kAuditorToken);
    EXPECT_EQ(ledger["entries"].size(), 5u) << ledger.dump();
    json events = client.GetJson("/v1/events?limit=1", kViewerToken);
    EXPECT_EQ(events["head"], last_acknowledged);
    // /healthz says why it is unhealthy.
    HttpResult health = Http(server.port(), "GET", "/healthz");
    EXPECT_EQ(health.status, 503u);
    EXPECT_EQ(health.ErrorCode(), "pipeline_failed") << health.body;
    const json details = health.Json()["error"]["details"];
    EXPECT_NE(details.value("store", "").find("No space"), std::string::npos) << health.body;
    EXPECT_EQ(details["head"], last_acknowledged);
  }

  // Restarted on the same directory, with space.
  TestServer server(nullptr, nullptr, 2, std::nullopt, StoreSetup{dir.path(), nullptr});
  Client client(server.port());
  EXPECT_EQ(client.Head(), last_acknowledged);
  json verify = client.GetJson("/v1/audit/verify", kAuditorToken);
  EXPECT_EQ(verify["ok"], true) << verify.dump();
  EXPECT_EQ(verify["head_position"], last_acknowledged);
  // The refused command was never written: its retry records it now, once.
  json retried = client.MustCommand("record-tranche", failed_command, kFinanceToken);
  EXPECT_EQ(retried["first_position"], last_acknowledged + 1);
  HttpResult again = client.Command("record-tranche", failed_command, kFinanceToken);
  EXPECT_EQ(again.status, 200u);
  EXPECT_EQ(Header(again, "Idempotent-Replay"), "true");
  client.MustCommand("add-member", MemberBody("Acme Ltd"), kProgrammeToken);
  EXPECT_EQ(client.Head(), last_acknowledged + 2);
  EXPECT_EQ(client.GetJson("/v1/ledger", kAuditorToken)["entries"].size(), 6u);
}

// The disk fills in the middle of a commit group while four clients send
// commands at once: the write that crosses the budget is torn on disk.
TEST(DiskFault, ADiskFillingUnderConcurrentCommandsKeepsEveryAcknowledgedCommand) {
  constexpr int kClients = 4;
  constexpr int kCommandsPerClientMax = 400;
  TempDir dir;
  auto disk = std::make_shared<FaultFileSystem>();
  std::mutex mutex;
  std::map<uint64_t, std::string> acknowledged;  // Position → command id.
  std::vector<HttpResult> refusals;
  {
    TestServer server(nullptr, nullptr, 2, std::nullopt, StoreSetup{dir.path(), disk});
    Client setup(server.port());
    SetUpProgramme(setup);
    for (const auto& [position, command_id] : CommandIdsByPosition(setup)) {
      acknowledged[position] = command_id;
    }
    ASSERT_TRUE(eventstore::testing::WaitForWalSpare(server.data_dir() + "/events"));
    disk->SetWriteBudget(32 * 1024);
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&, c] {
        Client client(server.port());
        for (int i = 0; i < kCommandsPerClientMax; ++i) {
          const json body = TrancheBody("C" + std::to_string(c) + "-" + std::to_string(i), 100,
                                        "2009-09-01");
          HttpResult result = client.Command("record-tranche", body, kFinanceToken);
          std::lock_guard lock(mutex);
          if (result.status != 200) {
            refusals.push_back(result);
            return;
          }
          acknowledged[result.Json()["last_position"]] = body["command_id"];
        }
      });
    }
    for (std::thread& client : clients) client.join();
    ASSERT_TRUE(disk->disk_full()) << "the budget outlasted " << acknowledged.size() << " commands";
    ASSERT_EQ(refusals.size(), static_cast<size_t>(kClients));
    for (const HttpResult& refusal : refusals) ExpectStoreStopped(refusal);
    ASSERT_GT(acknowledged.size(), 3u + kClients);
  }
  const uint64_t last_acknowledged = acknowledged.rbegin()->first;
  disk->SetDiskFull(false);

  TestServer server(nullptr, nullptr, 2, std::nullopt, StoreSetup{dir.path(), disk});
  Client client(server.port());
  EXPECT_EQ(client.Head(), last_acknowledged);
  json verify = client.GetJson("/v1/audit/verify", kAuditorToken);
  EXPECT_EQ(verify["ok"], true) << verify.dump();
  // Every acknowledged command is where its answer said, and nothing else is.
  EXPECT_EQ(CommandIdsByPosition(client), acknowledged);
  client.MustCommand("record-tranche", TrancheBody("AFTER", 100, "2009-09-02"), kFinanceToken);
  EXPECT_EQ(client.Head(), last_acknowledged + 1);
}

}  // namespace
}  // namespace tranche::api
