// As-of benchmark: builds a log of --events domain events through the real
// command pipeline (HIEC seed, then tranches, reversals, member changes and
// award amendments), then times as-of and effective-date queries at random
// moments, and the start-up replay of the whole log. JSON lines on stdout.
// With --snapshot it then writes a start-up snapshot of the replayed models
// and times a start-up through it in a fresh process, as a restart would be
// (target: 10,000,000 events in 2 s).
//
// The replay is timed in a fresh process too (this binary again, with
// --measure-only): in the process that built the log, or that replayed it
// once already, the allocator's heap is warm, and a restarted server's is
// not.
//
//   asof_bench [--events 1000000] [--queries 200] [--dir DIR] [--keep] [--snapshot]
//              [--startup-only]   (only the start-up through DIR's snapshot, kept)
//              [--measure-only]   (the replay and what follows, on DIR's log, kept)

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "api/service/seed_loader.h"
#include "api/service/service.h"
#include "bench/bench_support.h"
#include "core/json/json_codec.h"
#include "projections/view_json.h"

namespace tranche::bench {
namespace {

using bench::Clock;
using bench::MillisSince;
constexpr double kAsOfTargetMs = 50.0;
constexpr double kReplayPerSecondMin = 1'000'000;
constexpr double kSnapshotStartupSecondsMax = 2.0;
constexpr uint64_t kMemoryTargetEventsMax = 1'100'000;
constexpr int kInFlightMax = 2048;

// Keeps at most kInFlightMax commands in the pipeline at once.
class Window {
 public:
  void Acquire() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return in_flight_ < kInFlightMax; });
    ++in_flight_;
  }
  void Release(bool accepted) {
    std::lock_guard lock(mutex_);
    --in_flight_;
    accepted ? ++accepted_ : ++refused_;
    changed_.notify_all();
  }
  void Drain() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return in_flight_ == 0; });
  }
  int64_t accepted() const { return accepted_; }
  int64_t refused() const { return refused_; }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int in_flight_ = 0;
  int64_t accepted_ = 0;
  int64_t refused_ = 0;
};

// The i-th generated command: mostly small tranches, some reversed, member
// churn and the odd award amendment, spread over the 17 clusters.
nlohmann::json NextCommand(uint64_t i, const std::vector<std::string>& clusters,
                           std::mt19937_64& rng, std::string* name) {
  const std::string& cluster = clusters[i % clusters.size()];
  const std::string id = "bench-" + std::to_string(i);
  const uint64_t kind = rng() % 20;
  const std::string reference = "PAY-" + std::to_string(i / 20 * 20);
  if (kind < 11) {
    *name = "record-tranche";
    const bool year_one = rng() % 2 == 0;
    return {{"command_id", id},
            {"cluster_id", cluster},
            {"financial_year", year_one ? "2009/10" : "2010/11"},
            {"amount_pence", 1 + static_cast<int64_t>(rng() % 100)},
            {"paid_on", year_one ? "2009-11-15" : "2010-08-20"},
            {"payment_reference", "PAY-" + std::to_string(i)}};
  }
  if (kind < 14) {
    *name = "reverse-tranche";
    return {{"command_id", id}, {"cluster_id", cluster},
            {"payment_reference", reference}, {"reason", "entered twice"}};
  }
  if (kind < 19) {
    const std::string organisation = "Bench Organisation " + std::to_string(i / 40 % 50);
    if (kind < 17) {
      *name = "add-member";
      return {{"command_id", id}, {"cluster_id", cluster}, {"name", organisation},
              {"sector", "industry"}, {"joined_on", "2010-02-01"}};
    }
    *name = "remove-member";
    return {{"command_id", id}, {"cluster_id", cluster},
            {"organisation_id", core::DeriveOrganisationId(organisation)},
            {"left_on", "2010-09-01"}, {"reason", "left the partnership"}};
  }
  *name = "amend-award";
  return {{"command_id", id}, {"cluster_id", cluster}, {"financial_year", "2010/11"},
          {"amount_pence", 50'000'000 + static_cast<int64_t>(rng() % 1'000'000)},
          {"reason", "re-profiled"}};
}

struct Options {
  uint64_t events = 1'000'000;
  int queries = 200;
  std::string dir;
  bool keep = false;
  bool snapshot = false;
  bool startup_only = false;
  bool measure_only = false;
  std::string seed_file = "ops/seed/hiec-2009.json";
};

void BuildLog(service::Service& service, uint64_t target_events, eventstore::EventStore& store) {
  auto seeded = service::LoadSeed(service.pipeline(), Options().seed_file);
  TRANCHE_CHECK_MSG(seeded.ok(), seeded.status().ToString().c_str());
  std::vector<std::string> clusters;
  for (const auto& view : service.read_model().Clusters("hiec", {UINT64_MAX, {}})) {
    clusters.push_back(view.id);
  }
  std::mt19937_64 rng(20100331);
  Window window;
  const auto started = Clock::now();
  for (uint64_t i = 0; store.GetHead().position < target_events;) {
    for (int batch = 0; batch < 256; ++batch, ++i) {
      std::string name;
      nlohmann::json body = NextCommand(i, clusters, rng, &name);
      auto parsed = core::ParseCommand(name, body);
      TRANCHE_CHECK(std::holds_alternative<core::CommandEnvelope>(parsed));
      auto envelope = std::get<core::CommandEnvelope>(std::move(parsed));
      envelope.actor = "bench";
      window.Acquire();
      service.pipeline().Submit(std::move(envelope), [&window](service::CommandOutcome outcome) {
        window.Release(outcome.result.has_value());
      });
    }
  }
  window.Drain();
  const double seconds = MillisSince(started) / 1000;
  nlohmann::json line = {{"kind", "build_log"},
                         {"events", store.GetHead().position},
                         {"commands_accepted", window.accepted()},
                         {"commands_rejected", window.refused()},
                         {"seconds", seconds},
                         {"commands_per_s", (window.accepted() + window.refused()) / seconds}};
  std::printf("%s\n", line.dump().c_str());
  std::fflush(stdout);
}

struct Latencies {
  std::vector<double> ms;
  void Add(double value) { ms.push_back(value); }
  nlohmann::json Summary(const std::string& query) {
    std::sort(ms.begin(), ms.end());
    auto at = [&](double p) { return ms[std::min(ms.size() - 1, static_cast<size_t>(p * ms.size()))]; };
    return {{"kind", "as_of"},      {"query", query},          {"samples", ms.size()},
            {"ms_p50", at(0.50)},   {"ms_p99", at(0.99)},      {"ms_max", ms.back()},
            {"target_ms", kAsOfTargetMs}, {"met", ms.back() <= kAsOfTargetMs}};
  }
};

void MeasureQueries(const service::Service& service, int queries) {
  const projections::ReadModel& model = service.read_model();
  const uint64_t head = model.head();
  std::mt19937_64 rng(42);
  Latencies cluster_at_position, cluster_at_time, programme_effective, ledger_cluster;
  for (int q = 0; q < queries; ++q) {
    const uint64_t position = 1 + rng() % head;
    auto started = Clock::now();
    auto cluster = model.Cluster("wessex", {position, {}});
    std::string body = cluster.ok() ? projections::ClusterViewToJson(*cluster).dump() : "";
    cluster_at_position.Add(MillisSince(started));

    started = Clock::now();
    // A time inside the log: map it to a position, then answer.
    const int64_t first_us = model.RecordedAt(1);
    const int64_t span_us = std::max<int64_t>(1, model.RecordedAt(head) - first_us);
    const int64_t unix_micros = first_us + static_cast<int64_t>(rng() % span_us);
    const uint64_t at_time = model.PositionAtTime(unix_micros);
    auto cluster_then = model.Cluster("wessex", {std::max<uint64_t>(at_time, 1), {}});
    body = cluster_then.ok() ? projections::ClusterViewToJson(*cluster_then).dump() : "";
    cluster_at_time.Add(MillisSince(started));

    started = Clock::now();
    auto programme = model.Programme("hiec", {position, core::ParseDate("2010-03-31").value()});
    body = programme.ok() ? projections::ProgrammeViewToJson(*programme).dump() : "";
    programme_effective.Add(MillisSince(started));

    started = Clock::now();
    auto rows = model.Ledger("wessex", {position, {}}, 1 + rng() % position, 1000);  // One page.
    ledger_cluster.Add(MillisSince(started));
  }
  for (auto* summary : {&cluster_at_position, &cluster_at_time, &programme_effective}) {
    const char* name = summary == &cluster_at_position ? "cluster_as_of_position"
                       : summary == &cluster_at_time   ? "cluster_as_of_time"
                                                       : "programme_as_of_position_effective_date";
    std::printf("%s\n", summary->Summary(name).dump().c_str());
  }
  nlohmann::json ledger = ledger_cluster.Summary("cluster_ledger_page_as_of_position");
  ledger["target_ms"] = nullptr;  // Reported, not a target: it returns every row.
  ledger.erase("met");
  std::printf("%s\n", ledger.dump().c_str());
}

// Writes a snapshot of the stopped `replayed` service's models.
void WriteSnapshot(service::Service& replayed) {
  auto written = replayed.WriteSnapshot();
  TRANCHE_CHECK_MSG(written.ok(), written.status().ToString().c_str());
  const double events = static_cast<double>(written->position);
  nlohmann::json write = {{"kind", "snapshot_written"},
                          {"events", written->position},
                          {"seconds", written->seconds},
                          {"bytes", written->bytes},
                          {"bytes_per_event", static_cast<double>(written->bytes) / events}};
  std::printf("%s\n", write.dump().c_str());
  std::fflush(stdout);
}

// Times a start-up through the snapshot at `service_options.snapshot_path`
// of the store in `dir` (closed).
void MeasureStartupThroughSnapshot(const std::string& dir,
                                   const service::ServiceOptions& service_options) {
  auto store = eventstore::EventStore::Open(dir, {});
  TRANCHE_CHECK(store.ok());
  const uint64_t resident_before = bench::ResidentBytes();
  const auto started = Clock::now();
  auto service = service::Service::Open(**store, service_options);
  TRANCHE_CHECK(service.ok());
  const double seconds = MillisSince(started) / 1000;
  TRANCHE_CHECK_MSG((*service)->snapshot_refusal().ok(),
                    (*service)->snapshot_refusal().ToString().c_str());
  const uint64_t resident_after = bench::ResidentBytes();
  const service::SnapshotInfo& loaded = (*service)->loaded_snapshot();
  nlohmann::json startup = {
      {"kind", "startup_snapshot"},
      {"events", (*service)->read_model().head()},
      {"snapshot_position", loaded.position},
      {"events_folded_after_it", (*service)->replayed_events()},
      {"seconds", seconds},
      {"snapshot_load_seconds", loaded.seconds},
      {"write_model_seconds", loaded.write_model_seconds},
      {"read_model_seconds", loaded.read_model_seconds},
      {"resident_bytes_added", resident_after - std::min(resident_after, resident_before)}};
  std::printf("%s\n", startup.dump().c_str());
  bench::PrintTarget("startup_through_snapshot_seconds", seconds, kSnapshotStartupSecondsMax,
                     false, "s");
  (*service)->Stop();
  service->reset();
  (*store)->Close();
}

// Runs this binary again with `args` in a fresh process and waits; its
// lines go to stdout.
void RunSelf(const char* self, std::vector<std::string> args) {
  std::fflush(stdout);
  std::vector<char*> argv = {const_cast<char*>(self)};
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t child = ::fork();
  TRANCHE_CHECK(child >= 0);
  if (child == 0) {
    ::execv("/proc/self/exe", argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  TRANCHE_CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                    ("the run with " + args.back() + " failed").c_str());
}

int Main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (arg == "--events") options.events = std::stoull(value());
    else if (arg == "--queries") options.queries = std::stoi(value());
    else if (arg == "--dir") options.dir = value();
    else if (arg == "--keep") options.keep = true;
    else if (arg == "--snapshot") options.snapshot = true;
    else if (arg == "--startup-only") options.startup_only = options.snapshot = options.keep = true;
    else if (arg == "--measure-only") options.measure_only = options.keep = true;
    else {
      std::fprintf(stderr,
                   "usage: asof_bench [--events N] [--queries N] [--dir DIR] [--keep] "
                   "[--snapshot] [--startup-only] [--measure-only]\n");
      return 2;
    }
  }
  if (options.dir.empty()) {
    options.dir = (std::filesystem::temp_directory_path() / "tranche-asof-bench").string();
  }
  if (!options.startup_only && !options.measure_only) PrintMachine(options.dir);
  const std::string snapshot_path = options.dir + ".snapshot";
  service::ServiceOptions service_options;
  if (options.snapshot) service_options.snapshot_path = snapshot_path;
  if (options.startup_only) {
    MeasureStartupThroughSnapshot(options.dir, service_options);
    return 0;
  }
  if (!options.measure_only) {
    {
      auto store = eventstore::EventStore::Open(options.dir, {});
      TRANCHE_CHECK_MSG(store.ok(), store.status().ToString().c_str());
      if ((*store)->GetHead().position < options.events) {
        auto service = service::Service::Open(**store, {});
        TRANCHE_CHECK(service.ok());
        BuildLog(**service, options.events, **store);
        (*service)->Stop();
      }
      (*store)->Close();
    }
    std::vector<std::string> args = {"--dir", options.dir, "--events",
                                     std::to_string(options.events), "--queries",
                                     std::to_string(options.queries)};
    if (options.snapshot) args.push_back("--snapshot");
    args.push_back("--measure-only");
    RunSelf(argv[0], std::move(args));
    if (!options.keep) {
      std::filesystem::remove_all(options.dir);
      std::filesystem::remove(snapshot_path);
    }
    return 0;
  }
  // Start-up as a restarted server without a snapshot does it: replay
  // everything, then query.
  std::filesystem::remove(snapshot_path);
  auto store = eventstore::EventStore::Open(options.dir, {});
  TRANCHE_CHECK(store.ok());
  auto started = Clock::now();
  auto service = service::Service::Open(**store, service_options);
  TRANCHE_CHECK(service.ok());
  const double replay_seconds = MillisSince(started) / 1000;
  const uint64_t events = (*service)->replayed_events();
  // The CPU each stage spent says more than the wall time on a shared
  // machine: the stages run on three threads, so the wall time is about the
  // longest stage on three cores and half their sum on two.
  const service::ReplayStats& stages = (*service)->replay_stats();
  nlohmann::json replay = {
      {"kind", "startup_replay"},
      {"events", events},
      {"seconds", replay_seconds},
      {"events_per_s", std::round(events / replay_seconds)},
      {"scan_cpu_s", stages.scan_cpu_seconds},
      {"write_model_cpu_s", stages.write_model_cpu_seconds},
      {"read_model_cpu_s", stages.read_model_cpu_seconds},
      {"cpu_us_per_event", 1e6 *
                               (stages.scan_cpu_seconds + stages.write_model_cpu_seconds +
                                stages.read_model_cpu_seconds) /
                               static_cast<double>(events)}};
  std::printf("%s\n", replay.dump().c_str());
  std::fflush(stdout);
  bench::PrintTarget("startup_replay_events_per_s", events / replay_seconds, kReplayPerSecondMin,
                     true, "events/s");
  // Memory: this process after the replay (write model, read model, the
  // store's caches).
  const uint64_t resident = bench::ResidentBytes();
  // The memory limit is for the 1,000,000-event log; larger logs (the
  // snapshot run's) report their footprint only.
  if (events <= kMemoryTargetEventsMax) {
    bench::PrintTarget("resident_memory_gib", resident / double(1ull << 30), 1.0, false, "GiB");
  }
  MeasureQueries(**service, options.queries);
  (*service)->Stop();
  if (options.snapshot) WriteSnapshot(**service);
  service->reset();
  (*store)->Close();
  // Disk: the data directory as the server leaves it, closed. The spare log
  // of zeros (a fixed 64 MiB that holds no event) is shown apart and still
  // counted against the limit.
  uint64_t spare = 0;
  const uint64_t data = bench::DirectoryBytes(options.dir, &spare);
  const uint64_t disk = data + spare;
  nlohmann::json footprint = {{"kind", "footprint"},
                              {"events", events},
                              {"resident_bytes", resident},
                              {"resident_bytes_per_event", static_cast<double>(resident) / events},
                              {"disk_bytes", disk},
                              {"disk_bytes_per_event", static_cast<double>(disk) / events},
                              {"wal_spare_bytes", spare},
                              {"data_bytes_per_event", static_cast<double>(data) / events}};
  std::printf("%s\n", footprint.dump().c_str());
  bench::PrintTarget("disk_bytes_per_event", static_cast<double>(disk) / events, 300, false,
                     "bytes");
  // A start-up is a fresh process: this binary again, with --startup-only.
  if (options.snapshot) RunSelf(argv[0], {"--dir", options.dir, "--startup-only"});
  return 0;
}

}  // namespace
}  // namespace tranche::bench

int main(int argc, char** argv) { return tranche::bench::Main(argc, argv); }
