// Broadcaster: hands committed events to every live /v1/stream session.
//
// Publish() takes events that are already durable, in position order, and
// queues them for the flusher thread, which hands them on at most once per
// flush interval: a quiet stream's first event goes at once, and under load
// everything published during one interval travels together. Each flush
// renders every event's message once (shared_ptr<const std::string>), also
// renders the whole flush as one batch frame "[m1,\nm2]" that every
// unfiltered frames=batch session can send as it is, copies the subscriber
// list under the lock and hands the batch to each subscriber outside it. A
// subscriber's OnLive() only posts to its own io thread, so a slow subscriber
// never slows Publish() or the others; what it cannot queue it later reads
// back from the store (see websocket_session.h). Nothing is queued or
// rendered while nobody listens.
//
// Why the interval (docs/DECISIONS.md §13): with 1,000 subscribers every
// flush is 1,000 frame writes, whatever it holds, so the number of flushes,
// not of events, is what the server's two cores pay for.
//
// Threads: Publish() may be called from any thread; callers must call it in
// position order. Join/Leave from any thread. The flusher thread starts with
// the first event queued and ends in Stop(), which the server calls as it
// stops (a flush must not post into an io_context being destroyed) and the
// destructor calls too. The Broadcaster must outlive the server's sessions.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "api/server/event_json.h"
#include "api/server/metrics.h"
#include "eventstore/event_store.h"

namespace tranche::api {

// The default time between two flushes to live sessions.
inline constexpr std::chrono::milliseconds kLiveFlushIntervalDefault{20};
inline constexpr std::chrono::milliseconds kLiveFlushIntervalMax{1000};

struct LiveEvent {
  uint64_t position = 0;
  std::string stream;
  std::string type;
  std::shared_ptr<const std::string> message;  // The rendered /v1/stream message.
};

// One flush: events in position order, without holes between them.
struct LiveFlush {
  std::vector<LiveEvent> events;
  // The messages of `events` as one frames=batch frame, "[m1,\nm2]".
  std::string frame;
};
using LiveBatch = std::shared_ptr<const LiveFlush>;

class LiveSubscriber {
 public:
  virtual ~LiveSubscriber() = default;
  // Called outside the broadcaster's lock on the flusher thread; must only
  // hand the batch on (post), never block.
  virtual void OnLive(LiveBatch batch) = 0;
};

class Broadcaster {
 public:
  explicit Broadcaster(EventRenderer renderer = nullptr,
                       std::chrono::microseconds flush_interval = kLiveFlushIntervalDefault);
  ~Broadcaster();
  Broadcaster(const Broadcaster&) = delete;
  Broadcaster& operator=(const Broadcaster&) = delete;

  // Installs the domain renderer and the flush interval (before the server
  // starts).
  void SetRenderer(EventRenderer renderer);
  void SetFlushInterval(std::chrono::microseconds flush_interval);
  // Durable events in position order. Events at or below the last published
  // position are ignored, so a replayed batch is harmless. Never waits for a
  // flush.
  void Publish(std::span<const eventstore::RecordedEvent> events);
  void Publish(std::initializer_list<eventstore::RecordedEvent> events) {
    Publish(std::span(events.begin(), events.size()));
  }
  // Drops what is not yet flushed, waits for a flush under way and ends the
  // flusher; Publish() is ignored afterwards. Sessions still open resume from
  // the position their close frame names. Idempotent.
  void Stop();

  void Join(const std::shared_ptr<LiveSubscriber>& subscriber);
  void Leave(const LiveSubscriber* subscriber);

  // The /v1/stream message for an event (catch-up reads use it too).
  std::string RenderMessage(const eventstore::RecordedEvent& event) const;
  const EventRenderer& renderer() const { return renderer_; }
  uint64_t last_published_position() const;
  size_t subscriber_count() const;
  uint64_t flushes() const;  // Flushes that reached at least one subscriber.

 private:
  using Clock = std::chrono::steady_clock;
  void RunFlusher();
  void Flush(const std::vector<eventstore::RecordedEvent>& events,
             const std::vector<std::shared_ptr<LiveSubscriber>>& targets);

  EventRenderer renderer_;
  std::chrono::microseconds flush_interval_;
  mutable std::mutex mutex_;  // Guards the fields below.
  std::condition_variable wake_;
  uint64_t last_published_position_ = 0;
  std::vector<eventstore::RecordedEvent> pending_;  // Published, not yet flushed.
  Clock::time_point last_flush_{};
  uint64_t flushes_ = 0;
  bool stopping_ = false;
  std::thread flusher_;
  std::vector<std::weak_ptr<LiveSubscriber>> subscribers_;
  std::vector<const LiveSubscriber*> subscriber_keys_;
};

}  // namespace tranche::api
