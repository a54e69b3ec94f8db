// The static limits of an append.
#include "eventstore/append_validator.h"

#include <string_view>
#include <unordered_set>

#include "eventstore/record_format.h"

namespace tranche::eventstore {
namespace {

Status TooLong(const char* reason, const char* what, size_t bytes, size_t max) {
  return Status::InvalidArgument(reason, std::string(what) + " is " + std::to_string(bytes) +
                                             " bytes (max " + std::to_string(max) + ")");
}

}  // namespace

Status AppendValidator::ValidateStream(const StreamAppend& stream, size_t* bytes) {
  if (stream.stream.empty()) return Status::InvalidArgument("stream_name_empty", "empty stream");
  if (stream.stream.size() > kStreamNameBytesMax) {
    return TooLong("stream_name_too_long", "stream name", stream.stream.size(),
                   kStreamNameBytesMax);
  }
  // NUL separates the stream from the version in index keys (FORMAT.md).
  if (stream.stream.find('\0') != std::string::npos) {
    return Status::InvalidArgument("stream_name_has_nul", "stream name contains a NUL byte");
  }
  if (stream.expected.kind == ExpectedVersion::Kind::kExact &&
      stream.expected.version == kNoVersion) {
    return Status::InvalidArgument("expected_version_invalid",
                                   "Exact(kNoVersion) is not a version; use NoStream()");
  }
  if (stream.events.empty()) {
    return Status::InvalidArgument("no_events", "stream " + stream.stream + " has no events");
  }
  for (const NewEvent& event : stream.events) {
    if (event.type.empty()) return Status::InvalidArgument("event_type_empty", "empty event type");
    if (event.type.size() > kEventTypeBytesMax) {
      return TooLong("event_type_too_long", "event type", event.type.size(), kEventTypeBytesMax);
    }
    if (event.event_id.size() > kEventIdBytesMax) {
      return TooLong("event_id_too_long", "event id", event.event_id.size(), kEventIdBytesMax);
    }
    if (event.data.size() > kPayloadBytesMax) {
      return Status::ResourceExhausted(
          "payload_too_large", "payload is " + std::to_string(event.data.size()) + " bytes (max " +
                                   std::to_string(kPayloadBytesMax) + ")");
    }
    *bytes += kRecordFixedBytes + stream.stream.size() + event.type.size() + event.event_id.size() +
              event.data.size();
  }
  return Status::Ok();
}

AppendError AppendValidator::Validate(const AppendRequest& request, size_t* request_bytes) {
  AppendError error;
  size_t bytes = request.command_id.size() + request.actor.size() + request.reason.size();
  if (request.command_id.empty()) {
    error.status = Status::InvalidArgument("command_id_empty", "a command id is required");
  } else if (request.command_id.size() > kCommandIdBytesMax) {
    error.status =
        TooLong("command_id_too_long", "command id", request.command_id.size(), kCommandIdBytesMax);
  } else if (request.actor.size() > kActorBytesMax) {
    error.status = TooLong("actor_too_long", "actor", request.actor.size(), kActorBytesMax);
  } else if (request.reason.size() > kReasonBytesMax) {
    error.status = TooLong("reason_too_long", "reason", request.reason.size(), kReasonBytesMax);
  } else if (!request.content_digest.empty() && request.content_digest.size() != kHashBytes) {
    error.status =
        Status::InvalidArgument("content_digest_malformed", "content digest must be 32 bytes");
  } else if (request.streams.empty()) {
    error.status = Status::InvalidArgument("no_streams", "an append needs at least one stream");
  }
  if (!error.status.ok()) return error;

  size_t event_count = 0;
  // A command appends to one stream or two: those are compared in turn,
  // where a hash set cost two allocations per append.
  constexpr size_t kStreamsComparedMax = 16;
  std::unordered_set<std::string_view> seen;
  for (size_t s = 0; s < request.streams.size(); ++s) {
    const StreamAppend& stream = request.streams[s];
    error.stream = stream.stream;
    error.status = ValidateStream(stream, &bytes);
    if (!error.status.ok()) return error;
    bool repeated = false;
    if (request.streams.size() <= kStreamsComparedMax) {
      for (size_t earlier = 0; earlier < s && !repeated; ++earlier) {
        repeated = request.streams[earlier].stream == stream.stream;
      }
    } else {
      repeated = !seen.insert(stream.stream).second;
    }
    if (repeated) {
      error.status =
          Status::InvalidArgument("stream_repeated", "stream " + stream.stream + " appears twice");
      return error;
    }
    event_count += stream.events.size();
  }
  error.stream.clear();
  if (event_count > kEventsPerAppendMax) {
    error.status = Status::ResourceExhausted(
        "too_many_events", std::to_string(event_count) + " events in one append (max " +
                               std::to_string(kEventsPerAppendMax) + ")");
  } else if (bytes > kAppendBytesMax) {
    error.status = Status::ResourceExhausted("append_too_large",
                                             "append is " + std::to_string(bytes) + " bytes (max " +
                                                 std::to_string(kAppendBytesMax) + ")");
  }
  *request_bytes = bytes;
  return error;
}

std::string AppendValidator::ContentDigest(const AppendRequest& request, Sha256* sha) {
  if (!request.content_digest.empty()) return request.content_digest;
  // Length-prefixed fields, so that no two different requests share bytes.
  std::string canonical;
  auto field = [&canonical](std::string_view s) {
    AppendLittleEndian64(&canonical, s.size());
    canonical.append(s);
  };
  for (const StreamAppend& stream : request.streams) {
    field(stream.stream);
    canonical.push_back(static_cast<char>(stream.expected.kind));
    AppendLittleEndian64(&canonical, stream.expected.version);
    AppendLittleEndian64(&canonical, stream.events.size());
    for (const NewEvent& event : stream.events) {
      field(event.type);
      AppendLittleEndian64(&canonical, event.schema);
      field(event.event_id);
      field(event.data);
    }
  }
  const HashBytes digest = sha->Digest({canonical});
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

}  // namespace tranche::eventstore
