// tranche: the command-line client of Tranche. Subcommands are a table
// (kSubcommands) plus one row per domain command from CommandCatalog; each
// prints its own --help. Exit codes: cli/exit_code.h and cli/README.md.
#include <cstdio>
#include <string>
#include <string_view>

#include "cli/arguments.h"
#include "cli/command_catalog.h"
#include "cli/command_runner.h"
#include "cli/exit_code.h"
#include "cli/offline_runner.h"
#include "cli/query_runner.h"
#include "cli/stream_watcher.h"
#include "cli/token_runner.h"

namespace tranche::cli {
namespace {

constexpr const char* kConnectionHelp =
    "  --url URL      server (default $TRANCHE_URL, else http://127.0.0.1:8080)\n"
    "  --token TOKEN  bearer token (default $TRANCHE_TOKEN)\n"
    "  --json         print JSON instead of tables\n";

constexpr const char* kMomentHelp =
    "  --as-of T      as known at T: a log position or an RFC 3339 time\n"
    "                 (2010-03-31T23:59:59Z)\n"
    "  --effective D  count money paid on or before business date D (YYYY-MM-DD)\n";

int Verify(const Arguments& args) {
  return args.Has("data") ? OfflineRunner::Verify(args) : QueryRunner::Verify(args);
}

int Head(const Arguments& args) {
  return args.Has("data") ? OfflineRunner::Head(args) : QueryRunner::Head(args);
}

struct Subcommand {
  const char* name;
  int (*run)(const Arguments&);
  const char* summary;
  const char* usage;
  const char* flags;  // Extra help lines; connection flags are added where `online`.
  bool online;
};

const Subcommand kSubcommands[] = {
    {"programme", &QueryRunner::Programme, "a programme's figures per financial year",
     "tranche programme [ID] [--as-of T] [--effective D]", kMomentHelp, true},
    {"clusters", &QueryRunner::Clusters, "every cluster: region, status, awarded, paid",
     "tranche clusters [--programme ID] [--as-of T] [--effective D]", kMomentHelp, true},
    {"cluster", &QueryRunner::Cluster, "one cluster: years, members, tranches",
     "tranche cluster ID [--as-of T] [--effective D]", kMomentHelp, true},
    {"ledger", &QueryRunner::Ledger, "tranches and reversals with running totals",
     "tranche ledger [--cluster ID] [--as-of T] [--effective D]", kMomentHelp, true},
    {"history", &QueryRunner::History, "a cluster's events: actor, time, reason, totals",
     "tranche history ID", "", true},
    {"watch", &StreamWatcher::RunFromArguments, "the live event stream; resumes after drops",
     "tranche watch [--from P] [--cluster ID] [--stream PREFIX] [--type T,...] [--count N]",
     "  --from P       start at log position P (default: now)\n"
     "  --cluster ID   only this cluster's events (stream cluster-ID)\n"
     "  --count N      exit 0 after N events (default: run until interrupted)\n",
     true},
    {"verify", &Verify, "check the hash chain and indexes (server, or --data offline)",
     "tranche verify [--data DIR] [--against POSITION:HASH]",
     "  --data DIR     verify a data directory directly (read-only; works while\n"
     "                 tranched runs)\n"
     "  --against POSITION:HASH\n"
     "                 also prove the log still extends a head kept earlier (from\n"
     "                 tranche head): the record at POSITION must still have chain\n"
     "                 hash HASH; a rewritten log fails with exit 4\n"
     "                 (kept_head_mismatch, or kept_head_missing when it is shorter)\n",
     true},
    {"head", &Head, "the log's head as POSITION:HASH, for an auditor to keep",
     "tranche head [--data DIR]",
     "  --data DIR     read a data directory directly (read-only; works while\n"
     "                 tranched runs)\n"
     "Keep the printed line; later, tranche verify --against it proves that\n"
     "nothing up to that position was changed since.\n",
     true},
    {"export", &QueryRunner::Export, "the ledger as CSV or a 360Giving package",
     "tranche export --format csv|360giving [-o FILE] [--cluster ID]",
     "  --format F     csv (RFC 4180 ledger) or 360giving (JSON data package)\n"
     "  -o FILE        write to FILE instead of stdout\n",
     true},
    {"replay", &OfflineRunner::Replay, "offline: fold a data directory's log, show state",
     "tranche replay --data DIR [--as-of T] [--effective D] [--cluster ID] [--json]",
     "  --data DIR     the data directory (opened read-only)\n"
     "  --cluster ID   show one cluster in full\n"
     "  --json         JSON: programmes and full cluster views\n",
     false},
    {"backup", &OfflineRunner::Backup, "offline: checkpoint a data directory, verify the copy",
     "tranche backup --data DIR --to DIR2",
     "  --data DIR     the data directory (may be in use by tranched)\n"
     "  --to DIR2      new directory for the backup (must not exist or be empty)\n",
     false},
    {"token", &TokenRunner::Run, "offline: add, revoke or list bearer tokens",
     "tranche token add|revoke|list --data DIR [--name NAME] [--role ROLE...]",
     "  roles: finance, programme, auditor, viewer, admin (repeat --role)\n", false},
};

constexpr const char* kExitCodesHelp =
    "exit codes:\n"
    "  0  ok (verify: intact)\n"
    "  1  usage: bad command line, nothing sent\n"
    "  2  rejected: the server refused (4xx: a domain rule, bad input, token, not\n"
    "     found, version conflict); printed as \"rejected: <code>: <message>\"\n"
    "  3  failure: server error (5xx), server unreachable, or a local store could\n"
    "     not be opened, read or copied\n"
    "  4  damage: verify found a broken hash chain or index, or (--against) a log\n"
    "     that no longer extends the kept head\n";

void PrintMainHelp(std::FILE* out) {
  std::fprintf(out, "usage: tranche <subcommand> [flags]   (tranche <subcommand> --help)\n\n");
  std::fprintf(out, "commands (POST /v1/commands/<name>; amounts in pounds, e.g. £125,000.00):\n");
  for (const CommandSpec& spec : CommandCatalog::All()) {
    std::fprintf(out, "  %-22s %s\n", spec.name, spec.summary);
  }
  std::fprintf(out, "\nqueries and tools:\n");
  for (const Subcommand& sub : kSubcommands) std::fprintf(out, "  %-22s %s\n", sub.name, sub.summary);
  std::fprintf(out, "\nconnection (every online subcommand):\n%s\n%s", kConnectionHelp,
               kExitCodesHelp);
}

void PrintSubcommandHelp(const Subcommand& sub) {
  std::printf("usage: %s\n\n%s.\n\n%s%s", sub.usage, sub.summary, sub.flags,
              sub.online ? kConnectionHelp : "");
}

}  // namespace
}  // namespace tranche::cli

int main(int argc, char** argv) {
  using namespace tranche::cli;  // NOLINT
  if (argc < 2) {
    PrintMainHelp(stderr);
    return kExitUsage;
  }
  const std::string_view name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    PrintMainHelp(stdout);
    return kExitOk;
  }
  Arguments args;
  if (!args.Parse(argc, argv, 2)) {
    std::fprintf(stderr, "tranche %s: %s\n", argv[1], args.error().c_str());
    return kExitUsage;
  }
  if (const CommandSpec* spec = CommandCatalog::Find(std::string(name))) {
    if (args.help()) {
      std::printf("%s", CommandRunner::Help(*spec).c_str());
      return kExitOk;
    }
    return CommandRunner::Run(*spec, args);
  }
  for (const Subcommand& sub : kSubcommands) {
    if (name != sub.name) continue;
    if (args.help()) {
      PrintSubcommandHelp(sub);
      return kExitOk;
    }
    return sub.run(args);
  }
  std::fprintf(stderr, "tranche: unknown subcommand '%s'\n\n", argv[1]);
  PrintMainHelp(stderr);
  return kExitUsage;
}
