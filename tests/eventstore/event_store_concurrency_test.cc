// Many submitters at once: optimistic concurrency, group commit, idempotency.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "eventstore/event_store.h"
#include "tests/eventstore/test_store.h"

namespace tranche::eventstore {
namespace {

using testing::OneEvent;
using testing::OpenOrDie;
using testing::ReadEverything;
using testing::TempDir;

// Each thread reads the stream's version and appends with Exact(version),
// retrying on conflict, until the stream holds kTarget events.
TEST(EventStoreConcurrency, ExactlyOneAppendWinsEachVersionAndPositionsHaveNoGap) {
  constexpr int kThreads = 16;
  constexpr uint64_t kTarget = 400;
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  std::atomic<uint64_t> successes{0};
  std::atomic<uint64_t> conflicts{0};
  std::mutex mutex;
  std::set<uint64_t> won_versions;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int attempt = 0;; ++attempt) {
        uint64_t version = *store->StreamVersion("cluster-x");
        if (version != kNoVersion && version + 1 >= kTarget) return;
        ExpectedVersion expected =
            version == kNoVersion ? ExpectedVersion::NoStream() : ExpectedVersion::Exact(version);
        std::string id = "t" + std::to_string(t) + "-" + std::to_string(attempt);
        AppendOutcome outcome = store->Append(OneEvent(id, "cluster-x", expected, id));
        if (outcome.ok()) {
          ++successes;
          std::lock_guard<std::mutex> lock(mutex);
          EXPECT_TRUE(won_versions.insert(outcome.result().streams[0].first_version).second);
        } else {
          ASSERT_EQ(outcome.status().reason(), "wrong_expected_version");
          ASSERT_NE(outcome.error().actual_version, version);
          ++conflicts;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::printf("successes=%llu conflicts=%llu\n", (unsigned long long)successes.load(),
              (unsigned long long)conflicts.load());
  EXPECT_EQ(successes.load(), kTarget);
  EXPECT_EQ(*store->StreamVersion("cluster-x"), successes.load() - 1);
  EXPECT_EQ(store->GetHead().position, successes.load());
  std::vector<RecordedEvent> all = ReadEverything(*store);
  ASSERT_EQ(all.size(), kTarget);
  for (uint64_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].position, i + 1);
    EXPECT_EQ(all[i].version, i);
  }
  EXPECT_TRUE(store->Verify().ok);
}

// Asynchronous submitters with Any() on a few streams: every append succeeds,
// results are distinct, and a group commit holds more than one append.
TEST(EventStoreConcurrency, AsyncAppendsFromManyThreadsAllLandOnceInOneGapFreeLog) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 300;
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  std::mutex mutex;
  std::set<uint64_t> positions;
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string stream = "s-" + std::to_string(i % 4);
        store->AppendAsync(OneEvent("t" + std::to_string(t) + "-" + std::to_string(i), stream,
                                    ExpectedVersion::Any()),
                           [&](AppendOutcome outcome) {
                             EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
                             std::lock_guard<std::mutex> lock(mutex);
                             positions.insert(outcome.result().first_position);
                             ++done;
                           });
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  store->Close();  // Waits for everything queued.
  EXPECT_EQ(done.load(), kThreads * kPerThread);
  ASSERT_EQ(positions.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(*positions.begin(), 1u);
  EXPECT_EQ(*positions.rbegin(), static_cast<uint64_t>(kThreads * kPerThread));
  auto reopened = OpenOrDie(dir.path());
  EXPECT_TRUE(reopened->Verify().ok);
}

// An idle writer lets the caller write: its callback has run, on the calling
// thread, by the time AppendWriteIfIdle returns, in a group of its own.
TEST(EventStoreLeaderWrite, AnIdleStoreWritesOnTheCallingThreadBeforeReturning) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  for (int i = 0; i < 3; ++i) {
    const WriterStats before = store->GetWriterStats();
    bool called = false;
    std::thread::id ran_on;
    store->AppendWriteIfIdle(OneEvent("c" + std::to_string(i), "s", ExpectedVersion::Any()),
                             [&](AppendOutcome outcome) {
                               ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
                               EXPECT_EQ(outcome.result().first_position,
                                         static_cast<uint64_t>(i) + 1);
                               called = true;
                               ran_on = std::this_thread::get_id();
                             });
    EXPECT_TRUE(called);
    EXPECT_EQ(ran_on, std::this_thread::get_id());
    EXPECT_EQ(store->GetHead().position, static_cast<uint64_t>(i) + 1);
    EXPECT_EQ(store->GetWriterStats().groups_written, before.groups_written + 1);
  }
  // Refusals still answer on the calling thread and write nothing.
  AppendOutcome conflict = store->Append(OneEvent("c9", "s", ExpectedVersion::NoStream()));
  EXPECT_EQ(conflict.status().reason(), "wrong_expected_version");
  EXPECT_EQ(store->GetHead().position, 3u);
  store->Close();
  bool closed = false;
  store->AppendWriteIfIdle(OneEvent("late", "s", ExpectedVersion::Any()),
                           [&](AppendOutcome outcome) {
                             EXPECT_EQ(outcome.status().reason(), "store_closed");
                             closed = true;
                           });
  EXPECT_TRUE(closed);
}

// The writer's idle time counts the wait under way, so that a benchmark can
// measure how long the writer waited within any window.
TEST(EventStoreWriterStats, TheWriterWaitUnderWayIsCounted) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  // The wait starts once the writer thread runs, which on a loaded machine
  // can be a while after Open returns; time from when it has started.
  for (int i = 0; i < 5000 && store->GetWriterStats().writer_waiting_since_us == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  const WriterStats waiting = store->GetWriterStats();
  ASSERT_NE(waiting.writer_waiting_since_us, 0);  // Idle now: the writer thread waits.
  const int64_t before = waiting.WaitMicrosUntil(SteadyNowMicros());
  EXPECT_GE(before, 30'000);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_GE(store->GetWriterStats().WaitMicrosUntil(SteadyNowMicros()) - before, 20'000);
  // An append handed to the writer thread ends the wait, which then joins
  // the total.
  std::promise<AppendOutcome> written;
  store->AppendAsync(OneEvent("c1", "s", ExpectedVersion::Any()),
                     [&written](AppendOutcome outcome) { written.set_value(std::move(outcome)); });
  ASSERT_TRUE(written.get_future().get().ok());
  const WriterStats done = store->GetWriterStats();
  EXPECT_GE(done.writer_waits, 1u);
  EXPECT_GE(done.writer_wait_micros, 50'000);
}

// Callers that write for themselves, beside queued appends: every append
// lands once, positions have no gap, and callbacks run one at a time in
// position order whichever thread runs them.
TEST(EventStoreLeaderWrite, CallersWritingBesideTheWriterKeepCallbacksInPositionOrder) {
  constexpr int kLeaders = 4;
  constexpr int kQueuers = 2;
  constexpr int kPerThread = 150;
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  std::mutex mutex;
  std::vector<uint64_t> told;  // First positions in the order callbacks ran.
  std::atomic<int> inside{0};
  std::atomic<bool> overlapped{false};
  auto record = [&](AppendOutcome outcome) {
    if (inside.fetch_add(1) != 0) overlapped = true;
    EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
    {
      std::lock_guard<std::mutex> lock(mutex);
      told.push_back(outcome.result().first_position);
    }
    inside.fetch_sub(1);
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kLeaders + kQueuers; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        AppendRequest request =
            OneEvent("t" + std::to_string(t) + "-" + std::to_string(i), "s-" + std::to_string(t),
                     ExpectedVersion::Any());
        if (t < kLeaders) {
          std::promise<void> heard;
          store->AppendWriteIfIdle(std::move(request), [&](AppendOutcome outcome) {
            record(std::move(outcome));
            heard.set_value();
          });
          heard.get_future().wait();
        } else {
          store->AppendAsync(std::move(request), record);
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  store->Close();
  EXPECT_FALSE(overlapped.load());
  constexpr uint64_t kTotal = (kLeaders + kQueuers) * kPerThread;
  ASSERT_EQ(told.size(), kTotal);
  for (uint64_t i = 0; i < kTotal; ++i) ASSERT_EQ(told[i], i + 1) << "callback " << i;
  auto reopened = OpenOrDie(dir.path());
  EXPECT_EQ(reopened->GetHead().position, kTotal);
  EXPECT_TRUE(reopened->Verify().ok);
}

// Close while callers are writing for themselves: each hears ok or
// store_closed, and everything heard ok is in the log after a reopen.
TEST(EventStoreLeaderWrite, CloseWaitsForACallerWritingAndRefusesTheRest) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  std::atomic<uint64_t> acknowledged{0};
  std::atomic<uint64_t> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0;; ++i) {  // Until the store is closed.
        AppendOutcome outcome = store->Append(
            OneEvent("t" + std::to_string(t) + "-" + std::to_string(i), "s", ExpectedVersion::Any()));
        if (outcome.ok()) {
          ++acknowledged;
        } else {
          EXPECT_EQ(outcome.status().reason(), "store_closed") << outcome.status().ToString();
          ++refused;
          return;
        }
      }
    });
  }
  while (acknowledged < 50) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  store->Close();
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(refused.load(), 3u);
  auto reopened = OpenOrDie(dir.path());
  EXPECT_EQ(reopened->GetHead().position, acknowledged.load());
  EXPECT_TRUE(reopened->Verify().ok);
}

TEST(EventStoreIdempotency, AReplayedCommandIdReturnsTheOriginalPositionsAndWritesNothing) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  AppendRequest request = OneEvent("cmd-1", "cluster-a", ExpectedVersion::NoStream(), "pay 100");
  request.streams[0].events.push_back({"Second", 1, "", "x"});
  AppendOutcome first = store->Append(request);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(store->Append(OneEvent("cmd-2", "cluster-b", ExpectedVersion::Any())).ok());
  // The retry's expectation no longer holds, but it is a replay: same answer.
  AppendOutcome again = store->Append(request);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again.result().duplicate);
  EXPECT_FALSE(first.result().duplicate);
  EXPECT_EQ(again.result().first_position, 1u);
  EXPECT_EQ(again.result().last_position, 2u);
  ASSERT_EQ(again.result().streams.size(), 1u);
  EXPECT_EQ(again.result().streams[0].first_version, 0u);
  EXPECT_EQ(again.result().streams[0].last_version, 1u);
  EXPECT_EQ(store->GetHead().position, 3u);
  auto looked_up = store->LookupCommand("cmd-1");
  ASSERT_TRUE(looked_up.ok());
  EXPECT_EQ(looked_up->last_position, 2u);
}

TEST(EventStoreIdempotency, AReusedCommandIdWithDifferentContentIsRejected) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  ASSERT_TRUE(
      store->Append(OneEvent("cmd-1", "cluster-a", ExpectedVersion::Any(), "pay 100")).ok());
  AppendOutcome other =
      store->Append(OneEvent("cmd-1", "cluster-a", ExpectedVersion::Any(), "pay 999"));
  EXPECT_EQ(other.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(other.status().reason(), "command_id_reused");
  EXPECT_EQ(store->GetHead().position, 1u);
}

TEST(EventStoreIdempotency, ACallerDigestDecidesSameness) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  AppendRequest request = OneEvent("cmd-1", "s", ExpectedVersion::Any(), "body");
  request.content_digest = std::string(32, '\x01');
  ASSERT_TRUE(store->Append(request).ok());
  request.streams[0].events[0].data = "different events, same command body";
  EXPECT_TRUE(store->Append(request).result().duplicate);
  request.content_digest = std::string(32, '\x02');
  EXPECT_EQ(store->Append(request).status().reason(), "command_id_reused");
  EXPECT_EQ(store->GetHead().position, 1u);
}

// Retries racing the original: whichever lands first writes, the rest are
// duplicates of it, and the log holds each command once.
TEST(EventStoreIdempotency, ConcurrentRetriesOfOneCommandWriteItOnce) {
  constexpr unsigned kSeed = 20240501;
  std::printf("seed=%u\n", kSeed);
  std::mt19937 random(kSeed);
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  constexpr int kCommands = 50;
  constexpr int kCopies = 4;
  std::vector<std::pair<int, int>> order;
  for (int c = 0; c < kCommands; ++c) {
    for (int k = 0; k < kCopies; ++k) order.emplace_back(c, k);
  }
  std::shuffle(order.begin(), order.end(), random);
  std::mutex mutex;
  std::vector<std::set<uint64_t>> seen(kCommands);
  std::vector<int> originals(kCommands, 0);
  std::atomic<int> done{0};
  for (auto [c, k] : order) {
    (void)k;
    store->AppendAsync(OneEvent("cmd-" + std::to_string(c), "s", ExpectedVersion::Any(),
                                "body-" + std::to_string(c)),
                       [&, c = c](AppendOutcome outcome) {
                         ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
                         std::lock_guard<std::mutex> lock(mutex);
                         seen[c].insert(outcome.result().first_position);
                         if (!outcome.result().duplicate) ++originals[c];
                         ++done;
                       });
  }
  store->Close();
  EXPECT_EQ(done.load(), kCommands * kCopies);
  for (int c = 0; c < kCommands; ++c) {
    EXPECT_EQ(seen[c].size(), 1u) << "command " << c;
    EXPECT_EQ(originals[c], 1) << "command " << c;
  }
  auto reopened = OpenOrDie(dir.path());
  EXPECT_EQ(reopened->GetHead().position, static_cast<uint64_t>(kCommands));
  EXPECT_TRUE(reopened->Verify().ok);
}

}  // namespace
}  // namespace tranche::eventstore
