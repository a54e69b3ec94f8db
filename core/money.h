// Pence: money as a whole number of pence. No floating point anywhere near money.
//
// Thread-safety: values; use freely from any thread.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/check.h"
#include "core/status.h"

namespace tranche::core {

// The largest amount a single command may carry (£1,000,000,000,000.00). Every
// amount that enters through a command is at most this, and every stored sum
// is bounded by an envelope or an award, so no sum the domain forms can come
// near int64's range; the checked helpers below still guard every addition.
inline constexpr int64_t kAmountPenceMax = 100'000'000'000'000;

class Pence {
 public:
  constexpr Pence() = default;
  constexpr explicit Pence(int64_t value) : value_(value) {}

  constexpr int64_t value() const { return value_; }
  constexpr bool IsPositive() const { return value_ > 0; }
  constexpr bool IsNegative() const { return value_ < 0; }
  constexpr bool IsZero() const { return value_ == 0; }

  friend constexpr auto operator<=>(Pence, Pence) = default;

  // Overflow-checked arithmetic. Return false (and leave *out untouched) when
  // the exact result does not fit in int64_t.
  [[nodiscard]] static bool TryAdd(Pence a, Pence b, Pence* out);
  [[nodiscard]] static bool TrySub(Pence a, Pence b, Pence* out);

  // The same as Statuses: kInvalidArgument, reason "amount_overflow".
  static StatusOr<Pence> Add(Pence a, Pence b);
  static StatusOr<Pence> Sub(Pence a, Pence b);

 private:
  int64_t value_ = 0;
};

// Asserting arithmetic for code whose invariants already bound the operands
// (Evolve, projections). Overflow is a bug there, so it aborts via TRANCHE_CHECK.
Pence operator+(Pence a, Pence b);
Pence operator-(Pence a, Pence b);
Pence& operator+=(Pence& a, Pence b);
Pence& operator-=(Pence& a, Pence b);

// Parses "£1,234.56", "1,234.56", "1234.56", "1234", "-£12.00", "£-12.00" (no
// spaces). Commas, if any, must group the whole-pound digits in threes; a
// fraction, if any, has exactly two digits. Errors: kInvalidArgument with
// reason "invalid_amount".
StatusOr<Pence> ParsePounds(std::string_view text);

// "£1,234.56"; negatives "-£12.00". Exact for every int64_t, including the minimum.
std::string FormatPounds(Pence amount);

}  // namespace tranche::core
