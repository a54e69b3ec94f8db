// Offline verify, replay and backup over a data directory.
#include "cli/offline_runner.h"

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "api/auth/token_store.h"
#include "api/service/service.h"
#include "cli/exit_code.h"
#include "cli/view_printer.h"
#include "core/date.h"
#include "eventstore/event_store.h"
#include "eventstore/kept_head.h"
#include "projections/read_model.h"
#include "projections/view_json.h"

namespace tranche::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

int Usage(const char* name, const std::string& message) {
  std::fprintf(stderr, "tranche %s: %s (see tranche %s --help)\n", name, message.c_str(), name);
  return kExitUsage;
}

std::optional<int> CheckFlags(const char* name, const Arguments& args,
                              const std::vector<std::string>& allowed) {
  if (std::string unknown = args.FirstUnknownFlag(allowed); !unknown.empty()) {
    return Usage(name, "unknown flag --" + unknown);
  }
  if (!args.positional().empty()) return Usage(name, "unexpected argument " + args.positional()[0]);
  if (args.Get("data").empty()) return Usage(name, "--data DIR is required");
  return std::nullopt;
}

StatusOr<std::unique_ptr<eventstore::EventStore>> OpenReadOnly(const std::string& data_dir) {
  const std::string path = OfflineRunner::StorePath(data_dir);
  if (!fs::is_directory(path)) {
    return Status::NotFound("store_missing", "no event store at " + path);
  }
  eventstore::Options options;
  options.create_if_missing = false;
  options.read_only = true;
  return eventstore::EventStore::Open(path, options);
}

// The text form of a report, online or offline: its JSON from
// GET /v1/audit/verify or OfflineRunner::ReportToJson.
void PrintReport(const std::string& what, const json& report) {
  const auto count = [&report](const char* key) {
    return static_cast<unsigned long long>(report.value(key, uint64_t{0}));
  };
  if (report.value("ok", false)) {
    std::printf("ok: %s: %llu events checked, head position %llu; hash chain and indexes intact\n",
                what.c_str(), count("events_checked"), count("head_position"));
    if (report.contains("against")) {
      std::printf("ok: the log still extends the kept head %s\n",
                  report.value("against", "").c_str());
    }
    std::printf("head: %llu:%s\n", count("head_position"), report.value("head_hash", "").c_str());
  } else {
    std::printf("DAMAGE: %s: %s at position %llu: %s\n", what.c_str(),
                report.value("damage", "").c_str(), count("first_bad_position"),
                report.value("detail", "").c_str());
  }
}

// --as-of (a position or an RFC 3339 time) and --effective (a date).
Status ParseMoment(const Arguments& args, const projections::ReadModel& model,
                   projections::Moment* moment) {
  moment->as_of_position = model.head();
  if (auto as_of = args.Find("as-of")) {
    if (!as_of->empty() && as_of->find_first_not_of("0123456789") == std::string::npos &&
        as_of->size() < 20) {
      moment->as_of_position = std::min<uint64_t>(std::stoull(*as_of), model.head());
    } else {
      StatusOr<core::Timestamp> time = core::ParseTimestamp(*as_of);
      if (!time.ok()) {
        return Status::InvalidArgument(
            "invalid_as_of", "--as-of wants a position or an RFC 3339 time like 2010-03-31T23:59:59Z");
      }
      moment->as_of_position = model.PositionAtTime(time->unix_micros());
    }
  }
  if (auto effective = args.Find("effective")) {
    StatusOr<core::Date> date = core::ParseDate(*effective);
    if (!date.ok()) return Status::InvalidArgument("invalid_date", "--effective wants YYYY-MM-DD");
    moment->effective = *date;
  }
  return Status::Ok();
}

}  // namespace

std::string OfflineRunner::StorePath(const std::string& data_dir) { return data_dir + "/events"; }

json OfflineRunner::ReportToJson(const eventstore::VerifyReport& report,
                                 const std::optional<eventstore::Head>& kept) {
  json out = {{"ok", report.ok},
              {"events_checked", report.events_checked},
              {"head_position", report.head_position},
              {"head_hash", eventstore::HexOf(report.head_hash)}};
  if (kept) out["against"] = eventstore::FormatKeptHead(*kept);
  if (!report.ok) {
    out["first_bad_position"] = report.first_bad_position;
    out["damage"] = report.damage;
    out["detail"] = report.detail;
  }
  return out;
}

int OfflineRunner::PrintVerifyReport(const Arguments& args, const std::string& what,
                                     const json& report) {
  if (args.json()) {
    std::printf("%s\n", report.dump(2).c_str());
  } else {
    PrintReport(what, report);
  }
  return report.value("ok", false) ? kExitOk : kExitDamage;
}

bool OfflineRunner::ParseAgainst(const Arguments& args, std::optional<eventstore::Head>* kept) {
  std::optional<std::string> text = args.Find("against");
  if (!text) return true;
  StatusOr<eventstore::Head> parsed = eventstore::ParseKeptHead(*text);
  if (!parsed.ok()) {
    Usage("verify", "--against " + *text + ": " + parsed.status().message());
    return false;
  }
  *kept = std::move(parsed).value();
  return true;
}

int OfflineRunner::Verify(const Arguments& args) {
  if (auto code = CheckFlags("verify", args, {"data", "against"})) return *code;
  std::optional<eventstore::Head> kept;
  if (!ParseAgainst(args, &kept)) return kExitUsage;
  auto store = OpenReadOnly(args.Get("data"));
  if (!store.ok()) {
    std::fprintf(stderr, "tranche verify: %s\n", store.status().ToString().c_str());
    return kExitFailure;
  }
  const eventstore::VerifyReport report =
      kept ? (*store)->VerifyAgainst(*kept) : (*store)->Verify();
  return PrintVerifyReport(args, StorePath(args.Get("data")), ReportToJson(report, kept));
}

int OfflineRunner::Head(const Arguments& args) {
  if (auto code = CheckFlags("head", args, {"data"})) return *code;
  auto store = OpenReadOnly(args.Get("data"));
  if (!store.ok()) {
    std::fprintf(stderr, "tranche head: %s\n", store.status().ToString().c_str());
    return kExitFailure;
  }
  const eventstore::Head head = (*store)->GetHead();
  if (args.json()) {
    std::printf("%s\n", json({{"position", head.position},
                              {"hash", eventstore::HexOf(head.hash)},
                              {"head", eventstore::FormatKeptHead(head)}})
                            .dump(2)
                            .c_str());
  } else {
    std::printf("%s\n", eventstore::FormatKeptHead(head).c_str());
  }
  return kExitOk;
}

int OfflineRunner::Replay(const Arguments& args) {
  if (auto code = CheckFlags("replay", args, {"data", "as-of", "effective", "cluster"})) {
    return *code;
  }
  auto store = OpenReadOnly(args.Get("data"));
  if (!store.ok()) {
    std::fprintf(stderr, "tranche replay: %s\n", store.status().ToString().c_str());
    return kExitFailure;
  }
  projections::ReadModel model;
  service::ReplayStats replayed;
  if (Status status = service::ReplayLog(**store, nullptr, &model, &replayed); !status.ok()) {
    std::fprintf(stderr, "tranche replay: %s\n", status.ToString().c_str());
    return status.code() == StatusCode::kDataLoss ? kExitDamage : kExitFailure;
  }
  projections::Moment moment;
  if (Status status = ParseMoment(args, model, &moment); !status.ok()) {
    return Usage("replay", status.message());
  }
  if (auto cluster_id = args.Find("cluster")) {
    auto view = model.Cluster(*cluster_id, moment);
    if (!view.ok()) {
      std::fprintf(stderr, "rejected: %s: %s\n", view.status().reason().c_str(),
                   view.status().message().c_str());
      return kExitRejected;
    }
    const json out = projections::ClusterViewToJson(*view);
    if (args.json()) {
      std::printf("%s\n", out.dump(2).c_str());
    } else {
      ViewPrinter::Cluster(out, stdout);
    }
    return kExitOk;
  }
  json programmes = json::array();
  for (const auto& view : model.Programmes(moment)) {
    programmes.push_back(projections::ProgrammeViewToJson(view));
  }
  json clusters = json::array();
  for (const auto& view : model.Clusters("", moment)) {
    clusters.push_back(args.json() ? projections::ClusterViewToJson(view)
                                   : projections::ClusterSummaryToJson(view));
  }
  if (args.json()) {
    std::printf("%s\n", json({{"moment", projections::MomentToJson(moment)},
                              {"programmes", programmes},
                              {"clusters", clusters}})
                            .dump(2)
                            .c_str());
    return kExitOk;
  }
  std::printf("replayed %llu events from %s; %s\n\n",
              static_cast<unsigned long long>(replayed.events), StorePath(args.Get("data")).c_str(),
              ViewPrinter::Moment(projections::MomentToJson(moment)).c_str());
  for (const json& programme : programmes) {
    ViewPrinter::Programme(programme, stdout);
    std::printf("\n");
  }
  ViewPrinter::Clusters(clusters, stdout);
  return kExitOk;
}

int OfflineRunner::Backup(const Arguments& args) {
  if (auto code = CheckFlags("backup", args, {"data", "to"})) return *code;
  const std::string from = args.Get("data"), to = args.Get("to");
  if (to.empty()) return Usage("backup", "--to DIR2 is required");
  std::error_code error;
  if (fs::exists(to, error) && !fs::is_empty(to, error)) {
    return Usage("backup", to + " exists and is not empty; back up into a new directory");
  }
  {
    auto store = OpenReadOnly(from);
    if (!store.ok()) {
      std::fprintf(stderr, "tranche backup: %s\n", store.status().ToString().c_str());
      return kExitFailure;
    }
    fs::create_directories(to, error);
    const uint64_t head = (*store)->GetHead().position;
    // A RocksDB checkpoint: hard links to the immutable table files when DIR2
    // is on the same filesystem, copies otherwise, plus a consistent copy of
    // the manifest and write-ahead log.
    if (Status status = (*store)->Checkpoint(StorePath(to)); !status.ok()) {
      std::fprintf(stderr, "tranche backup: checkpoint failed: %s\n", status.ToString().c_str());
      return kExitFailure;
    }
    std::printf("checkpoint: %s -> %s (head position %llu)\n", StorePath(from).c_str(),
                StorePath(to).c_str(), static_cast<unsigned long long>(head));
    (*store)->Close();
  }
  auto copy = OpenReadOnly(to);
  if (!copy.ok()) {
    std::fprintf(stderr, "tranche backup: cannot open the copy: %s\n",
                 copy.status().ToString().c_str());
    return kExitFailure;
  }
  const eventstore::VerifyReport report = (*copy)->Verify();
  PrintReport("verify of the copy", ReportToJson(report, std::nullopt));
  (*copy)->Close();
  if (!report.ok) return kExitDamage;
  const std::string tokens = api::TokenFilePath(from);
  if (fs::exists(tokens, error)) {
    fs::copy_file(tokens, api::TokenFilePath(to), fs::copy_options::overwrite_existing, error);
    if (error) {
      std::fprintf(stderr, "tranche backup: copying %s: %s\n", tokens.c_str(),
                   error.message().c_str());
      return kExitFailure;
    }
    std::printf("tokens: %s -> %s\n", tokens.c_str(), api::TokenFilePath(to).c_str());
  } else {
    std::printf("tokens: none at %s\n", tokens.c_str());
  }
  std::printf("backup complete: %s (restore: see cli/README.md)\n", to.c_str());
  return kExitOk;
}

}  // namespace tranche::cli
