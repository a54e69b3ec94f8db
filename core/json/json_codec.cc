// JSON codecs for commands, events and the write model, built on json_fields.h.
#include "core/json/json_codec.h"

#include <algorithm>
#include <string>

#include "core/decide_checks.h"
#include "core/evolve.h"
#include "core/json/json_fields.h"
#include "core/json/json_lite.h"

namespace tranche::core {
namespace {

using json_internal::FieldError;
using json_internal::JsonReader;
using json_internal::ToJson;

// Money fields report invalid_amount, every other field invalid_field.
Rejection FieldRejection(const FieldError& error) {
  const bool money_rule = error.rule == "not_an_integer" || error.rule == "too_large";
  const bool money_field = error.field.ends_with("_pence") || error.field.starts_with("requested.") ||
                           error.field.starts_with("awards.");
  const std::string message = "field '" + error.field + "': " + error.rule;
  if (money_rule && money_field) return internal::InvalidAmount(error.field, error.rule, message);
  return internal::InvalidField(error.field, error.rule, message);
}

// A default-constructed alternative of V whose Name(alternative) equals `name`.
template <typename V, size_t I = 0, typename NameOf>
std::optional<V> AlternativeNamed(std::string_view name, NameOf name_of) {
  if constexpr (I == std::variant_size_v<V>) {
    return std::nullopt;
  } else {
    if (name_of(I) == name) return V(std::in_place_index<I>);
    return AlternativeNamed<V, I + 1>(name, name_of);
  }
}

constexpr std::string_view kEnvelopeFields[] = {"command_id", "expected_version", "reason"};

// `Json`: nlohmann::json, or JsonLite for a body parsed from text.
template <typename Json>
std::variant<CommandEnvelope, Rejection> ParseCommandOrThrow(std::string_view name,
                                                             const Json& body) {
  std::optional<Command> command =
      AlternativeNamed<Command>(name, [](size_t i) { return AllCommandNames()[i]; });
  if (!command) {
    return internal::InvalidField("command", "unknown_command",
                                  "there is no command '" + std::string(name) + "'");
  }
  if (!body.is_object()) {
    return internal::InvalidField("body", "not_an_object", "a command body is a JSON object");
  }
  CommandEnvelope envelope{std::string(name), "", std::nullopt, "", "", 0, std::move(*command)};
  JsonReader reader;
  if (const auto found = body.find("command_id"); found == body.end()) {
    return internal::InvalidField("command_id", "missing", "command_id is required");
  } else {
    reader.Read(*found, "command_id", envelope.command_id);
  }
  if (const auto found = body.find("expected_version"); found != body.end() && !found->is_null()) {
    reader.Read(*found, "expected_version", envelope.expected_version.emplace());
  }
  if (const auto found = body.find("reason"); found != body.end() && !found->is_null()) {
    reader.Read(*found, "reason", envelope.reason);
  }
  // The body's own fields sit beside the envelope's; read them in place.
  std::visit([&](auto& typed) { reader.ReadBesides(body, kEnvelopeFields, typed); },
             envelope.body);
  if (reader.error()) return FieldRejection(*reader.error());
  TRANCHE_RETURN_IF_REJECTED(internal::CheckEnvelope(envelope, /*reason_required=*/false));
  TRANCHE_RETURN_IF_REJECTED(internal::CheckBody(envelope.body));
  return envelope;
}

Status InvalidEventJson(std::string_view type, const FieldError& error) {
  return Status::InvalidArgument("invalid_event_json", std::string(type) + " field '" +
                                                           error.field + "': " + error.rule);
}

Status InvalidStateJson(std::string message) {
  return Status::DataLoss("invalid_state_json", std::move(message));
}

StatusOr<State> StateFromJsonOrThrow(const nlohmann::json& json) {
  if (!json.is_object() || json.size() != 2 || !json.contains("programmes") ||
      !json.contains("clusters")) {
    return InvalidStateJson("a state is {\"programmes\": {...}, \"clusters\": {...}}");
  }
  std::map<std::string, Programme> programmes;
  std::map<std::string, Cluster> clusters;
  JsonReader reader;
  reader.Read(json.at("programmes"), "programmes", programmes);
  reader.Read(json.at("clusters"), "clusters", clusters);
  if (reader.error()) {
    return InvalidStateJson("field '" + reader.error()->field + "': " + reader.error()->rule);
  }
  State state;
  for (auto& [id, programme] : programmes) {
    if (id != programme.id) return InvalidStateJson("programme key " + id + " is not its id");
    state.InsertProgramme(std::move(programme));
  }
  for (auto& [id, cluster] : clusters) {
    if (id != cluster.id) return InvalidStateJson("cluster key " + id + " is not its id");
    state.InsertCluster(std::move(cluster));
  }
  if (Status status = CheckInvariants(state); !status.ok()) {
    return InvalidStateJson(status.message());
  }
  return state;
}

}  // namespace

std::variant<CommandEnvelope, Rejection> ParseCommand(std::string_view name,
                                                      const nlohmann::json& body) {
  try {
    return ParseCommandOrThrow(name, body);
  } catch (const nlohmann::json::exception& e) {
    return internal::InvalidField("body", "malformed", e.what());
  }
}

size_t JsonNestingDepth(std::string_view text, size_t limit) {
  size_t depth = 0;
  size_t deepest = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) return limit + 1;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

std::variant<CommandEnvelope, Rejection> ParseCommandText(std::string_view name,
                                                          std::string_view text) {
  if (JsonNestingDepth(text, kCommandNestingMax) > kCommandNestingMax) {
    return internal::InvalidField(
        "body", "too_deep",
        "the body nests deeper than " + std::to_string(kCommandNestingMax) + " levels");
  }
  // A flat document this thread reuses (json_lite.h): nlohmann's parser, no
  // DOM of map nodes and strings.
  thread_local json_internal::JsonLiteDocument document;
  if (!document.Parse(text) || !document.root().is_object()) {
    return internal::InvalidField("body", "not_a_json_object", "the body must be a JSON object");
  }
  return ParseCommandOrThrow(name, document.root());
}

nlohmann::json CommandBodyToJson(const CommandEnvelope& command) {
  nlohmann::json body = std::visit([](const auto& typed) { return ToJson(typed); }, command.body);
  body["command_id"] = command.command_id;
  if (command.expected_version) body["expected_version"] = *command.expected_version;
  if (!command.reason.empty()) body["reason"] = command.reason;
  return body;
}

nlohmann::json EventToJson(const Event& event) {
  return std::visit([](const auto& payload) { return ToJson(payload); }, event);
}

StatusOr<Event> EventFromJson(std::string_view type, const nlohmann::json& data) {
  std::optional<Event> event =
      AlternativeNamed<Event>(type, [](size_t i) { return AllEventTypeNames()[i]; });
  if (!event) {
    return Status::InvalidArgument("unknown_event_type",
                                   "unknown event type '" + std::string(type) + "'");
  }
  try {
    JsonReader reader;
    std::visit([&](auto& payload) { reader.Read(data, "", payload); }, *event);
    if (reader.error()) return InvalidEventJson(type, *reader.error());
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument("invalid_event_json", e.what());
  }
  return *std::move(event);
}

nlohmann::json StateToJson(const State& state) {
  nlohmann::json programmes = nlohmann::json::object();
  for (const auto& [id, programme] : state.programmes()) programmes[id] = ToJson(*programme);
  nlohmann::json clusters = nlohmann::json::object();
  for (const auto& [id, cluster] : state.clusters()) clusters[id] = ToJson(*cluster);
  return nlohmann::json{{"programmes", std::move(programmes)}, {"clusters", std::move(clusters)}};
}

StatusOr<State> StateFromJson(const nlohmann::json& json) {
  try {
    return StateFromJsonOrThrow(json);
  } catch (const nlohmann::json::exception& e) {
    return InvalidStateJson(e.what());
  }
}

}  // namespace tranche::core
