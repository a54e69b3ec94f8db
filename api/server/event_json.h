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
std::string Base64(std::string_view bytes);
std::string Hex(std::string_view bytes);

// The full envelope for GET /v1/events: position, stream, version, type,
// event_id, command_id, actor, recorded_at, reason, schema, prev_hash, hash,
// data. A renderer that throws falls back to FallbackEventData().
nlohmann::json EventToJson(const eventstore::RecordedEvent& event, const EventRenderer& renderer);

// One /v1/stream message: {"kind":"event", position, stream, version, type,
// recorded_at, actor, data}.
std::string StreamEventMessage(const eventstore::RecordedEvent& event,
                               const EventRenderer& renderer);
// {"kind":"caught_up","position":P} and {"kind":"checkpoint","position":P}.
std::string StreamMarkerMessage(const char* kind, uint64_t position);

}  // namespace tranche::api
