// Parses a subcommand's command line.
#include "cli/arguments.h"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace tranche::cli {
namespace {

bool IsSwitch(std::string_view name) {
  return std::any_of(std::begin(Arguments::kSwitches), std::end(Arguments::kSwitches),
                     [&](const char* s) { return name == s; });
}

}  // namespace

bool Arguments::Parse(int argc, char** argv, int first) {
  for (int i = first; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-h") {
      flags_.emplace("help", "");
      continue;
    }
    // "-o FILE": a one-letter flag with a value.
    if (arg.size() == 2 && arg[0] == '-' && std::isalpha(static_cast<unsigned char>(arg[1]))) {
      if (i + 1 >= argc) {
        error_ = std::string(arg) + " needs a value";
        return false;
      }
      flags_.emplace(std::string(arg.substr(1)), argv[++i]);
      continue;
    }
    if (!arg.starts_with("--") || arg == "--") {
      positional_.emplace_back(arg);
      continue;
    }
    std::string_view body = arg.substr(2);
    const size_t equals = body.find('=');
    std::string name(body.substr(0, equals));
    if (IsSwitch(name)) {
      if (equals != std::string_view::npos) {
        error_ = "--" + name + " takes no value";
        return false;
      }
      flags_.emplace(name, "");
    } else if (equals != std::string_view::npos) {
      flags_.emplace(name, std::string(body.substr(equals + 1)));
    } else if (i + 1 < argc) {
      flags_.emplace(name, argv[++i]);
    } else {
      error_ = "--" + name + " needs a value";
      return false;
    }
  }
  return true;
}

std::string Arguments::Get(const std::string& name) const { return Find(name).value_or(""); }

std::optional<std::string> Arguments::Find(const std::string& name) const {
  auto [begin, end] = flags_.equal_range(name);
  if (begin == end) return std::nullopt;
  return std::prev(end)->second;
}

std::vector<std::string> Arguments::GetAll(const std::string& name) const {
  std::vector<std::string> values;
  for (auto [it, end] = flags_.equal_range(name); it != end; ++it) values.push_back(it->second);
  return values;
}

std::string Arguments::FirstUnknownFlag(const std::vector<std::string>& allowed) const {
  for (const auto& [name, value] : flags_) {
    if (IsSwitch(name) || name == "url" || name == "token") continue;
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) return name;
  }
  return "";
}

}  // namespace tranche::cli
