// The broadcaster on its own: what it queues, when it flushes, how it stops.
#include "api/server/broadcaster.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace tranche::api {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Keeps every batch handed to it; Wait() blocks until `count` arrived.
class Recorder : public LiveSubscriber {
 public:
  void OnLive(LiveBatch batch) override {
    std::lock_guard lock(mutex_);
    batches_.push_back(std::move(batch));
    arrived_.notify_all();
  }
  bool Wait(size_t count, milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return arrived_.wait_for(lock, timeout, [&] { return batches_.size() >= count; });
  }
  std::vector<LiveBatch> batches() {
    std::lock_guard lock(mutex_);
    return batches_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<LiveBatch> batches_;
};

eventstore::RecordedEvent Event(uint64_t position) {
  eventstore::RecordedEvent event;
  event.position = position;
  event.stream = "cluster-a";
  event.version = position;
  event.type = "TestHappened";
  event.actor = "tester";
  event.data = "{}";
  return event;
}

std::vector<uint64_t> Positions(const LiveBatch& batch) {
  std::vector<uint64_t> positions;
  for (const auto& event : batch->events) positions.push_back(event.position);
  return positions;
}

TEST(BroadcasterTest, NothingIsQueuedWhileNobodyListensAndRepeatsAreIgnored) {
  Broadcaster broadcaster(nullptr, milliseconds(0));
  broadcaster.Publish({Event(1), Event(2)});
  EXPECT_EQ(broadcaster.last_published_position(), 2u);
  auto recorder = std::make_shared<Recorder>();
  broadcaster.Join(recorder);
  broadcaster.Publish({Event(2), Event(3)});  // 2 again: ignored.
  ASSERT_TRUE(recorder->Wait(1, milliseconds(5000)));
  auto batches = recorder->batches();
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(Positions(batches[0]), std::vector<uint64_t>({3}));
  EXPECT_EQ(broadcaster.flushes(), 1u);
}

TEST(BroadcasterTest, EventsOfOneIntervalLeaveAsOneFlushWithTheirFrame) {
  Broadcaster broadcaster(nullptr, milliseconds(300));
  auto recorder = std::make_shared<Recorder>();
  broadcaster.Join(recorder);
  const auto start = Clock::now();
  broadcaster.Publish({Event(1)});  // After a quiet spell: at once.
  ASSERT_TRUE(recorder->Wait(1, milliseconds(5000)));
  EXPECT_LT(Clock::now() - start, milliseconds(250));
  for (uint64_t position = 2; position <= 4; ++position) broadcaster.Publish({Event(position)});
  ASSERT_TRUE(recorder->Wait(2, milliseconds(5000)));
  EXPECT_GE(Clock::now() - start, milliseconds(250)) << "the second flush did not wait";
  auto batches = recorder->batches();
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(Positions(batches[1]), std::vector<uint64_t>({2, 3, 4}));
  // The batch frame is the messages, in order, one per line, as a JSON array.
  const auto& events = batches[1]->events;
  EXPECT_EQ(batches[1]->frame,
            "[" + *events[0].message + ",\n" + *events[1].message + ",\n" + *events[2].message + "]");
  EXPECT_EQ(*events[0].message, broadcaster.RenderMessage(Event(2)));
}

TEST(BroadcasterTest, StopDropsWhatIsPendingAndEndsTheFlusher) {
  Broadcaster broadcaster(nullptr, milliseconds(1000));
  auto recorder = std::make_shared<Recorder>();
  broadcaster.Join(recorder);
  broadcaster.Publish({Event(1)});
  ASSERT_TRUE(recorder->Wait(1, milliseconds(5000)));
  broadcaster.Publish({Event(2)});  // Waits for the interval.
  const auto start = Clock::now();
  broadcaster.Stop();
  EXPECT_LT(Clock::now() - start, milliseconds(800)) << "Stop waited for the interval";
  broadcaster.Publish({Event(3)});
  broadcaster.Stop();  // Idempotent.
  std::this_thread::sleep_for(milliseconds(50));
  ASSERT_EQ(recorder->batches().size(), 1u);
  EXPECT_EQ(broadcaster.flushes(), 1u);
}

TEST(BroadcasterTest, ASubscriberThatLeftGetsNothingMore) {
  Broadcaster broadcaster(nullptr, milliseconds(0));
  auto staying = std::make_shared<Recorder>();
  auto leaving = std::make_shared<Recorder>();
  broadcaster.Join(staying);
  broadcaster.Join(leaving);
  broadcaster.Publish({Event(1)});
  ASSERT_TRUE(staying->Wait(1, milliseconds(5000)));
  ASSERT_TRUE(leaving->Wait(1, milliseconds(5000)));
  broadcaster.Leave(leaving.get());
  EXPECT_EQ(broadcaster.subscriber_count(), 1u);
  broadcaster.Publish({Event(2)});
  ASSERT_TRUE(staying->Wait(2, milliseconds(5000)));
  EXPECT_EQ(leaving->batches().size(), 1u);
}

}  // namespace
}  // namespace tranche::api
