// FinancialYear: a UK financial year, 1 April to 31 March, labelled "2009/10".
//
// Thread-safety: values; use freely from any thread.
#pragma once

#include <compare>
#include <string>
#include <string_view>

#include "core/date.h"
#include "core/status.h"

namespace tranche::core {

class FinancialYear {
 public:
  // The first and last start years whose whole year fits in Date's range.
  static constexpr int kStartYearMin = 1000;
  static constexpr int kStartYearMax = 9998;

  // 2009/10 by default, so that a default value is at least a valid year.
  constexpr FinancialYear() = default;

  // Strict "YYYY/YY" where YY == (YYYY + 1) % 100 and YYYY is within
  // [kStartYearMin, kStartYearMax]. Errors: kInvalidArgument, reason
  // "invalid_financial_year".
  static StatusOr<FinancialYear> Parse(std::string_view label);
  // The year starting on 1 April of `start_year`; TRANCHE_CHECKs the range.
  static FinancialYear FromStartYear(int start_year);
  // The year containing `date`; TRANCHE_CHECKs that it is within range
  // (dates before 1000-04-01 or after 9999-03-31 have none).
  static FinancialYear FromDate(Date date);

  int start_year() const { return start_year_; }
  // 1 April of start_year.
  Date Start() const;
  // 31 March of start_year + 1 (inclusive).
  Date End() const;
  // Start() <= date <= End(), from the date's fields alone: every recorded
  // tranche is checked against its year, in every replay.
  bool Contains(Date date) const {
    return (date.month() >= 4 ? date.year() : date.year() - 1) == start_year_;
  }
  // "2009/10".
  std::string Label() const;

  friend constexpr auto operator<=>(FinancialYear, FinancialYear) = default;

 private:
  explicit constexpr FinancialYear(int start_year) : start_year_(start_year) {}
  int start_year_ = 2009;
};

}  // namespace tranche::core
