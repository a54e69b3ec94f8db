// The domain under load and live against the real server: graceful shutdown
// loses nothing acknowledged, the stream carries committed commands, metrics,
// and the seeded programme.
#include "tests/api/domain_test_support.h"

namespace tranche::api {
namespace {

using namespace domain_testing;  // NOLINT

// ---------------------------------------------------------------------------
// Graceful shutdown under load: nothing acknowledged is lost.

TEST(DomainShutdownTest, StopUnderLoadLosesNoAcknowledgedCommand) {
  auto server = std::make_unique<TestServer>();
  const std::string data_dir = server->data_dir();
  const uint16_t port = server->port();
  {
    Client client(port);
    client.MustCommand("open-programme", OpenProgrammeBody(), kProgrammeToken);
    client.MustCommand("submit-bid", SubmitBidBody("wessex"), kProgrammeToken);
    client.MustCommand("award-bid", AwardBody("wessex"), kProgrammeToken);
  }
  struct Acked {
    std::string command_id;
    uint64_t first_position;
    uint64_t last_position;
  };
  constexpr int kThreads = 6;
  std::atomic<bool> stopping{false};
  std::atomic<int> acknowledged{0};
  std::atomic<int> wrong_statuses{0};
  std::vector<std::vector<Acked>> acked(kThreads);
  std::vector<std::map<std::string, unsigned>> sent(kThreads);  // command id → HTTP status
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0;; ++i) {
        const bool payment = (i + t) % 2 == 0;
        json body = payment ? TrancheBody("PAY-" + std::to_string(t) + "-" + std::to_string(i), 1,
                                          "2009-07-01")
                            : MemberBody("Member " + std::to_string(t) + " " + std::to_string(i));
        HttpResult result;
        try {
          result = Http(port, "POST", payment ? "/v1/commands/record-tranche" : "/v1/commands/add-member",
                        payment ? kFinanceToken : kProgrammeToken, body.dump());
        } catch (const std::exception&) {
          result.status = 0;  // Refused: the server has stopped listening.
        }
        sent[t][body["command_id"].get<std::string>()] = result.status;
        if (result.status == 200) {
          json answer = result.Json();
          acked[t].push_back({answer["command_id"], answer["first_position"], answer["last_position"]});
          acknowledged.fetch_add(1);
        } else if (result.status != 0 && result.status != 503) {
          wrong_statuses.fetch_add(1);
          ADD_FAILURE() << result.status << " " << result.body;
        }
        if (result.status != 200 && stopping.load()) return;
      }
    });
  }
  // Let the load build, then stop while commands are in flight.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (acknowledged.load() < 150 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stopping = true;
  server->Stop();
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong_statuses.load(), 0);
  ASSERT_GE(acknowledged.load(), 20);  // Usually ~150; fewer on a slow (ASan) build.

  // Reopen the store and read the whole log.
  auto reopened = eventstore::EventStore::Open(data_dir + "/events", eventstore::Options{});
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  auto store = std::move(reopened).value();
  std::map<uint64_t, std::string> command_at;
  for (uint64_t from = 1;;) {
    std::vector<eventstore::RecordedEvent> page;
    ASSERT_TRUE(store->ReadAll(from, eventstore::ReadFilter{}, 1000, &page).ok());
    if (page.empty()) break;
    for (const auto& event : page) command_at[event.position] = event.command_id;
    from = page.back().position + 1;
  }
  ASSERT_EQ(command_at.size(), store->GetHead().position);
  EXPECT_TRUE(store->Verify().ok);
  size_t checked = 0;
  for (const auto& per_thread : acked) {
    for (const Acked& a : per_thread) {
      for (uint64_t p = a.first_position; p <= a.last_position; ++p) {
        auto found = command_at.find(p);
        ASSERT_NE(found, command_at.end()) << "acknowledged " << a.command_id << " at " << p
                                           << " is not in the log";
        EXPECT_EQ(found->second, a.command_id) << "position " << p;
      }
      ++checked;
    }
  }
  // Everything in the log past the set-up is a command a client sent; a
  // command may be durable without its answer (cut by the stop), never the
  // reverse.
  std::map<std::string, unsigned> all_sent;
  for (const auto& per_thread : sent) all_sent.insert(per_thread.begin(), per_thread.end());
  size_t unanswered = 0;
  for (const auto& [position, command_id] : command_at) {
    if (position <= 3) continue;
    auto found = all_sent.find(command_id);
    ASSERT_NE(found, all_sent.end()) << command_id << " at " << position;
    if (found->second != 200) {
      ++unanswered;
      std::printf("durable %s at %zu was answered %u\n", command_id.c_str(),
                  static_cast<size_t>(position), found->second);
    }
  }
  std::printf("acknowledged %zu commands; durable but unanswered %zu; log head %zu\n", checked,
              unanswered, command_at.size());
  store->Close();
  server.reset();
}

// ---------------------------------------------------------------------------
// The live stream carries what the command API commits.

TEST(DomainStreamTest, CommittedCommandsAppearDecodedInOrderAndResumeExactly) {
  TestServer server;
  Client client(server.port());
  SetUpProgramme(client);
  WsClient ws(server.port(), "/v1/stream?from=1", kViewerToken);
  ASSERT_TRUE(ws.connected());
  std::vector<json> events;
  for (;;) {
    auto message = ws.Read();
    ASSERT_TRUE(message);
    if ((*message)["kind"] == "caught_up") {
      EXPECT_EQ((*message)["position"], 3);
      break;
    }
    events.push_back(*message);
  }
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0]["type"], "ProgrammeOpened");
  ASSERT_TRUE(events[0]["data"].is_object()) << events[0];
  EXPECT_EQ(events[0]["data"]["programme_id"], "hiec");
  EXPECT_EQ(events[1]["data"]["cluster_id"], "wessex");
  EXPECT_EQ(events[2]["type"], "BidAwarded");
  EXPECT_EQ(events[2]["actor"], "programme");

  // Live: commands committed while connected arrive in order, decoded.
  for (int i = 0; i < 5; ++i) {
    client.MustCommand("record-tranche", TrancheBody("PAY-" + std::to_string(i), 100 + i, "2009-07-01"),
                       kFinanceToken);
  }
  for (int i = 0; i < 5; ++i) {
    auto message = ws.Read();
    ASSERT_TRUE(message);
    if ((*message)["kind"] == "checkpoint") {
      --i;
      continue;
    }
    EXPECT_EQ((*message)["kind"], "event");
    EXPECT_EQ((*message)["position"], 4 + i);
    EXPECT_EQ((*message)["stream"], "cluster-wessex");
    EXPECT_EQ((*message)["type"], "TrancheRecorded");
    EXPECT_EQ((*message)["actor"], "finance");
    ASSERT_TRUE((*message)["data"].is_object()) << *message;
    EXPECT_EQ((*message)["data"]["amount_pence"], 100 + i);
    EXPECT_EQ((*message)["data"]["payment_reference"], "PAY-" + std::to_string(i));
  }
  ws.Close();
  const uint64_t last = 8;

  // Commit more while disconnected, then resume from last + 1.
  client.MustCommand("add-member", MemberBody("IBM"), kProgrammeToken);
  client.MustCommand("add-member", MemberBody("GE Healthcare"), kProgrammeToken);
  WsClient resumed(server.port(), "/v1/stream?from=" + std::to_string(last + 1), kViewerToken);
  ASSERT_TRUE(resumed.connected());
  auto first = resumed.Read();
  ASSERT_TRUE(first);
  EXPECT_EQ((*first)["position"], last + 1);
  EXPECT_EQ((*first)["type"], "MemberAdded");
  EXPECT_EQ((*first)["data"]["name"], "IBM");
  auto second = resumed.Read();
  ASSERT_TRUE(second);
  EXPECT_EQ((*second)["position"], last + 2);
  auto caught_up = resumed.Read();
  ASSERT_TRUE(caught_up);
  EXPECT_EQ(*caught_up, (json{{"kind", "caught_up"}, {"position", last + 2}}));
  // A filtered stream sees only its type.
  WsClient filtered(server.port(), "/v1/stream?from=1&type=TrancheRecorded", kViewerToken);
  std::vector<uint64_t> positions;
  for (;;) {
    auto message = filtered.Read();
    ASSERT_TRUE(message);
    if ((*message)["kind"] == "caught_up") break;
    if ((*message)["kind"] == "event") {
      EXPECT_EQ((*message)["type"], "TrancheRecorded");
      positions.push_back((*message)["position"]);
    }
  }
  EXPECT_EQ(positions, (std::vector<uint64_t>{4, 5, 6, 7, 8}));
}

// ---------------------------------------------------------------------------

TEST(DomainMetricsTest, CommandMetricsAfterSomeCommands) {
  TestServer server;
  Client client(server.port());
  SetUpProgramme(client);
  client.MustCommand("record-tranche", TrancheBody("PAY-1", 100, "2009-07-01"), kFinanceToken);
  client.MustCommand("record-tranche", TrancheBody("PAY-2", 100, "2009-07-01"), kFinanceToken);
  EXPECT_EQ(client.Command("record-tranche", TrancheBody("PAY-3", kAward0910, "2009-07-01"), kFinanceToken)
                .status,
            422u);
  HttpResult forbidden = client.Get("/metrics", kViewerToken);
  EXPECT_EQ(forbidden.status, 403u);
  HttpResult metrics = client.Get("/metrics", kAuditorToken);
  ASSERT_EQ(metrics.status, 200u);
  const std::string& text = metrics.body;
  auto series = [&](const std::string& name, const std::vector<std::string>& labels) -> double {
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.rfind(name, 0) != 0 || line.size() <= name.size()) continue;
      if (line[name.size()] != '{' && line[name.size()] != ' ') continue;
      bool all = true;
      for (const auto& label : labels) all = all && line.find(label) != std::string::npos;
      if (all) return std::stod(line.substr(line.rfind(' ') + 1));
    }
    return -1;
  };
  EXPECT_EQ(series("tranche_commands_total", {"type=\"record-tranche\"", "outcome=\"accepted\""}), 2)
      << text;
  EXPECT_EQ(series("tranche_commands_total", {"type=\"record-tranche\"", "outcome=\"tranche_exceeds_award\""}),
            1);
  EXPECT_EQ(series("tranche_commands_total", {"type=\"open-programme\"", "outcome=\"accepted\""}), 1);
  EXPECT_EQ(series("tranche_command_latency_seconds_count", {}), 6);
  EXPECT_GE(series("tranche_command_latency_seconds_bucket", {"le=\"+Inf\""}), 6);
  EXPECT_GE(series("tranche_commit_group_events_count", {}), 5);
  EXPECT_GE(series("tranche_fsync_latency_seconds_count", {}), 1);
  EXPECT_GT(series("tranche_fsync_latency_seconds_sum", {}), 0);
  // The head gauge follows the store's subscription, just after the replies.
  for (int i = 0; i < 200 && server.MetricValue("tranche_head_position") != 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(server.MetricValue("tranche_head_position"), 5);
  EXPECT_GE(series("tranche_head_position", {}), 3);
  EXPECT_NE(text.find("# TYPE tranche_command_latency_seconds histogram"), std::string::npos);
}

// ---------------------------------------------------------------------------
// The seeded HIEC programme (ops/seed), as ./ops/run serves it.

TEST(DomainSeedTest, SeededProgrammeIsServedAndAcceptsPayments) {
  TestServer server(nullptr, nullptr, 2, std::string(TRANCHE_SOURCE_DIR) + "/ops/seed/hiec-2009.json");
  Client client(server.port());
  json programmes = client.GetJson("/v1/programmes", kViewerToken)["programmes"];
  ASSERT_EQ(programmes.size(), 1u);
  EXPECT_EQ(programmes[0]["id"], "hiec");
  EXPECT_EQ(programmes[0]["financial_years"].size(), 2u);
  json clusters = client.GetJson("/v1/clusters?programme=hiec", kViewerToken)["clusters"];
  EXPECT_EQ(clusters.size(), 17u);
  json wessex = client.GetJson("/v1/clusters/wessex", kViewerToken);
  EXPECT_EQ(wessex["status"], "awarded");
  EXPECT_EQ(wessex["principal_partner"], "University of Southampton");
  EXPECT_GE(wessex["member_count"].get<int>(), 38) << wessex["member_count"];
  json events = client.GetJson("/v1/events?from=1&limit=1", kAuditorToken)["events"];
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["actor"], "seed");
  // A finance officer pays the first tranche of the seeded award.
  const json* year = FindYear(wessex["financial_years"], "2009/10");
  ASSERT_NE(year, nullptr);
  ASSERT_GT((*year)["award_pence"].get<int64_t>(), 0);
  json paid = client.MustCommand(
      "record-tranche", TrancheBody("HIEC-WESSEX-1", (*year)["award_pence"].get<int64_t>(), "2010-03-15"),
      kFinanceToken);
  EXPECT_EQ(paid["last_position"], client.Head());
  HttpResult over = client.Command("record-tranche", TrancheBody("HIEC-WESSEX-2", 1, "2010-03-16"),
                                   kFinanceToken);
  EXPECT_EQ(over.status, 422u);
  EXPECT_EQ(over.ErrorCode(), "tranche_exceeds_award");
  HttpResult exported = client.Get("/v1/export/360giving.json", kAuditorToken);
  ASSERT_EQ(exported.status, 200u);
  EXPECT_EQ(exported.Json()["grants"].size(), 17u);
}


}  // namespace
}  // namespace tranche::api
