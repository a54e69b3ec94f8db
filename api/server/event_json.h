// JSON renderings of stored events, shared by GET /v1/events and /v1/stream.
//
// An event's `data` needs the domain codec (core/json), so its rendering is
// injected as an EventRenderer; until one is installed FallbackEventData()
// renders the payload bytes as a base64 string.
//
// Threads: pure functions; a renderer must be callable from any thread.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "eventstore/event_store.h"

namespace tranche::api {

using EventRenderer = std::function<nlohmann::json(const eventstore::RecordedEvent&)>;

// The payload as a base64 string.
nlohmann::json FallbackEventData(const eventstore::RecordedEvent& event);
// "2009-04-01T09:30:00.000123Z".
std::string FormatTimestampUs(int64_t unix_us);
// The same, appended to `out`.
void AppendTimestampUs(int64_t unix_us, std::string* out);
std::string Base64(std::string_view bytes);
std::string Hex(std::string_view bytes);
// Appends `text` as a JSON string, byte for byte as nlohmann's dump writes it
// here (ensure_ascii off, invalid UTF-8 replaced): printable ASCII is written
// directly with only \" and \\ escaped; other text is left to nlohmann.
void AppendJsonString(std::string* out, std::string_view text);

// The full envelope for GET /v1/events: position, stream, version, type,
// event_id, command_id, actor, recorded_at, reason, schema, prev_hash, hash,
// data. A renderer that throws falls back to FallbackEventData().
nlohmann::json EventToJson(const eventstore::RecordedEvent& event, const EventRenderer& renderer);
// The "data" member of EventToJson alone.
nlohmann::json EventDataJson(const eventstore::RecordedEvent& event, const EventRenderer& renderer);

// One /v1/stream message: {"kind":"event", position, stream, version, type,
// recorded_at, actor, data}.
std::string StreamEventMessage(const eventstore::RecordedEvent& event,
                               const EventRenderer& renderer);
// {"kind":"caught_up","position":P} and {"kind":"checkpoint","position":P}.
std::string StreamMarkerMessage(const char* kind, uint64_t position);

}  // namespace tranche::api
