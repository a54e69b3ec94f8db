// Commands decided (and written) on the caller's thread: CommandPipeline's
// Execute and SubmitMayDecideHere beside the decider thread.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/eventstore/fault_file_system.h"
#include "tests/service/service_fixture.h"

namespace tranche::service {
namespace {

using nlohmann::json;

json Tranche(const std::string& command_id, int64_t pence, const std::string& reference) {
  return {{"command_id", command_id},      {"cluster_id", "alpha"},
          {"financial_year", "2009/10"},   {"amount_pence", pence},
          {"paid_on", "2010-01-10"},       {"payment_reference", reference}};
}

// On an idle pipeline Execute decides, writes (one fsync of its own) and
// answers on the calling thread; the read model already shows the command.
// Right after a Submit the threads that served it may still be finishing,
// so Execute may queue once; after one Execute ran here, the next ones must.
TEST_F(ServiceFixture, ExecuteOnAnIdlePipelineRunsTheCommandOnTheCallingThread) {
  std::mutex mutex;
  std::vector<std::thread::id> finished_on;
  service_options_.observer = [&](const std::string&, const std::string&, int64_t) {
    std::lock_guard lock(mutex);
    finished_on.push_back(std::this_thread::get_id());
  };
  Reopen();
  SetUpSmallProgramme();
  auto last_finished_here = [&] {
    std::lock_guard lock(mutex);
    return !finished_on.empty() && finished_on.back() == std::this_thread::get_id();
  };
  int tries = 0;
  do {
    ASSERT_TRUE(Execute("add-member", Member("w" + std::to_string(tries), "Warm Trust " + std::to_string(tries)))
                    .result.has_value());
  } while (!last_finished_here() && ++tries < 50);
  ASSERT_LT(tries, 50) << "Execute never ran on the calling thread";
  for (int i = 0; i < 5; ++i) {
    const uint64_t head = Head();
    const eventstore::WriterStats before = store_->GetWriterStats();
    const std::string name = "Alpha Trust " + std::to_string(i);
    CommandOutcome outcome = Execute("add-member", Member("x" + std::to_string(i), name));
    ASSERT_TRUE(outcome.result.has_value()) << outcome.error.ToString();
    EXPECT_EQ(outcome.result->first_position, head + 1);
    EXPECT_FALSE(outcome.result->duplicate);
    EXPECT_EQ(Head(), head + 1);
    EXPECT_EQ(store_->GetWriterStats().groups_written, before.groups_written + 1);
    EXPECT_TRUE(last_finished_here()) << "command " << i;
    auto cluster = service_->read_model().Cluster("alpha", {UINT64_MAX, {}});
    ASSERT_TRUE(cluster.ok());
    ASSERT_FALSE(cluster->members.empty());
    const bool shown = std::any_of(cluster->members.begin(), cluster->members.end(),
                                   [&](const auto& member) { return member.name == name; });
    EXPECT_TRUE(shown) << name;
  }
}

// SubmitMayDecideHere (the HTTP routes' path) decides on the calling thread
// when the pipeline is idle, so a rejection is answered before the call
// returns, but it never writes there: an accepted command is made durable by
// the store's writer and answered on a store thread, in order with the rest.
TEST_F(ServiceFixture, SubmitMayDecideHereDecidesOnTheCallerButLeavesTheWriteToTheStore) {
  std::mutex mutex;
  std::vector<std::pair<std::string, std::thread::id>> finished;  // Outcome label, thread.
  service_options_.observer = [&](const std::string&, const std::string& outcome, int64_t) {
    std::lock_guard lock(mutex);
    finished.emplace_back(outcome, std::this_thread::get_id());
  };
  Reopen();
  SetUpSmallProgramme();
  const uint64_t head = Head();
  // Right after the set-up the decider may still be finishing: retry until
  // one rejection was decided here, answered before SubmitMayDecideHere
  // returned.
  int tries = 0;
  for (;; ++tries) {
    ASSERT_LT(tries, 50) << "SubmitMayDecideHere never decided on the calling thread";
    const std::string n = std::to_string(tries);
    auto answer = SubmitMayDecideHere("record-tranche", Tranche("r" + n, 60001, "R" + n));
    const bool answered_here = answer.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
    CommandOutcome outcome = answer.get();
    ASSERT_TRUE(outcome.rejection.has_value());
    EXPECT_EQ(outcome.rejection->code, "tranche_exceeds_award");
    std::lock_guard lock(mutex);
    if (answered_here) {
      EXPECT_EQ(finished.back().second, std::this_thread::get_id());
      break;
    }
  }
  EXPECT_EQ(Head(), head);
  const eventstore::WriterStats before = store_->GetWriterStats();
  CommandOutcome paid = SubmitMayDecideHere("record-tranche", Tranche("t1", 60000, "P1")).get();
  ASSERT_TRUE(paid.result.has_value()) << paid.error.ToString();
  EXPECT_EQ(paid.result->first_position, head + 1);
  EXPECT_EQ(Head(), head + 1);
  EXPECT_EQ(store_->GetWriterStats().groups_written, before.groups_written + 1);
  {
    std::lock_guard lock(mutex);
    EXPECT_EQ(finished.back().first, "accepted");
    EXPECT_NE(finished.back().second, std::this_thread::get_id());
  }
  // Decided against the write model like any other: the award is used up,
  // and a retry answers the original result.
  CommandOutcome over = SubmitMayDecideHere("record-tranche", Tranche("t2", 1, "P2")).get();
  ASSERT_TRUE(over.rejection.has_value());
  EXPECT_EQ(over.rejection->code, "tranche_exceeds_award");
  CommandOutcome retried = SubmitMayDecideHere("record-tranche", Tranche("t1", 60000, "P1")).get();
  ASSERT_TRUE(retried.result.has_value());
  EXPECT_TRUE(retried.result->duplicate);
  EXPECT_EQ(retried.result->first_position, paid.result->first_position);
  EXPECT_EQ(Head(), head + 1);
}

// Execute gives the same answers as Submit: rejections, retries, reuse of a
// command id, and refusal once stopped.
TEST_F(ServiceFixture, ExecuteAnswersRejectionsRetriesAndRefusalsLikeSubmit) {
  SetUpSmallProgramme();
  const uint64_t head = Head();
  CommandOutcome too_much = Execute("record-tranche", Tranche("t1", 60001, "R1"));
  ASSERT_TRUE(too_much.rejection.has_value());
  EXPECT_EQ(too_much.rejection->code, "tranche_exceeds_award");
  EXPECT_EQ(Head(), head);
  CommandOutcome paid = Execute("record-tranche", Tranche("t2", 60000, "R2"));
  ASSERT_TRUE(paid.result.has_value());
  CommandOutcome retried = Execute("record-tranche", Tranche("t2", 60000, "R2"));
  ASSERT_TRUE(retried.result.has_value());
  EXPECT_TRUE(retried.result->duplicate);
  EXPECT_EQ(retried.result->first_position, paid.result->first_position);
  CommandOutcome reused = Execute("record-tranche", Tranche("t2", 100, "R3"));
  ASSERT_TRUE(reused.rejection.has_value());
  EXPECT_EQ(reused.rejection->code, "command_id_reused");
  // The write model saw the payment: the year's award is now used up.
  CommandOutcome over = Execute("record-tranche", Tranche("t3", 1, "R4"));
  ASSERT_TRUE(over.rejection.has_value());
  EXPECT_EQ(over.rejection->code, "tranche_exceeds_award");
  EXPECT_EQ(Head(), head + 1);
  service_->Stop();
  CommandOutcome late = Execute("add-member", Member("late", "Late Trust"));
  EXPECT_EQ(late.error.code(), StatusCode::kUnavailable);
  EXPECT_EQ(late.error.reason(), "pipeline_stopping");
}

// Callers in Execute beside callers in Submit: every command is decided
// against the effects of all before it (no two payments share a
// reference), and the log holds each once.
TEST_F(ServiceFixture, ExecuteFromManyThreadsBesideSubmitWritesEveryCommandOnce) {
  SetUpSmallProgramme();
  const uint64_t head = Head();
  constexpr int kExecuters = 3;
  constexpr int kPerThread = 60;
  std::atomic<int> accepted{0};
  std::vector<std::future<CommandOutcome>> submitted;
  std::vector<std::thread> threads;
  for (int t = 0; t < kExecuters; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string id = "e" + std::to_string(t) + "-" + std::to_string(i);
        CommandOutcome outcome = Execute("add-member", Member(id, "Trust " + id));
        EXPECT_TRUE(outcome.result.has_value()) << outcome.error.ToString();
        if (outcome.result) ++accepted;
      }
    });
  }
  for (int i = 0; i < kPerThread; ++i) {
    const std::string id = "s-" + std::to_string(i);
    submitted.push_back(Submit("add-member", Member(id, "Trust " + id)));
  }
  // Two payments under one reference, from both paths at once: one only.
  auto first = std::async(std::launch::async,
                          [&] { return Execute("record-tranche", Tranche("p1", 100, "SAME")); });
  auto second = Submit("record-tranche", Tranche("p2", 100, "SAME"));
  for (std::thread& thread : threads) thread.join();
  for (auto& answer : submitted) {
    CommandOutcome outcome = answer.get();
    EXPECT_TRUE(outcome.result.has_value()) << outcome.error.ToString();
    if (outcome.result) ++accepted;
  }
  const CommandOutcome a = first.get();
  const CommandOutcome b = second.get();
  EXPECT_NE(a.result.has_value(), b.result.has_value());
  const CommandOutcome& loser = a.result ? b : a;
  ASSERT_TRUE(loser.rejection.has_value());
  EXPECT_EQ(loser.rejection->code, "payment_reference_exists");
  EXPECT_EQ(accepted.load(), (kExecuters + 1) * kPerThread);
  EXPECT_EQ(Head(), head + static_cast<uint64_t>(accepted.load()) + 1);
  Reopen();
  auto cluster = service_->read_model().Cluster("alpha", {UINT64_MAX, {}});
  ASSERT_TRUE(cluster.ok());
  EXPECT_EQ(cluster->members.size(), static_cast<size_t>(accepted.load()));
  EXPECT_TRUE(store_->Verify().ok);
}

// A write that fails on the caller's own thread: refused, nothing
// acknowledged, the write model not moved, and the pipeline stopped.
TEST_F(ServiceFixture, ExecuteWhoseOwnWriteFailsAcknowledgesNothing) {
  SetUpSmallProgramme();
  const uint64_t head = Head();
  auto disk = ReopenOnFaultyDisk();
  disk->SetDiskFull(true);
  CommandOutcome failed = Execute("add-member", Member("m1", "Alpha Trust"));
  EXPECT_FALSE(failed.result.has_value());
  EXPECT_EQ(failed.error.reason(), "pipeline_failed") << failed.error.ToString();
  disk->SetDiskFull(false);
  CommandOutcome refused = Execute("add-member", Member("m2", "Beta Trust"));
  EXPECT_EQ(refused.error.reason(), "pipeline_failed");
  EXPECT_FALSE(service_->pipeline().health().ok());
  Reopen();
  EXPECT_EQ(Head(), head);
}

}  // namespace
}  // namespace tranche::service
