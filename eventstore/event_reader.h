// EventReader: every read of the log, its indexes and the command table.
//
// Reads see only whole WriteBatches (RocksDB applies a batch atomically).
// Each record read is decoded, checked against its key, and, in sequential
// scans, checked to link to its predecessor's hash; RocksDB verifies its block
// checksums on every read. Recomputing every SHA-256 is Verify's job: doing it
// on every replay would halve replay speed for no extra protection against
// the failures that block checksums already catch.
//
// Threads: const and safe from any thread. The Database must outlive it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "eventstore/database.h"
#include "eventstore/event_store.h"

namespace tranche::eventstore {

class EventReader {
 public:
  explicit EventReader(const Database* database) : database_(database) {}

  // As EventStore::ReadAll, reading no further than `last_position`.
  Status ReadAll(uint64_t from, uint64_t last_position, const ReadFilter& filter, size_t limit,
                 std::vector<RecordedEvent>* out, uint64_t* scanned_to) const;
  Status ScanAll(uint64_t from, uint64_t last_position,
                 const EventStore::RecordViewCallback& visit) const;
  Status ReadStreamForward(const std::string& stream, uint64_t from_version, size_t limit,
                           std::vector<RecordedEvent>* out) const;
  Status ReadStreamBackward(const std::string& stream, uint64_t from_version, size_t limit,
                            std::vector<RecordedEvent>* out) const;
  StatusOr<uint64_t> StreamVersion(const std::string& stream) const;
  // NotFound "command_not_found" when the command id was never stored.
  StatusOr<AppendResult> LookupCommand(const std::string& command_id) const;
  // The record at `position`: NotFound "no_such_position" or kDataLoss.
  Status ReadEvent(uint64_t position, RecordedEvent* out) const;
  // The head stored in meta; position 0 and zero hash when the log is empty.
  StatusOr<Head> ReadStoredHead() const;
  // The highest position in the events column family, 0 when empty.
  StatusOr<uint64_t> LastStoredPosition() const;

 private:
  // Decodes `value` stored under `key` into `out` and checks that the
  // record's position is the key's.
  static Status DecodeAt(std::string_view key, std::string_view value, RecordedEvent* out);
  static Status DecodeAt(std::string_view key, std::string_view value, RecordView* out);
  Status ReadStream(const std::string& stream, uint64_t from_version, size_t limit, bool forward,
                    std::vector<RecordedEvent>* out) const;

  const Database* database_;
};

}  // namespace tranche::eventstore
