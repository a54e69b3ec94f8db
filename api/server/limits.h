// Limits of the HTTP and WebSocket server: every queue, buffer, body, message
// and timeout the server keeps, each a named constant with its unit.
//
// ServerOptions (server.h) starts from these values; tests shorten the
// timeouts through it. Each limit has a test in tests/api/.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace tranche::api {

// HTTP.
inline constexpr size_t kHttpBodyBytesMax = 64 * 1024;    // Larger: 413.
inline constexpr size_t kHttpHeaderBytesMax = 8 * 1024;   // Larger: 431.
inline constexpr size_t kHttpPipelinedRequestsMax = 8;    // Read no further ahead.
inline constexpr size_t kHttpConnectionsMax = 1024;       // Beyond: 503, then close.
inline constexpr std::chrono::milliseconds kHttpReadTimeout{10'000};   // One request's bytes.
inline constexpr std::chrono::milliseconds kHttpIdleTimeout{60'000};   // Keep-alive wait.
inline constexpr std::chrono::milliseconds kHttpWriteTimeout{30'000};  // One response.
inline constexpr std::chrono::milliseconds kHttpRejectTimeout{2'000};  // Writing a 503.
inline constexpr size_t kHttpQueryParamsMax = 32;
inline constexpr size_t kEventsPageLimitMax = 1000;     // GET /v1/events?limit=.
inline constexpr size_t kEventsPageLimitDefault = 100;

// WebSocket /v1/stream.
inline constexpr size_t kWebSocketQueueMessagesMax = 1024;       // Per-session send queue.
inline constexpr size_t kWebSocketIncomingBytesMax = 4 * 1024;   // Larger: close 1009.
inline constexpr size_t kWebSocketCatchUpBatchEventsMax = 256;   // One store read.
// With frames=batch, one frame carries queued messages up to this many bytes
// (a single larger message still goes alone).
inline constexpr size_t kWebSocketBatchFrameBytesMax = 256 * 1024;
// A filtered session sends a checkpoint after this many positions without a
// matching event.
inline constexpr uint64_t kWebSocketCheckpointPositionsMax = 1000;
inline constexpr std::chrono::milliseconds kWebSocketStallTimeout{30'000};
inline constexpr std::chrono::milliseconds kWebSocketHandshakeTimeout{10'000};
inline constexpr std::chrono::milliseconds kWebSocketCloseTimeout{5'000};

// Shutdown: how long in-flight requests may take before connections are cut.
inline constexpr std::chrono::milliseconds kShutdownGraceTimeout{10'000};

}  // namespace tranche::api
