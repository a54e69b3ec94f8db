// The failure path of TRANCHE_CHECK.
#include "core/check.h"

#include <cstdio>
#include <cstdlib>

namespace tranche::internal {

void CheckFailed(const char* file, int line, const char* expression, const char* message) {
  std::fprintf(stderr, "%s:%d: check failed: %s%s%s\n", file, line, expression,
               message ? ": " : "", message ? message : "");
  std::fflush(stderr);
  std::abort();
}

}  // namespace tranche::internal
