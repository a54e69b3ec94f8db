// HttpClient: synchronous HTTP/1.1 requests to tranched (Boost.Beast).
//
// One connection per request: the CLI makes a handful of calls per run, so
// keep-alive would buy nothing. Every request has a deadline and every
// response body a size limit.
// Thread-safety: one HttpClient per thread.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace tranche::cli {

// A whole request (connect, write, read) must finish within this.
inline constexpr int kHttpRequestTimeoutSeconds = 60;
// Exports of the whole ledger are the largest answers.
inline constexpr uint64_t kHttpResponseBytesMax = 256ull * 1024 * 1024;
inline constexpr const char* kDefaultUrl = "http://127.0.0.1:8080";

// Where the server is: parsed from "http://host[:port]".
struct ServerAddress {
  std::string host;
  std::string port = "80";
  // Parses `url`. Errors: kInvalidArgument "invalid_url" (only http:// is
  // spoken; put TLS in front with a proxy).
  static StatusOr<ServerAddress> Parse(const std::string& url);
};

struct HttpReply {
  unsigned status = 0;
  std::string content_type;
  std::string body;
};

class HttpClient {
 public:
  HttpClient(ServerAddress address, std::string token)
      : address_(std::move(address)), token_(std::move(token)) {}

  // The reply, whatever its status. Errors: kUnavailable "server_unreachable"
  // when connecting, writing or reading failed or timed out.
  StatusOr<HttpReply> Get(const std::string& target) const;
  StatusOr<HttpReply> Post(const std::string& target, const std::string& json_body) const;

  const ServerAddress& address() const { return address_; }
  const std::string& token() const { return token_; }

 private:
  StatusOr<HttpReply> Request(bool post, const std::string& target, const std::string& body) const;

  ServerAddress address_;
  std::string token_;
};

// Percent-encodes a query parameter value.
std::string UrlEncode(const std::string& text);

}  // namespace tranche::cli
