// Pence arithmetic, parsing and formatting.
#include "core/money.h"

#include <limits>

namespace tranche::core {
namespace {

Status OverflowStatus() {
  return Status::InvalidArgument("amount_overflow", "amount does not fit in 64-bit pence");
}

Status InvalidAmount(std::string_view text, std::string_view why) {
  return Status::InvalidArgument("invalid_amount",
                                 "'" + std::string(text) + "' is not an amount: " + std::string(why));
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Validates the whole-pound digits "1,234" or "1234" and returns them without commas.
bool StripGrouping(std::string_view whole, std::string* digits) {
  if (whole.empty()) return false;
  const bool grouped = whole.find(',') != std::string_view::npos;
  size_t since_comma = 0;
  bool seen_comma = false;
  for (size_t i = 0; i < whole.size(); ++i) {
    const char c = whole[i];
    if (c == ',') {
      if (since_comma == 0 || (seen_comma && since_comma != 3) || since_comma > 3) return false;
      seen_comma = true;
      since_comma = 0;
      continue;
    }
    if (!IsDigit(c)) return false;
    ++since_comma;
    digits->push_back(c);
  }
  return !grouped || since_comma == 3;
}

}  // namespace

bool Pence::TryAdd(Pence a, Pence b, Pence* out) {
  int64_t sum = 0;
  if (__builtin_add_overflow(a.value_, b.value_, &sum)) return false;
  *out = Pence(sum);
  return true;
}

bool Pence::TrySub(Pence a, Pence b, Pence* out) {
  int64_t difference = 0;
  if (__builtin_sub_overflow(a.value_, b.value_, &difference)) return false;
  *out = Pence(difference);
  return true;
}

StatusOr<Pence> Pence::Add(Pence a, Pence b) {
  Pence out;
  if (!TryAdd(a, b, &out)) return OverflowStatus();
  return out;
}

StatusOr<Pence> Pence::Sub(Pence a, Pence b) {
  Pence out;
  if (!TrySub(a, b, &out)) return OverflowStatus();
  return out;
}

Pence operator+(Pence a, Pence b) {
  Pence out;
  TRANCHE_CHECK_MSG(Pence::TryAdd(a, b, &out), "pence addition overflowed");
  return out;
}

Pence operator-(Pence a, Pence b) {
  Pence out;
  TRANCHE_CHECK_MSG(Pence::TrySub(a, b, &out), "pence subtraction overflowed");
  return out;
}

Pence& operator+=(Pence& a, Pence b) { return a = a + b; }
Pence& operator-=(Pence& a, Pence b) { return a = a - b; }

StatusOr<Pence> ParsePounds(std::string_view text) {
  std::string_view rest = text;
  static constexpr std::string_view kPound = "\xC2\xA3";  // "£" in UTF-8.
  bool negative = false;
  if (rest.starts_with('-')) {
    negative = true;
    rest.remove_prefix(1);
  }
  if (rest.starts_with(kPound)) rest.remove_prefix(kPound.size());
  if (!negative && rest.starts_with('-') && rest.size() < text.size()) {
    negative = true;
    rest.remove_prefix(1);
  }
  std::string_view whole = rest;
  std::string_view fraction;
  if (const size_t dot = rest.find('.'); dot != std::string_view::npos) {
    whole = rest.substr(0, dot);
    fraction = rest.substr(dot + 1);
    if (fraction.size() != 2 || !IsDigit(fraction[0]) || !IsDigit(fraction[1])) {
      return InvalidAmount(text, "the fraction must have exactly two digits");
    }
  }
  std::string digits;
  if (!StripGrouping(whole, &digits)) return InvalidAmount(text, "malformed pounds");
  // Accumulate as a negative number so that the int64 minimum parses too.
  int64_t value = 0;
  digits.append(fraction.empty() ? std::string_view("00") : fraction);
  for (const char c : digits) {
    if (__builtin_mul_overflow(value, 10, &value) || __builtin_sub_overflow(value, c - '0', &value)) {
      return InvalidAmount(text, "out of range");
    }
  }
  if (!negative) {
    if (value == std::numeric_limits<int64_t>::min()) return InvalidAmount(text, "out of range");
    value = -value;
  }
  return Pence(value);
}

std::string FormatPounds(Pence amount) {
  const int64_t value = amount.value();
  // Magnitude as unsigned so that the int64 minimum formats exactly.
  const uint64_t magnitude =
      value < 0 ? uint64_t{0} - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  const std::string whole = std::to_string(magnitude / 100);
  const uint64_t pennies = magnitude % 100;
  std::string out = value < 0 ? "-\xC2\xA3" : "\xC2\xA3";
  for (size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(whole[i]);
  }
  out.push_back('.');
  out.push_back(static_cast<char>('0' + pennies / 10));
  out.push_back(static_cast<char>('0' + pennies % 10));
  return out;
}

}  // namespace tranche::core
