// Shared state of the server's sessions, and the JSON log line writer.
#include "api/server/server_context.h"

#include <cmath>
#include <cstring>
#include <ctime>

#include "api/server/event_json.h"
#include "api/server/stdout_log.h"

namespace tranche::api {

void LogToStdout(const nlohmann::json& line) {
  StdoutLog::Instance().Append(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void FlushStdoutLog() { StdoutLog::Instance().Flush(); }

std::string NowRfc3339() {
  auto now = std::chrono::system_clock::now();
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(us / 1'000'000);
  // "YYYY-MM-DDTHH:MM:SS" changes once a second: each thread keeps the last.
  thread_local std::time_t cached_seconds = -1;
  thread_local char cached_prefix[64];
  if (seconds != cached_seconds) {
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    std::snprintf(cached_prefix, sizeof cached_prefix, "%04d-%02d-%02dT%02d:%02d:%02d",
                  tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_seconds = seconds;
  }
  char fraction[8] = {'.', '0', '0', '0', '0', '0', '0', 'Z'};
  for (int i = 6, micros = static_cast<int>(us % 1'000'000); i >= 1; --i, micros /= 10) {
    fraction[i] = static_cast<char>('0' + micros % 10);
  }
  const size_t prefix = std::strlen(cached_prefix);
  std::string text(prefix + sizeof fraction, '\0');  // One allocation.
  std::memcpy(text.data(), cached_prefix, prefix);
  std::memcpy(text.data() + prefix, fraction, sizeof fraction);
  return text;
}

nlohmann::json RequestLogJson(const RequestLogLine& line, std::string_view ts) {
  return {{"level", "info"},
          {"msg", "request"},
          {"method", line.method},
          {"path", line.path},
          {"route", line.route},
          {"status", line.status},
          {"duration_ms", line.duration_ms},
          {"principal", line.principal},
          {"remote", line.remote},
          {"ts", ts}};
}

std::string RequestLogText(const RequestLogLine& line, std::string_view ts) {
  // nlohmann's objects are sorted by key; this is that order.
  std::string out;
  out.reserve(256 + line.path.size());
  out += "{\"duration_ms\":";
  // The formatter nlohmann's dump() uses for a double (Grisu2; null when not
  // finite), without the DOM value and its serializer's allocations.
  if (std::isfinite(line.duration_ms)) {
    char number[64];
    char* end = nlohmann::detail::to_chars(number, number + sizeof number, line.duration_ms);
    out.append(number, static_cast<size_t>(end - number));
  } else {
    out += "null";
  }
  out += ",\"level\":\"info\",\"method\":";
  AppendJsonString(&out, line.method);
  out += ",\"msg\":\"request\",\"path\":";
  AppendJsonString(&out, line.path);
  out += ",\"principal\":";
  AppendJsonString(&out, line.principal);
  out += ",\"remote\":";
  AppendJsonString(&out, line.remote);
  out += ",\"route\":";
  AppendJsonString(&out, line.route);
  out += ",\"status\":";
  out += std::to_string(line.status);
  out += ",\"ts\":";
  AppendJsonString(&out, ts);
  out += '}';
  return out;
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

void ServerContext::LogRequest(const RequestLogLine& line) const {
  if (options.log) {
    options.log(RequestLogJson(line, NowRfc3339()));
  } else {
    StdoutLog::Instance().Append(RequestLogText(line, NowRfc3339()));
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
