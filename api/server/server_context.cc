// Shared state of the server's sessions, and the JSON log line writer.
#include "api/server/server_context.h"

#include <ctime>

#include "api/server/stdout_log.h"

namespace tranche::api {

void LogToStdout(const nlohmann::json& line) {
  StdoutLog::Instance().Append(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void FlushStdoutLog() { StdoutLog::Instance().Flush(); }

std::string NowRfc3339() {
  auto now = std::chrono::system_clock::now();
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(us / 1'000'000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(us % 1'000'000));
  return text;
}

ServerContext::ServerContext(ServerOptions server_options, const Router& server_router,
                             const Authenticator& server_authenticator, Metrics& server_metrics,
                             Broadcaster& server_broadcaster, eventstore::EventStore& event_store)
    : options(std::move(server_options)),
      router(server_router),
      authenticator(server_authenticator),
      metrics(server_metrics),
      broadcaster(server_broadcaster),
      store(event_store) {}

void ServerContext::Log(nlohmann::json line) const {
  line["ts"] = NowRfc3339();
  if (options.log) {
    options.log(line);
  } else {
    LogToStdout(line);
  }
}

uint64_t ServerContext::Register(const std::shared_ptr<StoppableSession>& session) {
  std::lock_guard lock(mutex_);
  uint64_t id = next_id_++;
  sessions_[id] = session;
  return id;
}

void ServerContext::Unregister(uint64_t id) {
  std::lock_guard lock(mutex_);
  sessions_.erase(id);
}

void ServerContext::ShutdownSessions() {
  std::vector<std::shared_ptr<StoppableSession>> live;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, weak] : sessions_) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
  }
  for (auto& session : live) session->Shutdown();
}

}  // namespace tranche::api
