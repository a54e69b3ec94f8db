// Every HTTP endpoint the transport owns, its errors, and the auth matrix,
// against the real server.
#include <gtest/gtest.h>

#include "tests/api/test_support.h"

namespace tranche::api {
namespace {

using namespace testing;  // NOLINT

class HttpServerTest : public ::testing::Test {
 protected:
  TestServer server_;
};

TEST_F(HttpServerTest, HealthzNeedsNoTokenAndReportsHead) {
  AppendEvents(server_.store(), "cluster-a", 3);
  HttpResult result = Http(server_.port(), "GET", "/healthz");
  ASSERT_EQ(result.status, 200u);
  EXPECT_EQ(result.Json()["status"], "ok");
  EXPECT_EQ(result.Json()["head"], 3);
}

TEST_F(HttpServerTest, MetricsServesEveryFamilyInTextFormat) {
  Http(server_.port(), "GET", "/healthz");
  HttpResult result = Http(server_.port(), "GET", "/metrics", kAuditorToken);
  ASSERT_EQ(result.status, 200u);
  EXPECT_NE(result.headers["Content-Type"].find("text/plain"), std::string::npos);
  for (const char* name :
       {"tranche_command_latency_seconds", "tranche_events_appended_total",
        "tranche_commit_group_commands", "tranche_commit_group_events",
        "tranche_fsync_latency_seconds", "tranche_head_position", "tranche_websocket_sessions",
        "tranche_websocket_messages_sent_total", "tranche_websocket_catchup_fallbacks_total",
        "tranche_http_requests_total{route=\"/healthz\",status=\"200\"}"}) {
    EXPECT_NE(result.body.find(name), std::string::npos) << name;
  }
  server_.metrics().RecordCommand("record-tranche", "accepted");
  server_.metrics().RecordWebSocketClose("stalled");
  result = Http(server_.port(), "GET", "/metrics", kAdminToken);
  EXPECT_NE(result.body.find("tranche_commands_total{outcome=\"accepted\",type=\"record-tranche\"} 1"),
            std::string::npos) << result.body;
  EXPECT_NE(result.body.find("tranche_websocket_closes_total{reason=\"stalled\"} 1"), std::string::npos);
}

TEST_F(HttpServerTest, EventsPagesThroughTheLogWithFilters) {
  AppendEvents(server_.store(), "cluster-a", 5, "BidSubmitted");
  AppendEvents(server_.store(), "programme-p", 2, "ProgrammeOpened");
  AppendEvents(server_.store(), "cluster-b", 3, "BidAwarded");
  HttpResult page = Http(server_.port(), "GET", "/v1/events?from=1&limit=4", kViewerToken);
  ASSERT_EQ(page.status, 200u);
  auto json = page.Json();
  EXPECT_EQ(json["head"], 10);
  ASSERT_EQ(json["events"].size(), 4u);
  EXPECT_EQ(json["events"][0]["position"], 1);
  EXPECT_EQ(json["events"][0]["stream"], "cluster-a");
  EXPECT_EQ(json["events"][0]["version"], 0);
  EXPECT_EQ(json["events"][0]["actor"], "tester");
  EXPECT_EQ(json["events"][0]["hash"].get<std::string>().size(), 64u);
  EXPECT_EQ(json["next"], 5);
  page = Http(server_.port(), "GET", "/v1/events?from=5&limit=100", kAuditorToken);
  EXPECT_EQ(page.Json()["events"].size(), 6u);
  EXPECT_EQ(page.Json()["next"], 11);

  auto filtered = Http(server_.port(), "GET", "/v1/events?stream=cluster-&type=BidAwarded", kViewerToken).Json();
  ASSERT_EQ(filtered["events"].size(), 3u);
  EXPECT_EQ(filtered["events"][0]["position"], 8);
  EXPECT_EQ(filtered["next"], 11);
  auto types = Http(server_.port(), "GET", "/v1/events?type=ProgrammeOpened,BidAwarded", kViewerToken).Json();
  EXPECT_EQ(types["events"].size(), 5u);
}

TEST_F(HttpServerTest, EventsRejectsBadParameters) {
  HttpResult over = Http(server_.port(), "GET", "/v1/events?limit=1001", kViewerToken);
  EXPECT_EQ(over.status, 400u) << "kEventsPageLimitMax";
  EXPECT_EQ(over.Json()["error"]["details"]["field"], "limit");
  EXPECT_EQ(Http(server_.port(), "GET", "/v1/events?limit=1000", kViewerToken).status, 200u);
  EXPECT_EQ(Http(server_.port(), "GET", "/v1/events?limit=0", kViewerToken).status, 400u);
  EXPECT_EQ(Http(server_.port(), "GET", "/v1/events?from=abc", kViewerToken).Json()["error"]["details"]["field"], "from");
  EXPECT_EQ(Http(server_.port(), "GET", "/v1/events?type=a,,b", kViewerToken).status, 400u);
  // An empty item at either end is refused like one in the middle (found by
  // tests/fuzz/stream_query_fuzzer.cc).
  EXPECT_EQ(Http(server_.port(), "GET", "/v1/events?type=a,", kViewerToken).status, 400u);
  EXPECT_EQ(Http(server_.port(), "GET", "/v1/events?type=,a", kViewerToken).status, 400u);
  EXPECT_EQ(Http(server_.port(), "GET", "/v1/events?type=", kViewerToken).status, 200u);
}

TEST_F(HttpServerTest, VerifyReportsTheChain) {
  AppendEvents(server_.store(), "cluster-a", 4);
  HttpResult result = Http(server_.port(), "GET", "/v1/audit/verify", kAuditorToken);
  ASSERT_EQ(result.status, 200u);
  EXPECT_EQ(result.Json()["ok"], true);
  EXPECT_EQ(result.Json()["events_checked"], 4);
  EXPECT_EQ(result.Json()["head_position"], 4);
}

TEST_F(HttpServerTest, StreamWithoutUpgradeIs400) {
  HttpResult result = Http(server_.port(), "GET", "/v1/stream", kViewerToken);
  EXPECT_EQ(result.status, 400u);
  EXPECT_EQ(result.ErrorCode(), "websocket_upgrade_required");
}

TEST_F(HttpServerTest, DashboardNeedsNoToken) {
  HttpResult index = Http(server_.port(), "GET", "/");
  ASSERT_EQ(index.status, 200u);
  EXPECT_NE(index.headers["Content-Type"].find("text/html"), std::string::npos);
  EXPECT_EQ(Http(server_.port(), "GET", "/dashboard/dashboard.js").status, 200u);
  EXPECT_EQ(Http(server_.port(), "GET", "/dashboard/..%2Ftokens.json").status, 404u);
  EXPECT_EQ(Http(server_.port(), "GET", "/dashboard/missing.js").status, 404u);
}

TEST_F(HttpServerTest, UnknownPathAndWrongMethodUseTheErrorShape) {
  HttpResult missing = Http(server_.port(), "GET", "/v1/nope", kAdminToken);
  EXPECT_EQ(missing.status, 404u);
  EXPECT_EQ(missing.ErrorCode(), "not_found");
  EXPECT_TRUE(missing.Json()["error"]["details"].is_object());
  HttpResult wrong = Http(server_.port(), "POST", "/v1/events", kAdminToken, "{}");
  EXPECT_EQ(wrong.status, 405u);
  EXPECT_EQ(wrong.headers["Allow"], "GET");
}

// Each role against each transport route: allowed (not 401/403) or 403.
TEST_F(HttpServerTest, AuthMatrixForTransportRoutes) {
  struct Row {
    const char* target;
    std::vector<Role> allowed;
  };
  const std::vector<Row> rows = {
      {"/metrics", {Role::kAuditor, Role::kAdmin}},
      {"/v1/events", {Role::kViewer, Role::kAuditor, Role::kAdmin}},
      {"/v1/audit/verify", {Role::kAuditor, Role::kAdmin}},
      {"/v1/stream", {Role::kViewer, Role::kAuditor, Role::kAdmin}},
  };
  for (const auto& row : rows) {
    EXPECT_EQ(Http(server_.port(), "GET", row.target).status, 401u) << row.target;
    HttpResult bad = Http(server_.port(), "GET", row.target, "wrong-token");
    EXPECT_EQ(bad.status, 401u) << row.target;
    EXPECT_EQ(bad.ErrorCode(), "unauthorized");
    for (Role role : kAllRoles) {
      bool allowed = std::find(row.allowed.begin(), row.allowed.end(), role) != row.allowed.end();
      unsigned status = Http(server_.port(), "GET", row.target, TokenFor(role)).status;
      if (allowed) {
        EXPECT_TRUE(status != 401u && status != 403u) << row.target << " " << RoleName(role);
      } else {
        EXPECT_EQ(status, 403u) << row.target << " " << RoleName(role);
      }
    }
  }
}

TEST_F(HttpServerTest, RequestsAreCountedAndLoggedWithoutTokens) {
  Http(server_.port(), "GET", "/v1/events?access_token=" + kViewerToken, kViewerToken);
  EXPECT_GE(server_.MetricValue("tranche_http_requests_total{route=\"/v1/events\",status=\"200\"}"), 1);
  ASSERT_TRUE(server_.WaitForLog([](const nlohmann::json& line) {
    return line.value("msg", "") == "request" && line.value("route", "") == "/v1/events";
  }, 2000));
  for (const auto& line : server_.Logs()) {
    EXPECT_EQ(line.dump().find(kViewerToken), std::string::npos) << line.dump();
  }
}

TEST_F(HttpServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  namespace http = boost::beast::http;
  boost::asio::io_context io;
  auto socket = Connect(io, server_.port());
  boost::beast::flat_buffer buffer;
  for (int i = 0; i < 5; ++i) {
    http::request<http::string_body> request(http::verb::get, "/healthz", 11);
    http::write(socket, request);
    http::response<http::string_body> response;
    http::read(socket, buffer, response);
    EXPECT_EQ(response.result_int(), 200u);
    EXPECT_TRUE(response.keep_alive());
  }
}

}  // namespace
}  // namespace tranche::api
