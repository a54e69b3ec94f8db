// The EventStore on RocksDB: opening, lifecycle, and delegation to the
// writer, reader, hub and verifier.
#include "eventstore/rocks_event_store.h"

#include <rocksdb/utilities/checkpoint.h>

#include <future>
#include <mutex>

#include "core/check.h"
#include "eventstore/record_format.h"
#include "eventstore/verifier.h"

namespace tranche::eventstore {

Status RocksEventStore::Closed() {
  return Status::Unavailable("store_closed", "the event store is closed");
}

StatusOr<std::unique_ptr<EventStore>> RocksEventStore::Open(const std::string& path,
                                                            const Options& options) {
  StatusOr<std::unique_ptr<Database>> database =
      Database::Open(path, options.create_if_missing, options.read_only, options.file_system,
                     options.wal_spare_bytes);
  if (!database.ok()) return database.status();
  Status status = CheckFormat(database->get());
  if (!status.ok()) return status;
  StatusOr<Head> head = CheckHead(database->get());
  if (!head.ok()) return head.status();
  return std::unique_ptr<EventStore>(
      new RocksEventStore(std::move(database).value(), std::move(head).value(), options));
}

Status RocksEventStore::CheckFormat(Database* database) {
  std::string format;
  rocksdb::Status rocks =
      database->db()->Get(rocksdb::ReadOptions(), database->meta(), kMetaFormatKey, &format);
  if (rocks.ok()) {
    if (format == kStoreFormatVersion) return Status::Ok();
    return Status::FailedPrecondition(
        "store_format_unsupported",
        "store format " + format + ", this build reads " + kStoreFormatVersion);
  }
  if (!rocks.IsNotFound()) return FromRocks(rocks, "read format");
  if (database->read_only()) return Status::Ok();  // An empty store; nothing to mark.
  rocksdb::WriteOptions write;
  write.sync = true;
  return FromRocks(
      database->db()->Put(write, database->meta(), kMetaFormatKey, kStoreFormatVersion),
      "write format");
}

StatusOr<Head> RocksEventStore::CheckHead(Database* database) {
  EventReader reader(database);
  StatusOr<Head> head = reader.ReadStoredHead();
  if (!head.ok() || database->read_only()) return head;  // Verify reports the rest.
  // A writable store appends after the head: it must be the log's last record.
  StatusOr<uint64_t> last = reader.LastStoredPosition();
  if (!last.ok()) return last.status();
  if (*last != head->position) {
    return Status::DataLoss("head_mismatch", "stored head " + std::to_string(head->position) +
                                                 ", last record " + std::to_string(*last));
  }
  if (*last == 0) return head;
  RecordedEvent event;
  Status status = reader.ReadEvent(*last, &event);
  if (!status.ok()) return status;
  if (event.hash != head->hash) {
    return Status::DataLoss("head_mismatch", "the stored head hash is not the last record's");
  }
  return head;
}

RocksEventStore::RocksEventStore(std::unique_ptr<Database> database, Head head,
                                 const Options& options)
    : database_(std::move(database)), reader_(database_.get()), opened_head_(std::move(head)) {
  hub_ = std::make_unique<SubscriptionHub>(&reader_, opened_head_.position);
  if (!database_->read_only()) {
    writer_ = std::make_unique<AppendWriter>(database_.get(), &reader_, hub_.get(), opened_head_,
                                             options.on_group_written);
  }
}

RocksEventStore::~RocksEventStore() { Close(); }

void RocksEventStore::Close() {
  std::unique_lock<std::shared_mutex> lock(lifecycle_mutex_);
  if (closed_) return;
  // Writer first: it finishes what is queued and publishes to the hub.
  if (writer_) writer_->Stop();
  hub_->StopAll();
  writer_.reset();
  database_.reset();
  closed_ = true;
}

bool RocksEventStore::RefusedAppend(const AppendCallback& done) const {
  TRANCHE_CHECK(done != nullptr);
  Status refusal;
  if (closed_) {
    refusal = Closed();
  } else if (!writer_) {
    refusal = Status::FailedPrecondition("store_read_only", "the store was opened read-only");
  } else {
    return false;
  }
  done(AppendOutcome(AppendError{std::move(refusal), "", kNoVersion}));
  return true;
}

void RocksEventStore::AppendAsync(AppendRequest request, AppendCallback done) {
  std::shared_lock<std::shared_mutex> lock(lifecycle_mutex_);
  if (RefusedAppend(done)) return;
  writer_->Submit(std::move(request), std::move(done));
}

void RocksEventStore::AppendWriteIfIdle(AppendRequest request, AppendCallback done) {
  std::shared_lock<std::shared_mutex> lock(lifecycle_mutex_);
  if (RefusedAppend(done)) return;
  // The lifecycle lock is let go before the write and its callbacks (which
  // may read the store): from there on Close waits in the writer's Stop.
  writer_->SubmitOrWrite(std::move(request), std::move(done), [&lock] { lock.unlock(); });
}

AppendOutcome RocksEventStore::Append(AppendRequest request) {
  std::promise<AppendOutcome> promise;
  std::future<AppendOutcome> future = promise.get_future();
  AppendWriteIfIdle(std::move(request),
              [&promise](AppendOutcome outcome) { promise.set_value(std::move(outcome)); });
  return future.get();
}

Head RocksEventStore::GetHead() const {
  std::shared_lock<std::shared_mutex> lock(lifecycle_mutex_);
  if (writer_) return writer_->head();
  return opened_head_;
}

uint64_t RocksEventStore::VisibleHead() const {
  // Read-only stores show everything stored, even past a damaged head.
  return writer_ ? writer_->head().position : UINT64_MAX;
}

Status RocksEventStore::ReadAll(uint64_t from, const ReadFilter& filter, size_t limit,
                                std::vector<RecordedEvent>* out, uint64_t* scanned_to) const {
  std::shared_lock<std::shared_mutex> lock(lifecycle_mutex_);
  if (closed_) return Closed();
  return reader_.ReadAll(from, VisibleHead(), filter, limit, out, scanned_to);
}

Status RocksEventStore::ScanAll(uint64_t from, const RecordViewCallback& visit) const {
  std::shared_lock<std::shared_mutex> lock(lifecycle_mutex_);
  if (closed_) return Closed();
  return reader_.ScanAll(from, VisibleHead(), visit);
}

Status RocksEventStore::ReadStreamForward(const std::string& stream, uint64_t from_version,
                                          size_t limit, std::vector<RecordedEvent>* out) const {
  std::shared_lock<std::shared_mutex> lock(lifecycle_mutex_);
  if (closed_) return Closed();
  return reader_.ReadStreamForward(stream, from_version, limit, out);
}

Status RocksEventStore::ReadStreamBackward(const std::string& stream, uint64_t from_version,
                                           size_t limit, std::vector<RecordedEvent>* out) const {
  std::shared_lock<std::shared_mutex> lock(lifecycle_mutex_);
  if (closed_) return Closed();
  return reader_.ReadStreamBackward(stream, from_version, limit, out);
}

StatusOr<uint64_t> RocksEventStore::StreamVersion(const std::string& stream) const {
  std::shared_lock<std::shared_mutex> lock(lifecycle_mutex_);
  if (closed_) return Closed();
  return reader_.StreamVersion(stream);
}

StatusOr<AppendResult> RocksEventStore::LookupCommand(const std::string& command_id) const {
  std::shared_lock<std::shared_mutex> lock(lifecycle_mutex_);
  if (closed_) return Closed();
  return reader_.LookupCommand(command_id);
}

std::unique_ptr<Subscription> RocksEventStore::Subscribe(uint64_t from, ReadFilter filter,
                                                         EventCallback callback) {
  std::shared_lock<std::shared_mutex> lock(lifecycle_mutex_);
  // After Close the hub is stopped and hands out a stopped subscription.
  return hub_->Subscribe(from, std::move(filter), std::move(callback));
}

VerifyReport RocksEventStore::Verify() const { return RunVerifier(std::nullopt); }

VerifyReport RocksEventStore::VerifyAgainst(const Head& kept) const {
  TRANCHE_CHECK(kept.hash.size() == kHashBytes);
  return RunVerifier(kept);
}

VerifyReport RocksEventStore::RunVerifier(std::optional<Head> kept) const {
  std::shared_lock<std::shared_mutex> lock(lifecycle_mutex_);
  if (closed_) {
    VerifyReport report;
    report.ok = false;
    report.damage = "store_closed";
    report.detail = "the event store is closed";
    return report;
  }
  return Verifier(database_.get(), std::move(kept)).Run();
}

Status RocksEventStore::PutMeta(const std::string& key, const std::string& value) {
  std::shared_lock<std::shared_mutex> lock(lifecycle_mutex_);
  if (closed_) return Closed();
  if (database_->read_only()) {
    return Status::FailedPrecondition("store_read_only", "the store was opened read-only");
  }
  if (key.empty() || key.size() > kMetaKeyBytesMax) {
    return Status::InvalidArgument(
        "meta_key_invalid", "meta keys are 1.." + std::to_string(kMetaKeyBytesMax) + " bytes");
  }
  if (key.starts_with(kMetaReservedPrefix)) {
    return Status::InvalidArgument("meta_key_reserved", "keys starting with store. are reserved");
  }
  if (value.size() > kMetaValueBytesMax) {
    return Status::ResourceExhausted("meta_value_too_large",
                                     "meta value of " + std::to_string(value.size()) + " bytes");
  }
  rocksdb::WriteOptions write;
  write.sync = true;
  return FromRocks(database_->db()->Put(write, database_->meta(), key, value), "put meta");
}

StatusOr<std::string> RocksEventStore::GetMeta(const std::string& key) const {
  std::shared_lock<std::shared_mutex> lock(lifecycle_mutex_);
  if (closed_) return Closed();
  std::string value;
  rocksdb::Status rocks =
      database_->db()->Get(rocksdb::ReadOptions(), database_->meta(), key, &value);
  if (rocks.IsNotFound()) return Status::NotFound("meta_key_not_found", "no meta key " + key);
  if (!rocks.ok()) return FromRocks(rocks, "get meta");
  return value;
}

Status RocksEventStore::ListMeta(const std::string& prefix, std::vector<std::string>* keys) const {
  TRANCHE_CHECK(keys != nullptr);
  std::shared_lock<std::shared_mutex> lock(lifecycle_mutex_);
  if (closed_) return Closed();
  std::unique_ptr<rocksdb::Iterator> it(
      database_->db()->NewIterator(rocksdb::ReadOptions(), database_->meta()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (keys->size() >= kListMetaKeysMax) {
      return Status::ResourceExhausted("too_many_meta_keys",
                                       "more than " + std::to_string(kListMetaKeysMax) + " keys");
    }
    keys->push_back(it->key().ToString());
  }
  return FromRocks(it->status(), "list meta");
}

Status RocksEventStore::Checkpoint(const std::string& dir) {
  std::shared_lock<std::shared_mutex> lock(lifecycle_mutex_);
  if (closed_) return Closed();
  rocksdb::Checkpoint* raw = nullptr;
  Status status = FromRocks(rocksdb::Checkpoint::Create(database_->db(), &raw), "checkpoint");
  if (!status.ok()) return status;
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  return FromRocks(checkpoint->CreateCheckpoint(dir), "create checkpoint");
}

Status RocksEventStore::WriterError() const {
  std::shared_lock<std::shared_mutex> lock(lifecycle_mutex_);
  return writer_ ? writer_->sticky_error() : Status::Ok();
}

WriterStats RocksEventStore::GetWriterStats() const {
  std::shared_lock<std::shared_mutex> lock(lifecycle_mutex_);
  return writer_ ? writer_->stats() : WriterStats{};
}

}  // namespace tranche::eventstore
