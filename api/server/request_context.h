// What a route handler receives (a parsed request) and how it answers (a
// Responder). Handlers never see sockets, so tests call them directly.
//
// Threads: a RequestContext is a value. A Responder may be copied and used
// from any thread, at any later time; only its first Send() counts. If every
// copy is destroyed without a Send(), the request is answered 500 so that a
// forgotten reply never hangs a client.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/auth/principal.h"

namespace tranche::api {

struct RequestContext {
  std::string method;  // "GET", "POST", ...
  std::string target;  // As received, e.g. "/v1/events?from=3".
  std::string path;    // Decoded path without the query, e.g. "/v1/events".
  std::string route;   // The matched pattern, e.g. "/v1/clusters/{id}".
  std::map<std::string, std::string> path_params;   // {id} → "wessex".
  std::map<std::string, std::string> query_params;  // Percent-decoded; last one wins.
  std::string body;
  std::string content_type;
  std::optional<Principal> principal;  // Set for routes that need a token.
  std::string remote;                  // "127.0.0.1:53412", for logs.

  // Query parameter or nullopt.
  std::optional<std::string> Query(const std::string& name) const;
};

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // Extra headers.
  // When set, the body is this shared string and `body` is unused: a kept
  // rendering (RenderedViewCache) goes out to every request without a copy.
  std::shared_ptr<const std::string> shared_body;

  // The body, wherever it is kept.
  std::string_view Body() const { return shared_body ? std::string_view(*shared_body) : body; }

  static Response Json(unsigned status, std::string json_text);
  static Response SharedJson(unsigned status, std::shared_ptr<const std::string> json_text);
};

class Responder {
 public:
  using SendFunction = std::function<void(Response)>;
  explicit Responder(SendFunction send);
  Responder() = default;  // Sends nowhere.

  // Answers the request. Later calls are ignored.
  void Send(Response response) const;
  bool sent() const;

 private:
  struct State {
    explicit State(SendFunction f) : send(std::move(f)) {}
    ~State();
    SendFunction send;
    std::atomic<bool> sent{false};
  };
  std::shared_ptr<State> state_;
};

}  // namespace tranche::api
