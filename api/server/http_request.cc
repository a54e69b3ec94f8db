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

HttpResponse ResponseMessage(const Response& response, unsigned version, bool close) {
  HttpResponse message;
  message.version(version);
  message.result(response.status);
  message.set(http::field::server, "tranched");
  message.set(http::field::content_type, response.content_type);
  for (const auto& [name, value] : response.headers) message.set(name, value);
  message.body() = std::string(response.Body());
  message.keep_alive(!close);
  message.prepare_payload();
  return message;
}

namespace {

// A field name or value that Beast stores and writes exactly as given:
// visible ASCII (and inner spaces in a value), nothing for it to trim.
bool PlainFieldText(std::string_view text, bool is_value) {
  if (text.empty()) return !is_value;
  if (is_value && (text.front() == ' ' || text.back() == ' ')) return false;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte > 0x7e || byte < 0x20 || (byte == ' ' && !is_value)) return false;
  }
  return true;
}

// Fields that ResponseMessage sets itself or that Beast's keep_alive and
// prepare_payload look at.
bool ReservedField(std::string_view name) {
  for (std::string_view reserved :
       {"server", "content-type", "connection", "content-length", "transfer-encoding"}) {
    if (beast::iequals(name, reserved)) return true;
  }
  return false;
}

}  // namespace

std::optional<std::string> ResponseHead(const Response& response, unsigned version, bool close) {
  if (version != 11) return std::nullopt;
  if (response.status < 200 || response.status > 999 || response.status == 204 ||
      response.status == 304) {
    return std::nullopt;
  }
  if (response.content_type.empty() || !PlainFieldText(response.content_type, true)) {
    return std::nullopt;
  }
  for (size_t i = 0; i < response.headers.size(); ++i) {
    const auto& [name, value] = response.headers[i];
    if (name.empty() || !PlainFieldText(name, false) || !PlainFieldText(value, true) ||
        ReservedField(name)) {
      return std::nullopt;
    }
    for (size_t j = 0; j < i; ++j) {
      if (beast::iequals(name, response.headers[j].first)) return std::nullopt;
    }
  }
  const std::string_view reason = http::obsolete_reason(http::int_to_status(response.status));
  std::string head;
  head.reserve(96 + response.content_type.size() + reason.size());
  head += "HTTP/1.1 ";
  head += std::to_string(response.status);
  head += ' ';
  head += reason;
  head += "\r\nServer: tranched\r\nContent-Type: ";
  head += response.content_type;
  head += "\r\n";
  for (const auto& [name, value] : response.headers) {
    head += name;
    head += ": ";
    head += value;
    head += "\r\n";
  }
  if (close) head += "Connection: close\r\n";
  head += "Content-Length: ";
  head += std::to_string(response.Body().size());
  head += "\r\n\r\n";
  return head;
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
