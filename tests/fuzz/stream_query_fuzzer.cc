// Fuzzes the query string of GET /v1/stream (and /v1/events): ParseTarget's
// percent-decoding and parameter split, then ParseStreamQuery's from, stream
// and type, as the WebSocket upgrade and the events route run them.
//
// Input: the query string, the bytes after "/v1/stream?".
// Properties checked for every input:
//   - neither parser crashes; a refusal is a 400 whose JSON body names the field;
//   - the query map, percent-encoded again, parses back to the same map;
//   - an accepted StreamQuery keeps the limits (from ≥ 1, the stream prefix and
//     each type within their byte limits, at most 32 types) and says exactly
//     what the parameters said.
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "api/server/limits.h"
#include "api/server/router.h"
#include "api/server/websocket_session.h"
#include "core/check.h"

namespace {
namespace api = tranche::api;

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
        (byte >= '0' && byte <= '9') || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out += {'%', kHex[byte >> 4], kHex[byte & 15]};
    }
  }
  return out;
}

void CheckAccepted(const std::map<std::string, std::string>& query, const api::StreamQuery& out) {
  if (auto it = query.find("from"); it != query.end()) {
    TRANCHE_CHECK(out.from.has_value() && *out.from >= 1);
    uint64_t from = 0;
    auto [end, ec] =
        std::from_chars(it->second.data(), it->second.data() + it->second.size(), from);
    TRANCHE_CHECK(ec == std::errc() && end == it->second.data() + it->second.size());
    TRANCHE_CHECK(*out.from == (from == 0 ? 1 : from));
  } else {
    TRANCHE_CHECK(!out.from.has_value());
  }
  auto stream = query.find("stream");
  TRANCHE_CHECK(out.filter.stream_prefix == (stream == query.end() ? "" : stream->second));
  TRANCHE_CHECK(out.filter.stream_prefix.size() <= tranche::eventstore::kStreamNameBytesMax);
  TRANCHE_CHECK(out.filter.types.size() <= 32);
  std::string joined;
  for (const std::string& type : out.filter.types) {
    TRANCHE_CHECK(!type.empty() && type.size() <= tranche::eventstore::kEventTypeBytesMax);
    TRANCHE_CHECK(type.find(',') == std::string::npos);
    joined += (joined.empty() ? "" : ",") + type;
  }
  auto type = query.find("type");
  TRANCHE_CHECK(joined == (type == query.end() ? "" : type->second));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string target =
      std::string(api::kStreamRoute) + "?" + std::string(reinterpret_cast<const char*>(data), size);
  std::string path, error;
  std::map<std::string, std::string> query;
  if (!api::ParseTarget(target, &path, &query, &error)) {
    TRANCHE_CHECK(!error.empty());
    return 0;
  }
  TRANCHE_CHECK(path == api::kStreamRoute);
  TRANCHE_CHECK(query.size() <= api::kHttpQueryParamsMax);

  std::string encoded = std::string(api::kStreamRoute) + "?";
  for (const auto& [name, value] : query) {
    encoded += PercentEncode(name) + "=" + PercentEncode(value) + "&";
  }
  std::string path_again;
  std::map<std::string, std::string> query_again;
  TRANCHE_CHECK_MSG(api::ParseTarget(encoded, &path_again, &query_again, &error),
                    "a re-encoded query does not parse");
  TRANCHE_CHECK_MSG(query_again == query, "a query changed through percent-encoding");

  api::StreamQuery stream_query;
  if (auto refused = api::ParseStreamQuery(query, &stream_query)) {
    TRANCHE_CHECK(refused->status == 400);
    nlohmann::json body = nlohmann::json::parse(refused->body, nullptr, false);
    TRANCHE_CHECK_MSG(!body.is_discarded() && body["error"]["details"]["field"].is_string(),
                      "a refused stream query does not name its field");
    return 0;
  }
  CheckAccepted(query, stream_query);
  return 0;
}
