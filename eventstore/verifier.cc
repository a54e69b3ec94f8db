// Verify: recompute the chain, cross-check the indexes, never write.
#include "eventstore/verifier.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <unordered_map>

#include "eventstore/event_reader.h"
#include "eventstore/kept_head.h"
#include "eventstore/record_format.h"

namespace tranche::eventstore {
namespace {

bool Fail(VerifyReport* report, uint64_t position, std::string damage, std::string detail) {
  report->ok = false;
  report->first_bad_position = position;
  report->damage = std::move(damage);
  report->detail = std::move(detail);
  return false;
}

}  // namespace

struct Verifier::Walk {
  rocksdb::ReadOptions read_options;
  Sha256 sha;
  uint64_t expected_position = 1;
  std::string previous_hash = std::string(kHashBytes, '\0');
  std::unordered_map<std::string, uint64_t> stream_versions;  // Last version seen per stream.
  RecordedEvent event;
  // The run of consecutive records written under one command id.
  std::string run_command_id;
  uint64_t run_first_position = 0;
  uint32_t run_count = 0;
  uint64_t command_runs = 0;
};

VerifyReport Verifier::Run() const {
  VerifyReport report;
  rocksdb::DB* db = database_->db();
  const rocksdb::Snapshot* snapshot = db->GetSnapshot();
  Walk walk;
  walk.read_options.snapshot = snapshot;
  walk.read_options.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(walk.read_options, database_->events()));
  bool ok = true;
  for (it->SeekToFirst(); ok && it->Valid(); it->Next()) {
    ok = CheckRecord(std::string_view(it->key().data(), it->key().size()),
                     std::string_view(it->value().data(), it->value().size()), &walk, &report);
  }
  if (ok && !it->status().ok()) {
    ok = Fail(&report, walk.expected_position, "rocksdb_error", it->status().ToString());
  }
  it.reset();
  ok = ok && CheckCommandRun(&walk, &report) && CheckHead(walk, &report) &&
       CheckStreamIndexCount(walk, &report) && CheckCommandIndexCount(walk, &report) &&
       CheckKeptHeadReached(walk, &report);
  report.head_position = walk.expected_position - 1;
  report.head_hash = walk.previous_hash;
  db->ReleaseSnapshot(snapshot);
  return report;
}

bool Verifier::CheckRecord(std::string_view key, std::string_view value, Walk* walk,
                           VerifyReport* report) const {
  const uint64_t expected = walk->expected_position;
  if (key.size() != kPositionKeyBytes) {
    return Fail(report, expected, "event_key_malformed", "event key is not 8 bytes");
  }
  const uint64_t position = ReadBigEndian64(key.data());
  if (position != expected) {
    return Fail(
        report, expected, "missing_event",
        "expected position " + std::to_string(expected) + ", found " + std::to_string(position));
  }
  RecordedEvent& event = walk->event;
  Status status = DecodeRecord(value, &event);
  if (!status.ok()) return Fail(report, position, status.reason(), status.message());
  if (event.position != position) {
    return Fail(report, position, "position_mismatch",
                "record says position " + std::to_string(event.position));
  }
  if (event.prev_hash != walk->previous_hash) {
    return Fail(report, position, "chain_broken", "prev_hash is not the previous record's hash");
  }
  if (!RecordHashMatches(value, &walk->sha)) {
    return Fail(report, position, "hash_mismatch", "stored hash differs from the recomputed one");
  }
  // The chain up to here is intact, so a different hash at the kept position
  // means positions 1..kept were rewritten and re-hashed since it was kept.
  if (kept_ && kept_->position == position && event.hash != kept_->hash) {
    return Fail(report, position, "kept_head_mismatch",
                "the record at " + std::to_string(position) + " has chain hash " +
                    HexOf(event.hash) + ", the kept head says " + HexOf(kept_->hash) +
                    ": the log was rewritten up to here (or the kept head is not from this log)");
  }
  // Stream versions are gap-free from 0, and the index points back here.
  auto [version_it, first_in_stream] = walk->stream_versions.try_emplace(event.stream, kNoVersion);
  (void)first_in_stream;
  if (event.version != version_it->second + 1) {
    return Fail(report, position, "stream_version_gap",
                event.stream + " jumps to version " + std::to_string(event.version));
  }
  version_it->second = event.version;
  std::string index_value;
  rocksdb::Status rocks =
      database_->db()->Get(walk->read_options, database_->streams(),
                           StreamKey(event.stream, event.version), &index_value);
  if (rocks.IsNotFound()) {
    return Fail(report, position, "missing_stream_index",
                "no index entry for " + event.stream + "@" + std::to_string(event.version));
  }
  if (!rocks.ok()) return Fail(report, position, "rocksdb_error", rocks.ToString());
  uint64_t indexed = 0;
  if (!DecodeStreamEntry(index_value, &indexed).ok() || indexed != position) {
    return Fail(report, position, "stream_index_mismatch",
                "index entry for " + event.stream + "@" + std::to_string(event.version) +
                    " does not point here");
  }
  if (event.command_id != walk->run_command_id || walk->run_count == 0) {
    if (walk->run_count > 0 && !CheckCommandRun(walk, report)) return false;
    walk->run_command_id = event.command_id;
    walk->run_first_position = position;
    walk->run_count = 0;
  }
  ++walk->run_count;
  walk->previous_hash.assign(event.hash);
  walk->expected_position = position + 1;
  ++report->events_checked;
  return true;
}

// The command entry of the run that just ended must name exactly that run.
bool Verifier::CheckCommandRun(Walk* walk, VerifyReport* report) const {
  if (walk->run_count == 0) return true;
  const uint64_t first = walk->run_first_position;
  std::string value;
  rocksdb::Status rocks =
      database_->db()->Get(walk->read_options, database_->commands(), walk->run_command_id, &value);
  if (rocks.IsNotFound()) {
    return Fail(report, first, "missing_command_index",
                "no command entry for " + walk->run_command_id);
  }
  if (!rocks.ok()) return Fail(report, first, "rocksdb_error", rocks.ToString());
  CommandEntry entry;
  if (!DecodeCommandEntry(value, &entry).ok() || entry.first_position != first ||
      entry.event_count != walk->run_count) {
    return Fail(report, first, "command_index_mismatch",
                "command entry for " + walk->run_command_id + " does not match its records");
  }
  ++walk->command_runs;
  walk->run_count = 0;
  return true;
}

bool Verifier::CheckHead(const Walk& walk, VerifyReport* report) const {
  const uint64_t last = walk.expected_position - 1;
  std::string value;
  rocksdb::Status rocks =
      database_->db()->Get(walk.read_options, database_->meta(), kMetaHeadKey, &value);
  Head head;
  if (rocks.IsNotFound()) {
    head.hash.assign(kHashBytes, '\0');
  } else if (!rocks.ok() || !DecodeHead(value, &head).ok()) {
    return Fail(report, last + 1, "head_mismatch", "the stored head is unreadable");
  }
  if (head.position != last || head.hash != walk.previous_hash) {
    return Fail(report, std::min(head.position, last) + 1, "head_mismatch",
                "stored head is " + std::to_string(head.position) + ", the log ends at " +
                    std::to_string(last));
  }
  return true;
}

// A log with no damage of its own may still be shorter than the kept head:
// records were removed from its end and the stored head moved back.
bool Verifier::CheckKeptHeadReached(const Walk& walk, VerifyReport* report) const {
  if (!kept_) return true;
  const uint64_t last = walk.expected_position - 1;
  if (kept_->position == 0 && kept_->hash != std::string(kHashBytes, '\0')) {
    return Fail(report, 1, "kept_head_mismatch", "a kept head at position 0 must hash to zeros");
  }
  if (kept_->position > last) {
    return Fail(report, last + 1, "kept_head_missing",
                "the log ends at " + std::to_string(last) + ", before the kept head at " +
                    std::to_string(kept_->position) + ": records were removed from its end");
  }
  return true;
}

// Every record has its own index entry (checked above) and stream versions
// run 0..last without gaps, so an entry is accounted for exactly when its
// version is at most its stream's last version. Any other entry dangles.
bool Verifier::CheckStreamIndexCount(const Walk& walk, VerifyReport* report) const {
  std::unique_ptr<rocksdb::Iterator> it(
      database_->db()->NewIterator(walk.read_options, database_->streams()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view stream;
    uint64_t version = 0;
    uint64_t position = 0;
    const bool parsed =
        ParseStreamKey(std::string_view(it->key().data(), it->key().size()), &stream, &version) &&
        DecodeStreamEntry(std::string_view(it->value().data(), it->value().size()), &position).ok();
    auto last =
        parsed ? walk.stream_versions.find(std::string(stream)) : walk.stream_versions.end();
    if (last == walk.stream_versions.end() || version > last->second) {
      return Fail(report, std::max<uint64_t>(position, 1), "dangling_stream_index",
                  "stream index entry " + std::string(stream) + "@" + std::to_string(version) +
                      " matches no record");
    }
  }
  if (!it->status().ok()) return Fail(report, 1, "rocksdb_error", it->status().ToString());
  return true;
}

// Each run of records was matched to its command entry above; more entries
// than runs means some entry names no run. The slow pass finds it.
bool Verifier::CheckCommandIndexCount(const Walk& walk, VerifyReport* report) const {
  std::unique_ptr<rocksdb::Iterator> it(
      database_->db()->NewIterator(walk.read_options, database_->commands()));
  uint64_t entries = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++entries;
  if (!it->status().ok()) return Fail(report, 1, "rocksdb_error", it->status().ToString());
  if (entries == walk.command_runs) return true;
  EventReader reader(database_);
  RecordedEvent event;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    CommandEntry entry;
    const std::string_view command_id(it->key().data(), it->key().size());
    const bool decoded =
        DecodeCommandEntry(std::string_view(it->value().data(), it->value().size()), &entry).ok();
    if (!decoded || !reader.ReadEvent(entry.first_position, &event).ok() ||
        event.command_id != command_id) {
      return Fail(report, std::max<uint64_t>(entry.first_position, 1), "dangling_command_index",
                  "command entry " + std::string(command_id) + " matches no record");
    }
  }
  return Fail(report, 1, "dangling_command_index",
              std::to_string(entries) + " command entries for " +
                  std::to_string(walk.command_runs) + " commands");
}

}  // namespace tranche::eventstore
