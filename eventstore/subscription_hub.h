// SubscriptionHub: the live set of subscribers and the published position.
//
// The writer calls Publish after each durable WriteBatch; the hub hands the
// batch's record bytes to every live subscriber without waiting for any of
// them (a full queue sends that subscriber back to catch-up). `published`
// only grows and never passes what is durably written, so subscribers never
// see an event that a crash could take back.
//
// Threads: all methods are safe from any thread. Construct before the
// writer, stop (StopAll) after it; the EventReader must outlive the hub.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "eventstore/event_reader.h"
#include "eventstore/event_store.h"
#include "eventstore/subscriber.h"

namespace tranche::eventstore {

class SubscriptionHub {
 public:
  SubscriptionHub(const EventReader* reader, uint64_t published_position);
  ~SubscriptionHub();

  std::unique_ptr<Subscription> Subscribe(uint64_t from, ReadFilter filter,
                                          EventStore::EventCallback callback);
  // True while any subscriber exists: the writer then keeps record bytes.
  bool HasSubscribers() const { return subscriber_count_.load() > 0; }
  // Positions first..last are durable. `records` holds their bytes, or is
  // null when the writer did not keep them (live subscribers then catch up).
  void Publish(uint64_t first, uint64_t last,
               std::shared_ptr<const std::vector<std::string>> records);
  uint64_t published_position() const;
  // Stops and joins every subscriber. Later Subscribe calls get a stopped one.
  void StopAll();

  // Subscriber side.
  bool TryGoLive(const std::shared_ptr<Subscriber>& subscriber, uint64_t next_position);
  void Forget(Subscriber* subscriber);

 private:
  const EventReader* const reader_;
  mutable std::mutex mutex_;
  uint64_t published_position_;
  bool stopped_ = false;
  std::vector<std::shared_ptr<Subscriber>> all_;
  std::vector<std::shared_ptr<Subscriber>> live_;
  std::condition_variable all_forgotten_;  // Signalled when all_ becomes empty.
  std::atomic<size_t> subscriber_count_{0};
};

}  // namespace tranche::eventstore
