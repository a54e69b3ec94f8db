// TokenRunner: `tranche token add|revoke|list --data DIR`, local management
// of the bearer tokens in DIR/tokens.json (stored hashed; a running tranched
// reloads them on SIGHUP).
// Thread-safety: stateless; not safe against two processes editing one file.
#pragma once

#include "cli/arguments.h"

namespace tranche::cli {

class TokenRunner {
 public:
  static int Run(const Arguments& args);

 private:
  static int Add(const Arguments& args);
  static int Revoke(const Arguments& args);
  static int List(const Arguments& args);
};

}  // namespace tranche::cli
