// Metrics: the Prometheus families of issue 4, in one registry, served as
// text at GET /metrics by the Beast server (no civetweb exposer).
//
// Names (all prefixed tranche_):
//   commands_total{type,outcome}            counter   (outcome: accepted, duplicate, rejected, conflict, invalid, failed)
//   command_latency_seconds                 histogram enqueue → durable
//   events_appended_total                   counter
//   commit_group_commands                   histogram commands per WriteBatch
//   commit_group_events                     histogram events per WriteBatch
//   fsync_latency_seconds                   histogram one WriteBatch with sync=true
//   head_position                           gauge
//   websocket_sessions                      gauge     open /v1/stream sessions
//   websocket_messages_sent_total           counter
//   websocket_catchup_fallbacks_total       counter   live → catch-up (queue full)
//   websocket_closes_total{reason}          counter
//   http_requests_total{route,status}       counter   route is the pattern, not the path
//   view_cache_hits_total                   counter   current-state GETs answered from the
//                                                     RenderedViewCache (api/routes/)
//   view_cache_misses_total                 counter   current-state GETs rendered
//
// Threads: every method may be called from any thread (prometheus-cpp
// metrics are thread-safe). A Metrics must outlive everything recording
// into it.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace tranche::api {

// The values of websocket_closes_total's `reason` label.
inline constexpr const char* kWebSocketCloseReasons[] = {
    "client", "stalled", "shutdown", "store_error", "message_too_big", "error"};

struct Metrics {
  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Recording helpers for the command pipeline and the store.
  void RecordCommand(const std::string& type, const std::string& outcome);
  void ObserveCommandLatency(double seconds);
  void RecordCommitGroup(size_t commands, size_t events, double fsync_seconds,
                         uint64_t head_position);
  void RecordWebSocketClose(const std::string& reason);
  void RecordHttpRequest(const std::string& route, unsigned status);
  // The counter RecordHttpRequest increments; it lives as long as this
  // Metrics, so a caller may keep it for the next request with the same
  // route and status.
  prometheus::Counter& HttpRequestCounter(const std::string& route, unsigned status);

  // The registry in the text exposition format.
  std::string Serialize() const;

  const std::shared_ptr<prometheus::Registry> registry;
  prometheus::Family<prometheus::Counter>& commands;
  prometheus::Histogram& command_latency_seconds;
  prometheus::Counter& events_appended;
  prometheus::Histogram& commit_group_commands;
  prometheus::Histogram& commit_group_events;
  prometheus::Histogram& fsync_latency_seconds;
  prometheus::Gauge& head_position;
  prometheus::Gauge& websocket_sessions;
  prometheus::Counter& websocket_messages_sent;
  prometheus::Counter& websocket_catchup_fallbacks;
  prometheus::Family<prometheus::Counter>& websocket_closes;
  prometheus::Family<prometheus::Counter>& http_requests;
  prometheus::Counter& view_cache_hits;
  prometheus::Counter& view_cache_misses;

 private:
  // RecordCommand's counters by "type\0outcome": every command counts one,
  // and Family::Add builds a label map (six allocations) to find it.
  std::mutex command_counters_mutex_;
  std::unordered_map<std::string, prometheus::Counter*> command_counters_;
};

}  // namespace tranche::api
