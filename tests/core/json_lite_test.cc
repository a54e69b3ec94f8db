// JsonLite (core/json/json_lite.h) answers as nlohmann's DOM does: the same
// texts accepted and refused, the same kinds, values, key order and
// repeated keys; and a command parsed from text through it gives the same
// envelope or the same rejection as nlohmann::json::parse and ParseCommand.
#include "core/json/json_lite.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/decide_checks.h"
#include "core/json/json_codec.h"
#include "tests/core/domain_fixture.h"

namespace tranche::core {
namespace {

using json_internal::JsonLite;
using json_internal::JsonLiteDocument;
using nlohmann::json;

// The lite value rebuilt as nlohmann's DOM, member by member in the lite
// order (nlohmann sorts on insertion, so the order is checked separately).
json ToDom(const JsonLite& value, std::vector<std::string>* key_order) {
  if (value.is_null()) return nullptr;
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    json array = json::array();
    for (size_t i = 0; i < value.size(); ++i) array.push_back(ToDom(value[i], key_order));
    return array;
  }
  if (value.is_object()) {
    json object = json::object();
    for (const auto& item : value.items()) {
      key_order->emplace_back(item.key());
      EXPECT_TRUE(value.contains(item.key()));
      object[std::string(item.key())] = ToDom(item.value(), key_order);
    }
    EXPECT_EQ(object.size(), value.size());
    return object;
  }
  return json();  // A float: compared on its own (FloatsOf).
}

// Every key of the DOM in its iteration order (sorted), depth first.
void DomKeyOrder(const json& value, std::vector<std::string>* out) {
  if (value.is_array()) {
    for (const json& item : value) DomKeyOrder(item, out);
  } else if (value.is_object()) {
    for (const auto& item : value.items()) {
      out->push_back(item.key());
      DomKeyOrder(item.value(), out);
    }
  }
}

// Floats become null on both sides, so the structures compare; the floats'
// values are compared by FloatsOf.
json WithoutFloats(json value) {
  if (value.is_number_float()) return nullptr;
  if (value.is_array() || value.is_object()) {
    for (auto& item : value) item = WithoutFloats(item);
  }
  return value;
}

void FloatsOf(const JsonLite& value, std::vector<double>* out) {
  if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) FloatsOf(value[i], out);
  } else if (value.is_object()) {
    for (const auto& item : value.items()) FloatsOf(item.value(), out);
  } else if (!value.is_null() && !value.is_boolean() && !value.is_number_integer() &&
             !value.is_string()) {
    out->push_back(value.get<double>());
  }
}

void DomFloatsOf(const json& value, std::vector<double>* out) {
  if (value.is_array() || value.is_object()) {
    for (const json& item : value) DomFloatsOf(item, out);
  } else if (value.is_number_float()) {
    out->push_back(value.get<double>());
  }
}

void ExpectSameAsDom(const std::string& text) {
  SCOPED_TRACE(text);
  JsonLiteDocument document;
  const json dom = json::parse(text, nullptr, /*allow_exceptions=*/false);
  const bool parsed = document.Parse(text);
  ASSERT_EQ(parsed, !dom.is_discarded());
  if (!parsed) return;
  std::vector<std::string> lite_keys, dom_keys;
  EXPECT_EQ(WithoutFloats(ToDom(document.root(), &lite_keys)), WithoutFloats(dom));
  DomKeyOrder(dom, &dom_keys);
  EXPECT_EQ(lite_keys, dom_keys);
  std::vector<double> lite_floats, dom_floats;
  FloatsOf(document.root(), &lite_floats);
  DomFloatsOf(dom, &dom_floats);
  EXPECT_EQ(lite_floats, dom_floats);
}

const std::vector<std::string>& Texts() {
  static const std::vector<std::string> texts = {
      "{}", "[]", "null", "true", "false", "0", "-0", "1", "-1", "1.5", "1e3", "1E+3", "-2.5e-3",
      "18446744073709551615", "18446744073709551616", "9223372036854775807",
      "-9223372036854775808", "-9223372036854775809", "  {\"a\" : 1 }  ", "{\"a\":1,}", "[1,]",
      "{\"a\"}", "{\"a\":}", "{a:1}", "{'a':1}", "01", "1.", ".5", "+1", "NaN", "Infinity",
      "{\"a\":1} x", "{\"a\":1}{}", "", " ", "\"\\u00e9\"", "\"\\ud83d\\ude00\"", "\"\\ud83d\"",
      "\"\\ude00\"", "\"\\x\"", "\"tab\there\"", "\"caf\xc3\xa9\"", "\"bad \xff\"", "\"\xc3\"",
      "{\"b\":1,\"a\":2,\"b\":3}", "{\"z\":{\"y\":[1,{\"x\":null}],\"a\":true},\"m\":\"\"}",
      "{\"\":0,\"\\u0000\":1}", "[[[[[]]]]]", "{\"a\":[1,2,{\"b\":{}}],\"a\":false}",
      "{\"amount_pence\":1.0}", "{\"amount_pence\":100000000000000000000}",
      "/* c */ {}", "{\"a\":1 // c\n}", "\xef\xbb\xbf{}",
  };
  return texts;
}

TEST(JsonLiteTest, AnswersAsNlohmannsDomForEveryKindOfText) {
  for (const std::string& text : Texts()) ExpectSameAsDom(text);
}

TEST(JsonLiteTest, AnswersAsNlohmannsDomForMutatedBodies) {
  // Bodies with one byte changed, dropped or repeated: most are refused, and
  // each is refused or read alike.
  const std::vector<std::string> seeds = {
      R"({"command_id":"c-1","cluster_id":"wessex","financial_year":"2009/10",)"
      R"("amount_pence":35000000,"paid_on":"2010-03-31","payment_reference":"HIEC/0001"})",
      R"({"command_id":"c-2","programme_id":"hiec","cluster_id":"x","requested":)"
      R"({"2009/10":1,"2010/11":2},"submitted_on":"2009-10-30","expected_version":3})",
  };
  std::mt19937 random(20261127);
  const std::string alphabet = "{}[]\",:0123456789.-+eE \\u/abnrtfx\xc3\xa9\xff";
  for (const std::string& seed : seeds) {
    ExpectSameAsDom(seed);
    for (int round = 0; round < 1500; ++round) {
      std::string text = seed;
      const size_t at = random() % text.size();
      switch (random() % 3) {
        case 0: text[at] = alphabet[random() % alphabet.size()]; break;
        case 1: text.erase(at, 1); break;
        default: text.insert(at, 1, text[at]); break;
      }
      ExpectSameAsDom(text);
    }
  }
}

TEST(JsonLiteTest, CommandsParsedFromTextMatchTheDomPath) {
  const std::vector<std::pair<std::string, std::string>> bodies = {
      {"record-tranche", R"({"command_id":"c-1","cluster_id":"wessex","financial_year":"2009/10",)"
                         R"("amount_pence":35000000,"paid_on":"2010-03-31",)"
                         R"("payment_reference":"P/1"})"},
      {"record-tranche", R"({"command_id":"c-1","cluster_id":"wessex","financial_year":"2009/10",)"
                         R"("amount_pence":1.5,"paid_on":"2010-03-31","payment_reference":"P/1"})"},
      {"record-tranche", R"({"command_id":"c-1","cluster_id":"wessex","financial_year":"2009/10",)"
                         R"("amount_pence":-3,"paid_on":"2010-03-31","payment_reference":"P/1",)"
                         R"("zzz":1,"aaa":2})"},
      {"record-tranche", R"({"command_id":"c-1","command_id":"c-2","cluster_id":"wessex",)"
                         R"("financial_year":"2009/10","amount_pence":1,"paid_on":"2010-03-31",)"
                         R"("payment_reference":"P/1","expected_version":null,"reason":null})"},
      {"submit-bid", R"({"command_id":"b-1","programme_id":"hiec","cluster_id":"x","name":"X",)"
                     R"("region":"R","principal_partner":"P","work_programme":"W",)"
                     R"("requested":{"2010/11":2,"2009/10":1},"submitted_on":"2009-10-30"})"},
      {"submit-bid", R"({"command_id":"b-1","programme_id":"hiec","cluster_id":"x","name":"X",)"
                     R"("region":"R","principal_partner":"P","work_programme":"W",)"
                     R"("requested":{"2009/1":1},"submitted_on":"2009-10-30"})"},
      {"add-member", R"({"command_id":"m-1","cluster_id":"wessex","name":"Acme","sector":"nope",)"
                     R"("joined_on":"2010-01-10"})"},
      {"add-member", R"({"command_id":"m-1","cluster_id":"wessex","name":7,"sector":"industry",)"
                     R"("joined_on":"2010-01-10","expected_version":18446744073709551615})"},
      {"reverse-tranche", R"({"command_id":"r-1","cluster_id":"w","payment_reference":"P/1",)"
                          R"("reason":"entered twice"})"},
      {"record-tranche", R"([1,2])"},
      {"record-tranche", R"({"command_id":"c-1")"},
      {"no-such-command", R"({"command_id":"c-1"})"},
  };
  for (const auto& [name, text] : bodies) {
    SCOPED_TRACE(text);
    const json dom = json::parse(text, nullptr, false);
    const auto expected =
        dom.is_discarded() || !dom.is_object()
            ? std::variant<CommandEnvelope, Rejection>(internal::InvalidField(
                  "body", "not_a_json_object", "the body must be a JSON object"))
            : ParseCommand(name, dom);
    EXPECT_EQ(ParseCommandText(name, text), expected);
  }
}

}  // namespace
}  // namespace tranche::core
