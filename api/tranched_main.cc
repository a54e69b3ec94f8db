// tranched: the Tranche server.
//   tranched --data DIR [--listen 127.0.0.1:8080] [--seed FILE] [--threads N] [--dashboard DIR]
//            [--snapshot-after N] [--stream-flush-ms MS]
// Opens the store in DIR/events, loads DIR/tokens.json and the start-up
// snapshot DIR/snapshot, serves HTTP and the WebSocket stream. SIGHUP reloads
// the tokens; SIGTERM/SIGINT stop gracefully (stop accepting, finish
// in-flight, write a new snapshot when at least N events (default 100,000)
// came after the last one, close the store) and exit 0. --snapshot-after 0
// turns snapshots off, loading and writing. --stream-flush-ms (default 20,
// 0..1000) is the least time between two flushes of live events to stream
// subscribers (docs/DECISIONS.md §13).
#include <signal.h>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "api/app.h"
#include "api/auth/token_store.h"
#include "api/server/server.h"

#ifndef TRANCHE_DASHBOARD_DIR
#define TRANCHE_DASHBOARD_DIR "api/dashboard"
#endif

namespace tranche::api {
namespace {

constexpr int kThreadsMax = 64;

struct Flags {
  std::string data_dir;
  std::string address = "127.0.0.1";
  uint16_t port = 8080;
  std::optional<std::string> seed_file;
  int threads = 2;
  std::string dashboard_dir = TRANCHE_DASHBOARD_DIR;
  uint64_t snapshot_after_events = 100'000;
  std::chrono::milliseconds stream_flush_interval = kLiveFlushIntervalDefault;
};

int Usage(const char* message) {
  std::fprintf(stderr,
               "tranched: %s\nusage: tranched --data DIR [--listen HOST:PORT] [--seed FILE] "
               "[--threads N] [--dashboard DIR] [--snapshot-after N] [--stream-flush-ms MS]\n",
               message);
  return 2;
}

bool ParseListen(const std::string& text, Flags* flags) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  flags->address = text.substr(0, colon);
  char* end = nullptr;
  long port = std::strtol(text.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || port < 0 || port > 65535 || colon + 1 == text.size()) return false;
  flags->port = static_cast<uint16_t>(port);
  return true;
}

// A decimal count of at most `max`: digits only, nothing before or after.
std::optional<uint64_t> ParseCount(const std::string& text, uint64_t max) {
  uint64_t count = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), count);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || count > max) {
    return std::nullopt;
  }
  return count;
}

std::optional<int> ParseFlags(int argc, char** argv, Flags* flags) {
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) return Usage(("missing value for " + flag).c_str());
    std::string value = argv[++i];
    if (flag == "--data") {
      flags->data_dir = value;
    } else if (flag == "--listen") {
      if (!ParseListen(value, flags)) return Usage("--listen wants HOST:PORT");
    } else if (flag == "--seed") {
      flags->seed_file = value;
    } else if (flag == "--threads") {
      flags->threads = std::atoi(value.c_str());
      if (flags->threads < 1 || flags->threads > kThreadsMax) return Usage("--threads 1..64");
    } else if (flag == "--dashboard") {
      flags->dashboard_dir = value;
    } else if (flag == "--snapshot-after") {
      std::optional<uint64_t> events = ParseCount(value, UINT64_MAX);
      if (!events) return Usage("--snapshot-after wants a count of events (0: no snapshots)");
      flags->snapshot_after_events = *events;
    } else if (flag == "--stream-flush-ms") {
      std::optional<uint64_t> ms =
          ParseCount(value, static_cast<uint64_t>(kLiveFlushIntervalMax.count()));
      if (!ms) return Usage("--stream-flush-ms wants milliseconds, 0..1000");
      flags->stream_flush_interval = std::chrono::milliseconds(*ms);
    } else {
      return Usage(("unknown flag " + flag).c_str());
    }
  }
  if (flags->data_dir.empty()) return Usage("--data DIR is required");
  return std::nullopt;
}

void Log(nlohmann::json line) {
  line["ts"] = NowRfc3339();
  LogToStdout(line);
}

// Waits for signals on main's thread; returns on SIGTERM or SIGINT.
void WaitForStop(const sigset_t& signals, Authenticator& authenticator) {
  for (;;) {
    int signal_number = 0;
    if (sigwait(&signals, &signal_number) != 0) continue;
    if (signal_number == SIGHUP) {
      Status status = authenticator.Reload();
      Log({{"level", status.ok() ? "info" : "error"}, {"msg", "tokens_reloaded"},
           {"tokens", authenticator.size()}, {"status", status.ToString()}});
      continue;
    }
    Log({{"level", "info"}, {"msg", "stopping"}, {"signal", signal_number}});
    return;
  }
}

int Run(const Flags& flags) {
  // Block the signals in every thread; main takes them with sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  std::error_code ec;
  std::filesystem::create_directories(flags.data_dir, ec);
  Metrics metrics;
  eventstore::Options store_options;
  store_options.on_group_written = [&metrics](const eventstore::GroupWritten& group) {
    metrics.RecordCommitGroup(group.appends, group.events,
                              static_cast<double>(group.sync_write_micros) / 1e6,
                              group.head_position);
  };
  auto opened = eventstore::EventStore::Open(flags.data_dir + "/events", store_options);
  if (!opened.ok()) {
    Log({{"level", "error"}, {"msg", "store_open_failed"}, {"status", opened.status().ToString()}});
    return 1;
  }
  std::unique_ptr<eventstore::EventStore> store = std::move(opened).value();
  Authenticator authenticator(TokenFilePath(flags.data_dir));
  if (Status status = authenticator.Reload(); !status.ok()) {
    Log({{"level", "error"}, {"msg", "tokens_unreadable"}, {"status", status.ToString()}});
    return 1;
  }
  Broadcaster broadcaster(nullptr, flags.stream_flush_interval);
  Router router;
  AppContext app_context{*store, router, broadcaster, metrics,
                         RouteContext{store.get(), &metrics, &broadcaster, flags.dashboard_dir},
                         flags.data_dir, flags.seed_file, flags.snapshot_after_events};
  auto app = StartApp(app_context);
  if (!app.ok()) {
    Log({{"level", "error"}, {"msg", "start_failed"}, {"status", app.status().ToString()}});
    store->Close();
    return 1;
  }
  ServerOptions options;
  options.address = flags.address;
  options.port = flags.port;
  Server server(options, router, authenticator, metrics, broadcaster, *store);
  if (Status status = server.Start(flags.threads); !status.ok()) {
    Log({{"level", "error"}, {"msg", "listen_failed"}, {"status", status.ToString()}});
    (*app)->Drain();
    store->Close();
    return 1;
  }
  Log({{"level", "info"}, {"msg", "ready"}, {"port", server.port()}, {"tokens", authenticator.size()},
       {"head", store->GetHead().position},
       {"dashboard", "http://" + flags.address + ":" + std::to_string(server.port()) + "/"}});
  WaitForStop(signals, authenticator);
  server.Stop();
  (*app)->Drain();
  (*app).reset();  // Before the server: nothing may answer into its io_context after this.
  store->Close();
  Log({{"level", "info"}, {"msg", "stopped"}, {"status", store->WriterError().ToString()}});
  FlushStdoutLog();
  return 0;
}

}  // namespace
}  // namespace tranche::api

int main(int argc, char** argv) {
  tranche::api::Flags flags;
  if (auto exit_code = tranche::api::ParseFlags(argc, argv, &flags)) return *exit_code;
  return tranche::api::Run(flags);
}
