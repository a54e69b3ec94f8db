// Encoding and decoding of the on-disk format. The layout is specified in
// eventstore/FORMAT.md; keep the two in step.
#include "eventstore/record_format.h"

#include <cstring>

#include "core/check.h"

namespace tranche::eventstore {
namespace {

void AppendLittleEndian16(std::string* out, uint16_t value) {
  char bytes[2] = {static_cast<char>(value & 0xff), static_cast<char>(value >> 8)};
  out->append(bytes, 2);
}

void AppendLittleEndian32(std::string* out, uint32_t value) {
  char bytes[4];
  for (int i = 0; i < 4; ++i) bytes[i] = static_cast<char>((value >> (8 * i)) & 0xff);
  out->append(bytes, 4);
}

uint16_t ReadLittleEndian16(const char* bytes) {
  const auto* b = reinterpret_cast<const uint8_t*>(bytes);
  return static_cast<uint16_t>(b[0] | (b[1] << 8));
}

void AppendString16(std::string* out, std::string_view s) {
  TRANCHE_CHECK(s.size() <= UINT16_MAX);  // Limits are checked before encoding.
  AppendLittleEndian16(out, static_cast<uint16_t>(s.size()));
  out->append(s);
}

void AppendString32(std::string* out, std::string_view s) {
  TRANCHE_CHECK(s.size() <= UINT32_MAX);
  AppendLittleEndian32(out, static_cast<uint32_t>(s.size()));
  out->append(s);
}

// A bounds-checked cursor over a record: every read either succeeds or marks
// the record truncated, so a damaged length never reads past the value.
class Cursor {
 public:
  explicit Cursor(std::string_view bytes) : bytes_(bytes) {}
  bool ok() const { return ok_; }
  size_t remaining() const { return bytes_.size() - offset_; }
  const char* Take(size_t n) {
    if (!ok_ || remaining() < n) {
      ok_ = false;
      return nullptr;
    }
    const char* p = bytes_.data() + offset_;
    offset_ += n;
    return p;
  }
  uint64_t U64() {
    const char* p = Take(8);
    return p ? ReadLittleEndian64(p) : 0;
  }
  uint32_t U32() {
    const char* p = Take(4);
    return p ? ReadLittleEndian32(p) : 0;
  }
  uint16_t U16() {
    const char* p = Take(2);
    return p ? ReadLittleEndian16(p) : 0;
  }
  std::string_view String16() { return View(U16()); }
  std::string_view String32() { return View(U32()); }

 private:
  std::string_view View(size_t n) {
    const char* p = Take(n);
    return p ? std::string_view(p, n) : std::string_view();
  }
  std::string_view bytes_;
  size_t offset_ = 0;
  bool ok_ = true;
};

}  // namespace

void AppendBigEndian64(std::string* out, uint64_t value) {
  char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((value >> (56 - 8 * i)) & 0xff);
  out->append(bytes, 8);
}

uint64_t ReadBigEndian64(const char* bytes) {
  const auto* b = reinterpret_cast<const uint8_t*>(bytes);
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | b[i];
  return value;
}

void AppendLittleEndian64(std::string* out, uint64_t value) {
  char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((value >> (8 * i)) & 0xff);
  out->append(bytes, 8);
}

uint64_t ReadLittleEndian64(const char* bytes) {
  const auto* b = reinterpret_cast<const uint8_t*>(bytes);
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | b[i];
  return value;
}

uint32_t ReadLittleEndian32(const char* bytes) {
  const auto* b = reinterpret_cast<const uint8_t*>(bytes);
  return static_cast<uint32_t>(b[0]) | (static_cast<uint32_t>(b[1]) << 8) |
         (static_cast<uint32_t>(b[2]) << 16) | (static_cast<uint32_t>(b[3]) << 24);
}

std::string PositionKey(uint64_t position) {
  std::string key;
  key.reserve(kPositionKeyBytes);
  AppendBigEndian64(&key, position);
  return key;
}

std::string StreamKeyPrefix(std::string_view stream) {
  std::string key;
  key.reserve(stream.size() + 1 + 8);
  key.append(stream);
  key.push_back('\0');
  return key;
}

std::string StreamKey(std::string_view stream, uint64_t version) {
  std::string key;
  StreamKeyInto(stream, version, &key);
  return key;
}

void StreamKeyInto(std::string_view stream, uint64_t version, std::string* out) {
  out->reserve(stream.size() + 1 + 8);
  out->assign(stream);
  out->push_back('\0');
  AppendBigEndian64(out, version);
}

bool ParseStreamKey(std::string_view key, std::string_view* stream, uint64_t* version) {
  if (key.size() < 1 + 8 + 1 || key[key.size() - 9] != '\0') return false;
  *stream = key.substr(0, key.size() - 9);
  if (stream->find('\0') != std::string_view::npos) return false;
  *version = ReadBigEndian64(key.data() + key.size() - 8);
  return true;
}

void EncodeRecord(const RecordFields& f, const uint8_t* prev_hash, Sha256* sha, std::string* out) {
  out->clear();
  out->reserve(kRecordFixedBytes + f.stream.size() + f.type.size() + f.event_id.size() +
               f.command_id.size() + f.actor.size() + f.reason.size() + f.data.size());
  out->append(reinterpret_cast<const char*>(prev_hash), kHashBytes);
  out->push_back(static_cast<char>(kRecordFormatVersion));
  AppendLittleEndian64(out, f.position);
  AppendLittleEndian64(out, f.version);
  AppendLittleEndian64(out, static_cast<uint64_t>(f.recorded_at_us));
  AppendLittleEndian32(out, f.schema);
  AppendString16(out, f.stream);
  AppendString16(out, f.type);
  AppendString16(out, f.event_id);
  AppendString16(out, f.command_id);
  AppendString16(out, f.actor);
  AppendString32(out, f.reason);
  AppendString32(out, f.data);
  // The hash covers every byte before it: prev_hash ‖ body.
  const size_t hashed_bytes = out->size();
  out->resize(hashed_bytes + kHashBytes);
  sha->DigestInto(std::string_view(out->data(), hashed_bytes),
                  reinterpret_cast<uint8_t*>(out->data() + hashed_bytes));
}

Status DecodeRecordView(std::string_view bytes, RecordView* out) {
  if (bytes.size() < kRecordFixedBytes) {
    return Status::DataLoss("record_truncated", "record is " + std::to_string(bytes.size()) +
                                                    " bytes, shorter than its fixed part");
  }
  Cursor in(bytes.substr(0, bytes.size() - kHashBytes));
  out->prev_hash = std::string_view(in.Take(kHashBytes), kHashBytes);
  const uint8_t format = static_cast<uint8_t>(*in.Take(1));
  if (format != kRecordFormatVersion) {
    return Status::DataLoss("record_format_unknown",
                            "record format version " + std::to_string(format));
  }
  out->position = in.U64();
  out->version = in.U64();
  out->recorded_at_us = static_cast<int64_t>(in.U64());
  out->schema = in.U32();
  out->stream = in.String16();
  out->type = in.String16();
  out->event_id = in.String16();
  out->command_id = in.String16();
  out->actor = in.String16();
  out->reason = in.String32();
  out->data = in.String32();
  if (!in.ok()) return Status::DataLoss("record_truncated", "a field runs past the record");
  if (in.remaining() != 0) {
    return Status::DataLoss("record_trailing_bytes",
                            std::to_string(in.remaining()) + " bytes after the payload");
  }
  out->hash = bytes.substr(bytes.size() - kHashBytes);
  return Status::Ok();
}

Status DecodeRecord(std::string_view bytes, RecordedEvent* out) {
  RecordView view;
  Status status = DecodeRecordView(bytes, &view);
  if (status.ok()) view.CopyTo(out);
  return status;
}

void RecordView::CopyTo(RecordedEvent* out) const {
  // assign() reuses capacity: no allocation when `out` is reused.
  out->position = position;
  out->stream.assign(stream);
  out->version = version;
  out->type.assign(type);
  out->event_id.assign(event_id);
  out->command_id.assign(command_id);
  out->actor.assign(actor);
  out->recorded_at_us = recorded_at_us;
  out->reason.assign(reason);
  out->schema = schema;
  out->prev_hash.assign(prev_hash);
  out->hash.assign(hash);
  out->data.assign(data);
}

std::string_view StoredHash(std::string_view record) {
  TRANCHE_CHECK(record.size() >= kRecordFixedBytes);
  return record.substr(record.size() - kHashBytes);
}

std::string_view StoredPrevHash(std::string_view record) {
  TRANCHE_CHECK(record.size() >= kRecordFixedBytes);
  return record.substr(0, kHashBytes);
}

bool RecordHashMatches(std::string_view record, Sha256* sha) {
  if (record.size() < kRecordFixedBytes) return false;
  uint8_t computed[kHashBytes];
  sha->DigestInto(record.substr(0, record.size() - kHashBytes), computed);
  return std::memcmp(computed, record.data() + record.size() - kHashBytes, kHashBytes) == 0;
}

std::string EncodeCommandEntry(const CommandEntry& entry) {
  std::string out;
  EncodeCommandEntryInto(entry, &out);
  return out;
}

void EncodeCommandEntryInto(const CommandEntry& entry, std::string* out) {
  TRANCHE_CHECK(entry.digest.size() == kHashBytes);
  out->clear();
  out->reserve(kCommandEntryBytes);
  out->push_back(static_cast<char>(kCommandEntryFormatVersion));
  AppendLittleEndian64(out, entry.first_position);
  AppendLittleEndian32(out, entry.event_count);
  out->append(entry.digest);
}

Status DecodeCommandEntry(std::string_view bytes, CommandEntry* out) {
  if (bytes.size() != kCommandEntryBytes) {
    return Status::DataLoss("command_entry_malformed",
                            "command entry is " + std::to_string(bytes.size()) + " bytes");
  }
  if (static_cast<uint8_t>(bytes[0]) != kCommandEntryFormatVersion) {
    return Status::DataLoss("command_entry_format_unknown", "unknown command entry format");
  }
  out->first_position = ReadLittleEndian64(bytes.data() + 1);
  out->event_count = ReadLittleEndian32(bytes.data() + 9);
  out->digest.assign(bytes.data() + 13, kHashBytes);
  return Status::Ok();
}

std::string EncodeHead(const Head& head) {
  TRANCHE_CHECK(head.hash.size() == kHashBytes);
  std::string out;
  out.reserve(kHeadEntryBytes);
  AppendLittleEndian64(&out, head.position);
  out.append(head.hash);
  return out;
}

Status DecodeHead(std::string_view bytes, Head* out) {
  if (bytes.size() != kHeadEntryBytes) {
    return Status::DataLoss("head_malformed",
                            "head entry is " + std::to_string(bytes.size()) + " bytes");
  }
  out->position = ReadLittleEndian64(bytes.data());
  out->hash.assign(bytes.data() + 8, kHashBytes);
  return Status::Ok();
}

std::string EncodeStreamEntry(uint64_t position) {
  std::string out;
  AppendLittleEndian64(&out, position);
  return out;
}

Status DecodeStreamEntry(std::string_view bytes, uint64_t* position) {
  if (bytes.size() != 8) {
    return Status::DataLoss("stream_entry_malformed",
                            "stream entry is " + std::to_string(bytes.size()) + " bytes");
  }
  *position = ReadLittleEndian64(bytes.data());
  return Status::Ok();
}

}  // namespace tranche::eventstore
