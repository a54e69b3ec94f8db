// The broadcaster: render once, copy the list under the lock, send outside it.
#include "api/server/broadcaster.h"

#include <algorithm>

namespace tranche::api {

Broadcaster::Broadcaster(EventRenderer renderer) : renderer_(std::move(renderer)) {}

void Broadcaster::SetRenderer(EventRenderer renderer) { renderer_ = std::move(renderer); }

std::string Broadcaster::RenderMessage(const eventstore::RecordedEvent& event) const {
  return StreamEventMessage(event, renderer_);
}

void Broadcaster::Publish(const std::vector<eventstore::RecordedEvent>& events) {
  std::lock_guard publish_lock(publish_mutex_);
  std::vector<std::shared_ptr<LiveSubscriber>> targets;
  uint64_t from = 0;  // Events after this position are new.
  {
    std::lock_guard lock(mutex_);
    from = last_published_position_;
    for (const auto& event : events) {
      last_published_position_ = std::max(last_published_position_, event.position);
    }
    targets.reserve(subscribers_.size());
    for (const auto& weak : subscribers_) {
      if (auto subscriber = weak.lock()) targets.push_back(std::move(subscriber));
    }
  }
  // Nobody listens: nothing to render. A session that joins after the list
  // was taken reads these events from the store in its catch-up (they are
  // durable before they are published), as it would any event published
  // before it joined.
  if (targets.empty()) return;
  auto batch = std::make_shared<std::vector<LiveEvent>>();
  batch->reserve(events.size());
  uint64_t last = from;
  for (const auto& event : events) {
    if (event.position <= last) continue;
    last = event.position;
    batch->push_back(LiveEvent{event.position, event.stream, event.type,
                               std::make_shared<const std::string>(RenderMessage(event))});
  }
  if (batch->empty()) return;
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

}  // namespace tranche::api
