// Event store benchmark: durable append throughput and latency under 1, 16
// and 64 concurrent submitters, and full-scan replay, each beside the raw
// RocksDB figure for the same bytes. Prints one JSON object per line.
//
//   event_store_bench [--dir DIR] [--seconds S] [--replay-events N]
//
// Raw baselines (same column families and options as the store, see
// Database::MakeDbOptions):
//  * appends: the very keys and values the store wrote (records, stream and
//    command index entries, one head per group) re-written into a fresh
//    database by one thread, one WriteBatch with sync = true per group of the
//    size the store achieved (its events per fsync);
//  * replay: a plain iterator over the events column family, touching every
//    value, against EventStore::ScanAll decoding every record.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_support.h"
#include "core/check.h"
#include "eventstore/database.h"
#include "eventstore/event_store.h"
#include "eventstore/record_format.h"

namespace tranche::eventstore {
namespace {

using bench::Clock;
using bench::OpenRaw;
using bench::Percentile;
using bench::PrintTarget;
using bench::Seconds;
constexpr size_t kPayloadBytes = 200;
constexpr int kReplayRepeats = 3;
constexpr int kReplayAppendsInFlight = 8;

// `submitters` threads append one-event commands for `seconds`; returns the
// store's appends per second. Prints the store and raw figures.
void BenchAppends(const std::string& dir, int submitters, double seconds) {
  const std::string path = dir + "/append-" + std::to_string(submitters);
  const std::string payload(kPayloadBytes, 'x');
  std::vector<std::vector<uint32_t>> latencies(submitters);
  WriterStats stats;
  double elapsed = 0;
  {
    auto opened = EventStore::Open(path, Options{});
    TRANCHE_CHECK(opened.ok());
    std::unique_ptr<EventStore> store = std::move(opened).value();
    const Clock::time_point start = Clock::now();
    const Clock::time_point deadline =
        start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    std::vector<std::thread> threads;
    for (int t = 0; t < submitters; ++t) {
      threads.emplace_back([&, t] {
        for (uint64_t i = 0; Clock::now() < deadline; ++i) {
          AppendRequest request;
          request.command_id = "bench-" + std::to_string(t) + "-" + std::to_string(i);
          request.actor = "bench";
          request.streams.push_back({"cluster-" + std::to_string(t % 17),
                                     ExpectedVersion::Any(),
                                     {{"TrancheRecorded", 1, "", payload}}});
          const Clock::time_point submitted = Clock::now();
          AppendOutcome outcome = store->Append(std::move(request));
          TRANCHE_CHECK_MSG(outcome.ok(), outcome.status().ToString().c_str());
          latencies[t].push_back(static_cast<uint32_t>(
              std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - submitted)
                  .count()));
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    elapsed = Seconds(Clock::now() - start);
    stats = store->GetWriterStats();
  }
  std::vector<uint32_t> all;
  for (const auto& v : latencies) all.insert(all.end(), v.begin(), v.end());
  const double appends_per_s = stats.appends_written / elapsed;
  const double events_per_fsync =
      static_cast<double>(stats.events_written) / std::max<uint64_t>(stats.groups_written, 1);
  const uint64_t p50 = Percentile(&all, 0.50);
  const uint64_t p99 = Percentile(&all, 0.99);
  std::printf(
      "{\"kind\":\"append\",\"system\":\"eventstore\",\"submitters\":%d,\"appends\":%llu,"
      "\"seconds\":%.2f,\"appends_per_s\":%.0f,\"events_per_fsync\":%.2f,\"latency_us_p50\":%llu,"
      "\"latency_us_p99\":%llu}\n",
      submitters, static_cast<unsigned long long>(stats.appends_written), elapsed, appends_per_s,
      events_per_fsync, static_cast<unsigned long long>(p50), static_cast<unsigned long long>(p99));
  std::fflush(stdout);

  const size_t group = std::max<size_t>(1, static_cast<size_t>(events_per_fsync + 0.5));
  bench::RawSyncResult raw = bench::RawBatchedSync(path, path + "-raw", 1, group);
  std::printf(
      "{\"kind\":\"append\",\"system\":\"raw_rocksdb_batched_sync\",\"submitters\":%d,"
      "\"events_per_batch\":%zu,\"events_per_s\":%.0f,\"batch_latency_us_p50\":%llu,"
      "\"batch_latency_us_p99\":%llu}\n",
      submitters, group, raw.events_per_s,
      static_cast<unsigned long long>(Percentile(&raw.batch_latency_us, 0.50)),
      static_cast<unsigned long long>(Percentile(&raw.batch_latency_us, 0.99)));
  const std::string name = "append_" + std::to_string(submitters) + "_submitters_vs_raw";
  PrintTarget(name, appends_per_s / raw.events_per_s, submitters == 64 ? 0.60 : 0.0, true,
              "ratio");
}

void BuildReplayStore(const std::string& path, uint64_t events) {
  auto opened = EventStore::Open(path, Options{});
  TRANCHE_CHECK(opened.ok());
  std::unique_ptr<EventStore> store = std::move(opened).value();
  const std::string payload(kPayloadBytes, 'r');
  std::mutex mutex;
  std::condition_variable done;
  int in_flight = 0;
  uint64_t written = 0;
  for (uint64_t command = 0; written < events; ++command) {
    AppendRequest request;
    request.command_id = "replay-" + std::to_string(command);
    request.actor = "bench";
    StreamAppend& stream = request.streams.emplace_back();
    stream.stream = "cluster-" + std::to_string(command % 17);
    const uint64_t count = std::min<uint64_t>(kEventsPerAppendMax, events - written);
    stream.events.assign(count, NewEvent{"TrancheRecorded", 1, "", payload});
    written += count;
    std::unique_lock<std::mutex> lock(mutex);
    done.wait(lock, [&] { return in_flight < kReplayAppendsInFlight; });
    ++in_flight;
    lock.unlock();
    store->AppendAsync(std::move(request), [&](AppendOutcome outcome) {
      TRANCHE_CHECK(outcome.ok());
      std::lock_guard<std::mutex> guard(mutex);
      --in_flight;
      done.notify_all();
    });
  }
  store->Close();
  // Compact so both scans read the same settled files.
  auto raw = OpenRaw(path, false);
  TRANCHE_CHECK(raw->db()->CompactRange({}, raw->events(), nullptr, nullptr).ok());
}

// A plain iterator over the events column family touching every value.
double RawScan(const std::string& path, uint64_t events, const rocksdb::ReadOptions& options) {
  auto raw = OpenRaw(path, true);
  uint64_t seen = 0;
  uint64_t bytes = 0;
  const Clock::time_point start = Clock::now();
  std::unique_ptr<rocksdb::Iterator> it(raw->db()->NewIterator(options, raw->events()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ++seen;
    bytes += it->value().size();
  }
  const double seconds = Seconds(Clock::now() - start);
  TRANCHE_CHECK(seen == events && bytes > 0);
  return seen / seconds;
}

void BenchReplay(const std::string& dir, uint64_t events) {
  const std::string path = dir + "/replay";
  BuildReplayStore(path, events);
  double best_store = 0;
  double best_raw = 0;
  double best_raw_tuned = 0;
  for (int repeat = 0; repeat < kReplayRepeats; ++repeat) {
    {
      Options options;
      options.read_only = true;
      auto store = std::move(EventStore::Open(path, options)).value();
      uint64_t seen = 0;
      uint64_t bytes = 0;
      const Clock::time_point start = Clock::now();
      TRANCHE_CHECK(store
                        ->ScanAll(1,
                                  [&](const RecordView& e) {
                                    ++seen;
                                    bytes += e.data.size();
                                    return true;
                                  })
                        .ok());
      const double seconds = Seconds(Clock::now() - start);
      TRANCHE_CHECK(seen == events && bytes > 0);
      best_store = std::max(best_store, seen / seconds);
    }
    best_raw = std::max(best_raw, RawScan(path, events, rocksdb::ReadOptions()));
    // The same read options the store's ScanAll uses, for comparison only.
    rocksdb::ReadOptions tuned;
    tuned.fill_cache = false;
    tuned.readahead_size = 256 * 1024;
    best_raw_tuned = std::max(best_raw_tuned, RawScan(path, events, tuned));
  }
  std::printf(
      "{\"kind\":\"replay\",\"system\":\"eventstore\",\"events\":%llu,\"events_per_s\":%.0f}\n",
      static_cast<unsigned long long>(events), best_store);
  std::printf(
      "{\"kind\":\"replay\",\"system\":\"raw_rocksdb_iterator\",\"events\":%llu,"
      "\"events_per_s\":%.0f}\n",
      static_cast<unsigned long long>(events), best_raw);
  std::printf(
      "{\"kind\":\"replay\",\"system\":\"raw_rocksdb_iterator_store_read_options\","
      "\"events\":%llu,\"events_per_s\":%.0f}\n",
      static_cast<unsigned long long>(events), best_raw_tuned);
  PrintTarget("replay_vs_raw_scan", best_store / best_raw, 0.80, true, "ratio");
  PrintTarget("replay_vs_raw_scan_same_read_options", best_store / best_raw_tuned, 0.0, true,
              "ratio");
}

}  // namespace
}  // namespace tranche::eventstore

int main(int argc, char** argv) {
  std::string dir;
  double seconds = 3;
  uint64_t replay_events = 1'000'000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--dir") {
      dir = argv[i + 1];
    } else if (flag == "--seconds") {
      seconds = std::atof(argv[i + 1]);
    } else if (flag == "--replay-events") {
      replay_events = std::strtoull(argv[i + 1], nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: %s [--dir DIR] [--seconds S] [--replay-events N]\n", argv[0]);
      return 2;
    }
  }
  const bool own_dir = dir.empty();
  if (own_dir) dir = tranche::bench::MakeTempDir("bench");
  std::filesystem::create_directories(dir);
  tranche::bench::PrintMachine(dir);
  for (int submitters : {1, 16, 64}) tranche::eventstore::BenchAppends(dir, submitters, seconds);
  tranche::eventstore::BenchReplay(dir, replay_events);
  if (own_dir) std::filesystem::remove_all(dir);
  return 0;
}
