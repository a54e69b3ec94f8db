// Helpers shared by the benchmarks: the machine line, percentiles, target
// lines, and the raw RocksDB baseline that re-writes a store's own bytes.
//
// Every benchmark prints JSON lines; a "target" line carries the measured
// figure beside its limit from the same run.
#pragma once

#include <rocksdb/db.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "eventstore/database.h"

namespace tranche::bench {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d);
double MillisSince(Clock::time_point start);
int64_t MicrosSince(Clock::time_point start);

// {"kind":"machine",...}: CPU model, cores, kernel, data directory.
void PrintMachine(const std::string& dir);

// The p-th percentile (0..1) of `values` (reordered in place); 0 when empty.
uint64_t Percentile(std::vector<uint32_t>* values, double p);

// {"kind":"target","name":..,"value":..,"limit":..,"met":..}: `value` must be
// at least `limit` (higher_is_better) or at most it.
void PrintTarget(const std::string& name, double value, double limit, bool higher_is_better,
                 const std::string& unit);

// Resident set size of this process (VmRSS), in bytes.
uint64_t ResidentBytes();
// Total size of the regular files under `dir`, in bytes. With `spare_bytes`,
// the store's spare write-ahead log of zeros (eventstore/prezeroed_wal.h),
// which holds no data and does not grow with the log, is added there instead.
uint64_t DirectoryBytes(const std::string& dir, uint64_t* spare_bytes = nullptr);

// A private temporary directory (/tmp/tranche-<name>-XXXXXX).
std::string MakeTempDir(const std::string& name);

// A database with the store's column families and options, for raw RocksDB
// baselines: RocksDB as it comes, with no spare write-ahead log of zeros
// unless `wal_spare_bytes` asks for one (eventstore/prezeroed_wal.h).
std::unique_ptr<eventstore::Database> OpenRaw(const std::string& path, bool read_only,
                                              uint64_t wal_spare_bytes = 0);

// The raw baseline for durable appends: the keys and values a store wrote
// for positions [first_position, head] (records, stream index entries and
// command entries) re-written into a fresh database at `raw_path` by one
// thread, one WriteBatch with sync = true (plus a head entry) per
// `group_events` positions, as the store's writer groups them.
struct RawSyncResult {
  uint64_t events = 0;
  double seconds = 0;  // Writing only.
  double events_per_s = 0;
  std::vector<uint32_t> batch_latency_us;
};
RawSyncResult RawBatchedSync(const std::string& store_path, const std::string& raw_path,
                             uint64_t first_position, size_t group_events);
// The same for positions [first_position, last_position] only, into `raw`
// (which may already hold earlier ranges).
RawSyncResult RawBatchedSyncInto(const std::string& store_path, eventstore::Database* raw,
                                 uint64_t first_position, uint64_t last_position,
                                 size_t group_events);

}  // namespace tranche::bench
