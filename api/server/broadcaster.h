// Broadcaster: hands committed events to every live /v1/stream session.
//
// Publish() takes events that are already durable, in position order. It
// copies the subscriber list under its lock, renders each event's message
// once (shared_ptr<const std::string>; not at all when nobody listens) and
// hands the batch to each subscriber outside the lock. A subscriber's OnLive() only posts to its own strand, so a
// slow subscriber never slows Publish() or the others; what it cannot queue
// it later reads back from the store (see websocket_session.h).
//
// Threads: Publish() may be called from any thread; concurrent calls are
// serialised, and callers must call it in position order. Join/Leave from any
// thread. The Broadcaster must outlive the server's sessions.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/server/event_json.h"
#include "api/server/metrics.h"
#include "eventstore/event_store.h"

namespace tranche::api {

struct LiveEvent {
  uint64_t position = 0;
  std::string stream;
  std::string type;
  std::shared_ptr<const std::string> message;  // The rendered /v1/stream message.
};
using LiveBatch = std::shared_ptr<const std::vector<LiveEvent>>;

class LiveSubscriber {
 public:
  virtual ~LiveSubscriber() = default;
  // Called outside the broadcaster's lock on the publishing thread; must only
  // hand the batch on (post), never block.
  virtual void OnLive(LiveBatch batch) = 0;
};

class Broadcaster {
 public:
  explicit Broadcaster(EventRenderer renderer = nullptr);
  Broadcaster(const Broadcaster&) = delete;
  Broadcaster& operator=(const Broadcaster&) = delete;

  // Installs the domain renderer (before the server starts).
  void SetRenderer(EventRenderer renderer);
  // Durable events in position order. Events at or below the last published
  // position are ignored, so a replayed batch is harmless.
  void Publish(const std::vector<eventstore::RecordedEvent>& events);

  void Join(const std::shared_ptr<LiveSubscriber>& subscriber);
  void Leave(const LiveSubscriber* subscriber);

  // The /v1/stream message for an event (catch-up reads use it too).
  std::string RenderMessage(const eventstore::RecordedEvent& event) const;
  const EventRenderer& renderer() const { return renderer_; }
  uint64_t last_published_position() const;
  size_t subscriber_count() const;

 private:
  EventRenderer renderer_;
  std::mutex publish_mutex_;  // Serialises Publish() so every subscriber sees one order.
  mutable std::mutex mutex_;  // Guards the fields below.
  uint64_t last_published_position_ = 0;
  std::vector<std::weak_ptr<LiveSubscriber>> subscribers_;
  std::vector<const LiveSubscriber*> subscriber_keys_;
};

}  // namespace tranche::api
