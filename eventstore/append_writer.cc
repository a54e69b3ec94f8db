// Group commit: the writer thread and the write path.
#include "eventstore/append_writer.h"

#include <charconv>
#include <chrono>
#include <cstring>

#include "core/check.h"
#include "core/thread_name.h"
#include "eventstore/append_validator.h"
#include "eventstore/record_format.h"

namespace tranche::eventstore {
namespace {

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string VersionText(uint64_t version) {
  return version == kNoVersion ? std::string("none") : std::to_string(version);
}

}  // namespace

AppendWriter::AppendWriter(Database* database, const EventReader* reader, SubscriptionHub* hub,
                           Head head, std::function<void(const GroupWritten&)> on_group_written)
    : database_(database),
      reader_(reader),
      hub_(hub),
      on_group_written_(std::move(on_group_written)),
      head_(std::move(head)) {
  TRANCHE_CHECK(head_.hash.size() == kHashBytes);
  completer_ = std::thread([this] { RunCompletions(); });
  thread_ = std::thread([this] { Run(); });
  NameThread(completer_, "store-complete");
  NameThread(thread_, "store-writer");
}

AppendWriter::~AppendWriter() { Stop(); }

bool AppendWriter::Prepare(AppendRequest& request, EventStore::AppendCallback& done,
                           std::string* digest, size_t* bytes) {
  TRANCHE_CHECK(done != nullptr);
  AppendError error = AppendValidator::Validate(request, bytes);
  if (!error.status.ok()) {
    done(AppendOutcome(std::move(error)));
    return false;
  }
  // Digesting on the submitting thread keeps the work off the writer.
  thread_local Sha256 sha;
  *digest = AppendValidator::ContentDigest(request, &sha);
  return true;
}

Status AppendWriter::RefusalLocked(size_t bytes) const {
  if (stopping_) return Status::Unavailable("store_closed", "the event store is closed");
  if (!sticky_error_.ok()) return sticky_error_;
  if (queue_.size() >= kAppendQueueRequestsMax || queue_bytes_ + bytes > kAppendQueueBytesMax) {
    return Status::ResourceExhausted("append_queue_full", "too many appends waiting");
  }
  return Status::Ok();
}

void AppendWriter::Submit(AppendRequest request, EventStore::AppendCallback done) {
  Admit(std::move(request), std::move(done), /*may_write_here=*/false, [] {});
}

void AppendWriter::SubmitOrWrite(AppendRequest request, EventStore::AppendCallback done,
                                 const std::function<void()>& release) {
  Admit(std::move(request), std::move(done), /*may_write_here=*/true, release);
}

void AppendWriter::Admit(AppendRequest request, EventStore::AppendCallback done,
                         bool may_write_here, const std::function<void()>& release) {
  std::string digest;
  size_t bytes = 0;
  if (!Prepare(request, done, &digest, &bytes)) return release();
  AppendError error;
  bool write_here = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    error.status = RefusalLocked(bytes);
    if (error.status.ok() && may_write_here && !writing_ && queue_.empty()) {
      writing_ = true;  // Stop now waits for this thread too.
      write_here = true;
    } else if (error.status.ok()) {
      queue_bytes_ += bytes;
      queue_.push_back(Pending{std::move(request), std::move(done), std::move(digest), bytes});
      queued_.notify_one();
    }
  }
  release();
  if (!error.status.ok()) return done(AppendOutcome(std::move(error)));
  if (!write_here) return;
  std::vector<Pending> group;
  group.push_back(Pending{std::move(request), std::move(done), std::move(digest), bytes});
  WriteGroup(&group);  // Runs `done` here unless earlier callbacks are still pending.
  std::lock_guard<std::mutex> lock(mutex_);
  writing_ = false;
  // Whatever queued meanwhile, and a Stop that waits, are the writer thread's.
  if (stopping_ || !queue_.empty()) queued_.notify_one();
}

Head AppendWriter::head() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return head_;
}

Status AppendWriter::sticky_error() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return sticky_error_;
}

WriterStats AppendWriter::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void AppendWriter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    queued_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  if (completer_.joinable()) completer_.join();
}

void AppendWriter::Run() {
  std::vector<Pending> group;
  while (TakeGroup(&group)) {
    WriteGroup(&group);
    std::lock_guard<std::mutex> lock(mutex_);
    writing_ = false;
  }
  std::lock_guard<std::mutex> lock(completion_mutex_);
  writer_done_ = true;
  completion_changed_.notify_all();
}

// Hands a decided (and, when anything was staged, written) group to the
// completion thread, which tells its callers in group order. The writer goes
// straight on to the next group's fsync meanwhile. Waits while
// kCompletionGroupsMax groups are already waiting, so a slow callback slows
// the writer instead of growing memory.
//
// With nothing else queued there is nothing to overlap, and the hand-off
// would only add a thread wake-up to a lone caller's latency: the writer then
// runs the callbacks itself, which keeps position order because the
// completion thread is idle with nothing waiting.
void AppendWriter::Complete(std::vector<Pending>* group, std::vector<Decision>* decisions) {
  std::unique_lock<std::mutex> lock(completion_mutex_);
  if (completions_.empty() && !completer_busy_) {
    bool appends_waiting;
    {
      std::lock_guard<std::mutex> queue_lock(mutex_);
      appends_waiting = !queue_.empty();
    }
    if (!appends_waiting) {
      lock.unlock();
      Finish(group, decisions);
      return;
    }
  }
  completion_changed_.wait(lock, [this] { return completions_.size() < kCompletionGroupsMax; });
  completions_.push_back(Completion{std::move(*group), std::move(*decisions)});
  group->clear();
  completion_changed_.notify_all();
}

void AppendWriter::RunCompletions() {
  for (;;) {
    Completion completion;
    {
      std::unique_lock<std::mutex> lock(completion_mutex_);
      completion_changed_.wait(lock, [this] { return writer_done_ || !completions_.empty(); });
      if (completions_.empty()) return;  // The writer has stopped and all is told.
      completion = std::move(completions_.front());
      completions_.pop_front();
      completer_busy_ = true;
      completion_changed_.notify_all();
    }
    Finish(&completion.group, &completion.decisions);
    std::lock_guard<std::mutex> lock(completion_mutex_);
    completer_busy_ = false;
  }
}

bool AppendWriter::TakeGroup(std::vector<Pending>* group) {
  group->clear();
  std::unique_lock<std::mutex> lock(mutex_);
  auto ready = [this] { return !writing_ && (stopping_ || !queue_.empty()); };
  if (!ready()) {
    // Time with nothing to write: under load, how long the rest of the
    // pipeline takes to bring the next group (WriterStats).
    stats_.writer_waiting_since_us = SteadyNowMicros();
    queued_.wait(lock, ready);
    ++stats_.writer_waits;
    stats_.writer_wait_micros += SteadyNowMicros() - stats_.writer_waiting_since_us;
    stats_.writer_waiting_since_us = 0;
  }
  if (queue_.empty()) return false;  // Stopping, and everything queued is done.
  writing_ = true;
  size_t bytes = 0;
  while (!queue_.empty() && group->size() < kGroupAppendsMax &&
         (group->empty() || bytes + queue_.front().bytes <= kGroupBytesMax)) {
    bytes += queue_.front().bytes;
    queue_bytes_ -= queue_.front().bytes;
    group->push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return true;
}

// The write path: the one place where an append becomes durable.
//
// 1. After a failed write nothing more is accepted (sticky error): RocksDB
//    may or may not have the failed batch, so acknowledging anything later
//    could acknowledge events that follow a hole.
// 2. Each append is decided on its own against the log as it will be once
//    the earlier appends of this group are in: a duplicate command id is
//    answered from the commands index, a wrong expected version fails that
//    append alone. Decided appends get positions, hashes and index entries.
// 3. One WriteBatch carries the group's records, stream and command index
//    entries and the new head, written with sync = true. RocksDB applies a
//    batch atomically, so readers and a crash see all of it or none of it.
// 4. Only after that write returned ok do the head, the subscribers and the
//    callers learn of the new positions; the callers on the completion
//    thread, so their callbacks overlap the next group's fsync.
void AppendWriter::WriteGroup(std::vector<Pending>* group) {
  std::vector<Decision> decisions(group->size());
  const Status sticky = sticky_error();
  if (!sticky.ok()) {
    for (Decision& decision : decisions) decision.error.status = sticky;
    Complete(group, &decisions);
    return;
  }
  const Head head = this->head();
  Group staged;
  staged.next_position = head.position + 1;
  std::memcpy(staged.hash.data(), head.hash.data(), kHashBytes);
  staged.keep_records = hub_->HasSubscribers();
  batch_.Clear();
  for (size_t i = 0; i < group->size(); ++i) decisions[i] = Stage(*group, i, decisions, &staged);

  const uint64_t first = head.position + 1;
  const uint64_t last = staged.next_position - 1;
  if (last >= first) {
    const Head new_head{last,
                        std::string(reinterpret_cast<const char*>(staged.hash.data()), kHashBytes)};
    batch_.Put(database_->meta(), kMetaHeadKey, EncodeHead(new_head));
    const auto write_started = std::chrono::steady_clock::now();
    rocksdb::WriteOptions options;
    options.sync = true;
    const Status status = FromRocks(database_->db()->Write(options, &batch_), "sync write");
    const int64_t write_micros = std::chrono::duration_cast<std::chrono::microseconds>(
                                     std::chrono::steady_clock::now() - write_started)
                                     .count();
    if (!status.ok()) {
      const Status failed = Status::IOError(
          "writer_failed",
          "a durable write failed, the store takes no more appends: " + status.ToString());
      {
        std::lock_guard<std::mutex> lock(mutex_);
        sticky_error_ = failed;
      }
      for (Decision& decision : decisions) {
        if (decision.error.status.ok()) decision.error.status = failed;
      }
      Complete(group, &decisions);
      return;
    }
    for (const auto& [stream, version] : staged.versions) {
      if (version_cache_.size() >= kStreamVersionCacheEntriesMax) version_cache_.clear();
      version_cache_[stream] = version;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      head_ = new_head;
      ++stats_.groups_written;
      stats_.events_written += last - first + 1;
      for (const Decision& decision : decisions) stats_.appends_written += decision.staged;
    }
    if (on_group_written_) {
      GroupWritten written{0, static_cast<size_t>(last - first + 1), write_micros, last};
      for (const Decision& decision : decisions) written.appends += decision.staged ? 1 : 0;
      on_group_written_(written);
    }
    hub_->Publish(first, last,
                  staged.keep_records
                      ? std::make_shared<const std::vector<std::string>>(std::move(staged.records))
                      : nullptr);
  }
  Complete(group, &decisions);
}

AppendWriter::Decision AppendWriter::FindDuplicate(const std::vector<Pending>& pendings,
                                                   size_t index,
                                                   const std::vector<Decision>& decisions,
                                                   const Group& group, bool* found) {
  const Pending& pending = pendings[index];
  Decision decision;
  *found = true;
  auto reused = [&decision, &pending] {
    decision.error.status =
        Status::AlreadyExists("command_id_reused", "command id " + pending.request.command_id +
                                                       " was already used for different content");
  };
  auto earlier = group.command_index.find(pending.request.command_id);
  if (earlier != group.command_index.end()) {
    if (pendings[earlier->second].digest != pending.digest) {
      reused();
    } else {
      decision.result = decisions[earlier->second].result;
      decision.result.duplicate = true;
      decision.duplicate_of = earlier->second;
    }
    return decision;
  }
  std::string value;
  rocksdb::Status rocks = database_->db()->Get(rocksdb::ReadOptions(), database_->commands(),
                                               pending.request.command_id, &value);
  if (rocks.IsNotFound()) {
    *found = false;
    return decision;
  }
  CommandEntry entry;
  decision.error.status =
      rocks.ok() ? DecodeCommandEntry(value, &entry) : FromRocks(rocks, "command lookup");
  if (!decision.error.status.ok()) return decision;
  if (entry.digest != pending.digest) {
    reused();
    return decision;
  }
  StatusOr<AppendResult> original = reader_->LookupCommand(pending.request.command_id);
  if (!original.ok()) {
    decision.error.status = original.status();
    return decision;
  }
  decision.result = std::move(original).value();
  decision.result.duplicate = true;
  return decision;
}

StatusOr<uint64_t> AppendWriter::CurrentVersion(const std::string& stream, const Group& group) {
  if (auto it = group.versions.find(stream); it != group.versions.end()) return it->second;
  if (auto it = version_cache_.find(stream); it != version_cache_.end()) return it->second;
  StatusOr<uint64_t> stored = reader_->StreamVersion(stream);
  if (!stored.ok()) return stored;
  if (version_cache_.size() >= kStreamVersionCacheEntriesMax) version_cache_.clear();
  version_cache_[stream] = *stored;
  return stored;
}

AppendWriter::Decision AppendWriter::Stage(const std::vector<Pending>& pendings, size_t index,
                                           const std::vector<Decision>& decisions, Group* group) {
  const Pending& pending = pendings[index];
  bool duplicate = false;
  Decision decision = FindDuplicate(pendings, index, decisions, *group, &duplicate);
  if (duplicate) return decision;

  std::vector<uint64_t> current_versions;
  current_versions.reserve(pending.request.streams.size());
  for (const StreamAppend& stream : pending.request.streams) {
    StatusOr<uint64_t> current = CurrentVersion(stream.stream, *group);
    if (!current.ok()) {
      decision.error = AppendError{current.status(), stream.stream, kNoVersion};
      return decision;
    }
    const ExpectedVersion& expected = stream.expected;
    const bool matches =
        expected.kind == ExpectedVersion::Kind::kAny ||
        (expected.kind == ExpectedVersion::Kind::kNoStream && *current == kNoVersion) ||
        (expected.kind == ExpectedVersion::Kind::kExact && *current == expected.version);
    if (!matches) {
      const std::string wanted = expected.kind == ExpectedVersion::Kind::kNoStream
                                     ? std::string("no stream")
                                     : VersionText(expected.version);
      decision.error =
          AppendError{Status::Conflict("wrong_expected_version",
                                       "stream " + stream.stream + " is at version " +
                                           VersionText(*current) + ", expected " + wanted),
                      stream.stream, *current};
      return decision;
    }
    current_versions.push_back(*current);
  }
  StageRecords(pending, current_versions, group, &decision.result);
  group->command_index.emplace(pending.request.command_id, index);
  decision.staged = true;
  return decision;
}

void AppendWriter::StageRecords(const Pending& pending,
                                const std::vector<uint64_t>& current_versions, Group* group,
                                AppendResult* result) {
  const AppendRequest& request = pending.request;
  const int64_t recorded_at_us = request.recorded_at_us != 0 ? request.recorded_at_us : NowMicros();
  result->first_position = group->next_position;
  size_t event_index = 0;
  for (size_t s = 0; s < request.streams.size(); ++s) {
    const StreamAppend& stream = request.streams[s];
    uint64_t version = current_versions[s];
    StreamResult& stream_result = result->streams.emplace_back();
    stream_result.stream = stream.stream;
    stream_result.first_version = version + 1;  // kNoVersion + 1 wraps to 0 on purpose.
    for (const NewEvent& event : stream.events) {
      ++version;
      const uint64_t position = group->next_position++;
      const std::string* event_id = &event.event_id;
      if (event.event_id.empty()) {  // command_id#index, built in place.
        char index[24];
        const auto [index_end, ok] = std::to_chars(index, index + sizeof index, event_index);
        TRANCHE_CHECK(ok == std::errc());
        event_id_.assign(request.command_id).push_back('#');
        event_id_.append(index, index_end);
        event_id = &event_id_;
      }
      const RecordFields fields{position,      version,        recorded_at_us, event.schema,
                                stream.stream, event.type,     *event_id,      request.command_id,
                                request.actor, request.reason, event.data};
      EncodeRecord(fields, group->hash.data(), &sha_, &record_);
      std::memcpy(group->hash.data(), StoredHash(record_).data(), kHashBytes);
      batch_.Put(database_->events(), PositionKey(position), record_);
      StreamKeyInto(stream.stream, version, &key_);
      batch_.Put(database_->streams(), key_, EncodeStreamEntry(position));
      if (group->keep_records) group->records.push_back(record_);
      ++event_index;
    }
    stream_result.last_version = version;
    group->versions[stream.stream] = version;
  }
  result->last_position = group->next_position - 1;
  const CommandEntry entry{result->first_position, static_cast<uint32_t>(event_index),
                           pending.digest};
  EncodeCommandEntryInto(entry, &command_entry_);
  batch_.Put(database_->commands(), request.command_id, command_entry_);
}

void AppendWriter::Finish(std::vector<Pending>* group, std::vector<Decision>* decisions) {
  for (size_t i = 0; i < group->size(); ++i) {
    Decision& decision = (*decisions)[i];
    Pending& pending = (*group)[i];
    if (decision.error.status.ok()) {
      pending.done(AppendOutcome(std::move(decision.result)));
    } else {
      pending.done(AppendOutcome(std::move(decision.error)));
    }
  }
  group->clear();
}

}  // namespace tranche::eventstore
