// OfflineRunner: subcommands that read a data directory directly, without a
// server: verify --data [--against POSITION:HASH], head --data, replay, backup.
//
// A data directory is what tranched --data uses: the RocksDB store in
// DIR/events and the hashed tokens in DIR/tokens.json. Stores are opened
// read-only (RocksDB OpenForReadOnly), which takes no lock, so each of these
// also works while tranched is running on DIR; they then see the log as it
// was when they opened it.
// Thread-safety: stateless.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/arguments.h"
#include "eventstore/event_store.h"

namespace tranche::cli {

class OfflineRunner {
 public:
  static int Verify(const Arguments& args);
  static int Head(const Arguments& args);
  static int Replay(const Arguments& args);
  static int Backup(const Arguments& args);

  // DIR/events.
  static std::string StorePath(const std::string& data_dir);

  // --against POSITION:HASH, when given. Prints the usage error naming the
  // flag and returns false when it is malformed.
  static bool ParseAgainst(const Arguments& args, std::optional<eventstore::Head>* kept);
  // Prints a verify report (text, or --json with `against` and `head_hash`
  // in hex) and returns 0 when intact, 4 otherwise.
  static int PrintVerifyReport(const Arguments& args, const std::string& what,
                               const nlohmann::json& report);
  static nlohmann::json ReportToJson(const eventstore::VerifyReport& report,
                                     const std::optional<eventstore::Head>& kept);
};

}  // namespace tranche::cli
