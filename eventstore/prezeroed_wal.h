// PrezeroedWalFileSystem: new write-ahead logs are files already written
// with zeros, so that each commit's fdatasync overwrites blocks the file
// has instead of growing it.
//
// An fdatasync after appending to a file must also commit the file's new
// size and its newly allocated blocks (a journal write); one after
// overwriting blocks that were written and synced before need not
// (DECISIONS §24, §26). RocksDB's own answer, recycling old logs, is off in
// our recovery mode, because a recycled log still holds old records.
// This wrapper keeps one spare file of zeros beside the database, written
// and synced by a background thread. When RocksDB creates a new log, the
// spare becomes that log (FileSystem::ReuseWritableFile: renamed, opened
// for writing from offset 0 without truncation) and the thread writes the
// next spare. With no spare ready, the log is created as usual.
//
// A spare is made only while the disk keeps room for the log itself: with
// less than kSpareFreeSpaceFactor spares' worth of space free (checked
// before every MiB), the thread gives up until the next log, so a filling
// disk is never filled by zeros before the commits that need it.
//
// Recovery: a log that was a spare ends in zeros after its last record
// until it is closed (closing cuts it to what was written). RocksDB's log
// reader takes a zero header as padding (kZeroType, the same as a
// preallocated region) and reads on to the end, so a crash leaves nothing
// to misread: the records written are replayed, the zeros are not records.
// tests/eventstore/prezeroed_wal_test.cc recovers such a log.
//
// Threads: RocksDB calls it from its own threads; every method is safe from
// any thread. The destructor stops the background thread.
#pragma once

#include <rocksdb/file_system.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace tranche::eventstore {

inline constexpr uint64_t kSpareFreeSpaceFactor = 4;
// The spare's name in the database's directory; RocksDB ignores it.
inline constexpr const char* kWalSpareFileName = "wal-spare.zero";

// Waits until the store in `store_dir` has a whole spare of `bytes`; false
// after `timeout`. For tests and benchmarks that want a store as a server
// that has run before has it.
bool WaitForWalSpare(const std::string& store_dir, uint64_t bytes,
                     std::chrono::milliseconds timeout);

class PrezeroedWalFileSystem : public rocksdb::FileSystemWrapper {
 public:
  // Spares of `spare_bytes` live in `dir` (the database's directory).
  PrezeroedWalFileSystem(std::shared_ptr<rocksdb::FileSystem> target, std::string dir,
                         uint64_t spare_bytes);
  ~PrezeroedWalFileSystem() override;

  static const char* kClassName() { return "TranchePrezeroedWal"; }
  const char* Name() const override { return kClassName(); }

  // Starts the background thread (once the directory exists).
  void Start();

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* debug) override;

 private:
  void Run();
  // Writes and syncs a spare under a temporary name, then renames it.
  rocksdb::IOStatus MakeSpare();

  const std::string dir_;
  const std::string spare_path_;
  const uint64_t spare_bytes_;

  std::mutex mutex_;
  std::condition_variable changed_;
  bool spare_ready_ = false;  // Guarded by mutex_.
  bool stopping_ = false;     // Guarded by mutex_.
  uint64_t logs_created_ = 0;  // Guarded by mutex_.
  std::thread thread_;
};

}  // namespace tranche::eventstore
