// CommandRunner: turns `tranche <command> --flag value ...` into a POST to
// /v1/commands/<command> and shows the result.
//
// A command id is generated (128 random bits, hex) unless --command-id is
// given; it is printed to stderr before the request is sent, so a retry after
// a lost answer can reuse it and the server answers the original result.
// Thread-safety: stateless; call from any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "cli/arguments.h"
#include "cli/command_catalog.h"
#include "core/status.h"

namespace tranche::cli {

class CommandRunner {
 public:
  // Runs the command; returns the exit code.
  static int Run(const CommandSpec& spec, const Arguments& args);
  // The command's --help text.
  static std::string Help(const CommandSpec& spec);
  // The JSON body for `spec` from `args` (without command_id). Errors:
  // kInvalidArgument naming the flag.
  static StatusOr<nlohmann::json> BuildBody(const CommandSpec& spec, const Arguments& args);
  // 32 lowercase hex digits from std::random_device.
  static std::string NewCommandId();
};

}  // namespace tranche::cli
