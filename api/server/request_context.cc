// RequestContext helpers and the Responder's once-only delivery.
#include "api/server/request_context.h"

#include "api/server/error_response.h"

namespace tranche::api {

std::optional<std::string> RequestContext::Query(const std::string& name) const {
  auto it = query_params.find(name);
  if (it == query_params.end()) return std::nullopt;
  return it->second;
}

Response Response::Json(unsigned status, std::string json_text) {
  Response response;
  response.status = status;
  response.body = std::move(json_text);
  return response;
}

Response Response::SharedJson(unsigned status, std::shared_ptr<const std::string> json_text) {
  Response response;
  response.status = status;
  response.shared_body = std::move(json_text);
  return response;
}

Responder::Responder(SendFunction send) : state_(std::make_shared<State>(std::move(send))) {}

void Responder::Send(Response response) const {
  if (!state_) return;
  if (state_->sent.exchange(true)) return;
  state_->send(std::move(response));
}

bool Responder::sent() const { return state_ && state_->sent.load(); }

Responder::State::~State() {
  if (!sent.exchange(true) && send) {
    send(ErrorResponse(500, "internal", "the handler gave no answer"));
  }
}

}  // namespace tranche::api
