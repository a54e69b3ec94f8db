// Subscriptions: catch-up, then live, with no gap and no duplicate.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "eventstore/event_store.h"
#include "tests/eventstore/test_store.h"

namespace tranche::eventstore {
namespace {

using testing::OneEvent;
using testing::OpenOrDie;
using testing::TempDir;

// Collects delivered positions and lets the test wait for a given one.
class Collector {
 public:
  EventStore::EventCallback Callback() {
    return [this](const RecordedEvent& e) {
      std::lock_guard<std::mutex> lock(mutex_);
      positions_.push_back(e.position);
      streams_.push_back(e.stream);
      changed_.notify_all();
      return true;
    };
  }
  bool WaitFor(uint64_t position) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(60),
                             [&] { return !positions_.empty() && positions_.back() >= position; });
  }
  std::vector<uint64_t> positions() {
    std::lock_guard<std::mutex> lock(mutex_);
    return positions_;
  }
  std::vector<std::string> streams() {
    std::lock_guard<std::mutex> lock(mutex_);
    return streams_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<uint64_t> positions_;
  std::vector<std::string> streams_;
};

void ExpectExactly(const std::vector<uint64_t>& positions, uint64_t from, uint64_t to) {
  ASSERT_EQ(positions.size(), to - from + 1);
  for (uint64_t i = 0; i < positions.size(); ++i) ASSERT_EQ(positions[i], from + i);
}

void AppendMany(EventStore* store, int thread, int count, int events_per_append = 1) {
  for (int i = 0; i < count; ++i) {
    AppendRequest request = OneEvent("t" + std::to_string(thread) + "-" + std::to_string(i),
                                     "s-" + std::to_string(thread), ExpectedVersion::Any());
    request.streams[0].events.resize(events_per_append, request.streams[0].events[0]);
    ASSERT_TRUE(store->Append(std::move(request)).ok());
  }
}

TEST(EventStoreSubscribe, SubscribersSeeEveryPositionOnceInOrderWhileAppendsRun) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  AppendMany(store.get(), 99, 200);  // Some history to catch up on.
  Collector from_start, from_middle, from_head;
  auto sub_start = store->Subscribe(1, {}, from_start.Callback());
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) writers.emplace_back([&, t] { AppendMany(store.get(), t, 250); });
  // Subscribe while the writers run: from the middle of the history, and
  // from wherever the head is at that moment.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto sub_middle = store->Subscribe(100, {}, from_middle.Callback());
  const uint64_t head_then = store->GetHead().position;
  auto sub_head = store->Subscribe(head_then + 1, {}, from_head.Callback());
  for (std::thread& writer : writers) writer.join();
  const uint64_t head = store->GetHead().position;
  ASSERT_EQ(head, 200u + 4 * 250);
  ASSERT_TRUE(from_start.WaitFor(head));
  ASSERT_TRUE(from_middle.WaitFor(head));
  ASSERT_TRUE(from_head.WaitFor(head));
  sub_start->Unsubscribe();
  sub_middle->Unsubscribe();
  sub_head->Unsubscribe();
  ExpectExactly(from_start.positions(), 1, head);
  ExpectExactly(from_middle.positions(), 100, head);
  ExpectExactly(from_head.positions(), head_then + 1, head);
}

TEST(EventStoreSubscribe, AFilteredSubscriberSeesOnlyItsStreams) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  Collector collector;
  auto sub = store->Subscribe(1, ReadFilter{"s-1", {}}, collector.Callback());
  std::thread a([&] { AppendMany(store.get(), 0, 100); });
  std::thread b([&] { AppendMany(store.get(), 1, 100); });
  a.join();
  b.join();
  std::vector<RecordedEvent> last;
  ASSERT_TRUE(store->ReadStreamBackward("s-1", kNoVersion, 1, &last).ok());
  ASSERT_TRUE(collector.WaitFor(last.at(0).position));
  sub->Unsubscribe();
  EXPECT_EQ(collector.positions().size(), 100u);
  for (const std::string& stream : collector.streams()) EXPECT_EQ(stream, "s-1");
}

// A subscriber blocked in its callback while more than its queue can hold is
// appended falls back to catch-up reads and still misses nothing.
TEST(EventStoreSubscribe, ASlowSubscriberFallsBackToCatchUpWithoutGapsOrDuplicates) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  std::mutex gate;
  std::unique_lock<std::mutex> hold(gate);
  Collector collector;
  auto inner = collector.Callback();
  std::atomic<bool> first{true};
  auto sub = store->Subscribe(1, {}, [&](const RecordedEvent& e) {
    if (first.exchange(false)) std::lock_guard<std::mutex> wait_for_gate(gate);
    return inner(e);
  });
  const int appends = static_cast<int>(kSubscriptionQueueEventsMax / kEventsPerAppendMax) + 10;
  AppendMany(store.get(), 0, appends, static_cast<int>(kEventsPerAppendMax));
  hold.unlock();
  const uint64_t head = store->GetHead().position;
  ASSERT_TRUE(collector.WaitFor(head));
  sub->Unsubscribe();
  ExpectExactly(collector.positions(), 1, head);
}

TEST(EventStoreSubscribe, UnsubscribeFromInsideTheCallbackStopsDelivery) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  AppendMany(store.get(), 0, 20);
  std::atomic<int> calls{0};
  std::unique_ptr<Subscription> sub;
  std::mutex mutex;
  std::unique_lock<std::mutex> hold(mutex);  // The callback waits until sub is set.
  sub = store->Subscribe(1, {}, [&](const RecordedEvent&) {
    std::lock_guard<std::mutex> lock(mutex);
    if (++calls == 5) sub->Unsubscribe();
    return true;
  });
  hold.unlock();
  // Wait (bounded) for the fifth call, then give a sixth the time to arrive.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (calls.load() < 5 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  {
    // The callback read `sub` under the mutex: take it before writing `sub`.
    std::lock_guard<std::mutex> lock(mutex);
    EXPECT_EQ(calls.load(), 5);
  }
  sub.reset();
}

TEST(EventStoreSubscribe, ReturningFalseStopsAndUnsubscribeFromAnotherThreadIsSafe) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  AppendMany(store.get(), 0, 20);
  std::atomic<int> calls{0};
  auto stop_at_three = store->Subscribe(1, {}, [&](const RecordedEvent&) { return ++calls < 3; });
  std::atomic<bool> running{true};
  auto busy = store->Subscribe(1, {}, [&](const RecordedEvent&) { return running.load(); });
  std::thread writer([&] { AppendMany(store.get(), 1, 50); });
  std::thread stopper([&] { busy->Unsubscribe(); });
  stopper.join();
  writer.join();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(calls.load(), 3);
  EXPECT_TRUE(stop_at_three->status().ok());
  store->Close();  // Stops whatever still runs; handles stay safe to drop.
  stop_at_three->Unsubscribe();
}

}  // namespace
}  // namespace tranche::eventstore
