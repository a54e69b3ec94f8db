// FaultFileSystem: a RocksDB FileSystem that behaves like the machine's own
// until told that the disk is full, and then fails writes the way a full
// disk does.
//
// Tests hand it to the event store through eventstore::Options::file_system,
// so the fault happens underneath RocksDB, in the same calls a real ENOSPC
// would fail: RocksDB sees an IOError with the NoSpace subcode on Append (and
// on Sync), and everything above it (the store's writer, the pipeline, the
// HTTP layer) reacts as it would on a real machine. Creating, reading,
// renaming and deleting files keep working, as they mostly do on a full disk.
//
// Two ways to fill the disk: SetDiskFull(true) at once, or SetWriteBudget(N)
// to let N more bytes be written first; the append that crosses the budget
// writes what fits and then fails, leaving a torn write behind exactly as a
// real full disk would. SetDiskFull(false) is "space returned". Free space
// (GetFreeSpace) says the same: none when full, at most the budget.
//
// Threads: every method may be called from any thread (RocksDB calls the
// file methods from its own threads). Files opened through it hold a
// shared_ptr to its state, so they may outlive the file system object.
#pragma once

#include <rocksdb/file_system.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace tranche::eventstore::testing {

class FaultFileSystem : public rocksdb::FileSystemWrapper {
 public:
  // The switch and the byte budget, shared with the files it opened.
  struct State {
    std::mutex mutex;
    bool full = false;                     // Guarded by mutex.
    uint64_t budget_bytes = UINT64_MAX;    // Guarded by mutex; UINT64_MAX: no budget.
    std::atomic<uint64_t> bytes_written{0};
    std::atomic<uint64_t> faults_injected{0};
  };

  // Wraps the machine's file system (rocksdb::FileSystem::Default()).
  FaultFileSystem();

  static const char* kClassName() { return "TrancheFaultFileSystem"; }
  const char* Name() const override { return kClassName(); }

  // Full: every Append, PositionedAppend, Sync, Fsync and RangeSync fails
  // with IOStatus::NoSpace and writes nothing. Not full: everything passes
  // through, and any budget is lifted.
  void SetDiskFull(bool full);
  // Lets `bytes` more bytes be appended (across all files), then the disk
  // is full.
  void SetWriteBudget(uint64_t bytes);
  bool disk_full() const;
  // Calls failed so far: proof that a test's fault really happened.
  uint64_t faults_injected() const { return state_->faults_injected.load(); }
  uint64_t bytes_written() const { return state_->bytes_written.load(); }

  rocksdb::IOStatus GetFreeSpace(const std::string& path, const rocksdb::IOOptions& options,
                                 uint64_t* free_bytes, rocksdb::IODebugContext* debug) override;
  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* debug) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& name,
                                       const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* debug) override;
  rocksdb::IOStatus ReuseWritableFile(const std::string& name, const std::string& old_name,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* debug) override;

 private:
  rocksdb::IOStatus Wrap(rocksdb::IOStatus opened, std::unique_ptr<rocksdb::FSWritableFile>* file);

  std::shared_ptr<State> state_;
};

}  // namespace tranche::eventstore::testing
