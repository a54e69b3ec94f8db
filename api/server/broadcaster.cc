// The broadcaster: queue under the lock, flush on its own thread, render once.
#include "api/server/broadcaster.h"

#include <algorithm>

#include "core/thread_name.h"

namespace tranche::api {

Broadcaster::Broadcaster(EventRenderer renderer, std::chrono::microseconds flush_interval)
    : renderer_(std::move(renderer)), flush_interval_(flush_interval) {}

Broadcaster::~Broadcaster() { Stop(); }

void Broadcaster::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    pending_.clear();
  }
  wake_.notify_all();
  if (flusher_.joinable()) flusher_.join();
}

void Broadcaster::SetRenderer(EventRenderer renderer) { renderer_ = std::move(renderer); }

void Broadcaster::SetFlushInterval(std::chrono::microseconds flush_interval) {
  std::lock_guard lock(mutex_);
  flush_interval_ = flush_interval;
}

std::string Broadcaster::RenderMessage(const eventstore::RecordedEvent& event) const {
  return StreamEventMessage(event, renderer_);
}

void Broadcaster::Publish(std::span<const eventstore::RecordedEvent> events) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    // The flusher waits for the first pending event only; later ones join
    // the flush it is timing, so they need no wake-up (each would cost a
    // context switch).
    if (stopping_) return;
    const bool was_empty = pending_.empty();
    bool queued = false;
    // Nobody listens: nothing to queue. A session that joins later reads
    // these events from the store in its catch-up (they are durable before
    // they are published), as it would any event published before it joined.
    const bool listened = !subscribers_.empty();
    for (const auto& event : events) {
      if (event.position <= last_published_position_) continue;
      last_published_position_ = event.position;
      if (listened) {
        pending_.push_back(event);
        queued = true;
      }
    }
    if (queued && !flusher_.joinable()) {
      flusher_ = std::thread([this] { RunFlusher(); });
      NameThread(flusher_, "stream-flush");
    }
    wake = queued && was_empty;
  }
  if (wake) wake_.notify_one();
}

void Broadcaster::RunFlusher() {
  std::vector<eventstore::RecordedEvent> events;
  std::vector<std::shared_ptr<LiveSubscriber>> targets;
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
    if (stopping_) return;
    // At most one flush per interval: what comes meanwhile joins this one.
    const Clock::time_point due = last_flush_ + flush_interval_;
    if (Clock::now() < due && wake_.wait_until(lock, due, [this] { return stopping_; })) return;
    last_flush_ = Clock::now();
    events.clear();
    events.swap(pending_);
    // The list is taken after the events were durable: a session missing from
    // it joined later, and its catch-up read finds them in the store.
    targets.clear();
    for (const auto& weak : subscribers_) {
      if (auto subscriber = weak.lock()) targets.push_back(std::move(subscriber));
    }
    if (!targets.empty()) ++flushes_;
    lock.unlock();
    if (!targets.empty()) Flush(events, targets);
    targets.clear();  // The last reference to a leaving session may be ours.
    lock.lock();
  }
}

void Broadcaster::Flush(const std::vector<eventstore::RecordedEvent>& events,
                        const std::vector<std::shared_ptr<LiveSubscriber>>& targets) {
  auto batch = std::make_shared<LiveFlush>();
  batch->events.reserve(events.size());
  size_t frame_bytes = 2;
  for (const auto& event : events) {
    batch->events.push_back(LiveEvent{event.position, event.stream, event.type,
                                      std::make_shared<const std::string>(RenderMessage(event))});
    frame_bytes += batch->events.back().message->size() + 2;
  }
  // The messages are JSON text already: the array is their concatenation.
  batch->frame.reserve(frame_bytes);
  batch->frame.push_back('[');
  for (const auto& event : batch->events) {
    if (batch->frame.size() > 1) batch->frame.append(",\n");
    batch->frame.append(*event.message);
  }
  batch->frame.push_back(']');
  LiveBatch shared_batch = std::move(batch);
  for (const auto& subscriber : targets) subscriber->OnLive(shared_batch);
}

void Broadcaster::Join(const std::shared_ptr<LiveSubscriber>& subscriber) {
  std::lock_guard lock(mutex_);
  subscribers_.push_back(subscriber);
  subscriber_keys_.push_back(subscriber.get());
}

void Broadcaster::Leave(const LiveSubscriber* subscriber) {
  std::lock_guard lock(mutex_);
  for (size_t i = 0; i < subscriber_keys_.size(); ++i) {
    if (subscriber_keys_[i] == subscriber) {
      subscriber_keys_.erase(subscriber_keys_.begin() + static_cast<long>(i));
      subscribers_.erase(subscribers_.begin() + static_cast<long>(i));
      return;
    }
  }
}

uint64_t Broadcaster::last_published_position() const {
  std::lock_guard lock(mutex_);
  return last_published_position_;
}

size_t Broadcaster::subscriber_count() const {
  std::lock_guard lock(mutex_);
  return subscribers_.size();
}

uint64_t Broadcaster::flushes() const {
  std::lock_guard lock(mutex_);
  return flushes_;
}

}  // namespace tranche::api
