// Database: the RocksDB instance and its four column families (FORMAT.md).
//
// Owns the rocksdb::DB and its column family handles. Shared, read-only after
// Open, by the writer, the readers and Verify; RocksDB itself is thread-safe.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <memory>
#include <string>

#include "core/status.h"
#include "eventstore/event_store.h"

namespace tranche::eventstore {

class Database {
 public:
  // Opens (or creates, when `create_if_missing`) the database at `path`. With
  // `read_only` RocksDB is opened read-only: every write fails there too. A
  // read-only open may run while a server writes the same directory (the
  // CLI's verify, replay and backup): it sees the log as of its open, keeps
  // every table file open so that the writer's compactions cannot pull a file
  // from under it, and retries an open that lost that race (a file named by
  // the manifest it read was deleted before it could open it).
  // `file_system`, when not null, is what RocksDB does its I/O through (a
  // fault-injecting wrapper in tests); the Database keeps it alive. A
  // writable database keeps a spare write-ahead log of `wal_spare_bytes`
  // zeros ready (PrezeroedWalFileSystem; 0: none).
  static StatusOr<std::unique_ptr<Database>> Open(
      const std::string& path, bool create_if_missing, bool read_only,
      std::shared_ptr<rocksdb::FileSystem> file_system = nullptr,
      uint64_t wal_spare_bytes = kWalSpareBytesDefault);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  rocksdb::DB* db() const { return db_; }
  rocksdb::ColumnFamilyHandle* events() const { return events_; }
  rocksdb::ColumnFamilyHandle* streams() const { return streams_; }
  rocksdb::ColumnFamilyHandle* commands() const { return commands_; }
  rocksdb::ColumnFamilyHandle* meta() const { return meta_; }
  bool read_only() const { return read_only_; }

  // The column family options the store uses; exposed so that the benchmark's
  // raw-RocksDB baseline runs on exactly the same settings.
  static rocksdb::DBOptions MakeDbOptions(bool create_if_missing);
  // Table blocks of the events column family: a replay reads it end to end,
  // and every block costs a read, a checksum, a decompression and an
  // allocation, so its blocks are larger than the 4 KiB the index families
  // keep for point lookups (bench/README.md measures the difference).
  static constexpr size_t kEventsBlockBytes = 32 * 1024;
  static constexpr size_t kIndexBlockBytes = 4 * 1024;
  static rocksdb::ColumnFamilyOptions MakeColumnFamilyOptions(size_t block_bytes);

 private:
  Database() = default;
  // The Env over a custom file system; declared first so that it is
  // destroyed after the DB that uses it.
  std::unique_ptr<rocksdb::Env> env_;
  rocksdb::DB* db_ = nullptr;
  rocksdb::ColumnFamilyHandle* default_ = nullptr;
  rocksdb::ColumnFamilyHandle* events_ = nullptr;
  rocksdb::ColumnFamilyHandle* streams_ = nullptr;
  rocksdb::ColumnFamilyHandle* commands_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  bool read_only_ = false;
};

// Maps a RocksDB status onto ours: corruption is kDataLoss, the rest kIOError.
Status FromRocks(const rocksdb::Status& status, const char* what);

}  // namespace tranche::eventstore
