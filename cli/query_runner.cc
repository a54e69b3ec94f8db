// The read subcommands over HTTP.
#include "cli/query_runner.h"

#include <cstdio>
#include <fstream>
#include <optional>

#include "cli/exit_code.h"
#include "cli/offline_runner.h"
#include "cli/server_call.h"
#include "eventstore/kept_head.h"
#include "cli/view_printer.h"

namespace tranche::cli {
namespace {

using nlohmann::json;

// Pages of the ledger and history are fetched at the API's largest size; a
// runaway loop (a server that never ends its pages) stops after this many.
inline constexpr int kPagesMax = 100000;

// Checks flags and positional count, then connects. Prints and returns the
// exit code on a bad command line, nullopt when fine.
std::optional<int> Prepare(const char* name, const Arguments& args,
                           const std::vector<std::string>& allowed, size_t positional_min,
                           size_t positional_max, std::optional<ServerCall>* call) {
  if (std::string unknown = args.FirstUnknownFlag(allowed); !unknown.empty()) {
    std::fprintf(stderr, "tranche %s: unknown flag --%s (see tranche %s --help)\n", name,
                 unknown.c_str(), name);
    return kExitUsage;
  }
  if (args.positional().size() < positional_min || args.positional().size() > positional_max) {
    std::fprintf(stderr, "tranche %s: wrong number of arguments (see tranche %s --help)\n", name,
                 name);
    return kExitUsage;
  }
  StatusOr<ServerCall> made = ServerCall::FromArguments(args);
  if (!made.ok()) {
    std::fprintf(stderr, "tranche: %s\n", made.status().message().c_str());
    return kExitUsage;
  }
  call->emplace(std::move(*made));
  return std::nullopt;
}

// "?as_of=...&effective=..." from --as-of / --effective ("" when neither).
std::string MomentQuery(const Arguments& args, char first = '?') {
  std::string query;
  auto add = [&](const char* key, const char* flag) {
    if (auto value = args.Find(flag)) {
      query += (query.empty() ? std::string(1, first) : "&") + key + "=" + UrlEncode(*value);
    }
  };
  add("as_of", "as-of");
  add("effective", "effective");
  return query;
}

void PrintJson(const json& value) { std::printf("%s\n", value.dump(2).c_str()); }

}  // namespace

int QueryRunner::Programme(const Arguments& args) {
  std::optional<ServerCall> call;
  if (auto code = Prepare("programme", args, {"as-of", "effective"}, 0, 1, &call)) return *code;
  json body;
  const std::string target = args.positional().empty()
                                 ? "/v1/programmes"
                                 : "/v1/programmes/" + UrlEncode(args.positional()[0]);
  if (int code = call->GetJson(target + MomentQuery(args), &body); code != kExitOk) return code;
  if (args.json()) {
    PrintJson(body);
  } else if (body.contains("programmes")) {
    for (const json& programme : body["programmes"]) {
      ViewPrinter::Programme(programme, stdout);
      std::printf("\n");
    }
  } else {
    ViewPrinter::Programme(body, stdout);
  }
  return kExitOk;
}

int QueryRunner::Clusters(const Arguments& args) {
  std::optional<ServerCall> call;
  if (auto code = Prepare("clusters", args, {"as-of", "effective", "programme"}, 0, 0, &call)) {
    return *code;
  }
  std::string target = "/v1/clusters" + MomentQuery(args);
  if (auto programme = args.Find("programme")) {
    target += (target.find('?') == std::string::npos ? "?" : "&") +
              std::string("programme=") + UrlEncode(*programme);
  }
  json body;
  if (int code = call->GetJson(target, &body); code != kExitOk) return code;
  if (args.json()) {
    PrintJson(body);
    return kExitOk;
  }
  std::printf("%s\n", ViewPrinter::Moment(body.value("moment", json())).c_str());
  ViewPrinter::Clusters(body.value("clusters", json::array()), stdout);
  return kExitOk;
}

int QueryRunner::Cluster(const Arguments& args) {
  std::optional<ServerCall> call;
  if (auto code = Prepare("cluster", args, {"as-of", "effective"}, 1, 1, &call)) return *code;
  json body;
  const std::string target = "/v1/clusters/" + UrlEncode(args.positional()[0]) + MomentQuery(args);
  if (int code = call->GetJson(target, &body); code != kExitOk) return code;
  if (args.json()) {
    PrintJson(body);
  } else {
    ViewPrinter::Cluster(body, stdout);
  }
  return kExitOk;
}

int QueryRunner::Ledger(const Arguments& args) {
  std::optional<ServerCall> call;
  if (auto code = Prepare("ledger", args, {"as-of", "effective", "cluster"}, 0, 0, &call)) {
    return *code;
  }
  std::string base = "/v1/ledger?limit=1000" + MomentQuery(args, '&');
  if (auto cluster = args.Find("cluster")) base += "&cluster=" + UrlEncode(*cluster);
  json entries = json::array();
  json moment;
  uint64_t from = 1;
  for (int page = 0; page < kPagesMax; ++page) {
    json body;
    if (int code = call->GetJson(base + "&from=" + std::to_string(from), &body); code != kExitOk) {
      return code;
    }
    for (json& entry : body["entries"]) entries.push_back(std::move(entry));
    // Pin later pages to the first page's moment so the ledger is one snapshot.
    if (page == 0) {
      moment = body.value("moment", json());
      if (!args.Has("as-of") && moment.contains("as_of_position")) {
        base += "&as_of=" + std::to_string(moment["as_of_position"].get<uint64_t>());
      }
    }
    if (!body.contains("next") || body["next"].is_null()) break;
    from = body["next"].get<uint64_t>();
  }
  if (args.json()) {
    PrintJson({{"entries", entries}, {"moment", moment}});
    return kExitOk;
  }
  std::printf("%s; %zu rows\n", ViewPrinter::Moment(moment).c_str(), entries.size());
  ViewPrinter::Ledger(entries, stdout);
  return kExitOk;
}

int QueryRunner::History(const Arguments& args) {
  std::optional<ServerCall> call;
  if (auto code = Prepare("history", args, {}, 1, 1, &call)) return *code;
  const std::string id = args.positional()[0];
  json events = json::array();
  uint64_t from_version = 0;
  for (int page = 0; page < kPagesMax; ++page) {
    json body;
    const std::string target = "/v1/clusters/" + UrlEncode(id) +
                               "/events?limit=1000&from_version=" + std::to_string(from_version);
    if (int code = call->GetJson(target, &body); code != kExitOk) return code;
    for (json& event : body["events"]) events.push_back(std::move(event));
    if (!body.contains("next_version") || body["next_version"].is_null()) break;
    from_version = body["next_version"].get<uint64_t>();
  }
  if (args.json()) {
    PrintJson({{"cluster_id", id}, {"events", events}});
    return kExitOk;
  }
  std::printf("%s: %zu events\n", id.c_str(), events.size());
  ViewPrinter::History(events, stdout);
  return kExitOk;
}

int QueryRunner::Verify(const Arguments& args) {
  std::optional<ServerCall> call;
  if (auto code = Prepare("verify", args, {"data", "against"}, 0, 0, &call)) return *code;
  std::optional<eventstore::Head> kept;
  if (!OfflineRunner::ParseAgainst(args, &kept)) return kExitUsage;
  std::string target = "/v1/audit/verify";
  if (kept) target += "?against=" + UrlEncode(eventstore::FormatKeptHead(*kept));
  json report;
  if (int code = call->GetJson(target, &report); code != kExitOk) return code;
  const ServerAddress& server = call->client().address();
  return OfflineRunner::PrintVerifyReport(args, "http://" + server.host + ":" + server.port,
                                          report);
}

int QueryRunner::Head(const Arguments& args) {
  std::optional<ServerCall> call;
  if (auto code = Prepare("head", args, {"data"}, 0, 0, &call)) return *code;
  json head;
  if (int code = call->GetJson("/v1/audit/head", &head); code != kExitOk) return code;
  if (args.json()) {
    PrintJson(head);
  } else {
    std::printf("%s\n", head.value("head", "").c_str());
  }
  return kExitOk;
}

int QueryRunner::Export(const Arguments& args) {
  std::optional<ServerCall> call;
  if (auto code = Prepare("export", args, {"format", "o", "output", "cluster"}, 0, 0, &call)) {
    return *code;
  }
  const std::string format = args.Get("format");
  std::string target;
  if (format == "csv") {
    target = "/v1/ledger.csv";
    if (auto cluster = args.Find("cluster")) target += "?cluster=" + UrlEncode(*cluster);
  } else if (format == "360giving") {
    target = "/v1/export/360giving.json";
  } else {
    std::fprintf(stderr, "tranche export: --format csv|360giving is required\n");
    return kExitUsage;
  }
  std::string body;
  if (int code = call->GetText(target, &body); code != kExitOk) return code;
  const std::string path = args.Find("o").value_or(args.Get("output"));
  if (path.empty() || path == "-") {
    std::fwrite(body.data(), 1, body.size(), stdout);
    return kExitOk;
  }
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(body.data(), static_cast<std::streamsize>(body.size()));
  file.close();
  if (!file) {
    std::fprintf(stderr, "tranche export: cannot write %s\n", path.c_str());
    return kExitFailure;
  }
  std::fprintf(stderr, "wrote %zu bytes to %s\n", body.size(), path.c_str());
  return kExitOk;
}

}  // namespace tranche::cli
