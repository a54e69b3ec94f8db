// tranche: the command-line tool. Subcommands are a table: add one by writing
// a `int RunX(Args)` function and a row in kCommands (issue 5 adds more).
//   tranche token add --data DIR --name NAME --role ROLE [--role ROLE...]
//   tranche token revoke --data DIR --name NAME
//   tranche token list --data DIR
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "api/auth/token_store.h"
#include "api/server/event_json.h"

namespace tranche::cli {
namespace {

using api::Role;
using api::RoleSet;

// Parsed "--flag value" pairs; repeated flags keep every value.
struct Args {
  std::vector<std::string> positional;
  std::multimap<std::string, std::string> flags;

  std::string Get(const std::string& name) const {
    auto it = flags.find(name);
    return it == flags.end() ? "" : it->second;
  }
  std::vector<std::string> GetAll(const std::string& name) const {
    std::vector<std::string> values;
    for (auto [it, end] = flags.equal_range(name); it != end; ++it) values.push_back(it->second);
    return values;
  }
};

bool ParseArgs(int argc, char** argv, int first, Args* args) {
  for (int i = first; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.starts_with("--")) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "tranche: %s needs a value\n", argv[i]);
        return false;
      }
      args->flags.emplace(std::string(arg.substr(2)), argv[++i]);
    } else {
      args->positional.emplace_back(arg);
    }
  }
  return true;
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "tranche: %s\n", message.c_str());
  return 1;
}

int TokenAdd(const Args& args) {
  const std::string data_dir = args.Get("data"), name = args.Get("name");
  if (data_dir.empty() || name.empty()) return Fail("token add needs --data DIR --name NAME --role ROLE");
  if (!api::IsValidTokenName(name)) return Fail("name must be 1-64 of A-Z a-z 0-9 . _ @ -");
  RoleSet roles;
  for (const auto& role_name : args.GetAll("role")) {
    auto role = api::ParseRole(role_name);
    if (!role) return Fail("unknown role " + role_name + " (finance, programme, auditor, viewer, admin)");
    roles.Add(*role);
  }
  if (roles.empty()) return Fail("token add needs at least one --role");
  const std::string path = api::TokenFilePath(data_dir);
  auto records = api::ReadTokenFile(path);
  if (!records.ok()) return Fail(records.status().ToString());
  for (const auto& record : *records) {
    if (record.name == name) return Fail("a token named " + name + " exists; revoke it first");
  }
  const std::string token = api::NewToken();
  records->push_back(api::TokenRecord{name, roles, api::HashToken(token),
                                      api::FormatTimestampUs(std::time(nullptr) * 1'000'000LL)});
  if (Status status = api::WriteTokenFile(path, *records); !status.ok()) {
    return Fail(status.ToString());
  }
  // The only time the token is shown; the file keeps its hash alone.
  std::printf("%s\n", token.c_str());
  std::fprintf(stderr, "tranche: token for %s added; a running tranched picks it up on SIGHUP\n",
               name.c_str());
  return 0;
}

int TokenRevoke(const Args& args) {
  const std::string data_dir = args.Get("data"), name = args.Get("name");
  if (data_dir.empty() || name.empty()) return Fail("token revoke needs --data DIR --name NAME");
  const std::string path = api::TokenFilePath(data_dir);
  auto records = api::ReadTokenFile(path);
  if (!records.ok()) return Fail(records.status().ToString());
  size_t before = records->size();
  std::erase_if(*records, [&](const api::TokenRecord& record) { return record.name == name; });
  if (records->size() == before) return Fail("no token named " + name);
  if (Status status = api::WriteTokenFile(path, *records); !status.ok()) {
    return Fail(status.ToString());
  }
  std::fprintf(stderr, "tranche: token for %s revoked; send tranched SIGHUP\n", name.c_str());
  return 0;
}

int TokenList(const Args& args) {
  if (args.Get("data").empty()) return Fail("token list needs --data DIR");
  auto records = api::ReadTokenFile(api::TokenFilePath(args.Get("data")));
  if (!records.ok()) return Fail(records.status().ToString());
  for (const auto& record : *records) {
    std::string roles;
    for (const auto& role : record.roles.Names()) roles += (roles.empty() ? "" : ",") + role;
    std::printf("%s\t%s\t%s\n", record.name.c_str(), roles.c_str(), record.created_at.c_str());
  }
  return 0;
}

int RunToken(const Args& args) {
  const std::string verb = args.positional.empty() ? "" : args.positional[0];
  if (verb == "add") return TokenAdd(args);
  if (verb == "revoke") return TokenRevoke(args);
  if (verb == "list") return TokenList(args);
  return Fail("usage: tranche token add|revoke|list --data DIR ...");
}

struct Command {
  const char* name;
  int (*run)(const Args&);
  const char* help;
};

constexpr Command kCommands[] = {
    {"token", &RunToken, "token add|revoke|list --data DIR [--name NAME] [--role ROLE...]"},
};

int Usage() {
  std::fprintf(stderr, "usage: tranche <command> ...\n");
  for (const auto& command : kCommands) std::fprintf(stderr, "  tranche %s\n", command.help);
  return 2;
}

}  // namespace
}  // namespace tranche::cli

int main(int argc, char** argv) {
  using namespace tranche::cli;
  if (argc < 2) return Usage();
  for (const auto& command : kCommands) {
    if (std::string_view(argv[1]) != command.name) continue;
    Args args;
    if (!ParseArgs(argc, argv, 2, &args)) return 2;
    return command.run(args);
  }
  return Usage();
}
