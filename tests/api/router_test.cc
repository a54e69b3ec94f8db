// Router, Responder and error shape, without sockets: handlers called directly.
#include <gtest/gtest.h>

#include "api/server/error_response.h"
#include "api/server/router.h"
#include "tests/api/test_support.h"

namespace tranche::api {
namespace {

using testing::kAdminToken;
using testing::kFinanceToken;
using testing::kViewerToken;

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() : authenticator_("/nonexistent/tokens.json") {
    std::vector<TokenRecord> records;
    for (Role role : kAllRoles) {
      records.push_back({std::string(RoleName(role)), RoleSet{role}, HashToken(testing::TokenFor(role)), ""});
    }
    authenticator_.SetRecordsForTest(records);
    router_.Add("GET", "/healthz", RouteAccess::Public(), [](RequestContext, Responder out) {
      out.Send(Response::Json(200, "{}"));
    });
    router_.Add("GET", "/v1/clusters/{id}", RouteAccess::AnyOf({Role::kViewer}),
                [this](RequestContext request, Responder out) {
                  last_ = request;
                  out.Send(Response::Json(200, "{\"id\":\"" + request.path_params["id"] + "\"}"));
                });
    router_.Add("GET", "/v1/clusters/export", RouteAccess::AnyOf({Role::kAuditor}),
                [](RequestContext, Responder out) { out.Send(Response::Json(200, "\"export\"")); });
    router_.Add("POST", "/v1/clusters/{id}", RouteAccess::AnyOf({Role::kProgramme}),
                [](RequestContext, Responder) {});  // Never answers: the Responder does.
  }

  Response Call(const std::string& method, const std::string& target, const std::string& token) {
    Response answer;
    RawRequest request;
    request.method = method;
    request.target = target;
    if (!token.empty()) request.authorization = "Bearer " + token;
    router_.Handle(request, authenticator_, Responder([&](Response r) { answer = std::move(r); }));
    return answer;
  }
  static std::string Code(const Response& response) {
    return nlohmann::json::parse(response.body)["error"]["code"];
  }

  Authenticator authenticator_;
  Router router_;
  RequestContext last_;
};

TEST_F(RouterTest, PublicRouteNeedsNoToken) { EXPECT_EQ(Call("GET", "/healthz", "").status, 200u); }

TEST_F(RouterTest, PathParametersAndQueryAreDecoded) {
  Response response = Call("GET", "/v1/clusters/wessex%2Dhiec?as_of=12&x=a+b%21", kViewerToken);
  ASSERT_EQ(response.status, 200u);
  EXPECT_EQ(last_.path_params["id"], "wessex-hiec");
  EXPECT_EQ(last_.query_params["as_of"], "12");
  EXPECT_EQ(last_.query_params["x"], "a b!");
  EXPECT_EQ(last_.route, "/v1/clusters/{id}");
  ASSERT_TRUE(last_.principal.has_value());
  EXPECT_EQ(last_.principal->name, "viewer");
}

TEST_F(RouterTest, LiteralSegmentBeatsParameter) {
  EXPECT_EQ(Call("GET", "/v1/clusters/export", kAdminToken).body, "\"export\"");
}

TEST_F(RouterTest, UnknownPathIs404) {
  Response response = Call("GET", "/v1/nothing", kAdminToken);
  EXPECT_EQ(response.status, 404u);
  EXPECT_EQ(Code(response), "not_found");
}

TEST_F(RouterTest, WrongMethodIs405WithAllow) {
  Response response = Call("DELETE", "/v1/clusters/x", kAdminToken);
  EXPECT_EQ(response.status, 405u);
  EXPECT_EQ(Code(response), "method_not_allowed");
  bool has_allow = false;
  for (auto& [name, value] : response.headers) {
    if (name == "Allow") {
      has_allow = true;
      EXPECT_EQ(value, "GET, POST");
    }
  }
  EXPECT_TRUE(has_allow);
}

TEST_F(RouterTest, MissingOrBadTokenIs401AndWrongRoleIs403) {
  EXPECT_EQ(Call("GET", "/v1/clusters/x", "").status, 401u);
  EXPECT_EQ(Call("GET", "/v1/clusters/x", "not-a-token").status, 401u);
  Response forbidden = Call("GET", "/v1/clusters/x", kFinanceToken);
  EXPECT_EQ(forbidden.status, 403u);
  EXPECT_EQ(Code(forbidden), "forbidden");
  EXPECT_EQ(Call("GET", "/v1/clusters/x", kAdminToken).status, 200u);  // Admin may do everything.
}

TEST_F(RouterTest, MalformedTargetIs400) {
  EXPECT_EQ(Call("GET", "/v1/clusters/%zz", kAdminToken).status, 400u);
  std::string many = "/healthz?";
  for (size_t i = 0; i <= kHttpQueryParamsMax; ++i) many += "p" + std::to_string(i) + "=1&";
  Response response = Call("GET", many, "");
  EXPECT_EQ(response.status, 400u) << "kHttpQueryParamsMax";
}

TEST_F(RouterTest, HandlerThatNeverAnswersGets500) {
  Response response = Call("POST", "/v1/clusters/x", testing::kProgrammeToken);
  EXPECT_EQ(response.status, 500u);
  EXPECT_EQ(Code(response), "internal");
}

TEST_F(RouterTest, ResponderSendsOnlyOnceFromAnyThread) {
  std::atomic<int> sends{0};
  Responder responder([&](Response) { sends++; });
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back([responder] { responder.Send(Response::Json(200, "{}")); });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(sends.load(), 1);
}

TEST_F(RouterTest, ListsItsRoutes) {
  auto routes = router_.ListRoutes();
  ASSERT_EQ(routes.size(), 4u);
  EXPECT_EQ(routes[1].method, "GET");
  EXPECT_EQ(routes[1].pattern, "/v1/clusters/{id}");
  EXPECT_TRUE(routes[0].access.is_public);
}

TEST(ErrorResponseTest, ErrorsHaveCodeMessageAndDetails) {
  Response response = ErrorResponse(409, "wrong_expected_version", "stale", {{"actual", 3}});
  auto body = nlohmann::json::parse(response.body);
  EXPECT_EQ(response.status, 409u);
  EXPECT_EQ(body["error"]["code"], "wrong_expected_version");
  EXPECT_EQ(body["error"]["message"], "stale");
  EXPECT_EQ(body["error"]["details"]["actual"], 3);
  EXPECT_TRUE(nlohmann::json::parse(ErrorBody("x", "y"))["error"]["details"].is_object());
}

TEST(ErrorResponseTest, StatusCodesMapToHttpStatuses) {
  EXPECT_EQ(HttpStatusFor(Status::InvalidArgument("r", "m")), 400u);
  EXPECT_EQ(HttpStatusFor(Status::NotFound("r", "m")), 404u);
  EXPECT_EQ(HttpStatusFor(Status::Conflict("r", "m")), 409u);
  EXPECT_EQ(HttpStatusFor(Status::AlreadyExists("r", "m")), 409u);
  EXPECT_EQ(HttpStatusFor(Status::FailedPrecondition("tranche_exceeds_award", "m")), 422u);
  EXPECT_EQ(HttpStatusFor(Status::ResourceExhausted("r", "m")), 413u);
  EXPECT_EQ(HttpStatusFor(Status::Unavailable("r", "m")), 503u);
  Response response = ErrorFromStatus(Status::FailedPrecondition("tranche_exceeds_award", "too much"));
  EXPECT_EQ(nlohmann::json::parse(response.body)["error"]["code"], "tranche_exceeds_award");
}

}  // namespace
}  // namespace tranche::api
