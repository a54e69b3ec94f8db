// Event → JSON.
#include "api/server/event_json.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace tranche::api {
namespace {

nlohmann::json RenderData(const eventstore::RecordedEvent& event, const EventRenderer& renderer) {
  if (renderer) {
    try {
      return renderer(event);
    } catch (const std::exception&) {
      // A payload the codec cannot read is still shown, as bytes.
    }
  }
  return FallbackEventData(event);
}

std::string Dump(const nlohmann::json& json) {
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string Base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    out += {kAlphabet[n >> 18], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63],
            kAlphabet[n & 63]};
  }
  if (i + 1 == bytes.size()) {
    uint32_t n = uint8_t(bytes[i]) << 16;
    out += {kAlphabet[n >> 18], kAlphabet[(n >> 12) & 63], '=', '='};
  } else if (i + 2 == bytes.size()) {
    uint32_t n = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8);
    out += {kAlphabet[n >> 18], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63], '='};
  }
  return out;
}

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

void AppendJsonString(std::string* out, std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) {
      *out += Dump(nlohmann::json(text));
      return;
    }
  }
  *out += '"';
  for (char c : text) {
    if (c == '"' || c == '\\') *out += '\\';
    *out += c;
  }
  *out += '"';
}

nlohmann::json FallbackEventData(const eventstore::RecordedEvent& event) {
  return Base64(event.data);
}

std::string FormatTimestampUs(int64_t unix_us) {
  std::string text;
  AppendTimestampUs(unix_us, &text);
  return text;
}

void AppendTimestampUs(int64_t unix_us, std::string* out) {
  int64_t seconds = unix_us / 1'000'000;
  int64_t micros = unix_us % 1'000'000;
  if (micros < 0) {
    micros += 1'000'000;
    seconds -= 1;
  }
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[64];
  const int length = std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
                                   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                                   tm.tm_min, tm.tm_sec, static_cast<int>(micros));
  out->append(text, static_cast<size_t>(std::clamp(length, 0, static_cast<int>(sizeof text) - 1)));
}

nlohmann::json EventToJson(const eventstore::RecordedEvent& event, const EventRenderer& renderer) {
  nlohmann::json json = {{"position", event.position},
                         {"stream", event.stream},
                         {"version", event.version},
                         {"type", event.type},
                         {"event_id", event.event_id},
                         {"command_id", event.command_id},
                         {"actor", event.actor},
                         {"recorded_at", FormatTimestampUs(event.recorded_at_us)},
                         {"schema", event.schema},
                         {"prev_hash", Hex(event.prev_hash)},
                         {"hash", Hex(event.hash)},
                         {"data", RenderData(event, renderer)}};
  if (!event.reason.empty()) json["reason"] = event.reason;
  return json;
}

nlohmann::json EventDataJson(const eventstore::RecordedEvent& event,
                             const EventRenderer& renderer) {
  return RenderData(event, renderer);
}

std::string StreamEventMessage(const eventstore::RecordedEvent& event,
                               const EventRenderer& renderer) {
  nlohmann::json json = {{"kind", "event"},
                         {"position", event.position},
                         {"stream", event.stream},
                         {"version", event.version},
                         {"type", event.type},
                         {"recorded_at", FormatTimestampUs(event.recorded_at_us)},
                         {"actor", event.actor},
                         {"data", RenderData(event, renderer)}};
  return Dump(json);
}

std::string StreamMarkerMessage(const char* kind, uint64_t position) {
  return Dump(nlohmann::json{{"kind", kind}, {"position", position}});
}

}  // namespace tranche::api
