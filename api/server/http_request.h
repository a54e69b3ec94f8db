// The socket-free half of an HTTP connection: the parser's limits, the answer
// to a request that cannot be read, a parsed request as the router takes it,
// and the decision on a WebSocket upgrade. HttpSession calls these on bytes it
// read; the fuzzer tests/fuzz/http_request_fuzzer.cc calls the same functions
// on bytes it made, so both run one code path.
//
// Threads: pure functions over their arguments; the Router and Authenticator
// are used read-only (see router.h).
#pragma once

#include <boost/beast/core/error.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <string>
#include <variant>

#include "api/auth/principal.h"
#include "api/server/request_context.h"
#include "api/server/router.h"
#include "api/server/websocket_session.h"

namespace tranche::api {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpRequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// Sets the server's limits on a fresh parser: kHttpHeaderBytesMax and
// kHttpBodyBytesMax (limits.h).
void ApplyRequestLimits(HttpRequestParser* parser);

// The answer to a read that failed with `ec`: 431 (headers over the limit),
// 413 (body over the limit) or 400 (malformed HTTP). nullopt when there is no
// one to answer: the end of the stream, a reset or a timeout.
std::optional<Response> ReadErrorResponse(boost::beast::error_code ec);

// The request as the router takes it; `remote` is the peer, for logs.
RawRequest ToRawRequest(HttpRequest request, std::string remote);

using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

// The answer as Beast's message: `response`'s status, "Server: tranched",
// its Content-Type and extra headers, Connection for `close` (keep_alive),
// Content-Length (prepare_payload). The body is copied.
HttpResponse ResponseMessage(const Response& response, unsigned version, bool close);

// The status line and header fields of ResponseMessage(response, version,
// close), byte for byte as Beast's serializer writes them (ending in the
// blank line), built without a Beast message; the body follows them on the
// wire. nullopt where Beast's fields would do more than append each field
// (HTTP/1.0's keep-alive, a status without a body, a field Beast replaces,
// merges or trims): then the caller writes ResponseMessage.
std::optional<std::string> ResponseHead(const Response& response, unsigned version, bool close);

// A WebSocket upgrade that may go ahead: the stream's query and the caller.
struct StreamUpgrade {
  std::string path;
  StreamQuery query;
  std::optional<Principal> principal;
};

// Decides a WebSocket upgrade request: it must target /v1/stream, carry a
// token (header or ?access_token=) of a role that may read the stream, and a
// valid stream query. Otherwise returns the response that refuses it (400,
// 401, 403 or 404).
std::variant<StreamUpgrade, Response> CheckStreamUpgrade(const HttpRequest& request,
                                                         const Router& router,
                                                         const Authenticator& authenticator);

}  // namespace tranche::api
