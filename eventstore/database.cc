// Opening RocksDB with the event store's column families.
#include "eventstore/database.h"

#include <rocksdb/convenience.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "core/check.h"
#include "eventstore/prezeroed_wal.h"
#include "eventstore/record_format.h"

namespace tranche::eventstore {
namespace {

// A read-only open that races a live writer's compaction or WAL recycling is
// retried this many times, this long apart. A store that is really damaged
// fails every attempt and is reported as before, a few tenths of a second later.
constexpr int kReadOnlyOpenAttempts = 8;
constexpr std::chrono::milliseconds kReadOnlyOpenRetryDelay{50};

// RocksDB 7.8 (Debian 12) starts a new write-ahead log on every open and
// deletes an old one only after a flush; a log that stayed empty therefore
// outlives every restart that writes nothing, one more file each time
// (fixed upstream in 8.3, facebook/rocksdb#11409). With no other process
// holding the database (its LOCK taken here) an empty log holds no record,
// and with WALs not tracked in the MANIFEST (MakeDbOptions) recovery does
// not miss it: delete those. Best effort: anything unexpected leaves the files.
void DeleteEmptyWriteAheadLogs(rocksdb::Env* env, const std::string& path) {
  rocksdb::FileLock* lock = nullptr;
  if (!env->LockFile(path + "/LOCK", &lock).ok()) return;  // In use, or no database yet.
  std::vector<std::string> names;
  if (env->GetChildren(path, &names).ok()) {
    for (const std::string& name : names) {
      if (name.size() <= 4 || name.compare(name.size() - 4, 4, ".log") != 0) continue;
      if (name.find_first_not_of("0123456789") != name.size() - 4) continue;
      uint64_t bytes = 0;
      const std::string file = path + "/" + name;
      if (env->GetFileSize(file, &bytes).ok() && bytes == 0) {
        env->DeleteFile(file).PermitUncheckedError();
      }
    }
  }
  env->UnlockFile(lock).PermitUncheckedError();
}

}  // namespace

Status FromRocks(const rocksdb::Status& status, const char* what) {
  if (status.ok()) return Status::Ok();
  std::string message = std::string(what) + ": " + status.ToString();
  if (status.IsCorruption()) return Status::DataLoss("rocksdb_corruption", std::move(message));
  return Status::IOError("rocksdb_error", std::move(message));
}

rocksdb::DBOptions Database::MakeDbOptions(bool create_if_missing) {
  rocksdb::DBOptions options;
  options.create_if_missing = create_if_missing;
  options.create_missing_column_families = create_if_missing;
  // Corruption must surface as an error, never be skipped over.
  options.paranoid_checks = true;
  options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  options.max_background_jobs = 2;
  // RocksDB's own info log rolls over at every open; keep the last few.
  options.keep_log_file_num = 10;
  // DeleteEmptyWriteAheadLogs relies on this: a WAL the MANIFEST tracked
  // would be missed at recovery once deleted.
  options.track_and_verify_wals_in_manifest = false;
  return options;
}

rocksdb::ColumnFamilyOptions Database::MakeColumnFamilyOptions(size_t block_bytes) {
  rocksdb::ColumnFamilyOptions options;
  rocksdb::BlockBasedTableOptions table;
  table.block_size = block_bytes;
  // The writer looks up command ids and stream heads that mostly do not exist
  // yet; bloom filters answer those without reading data blocks.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // LZ4 decompresses faster than RocksDB's default, Snappy, for about the
  // same size (docs/DECISIONS.md §10); each table file records its own
  // compression, so a database written with Snappy reads as before.
  static const bool lz4 = [] {
    const std::vector<rocksdb::CompressionType> supported = rocksdb::GetSupportedCompressions();
    return std::find(supported.begin(), supported.end(), rocksdb::kLZ4Compression) !=
           supported.end();
  }();
  if (lz4) options.compression = rocksdb::kLZ4Compression;
  return options;
}

namespace {

// Every new command's id is looked up before it is written, and almost all
// are absent; a bloom filter over the memtable's whole keys answers those
// without a skip-list search (the table files have their own filters).
rocksdb::ColumnFamilyOptions CommandsColumnFamilyOptions(rocksdb::ColumnFamilyOptions options) {
  options.memtable_prefix_bloom_size_ratio = 0.02;
  options.memtable_whole_key_filtering = true;
  return options;
}

// Keys whose last 8 bytes count up (a big-endian position or version) under
// a fixed head: the head is the "prefix" for RocksDB's memtable insert hints.
// New events and new stream versions are always the largest key under their
// head, so the skip list starts each insert where the last one under that
// head went instead of searching from the top (the writer's memtable inserts
// were its biggest CPU cost under load).
class HeadBeforeCounter final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "tranche.HeadBeforeCounter"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), key.size() - kCounterBytes);
  }
  bool InDomain(const rocksdb::Slice& key) const override { return key.size() >= kCounterBytes; }

 private:
  static constexpr size_t kCounterBytes = 8;
};

rocksdb::ColumnFamilyOptions AppendOrderedColumnFamilyOptions(
    rocksdb::ColumnFamilyOptions options) {
  options.memtable_insert_with_hint_prefix_extractor = std::make_shared<HeadBeforeCounter>();
  return options;
}

}  // namespace

StatusOr<std::unique_ptr<Database>> Database::Open(
    const std::string& path, bool create_if_missing, bool read_only,
    std::shared_ptr<rocksdb::FileSystem> file_system, uint64_t wal_spare_bytes) {
  const rocksdb::ColumnFamilyOptions cf_options = MakeColumnFamilyOptions(kIndexBlockBytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = {
      {rocksdb::kDefaultColumnFamilyName, cf_options},
      {kEventsColumnFamily,
       AppendOrderedColumnFamilyOptions(MakeColumnFamilyOptions(kEventsBlockBytes))},
      {kStreamsColumnFamily, AppendOrderedColumnFamilyOptions(cf_options)},
      {kCommandsColumnFamily, CommandsColumnFamilyOptions(cf_options)},
      {kMetaColumnFamily, cf_options},
  };
  rocksdb::DBOptions db_options = MakeDbOptions(create_if_missing && !read_only);
  std::shared_ptr<PrezeroedWalFileSystem> prezeroed;
  if (!read_only && wal_spare_bytes > 0) {
    prezeroed = std::make_shared<PrezeroedWalFileSystem>(
        file_system ? file_system : rocksdb::FileSystem::Default(), path, wal_spare_bytes);
    file_system = prezeroed;
  }
  std::unique_ptr<rocksdb::Env> env;
  if (file_system) {
    env = rocksdb::NewCompositeEnv(file_system);
    db_options.env = env.get();
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  rocksdb::Status status;
  if (read_only) {
    // Open every table file now and keep it open: a file that a live writer
    // compacts away later stays readable through its descriptor, so this
    // instance's view stays whole for as long as it lives.
    db_options.max_open_files = -1;
    for (int attempt = 1; attempt <= kReadOnlyOpenAttempts; ++attempt) {
      handles.clear();
      status = rocksdb::DB::OpenForReadOnly(db_options, path, descriptors, &handles, &db);
      if (status.ok() || status.IsPathNotFound() || status.IsInvalidArgument()) break;
      if (attempt < kReadOnlyOpenAttempts) std::this_thread::sleep_for(kReadOnlyOpenRetryDelay);
    }
  } else {
    DeleteEmptyWriteAheadLogs(db_options.env, path);
    status = rocksdb::DB::Open(db_options, path, descriptors, &handles, &db);
  }
  if (!status.ok()) {
    if (status.IsInvalidArgument() || status.IsPathNotFound()) {
      return Status::NotFound("store_missing", "cannot open " + path + ": " + status.ToString());
    }
    return FromRocks(status, ("open " + path).c_str());
  }
  TRANCHE_CHECK(handles.size() == descriptors.size());
  std::unique_ptr<Database> database(new Database());
  database->env_ = std::move(env);
  // The directory exists now. The Env keeps the file system alive, and
  // destroying it after the DB stops the thread.
  if (prezeroed) prezeroed->Start();
  database->db_ = db;
  database->default_ = handles[0];
  database->events_ = handles[1];
  database->streams_ = handles[2];
  database->commands_ = handles[3];
  database->meta_ = handles[4];
  database->read_only_ = read_only;
  return database;
}

Database::~Database() {
  for (rocksdb::ColumnFamilyHandle* handle : {default_, events_, streams_, commands_, meta_}) {
    if (handle) db_->DestroyColumnFamilyHandle(handle);
  }
  if (db_) {
    db_->Close().PermitUncheckedError();
    delete db_;
  }
}

}  // namespace tranche::eventstore
