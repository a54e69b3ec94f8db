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
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/check.h"
#include "eventstore/database.h"
#include "eventstore/event_store.h"
#include "eventstore/record_format.h"

namespace tranche::eventstore {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kPayloadBytes = 200;
constexpr int kReplayRepeats = 3;
constexpr int kReplayAppendsInFlight = 8;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (static_cast<unsigned char>(c) >= 0x20) out.push_back(c);
  }
  return out + "\"";
}

void PrintMachine(const std::string& dir) {
  std::string cpu = "unknown";
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  }
  utsname names{};
  uname(&names);
  std::printf(
      "{\"kind\":\"machine\",\"cpu_model\":%s,\"cores\":%u,\"kernel\":%s,\"data_dir\":%s,"
      "\"payload_bytes\":%zu}\n",
      JsonString(cpu).c_str(), std::thread::hardware_concurrency(),
      JsonString(std::string(names.sysname) + " " + names.release).c_str(), JsonString(dir).c_str(),
      kPayloadBytes);
  std::fflush(stdout);
}

uint64_t Percentile(std::vector<uint32_t>* values, double p) {
  if (values->empty()) return 0;
  const size_t index = std::min(values->size() - 1, static_cast<size_t>(p * values->size()));
  std::nth_element(values->begin(), values->begin() + index, values->end());
  return (*values)[index];
}

void PrintRatio(const char* name, double ratio, double target) {
  std::printf("{\"kind\":\"target\",\"name\":\"%s\",\"ratio\":%.3f,\"target\":%.2f,\"met\":%s}\n",
              name, ratio, target, ratio >= target ? "true" : "false");
  std::fflush(stdout);
}

std::unique_ptr<Database> OpenRaw(const std::string& path, bool read_only) {
  auto database = Database::Open(path, /*create_if_missing=*/true, read_only);
  TRANCHE_CHECK_MSG(database.ok(), database.status().ToString().c_str());
  return std::move(database).value();
}

struct Entry {
  rocksdb::ColumnFamilyHandle* family;
  std::string key;
  std::string value;
};

// Everything the store wrote for each position, in position order: the
// record, its stream index entry and, for a command's first event, the
// command entry.
std::vector<std::vector<Entry>> CollectWrittenBytes(const std::string& store_path,
                                                    Database* target) {
  auto source = OpenRaw(store_path, /*read_only=*/true);
  std::vector<std::vector<Entry>> by_position(1);
  std::unique_ptr<rocksdb::Iterator> it(source->db()->NewIterator({}, source->events()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    by_position.push_back({{target->events(), it->key().ToString(), it->value().ToString()}});
  }
  it.reset(source->db()->NewIterator({}, source->streams()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const uint64_t position = ReadLittleEndian64(it->value().data());
    by_position.at(position).push_back(
        {target->streams(), it->key().ToString(), it->value().ToString()});
  }
  it.reset(source->db()->NewIterator({}, source->commands()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    CommandEntry entry;
    TRANCHE_CHECK(DecodeCommandEntry(it->value().ToString(), &entry).ok());
    by_position.at(entry.first_position)
        .push_back({target->commands(), it->key().ToString(), it->value().ToString()});
  }
  return by_position;
}

// Re-writes the store's bytes into a fresh database, one sync batch per
// `group_events` positions. Returns events per second.
double RawBatchedSync(const std::string& store_path, const std::string& raw_path,
                      size_t group_events, std::vector<uint32_t>* batch_latency_us) {
  auto raw = OpenRaw(raw_path, false);
  std::vector<std::vector<Entry>> by_position = CollectWrittenBytes(store_path, raw.get());
  const size_t events = by_position.size() - 1;
  rocksdb::WriteOptions options;
  options.sync = true;
  rocksdb::WriteBatch batch;
  const std::string head(kHeadEntryBytes, 'h');
  const Clock::time_point start = Clock::now();
  for (size_t first = 1; first <= events; first += group_events) {
    const Clock::time_point batch_start = Clock::now();
    batch.Clear();
    for (size_t p = first; p < first + group_events && p <= events; ++p) {
      for (const Entry& entry : by_position[p]) batch.Put(entry.family, entry.key, entry.value);
    }
    batch.Put(raw->meta(), kMetaHeadKey, head);
    TRANCHE_CHECK(raw->db()->Write(options, &batch).ok());
    batch_latency_us->push_back(static_cast<uint32_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - batch_start).count()));
  }
  return events / Seconds(Clock::now() - start);
}

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
  std::vector<uint32_t> batch_latency;
  const double raw_per_s = RawBatchedSync(path, path + "-raw", group, &batch_latency);
  std::printf(
      "{\"kind\":\"append\",\"system\":\"raw_rocksdb_batched_sync\",\"submitters\":%d,"
      "\"events_per_batch\":%zu,\"events_per_s\":%.0f,\"batch_latency_us_p50\":%llu,"
      "\"batch_latency_us_p99\":%llu}\n",
      submitters, group, raw_per_s,
      static_cast<unsigned long long>(Percentile(&batch_latency, 0.50)),
      static_cast<unsigned long long>(Percentile(&batch_latency, 0.99)));
  const std::string name = "append_" + std::to_string(submitters) + "_submitters_vs_raw";
  PrintRatio(name.c_str(), appends_per_s / raw_per_s, submitters == 64 ? 0.60 : 0.0);
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
                                  [&](const RecordedEvent& e) {
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
    tuned.readahead_size = 2 * 1024 * 1024;
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
  PrintRatio("replay_vs_raw_scan", best_store / best_raw, 0.80);
  PrintRatio("replay_vs_raw_scan_same_read_options", best_store / best_raw_tuned, 0.0);
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
  if (own_dir) {
    char pattern[] = "/tmp/tranche-bench-XXXXXX";
    TRANCHE_CHECK(mkdtemp(pattern) != nullptr);
    dir = pattern;
  }
  std::filesystem::create_directories(dir);
  tranche::eventstore::PrintMachine(dir);
  for (int submitters : {1, 16, 64}) tranche::eventstore::BenchAppends(dir, submitters, seconds);
  tranche::eventstore::BenchReplay(dir, replay_events);
  if (own_dir) std::filesystem::remove_all(dir);
  return 0;
}
