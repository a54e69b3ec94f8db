// The live set of subscribers.
#include "eventstore/subscription_hub.h"

#include <algorithm>

#include "core/check.h"

namespace tranche::eventstore {
namespace {

// The handle a caller holds. It shares the Subscriber with the hub and the
// delivery thread, so Unsubscribe stays safe after the store has stopped.
class SubscriptionHandle final : public Subscription {
 public:
  explicit SubscriptionHandle(std::shared_ptr<Subscriber> subscriber)
      : subscriber_(std::move(subscriber)) {}
  ~SubscriptionHandle() override { subscriber_->Stop(); }
  void Unsubscribe() override { subscriber_->Stop(); }
  Status status() const override { return subscriber_->status(); }

 private:
  std::shared_ptr<Subscriber> subscriber_;
};

}  // namespace

SubscriptionHub::SubscriptionHub(const EventReader* reader, uint64_t published_position)
    : reader_(reader), published_position_(published_position) {}

SubscriptionHub::~SubscriptionHub() { StopAll(); }

std::unique_ptr<Subscription> SubscriptionHub::Subscribe(uint64_t from, ReadFilter filter,
                                                         EventStore::EventCallback callback) {
  auto subscriber =
      std::make_shared<Subscriber>(this, reader_, from, std::move(filter), std::move(callback));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) {
      subscriber->Stop();
      return std::make_unique<SubscriptionHandle>(std::move(subscriber));
    }
    all_.push_back(subscriber);
    subscriber_count_ = all_.size();
  }
  subscriber->Start();
  return std::make_unique<SubscriptionHandle>(std::move(subscriber));
}

uint64_t SubscriptionHub::published_position() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return published_position_;
}

void SubscriptionHub::Publish(uint64_t first, uint64_t last,
                              std::shared_ptr<const std::vector<std::string>> records) {
  std::lock_guard<std::mutex> lock(mutex_);
  TRANCHE_CHECK(first == published_position_ + 1 && last >= first);
  TRANCHE_CHECK(records == nullptr || records->size() == last - first + 1);
  published_position_ = last;
  const PublishedBatch batch{first, std::move(records)};
  // Never waits for a subscriber: one that cannot take the batch now leaves
  // the live set and reads it from the store instead.
  std::erase_if(live_, [&batch](const std::shared_ptr<Subscriber>& subscriber) {
    if (batch.records == nullptr) {
      subscriber->MarkLagging();
      return true;
    }
    return !subscriber->Push(batch);
  });
}

bool SubscriptionHub::TryGoLive(const std::shared_ptr<Subscriber>& subscriber,
                                uint64_t next_position) {
  std::lock_guard<std::mutex> lock(mutex_);
  // Everything up to published_position_ was read in catch-up; everything
  // after it will be published after this point, so it reaches the queue.
  if (stopped_ || next_position <= published_position_) return false;
  live_.push_back(subscriber);
  return true;
}

void SubscriptionHub::Forget(Subscriber* subscriber) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto same = [subscriber](const std::shared_ptr<Subscriber>& s) { return s.get() == subscriber; };
  std::erase_if(live_, same);
  std::erase_if(all_, same);
  subscriber_count_ = all_.size();
  if (all_.empty()) all_forgotten_.notify_all();
}

void SubscriptionHub::StopAll() {
  std::vector<std::shared_ptr<Subscriber>> to_stop;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopped_ = true;
    to_stop = all_;
  }
  // Outside the lock: a delivery thread takes it in Forget while finishing.
  for (const std::shared_ptr<Subscriber>& subscriber : to_stop) subscriber->Stop();
  // Threads detached by an Unsubscribe from their own callback still call
  // Forget; wait for them so that none outlives the hub.
  std::unique_lock<std::mutex> lock(mutex_);
  all_forgotten_.wait(lock, [this] { return all_.empty(); });
}

}  // namespace tranche::eventstore
