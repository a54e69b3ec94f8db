// UK financial years: 1 April to 31 March.
#include "core/financial_year.h"

#include "core/check.h"

namespace tranche::core {
namespace {

Status InvalidLabel(std::string_view label, std::string_view why) {
  return Status::InvalidArgument("invalid_financial_year", "'" + std::string(label) +
                                                               "' is not a financial year label: " +
                                                               std::string(why));
}

bool AllDigits(std::string_view text) {
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

StatusOr<FinancialYear> FinancialYear::Parse(std::string_view label) {
  if (label.size() != 7 || label[4] != '/' || !AllDigits(label.substr(0, 4)) ||
      !AllDigits(label.substr(5, 2))) {
    return InvalidLabel(label, "expected YYYY/YY");
  }
  const int start = (label[0] - '0') * 1000 + (label[1] - '0') * 100 + (label[2] - '0') * 10 +
                    (label[3] - '0');
  const int end_two_digits = (label[5] - '0') * 10 + (label[6] - '0');
  if (start < kStartYearMin || start > kStartYearMax) return InvalidLabel(label, "year out of range");
  if (end_two_digits != (start + 1) % 100) {
    return InvalidLabel(label, "the second year must follow the first");
  }
  return FinancialYear(start);
}

FinancialYear FinancialYear::FromStartYear(int start_year) {
  TRANCHE_CHECK(start_year >= kStartYearMin && start_year <= kStartYearMax);
  return FinancialYear(start_year);
}

FinancialYear FinancialYear::FromDate(Date date) {
  return FromStartYear(date.month() >= 4 ? date.year() : date.year() - 1);
}

Date FinancialYear::Start() const { return *Date::FromYmd(start_year_, 4, 1); }

Date FinancialYear::End() const { return *Date::FromYmd(start_year_ + 1, 3, 31); }

std::string FinancialYear::Label() const {
  // YYYY/YY; start_year_ is within kStartYearMin..kStartYearMax (4 digits).
  char text[7] = {0, 0, 0, 0, '/', 0, 0};
  WriteFixedDigits(start_year_, 4, text);
  WriteFixedDigits((start_year_ + 1) % 100, 2, text + 5);
  return std::string(text, sizeof text);
}

}  // namespace tranche::core
