// Tampering with a closed store on purpose, through the RocksDB API, the way
// someone with write access to the data directory could: the tests then
// check that verify catches it and names it.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <memory>
#include <string>

#include "eventstore/database.h"
#include "eventstore/event_store.h"
#include "eventstore/record_format.h"
#include "eventstore/sha256.h"

namespace tranche::eventstore::testing {

// Opens the raw database of a closed store, writable.
inline std::unique_ptr<Database> OpenRaw(const std::string& path) {
  auto database = Database::Open(path, false, false);
  EXPECT_TRUE(database.ok()) << database.status().ToString();
  return database.ok() ? std::move(database).value() : nullptr;
}

inline std::string GetRecord(Database* db, uint64_t position) {
  std::string value;
  EXPECT_TRUE(db->db()->Get({}, db->events(), PositionKey(position), &value).ok()) << position;
  return value;
}

inline void PutRecord(Database* db, uint64_t position, const std::string& value) {
  ASSERT_TRUE(db->db()->Put({}, db->events(), PositionKey(position), value).ok());
}

// Rewrites every record from `from` to the end: `edit` may change any field
// but the position, then the record is re-encoded on top of the (already
// rewritten) record before it with freshly computed hashes, and the stored
// head is moved to the new last hash. The result is self-consistent: the
// chain, the indexes and the head all check out. Returns the new head.
inline Head RewriteTail(Database* db, uint64_t from,
                        const std::function<void(RecordedEvent*)>& edit) {
  Head stored_head;
  std::string head_value;
  EXPECT_TRUE(db->db()->Get({}, db->meta(), kMetaHeadKey, &head_value).ok());
  EXPECT_TRUE(DecodeHead(head_value, &stored_head).ok());
  std::string prev_hash(kHashBytes, '\0');
  if (from > 1) {
    RecordedEvent before;
    EXPECT_TRUE(DecodeRecord(GetRecord(db, from - 1), &before).ok());
    prev_hash = before.hash;
  }
  Sha256 sha;
  std::string record;
  for (uint64_t position = from; position <= stored_head.position; ++position) {
    RecordedEvent event;
    EXPECT_TRUE(DecodeRecord(GetRecord(db, position), &event).ok()) << position;
    edit(&event);
    const RecordFields fields{position,        event.version,    event.recorded_at_us,
                              event.schema,    event.stream,     event.type,
                              event.event_id,  event.command_id, event.actor,
                              event.reason,    event.data};
    EncodeRecord(fields, reinterpret_cast<const uint8_t*>(prev_hash.data()), &sha, &record);
    prev_hash.assign(StoredHash(record));
    EXPECT_TRUE(db->db()->Put({}, db->events(), PositionKey(position), record).ok());
  }
  const Head new_head{stored_head.position, prev_hash};
  EXPECT_TRUE(db->db()->Put({}, db->meta(), kMetaHeadKey, EncodeHead(new_head)).ok());
  return new_head;
}

// Removes the records after `keep` with their index entries, and moves the
// stored head back to `keep`: a log that looks as if it had never grown past
// it. Commands must not straddle `keep`.
inline void TruncateTail(Database* db, uint64_t keep) {
  Head stored_head;
  std::string head_value;
  EXPECT_TRUE(db->db()->Get({}, db->meta(), kMetaHeadKey, &head_value).ok());
  EXPECT_TRUE(DecodeHead(head_value, &stored_head).ok());
  RecordedEvent event;
  for (uint64_t position = keep + 1; position <= stored_head.position; ++position) {
    EXPECT_TRUE(DecodeRecord(GetRecord(db, position), &event).ok()) << position;
    EXPECT_TRUE(db->db()->Delete({}, db->streams(), StreamKey(event.stream, event.version)).ok());
    EXPECT_TRUE(db->db()->Delete({}, db->commands(), event.command_id).ok());
    EXPECT_TRUE(db->db()->Delete({}, db->events(), PositionKey(position)).ok());
  }
  EXPECT_TRUE(DecodeRecord(GetRecord(db, keep), &event).ok());
  EXPECT_TRUE(db->db()->Put({}, db->meta(), kMetaHeadKey, EncodeHead(Head{keep, event.hash})).ok());
}

}  // namespace tranche::eventstore::testing
