// Subscriber: one subscription's delivery thread, catch-up and live queue.
//
// A subscriber starts in catch-up: it reads the store from its next position
// up to the hub's published position (everything durably written). When it
// has read past that position it asks the hub, under the hub's lock, to join
// the live set; the hub only agrees if nothing was published in between, so
// every later event arrives through the live queue: no gap. Live batches that
// it already read in catch-up are skipped by position: no duplicate. If its
// live queue would pass kSubscriptionQueueEventsMax, or the writer published
// without record bytes, the hub drops it back to catch-up.
//
// Threads: Push/MarkLagging are called by the hub under the hub's lock;
// Stop from any thread, including the callback. The EventReader and hub
// must outlive every running subscriber (EventStore guarantees this).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "eventstore/event_reader.h"
#include "eventstore/event_store.h"

namespace tranche::eventstore {

class SubscriptionHub;

// How many events one catch-up read fetches.
inline constexpr size_t kCatchUpBatchEventsMax = 1000;

// Record bytes of one committed group, shared by every live subscriber.
struct PublishedBatch {
  uint64_t first_position = 0;
  std::shared_ptr<const std::vector<std::string>> records;
};

class Subscriber : public std::enable_shared_from_this<Subscriber> {
 public:
  Subscriber(SubscriptionHub* hub, const EventReader* reader, uint64_t from, ReadFilter filter,
             EventStore::EventCallback callback);
  ~Subscriber();

  void Start();
  // Stops delivery; joins the thread unless called on it.
  void Stop();
  Status status() const;

  // Hub side, under the hub's lock. Push returns false (and marks the
  // subscriber lagging) when the batch would overflow the queue.
  bool Push(const PublishedBatch& batch);
  void MarkLagging();

 private:
  void Run();
  // Catch-up reads until live; false when delivery stopped.
  bool CatchUp();
  // Delivers live batches until lagging (true) or stopped (false).
  bool DeliverLive();
  // Calls the callback for `event` if it matches; false when delivery stops.
  bool Deliver(const RecordedEvent& event);
  void Fail(Status status);

  SubscriptionHub* const hub_;
  const EventReader* const reader_;
  const ReadFilter filter_;
  const EventStore::EventCallback callback_;
  uint64_t next_position_;  // Owned by the delivery thread.
  std::atomic<bool> stopped_{false};

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<PublishedBatch> queue_;
  size_t queued_events_ = 0;
  bool lagging_ = false;
  Status status_;
  std::thread thread_;
};

}  // namespace tranche::eventstore
