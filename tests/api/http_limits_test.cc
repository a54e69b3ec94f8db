// HTTP limits, each named constant with a test, pipelining, asynchronous
// answers and graceful shutdown.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "api/server/error_response.h"
#include "tests/api/test_support.h"

namespace tranche::api {
namespace {

using namespace testing;  // NOLINT
using Clock = std::chrono::steady_clock;
namespace net = boost::asio;

// A route that answers from another thread after `delay_ms`.
void AddSlowRoute(Router& router) {
  router.Add("GET", "/test/slow", RouteAccess::Public(), [](RequestContext request, Responder out) {
    int delay_ms = std::stoi(request.Query("ms").value_or("200"));
    std::thread([out, delay_ms] {
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
      out.Send(Response::Json(200, "{\"slow\":true}"));
    }).detach();
  });
}

void WriteAll(net::ip::tcp::socket& socket, const std::string& text) {
  net::write(socket, net::buffer(text));
}

TEST(HttpLimitsTest, BodyOverLimitIs413) {
  TestServer server;
  HttpResult at_limit = Http(server.port(), "POST", "/v1/events", kAdminToken,
                             std::string(kHttpBodyBytesMax, 'x'));
  EXPECT_EQ(at_limit.status, 405u);  // Read in full, then routed.
  HttpResult over = Http(server.port(), "POST", "/v1/events", kAdminToken,
                         std::string(kHttpBodyBytesMax + 1, 'x'));
  EXPECT_EQ(over.status, 413u);
  EXPECT_EQ(over.ErrorCode(), "body_too_large");
  EXPECT_EQ(Http(server.port(), "GET", "/healthz").status, 200u);
}

TEST(HttpLimitsTest, HeadersOverLimitAre431) {
  TestServer server;
  EXPECT_EQ(Http(server.port(), "GET", "/healthz", "", "", {{"X-Pad", std::string(kHttpHeaderBytesMax / 2, 'a')}}).status,
            200u);
  HttpResult over = Http(server.port(), "GET", "/healthz", "", "",
                         {{"X-Pad", std::string(kHttpHeaderBytesMax + 1, 'a')}});
  EXPECT_EQ(over.status, 431u);
  EXPECT_EQ(over.ErrorCode(), "headers_too_large");
}

TEST(HttpLimitsTest, MalformedRequestIs400) {
  TestServer server;
  net::io_context io;
  auto socket = Connect(io, server.port());
  WriteAll(socket, "GET /healthz HTTP/1.1\r\nHost x\r\n\r\n");
  std::string reply = ReadUntilClosed(socket);
  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << reply;
}

TEST(HttpLimitsTest, SlowHeadersTimeOutWhileOthersAreServed) {
  TestServer server([](ServerOptions& o) { o.http_read_timeout = std::chrono::milliseconds(400); });
  net::io_context io;
  auto slow = Connect(io, server.port());
  const auto start = Clock::now();
  std::thread dripper([&] {
    // One header byte every 100 ms: never finishes within the read timeout.
    std::string header = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaa";
    for (char c : header) {
      boost::system::error_code ec;
      net::write(slow, net::buffer(&c, 1), ec);
      if (ec) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Http(server.port(), "GET", "/healthz").status, 200u);
  std::string reply = ReadUntilClosed(slow);
  auto elapsed = Clock::now() - start;
  dripper.join();
  EXPECT_EQ(reply, "");
  EXPECT_LT(elapsed, std::chrono::milliseconds(3000));
  EXPECT_GE(elapsed, std::chrono::milliseconds(350));
}

TEST(HttpLimitsTest, IdleKeepAliveConnectionIsClosed) {
  TestServer server([](ServerOptions& o) { o.http_idle_timeout = std::chrono::milliseconds(300); });
  net::io_context io;
  auto idle = Connect(io, server.port());
  const auto start = Clock::now();
  EXPECT_EQ(ReadUntilClosed(idle), "");
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(3000));
}

TEST(HttpLimitsTest, ConnectionsOverTheLimitGet503) {
  TestServer server([](ServerOptions& o) { o.connections_max = 3; });
  net::io_context io;
  std::vector<net::ip::tcp::socket> held;
  for (int i = 0; i < 3; ++i) held.push_back(Connect(io, server.port()));
  // Wait until the server has counted them all.
  for (int i = 0; i < 200 && server.server().open_connections() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  HttpResult rejected = Http(server.port(), "GET", "/healthz");
  EXPECT_EQ(rejected.status, 503u);
  EXPECT_EQ(rejected.ErrorCode(), "unavailable");
  held.clear();
  bool served = false;
  for (int i = 0; i < 200 && !served; ++i) {
    served = Http(server.port(), "GET", "/healthz").status == 200u;
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(served);
}

TEST(HttpLimitsTest, PipelinedRequestsAreAnsweredInOrder) {
  TestServer server(nullptr, AddSlowRoute);
  net::io_context io;
  auto socket = Connect(io, server.port());
  std::string requests;
  const size_t count = kHttpPipelinedRequestsMax * 2;
  for (size_t i = 0; i < count; ++i) {
    std::string target = i % 3 == 0 ? "/test/slow?ms=50" : (i % 3 == 1 ? "/healthz" : "/nope");
    requests += "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  }
  WriteAll(socket, requests);
  namespace http = boost::beast::http;
  boost::beast::flat_buffer buffer;
  for (size_t i = 0; i < count; ++i) {
    http::response<http::string_body> response;
    http::read(socket, buffer, response);
    unsigned expected = i % 3 == 2 ? 404u : 200u;
    EXPECT_EQ(response.result_int(), expected) << i;
    if (i % 3 == 0) {
      EXPECT_EQ(response.body(), "{\"slow\":true}");
    }
  }
}

TEST(HttpLimitsTest, ShutdownAnswersInFlightRequestsThenStops) {
  TestServer server(nullptr, AddSlowRoute);
  HttpResult slow;
  std::thread client([&] { slow = Http(server.port(), "GET", "/test/slow?ms=500"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  const uint16_t port = server.port();
  server.Stop();
  client.join();
  EXPECT_EQ(slow.status, 200u);
  EXPECT_EQ(slow.body, "{\"slow\":true}");
  net::io_context io;
  net::ip::tcp::socket socket(io);
  boost::system::error_code ec;
  socket.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
  EXPECT_TRUE(ec) << "still accepting after Stop";
}

}  // namespace
}  // namespace tranche::api
