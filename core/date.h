// Civil dates (business dates: paid_on, joined_on, ...) and UTC timestamps in microseconds.
//
// Thread-safety: values; use freely from any thread.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace tranche::core {

inline constexpr int kYearMin = 1;
inline constexpr int kYearMax = 9999;

bool IsLeapYear(int year);
// 28..31; requires 1 <= month <= 12.
int DaysInMonth(int year, int month);

// A proleptic Gregorian calendar date between 0001-01-01 and 9999-12-31.
// The default value is 1970-01-01.
class Date {
 public:
  constexpr Date() = default;

  // nullopt unless the triple is a real calendar date within the range above.
  static std::optional<Date> FromYmd(int year, int month, int day);
  // Requires the result to lie within the range; TRANCHE_CHECKed.
  static Date FromDaysSinceEpoch(int64_t days);

  int year() const { return year_; }
  int month() const { return month_; }
  int day() const { return day_; }

  // Days since 1970-01-01 (negative before it).
  int64_t DaysSinceEpoch() const;
  // nullopt if the result leaves the supported range.
  std::optional<Date> AddDays(int64_t days) const;
  // "YYYY-MM-DD".
  std::string ToString() const;

  friend constexpr auto operator<=>(const Date&, const Date&) = default;

 private:
  constexpr Date(int16_t year, int8_t month, int8_t day) : year_(year), month_(month), day_(day) {}
  // Declaration order makes the defaulted comparison chronological.
  int16_t year_ = 1970;
  int8_t month_ = 1;
  int8_t day_ = 1;
};

// Strict "YYYY-MM-DD": exactly that shape, a real calendar date (29 February
// only in leap years). Errors: kInvalidArgument, reason "invalid_date".
StatusOr<Date> ParseDate(std::string_view text);
std::string FormatDate(Date date);

// A UTC instant, microseconds since 1970-01-01T00:00:00Z.
class Timestamp {
 public:
  constexpr Timestamp() = default;
  constexpr explicit Timestamp(int64_t unix_micros) : unix_micros_(unix_micros) {}
  constexpr int64_t unix_micros() const { return unix_micros_; }
  // The UTC calendar date the instant falls on.
  Date UtcDate() const;
  friend constexpr auto operator<=>(Timestamp, Timestamp) = default;

 private:
  int64_t unix_micros_ = 0;
};

// RFC 3339: "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)"; 't'/'z' accepted
// in lower case; 1–9 fraction digits, truncated to microseconds; no leap
// seconds. Errors: kInvalidArgument, reason "invalid_timestamp".
StatusOr<Timestamp> ParseTimestamp(std::string_view text);
// Always "YYYY-MM-DDTHH:MM:SS.ffffffZ" (six fraction digits, UTC). Requires
// the instant to fall in years 1–9999 (TRANCHE_CHECKed); UtcDate() likewise.
std::string FormatTimestamp(Timestamp timestamp);

// Writes `value` (0 ≤ value < 10^width) as exactly `width` decimal digits,
// zero-padded, at `out`: what printf's %0<width>d writes for such values.
// Dates and financial-year labels are formatted with it instead of
// snprintf, which showed in profiles of the command digest and of views.
void WriteFixedDigits(int value, int width, char* out);

}  // namespace tranche::core
