// The on-disk format of the event store: column families, keys and values.
//
// This is the code for eventstore/FORMAT.md; read that document first and
// change both together. Keys are big-endian so that RocksDB's bytewise order is
// numeric order; integers inside values are little-endian.
//
// Threads: pure functions over bytes, safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "eventstore/event_store.h"
#include "eventstore/sha256.h"

namespace tranche::eventstore {

// Column family names (FORMAT.md, "Column families").
inline constexpr char kEventsColumnFamily[] = "events";
inline constexpr char kStreamsColumnFamily[] = "streams";
inline constexpr char kCommandsColumnFamily[] = "commands";
inline constexpr char kMetaColumnFamily[] = "meta";

// Versions of the formats; FORMAT.md, "Versioning".
inline constexpr uint8_t kRecordFormatVersion = 1;
inline constexpr uint8_t kCommandEntryFormatVersion = 1;
inline constexpr char kStoreFormatVersion[] = "1";

// Reserved meta keys.
inline constexpr char kMetaHeadKey[] = "store.head";
inline constexpr char kMetaFormatKey[] = "store.format";
inline constexpr char kMetaReservedPrefix[] = "store.";

inline constexpr size_t kPositionKeyBytes = 8;
// prev_hash + fixed fields + the seven length prefixes + hash.
inline constexpr size_t kRecordFixedBytes =
    kHashBytes + 1 + 8 + 8 + 8 + 4 + 5 * 2 + 2 * 4 + kHashBytes;
inline constexpr size_t kCommandEntryBytes = 1 + 8 + 4 + kHashBytes;
inline constexpr size_t kHeadEntryBytes = 8 + kHashBytes;

// The fields of a record that the writer supplies; hashes are computed.
struct RecordFields {
  uint64_t position = 0;
  uint64_t version = 0;
  int64_t recorded_at_us = 0;
  uint32_t schema = 0;
  std::string_view stream;
  std::string_view type;
  std::string_view event_id;
  std::string_view command_id;
  std::string_view actor;
  std::string_view reason;
  std::string_view data;
};

// Keys.
void AppendBigEndian64(std::string* out, uint64_t value);
uint64_t ReadBigEndian64(const char* bytes);
std::string PositionKey(uint64_t position);
// stream ‖ 0x00 ‖ version (big-endian). Stream names contain no NUL.
std::string StreamKey(std::string_view stream, uint64_t version);
// The same into `out`, replacing its content (the writer reuses one buffer).
void StreamKeyInto(std::string_view stream, uint64_t version, std::string* out);
// The prefix shared by all of a stream's index keys: stream ‖ 0x00.
std::string StreamKeyPrefix(std::string_view stream);
// Splits a streams-CF key; false when it is malformed.
bool ParseStreamKey(std::string_view key, std::string_view* stream, uint64_t* version);

// Little-endian fixed-width integers in values.
void AppendLittleEndian64(std::string* out, uint64_t value);
uint64_t ReadLittleEndian64(const char* bytes);
uint32_t ReadLittleEndian32(const char* bytes);

// Encodes a record into `out` (replacing its content): prev_hash, body, and
// hash = SHA-256(prev_hash ‖ body) computed with `sha`.
void EncodeRecord(const RecordFields& fields, const uint8_t* prev_hash, Sha256* sha,
                  std::string* out);
// Decodes a record into `out`, reusing its strings' storage. Checks structure
// only (lengths, format version); the hash is checked by RecordHashMatches.
// Errors are kDataLoss with reasons "record_truncated",
// "record_format_unknown" or "record_trailing_bytes".
Status DecodeRecord(std::string_view bytes, RecordedEvent* out);
// As DecodeRecord, with every field a view into `bytes`.
Status DecodeRecordView(std::string_view bytes, RecordView* out);
// The record's stored hash and prev_hash, without decoding the rest. The
// record must be at least kRecordFixedBytes long.
std::string_view StoredHash(std::string_view record);
std::string_view StoredPrevHash(std::string_view record);
// True when the stored hash equals SHA-256 of the bytes before it.
bool RecordHashMatches(std::string_view record, Sha256* sha);

// commands CF value: format, first position, event count, content digest.
struct CommandEntry {
  uint64_t first_position = 0;
  uint32_t event_count = 0;
  std::string digest;  // kHashBytes.
};
std::string EncodeCommandEntry(const CommandEntry& entry);
// The same into `out`, replacing its content.
void EncodeCommandEntryInto(const CommandEntry& entry, std::string* out);
Status DecodeCommandEntry(std::string_view bytes, CommandEntry* out);

// meta "store.head" value: position, hash.
std::string EncodeHead(const Head& head);
Status DecodeHead(std::string_view bytes, Head* out);

// streams CF value: the position, little-endian.
std::string EncodeStreamEntry(uint64_t position);
Status DecodeStreamEntry(std::string_view bytes, uint64_t* position);

}  // namespace tranche::eventstore
