// The text the server writes without Beast or nlohmann building it is byte
// for byte what they would have written: ResponseHead against Beast's
// serializer of ResponseMessage, RequestLogText against nlohmann's dump of
// RequestLogJson.
#include <gtest/gtest.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "api/server/http_request.h"
#include "api/server/server_context.h"

namespace tranche::api {
namespace {

namespace http = boost::beast::http;

// What Beast writes for the message: head and body.
std::string BeastBytes(const Response& response, unsigned version, bool close) {
  std::ostringstream out;
  out << ResponseMessage(response, version, close);
  return out.str();
}

Response Make(unsigned status, std::string body,
              std::vector<std::pair<std::string, std::string>> headers = {},
              std::string content_type = "application/json") {
  Response response;
  response.status = status;
  response.body = std::move(body);
  response.headers = std::move(headers);
  response.content_type = std::move(content_type);
  return response;
}

TEST(ResponseHeadTest, MatchesBeastForTheServersAnswers) {
  const std::vector<Response> answers = {
      Make(200, R"({"cluster":"wessex"})"),
      Make(200, ""),
      Make(400, R"({"error":{}})"),
      Make(401, "{}", {{"WWW-Authenticate", "Bearer error=\"invalid_token\""}}),
      Make(403, "{}"),
      Make(404, "{}"),
      Make(405, "{}", {{"Allow", "GET, POST"}}),
      Make(409, "{}"),
      Make(413, "{}"),
      Make(422, "{}"),
      Make(431, "{}"),
      Make(500, "{}"),
      Make(503, "{}"),
      Make(200, "a,b\n1,2\n",
           {{"Content-Disposition", "attachment; filename=\"ledger-wessex.csv\""},
            {"Cache-Control", "no-cache"}},
           "text/csv; charset=utf-8"),
      Make(200, "{}", {{"Idempotent-Replay", "true"}}),
      Make(200, "<html></html>", {}, "text/html; charset=utf-8"),
      Make(299, "{}"),  // A status without a reason phrase.
  };
  for (const Response& answer : answers) {
    for (bool close : {false, true}) {
      std::optional<std::string> head = ResponseHead(answer, 11, close);
      ASSERT_TRUE(head.has_value()) << answer.status;
      EXPECT_EQ(*head + answer.body, BeastBytes(answer, 11, close))
          << answer.status << " close=" << close;
    }
  }
}

TEST(ResponseHeadTest, SharedBodyIsWrittenLikeAnOwnedOne) {
  Response shared = Response::SharedJson(200, std::make_shared<const std::string>("{\"a\":1}"));
  Response owned = Response::Json(200, "{\"a\":1}");
  EXPECT_EQ(shared.Body(), owned.Body());
  EXPECT_TRUE(shared.body.empty());
  ASSERT_TRUE(ResponseHead(shared, 11, false).has_value());
  EXPECT_EQ(*ResponseHead(shared, 11, false) + std::string(shared.Body()),
            BeastBytes(owned, 11, false));
  EXPECT_EQ(BeastBytes(shared, 11, false), BeastBytes(owned, 11, false));
}

TEST(ResponseHeadTest, LeavesToBeastWhatItWouldRewrite) {
  // HTTP/1.0 (keep-alive is a header there), statuses without a body, and
  // fields Beast replaces, merges or trims.
  EXPECT_FALSE(ResponseHead(Make(200, "{}"), 10, false));
  EXPECT_FALSE(ResponseHead(Make(204, ""), 11, false));
  EXPECT_FALSE(ResponseHead(Make(304, ""), 11, false));
  EXPECT_FALSE(ResponseHead(Make(101, ""), 11, false));
  EXPECT_FALSE(ResponseHead(Make(200, "{}", {{"Content-Type", "text/plain"}}), 11, false));
  EXPECT_FALSE(ResponseHead(Make(200, "{}", {{"connection", "close"}}), 11, false));
  EXPECT_FALSE(ResponseHead(Make(200, "{}", {{"Content-Length", "2"}}), 11, false));
  EXPECT_FALSE(ResponseHead(Make(200, "{}", {{"Server", "x"}}), 11, false));
  EXPECT_FALSE(ResponseHead(Make(200, "{}", {{"X-A", "1"}, {"x-a", "2"}}), 11, false));
  EXPECT_FALSE(ResponseHead(Make(200, "{}", {{"X-A", " padded"}}), 11, false));
  EXPECT_FALSE(ResponseHead(Make(200, "{}", {{"X-A", "line\r\nbreak"}}), 11, false));
  EXPECT_FALSE(ResponseHead(Make(200, "{}", {{"X A", "1"}}), 11, false));
  EXPECT_FALSE(ResponseHead(Make(200, "{}", {{"X-A", ""}}), 11, false));
  EXPECT_FALSE(ResponseHead(Make(200, "{}", {}, ""), 11, false));
  // Where Beast does something else, the session writes Beast's message:
  // the bytes for these still come from ResponseMessage.
  const std::string duplicate = BeastBytes(Make(200, "{}", {{"X-A", "1"}, {"x-a", "2"}}), 11, false);
  EXPECT_EQ(duplicate.find("X-A: 1"), std::string::npos);
  EXPECT_NE(duplicate.find("x-a: 2"), std::string::npos);
}

TEST(RequestLogTextTest, MatchesNlohmannsDump) {
  const std::string ts = "2026-11-25T20:59:01.000123Z";
  const std::vector<RequestLogLine> lines = {
      {"GET", "/v1/clusters/wessex", "/v1/clusters/{id}", 200, 0.123456, "bench-viewer",
       "127.0.0.1:40522"},
      {"POST", "/v1/commands/record-tranche", "/v1/commands/record-tranche", 200, 12.5, "fin",
       "127.0.0.1:1"},
      {"-", "", "unmatched", 400, 0.0, "", ""},
      {"GET", "/a\"b\\c", "unmatched", 404, 1.0, "", "[::1]:80"},
      {"GET", "/tab\there", "unmatched", 404, 1e-7, "", "x"},
      {"GET", "/ctl\x01\x1f\x7f", "unmatched", 404, 123456789.25, "", "x"},
      {"GET", "/caf\xc3\xa9", "unmatched", 404, 3.0e-5, "", "x"},
      {"GET", "/bad\xff\xfe utf8", "unmatched", 404, 2.5e15, "", "x"},
      {"GET", "/%20?", "unmatched", 999, 0.1 + 0.2, "someone", "x"},
  };
  for (const RequestLogLine& line : lines) {
    const std::string expected = RequestLogJson(line, ts).dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace);
    EXPECT_EQ(RequestLogText(line, ts), expected);
  }
}

TEST(RequestLogTextTest, TimestampIsRfc3339WithMicroseconds) {
  for (int i = 0; i < 3; ++i) {
    const std::string ts = NowRfc3339();
    ASSERT_EQ(ts.size(), 27u) << ts;
    EXPECT_EQ(ts[4], '-');
    EXPECT_EQ(ts[10], 'T');
    EXPECT_EQ(ts[19], '.');
    EXPECT_EQ(ts.back(), 'Z');
    for (size_t k : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u, 11u, 12u, 14u, 15u, 17u, 18u, 20u, 21u,
                     22u, 23u, 24u, 25u}) {
      EXPECT_TRUE(ts[k] >= '0' && ts[k] <= '9') << ts;
    }
  }
}

}  // namespace
}  // namespace tranche::api
