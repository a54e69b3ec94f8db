// From a parsed HTTP request to what the router and the upgrade take.
#include "api/server/http_request.h"

#include "api/server/error_response.h"
#include "api/server/limits.h"

namespace tranche::api {
namespace beast = boost::beast;
namespace http = beast::http;

void ApplyRequestLimits(HttpRequestParser* parser) {
  parser->header_limit(kHttpHeaderBytesMax);
  parser->body_limit(kHttpBodyBytesMax);
}

std::optional<Response> ReadErrorResponse(beast::error_code ec) {
  if (ec == http::error::header_limit) {
    return ErrorResponse(kHttpHeadersTooLarge, "headers_too_large",
                         "request headers exceed the limit",
                         {{"limit_bytes", kHttpHeaderBytesMax}});
  }
  if (ec == http::error::body_limit) {
    return ErrorResponse(kHttpPayloadTooLarge, "body_too_large", "request body exceeds the limit",
                         {{"limit_bytes", kHttpBodyBytesMax}});
  }
  if (ec.category() == beast::error_code(http::error::bad_target).category() &&
      ec != http::error::end_of_stream && ec != http::error::partial_message) {
    return ErrorResponse(kHttpBadRequest, "bad_request", "malformed HTTP request",
                         {{"parse_error", ec.message()}});
  }
  return std::nullopt;
}

RawRequest ToRawRequest(HttpRequest request, std::string remote) {
  RawRequest raw;
  raw.method = std::string(request.method_string());
  raw.target = std::string(request.target());
  raw.body = std::move(request.body());
  raw.content_type = std::string(request[http::field::content_type]);
  raw.authorization = std::string(request[http::field::authorization]);
  raw.remote = std::move(remote);
  return raw;
}

std::variant<StreamUpgrade, Response> CheckStreamUpgrade(const HttpRequest& request,
                                                         const Router& router,
                                                         const Authenticator& authenticator) {
  StreamUpgrade upgrade;
  std::map<std::string, std::string> query;
  std::string error;
  if (!ParseTarget(std::string(request.target()), &upgrade.path, &query, &error)) {
    return ErrorResponse(kHttpBadRequest, "bad_request", error, {{"field", "target"}});
  }
  Router::Match match = router.Find("GET", upgrade.path);
  if (match.kind != Router::MatchKind::kFound ||
      router.route(match.route_index).pattern != kStreamRoute) {
    return ErrorResponse(kHttpNotFound, "not_found", "no WebSocket here", {{"path", upgrade.path}});
  }
  RawRequest raw;
  raw.authorization = std::string(request[http::field::authorization]);
  raw.allow_query_token = true;
  if (auto denied = Router::Authorize(raw, query, router.route(match.route_index).access,
                                      authenticator, &upgrade.principal)) {
    return std::move(*denied);
  }
  if (auto bad = ParseStreamQuery(query, &upgrade.query)) return std::move(*bad);
  return upgrade;
}

}  // namespace tranche::api
