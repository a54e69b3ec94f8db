// OfflineRunner: subcommands that read a data directory directly, without a
// server: verify --data, replay, backup.
//
// A data directory is what tranched --data uses: the RocksDB store in
// DIR/events and the hashed tokens in DIR/tokens.json. Stores are opened
// read-only (RocksDB OpenForReadOnly), which takes no lock, so each of these
// also works while tranched is running on DIR; they then see the log as it
// was when they opened it.
// Thread-safety: stateless.
#pragma once

#include <string>

#include "cli/arguments.h"

namespace tranche::cli {

class OfflineRunner {
 public:
  static int Verify(const Arguments& args);
  static int Replay(const Arguments& args);
  static int Backup(const Arguments& args);

  // DIR/events.
  static std::string StorePath(const std::string& data_dir);
};

}  // namespace tranche::cli
