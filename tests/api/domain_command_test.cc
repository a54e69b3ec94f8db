// Commands over HTTP against the real server: every error status, a
// rejection appends nothing, idempotency, and the role × route matrix.
#include "tests/api/domain_test_support.h"

namespace tranche::api {
namespace {

using namespace domain_testing;  // NOLINT

// ---------------------------------------------------------------------------
// Every error status of a command; a rejection appends nothing.

class CommandErrorTest : public ::testing::Test {
 protected:
  void SetUp() override { SetUpProgramme(client_); }

  // Sends the command, expects `status` and `code`, and that the log did not grow.
  json ExpectRejected(const std::string& name, const std::string& body, unsigned status,
                      const std::string& code, const std::string& token = kAdminToken) {
    const uint64_t head = client_.Head();
    const uint64_t events_head = client_.GetJson("/v1/events?limit=1", kViewerToken)["head"];
    HttpResult result = Http(server_.port(), "POST", "/v1/commands/" + name, token, body);
    EXPECT_EQ(result.status, status) << name << " " << body.substr(0, 200) << " → " << result.body;
    EXPECT_EQ(result.ErrorCode(), code) << result.body;
    json error = result.Json();
    EXPECT_FALSE(error.is_discarded());
    if (!error.is_discarded() && error.contains("error")) {
      EXPECT_TRUE(error["error"]["message"].is_string()) << result.body;
    }
    EXPECT_EQ(client_.Head(), head) << "a rejected " << name << " appended";
    EXPECT_EQ(client_.GetJson("/v1/events?limit=1", kViewerToken)["head"], events_head);
    return error.is_discarded() ? json() : error["error"];
  }
  json ExpectRejected(const std::string& name, const json& body, unsigned status,
                      const std::string& code, const std::string& token = kAdminToken) {
    return ExpectRejected(name, body.dump(), status, code, token);
  }

  TestServer server_;
  Client client_{server_.port()};
};

TEST_F(CommandErrorTest, BadRequest) {
  json error = ExpectRejected("record-tranche", std::string("{\"command_id\": \"x\", "), 400,
                              "invalid_field", kFinanceToken);
  EXPECT_EQ(error["details"]["field"], "body");
  ExpectRejected("record-tranche", std::string("[1,2]"), 400, "invalid_field", kFinanceToken);
  ExpectRejected("record-tranche", std::string(""), 400, "invalid_field", kFinanceToken);

  json missing = TrancheBody("PAY-1", 100, "2009-07-01");
  missing.erase("amount_pence");
  error = ExpectRejected("record-tranche", missing, 400, "invalid_field", kFinanceToken);
  EXPECT_EQ(error["details"]["field"], "amount_pence") << error;
  EXPECT_TRUE(error["details"].contains("rule")) << error;

  json no_id = TrancheBody("PAY-1", 100, "2009-07-01");
  no_id.erase("command_id");
  error = ExpectRejected("record-tranche", no_id, 400, "invalid_field", kFinanceToken);
  EXPECT_EQ(error["details"]["field"], "command_id");

  json bad_date = TrancheBody("PAY-1", 100, "2009-02-30");
  error = ExpectRejected("record-tranche", bad_date, 400, "invalid_field", kFinanceToken);
  EXPECT_EQ(error["details"]["field"], "paid_on");

  json no_reason = {{"command_id", NextId("rev")}, {"cluster_id", "wessex"}, {"payment_reference", "X"}};
  ExpectRejected("reverse-tranche", no_reason, 400, "reason_required", kFinanceToken);
}

TEST_F(CommandErrorTest, UnauthenticatedAndForbidden) {
  json body = TrancheBody("PAY-1", 100, "2009-07-01");
  ExpectRejected("record-tranche", body, 401, "unauthorized", "");
  ExpectRejected("record-tranche", body, 401, "unauthorized", "not-a-token");
  ExpectRejected("record-tranche", body, 403, "forbidden", kViewerToken);
  ExpectRejected("record-tranche", body, 403, "forbidden", kProgrammeToken);
  ExpectRejected("open-programme", OpenProgrammeBody(), 403, "forbidden", kFinanceToken);
}

TEST_F(CommandErrorTest, NotFoundAndMethodNotAllowed) {
  json error = ExpectRejected("record-tranche", TrancheBody("PAY-1", 100, "2009-07-01", "2009/10", "nowhere"),
                              404, "bid_not_found", kFinanceToken);
  EXPECT_TRUE(error.contains("details"));
  ExpectRejected("award-bid", AwardBody("nowhere"), 404, "bid_not_found", kProgrammeToken);
  ExpectRejected("no-such-command", json{{"command_id", "c"}}, 404, "not_found");
  HttpResult get = client_.Get("/v1/commands/record-tranche", kAdminToken);
  EXPECT_EQ(get.status, 405u) << get.body;
  EXPECT_FALSE(get.ErrorCode().empty());
}

TEST_F(CommandErrorTest, Conflicts) {
  // The cluster stream is at version 1 (submitted, awarded).
  json stale = TrancheBody("PAY-1", 100, "2009-07-01");
  stale["expected_version"] = 0;
  json error = ExpectRejected("record-tranche", stale, 409, "wrong_expected_version", kFinanceToken);
  EXPECT_EQ(Text(error["details"]["expected"]), "0") << error;
  EXPECT_EQ(Text(error["details"]["actual"]), "1") << error;
  // With the right version it goes through.
  json current = TrancheBody("PAY-1", 100, "2009-07-01");
  current["expected_version"] = 1;
  json done = client_.MustCommand("record-tranche", current, kFinanceToken);
  EXPECT_EQ(done["version"], 2);
  EXPECT_EQ(done["stream"], "cluster-wessex");

  // The same command id with a different body.
  json reused = current;
  reused["amount_pence"] = 200;
  reused.erase("expected_version");
  ExpectRejected("record-tranche", reused, 409, "command_id_reused", kFinanceToken);
  // ... even under another command's name.
  json other = MemberBody("IBM");
  other["command_id"] = current["command_id"];
  ExpectRejected("add-member", other, 409, "command_id_reused", kProgrammeToken);
}

TEST_F(CommandErrorTest, PayloadTooLarge) {
  json body = MemberBody("Big");
  body["reason"] = std::string(70 * 1024, 'x');
  ExpectRejected("add-member", body, 413, "body_too_large", kProgrammeToken);
  // The server keeps serving.
  client_.MustCommand("add-member", MemberBody("Small"), kProgrammeToken);
}

TEST_F(CommandErrorTest, DomainRules) {
  json error = ExpectRejected("record-tranche", TrancheBody("PAY-1", kAward0910 + 1, "2009-07-01"), 422,
                              "tranche_exceeds_award", kFinanceToken);
  EXPECT_FALSE(error["details"].empty()) << error;
  ExpectRejected("record-tranche", TrancheBody("PAY-1", 100, "2010-04-01"), 422,
                 "outside_financial_year", kFinanceToken);
  ExpectRejected("record-tranche", TrancheBody("PAY-1", 100, "2009-03-31"), 422,
                 "outside_financial_year", kFinanceToken);
  client_.MustCommand("submit-bid", SubmitBidBody("west-midlands-south"), kProgrammeToken);
  ExpectRejected("award-bid", AwardBody("west-midlands-south", kEnvelope0910 - kAward0910 + 1, 1), 422,
                 "envelope_exceeded", kProgrammeToken);
  // Exactly the rest of the envelope fits.
  client_.MustCommand("award-bid", AwardBody("west-midlands-south", kEnvelope0910 - kAward0910, 1),
                      kProgrammeToken);
  // A payment reference is unique; a second award is a decided bid.
  client_.MustCommand("record-tranche", TrancheBody("PAY-1", 100, "2009-07-01"), kFinanceToken);
  ExpectRejected("record-tranche", TrancheBody("PAY-1", 100, "2009-07-02"), 422,
                 "payment_reference_exists", kFinanceToken);
  ExpectRejected("award-bid", AwardBody("wessex"), 422, "bid_already_decided", kProgrammeToken);
}

// ---------------------------------------------------------------------------

TEST(DomainIdempotencyTest, SameCommandTwiceAnswersTheSameBodyMarkedAsReplay) {
  TestServer server;
  Client client(server.port());
  SetUpProgramme(client);
  const std::string body = TrancheBody("PAY-7", 12'345, "2009-09-09").dump();
  HttpResult first = Http(server.port(), "POST", "/v1/commands/record-tranche", kFinanceToken, body);
  ASSERT_EQ(first.status, 200u) << first.body;
  EXPECT_EQ(Header(first, "Idempotent-Replay"), "");
  const uint64_t head = client.Head();
  HttpResult second = Http(server.port(), "POST", "/v1/commands/record-tranche", kFinanceToken, body);
  ASSERT_EQ(second.status, 200u) << second.body;
  EXPECT_EQ(Header(second, "Idempotent-Replay"), "true");
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(client.Head(), head) << "a replay appended";
  // A replay by another principal with the same body is still the original.
  HttpResult third = Http(server.port(), "POST", "/v1/commands/record-tranche", kAdminToken, body);
  EXPECT_EQ(third.status, 200u);
  EXPECT_EQ(third.body, first.body);
  json result = first.Json();
  EXPECT_EQ(result["first_position"], 4);
  EXPECT_EQ(result["last_position"], 4);
  EXPECT_EQ(result["events"].size(), 1u);
  EXPECT_EQ(result["events"][0]["type"], "TrancheRecorded");
  EXPECT_EQ(result["events"][0]["data"]["amount_pence"], 12'345);
}

// ---------------------------------------------------------------------------
// The auth matrix: each role × each command and each read.

struct RouteCase {
  std::string method;
  std::string target;
  std::set<Role> allowed;  // Admin is always allowed.
};

TEST(DomainAuthMatrixTest, EachRoleOnEachCommandAndRead) {
  TestServer server;
  Client client(server.port());
  SetUpProgramme(client);
  client.MustCommand("record-tranche", TrancheBody("PAY-1", 100, "2009-07-01"), kFinanceToken);

  const std::set<Role> state = {Role::kViewer, Role::kAuditor};
  const std::set<Role> money = {Role::kFinance, Role::kAuditor};
  const std::set<Role> audit = {Role::kAuditor};
  std::vector<RouteCase> cases = {
      {"GET", "/v1/programmes", state},
      {"GET", "/v1/programmes/hiec", state},
      {"GET", "/v1/clusters", state},
      {"GET", "/v1/clusters?programme=hiec", state},
      {"GET", "/v1/clusters/wessex", state},
      {"GET", "/v1/clusters/wessex/events", state},
      {"GET", "/v1/events", state},
      {"GET", "/v1/ledger", money},
      {"GET", "/v1/ledger.csv", money},
      {"GET", "/v1/export/360giving.json", audit},
      {"GET", "/v1/audit/verify", audit},
      {"GET", "/metrics", audit},
  };
  for (std::string_view name : {"record-tranche", "reverse-tranche"}) {
    cases.push_back({"POST", "/v1/commands/" + std::string(name), {Role::kFinance}});
  }
  for (std::string_view name : {"open-programme", "submit-bid", "award-bid", "reject-bid",
                                "amend-award", "add-member", "remove-member",
                                "close-financial-year"}) {
    cases.push_back({"POST", "/v1/commands/" + std::string(name), {Role::kProgramme}});
  }
  ASSERT_EQ(cases.size(), 12u + 10u);

  const uint64_t head = client.Head();
  int checked = 0;
  for (const RouteCase& route : cases) {
    // An empty body: an allowed command answers 400 (no command_id) and
    // appends nothing; a forbidden one is refused before its body is read.
    const std::string body = route.method == "POST" ? "{}" : "";
    HttpResult anonymous = Http(server.port(), route.method, route.target, "", body);
    EXPECT_EQ(anonymous.status, 401u) << route.target;
    EXPECT_EQ(anonymous.ErrorCode(), "unauthorized") << route.target;
    for (Role role : kAllRoles) {
      const bool allowed = role == Role::kAdmin || route.allowed.count(role) != 0;
      HttpResult result = Http(server.port(), route.method, route.target, TokenFor(role), body);
      SCOPED_TRACE(route.method + " " + route.target + " as " + std::string(RoleName(role)));
      if (allowed) {
        EXPECT_EQ(result.status, route.method == "POST" ? 400u : 200u) << result.body.substr(0, 300);
        if (route.method == "POST") {
          EXPECT_EQ(result.ErrorCode(), "invalid_field");
        }
      } else {
        EXPECT_EQ(result.status, 403u) << result.body.substr(0, 300);
        EXPECT_EQ(result.ErrorCode(), "forbidden");
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 22 * 5);
  EXPECT_EQ(client.Head(), head);

  // /healthz needs no token; the stream is for viewers, auditors and admins.
  EXPECT_EQ(Http(server.port(), "GET", "/healthz").status, 200u);
  for (Role role : kAllRoles) {
    const bool allowed = role == Role::kViewer || role == Role::kAuditor || role == Role::kAdmin;
    WsClient ws(server.port(), "/v1/stream", TokenFor(role));
    EXPECT_EQ(ws.connected(), allowed) << RoleName(role);
    if (!allowed) {
      EXPECT_EQ(ws.handshake_status(), 403u) << RoleName(role);
    }
  }
}

// Each allowed role really can perform its commands end to end.
TEST(DomainAuthMatrixTest, AdminMayDoEverythingAndTheActorIsTheTokensName) {
  TestServer server;
  Client client(server.port());
  json open = client.MustCommand("open-programme", OpenProgrammeBody(), kAdminToken);
  json bid = client.MustCommand("submit-bid", SubmitBidBody("wessex"), kProgrammeToken);
  client.MustCommand("award-bid", AwardBody("wessex"), kAdminToken);
  json pay = client.MustCommand("record-tranche", TrancheBody("PAY-1", 100, "2009-07-01"), kFinanceToken);
  json rev = client.MustCommand("reverse-tranche",
                                {{"command_id", NextId("rev")},
                                 {"cluster_id", "wessex"},
                                 {"payment_reference", "PAY-1"},
                                 {"reason", "wrong account"}},
                                kAdminToken);
  json events = client.GetJson("/v1/events?from=1", kAuditorToken)["events"];
  ASSERT_EQ(events.size(), 5u);
  std::vector<std::string> actors;
  for (const auto& event : events) actors.push_back(event["actor"]);
  EXPECT_EQ(actors, (std::vector<std::string>{"admin", "programme", "admin", "finance", "admin"}));
  EXPECT_EQ(events[3]["command_id"], pay["command_id"]);
  EXPECT_EQ(events[4]["reason"], "wrong account");
  EXPECT_EQ(events[3]["type"], "TrancheRecorded");
  EXPECT_TRUE(events[3]["data"].is_object());
  EXPECT_EQ(events[3]["data"]["payment_reference"], "PAY-1");
  // The command's own answer names the actor too.
  EXPECT_EQ(pay["events"][0]["actor"], "finance");
  EXPECT_EQ(open["events"][0]["actor"], "admin");
  // The chain verifies.
  json verify = client.GetJson("/v1/audit/verify", kAuditorToken);
  EXPECT_EQ(verify["ok"], true);
  EXPECT_EQ(verify["events_checked"], 5);
}


}  // namespace
}  // namespace tranche::api
