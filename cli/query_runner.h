// QueryRunner: the read subcommands that ask the server (programme,
// clusters, cluster, ledger, history, verify, head, export).
//
// Each returns an exit code (cli/exit_code.h). Thread-safety: stateless.
#pragma once

#include "cli/arguments.h"

namespace tranche::cli {

class QueryRunner {
 public:
  static int Programme(const Arguments& args);
  static int Clusters(const Arguments& args);
  static int Cluster(const Arguments& args);
  static int Ledger(const Arguments& args);
  static int History(const Arguments& args);
  // Server verify [--against POSITION:HASH]; `tranche verify --data DIR`
  // goes to OfflineRunner.
  static int Verify(const Arguments& args);
  // The server's head as POSITION:HASH; `tranche head --data DIR` goes to
  // OfflineRunner.
  static int Head(const Arguments& args);
  static int Export(const Arguments& args);
};

}  // namespace tranche::cli
