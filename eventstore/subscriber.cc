// Catch-up then live delivery for one subscription.
#include "eventstore/subscriber.h"

#include <algorithm>
#include <cstdio>

#include "core/check.h"
#include "core/thread_name.h"
#include "eventstore/record_format.h"
#include "eventstore/subscription_hub.h"

namespace tranche::eventstore {

Subscriber::Subscriber(SubscriptionHub* hub, const EventReader* reader, uint64_t from,
                       ReadFilter filter, EventStore::EventCallback callback)
    : hub_(hub),
      reader_(reader),
      filter_(std::move(filter)),
      callback_(std::move(callback)),
      next_position_(std::max<uint64_t>(from, 1)) {
  TRANCHE_CHECK(callback_ != nullptr);
}

Subscriber::~Subscriber() {
  // The last reference can be dropped on the delivery thread itself; a
  // joinable std::thread must not be destroyed, so let it finish alone.
  std::lock_guard<std::mutex> lock(mutex_);
  if (thread_.joinable()) thread_.detach();
}

void Subscriber::Start() {
  std::lock_guard<std::mutex> lock(mutex_);
  // The thread holds a reference so that it can finish even if every handle
  // is gone (Unsubscribe from inside the callback).
  thread_ = std::thread([self = shared_from_this()] { self->Run(); });
  NameThread(thread_, "store-subscribe");
}

void Subscriber::Stop() {
  std::thread to_join;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopped_ = true;
    wake_.notify_all();
    if (!thread_.joinable()) return;
    if (thread_.get_id() == std::this_thread::get_id()) {
      thread_.detach();  // Called from the callback: Run returns right after it.
      return;
    }
    to_join = std::move(thread_);
  }
  to_join.join();
}

Status Subscriber::status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return status_;
}

bool Subscriber::Push(const PublishedBatch& batch) {
  std::lock_guard<std::mutex> lock(mutex_);
  const size_t count = batch.records->size();
  if (lagging_ || queued_events_ + count > kSubscriptionQueueEventsMax) {
    lagging_ = true;
    queue_.clear();
    queued_events_ = 0;
    wake_.notify_all();
    return false;
  }
  queue_.push_back(batch);
  queued_events_ += count;
  wake_.notify_all();
  return true;
}

void Subscriber::MarkLagging() {
  std::lock_guard<std::mutex> lock(mutex_);
  lagging_ = true;
  queue_.clear();
  queued_events_ = 0;
  wake_.notify_all();
}

void Subscriber::Fail(Status status) {
  std::fprintf(stderr, "eventstore: subscription stopped: %s\n", status.ToString().c_str());
  std::lock_guard<std::mutex> lock(mutex_);
  status_ = std::move(status);
  stopped_ = true;
}

bool Subscriber::Deliver(const RecordedEvent& event) {
  if (event.position != next_position_) {  // Positions are gap-free; a hole is damage.
    Fail(Status::DataLoss("log_gap", "expected position " + std::to_string(next_position_) +
                                         ", found " + std::to_string(event.position)));
    return false;
  }
  next_position_ = event.position + 1;
  if (!filter_.Matches(event)) return true;
  if (stopped_) return false;
  if (!callback_(event)) {
    stopped_ = true;
    return false;
  }
  return !stopped_;
}

void Subscriber::Run() {
  while (!stopped_) {
    if (!CatchUp()) break;
    if (!DeliverLive()) break;
  }
  hub_->Forget(this);
}

bool Subscriber::CatchUp() {
  std::vector<RecordedEvent> events;
  while (!stopped_) {
    const uint64_t published = hub_->published_position();
    if (next_position_ > published) {
      if (hub_->TryGoLive(shared_from_this(), next_position_)) return true;
      continue;  // Something was published meanwhile: read it first.
    }
    events.clear();
    uint64_t scanned_to = 0;
    // Matching is done in Deliver, where next_position_ advances per event.
    Status status = reader_->ReadAll(next_position_, published, ReadFilter{},
                                     kCatchUpBatchEventsMax, &events, &scanned_to);
    if (!status.ok()) {
      Fail(std::move(status));
      return false;
    }
    if (events.empty()) {
      Fail(Status::DataLoss("log_gap", "published position " + std::to_string(published) +
                                           " not found in the store from " +
                                           std::to_string(next_position_)));
      return false;
    }
    for (const RecordedEvent& event : events) {
      if (!Deliver(event)) return false;
    }
  }
  return false;
}

bool Subscriber::DeliverLive() {
  RecordedEvent event;
  while (true) {
    PublishedBatch batch;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stopped_ || lagging_ || !queue_.empty(); });
      if (stopped_) return false;
      if (lagging_) {
        lagging_ = false;  // The hub removed us from the live set.
        return true;
      }
      batch = std::move(queue_.front());
      queue_.pop_front();
      queued_events_ -= batch.records->size();
    }
    for (size_t i = 0; i < batch.records->size(); ++i) {
      const uint64_t position = batch.first_position + i;
      if (position < next_position_) continue;  // Already read in catch-up.
      Status status = DecodeRecord((*batch.records)[i], &event);
      if (!status.ok()) {
        Fail(std::move(status));
        return false;
      }
      if (!Deliver(event)) return false;
    }
  }
}

}  // namespace tranche::eventstore
