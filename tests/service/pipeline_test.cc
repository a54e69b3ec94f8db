// The command pipeline over a real store: durability, idempotency, failure.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>
#include <variant>
#include <vector>

#include "api/service/content_digest.h"
#include "tests/eventstore/fault_file_system.h"
#include "tests/service/service_fixture.h"

namespace tranche::service {
namespace {

using nlohmann::json;

TEST_F(ServiceFixture, AcceptedCommandIsInTheLogAfterReopening) {
  SetUpSmallProgramme();
  CommandResult result = Accept("add-member", Member("m1", "Alpha Trust"));
  EXPECT_EQ(result.first_position, 4u);
  EXPECT_EQ(result.last_position, 4u);
  EXPECT_EQ(result.stream, "cluster-alpha");
  EXPECT_EQ(result.version, 2u);
  ASSERT_EQ(result.events.size(), 1u);
  EXPECT_EQ(result.events[0].type, "MemberAdded");
  Reopen();
  EXPECT_EQ(Head(), 4u);
  auto cluster = service_->read_model().Cluster("alpha", {UINT64_MAX, {}});
  ASSERT_TRUE(cluster.ok());
  ASSERT_EQ(cluster->members.size(), 1u);
  EXPECT_EQ(cluster->members[0].name, "Alpha Trust");
}

TEST_F(ServiceFixture, StartUpReportsTheEventsReplayedAndEachStagesCpu) {
  SetUpSmallProgramme();
  Accept("add-member", Member("m1", "Alpha Trust"));
  Reopen();
  const ReplayStats& stats = service_->replay_stats();
  EXPECT_EQ(stats.events, 4u);
  EXPECT_EQ(service_->replayed_events(), 4u);
  // Each stage ran on a thread that did some work; none took more than the
  // test's own run time.
  for (double seconds : {stats.scan_cpu_seconds, stats.write_model_cpu_seconds,
                         stats.read_model_cpu_seconds}) {
    EXPECT_GT(seconds, 0.0);
    EXPECT_LT(seconds, 60.0);
  }
  // An offline replay of the read model alone: no write-model stage.
  projections::ReadModel model;
  ReplayStats offline;
  ASSERT_TRUE(ReplayLog(*store_, nullptr, &model, &offline).ok());
  EXPECT_EQ(offline.events, 4u);
  EXPECT_EQ(offline.write_model_cpu_seconds, 0.0);
  EXPECT_GT(offline.read_model_cpu_seconds, 0.0);
  EXPECT_EQ(model.head(), 4u);
}

TEST_F(ServiceFixture, EventsCarryActorCommandIdTimeAndReason) {
  SetUpSmallProgramme();
  CommandOutcome outcome = Run("remove-member",
                               {{"command_id", "x"}, {"cluster_id", "alpha"},
                                {"organisation_id", "nobody"}, {"left_on", "2010-02-01"},
                                {"reason", "left"}});
  ASSERT_TRUE(outcome.rejection.has_value());
  Accept("add-member", Member("m1", "Alpha Trust"));
  CommandOutcome removed = Run("remove-member", {{"command_id", "m1-out"},
                                                 {"cluster_id", "alpha"},
                                                 {"organisation_id", "alpha-trust"},
                                                 {"left_on", "2010-02-01"},
                                                 {"reason", "Merged into another trust"}},
                               "programme-manager");
  ASSERT_TRUE(removed.result.has_value());
  std::vector<eventstore::RecordedEvent> events;
  ASSERT_TRUE(store_->ReadAll(1, {}, 100, &events).ok());
  ASSERT_EQ(events.size(), 5u);
  const eventstore::RecordedEvent& last = events.back();
  EXPECT_EQ(last.type, "MemberRemoved");
  EXPECT_EQ(last.actor, "programme-manager");
  EXPECT_EQ(last.command_id, "m1-out");
  EXPECT_EQ(last.reason, "Merged into another trust");
  for (size_t i = 1; i < events.size(); ++i) {
    EXPECT_GT(events[i].recorded_at_us, 0);
    EXPECT_GE(events[i].recorded_at_us, events[i - 1].recorded_at_us);
  }
}

TEST_F(ServiceFixture, RecordedTimesNeverGoBackAcrossARestart) {
  SetUpSmallProgramme();
  // An event stamped an hour ahead of this clock, as if the clock had gone
  // back after it was written.
  const int64_t ahead_us = std::chrono::duration_cast<std::chrono::microseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count() +
                           int64_t{3'600'000'000};
  const core::FinancialYear year = *core::FinancialYear::Parse("2009/10");
  eventstore::AppendRequest request;
  request.command_id = "written-ahead";
  request.actor = "tester";
  request.recorded_at_us = ahead_us;
  request.streams.push_back(
      {"programme-q", eventstore::ExpectedVersion::Any(),
       {{"ProgrammeOpened", core::kEventSchemaVersion, "",
         core::EncodeEvent(core::ProgrammeOpened{"q", "Q", "F", {{year, core::Pence(100)}}})}}});
  ASSERT_TRUE(store_->Append(request).ok());

  Reopen();
  const CommandResult result = Accept("open-programme", {{"command_id", "after-restart"},
                                                         {"programme_id", "r"},
                                                         {"name", "R"},
                                                         {"funder", "F"},
                                                         {"financial_years",
                                                          {{{"label", "2009/10"},
                                                            {"envelope_pence", 100}}}}});
  ASSERT_EQ(result.events.size(), 1u);
  EXPECT_GE(result.events[0].recorded_at_us, ahead_us);
}

TEST_F(ServiceFixture, RetriedCommandIdReturnsTheOriginalResultAndWritesNothing) {
  SetUpSmallProgramme();
  CommandResult first = Accept("add-member", Member("m1", "Alpha Trust"));
  CommandResult again = Accept("add-member", Member("m1", "Alpha Trust"));
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.first_position, first.first_position);
  EXPECT_EQ(again.version, first.version);
  EXPECT_EQ(Head(), first.last_position);
  Reopen();  // The answer now comes from the log's command index.
  CommandResult after_restart = Accept("add-member", Member("m1", "Alpha Trust"));
  EXPECT_TRUE(after_restart.duplicate);
  EXPECT_EQ(after_restart.first_position, first.first_position);
  ASSERT_EQ(after_restart.events.size(), 1u);
  EXPECT_EQ(after_restart.events[0].data, first.events[0].data);
  EXPECT_EQ(Head(), first.last_position);
}

TEST_F(ServiceFixture, ReusedCommandIdWithDifferentContentIsRejected) {
  SetUpSmallProgramme();
  Accept("add-member", Member("m1", "Alpha Trust"));
  const uint64_t head = Head();
  CommandOutcome outcome = Run("add-member", Member("m1", "Beta Trust"));
  ASSERT_TRUE(outcome.rejection.has_value());
  EXPECT_EQ(outcome.rejection->code, "command_id_reused");
  EXPECT_EQ(Head(), head);
}

TEST_F(ServiceFixture, ConcurrentRetriesOfOneCommandWriteItOnce) {
  SetUpSmallProgramme();
  const uint64_t head = Head();
  std::vector<std::future<CommandOutcome>> answers;
  for (int i = 0; i < 8; ++i) {
    answers.push_back(std::async(std::launch::async,
                                 [this] { return Run("add-member", Member("same", "Trust")); }));
  }
  int originals = 0;
  for (auto& answer : answers) {
    CommandOutcome outcome = answer.get();
    ASSERT_TRUE(outcome.result.has_value());
    EXPECT_EQ(outcome.result->first_position, head + 1);
    if (!outcome.result->duplicate) ++originals;
  }
  EXPECT_EQ(originals, 1);
  EXPECT_EQ(Head(), head + 1);
}

// Stop() returns only once every caller has heard its answer: its callback
// has returned, not merely been called. (ThreadSanitizer found the pipeline
// freed while the store's writer thread was still answering.)
TEST_F(ServiceFixture, StopWaitsUntilEveryAnswerHasBeenDelivered) {
  SetUpSmallProgramme();
  auto parsed = core::ParseCommand("add-member", Member("m1", "Alpha Trust"));
  ASSERT_TRUE(std::holds_alternative<core::CommandEnvelope>(parsed));
  core::CommandEnvelope command = std::get<core::CommandEnvelope>(std::move(parsed));
  command.actor = "tester";
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> answered{false};
  service_->pipeline().Submit(std::move(command), [&](CommandOutcome outcome) {
    entered.set_value();
    released.wait_for(std::chrono::seconds(30));
    answered = outcome.result.has_value();
  });
  entered.get_future().wait();
  auto stop = std::async(std::launch::async, [this] { service_->Stop(); });
  EXPECT_EQ(stop.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout)
      << "Stop() returned while an answer was still being delivered";
  release.set_value();
  stop.get();
  EXPECT_TRUE(answered.load());
}

TEST_F(ServiceFixture, RejectedCommandAppendsNothing) {
  SetUpSmallProgramme();
  const uint64_t head = Head();
  CommandOutcome outcome = Run("record-tranche", {{"command_id", "t"},
                                                  {"cluster_id", "alpha"},
                                                  {"financial_year", "2009/10"},
                                                  {"amount_pence", 60001},
                                                  {"paid_on", "2010-01-10"},
                                                  {"payment_reference", "R1"}});
  ASSERT_TRUE(outcome.rejection.has_value());
  EXPECT_EQ(outcome.rejection->code, "tranche_exceeds_award");
  EXPECT_EQ(Head(), head);
}

TEST_F(ServiceFixture, StoreWriteFailureStopsThePipelineAndAcknowledgesNothingUnwritten) {
  SetUpSmallProgramme();
  const uint64_t head = Head();
  auto disk = ReopenOnFaultyDisk();
  disk->SetDiskFull(true);
  CommandOutcome failed = Run("add-member", Member("m1", "Alpha Trust"));
  EXPECT_FALSE(failed.result.has_value());
  EXPECT_EQ(failed.error.code(), StatusCode::kUnavailable);
  EXPECT_EQ(failed.error.reason(), "pipeline_failed");
  EXPECT_NE(failed.error.message().find("No space"), std::string::npos) << failed.error.ToString();
  disk->SetDiskFull(false);
  CommandOutcome refused = Run("add-member", Member("m2", "Beta Trust"));
  EXPECT_FALSE(refused.result.has_value());
  EXPECT_EQ(refused.error.code(), StatusCode::kUnavailable);
  EXPECT_EQ(refused.error.reason(), "pipeline_failed");
  EXPECT_FALSE(service_->pipeline().health().ok());
  Reopen();
  EXPECT_EQ(Head(), head);
  auto cluster = service_->read_model().Cluster("alpha", {UINT64_MAX, {}});
  ASSERT_TRUE(cluster.ok());
  EXPECT_TRUE(cluster->members.empty());
}

TEST_F(ServiceFixture, StopAnswersEveryQueuedCommandBeforeReturning) {
  SetUpSmallProgramme();
  constexpr int kCommands = 300;
  std::atomic<int> accepted{0};
  std::atomic<int> answered{0};
  for (int i = 0; i < kCommands; ++i) {
    auto parsed = core::ParseCommand("add-member", Member("q" + std::to_string(i),
                                                          "Trust " + std::to_string(i)));
    auto envelope = std::get<core::CommandEnvelope>(std::move(parsed));
    envelope.actor = "tester";
    service_->pipeline().Submit(std::move(envelope), [&](CommandOutcome outcome) {
      if (outcome.result) accepted++;
      answered++;
    });
  }
  service_->Stop();
  EXPECT_EQ(answered.load(), kCommands);
  EXPECT_EQ(Head(), 3u + static_cast<uint64_t>(accepted.load()));
  CommandOutcome late = Run("add-member", Member("late", "Late Trust"));
  EXPECT_EQ(late.error.code(), StatusCode::kUnavailable);
  Reopen();
  auto cluster = service_->read_model().Cluster("alpha", {UINT64_MAX, {}});
  ASSERT_TRUE(cluster.ok());
  EXPECT_EQ(cluster->members.size(), static_cast<size_t>(accepted.load()));
  EXPECT_EQ(accepted.load(), kCommands);
}

}  // namespace
}  // namespace tranche::service

namespace tranche::service {
namespace {

// The content digest is stored with every command and compared on every
// retry, across restarts and upgrades: its canonical form and its bytes must
// not change. The expected digest is SHA-256 of the literal (Python hashlib).
TEST(CommandContentDigest, IsSha256OfTheCanonicalBodyAndNeverChanges) {
  auto parsed = core::ParseCommand("record-tranche", {{"command_id", "c-1"},
                                                      {"cluster_id", "wessex"},
                                                      {"financial_year", "2009/10"},
                                                      {"amount_pence", 12345},
                                                      {"paid_on", "2010-02-15"},
                                                      {"payment_reference", "DH-1"}});
  ASSERT_TRUE(std::holds_alternative<core::CommandEnvelope>(parsed));
  const auto& command = std::get<core::CommandEnvelope>(parsed);
  EXPECT_EQ(core::CommandBodyToJson(command).dump(),
            R"({"amount_pence":12345,"cluster_id":"wessex","command_id":"c-1",)"
            R"("financial_year":"2009/10","paid_on":"2010-02-15","payment_reference":"DH-1"})");
  std::string hex;
  for (int repeat = 0; repeat < 2; ++repeat) {  // The thread's context is reused.
    hex.clear();
    for (unsigned char byte : CommandContentDigest(command)) {
      static const char kDigits[] = "0123456789abcdef";
      hex += kDigits[byte >> 4];
      hex += kDigits[byte & 15];
    }
    EXPECT_EQ(hex, "5fce278ebff0359fac7bce2b84a77b69a092b9e2c4ae525af691d57b4dd460dc");
  }
}

}  // namespace
}  // namespace tranche::service
