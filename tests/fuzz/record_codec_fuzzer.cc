// Fuzzes the binary decoders of what the event store reads back from disk:
// the record (eventstore/record_format.h, FORMAT.md), the commands, meta and
// streams column families' values and keys, and core's event payload codec
// (core::DecodeEvent), as the reader, the verifier and replay call them.
//
// Input: any bytes. Every decoder sees the whole input; DecodeEvent sees the
// input after its first byte, which picks one of the ten event types.
// Properties checked for every input:
//   - no decoder crashes, reads out of bounds or over-allocates;
//   - whatever decodes encodes back to the same bytes (a record: all but the
//     stored hash, and its hash matches exactly when the recomputed one does);
//   - an event payload that decodes survives EncodeEvent/DecodeEvent unchanged.
// Seeds (corpus/record_codec/): a hash-chained log of all ten event types as
// EncodeRecord wrote it (record-*), their payloads behind their type's index
// (payload-*), a command entry, a head, a stream key and entry, and a
// truncated, a trailing-byte, a wrong-format and a wrong-hash record.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/check.h"
#include "core/events.h"
#include "eventstore/record_format.h"
#include "eventstore/sha256.h"

namespace {
namespace core = tranche::core;
namespace es = tranche::eventstore;

void CheckRecord(std::string_view bytes, es::Sha256* sha) {
  es::RecordedEvent record;
  if (!es::DecodeRecord(bytes, &record).ok()) return;
  TRANCHE_CHECK(record.prev_hash.size() == es::kHashBytes);
  TRANCHE_CHECK(record.hash.size() == es::kHashBytes);
  TRANCHE_CHECK(es::StoredPrevHash(bytes) == record.prev_hash);
  TRANCHE_CHECK(es::StoredHash(bytes) == record.hash);
  es::RecordFields fields;
  fields.position = record.position;
  fields.version = record.version;
  fields.recorded_at_us = record.recorded_at_us;
  fields.schema = record.schema;
  fields.stream = record.stream;
  fields.type = record.type;
  fields.event_id = record.event_id;
  fields.command_id = record.command_id;
  fields.actor = record.actor;
  fields.reason = record.reason;
  fields.data = record.data;
  std::string encoded;
  es::EncodeRecord(fields, reinterpret_cast<const uint8_t*>(record.prev_hash.data()), sha,
                   &encoded);
  TRANCHE_CHECK_MSG(encoded.size() == bytes.size(), "a decoded record re-encodes to another size");
  const size_t body = bytes.size() - es::kHashBytes;
  TRANCHE_CHECK_MSG(std::memcmp(encoded.data(), bytes.data(), body) == 0,
                    "a decoded record re-encodes to other bytes");
  const bool hash_equal =
      std::memcmp(encoded.data() + body, bytes.data() + body, es::kHashBytes) == 0;
  TRANCHE_CHECK_MSG(es::RecordHashMatches(bytes, sha) == hash_equal,
                    "RecordHashMatches disagrees with the recomputed hash");

  // Replay decodes the payload of every record it reads.
  auto event = core::DecodeEvent(record.type, record.schema, record.data);
  if (event.ok()) TRANCHE_CHECK(core::EventTypeName(*event) == record.type);
}

void CheckValues(std::string_view bytes) {
  es::CommandEntry entry;
  if (es::DecodeCommandEntry(bytes, &entry).ok()) {
    TRANCHE_CHECK(es::EncodeCommandEntry(entry) == bytes);
  }
  es::Head head;
  if (es::DecodeHead(bytes, &head).ok()) TRANCHE_CHECK(es::EncodeHead(head) == bytes);
  uint64_t position = 0;
  if (es::DecodeStreamEntry(bytes, &position).ok()) {
    TRANCHE_CHECK(es::EncodeStreamEntry(position) == bytes);
  }
  std::string_view stream;
  uint64_t version = 0;
  if (es::ParseStreamKey(bytes, &stream, &version)) {
    TRANCHE_CHECK(es::StreamKey(stream, version) == bytes);
    TRANCHE_CHECK(es::StreamKeyPrefix(stream) == bytes.substr(0, stream.size() + 1));
  }
}

void CheckEventPayload(std::string_view bytes) {
  if (bytes.empty()) return;
  const auto& types = core::AllEventTypeNames();
  const std::string_view type = types[static_cast<uint8_t>(bytes[0]) % types.size()];
  auto event = core::DecodeEvent(type, 1, bytes.substr(1));
  if (!event.ok()) {
    TRANCHE_CHECK(event.status().code() == tranche::StatusCode::kDataLoss);
    return;
  }
  TRANCHE_CHECK(core::EventTypeName(*event) == type);
  auto again = core::DecodeEvent(type, 1, core::EncodeEvent(*event));
  TRANCHE_CHECK_MSG(again.ok() && *again == *event, "a decoded event does not round-trip");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static es::Sha256 sha;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  CheckRecord(bytes, &sha);
  CheckValues(bytes);
  CheckEventPayload(bytes);
  return 0;
}
