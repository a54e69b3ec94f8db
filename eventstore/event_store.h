// EventStore: Tranche's append-only, hash-chained event log on RocksDB.
//
// The store knows streams, versions, positions and opaque payloads; it knows
// nothing of funding. The on-disk format is eventstore/FORMAT.md.
//
// Threads: every public method may be called from any thread. Appends are
// made durable by one internal writer thread (group commit); AppendAsync's
// callback and Subscription callbacks run on store-owned threads and must not
// block for long or call Close(). The EventStore must outlive every
// Subscription it hands out.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace rocksdb {
class FileSystem;
}  // namespace rocksdb

namespace tranche::eventstore {

// Limits. Breaking one is a kInvalidArgument / kResourceExhausted Status that
// writes nothing.
inline constexpr size_t kStreamNameBytesMax = 200;
inline constexpr size_t kEventTypeBytesMax = 64;
inline constexpr size_t kCommandIdBytesMax = 128;
// A caller-chosen event id; derived ids ("<command_id>#<index>") are longer.
inline constexpr size_t kEventIdBytesMax = 160;
inline constexpr size_t kActorBytesMax = 128;
inline constexpr size_t kReasonBytesMax = 4096;
inline constexpr size_t kPayloadBytesMax = 64 * 1024;
inline constexpr size_t kEventsPerAppendMax = 1000;
inline constexpr size_t kAppendBytesMax = 4 * 1024 * 1024;
inline constexpr size_t kReadEventsMax = 10000;
// Queues: appends waiting for the writer, events waiting for a subscriber.
inline constexpr size_t kAppendQueueRequestsMax = 16384;
inline constexpr size_t kAppendQueueBytesMax = 256 * 1024 * 1024;
inline constexpr size_t kSubscriptionQueueEventsMax = 65536;
// One commit group (one WriteBatch, one fsync) holds at most this much.
inline constexpr size_t kGroupAppendsMax = 4096;
inline constexpr size_t kGroupBytesMax = 32 * 1024 * 1024;
// The spare write-ahead log of zeros a writable store keeps (Options). A
// log is switched when a memtable (64 MiB by default) is flushed.
inline constexpr uint64_t kWalSpareBytesDefault = 64ull << 20;

inline constexpr uint64_t kNoVersion = UINT64_MAX;  // "the stream has no events".

struct ExpectedVersion {
  enum class Kind : uint8_t { kAny, kNoStream, kExact };
  Kind kind = Kind::kAny;
  uint64_t version = 0;  // Meaningful for kExact only: the stream's last version.

  static ExpectedVersion Any() { return {Kind::kAny, 0}; }
  static ExpectedVersion NoStream() { return {Kind::kNoStream, 0}; }
  static ExpectedVersion Exact(uint64_t v) { return {Kind::kExact, v}; }
};

// One event to be written. The envelope's command id, actor, time and reason
// come from the AppendRequest that carries it.
struct NewEvent {
  std::string type;      // 1..kEventTypeBytesMax bytes, e.g. "TrancheRecorded".
  uint32_t schema = 1;   // Payload schema version.
  std::string event_id;  // Optional, ≤ kEventIdBytesMax; empty: "<command_id>#<index in request>".
  std::string data;      // Payload bytes, ≤ kPayloadBytesMax.
};

struct StreamAppend {
  std::string stream;  // 1..kStreamNameBytesMax bytes, no NUL.
  ExpectedVersion expected;
  std::vector<NewEvent> events;  // At least one.
};

// Everything one command writes: atomic across its streams.
struct AppendRequest {
  std::string command_id;  // 1..kCommandIdBytesMax bytes; the idempotency key.
  std::string actor;
  int64_t recorded_at_us = 0;  // UTC microseconds since the Unix epoch; 0 = now.
  std::string reason;
  // Optional 32-byte digest of the content the command id stands for. When
  // empty the store digests the streams, expectations, types, schemas, given
  // event ids and payloads (not the actor, time or reason).
  std::string content_digest;
  std::vector<StreamAppend> streams;
};

struct StreamResult {
  std::string stream;
  uint64_t first_version = 0;
  uint64_t last_version = 0;
};

struct AppendResult {
  uint64_t first_position = 0;
  uint64_t last_position = 0;
  std::vector<StreamResult> streams;
  bool duplicate = false;  // True when the command id was already stored.
  // The 32-byte content digest stored with the command id (LookupCommand only).
  std::string content_digest;
};

// Failure of an append. On a version conflict `actual_version` is the
// stream's actual last version (kNoVersion when it has none).
struct AppendError {
  Status status;
  std::string stream;
  uint64_t actual_version = kNoVersion;
};

class AppendOutcome {
 public:
  AppendOutcome(AppendResult result) : result_(std::move(result)) {}  // NOLINT
  AppendOutcome(AppendError error) : error_(std::move(error)) {}      // NOLINT
  bool ok() const { return error_.status.ok(); }
  const Status& status() const { return error_.status; }
  const AppendError& error() const { return error_; }
  const AppendResult& result() const { return result_; }

 private:
  AppendResult result_;
  AppendError error_;
};

// A stored event, as read back.
struct RecordedEvent {
  uint64_t position = 0;
  std::string stream;
  uint64_t version = 0;
  std::string type;
  std::string event_id;
  std::string command_id;
  std::string actor;
  int64_t recorded_at_us = 0;
  std::string reason;
  uint32_t schema = 1;
  std::string prev_hash;  // 32 bytes.
  std::string hash;       // 32 bytes.
  std::string data;
};

// A stored event as it lies in the store's buffer: valid only while the call
// that hands it over runs. A full replay decodes each record once from its
// view, without copying its fields first.
struct RecordView {
  uint64_t position = 0;
  std::string_view stream;
  uint64_t version = 0;
  std::string_view type;
  std::string_view event_id;
  std::string_view command_id;
  std::string_view actor;
  int64_t recorded_at_us = 0;
  std::string_view reason;
  uint32_t schema = 1;
  std::string_view prev_hash;  // 32 bytes.
  std::string_view hash;       // 32 bytes.
  std::string_view data;
  // Copies every field into `out`, reusing its strings' capacity.
  void CopyTo(RecordedEvent* out) const;
};

struct Head {
  uint64_t position = 0;  // 0 when the log is empty.
  std::string hash;       // 32 zero bytes when the log is empty.
};

struct ReadFilter {
  std::string stream_prefix;       // Empty: every stream.
  std::vector<std::string> types;  // Empty: every type.
  bool Matches(const RecordedEvent& e) const;
};

struct Options {
  bool create_if_missing = true;
  bool read_only = false;  // Opens RocksDB read-only: every write is refused.
  // The file system RocksDB reads and writes through; null means the
  // machine's own. Tests pass a wrapper that injects disk faults (a full
  // disk) underneath RocksDB. Kept alive by the store while it is open.
  std::shared_ptr<rocksdb::FileSystem> file_system;
  // Bytes of the spare write-ahead log of zeros kept beside a writable
  // store, so that commits overwrite blocks instead of growing a file
  // (eventstore/prezeroed_wal.h); 0 turns it off.
  uint64_t wal_spare_bytes = kWalSpareBytesDefault;
  // Called on the writer thread after each durable WriteBatch (for metrics);
  // must be quick and must not call back into the store.
  std::function<void(const struct GroupWritten&)> on_group_written;
};

// One commit group, as reported to Options::on_group_written.
struct GroupWritten {
  size_t appends = 0;            // Appends written (not duplicates, not failures).
  size_t events = 0;             // Events written.
  int64_t sync_write_micros = 0;  // The WriteBatch with sync = true, fsync included.
  uint64_t head_position = 0;    // The head after the group.
};

// std::chrono::steady_clock's now in microseconds since its epoch: the
// clock of WriterStats' wait times.
inline int64_t SteadyNowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Counters of the writer since Open, for metrics and the benchmark.
struct WriterStats {
  uint64_t groups_written = 0;   // WriteBatches written with sync = true (one fsync each).
  uint64_t appends_written = 0;  // Appends those batches carried (not duplicates, not failures).
  uint64_t events_written = 0;
  // Times the writer thread found nothing queued and waited, and for how
  // long in all (idle time, and under load the time the rest of the
  // pipeline took to bring the next group).
  uint64_t writer_waits = 0;
  int64_t writer_wait_micros = 0;
  // While it waits: when it began, in SteadyNowMicros (0 while writing),
  // so that a reader can count a wait still under way (WaitMicrosUntil).
  int64_t writer_waiting_since_us = 0;

  // The writer's total wait up to `steady_now_us` (SteadyNowMicros), the
  // current wait included.
  int64_t WaitMicrosUntil(int64_t steady_now_us) const {
    return writer_wait_micros +
           (writer_waiting_since_us != 0 ? steady_now_us - writer_waiting_since_us : 0);
  }
};

struct VerifyReport {
  bool ok = true;
  uint64_t events_checked = 0;
  // The last record that passed every check, and its chain hash (32 bytes;
  // zeros when none did). When ok, this is the head an auditor may keep.
  uint64_t head_position = 0;
  std::string head_hash;
  uint64_t first_bad_position = 0;  // 0 when ok.
  // What was found, named (FORMAT.md lists every name): "hash_mismatch",
  // "chain_broken", "missing_event", "position_mismatch", ... and, when
  // verifying against a kept head, "kept_head_mismatch" (the record at the
  // kept position has another hash: the log was rewritten up to there) or
  // "kept_head_missing" (the log ends before the kept position).
  std::string damage;
  std::string detail;  // Human text.
};

class Subscription {
 public:
  virtual ~Subscription() = default;
  // Stops delivery. Safe from any thread, including from inside the callback;
  // after it returns (unless called from the callback) no callback runs.
  virtual void Unsubscribe() = 0;
  // Ok while delivering or after a normal stop; the error (kDataLoss, kIOError)
  // when reading the store stopped the subscription.
  virtual Status status() const = 0;
};

class EventStore {
 public:
  using AppendCallback = std::function<void(AppendOutcome)>;
  // Called with each matching event in position order, exactly once. Return
  // false to stop.
  using EventCallback = std::function<bool(const RecordedEvent&)>;
  // As EventCallback, for ScanAll's views.
  using RecordViewCallback = std::function<bool(const RecordView&)>;

  virtual ~EventStore() = default;

  static StatusOr<std::unique_ptr<EventStore>> Open(const std::string& path,
                                                    const Options& options);

  // Queues an append; `done` runs on a store thread (one at a time, in
  // position order) once the WriteBatch holding it was written with
  // sync = true (or it failed). Never blocks on
  // I/O. Appends submitted by one thread are committed in submission order.
  // A request refused before it is queued (a broken limit, a full queue, a
  // closed or read-only store) runs `done` on the calling thread before
  // AppendAsync returns. Errors: kInvalidArgument / kResourceExhausted (a
  // limit; nothing written), kConflict "wrong_expected_version",
  // kAlreadyExists "command_id_reused", kIOError (the sticky writer error),
  // kUnavailable "store_closed", kFailedPrecondition "store_read_only".
  virtual void AppendAsync(AppendRequest request, AppendCallback done) = 0;
  // As AppendAsync, for a caller that may block on I/O: when the writer is
  // idle (no group being written, none queued), the calling thread writes
  // this append itself, one WriteBatch with sync = true, and `done` runs on
  // it before AppendWriteIfIdle returns (unless earlier groups' callbacks are
  // still running: then `done` follows them on the store's thread). A lone
  // caller so skips two thread hand-offs per fsync (LevelDB's leader writer).
  // When the writer is busy the append queues as with AppendAsync and joins
  // the next group. Never from a thread that must not wait for an fsync.
  virtual void AppendWriteIfIdle(AppendRequest request, AppendCallback done) = 0;
  // Blocking: AppendWriteIfIdle, then waits for the outcome.
  virtual AppendOutcome Append(AppendRequest request) = 0;

  virtual Head GetHead() const = 0;
  // Events with position ≥ from matching `filter`, at most `limit`
  // (≤ kReadEventsMax). `*scanned_to` (optional) is the last position looked
  // at, matching or not (from - 1 when none): the next page starts after it.
  // Records are checked structurally and against their predecessor's hash;
  // a bad one is kDataLoss.
  virtual Status ReadAll(uint64_t from, const ReadFilter& filter, size_t limit,
                         std::vector<RecordedEvent>* out, uint64_t* scanned_to = nullptr) const = 0;
  // Visits events from `from` on in order without materialising a vector,
  // each as a view into the store's buffer that lives only for the call:
  // copy what you keep (RecordView::CopyTo). Checked as ReadAll checks.
  virtual Status ScanAll(uint64_t from, const RecordViewCallback& visit) const = 0;
  virtual Status ReadStreamForward(const std::string& stream, uint64_t from_version, size_t limit,
                                   std::vector<RecordedEvent>* out) const = 0;
  virtual Status ReadStreamBackward(const std::string& stream, uint64_t from_version, size_t limit,
                                    std::vector<RecordedEvent>* out) const = 0;
  // The stream's last version, or kNoVersion.
  virtual StatusOr<uint64_t> StreamVersion(const std::string& stream) const = 0;
  // The stored result of a command id, if it was ever appended.
  virtual StatusOr<AppendResult> LookupCommand(const std::string& command_id) const = 0;

  // Catch-up from `from` (0 means 1), then live, with no gap and no
  // duplicate. Only events whose batch was durably written are delivered.
  // The callback runs on a thread owned by the subscription, one event at a
  // time. A subscriber that falls more than kSubscriptionQueueEventsMax events
  // behind the writer goes back to catch-up reads: it never slows the writer.
  virtual std::unique_ptr<Subscription> Subscribe(uint64_t from, ReadFilter filter,
                                                  EventCallback callback) = 0;

  // Walks the whole log; never writes.
  virtual VerifyReport Verify() const = 0;
  // Verify, and also proves that the log still extends `kept`, a head taken
  // earlier (GetHead, or a verified report's head): the record at
  // kept.position must exist and have chain hash kept.hash (32 bytes). A log
  // rewritten with freshly computed hashes passes Verify but not this.
  virtual VerifyReport VerifyAgainst(const Head& kept) const = 0;

  // Small keyed values in the meta column family (projection checkpoints,
  // snapshots). Keys starting with "store." are reserved for the store.
  virtual Status PutMeta(const std::string& key, const std::string& value) = 0;
  virtual StatusOr<std::string> GetMeta(const std::string& key) const = 0;
  // Lists meta keys with the given prefix in order.
  virtual Status ListMeta(const std::string& prefix, std::vector<std::string>* keys) const = 0;

  // A consistent RocksDB checkpoint of the store in `dir` (must not exist).
  virtual Status Checkpoint(const std::string& dir) = 0;

  // Waits for queued appends, stops the writer, closes the database. Appends
  // after Close fail with kUnavailable. Idempotent.
  virtual void Close() = 0;
  // The sticky error that stopped the writer, if any (ok otherwise).
  virtual Status WriterError() const = 0;
  // Zeros for a read-only store.
  virtual WriterStats GetWriterStats() const = 0;
};

}  // namespace tranche::eventstore
