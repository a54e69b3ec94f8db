#include "bench/bench_support.h"

#include <rocksdb/write_batch.h>
#include <stdlib.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/check.h"
#include "eventstore/prezeroed_wal.h"
#include "eventstore/record_format.h"

namespace tranche::bench {

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

double MillisSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

int64_t MicrosSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
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
  nlohmann::json machine = {{"kind", "machine"},
                            {"cpu_model", cpu},
                            {"cores", std::thread::hardware_concurrency()},
                            {"kernel", std::string(names.sysname) + " " + names.release},
                            {"data_dir", dir}};
  std::printf("%s\n", machine.dump().c_str());
  std::fflush(stdout);
}

uint64_t Percentile(std::vector<uint32_t>* values, double p) {
  if (values->empty()) return 0;
  const size_t index = std::min(values->size() - 1, static_cast<size_t>(p * values->size()));
  std::nth_element(values->begin(), values->begin() + index, values->end());
  return (*values)[index];
}

void PrintTarget(const std::string& name, double value, double limit, bool higher_is_better,
                 const std::string& unit) {
  const bool met = higher_is_better ? value >= limit : value <= limit;
  nlohmann::json line = {{"kind", "target"},
                         {"name", name},
                         {"value", std::round(value * 1000) / 1000},
                         {higher_is_better ? "at_least" : "at_most", limit},
                         {"unit", unit},
                         {"met", met}};
  std::printf("%s\n", line.dump().c_str());
  std::fflush(stdout);
}

uint64_t ResidentBytes() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;  // kB
  }
  return 0;
}

uint64_t DirectoryBytes(const std::string& dir, uint64_t* spare_bytes) {
  uint64_t bytes = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    if (spare_bytes != nullptr && entry.path().filename().string().starts_with(eventstore::kWalSpareFileName)) {
      *spare_bytes += entry.file_size();
    } else {
      bytes += entry.file_size();
    }
  }
  return bytes;
}

std::string MakeTempDir(const std::string& name) {
  std::string pattern = "/tmp/tranche-" + name + "-XXXXXX";
  TRANCHE_CHECK(mkdtemp(pattern.data()) != nullptr);
  return pattern;
}

std::unique_ptr<eventstore::Database> OpenRaw(const std::string& path, bool read_only,
                                              uint64_t wal_spare_bytes) {
  auto database = eventstore::Database::Open(path, /*create_if_missing=*/true, read_only,
                                             nullptr, wal_spare_bytes);
  TRANCHE_CHECK_MSG(database.ok(), database.status().ToString().c_str());
  return std::move(database).value();
}

namespace {

struct Entry {
  rocksdb::ColumnFamilyHandle* family;
  std::string key;
  std::string value;
};

// Everything the store wrote for each position in [first, last], in
// position order: the record, its stream index entry and, for a command's
// first event, the command entry. Index 0 holds position `first`.
std::vector<std::vector<Entry>> CollectWrittenBytes(const std::string& store_path,
                                                    eventstore::Database* target,
                                                    uint64_t first, uint64_t last) {
  auto source = OpenRaw(store_path, /*read_only=*/true);
  std::vector<std::vector<Entry>> by_position;
  std::unique_ptr<rocksdb::Iterator> it(source->db()->NewIterator({}, source->events()));
  for (it->Seek(eventstore::PositionKey(first));
       it->Valid() && by_position.size() <= last - first; it->Next()) {
    by_position.push_back({{target->events(), it->key().ToString(), it->value().ToString()}});
  }
  auto slot = [&](uint64_t position) -> std::vector<Entry>* {
    if (position < first || position - first >= by_position.size()) return nullptr;
    return &by_position[position - first];
  };
  it.reset(source->db()->NewIterator({}, source->streams()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (auto* entries = slot(eventstore::ReadLittleEndian64(it->value().data()))) {
      entries->push_back({target->streams(), it->key().ToString(), it->value().ToString()});
    }
  }
  it.reset(source->db()->NewIterator({}, source->commands()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    eventstore::CommandEntry entry;
    TRANCHE_CHECK(eventstore::DecodeCommandEntry(it->value().ToString(), &entry).ok());
    if (auto* entries = slot(entry.first_position)) {
      entries->push_back({target->commands(), it->key().ToString(), it->value().ToString()});
    }
  }
  return by_position;
}

}  // namespace

RawSyncResult RawBatchedSync(const std::string& store_path, const std::string& raw_path,
                             uint64_t first_position, size_t group_events) {
  auto raw = OpenRaw(raw_path, false);
  return RawBatchedSyncInto(store_path, raw.get(), first_position, UINT64_MAX, group_events);
}

RawSyncResult RawBatchedSyncInto(const std::string& store_path, eventstore::Database* raw,
                                 uint64_t first_position, uint64_t last_position,
                                 size_t group_events) {
  const std::vector<std::vector<Entry>> by_position =
      CollectWrittenBytes(store_path, raw, first_position, last_position);
  RawSyncResult result;
  result.events = by_position.size();
  group_events = std::max<size_t>(group_events, 1);
  rocksdb::WriteOptions options;
  options.sync = true;
  rocksdb::WriteBatch batch;
  const std::string head(eventstore::kHeadEntryBytes, 'h');
  const Clock::time_point start = Clock::now();
  for (size_t first = 0; first < by_position.size(); first += group_events) {
    const Clock::time_point batch_start = Clock::now();
    batch.Clear();
    for (size_t p = first; p < first + group_events && p < by_position.size(); ++p) {
      for (const Entry& entry : by_position[p]) batch.Put(entry.family, entry.key, entry.value);
    }
    batch.Put(raw->meta(), eventstore::kMetaHeadKey, head);
    TRANCHE_CHECK(raw->db()->Write(options, &batch).ok());
    result.batch_latency_us.push_back(static_cast<uint32_t>(MicrosSince(batch_start)));
  }
  result.seconds = Seconds(Clock::now() - start);
  result.events_per_s = result.events / result.seconds;
  return result;
}

}  // namespace tranche::bench
