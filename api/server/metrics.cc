// Metric families and the text exposition.
#include "api/server/metrics.h"

#include <prometheus/text_serializer.h>

namespace tranche::api {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;
using prometheus::Histogram;

// Latency buckets in seconds: 100 µs … 5 s.
Histogram::BucketBoundaries LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
          0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5, 5};
}
Histogram::BucketBoundaries SizeBuckets() { return {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}; }

}  // namespace

Metrics::Metrics()
    : registry(std::make_shared<prometheus::Registry>()),
      commands(BuildCounter().Name("tranche_commands_total")
                   .Help("Commands handled, by command type and outcome.")
                   .Register(*registry)),
      command_latency_seconds(BuildHistogram().Name("tranche_command_latency_seconds")
                                  .Help("Time from enqueue to durable, per command.")
                                  .Register(*registry)
                                  .Add({}, LatencyBuckets())),
      events_appended(BuildCounter().Name("tranche_events_appended_total")
                          .Help("Events made durable.")
                          .Register(*registry)
                          .Add({})),
      commit_group_commands(BuildHistogram().Name("tranche_commit_group_commands")
                                .Help("Commands per commit group (one WriteBatch).")
                                .Register(*registry)
                                .Add({}, SizeBuckets())),
      commit_group_events(BuildHistogram().Name("tranche_commit_group_events")
                              .Help("Events per commit group (one WriteBatch).")
                              .Register(*registry)
                              .Add({}, SizeBuckets())),
      fsync_latency_seconds(BuildHistogram().Name("tranche_fsync_latency_seconds")
                                .Help("Time to write one WriteBatch with sync = true.")
                                .Register(*registry)
                                .Add({}, LatencyBuckets())),
      head_position(BuildGauge().Name("tranche_head_position")
                        .Help("Position of the last durable event.")
                        .Register(*registry)
                        .Add({})),
      websocket_sessions(BuildGauge().Name("tranche_websocket_sessions")
                             .Help("Open /v1/stream sessions.")
                             .Register(*registry)
                             .Add({})),
      websocket_messages_sent(BuildCounter().Name("tranche_websocket_messages_sent_total")
                                  .Help("Messages written to /v1/stream sessions.")
                                  .Register(*registry)
                                  .Add({})),
      websocket_catchup_fallbacks(
          BuildCounter().Name("tranche_websocket_catchup_fallbacks_total")
              .Help("Sessions moved from live delivery back to catch-up reads.")
              .Register(*registry)
              .Add({})),
      websocket_closes(BuildCounter().Name("tranche_websocket_closes_total")
                           .Help("Closed /v1/stream sessions, by reason.")
                           .Register(*registry)),
      http_requests(BuildCounter().Name("tranche_http_requests_total")
                        .Help("HTTP requests answered, by route pattern and status.")
                        .Register(*registry)),
      view_cache_hits(BuildCounter().Name("tranche_view_cache_hits_total")
                          .Help("Current-state GETs answered with a body kept for the head.")
                          .Register(*registry)
                          .Add({})),
      view_cache_misses(BuildCounter().Name("tranche_view_cache_misses_total")
                            .Help("Current-state GETs rendered (no body kept for the head).")
                            .Register(*registry)
                            .Add({})) {
  // Every close reason exists from the start at zero, so the family is always
  // exposed and rate() sees the first close of each kind.
  for (const char* reason : kWebSocketCloseReasons) websocket_closes.Add({{"reason", reason}});
}

void Metrics::RecordCommand(const std::string& type, const std::string& outcome) {
  thread_local std::string key;  // Reused: no allocation once it has grown.
  key.assign(type).push_back('\0');
  key.append(outcome);
  prometheus::Counter* counter;
  {
    std::lock_guard lock(command_counters_mutex_);
    auto found = command_counters_.find(key);
    if (found == command_counters_.end()) {
      found = command_counters_
                  .emplace(key, &commands.Add({{"type", type}, {"outcome", outcome}}))
                  .first;
    }
    counter = found->second;
  }
  counter->Increment();  // Thread-safe on its own.
}

void Metrics::ObserveCommandLatency(double seconds) { command_latency_seconds.Observe(seconds); }

void Metrics::RecordCommitGroup(size_t commands_in_group, size_t events, double fsync_seconds,
                                uint64_t head) {
  commit_group_commands.Observe(static_cast<double>(commands_in_group));
  commit_group_events.Observe(static_cast<double>(events));
  fsync_latency_seconds.Observe(fsync_seconds);
  events_appended.Increment(static_cast<double>(events));
  head_position.Set(static_cast<double>(head));
}

void Metrics::RecordWebSocketClose(const std::string& reason) {
  websocket_closes.Add({{"reason", reason}}).Increment();
}

void Metrics::RecordHttpRequest(const std::string& route, unsigned status) {
  HttpRequestCounter(route, status).Increment();
}

prometheus::Counter& Metrics::HttpRequestCounter(const std::string& route, unsigned status) {
  return http_requests.Add({{"route", route}, {"status", std::to_string(status)}});
}

std::string Metrics::Serialize() const {
  prometheus::TextSerializer serializer;
  return serializer.Serialize(registry->Collect());
}

}  // namespace tranche::api
