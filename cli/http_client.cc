// Synchronous Beast HTTP client for the CLI.
#include "cli/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>

namespace tranche::cli {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

}  // namespace

StatusOr<ServerAddress> ServerAddress::Parse(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) {
    return Status::InvalidArgument("invalid_url", "the URL must start with http:// (" + url + ")");
  }
  std::string rest = url.substr(scheme.size());
  if (size_t slash = rest.find('/'); slash != std::string::npos) {
    if (rest.substr(slash) != "/") {
      return Status::InvalidArgument("invalid_url", "the URL may not have a path (" + url + ")");
    }
    rest.resize(slash);
  }
  ServerAddress address;
  size_t colon = rest.rfind(':');
  if (!rest.empty() && rest.front() == '[') {  // [::1]:8080
    size_t close = rest.find(']');
    if (close == std::string::npos) return Status::InvalidArgument("invalid_url", "bad IPv6 host");
    address.host = rest.substr(1, close - 1);
    colon = rest.size() > close + 1 && rest[close + 1] == ':' ? close + 1 : std::string::npos;
  } else {
    address.host = rest.substr(0, colon);
  }
  if (colon != std::string::npos) address.port = rest.substr(colon + 1);
  if (address.host.empty() || address.port.empty() ||
      address.port.find_first_not_of("0123456789") != std::string::npos) {
    return Status::InvalidArgument("invalid_url", "expected http://HOST[:PORT], got " + url);
  }
  return address;
}

StatusOr<HttpReply> HttpClient::Get(const std::string& target) const {
  return Request(false, target, "");
}

StatusOr<HttpReply> HttpClient::Post(const std::string& target, const std::string& body) const {
  return Request(true, target, body);
}

StatusOr<HttpReply> HttpClient::Request(bool post, const std::string& target,
                                        const std::string& body) const {
  // Beast and Asio report errors as exceptions or error codes; none leaves here.
  try {
    net::io_context io;
    net::ip::tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(kHttpRequestTimeoutSeconds));
    stream.connect(resolver.resolve(address_.host, address_.port));

    http::request<http::string_body> request(post ? http::verb::post : http::verb::get, target, 11);
    request.set(http::field::host, address_.host + ":" + address_.port);
    request.set(http::field::user_agent, "tranche-cli");
    if (!token_.empty()) request.set(http::field::authorization, "Bearer " + token_);
    if (post) {
      request.set(http::field::content_type, "application/json");
      request.body() = body;
      request.prepare_payload();
    }
    http::write(stream, request);

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kHttpResponseBytesMax);
    http::read(stream, buffer, parser);
    const auto& response = parser.get();
    HttpReply reply;
    reply.status = response.result_int();
    reply.content_type = std::string(response[http::field::content_type]);
    reply.body = response.body();
    beast::error_code ignored;
    stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    return reply;
  } catch (const std::exception& e) {
    return Status::Unavailable("server_unreachable", "http://" + address_.host + ":" +
                                                         address_.port + ": " + e.what());
  }
}

std::string UrlEncode(const std::string& text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : text) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    }
  }
  return out;
}

}  // namespace tranche::cli
