// ParseCommand / CommandBodyToJson and the state's JSON form.
#include <gtest/gtest.h>

#include <random>

#include "core/json/json_codec.h"
#include "tests/core/domain_fixture.h"

namespace tranche::core {
namespace {

using namespace testing;  // NOLINT: the fixture's builders.
using nlohmann::json;

std::vector<CommandEnvelope> OneOfEachCommand() {
  return {
      Envelope(Hiec()),
      Envelope(Bid("wessex"), "", 3),
      Envelope(AwardBid{"wessex", {{Fy("2009/10"), Pence(70'000'000)}}, D("2010-01-05")}),
      Envelope(RejectBid{"wessex", D("2010-01-05")}, "Outside scope"),
      Envelope(AmendAward{"wessex", Fy("2009/10"), Pence(0)}, "withdrawn"),
      Envelope(AddMember{"wessex", "Acme Ltd", Sector::kIndustry, D("2010-01-10"), std::nullopt}),
      Envelope(AddMember{"wessex", "Acme", Sector::kOther, D("2010-01-10"), std::string("acme")}),
      Envelope(RemoveMember{"wessex", "acme", D("2010-06-30")}, "left"),
      Envelope(Payment("wessex", "HIEC/0001", 35'000'000)),
      Envelope(ReverseTranche{"wessex", "HIEC/0001"}, "dup"),
      Envelope(CloseFinancialYear{"hiec", Fy("2009/10")}),
  };
}

std::variant<CommandEnvelope, Rejection> Parse(const std::string& name, const std::string& text) {
  return ParseCommand(name, json::parse(text));
}

Rejection ParseError(const std::string& name, const std::string& text) {
  auto parsed = Parse(name, text);
  if (!std::holds_alternative<Rejection>(parsed)) {
    ADD_FAILURE() << "accepted: " << text;
    return {};
  }
  return std::get<Rejection>(parsed);
}

TEST(CommandJsonTest, EveryCommandRoundTripsThroughItsBody) {
  for (CommandEnvelope command : OneOfEachCommand()) {
    const json body = CommandBodyToJson(command);
    auto parsed = ParseCommand(command.name, json::parse(body.dump()));
    ASSERT_TRUE(std::holds_alternative<CommandEnvelope>(parsed))
        << body.dump() << " -> " << std::get<Rejection>(parsed).message;
    command.actor.clear();
    EXPECT_EQ(std::get<CommandEnvelope>(parsed), command) << body.dump();
  }
}

// The content digest hashes AppendCommandBodyJson's text; it must be the
// DOM's dump byte for byte, or retries of commands already in a log would be
// refused as reused ids.
TEST(CommandJsonTest, AppendCommandBodyJsonWritesExactlyTheDumpOfEveryCommand) {
  for (CommandEnvelope command : OneOfEachCommand()) {
    for (int variant = 0; variant < 4; ++variant) {
      command.expected_version =
          variant & 1 ? std::optional<uint64_t>(UINT64_MAX - variant) : std::nullopt;
      if (variant & 2) command.reason = "checked \"twice\"";
      std::string text = "kept";  // Appended to, not replaced.
      ASSERT_TRUE(AppendCommandBodyJson(command, &text)) << command.name;
      EXPECT_EQ(text, "kept" + CommandBodyToJson(command).dump()) << command.name;
    }
  }
}

// Strings of every byte, valid UTF-8 or not, in every kind of string field:
// where dump() writes text the direct writer writes the same; where dump()
// throws (invalid UTF-8) it says false, and the digest falls back to dump().
TEST(CommandJsonTest, AppendCommandBodyJsonEscapesAndRefusesStringsAsDumpDoes) {
  const std::vector<std::string> pieces = {
      "a", "Z", "0", " ", "/", "\"", "\\", "\x7f", "\u00e9", "\u20ac", "\U0001f600",
      "\x80", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82", "\xff",
      "\xf0\x9f\x98", "\xc3", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf"};
  std::mt19937 random(20091001);
  auto text = [&] {
    std::string out;
    const int length = static_cast<int>(random() % 6);
    for (int i = 0; i < length; ++i) {
      if (random() % 3 == 0) {
        out.push_back(static_cast<char>(random() % 0x21));  // Controls, space.
      } else {
        out += pieces[random() % pieces.size()];
      }
    }
    return out;
  };
  int written = 0;
  int refused = 0;
  for (int round = 0; round < 5000; ++round) {
    CommandEnvelope command = Envelope(
        AddMember{text(), text(), Sector::kVoluntary, D("2010-01-10"), text()}, text());
    command.command_id = text();
    std::string expected;
    bool dumped = true;
    try {
      expected = CommandBodyToJson(command).dump();
    } catch (const nlohmann::json::type_error&) {
      dumped = false;
    }
    std::string got;
    const bool appended = AppendCommandBodyJson(command, &got);
    ASSERT_EQ(appended, dumped) << (dumped ? expected : got);
    if (appended) {
      ASSERT_EQ(got, expected);
      ++written;
    } else {
      ++refused;
    }
  }
  // Both paths were exercised.
  EXPECT_GT(written, 100);
  EXPECT_GT(refused, 100);
}

TEST(CommandJsonTest, ParsesTheDesignDocumentsShape) {
  auto parsed = Parse("record-tranche", R"({"command_id": "c1", "expected_version": 4,
      "cluster_id": "wessex", "financial_year": "2009/10", "amount_pence": 3500000,
      "paid_on": "2010-03-31", "payment_reference": "HIEC-0001"})");
  ASSERT_TRUE(std::holds_alternative<CommandEnvelope>(parsed));
  const CommandEnvelope& command = std::get<CommandEnvelope>(parsed);
  EXPECT_EQ(command.expected_version, 4u);
  const auto& tranche = std::get<RecordTranche>(command.body);
  EXPECT_EQ(tranche.amount_pence, Pence(3'500'000));
  EXPECT_EQ(tranche.paid_on, D("2010-03-31"));
}

TEST(CommandJsonTest, MalformedBodiesNameTheFieldAndRule) {
  struct Case {
    std::string name, body, code, field, rule;
  };
  const std::string tail = R"("cluster_id":"wessex","financial_year":"2009/10","paid_on":"2010-03-31","payment_reference":"P1")";
  const std::vector<Case> cases = {
      {"pay-everyone", R"({"command_id":"c"})", "invalid_field", "command", "unknown_command"},
      {"record-tranche", R"({"amount_pence":1,)" + tail + "}", "invalid_field", "command_id", "missing"},
      {"record-tranche", R"({"command_id":"c","amount_pence":1.5,)" + tail + "}", "invalid_amount",
       "amount_pence", "not_an_integer"},
      {"record-tranche", R"({"command_id":"c","amount_pence":"100",)" + tail + "}",
       "invalid_amount", "amount_pence", "not_an_integer"},
      {"record-tranche", R"({"command_id":"c","amount_pence":0,)" + tail + "}", "invalid_amount",
       "amount_pence", "not_positive"},
      {"record-tranche", R"({"command_id":"c","amount_pence":1,"colour":"red",)" + tail + "}",
       "invalid_field", "colour", "unknown_field"},
      {"record-tranche", R"({"command_id":"c","amount_pence":99999999999999999999,)" + tail + "}",
       "invalid_amount", "amount_pence", "not_an_integer"},  // nlohmann reads it as a float.
      {"record-tranche", R"({"command_id":"c","amount_pence":9223372036854775808,)" + tail + "}",
       "invalid_amount", "amount_pence", "too_large"},
      {"record-tranche", R"({"command_id":"c","amount_pence":100000000000001,)" + tail + "}",
       "invalid_amount", "amount_pence", "too_large"},
      {"close-financial-year", R"({"command_id":"c","programme_id":"hiec","financial_year":"2009/11"})",
       "invalid_field", "financial_year", "invalid_financial_year"},
      {"reject-bid", R"({"command_id":"c","cluster_id":"wessex","decided_on":"2010-02-30"})",
       "invalid_field", "decided_on", "invalid_date"},
      {"add-member", R"({"command_id":"c","cluster_id":"wessex","name":"Acme","sector":"banking","joined_on":"2010-01-01"})",
       "invalid_field", "sector", "unknown_sector"},
      {"remove-member", R"({"command_id":"c","cluster_id":"Wessex","organisation_id":"acme","left_on":"2010-01-01"})",
       "invalid_field", "cluster_id", "invalid_slug"},
      {"award-bid", R"({"command_id":"c","cluster_id":"w","awards":{"2009/10":-1},"decided_on":"2010-01-01"})",
       "invalid_amount", "awards.2009/10", "not_positive"},
      {"award-bid", R"({"command_id":"c","cluster_id":"w","awards":[],"decided_on":"2010-01-01"})",
       "invalid_field", "awards", "not_an_object"},
      {"reverse-tranche", R"({"command_id":"c","cluster_id":"w","payment_reference":"P1","reason":")" +
       std::string(1001, 'x') + R"("})", "invalid_field", "reason", "too_long"},
  };
  for (const Case& c : cases) {
    Rejection rejection = ParseError(c.name, c.body);
    EXPECT_EQ(rejection.code, c.code) << c.body;
    EXPECT_EQ(rejection.details["field"], c.field) << c.body;
    EXPECT_EQ(rejection.details["rule"], c.rule) << c.body;
  }
}

std::string Nested(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(CommandJsonTest, JsonNestingDepthCountsBracketsOutsideStringsOnly) {
  EXPECT_EQ(JsonNestingDepth("1", 8), 0u);
  EXPECT_EQ(JsonNestingDepth(R"({"a":[1,{"b":[]}]})", 8), 4u);
  EXPECT_EQ(JsonNestingDepth(R"({"a":"[[[[{{{{"})", 8), 1u);
  EXPECT_EQ(JsonNestingDepth(R"({"a":"\"[[[[\\"})", 8), 1u);  // Escaped quote, then a backslash.
  EXPECT_EQ(JsonNestingDepth(R"({"a":"\\"}[[[[)", 8), 4u);      // An escaped backslash ends nothing.
  EXPECT_EQ(JsonNestingDepth(Nested(8), 8), 8u);
  EXPECT_EQ(JsonNestingDepth(Nested(100000), 8), 9u);  // Stops at limit + 1.
  EXPECT_EQ(JsonNestingDepth("]]]][", 8), 1u);         // Stray closers never go below zero.
}

TEST(CommandJsonTest, ParseCommandTextRefusesDeepOrNonObjectBodiesBeforeParsing) {
  const std::string head = R"({"command_id":"c","cluster_id":)";
  const std::string tail =
      R"(,"financial_year":"2009/10","amount_pence":1,"paid_on":"2010-03-31","payment_reference":"P1"})";
  struct Case {
    std::string body, field, rule;
  };
  const std::vector<Case> cases = {
      // The body is one level; a field nested to the limit is only the wrong type.
      {head + Nested(kCommandNestingMax - 1) + tail, "cluster_id", "not_a_string"},
      {head + Nested(kCommandNestingMax) + tail, "body", "too_deep"},
      {head + Nested(30000) + tail, "body", "too_deep"},
      {Nested(32000), "body", "too_deep"},
      {"[]", "body", "not_a_json_object"},
      {head + "\"wessex\"", "body", "not_a_json_object"},
      {"", "body", "not_a_json_object"},
  };
  for (const Case& c : cases) {
    auto parsed = ParseCommandText("record-tranche", c.body);
    ASSERT_TRUE(std::holds_alternative<Rejection>(parsed)) << c.body.substr(0, 80);
    const Rejection& rejection = std::get<Rejection>(parsed);
    EXPECT_EQ(rejection.code, "invalid_field") << c.body.substr(0, 80);
    EXPECT_EQ(rejection.details.at("field"), c.field) << c.body.substr(0, 80);
    EXPECT_EQ(rejection.details.at("rule"), c.rule) << c.body.substr(0, 80);
  }
  // Brackets inside strings are text, and the envelope's fields sit beside the body's.
  auto accepted = ParseCommandText(
      "record-tranche", head + R"("wessex","reason":"[[[[[[[[[[[[[[[[[[[[ not nesting")" + tail);
  ASSERT_TRUE(std::holds_alternative<CommandEnvelope>(accepted));
  EXPECT_EQ(std::get<CommandEnvelope>(accepted).reason, "[[[[[[[[[[[[[[[[[[[[ not nesting");
}

TEST(CommandJsonTest, AmendAwardAcceptsZeroButNotNegative) {
  EXPECT_TRUE(std::holds_alternative<CommandEnvelope>(Parse("amend-award",
      R"({"command_id":"c","cluster_id":"w","financial_year":"2009/10","amount_pence":0,"reason":"x"})")));
  EXPECT_EQ(ParseError("amend-award",
      R"({"command_id":"c","cluster_id":"w","financial_year":"2009/10","amount_pence":-1,"reason":"x"})")
                .details["rule"],
            "negative");
}

TEST(StateJsonTest, StateRoundTripsThroughJsonDeterministically) {
  State state = AwardedWorld();
  Accept(state, Envelope(Payment("wessex", "P1", 100)));
  Accept(state, Envelope(ReverseTranche{"wessex", "P1"}, "dup"));
  Accept(state, Envelope(AddMember{"wessex", "Acme Ltd", Sector::kIndustry, D("2010-01-10"),
                                   std::nullopt}));
  Accept(state, Envelope(RejectBid{"wms", D("2010-01-05")}, "no"));
  const json first = StateToJson(state);
  StatusOr<State> back = StateFromJson(json::parse(first.dump()));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(*back == state);
  EXPECT_EQ(StateToJson(*back).dump(), first.dump());
  EXPECT_EQ(first["clusters"]["wessex"]["tranches"]["P1"]["reversed"], true);
  // The payment-reference index is rebuilt from the tranches read back.
  EXPECT_EQ(back->FindClusterByPaymentReference("P1"), back->FindCluster("wessex"));
  EXPECT_EQ(back->FindClusterByPaymentReference("P2"), nullptr);
}

TEST(StateJsonTest, StateJsonBreakingAnInvariantIsDataLoss) {
  json state = StateToJson(AwardedWorld());
  state["programmes"]["hiec"]["financial_years"]["2009/10"]["awarded_pence"] = 5;
  EXPECT_EQ(StateFromJson(state).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(StateFromJson(json::array()).status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace tranche::core
