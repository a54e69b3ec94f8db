// The kept head's text, "POSITION:HASH": what parses, and what is refused
// with which message.
#include "eventstore/kept_head.h"

#include <gtest/gtest.h>

namespace tranche::eventstore {
namespace {

const std::string kHashHex = "2febd9ae170bb9a946147db2eacd451645acd1e7b9c6d41b3ae6ae2499a908f7";

TEST(KeptHead, FormatsAndParsesBack) {
  StatusOr<Head> parsed = ParseKeptHead("1:" + kHashHex);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->position, 1u);
  EXPECT_EQ(parsed->hash.size(), kHashBytes);
  EXPECT_EQ(static_cast<unsigned char>(parsed->hash[0]), 0x2f);
  EXPECT_EQ(FormatKeptHead(*parsed), "1:" + kHashHex);
  std::string upper = kHashHex;
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  EXPECT_EQ(FormatKeptHead(*ParseKeptHead("1:" + upper)), "1:" + kHashHex);
  EXPECT_EQ(FormatKeptHead(Head{0, std::string(kHashBytes, '\0')}), "0:" + std::string(64, '0'));
  EXPECT_TRUE(ParseKeptHead("0:" + std::string(64, '0')).ok());
}

TEST(KeptHead, MalformedTextIsInvalidAndSaysWhichPart) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "no ':'"},
      {kHashHex, "no ':'"},
      {":" + kHashHex, "position"},
      {"-1:" + kHashHex, "position"},
      {"+1:" + kHashHex, "position"},
      {"1x:" + kHashHex, "position"},
      {"99999999999999999999:" + kHashHex, "position"},
      {"1:" + kHashHex.substr(1), "63 characters"},
      {"1:" + kHashHex + "0", "65 characters"},
      {"1:" + kHashHex.substr(0, 63) + "g", "not hexadecimal"},
      {"0:" + kHashHex, "position 0"},
      {std::string(200, '1'), "too long"},
  };
  for (const auto& [text, why] : cases) {
    StatusOr<Head> parsed = ParseKeptHead(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << text;
    EXPECT_EQ(parsed.status().reason(), "invalid_kept_head") << text;
    EXPECT_NE(parsed.status().message().find(why), std::string::npos)
        << text << " → " << parsed.status().message();
  }
}

}  // namespace
}  // namespace tranche::eventstore
