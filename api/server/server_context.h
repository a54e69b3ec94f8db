// ServerContext: what every session shares (chat-multi's shared_state): the
// router, authenticator, metrics, broadcaster, store, options, the connection
// count and the registry of open sessions that shutdown walks.
//
// Threads: everything here is safe from any thread. The Server owns the
// context; sessions hold a shared_ptr to it, so it outlives them.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "api/auth/token_store.h"
#include "api/server/broadcaster.h"
#include "api/server/limits.h"
#include "api/server/metrics.h"
#include "api/server/router.h"
#include "eventstore/event_store.h"

namespace tranche::api {

struct ServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 8080;  // 0: an ephemeral port (see Server::port()).
  size_t connections_max = kHttpConnectionsMax;
  std::chrono::milliseconds http_read_timeout = kHttpReadTimeout;
  std::chrono::milliseconds http_idle_timeout = kHttpIdleTimeout;
  std::chrono::milliseconds http_write_timeout = kHttpWriteTimeout;
  size_t websocket_queue_messages_max = kWebSocketQueueMessagesMax;
  std::chrono::milliseconds websocket_stall_timeout = kWebSocketStallTimeout;
  std::chrono::milliseconds websocket_close_timeout = kWebSocketCloseTimeout;
  uint64_t websocket_checkpoint_positions = kWebSocketCheckpointPositionsMax;
  // One JSON object per line; default: stdout. Never given a token.
  std::function<void(const nlohmann::json&)> log;
};

// Writes one JSON log line to stdout (thread-safe). The line is queued and
// written by a writer thread within microseconds, in order, never dropped
// (see stdout_log.h); FlushStdoutLog returns once every queued line is out.
void LogToStdout(const nlohmann::json& line);
void FlushStdoutLog();
// "2024-01-01T00:00:00.000000Z" now.
std::string NowRfc3339();

// The fields of the one log line per answered HTTP request.
struct RequestLogLine {
  std::string_view method;
  std::string_view path;
  std::string_view route;
  unsigned status = 0;
  double duration_ms = 0;
  std::string_view principal;
  std::string_view remote;
};
// The line as a JSON object ("level":"info", "msg":"request", and `ts`).
nlohmann::json RequestLogJson(const RequestLogLine& line, std::string_view ts);
// The same line as text, byte for byte what RequestLogJson(line, ts).dump()
// gives (the keys in order, the same escaping and number format), written
// without building the object: every request writes one.
std::string RequestLogText(const RequestLogLine& line, std::string_view ts);

// A session that shutdown can ask to finish.
class StoppableSession {
 public:
  virtual ~StoppableSession() = default;
  // Finish what is in flight, then close. Any thread.
  virtual void Shutdown() = 0;
};

struct ServerContext {
  ServerContext(ServerOptions options, const Router& router, const Authenticator& authenticator,
                Metrics& metrics, Broadcaster& broadcaster, eventstore::EventStore& store);

  void Log(nlohmann::json line) const;
  // The request's log line: to options.log as a JSON object when given,
  // otherwise straight to the stdout log as text.
  void LogRequest(const RequestLogLine& line) const;
  uint64_t Register(const std::shared_ptr<StoppableSession>& session);
  void Unregister(uint64_t id);
  // Asks every registered session to shut down.
  void ShutdownSessions();

  const ServerOptions options;
  const Router& router;
  const Authenticator& authenticator;
  Metrics& metrics;
  Broadcaster& broadcaster;
  eventstore::EventStore& store;
  std::atomic<size_t> connections{0};
  std::atomic<bool> stopping{false};

 private:
  std::mutex mutex_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::weak_ptr<StoppableSession>> sessions_;
};

// Counts one open connection for as long as it lives (moves with the socket
// from the HTTP session to the WebSocket session).
class ConnectionSlot {
 public:
  explicit ConnectionSlot(std::shared_ptr<ServerContext> context) : context_(std::move(context)) {}
  ConnectionSlot(ConnectionSlot&&) = default;
  ConnectionSlot& operator=(ConnectionSlot&&) = delete;
  ~ConnectionSlot() {
    if (context_) context_->connections.fetch_sub(1);
  }

 private:
  std::shared_ptr<ServerContext> context_;
};

}  // namespace tranche::api
