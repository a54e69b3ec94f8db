// TRANCHE_CHECK: assertions that stay on in release builds.
//
// Assertions are for our own bugs (a broken invariant, a contract a caller
// broke); the world's failures are Statuses. A failed check prints where and
// what, then aborts, so that a bug never turns into silently wrong money.
#pragma once

namespace tranche::internal {
[[noreturn]] void CheckFailed(const char* file, int line, const char* expression,
                              const char* message);
}  // namespace tranche::internal

#define TRANCHE_CHECK(condition)                                                 \
  do {                                                                           \
    if (!(condition)) [[unlikely]]                                               \
      ::tranche::internal::CheckFailed(__FILE__, __LINE__, #condition, nullptr); \
  } while (false)

#define TRANCHE_CHECK_MSG(condition, message)                                    \
  do {                                                                           \
    if (!(condition)) [[unlikely]]                                               \
      ::tranche::internal::CheckFailed(__FILE__, __LINE__, #condition, message); \
  } while (false)

// For the end of a switch that covers every enumerator: unlike
// TRANCHE_CHECK(false), the compiler sees that control never goes on, at
// every optimisation level.
#define TRANCHE_UNREACHABLE(message) \
  ::tranche::internal::CheckFailed(__FILE__, __LINE__, "unreachable", message)
