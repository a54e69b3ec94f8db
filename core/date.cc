// Civil dates and RFC 3339 timestamps, using the proleptic Gregorian calendar.
#include "core/date.h"

#include <cstdio>

#include "core/check.h"

namespace tranche::core {
namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kSecondsPerDay = 86'400;

// Days since 1970-01-01 of a valid civil date. The Gregorian calendar repeats
// every 400 years (146097 days); counting years from March puts the leap day
// last, so the day of the year follows from the month with one formula.
int64_t DaysFromCivil(int year, int month, int day) {
  const int64_t y = year - (month <= 2 ? 1 : 0);
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t year_of_era = y - era * 400;
  const int64_t month_from_march = month > 2 ? month - 3 : month + 9;
  const int64_t day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

struct Civil {
  int64_t year;
  int month;
  int day;
};

// The inverse of DaysFromCivil.
Civil CivilFromDays(int64_t days) {
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t day_of_era = z - era * 146097;
  const int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t month_from_march = (5 * day_of_year + 2) / 153;
  const int day = static_cast<int>(day_of_year - (153 * month_from_march + 2) / 5 + 1);
  const int month = static_cast<int>(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
  return Civil{year_of_era + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

bool ParseDigits(std::string_view text, size_t pos, size_t count, int* out) {
  if (pos + count > text.size()) return false;
  int value = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  *out = value;
  return true;
}

Status InvalidTimestamp(std::string_view text) {
  return Status::InvalidArgument("invalid_timestamp",
                                 "'" + std::string(text) + "' is not an RFC 3339 timestamp");
}

// Parses "(Z|z|+HH:MM|-HH:MM)" that ends `text` at `pos`; seconds east of UTC.
bool ParseOffset(std::string_view text, size_t pos, int64_t* offset_seconds) {
  if (pos >= text.size()) return false;
  if (text[pos] == 'Z' || text[pos] == 'z') {
    *offset_seconds = 0;
    return pos + 1 == text.size();
  }
  if (text[pos] != '+' && text[pos] != '-') return false;
  int hours = 0;
  int minutes = 0;
  if (pos + 6 != text.size() || !ParseDigits(text, pos + 1, 2, &hours) || text[pos + 3] != ':' ||
      !ParseDigits(text, pos + 4, 2, &minutes) || hours > 23 || minutes > 59) {
    return false;
  }
  *offset_seconds = (hours * 3600 + minutes * 60) * (text[pos] == '-' ? -1 : 1);
  return true;
}

}  // namespace

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int year, int month) {
  TRANCHE_CHECK(month >= 1 && month <= 12);
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

std::optional<Date> Date::FromYmd(int year, int month, int day) {
  if (year < kYearMin || year > kYearMax || month < 1 || month > 12) return std::nullopt;
  if (day < 1 || day > DaysInMonth(year, month)) return std::nullopt;
  return Date(static_cast<int16_t>(year), static_cast<int8_t>(month), static_cast<int8_t>(day));
}

Date Date::FromDaysSinceEpoch(int64_t days) {
  const Civil civil = CivilFromDays(days);
  TRANCHE_CHECK(civil.year >= kYearMin && civil.year <= kYearMax);
  return Date(static_cast<int16_t>(civil.year), static_cast<int8_t>(civil.month),
              static_cast<int8_t>(civil.day));
}

int64_t Date::DaysSinceEpoch() const { return DaysFromCivil(year_, month_, day_); }

std::optional<Date> Date::AddDays(int64_t days) const {
  static const int64_t kFirst = DaysFromCivil(kYearMin, 1, 1);
  static const int64_t kLast = DaysFromCivil(kYearMax, 12, 31);
  const int64_t target = DaysSinceEpoch() + days;
  if (days < kFirst - kLast || days > kLast - kFirst || target < kFirst || target > kLast) {
    return std::nullopt;
  }
  return FromDaysSinceEpoch(target);
}

std::string Date::ToString() const {
  // YYYY-MM-DD; every field is in range (FromYmd), so the widths are fixed.
  char text[10] = {0, 0, 0, 0, '-', 0, 0, '-', 0, 0};
  WriteFixedDigits(year_, 4, text);
  WriteFixedDigits(month_, 2, text + 5);
  WriteFixedDigits(day_, 2, text + 8);
  return std::string(text, sizeof text);
}

void WriteFixedDigits(int value, int width, char* out) {
  TRANCHE_CHECK(value >= 0);
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  TRANCHE_CHECK_MSG(value == 0, "value wider than its field");
}

StatusOr<Date> ParseDate(std::string_view text) {
  int year = 0;
  int month = 0;
  int day = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !ParseDigits(text, 0, 4, &year) ||
      !ParseDigits(text, 5, 2, &month) || !ParseDigits(text, 8, 2, &day)) {
    return Status::InvalidArgument("invalid_date", "'" + std::string(text) + "' is not YYYY-MM-DD");
  }
  std::optional<Date> date = Date::FromYmd(year, month, day);
  if (!date) {
    return Status::InvalidArgument("invalid_date",
                                   "'" + std::string(text) + "' is not a calendar date");
  }
  return *date;
}

std::string FormatDate(Date date) { return date.ToString(); }

Date Timestamp::UtcDate() const {
  int64_t days = unix_micros_ / (kMicrosPerSecond * kSecondsPerDay);
  if (unix_micros_ % (kMicrosPerSecond * kSecondsPerDay) < 0) --days;
  return Date::FromDaysSinceEpoch(days);
}

StatusOr<Timestamp> ParseTimestamp(std::string_view text) {
  if (text.size() < 20) return InvalidTimestamp(text);
  StatusOr<Date> date = ParseDate(text.substr(0, 10));
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (!date.ok() || (text[10] != 'T' && text[10] != 't') || !ParseDigits(text, 11, 2, &hour) ||
      text[13] != ':' || !ParseDigits(text, 14, 2, &minute) || text[16] != ':' ||
      !ParseDigits(text, 17, 2, &second) || hour > 23 || minute > 59 || second > 59) {
    return InvalidTimestamp(text);
  }
  size_t pos = 19;
  int64_t micros = 0;
  if (text[pos] == '.') {
    size_t digits = 0;
    for (++pos; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos, ++digits) {
      if (digits < 6) micros = micros * 10 + (text[pos] - '0');
    }
    if (digits == 0 || digits > 9) return InvalidTimestamp(text);
    for (; digits < 6; ++digits) micros *= 10;
  }
  int64_t offset_seconds = 0;
  if (!ParseOffset(text, pos, &offset_seconds)) return InvalidTimestamp(text);
  const int64_t seconds = date->DaysSinceEpoch() * kSecondsPerDay + hour * 3600 + minute * 60 +
                          second - offset_seconds;
  return Timestamp(seconds * kMicrosPerSecond + micros);
}

std::string FormatTimestamp(Timestamp timestamp) {
  const int64_t micros_per_day = kMicrosPerSecond * kSecondsPerDay;
  const Date date = timestamp.UtcDate();
  const int64_t of_day = timestamp.unix_micros() - date.DaysSinceEpoch() * micros_per_day;
  const int64_t seconds = of_day / kMicrosPerSecond;
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%sT%02d:%02d:%02d.%06dZ", date.ToString().c_str(),
                static_cast<int>(seconds / 3600), static_cast<int>(seconds / 60 % 60),
                static_cast<int>(seconds % 60), static_cast<int>(of_day % kMicrosPerSecond));
  return buffer;
}

}  // namespace tranche::core
