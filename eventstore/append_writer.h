// AppendWriter: the queue of appends and the one thread that makes them
// durable (group commit).
//
// Submitters queue validated requests; the writer thread takes everything
// that queued while the previous fsync ran and commits it in one WriteBatch
// with sync = true (WriteGroup, the write path). Each append is checked on
// its own inside the group, so one conflicting append fails alone. Once a
// write fails, the error is sticky: every later append fails with it, because
// after a failed fsync we can no longer tell what is on disk.
//
// When more appends are waiting, the writer hands each written group to a
// completion thread, which runs the callbacks in group order (so in position
// order) while the writer already stages and syncs the next group: callbacks
// cost no time on the fsync path. With nothing waiting, the writer runs them
// itself, sparing a lone caller a thread hand-off.
//
// A caller that may block can go further (SubmitOrWrite): when the write
// path is idle it writes its own append as a group of one on its own thread
// and hears the result before returning, as LevelDB's leader writer does.
// The write path (the state marked below, the batch, the hub's publishing,
// the callbacks) belongs to whoever holds `writing_`: the writer thread or
// one such caller at a time.
//
// Threads: Submit, SubmitOrWrite, head and sticky_error from any thread;
// callbacks run one at a time, in position order, on the writer or the
// completion thread, or on the caller that wrote (a refusal before queueing
// runs on the submitting thread). The Database, EventReader and
// SubscriptionHub must outlive the writer; Stop before destroying them.
#pragma once

#include <rocksdb/write_batch.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "eventstore/database.h"
#include "eventstore/event_reader.h"
#include "eventstore/event_store.h"
#include "eventstore/sha256.h"
#include "eventstore/subscription_hub.h"

namespace tranche::eventstore {

// The writer caches stream heads it has seen; past this many it forgets them
// all (the streams column family is the truth; the cache only saves seeks).
inline constexpr size_t kStreamVersionCacheEntriesMax = 100000;
// Written groups waiting for their callbacks; beyond this the writer waits.
inline constexpr size_t kCompletionGroupsMax = 64;

class AppendWriter {
 public:
  AppendWriter(Database* database, const EventReader* reader, SubscriptionHub* hub, Head head,
               std::function<void(const GroupWritten&)> on_group_written = nullptr);
  ~AppendWriter();
  AppendWriter(const AppendWriter&) = delete;
  AppendWriter& operator=(const AppendWriter&) = delete;

  void Submit(AppendRequest request, EventStore::AppendCallback done);
  // As Submit, but when no group is being written, nothing is queued and no
  // callback is pending, the calling thread writes `request` itself (one
  // fsync) and runs `done` before returning. Otherwise it queues, exactly as
  // Submit. `release` runs once, before the write or the queueing, after
  // which the writer stays alive until this call returns (Stop waits for it).
  void SubmitOrWrite(AppendRequest request, EventStore::AppendCallback done,
                     const std::function<void()>& release);
  // The last durable position and hash.
  Head head() const;
  Status sticky_error() const;
  WriterStats stats() const;
  // Finishes every queued append, then stops the thread. Idempotent.
  void Stop();

 private:
  struct Pending {
    AppendRequest request;
    EventStore::AppendCallback done;
    std::string digest;
    size_t bytes = 0;
  };
  // What the write path decided for one append of the group.
  struct Decision {
    AppendError error;               // Non-ok: fails alone, nothing staged.
    AppendResult result;             // Valid when staged or duplicate.
    bool staged = false;             // Its records are in the batch.
    size_t duplicate_of = SIZE_MAX;  // Index of an earlier append in the group.
  };
  // Writer-thread state of the group being built.
  struct Group {
    uint64_t next_position = 0;
    HashBytes hash{};
    std::unordered_map<std::string, uint64_t> versions;          // Stream → staged version.
    std::unordered_map<std::string_view, size_t> command_index;  // Command id → append.
    std::vector<std::string> records;  // Kept only while someone subscribes.
    bool keep_records = false;
  };

  // Submit and SubmitOrWrite: queues, or (`may_write_here`, the write path
  // idle) writes on this thread; `release` runs before either.
  void Admit(AppendRequest request, EventStore::AppendCallback done, bool may_write_here,
             const std::function<void()>& release);
  // Validates and digests; false after `done` heard the refusal.
  bool Prepare(AppendRequest& request, EventStore::AppendCallback& done, std::string* digest,
               size_t* bytes);
  // A refusal for a new append, or ok. Under mutex_.
  Status RefusalLocked(size_t bytes) const;
  void Run();
  bool TakeGroup(std::vector<Pending>* group);
  void WriteGroup(std::vector<Pending>* group);
  Decision Stage(const std::vector<Pending>& pendings, size_t index,
                 const std::vector<Decision>& decisions, Group* group);
  Decision FindDuplicate(const std::vector<Pending>& pendings, size_t index,
                         const std::vector<Decision>& decisions, const Group& group, bool* found);
  StatusOr<uint64_t> CurrentVersion(const std::string& stream, const Group& group);
  void StageRecords(const Pending& pending, const std::vector<uint64_t>& current_versions,
                    Group* group, AppendResult* result);
  void Complete(std::vector<Pending>* group, std::vector<Decision>* decisions);
  void RunCompletions();
  void Finish(std::vector<Pending>* group, std::vector<Decision>* decisions);

  Database* const database_;
  const EventReader* const reader_;
  SubscriptionHub* const hub_;
  const std::function<void(const GroupWritten&)> on_group_written_;

  // Whoever holds writing_ only (the writer thread or a caller writing its
  // own append).
  Sha256 sha_;
  rocksdb::WriteBatch batch_;
  // Staging buffers, reused from one record to the next.
  std::string record_;
  std::string key_;
  std::string event_id_;
  std::string command_entry_;
  std::unordered_map<std::string, uint64_t> version_cache_;

  mutable std::mutex mutex_;
  std::condition_variable queued_;
  std::deque<Pending> queue_;
  size_t queue_bytes_ = 0;
  bool stopping_ = false;
  bool writing_ = false;  // Someone holds the write path.
  Status sticky_error_;
  Head head_;
  WriterStats stats_;
  std::thread thread_;

  // Written groups on their way to the completion thread.
  struct Completion {
    std::vector<Pending> group;
    std::vector<Decision> decisions;
  };
  std::mutex completion_mutex_;
  std::condition_variable completion_changed_;
  std::deque<Completion> completions_;  // Guarded by completion_mutex_.
  bool writer_done_ = false;            // Guarded by completion_mutex_.
  bool completer_busy_ = false;         // Guarded by completion_mutex_: running callbacks.
  std::thread completer_;
};

}  // namespace tranche::eventstore
