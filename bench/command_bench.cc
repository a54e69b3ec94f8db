// Command benchmark: durable record-tranche commands through the whole
// in-process command path (queue → decide against the write model → append
// → group commit with fsync → projections → reply), from 1, 64 and 256
// concurrent submitters, beside raw RocksDB sync batches of the same bytes
// written in the same run. Prints JSON lines.
//
//   command_bench [--seconds S] [--warmup S] [--slices N] [--dir DIR]
//                 [--submitters 1,64,256] [--seed FILE] [--lone-submit] [--raw-spare]
//
// A submitter is a client with one command outstanding: it sends the next
// only when the previous one's reply (positions, after the fsync) has come
// back. A lone submitter calls the blocking CommandPipeline::Execute, which
// decides and writes on the caller's thread while the pipeline is idle
// (--lone-submit: through Submit instead, as the HTTP server does). Many
// submitters go through Submit: one driver thread plays every submitter, so
// 256 submitters do not mean 256 OS threads competing for the machine's
// cores; the reply callback only hands the submitter back to the driver.
// Latency is from Submit (or Execute) to the reply.
//
// The raw baseline re-writes the very keys and values the store wrote into a
// fresh database, one sync WriteBatch per group of the size the store
// achieved (bench_support.h). It is RocksDB as it comes, its log a plain
// file, while the store writes into a spare log of zeros
// (eventstore/prezeroed_wal.h); --raw-spare gives the baseline one too.
// After an untimed warm-up (--warmup) the timed run is cut into --slices
// slices, each followed by the raw re-write of its own bytes, so that both
// sides see the disk in the same mood.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "api/service/seed_loader.h"
#include "api/service/service.h"
#include "bench/bench_support.h"
#include "core/check.h"
#include "core/commands.h"
#include "core/date.h"
#include "core/financial_year.h"
#include "eventstore/event_store.h"
#include "eventstore/prezeroed_wal.h"

namespace tranche::bench {
namespace {

constexpr double kCommandsPerSecondMin = 100'000;
constexpr double kRawRatioMin = 0.60;
constexpr double kP99MillisMax64 = 3.0;

struct Options {
  double seconds = 3;
  double warmup_seconds = 0.5;  // Untimed, before each timed run.
  int slices = 6;               // The timed run, alternated with the raw baseline.
  bool lone_execute = true;     // One submitter calls Execute (false: Submit, as many do).
  bool raw_spare = false;       // The raw baseline writes into a spare log of zeros too.
  std::string dir;
  std::vector<int> submitters = {1, 64, 256};
  std::string seed_file = "ops/seed/hiec-2009.json";
};

// Completed submitters, handed from reply callbacks to the driver.
class Completions {
 public:
  void Push(int submitter, bool accepted) {
    std::lock_guard lock(mutex_);
    done_.push_back(submitter);
    if (!accepted) ++refused_;
    changed_.notify_one();
  }
  // Moves every completed submitter into `out`; waits for at least one.
  void Take(std::vector<int>* out) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return !done_.empty(); });
    out->swap(done_);
    done_.clear();
  }
  int64_t refused() {
    std::lock_guard lock(mutex_);
    return refused_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<int> done_;
  int64_t refused_ = 0;
};

// Waits (at most 20 s) for the spare log of zeros in the store at `path`.
void WaitForWalSpare(const std::string& path) {
  eventstore::WaitForWalSpare(path, eventstore::kWalSpareBytesDefault, std::chrono::seconds(20));
}

core::CommandEnvelope RecordTranche(const std::string& cluster, uint64_t n) {
  static const core::FinancialYear kYear = core::FinancialYear::Parse("2009/10").value();
  static const core::Date kPaidOn = core::ParseDate("2010-02-15").value();
  core::CommandEnvelope envelope;
  envelope.name = "record-tranche";
  envelope.command_id = "bench-" + std::to_string(n);
  envelope.actor = "bench";
  envelope.body = core::RecordTranche{cluster, kYear, core::Pence(1), kPaidOn,
                                      "DH-BENCH-" + std::to_string(n)};
  return envelope;
}

void RunSubmitters(const Options& options, int submitters) {
  const std::string path = options.dir + "/commands-" + std::to_string(submitters);
  uint64_t commands = 0;
  double elapsed = 0;
  uint64_t groups = 0;
  double writer_wait_s = 0;   // The store's writer waiting for work, in the timed slices.
  uint64_t writer_waits = 0;
  uint64_t events = 0;
  std::vector<uint32_t> latency_us;
  int64_t refused = 0;
  RawSyncResult raw;  // Summed over the slices.
  uint64_t raw_batches = 0;
  {
    // A server that has run before opens its store with a spare log of
    // zeros ready (eventstore/prezeroed_wal.h). Create and seed the store,
    // let its spare be written, and reopen it: the timed commits then go
    // into a log as they do on such a server, not into a new store's first
    // log, which is a plain file.
    auto store = eventstore::EventStore::Open(path, {});
    TRANCHE_CHECK_MSG(store.ok(), store.status().ToString().c_str());
    auto service = service::Service::Open(**store, {});
    TRANCHE_CHECK(service.ok());
    auto seeded = service::LoadSeed((*service)->pipeline(), options.seed_file);
    TRANCHE_CHECK_MSG(seeded.ok(), seeded.status().ToString().c_str());
    WaitForWalSpare(path);
    (*service)->Stop();
  }
  {
    auto store = eventstore::EventStore::Open(path, {});
    TRANCHE_CHECK_MSG(store.ok(), store.status().ToString().c_str());
    auto service = service::Service::Open(**store, {});
    TRANCHE_CHECK(service.ok());
    std::vector<std::string> clusters;
    for (const auto& view : (*service)->read_model().Clusters("hiec", {UINT64_MAX, {}})) {
      clusters.push_back(view.id);
    }
    Completions completions;
    uint64_t next_n = 0;  // Numbers command ids and payment references.
    int64_t lone_refused = 0;  // Refusals Execute answered.
    std::vector<Clock::time_point> sent(submitters);
    auto submit = [&](int s) {
      const uint64_t n = next_n++;
      ++commands;
      sent[s] = Clock::now();
      (*service)->pipeline().Submit(
          RecordTranche(clusters[n % clusters.size()], n),
          [&completions, s](service::CommandOutcome outcome) {
            completions.Push(s, outcome.result.has_value());
          });
    };
    // Runs every submitter for `seconds`; returns the seconds until the last
    // answer.
    auto drive = [&](double seconds) {
      const Clock::time_point start = Clock::now();
      const Clock::time_point deadline =
          start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
      // One submitter is a caller that waits for each answer: Execute, which
      // decides and writes on this thread while the pipeline is idle.
      while (submitters == 1 && options.lone_execute && Clock::now() < deadline) {
        const uint64_t n = next_n++;
        ++commands;
        const Clock::time_point sent_at = Clock::now();
        service::CommandOutcome outcome =
            (*service)->pipeline().Execute(RecordTranche(clusters[n % clusters.size()], n));
        latency_us.push_back(static_cast<uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent_at)
                .count()));
        if (!outcome.result) ++lone_refused;
      }
      int outstanding = 0;
      if (submitters > 1 || !options.lone_execute) {
        for (int s = 0; s < submitters; ++s) submit(s);
        outstanding = submitters;
      }
      std::vector<int> done;
      while (outstanding > 0) {
        completions.Take(&done);
        const Clock::time_point now = Clock::now();
        for (int s : done) {
          latency_us.push_back(static_cast<uint32_t>(
              std::chrono::duration_cast<std::chrono::microseconds>(now - sent[s]).count()));
          if (now < deadline) {
            submit(s);
          } else {
            --outstanding;
          }
        }
      }
      return Seconds(Clock::now() - start);
    };
    // Untimed warm-up, then slices that alternate the pipeline with the raw
    // baseline re-writing that slice's bytes: on this VM a sync-write loop
    // runs 10-25% faster once the disk has been busy for a while (and its
    // speed drifts by minutes), which would otherwise favour whichever phase
    // runs second.
    if (options.warmup_seconds > 0) drive(options.warmup_seconds);
    latency_us.clear();
    commands = 0;
    // The raw baseline is RocksDB as it comes, its log a plain file. With
    // --raw-spare it gets what the store has: a spare log of zeros, made
    // and taken by a first open, as the store's was.
    const uint64_t raw_spare_bytes = options.raw_spare ? eventstore::kWalSpareBytesDefault : 0;
    if (options.raw_spare) {
      auto first_open = OpenRaw(path + "-raw", false, raw_spare_bytes);
      WaitForWalSpare(path + "-raw");
    }
    auto raw_db = OpenRaw(path + "-raw", false, raw_spare_bytes);
    const eventstore::WriterStats before = (*store)->GetWriterStats();
    for (int slice = 0; slice < options.slices; ++slice) {
      const uint64_t slice_first = (*store)->GetHead().position + 1;
      const eventstore::WriterStats slice_before = (*store)->GetWriterStats();
      const int64_t wait_before = slice_before.WaitMicrosUntil(eventstore::SteadyNowMicros());
      elapsed += drive(options.seconds / options.slices);
      const eventstore::WriterStats slice_after = (*store)->GetWriterStats();
      writer_wait_s +=
          (slice_after.WaitMicrosUntil(eventstore::SteadyNowMicros()) - wait_before) / 1e6;
      writer_waits += slice_after.writer_waits - slice_before.writer_waits;
      const uint64_t slice_groups = slice_after.groups_written - slice_before.groups_written;
      const uint64_t slice_events = slice_after.events_written - slice_before.events_written;
      const size_t group = std::max<size_t>(
          1, static_cast<size_t>(static_cast<double>(slice_events) /
                                     std::max<uint64_t>(slice_groups, 1) +
                                 0.5));
      RawSyncResult part = RawBatchedSyncInto(path, raw_db.get(), slice_first,
                                              (*store)->GetHead().position, group);
      raw.events += part.events;
      raw.seconds += part.seconds;
      raw_batches += part.batch_latency_us.size();
      raw.batch_latency_us.insert(raw.batch_latency_us.end(), part.batch_latency_us.begin(),
                                  part.batch_latency_us.end());
    }
    const eventstore::WriterStats after = (*store)->GetWriterStats();
    groups = after.groups_written - before.groups_written;
    events = after.events_written - before.events_written;
    refused = completions.refused() + lone_refused;
    (*service)->Stop();
    (*store)->Close();
  }
  TRANCHE_CHECK_MSG(refused == 0, "a benchmark command was refused");
  TRANCHE_CHECK_MSG(raw.events == events, "the raw baseline did not re-write every event");
  raw.events_per_s = raw.events / raw.seconds;
  const double per_s = commands / elapsed;
  const double events_per_fsync = static_cast<double>(events) / std::max<uint64_t>(groups, 1);
  const double p50_ms = Percentile(&latency_us, 0.50) / 1000.0;
  const double p99_ms = Percentile(&latency_us, 0.99) / 1000.0;
  nlohmann::json line = {{"kind", "commands"},
                         {"system", "tranche_pipeline"},
                         {"command", "record-tranche"},
                         {"submitters", submitters},
                         {"commands", commands},
                         {"seconds", elapsed},
                         {"slices", options.slices},
                         {"path", submitters == 1 && options.lone_execute ? "execute" : "submit"},
                         {"commands_per_s", std::round(per_s)},
                         {"fsyncs", groups},
                         {"writer_waits", writer_waits},
                         {"writer_idle_fraction", writer_wait_s / elapsed},
                         {"events_per_fsync", events_per_fsync},
                         {"latency_ms_p50", p50_ms},
                         {"latency_ms_p99", p99_ms}};
  std::printf("%s\n", line.dump().c_str());
  const double raw_p99_ms = Percentile(&raw.batch_latency_us, 0.99) / 1000.0;
  nlohmann::json raw_line = {
      {"kind", "commands"},
      {"system", "raw_rocksdb_batched_sync"},
      {"wal_spare", options.raw_spare},
      {"submitters", submitters},
      {"events", raw.events},
      {"seconds", raw.seconds},
      {"events_per_batch", static_cast<double>(raw.events) / std::max<uint64_t>(raw_batches, 1)},
      {"events_per_s", std::round(raw.events_per_s)},
      {"batch_latency_ms_p99", raw_p99_ms}};
  std::printf("%s\n", raw_line.dump().c_str());
  std::fflush(stdout);

  const std::string prefix = "commands_" + std::to_string(submitters) + "_submitters";
  if (submitters == 1) {
    // One submitter: one fsync per command, and no slower than raw single syncs.
    PrintTarget(prefix + "_events_per_fsync", events_per_fsync, 1.0, false, "events");
    PrintTarget(prefix + "_vs_raw", per_s / raw.events_per_s, 1.0 - 0.05, true, "ratio");
    return;
  }
  PrintTarget(prefix + "_per_s", per_s, kCommandsPerSecondMin, true, "commands/s");
  PrintTarget(prefix + "_vs_raw", per_s / raw.events_per_s, kRawRatioMin, true, "ratio");
  if (submitters == 64) PrintTarget(prefix + "_p99", p99_ms, kP99MillisMax64, false, "ms");
}

std::vector<int> ParseList(const std::string& text) {
  std::vector<int> values;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) values.push_back(std::stoi(item));
  return values;
}

int Main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (arg == "--seconds") options.seconds = std::stod(value());
    else if (arg == "--warmup") options.warmup_seconds = std::stod(value());
    else if (arg == "--slices") options.slices = std::max(1, std::stoi(value()));
    else if (arg == "--dir") options.dir = value();
    else if (arg == "--submitters") options.submitters = ParseList(value());
    else if (arg == "--seed") options.seed_file = value();
    else if (arg == "--lone-submit") options.lone_execute = false;
    else if (arg == "--raw-spare") options.raw_spare = true;
    else {
      std::fprintf(stderr,
                   "usage: command_bench [--seconds S] [--warmup S] [--slices N] [--dir DIR] "
                   "[--submitters 1,64,256] [--seed FILE] [--lone-submit] [--raw-spare]\n");
      return 2;
    }
  }
  const bool own_dir = options.dir.empty();
  if (own_dir) options.dir = MakeTempDir("command-bench");
  std::filesystem::create_directories(options.dir);
  PrintMachine(options.dir);
  for (int submitters : options.submitters) RunSubmitters(options, submitters);
  if (own_dir) std::filesystem::remove_all(options.dir);
  return 0;
}

}  // namespace
}  // namespace tranche::bench

int main(int argc, char** argv) { return tranche::bench::Main(argc, argv); }
