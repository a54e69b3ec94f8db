// Dates, timestamps and UK financial years.
#include <gtest/gtest.h>

#include <algorithm>

#include <cstdio>
#include <utility>

#include "core/date.h"
#include "core/financial_year.h"

namespace tranche::core {
namespace {

Date D(std::string_view text) { return *ParseDate(text); }

TEST(DateTest, ParsesStrictIsoDates) {
  const Date date = D("2010-03-31");
  EXPECT_EQ(date.year(), 2010);
  EXPECT_EQ(date.month(), 3);
  EXPECT_EQ(date.day(), 31);
  EXPECT_EQ(date.ToString(), "2010-03-31");
  for (const char* bad : {"2010-3-31", "2010-03-32", "2010-02-29", "2010-13-01", "2010-00-10",
                          "20100331", "2010-03-31T00:00", " 2010-03-31", "0000-01-01", "abcd-ef-gh"}) {
    EXPECT_FALSE(ParseDate(bad).ok()) << bad;
  }
}

// ToString and Label write their digits by hand; printf's zero-padded
// widths are the reference, over the whole range of each.
TEST(DateTest, ToStringAndLabelSpellEveryYearAsPrintfWould) {
  char expected[32];
  for (int year = kYearMin; year <= kYearMax; ++year) {
    for (const auto& [month, day] : {std::pair{1, 1}, std::pair{2, 28}, std::pair{9, 30},
                                     std::pair{10, 9}, std::pair{12, 31}}) {
      const Date date = *Date::FromYmd(year, month, day);
      std::snprintf(expected, sizeof expected, "%04d-%02d-%02d", year, month, day);
      ASSERT_EQ(date.ToString(), expected);
      ASSERT_EQ(*ParseDate(expected), date);
    }
  }
  for (int start = FinancialYear::kStartYearMin; start <= FinancialYear::kStartYearMax; ++start) {
    std::snprintf(expected, sizeof expected, "%04d/%02d", start, (start + 1) % 100);
    ASSERT_EQ(FinancialYear::FromStartYear(start).Label(), expected);
  }
}

TEST(DateTest, TwentyNinthOfFebruaryExistsOnlyInLeapYears) {
  EXPECT_TRUE(ParseDate("2008-02-29").ok());
  EXPECT_TRUE(ParseDate("2000-02-29").ok());
  EXPECT_FALSE(ParseDate("1900-02-29").ok());
  EXPECT_FALSE(ParseDate("2010-02-29").ok());
  EXPECT_EQ(DaysInMonth(2012, 2), 29);
  EXPECT_EQ(DaysInMonth(2100, 2), 28);
}

TEST(DateTest, DayArithmeticCrossesMonthsYearsAndLeapDays) {
  EXPECT_EQ(D("1970-01-01").DaysSinceEpoch(), 0);
  EXPECT_EQ(D("1969-12-31").DaysSinceEpoch(), -1);
  EXPECT_EQ(*D("2010-03-31").AddDays(1), D("2010-04-01"));
  EXPECT_EQ(*D("2008-02-28").AddDays(1), D("2008-02-29"));
  EXPECT_EQ(*D("2008-03-01").AddDays(-1), D("2008-02-29"));
  EXPECT_FALSE(D("9999-12-31").AddDays(1).has_value());
  EXPECT_FALSE(D("0001-01-01").AddDays(-1).has_value());
  for (int64_t days = -719'000; days < 2'932'000; days += 997) {
    EXPECT_EQ(Date::FromDaysSinceEpoch(days).DaysSinceEpoch(), days);
  }
}

TEST(DateTest, OrdersChronologically) {
  EXPECT_LT(D("2009-12-31"), D("2010-01-01"));
  EXPECT_LT(D("2010-01-31"), D("2010-02-01"));
}

TEST(TimestampTest, ParsesUtcOffsetsAndFractions) {
  EXPECT_EQ(ParseTimestamp("1970-01-01T00:00:00Z")->unix_micros(), 0);
  EXPECT_EQ(ParseTimestamp("1970-01-01T00:00:01.5Z")->unix_micros(), 1'500'000);
  EXPECT_EQ(ParseTimestamp("1970-01-01T01:00:00+01:00")->unix_micros(), 0);
  EXPECT_EQ(ParseTimestamp("1969-12-31T19:00:00-05:00")->unix_micros(), 0);
  EXPECT_EQ(ParseTimestamp("1970-01-01t00:00:00.123456789z")->unix_micros(), 123456);
  EXPECT_EQ(*ParseTimestamp("2010-03-31T23:59:59.999999Z"),
            *ParseTimestamp("2010-04-01T00:59:59.999999+01:00"));
  for (const char* bad : {"2010-03-31", "2010-03-31T24:00:00Z", "2010-03-31T23:59:60Z",
                          "2010-03-31T23:59:59", "2010-03-31T23:59:59.Z", "2010-03-31 23:59:59Z",
                          "2010-03-31T23:59:59+1:00", "2010-03-31T23:59:59.1234567890Z"}) {
    EXPECT_FALSE(ParseTimestamp(bad).ok()) << bad;
  }
}

TEST(TimestampTest, FormatsAsSixDigitUtcAndRoundTrips) {
  const Timestamp timestamp = *ParseTimestamp("2010-03-31T23:59:59Z");
  EXPECT_EQ(FormatTimestamp(timestamp), "2010-03-31T23:59:59.000000Z");
  EXPECT_EQ(FormatTimestamp(Timestamp(-1)), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(Timestamp(-1).UtcDate(), D("1969-12-31"));
  for (const int64_t micros : {int64_t{0}, int64_t{-1}, int64_t{1'270'079'999'123'456}}) {
    EXPECT_EQ(ParseTimestamp(FormatTimestamp(Timestamp(micros)))->unix_micros(), micros);
  }
}

TEST(FinancialYearTest, ThirtyFirstMarchAndFirstAprilFallInDifferentYears) {
  const FinancialYear year = *FinancialYear::Parse("2009/10");
  EXPECT_EQ(year.Start(), D("2009-04-01"));
  EXPECT_EQ(year.End(), D("2010-03-31"));
  EXPECT_TRUE(year.Contains(D("2009-04-01")));
  EXPECT_TRUE(year.Contains(D("2010-03-31")));
  EXPECT_FALSE(year.Contains(D("2009-03-31")));
  EXPECT_FALSE(year.Contains(D("2010-04-01")));
  EXPECT_EQ(FinancialYear::FromDate(D("2010-03-31")).Label(), "2009/10");
  EXPECT_EQ(FinancialYear::FromDate(D("2010-04-01")).Label(), "2010/11");
  EXPECT_EQ(FinancialYear::FromDate(D("2012-02-29")).Label(), "2011/12");
}

// Contains reads the date's fields; it must agree with the year's bounds
// on every day, leap days and the first and last years included.
TEST(FinancialYearTest, ContainsAgreesWithStartAndEndOnEveryDay) {
  for (const int start_year : {FinancialYear::kStartYearMin, 1999, 2008, 2009, 2011,
                               FinancialYear::kStartYearMax}) {
    const FinancialYear year = FinancialYear::FromStartYear(start_year);
    Date day = *Date::FromYmd(start_year - 1, 1, 1);
    const Date last = *Date::FromYmd(std::min(start_year + 2, kYearMax), 12, 31);
    int inside = 0;
    for (;;) {
      const bool within = year.Start() <= day && day <= year.End();
      ASSERT_EQ(year.Contains(day), within) << start_year << " " << day.ToString();
      inside += within;
      if (day == last) break;
      day = *day.AddDays(1);
    }
    EXPECT_EQ(inside, year.End().DaysSinceEpoch() - year.Start().DaysSinceEpoch() + 1);
  }
}

TEST(FinancialYearTest, LabelsParseStrictly) {
  EXPECT_EQ(FinancialYear::Parse("1999/00")->start_year(), 1999);
  EXPECT_EQ(FinancialYear::Parse("2010/11")->Label(), "2010/11");
  for (const char* bad : {"2009/11", "2009-10", "2009/2010", "09/10", "2009/1", "2009/10 ", ""}) {
    EXPECT_FALSE(FinancialYear::Parse(bad).ok()) << bad;
  }
  EXPECT_LT(*FinancialYear::Parse("2009/10"), *FinancialYear::Parse("2010/11"));
}

}  // namespace
}  // namespace tranche::core
