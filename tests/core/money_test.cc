// Pence: parsing, formatting, overflow.
#include <gtest/gtest.h>

#include <limits>

#include "core/money.h"

namespace tranche::core {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

TEST(PenceTest, ParsesPoundsInEveryAcceptedForm) {
  EXPECT_EQ(ParsePounds("\xC2\xA3" "1,234.56")->value(), 123456);
  EXPECT_EQ(ParsePounds("1234.56")->value(), 123456);
  EXPECT_EQ(ParsePounds("1234")->value(), 123400);
  EXPECT_EQ(ParsePounds("1,234,567.01")->value(), 123456701);
  EXPECT_EQ(ParsePounds("0.05")->value(), 5);
  EXPECT_EQ(ParsePounds("-\xC2\xA3" "12.00")->value(), -1200);
  EXPECT_EQ(ParsePounds("\xC2\xA3-12.00")->value(), -1200);
}

TEST(PenceTest, RejectsMalformedPounds) {
  for (const char* text : {"", "\xC2\xA3", "12.5", "12.345", "1,23", "12,34.00", ",123", "1,2345",
                           "1.", ".50", "12a", " 12", "12 ", "--12", "1e3", "\xC2\xA3\xC2\xA3" "1"}) {
    const StatusOr<Pence> parsed = ParsePounds(text);
    EXPECT_FALSE(parsed.ok()) << text;
    if (!parsed.ok()) {
      EXPECT_EQ(parsed.status().reason(), "invalid_amount");
    }
  }
}

TEST(PenceTest, FormatsWithGroupingAndSign) {
  EXPECT_EQ(FormatPounds(Pence(123456)), "\xC2\xA3" "1,234.56");
  EXPECT_EQ(FormatPounds(Pence(0)), "\xC2\xA3" "0.00");
  EXPECT_EQ(FormatPounds(Pence(5)), "\xC2\xA3" "0.05");
  EXPECT_EQ(FormatPounds(Pence(-1200)), "-\xC2\xA3" "12.00");
  EXPECT_EQ(FormatPounds(Pence(100'000'000)), "\xC2\xA3" "1,000,000.00");
  EXPECT_EQ(FormatPounds(Pence(kMin)), "-\xC2\xA3" "92,233,720,368,547,758.08");
  EXPECT_EQ(FormatPounds(Pence(kMax)), "\xC2\xA3" "92,233,720,368,547,758.07");
}

TEST(PenceTest, FormatAndParseRoundTripAtTheExtremes) {
  for (const int64_t value : {kMin, kMin + 1, int64_t{-1}, int64_t{0}, int64_t{99}, kMax}) {
    const StatusOr<Pence> parsed = ParsePounds(FormatPounds(Pence(value)));
    ASSERT_TRUE(parsed.ok()) << value;
    EXPECT_EQ(parsed->value(), value);
  }
  EXPECT_FALSE(ParsePounds("92,233,720,368,547,758.08").ok());
}

TEST(PenceTest, CheckedArithmeticReportsOverflowInsteadOfWrapping) {
  Pence out(7);
  EXPECT_FALSE(Pence::TryAdd(Pence(kMax), Pence(1), &out));
  EXPECT_EQ(out, Pence(7));
  EXPECT_FALSE(Pence::TrySub(Pence(kMin), Pence(1), &out));
  EXPECT_TRUE(Pence::TryAdd(Pence(kMax - 1), Pence(1), &out));
  EXPECT_EQ(out, Pence(kMax));
  EXPECT_EQ(Pence::Add(Pence(kMax), Pence(1)).status().reason(), "amount_overflow");
  EXPECT_EQ(Pence::Sub(Pence(5), Pence(7))->value(), -2);
}

TEST(PenceTest, ComparesByValue) {
  EXPECT_LT(Pence(1), Pence(2));
  EXPECT_EQ(Pence(3) + Pence(4), Pence(7));
  EXPECT_EQ(Pence(3) - Pence(4), Pence(-1));
}

TEST(PenceDeathTest, AssertingAdditionAbortsOnOverflow) {
  EXPECT_DEATH((void)(Pence(kMax) + Pence(1)), "overflowed");
}

}  // namespace
}  // namespace tranche::core
