// Reads of the log and its indexes.
#include "eventstore/event_reader.h"

#include <algorithm>
#include <memory>

#include "core/check.h"
#include "eventstore/record_format.h"

namespace tranche::eventstore {
namespace {

Status BrokenLink(uint64_t position) {
  return Status::DataLoss("chain_broken", "record " + std::to_string(position) +
                                              " does not link to its predecessor's hash");
}

}  // namespace

Status EventReader::DecodeAt(std::string_view key, std::string_view value, RecordedEvent* out) {
  RecordView view;
  Status status = DecodeAt(key, value, &view);
  if (status.ok()) view.CopyTo(out);
  return status;
}

Status EventReader::DecodeAt(std::string_view key, std::string_view value, RecordView* out) {
  if (key.size() != kPositionKeyBytes) {
    return Status::DataLoss("event_key_malformed",
                            "event key of " + std::to_string(key.size()) + " bytes");
  }
  const uint64_t position = ReadBigEndian64(key.data());
  Status status = DecodeRecordView(value, out);
  if (!status.ok()) {
    return Status(status.code(), status.reason(),
                  "position " + std::to_string(position) + ": " + status.message());
  }
  if (out->position != position) {
    return Status::DataLoss("position_mismatch", "record under key " + std::to_string(position) +
                                                     " says position " +
                                                     std::to_string(out->position));
  }
  return Status::Ok();
}

Status EventReader::ScanAll(uint64_t from, uint64_t last_position,
                            const EventStore::RecordViewCallback& visit) const {
  rocksdb::ReadOptions options;
  // A full replay reads each block once: keep it out of the block cache so
  // that it does not evict the working set of the live server.
  options.fill_cache = false;
  // Eight 32 KiB blocks per read. Each table file gets a buffer of this
  // size, fresh memory the first read faults in: at 2 MiB, a start-up's
  // scan spent ~10% of its CPU on those faults (bench/README.md).
  options.readahead_size = 256 * 1024;
  std::unique_ptr<rocksdb::Iterator> it(database_->db()->NewIterator(options, database_->events()));
  RecordView event;  // Views into the iterator's current value.
  std::string previous_hash;
  for (it->Seek(PositionKey(std::max<uint64_t>(from, 1))); it->Valid(); it->Next()) {
    const rocksdb::Slice key = it->key();
    if (key.size() == kPositionKeyBytes && ReadBigEndian64(key.data()) > last_position) break;
    const rocksdb::Slice value = it->value();
    Status status = DecodeAt(std::string_view(key.data(), key.size()),
                             std::string_view(value.data(), value.size()), &event);
    if (!status.ok()) return status;
    if (!previous_hash.empty() && event.prev_hash != previous_hash) {
      return BrokenLink(event.position);
    }
    previous_hash.assign(event.hash);  // Outlives the view; reuses its capacity.
    if (!visit(event)) break;
  }
  return FromRocks(it->status(), "scan events");
}

Status EventReader::ReadAll(uint64_t from, uint64_t last_position, const ReadFilter& filter,
                            size_t limit, std::vector<RecordedEvent>* out,
                            uint64_t* scanned_to) const {
  TRANCHE_CHECK(out != nullptr);
  from = std::max<uint64_t>(from, 1);
  if (scanned_to) *scanned_to = from - 1;
  limit = std::min(limit, kReadEventsMax);
  if (limit == 0 || from > last_position) return Status::Ok();
  rocksdb::ReadOptions options;
  std::unique_ptr<rocksdb::Iterator> it(database_->db()->NewIterator(options, database_->events()));
  RecordedEvent event;
  std::string previous_hash;
  size_t added = 0;
  // Bound the work of one call by scanned records too, so that a filter that
  // matches nothing still returns in bounded time with `scanned_to` advanced.
  const size_t scan_max = std::max(limit, kReadEventsMax);
  size_t scanned = 0;
  for (it->Seek(PositionKey(from)); it->Valid() && added < limit && scanned < scan_max;
       it->Next(), ++scanned) {
    const rocksdb::Slice key = it->key();
    const rocksdb::Slice value = it->value();
    Status status = DecodeAt(std::string_view(key.data(), key.size()),
                             std::string_view(value.data(), value.size()), &event);
    if (!status.ok()) return status;
    if (event.position > last_position) break;
    if (!previous_hash.empty() && event.prev_hash != previous_hash) {
      return BrokenLink(event.position);
    }
    previous_hash = event.hash;
    if (scanned_to) *scanned_to = event.position;
    if (filter.Matches(event)) {
      out->push_back(event);
      ++added;
    }
  }
  return FromRocks(it->status(), "read events");
}

Status EventReader::ReadEvent(uint64_t position, RecordedEvent* out) const {
  std::string value;
  const std::string key = PositionKey(position);
  rocksdb::Status status =
      database_->db()->Get(rocksdb::ReadOptions(), database_->events(), key, &value);
  if (status.IsNotFound()) {
    return Status::NotFound("no_such_position", "no event at " + std::to_string(position));
  }
  if (!status.ok()) return FromRocks(status, "read event");
  return DecodeAt(key, value, out);
}

Status EventReader::ReadStream(const std::string& stream, uint64_t from_version, size_t limit,
                               bool forward, std::vector<RecordedEvent>* out) const {
  TRANCHE_CHECK(out != nullptr);
  limit = std::min(limit, kReadEventsMax);
  const std::string prefix = StreamKeyPrefix(stream);
  std::unique_ptr<rocksdb::Iterator> it(
      database_->db()->NewIterator(rocksdb::ReadOptions(), database_->streams()));
  if (forward) {
    it->Seek(StreamKey(stream, from_version));
  } else {
    it->SeekForPrev(StreamKey(stream, from_version));
  }
  for (size_t n = 0; it->Valid() && n < limit; ++n) {
    const std::string_view key(it->key().data(), it->key().size());
    if (!key.starts_with(prefix) || key.size() != prefix.size() + 8) break;
    uint64_t position = 0;
    Status status =
        DecodeStreamEntry(std::string_view(it->value().data(), it->value().size()), &position);
    if (!status.ok()) return status;
    RecordedEvent& event = out->emplace_back();
    status = ReadEvent(position, &event);
    if (status.code() == StatusCode::kNotFound) {
      return Status::DataLoss("dangling_stream_index",
                              stream + " points at missing position " + std::to_string(position));
    }
    if (!status.ok()) return status;
    const uint64_t version = ReadBigEndian64(key.data() + prefix.size());
    if (event.stream != stream || event.version != version) {
      return Status::DataLoss("stream_index_mismatch",
                              "index entry " + stream + "@" + std::to_string(version) +
                                  " points at position " + std::to_string(position));
    }
    if (forward) {
      it->Next();
    } else {
      it->Prev();
    }
  }
  return FromRocks(it->status(), "read stream");
}

Status EventReader::ReadStreamForward(const std::string& stream, uint64_t from_version,
                                      size_t limit, std::vector<RecordedEvent>* out) const {
  return ReadStream(stream, from_version, limit, /*forward=*/true, out);
}

Status EventReader::ReadStreamBackward(const std::string& stream, uint64_t from_version,
                                       size_t limit, std::vector<RecordedEvent>* out) const {
  return ReadStream(stream, from_version, limit, /*forward=*/false, out);
}

StatusOr<uint64_t> EventReader::StreamVersion(const std::string& stream) const {
  const std::string prefix = StreamKeyPrefix(stream);
  std::unique_ptr<rocksdb::Iterator> it(
      database_->db()->NewIterator(rocksdb::ReadOptions(), database_->streams()));
  it->SeekForPrev(StreamKey(stream, kNoVersion));
  if (it->Valid()) {
    const std::string_view key(it->key().data(), it->key().size());
    if (key.starts_with(prefix) && key.size() == prefix.size() + 8) {
      return ReadBigEndian64(key.data() + prefix.size());
    }
  }
  Status status = FromRocks(it->status(), "stream version");
  if (!status.ok()) return status;
  return kNoVersion;
}

StatusOr<AppendResult> EventReader::LookupCommand(const std::string& command_id) const {
  std::string value;
  rocksdb::Status rocks =
      database_->db()->Get(rocksdb::ReadOptions(), database_->commands(), command_id, &value);
  if (rocks.IsNotFound()) {
    // Nearly every new command lands here: one shared status, where a new
    // one costs three allocations (a Status is immutable and shared).
    static const Status kNotStored = Status::NotFound("command_not_found", "command id not stored");
    return kNotStored;
  }
  if (!rocks.ok()) return FromRocks(rocks, "lookup command");
  CommandEntry entry;
  Status status = DecodeCommandEntry(value, &entry);
  if (!status.ok()) return status;
  AppendResult result;
  result.first_position = entry.first_position;
  result.last_position = entry.first_position + entry.event_count - 1;
  result.content_digest = entry.digest;
  RecordedEvent event;
  for (uint64_t p = result.first_position; p <= result.last_position; ++p) {
    status = ReadEvent(p, &event);
    if (!status.ok()) return status;
    auto it = std::find_if(result.streams.begin(), result.streams.end(),
                           [&](const StreamResult& s) { return s.stream == event.stream; });
    if (it == result.streams.end()) {
      result.streams.push_back({event.stream, event.version, event.version});
    } else {
      it->last_version = event.version;
    }
  }
  return result;
}

StatusOr<Head> EventReader::ReadStoredHead() const {
  std::string value;
  rocksdb::Status rocks =
      database_->db()->Get(rocksdb::ReadOptions(), database_->meta(), kMetaHeadKey, &value);
  Head head;
  if (rocks.IsNotFound()) {
    head.hash.assign(kHashBytes, '\0');
    return head;
  }
  if (!rocks.ok()) return FromRocks(rocks, "read head");
  Status status = DecodeHead(value, &head);
  if (!status.ok()) return status;
  return head;
}

StatusOr<uint64_t> EventReader::LastStoredPosition() const {
  std::unique_ptr<rocksdb::Iterator> it(
      database_->db()->NewIterator(rocksdb::ReadOptions(), database_->events()));
  it->SeekToLast();
  if (it->Valid()) {
    if (it->key().size() != kPositionKeyBytes) {
      return Status::DataLoss("event_key_malformed", "last event key is malformed");
    }
    return ReadBigEndian64(it->key().data());
  }
  Status status = FromRocks(it->status(), "last position");
  if (!status.ok()) return status;
  return uint64_t{0};
}

}  // namespace tranche::eventstore
