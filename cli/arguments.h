// Arguments: a subcommand's command line as positional words and --flags.
//
// Flags take a value (`--cluster wessex` or `--cluster=wessex`) and may be
// repeated, except the switches listed in kSwitches, which take none.
// Thread-safety: a value; use from one thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tranche::cli {

class Arguments {
 public:
  // Flags that take no value.
  static constexpr const char* kSwitches[] = {"json", "help"};

  // Parses argv[first..argc). Returns false and sets error() on a flag that
  // lacks its value.
  bool Parse(int argc, char** argv, int first);

  const std::vector<std::string>& positional() const { return positional_; }
  bool Has(const std::string& name) const { return flags_.count(name) > 0; }
  // The last value given for `name`, or "" / nullopt.
  std::string Get(const std::string& name) const;
  std::optional<std::string> Find(const std::string& name) const;
  std::vector<std::string> GetAll(const std::string& name) const;
  bool json() const { return Has("json"); }
  bool help() const { return Has("help"); }

  // The first flag not in `allowed` (switches --json and --help and the
  // connection flags --url and --token are always allowed), or "".
  std::string FirstUnknownFlag(const std::vector<std::string>& allowed) const;
  const std::string& error() const { return error_; }

 private:
  std::vector<std::string> positional_;
  std::multimap<std::string, std::string> flags_;
  std::string error_;
};

}  // namespace tranche::cli
