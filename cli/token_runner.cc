// Token management on a data directory.
#include "cli/token_runner.h"

#include <cstdio>
#include <ctime>
#include <string>

#include "api/auth/token_store.h"
#include "api/server/event_json.h"
#include "cli/exit_code.h"

namespace tranche::cli {
namespace {

int Fail(const std::string& message, int code = kExitUsage) {
  std::fprintf(stderr, "tranche: %s\n", message.c_str());
  return code;
}

}  // namespace

int TokenRunner::Run(const Arguments& args) {
  const std::string verb = args.positional().empty() ? "" : args.positional()[0];
  if (std::string unknown = args.FirstUnknownFlag({"data", "name", "role"}); !unknown.empty()) {
    return Fail("token: unknown flag --" + unknown);
  }
  if (verb == "add") return Add(args);
  if (verb == "revoke") return Revoke(args);
  if (verb == "list") return List(args);
  return Fail("usage: tranche token add|revoke|list --data DIR ...");
}

int TokenRunner::Add(const Arguments& args) {
  const std::string data_dir = args.Get("data"), name = args.Get("name");
  if (data_dir.empty() || name.empty()) return Fail("token add needs --data DIR --name NAME --role ROLE");
  if (!api::IsValidTokenName(name)) return Fail("name must be 1-64 of A-Z a-z 0-9 . _ @ -");
  api::RoleSet roles;
  for (const auto& role_name : args.GetAll("role")) {
    auto role = api::ParseRole(role_name);
    if (!role) return Fail("unknown role " + role_name + " (finance, programme, auditor, viewer, admin)");
    roles.Add(*role);
  }
  if (roles.empty()) return Fail("token add needs at least one --role");
  const std::string path = api::TokenFilePath(data_dir);
  auto records = api::ReadTokenFile(path);
  if (!records.ok()) return Fail(records.status().ToString(), kExitFailure);
  for (const auto& record : *records) {
    if (record.name == name) return Fail("a token named " + name + " exists; revoke it first", kExitRejected);
  }
  const std::string token = api::NewToken();
  records->push_back(api::TokenRecord{name, roles, api::HashToken(token),
                                      api::FormatTimestampUs(std::time(nullptr) * 1'000'000LL)});
  if (Status status = api::WriteTokenFile(path, *records); !status.ok()) {
    return Fail(status.ToString(), kExitFailure);
  }
  // The only time the token is shown; the file keeps its hash alone.
  std::printf("%s\n", token.c_str());
  std::fprintf(stderr, "tranche: token for %s added; a running tranched picks it up on SIGHUP\n",
               name.c_str());
  return kExitOk;
}

int TokenRunner::Revoke(const Arguments& args) {
  const std::string data_dir = args.Get("data"), name = args.Get("name");
  if (data_dir.empty() || name.empty()) return Fail("token revoke needs --data DIR --name NAME");
  const std::string path = api::TokenFilePath(data_dir);
  auto records = api::ReadTokenFile(path);
  if (!records.ok()) return Fail(records.status().ToString(), kExitFailure);
  const size_t before = records->size();
  std::erase_if(*records, [&](const api::TokenRecord& record) { return record.name == name; });
  if (records->size() == before) return Fail("no token named " + name, kExitRejected);
  if (Status status = api::WriteTokenFile(path, *records); !status.ok()) {
    return Fail(status.ToString(), kExitFailure);
  }
  std::fprintf(stderr, "tranche: token for %s revoked; send tranched SIGHUP\n", name.c_str());
  return kExitOk;
}

int TokenRunner::List(const Arguments& args) {
  if (args.Get("data").empty()) return Fail("token list needs --data DIR");
  auto records = api::ReadTokenFile(api::TokenFilePath(args.Get("data")));
  if (!records.ok()) return Fail(records.status().ToString(), kExitFailure);
  for (const auto& record : *records) {
    std::string roles;
    for (const auto& role : record.roles.Names()) roles += (roles.empty() ? "" : ",") + role;
    std::printf("%s\t%s\t%s\n", record.name.c_str(), roles.c_str(), record.created_at.c_str());
  }
  return kExitOk;
}

}  // namespace tranche::cli
