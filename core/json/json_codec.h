// JSON for commands, events and the write model (target tranche_core_json).
//
// Money is a JSON integer named *_pence; dates are "YYYY-MM-DD"; financial
// years are labels "2009/10"; year maps are objects keyed by label; sectors and
// bid statuses are their snake/kebab names. Output is deterministic: objects
// have sorted keys (nlohmann::json's default map), so dump() of equal values
// gives equal bytes, which makes the output usable for digests and for
// comparing states.
//
// No nlohmann exception escapes these functions.
// Thread-safety: pure functions; use freely from any thread.
#pragma once

#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "core/commands.h"
#include "core/events.h"
#include "core/rejection.h"
#include "core/state.h"
#include "core/status.h"

namespace tranche::core {

// Parses the body of POST /v1/commands/<name>. Fills name, command_id,
// expected_version, reason and body; leaves actor and recorded_at_us empty for
// the pipeline. On malformed input returns a Rejection with code
// invalid_field (or invalid_amount for money, reason_required never: that is
// Decide's) and details {"field": <json path, e.g. "requested.2009/10">,
// "rule": <e.g. "missing", "unknown_field", "not_a_string", "not_an_integer",
// "not_positive", "negative", "too_large", "invalid_date", "invalid_financial_year",
// "invalid_slug", "unknown_sector", "too_long", "unknown_command",
// "duplicate", "not_an_object", ...>}.
// Money: *_pence must be a JSON integer in (0, kAmountPenceMax]; amend-award's
// amount_pence may also be 0 (it withdraws that year's award). Unknown fields
// are rejected. Field contents that need more than syntax (slug shape, text
// length, reason presence) are also checked again by Decide.
std::variant<CommandEnvelope, Rejection> ParseCommand(std::string_view name,
                                                      const nlohmann::json& body);

// The deepest nesting of arrays and objects in the JSON text `text`
// (brackets inside strings do not count), scanning no further once it
// exceeds `limit`: the answer is then limit + 1. A linear scan with no
// recursion, so that untrusted text can be refused before it becomes a tree
// that a recursive walk (copy, dump, comparison) would follow to any depth.
size_t JsonNestingDepth(std::string_view text, size_t limit);

// The deepest command body accepted: a command is at most three levels deep
// (body, year map or list, entry); the rest is room, not need.
inline constexpr size_t kCommandNestingMax = 16;

// ParseCommand from the body's text, as POST /v1/commands/<name> receives
// it. Refuses, before building a tree, text nested deeper than
// kCommandNestingMax (invalid_field, field "body", rule "too_deep"); then
// text that is not JSON or not an object (rule "not_a_json_object").
std::variant<CommandEnvelope, Rejection> ParseCommandText(std::string_view name,
                                                          std::string_view text);

// The command as a JSON body that ParseCommand accepts and maps back to the
// same envelope (minus actor/recorded_at_us): command_id, expected_version
// (if set), reason (if non-empty) and the command's fields. Suitable for a
// body digest.
nlohmann::json CommandBodyToJson(const CommandEnvelope& command);

// Appends exactly CommandBodyToJson(command).dump() (keys sorted, no spaces),
// written without building the DOM: the canonical text the content digest
// hashes, at a fraction of the cost. False, with `out` unspecified, when a
// string is not valid UTF-8, where dump() throws.
bool AppendCommandBodyJson(const CommandEnvelope& command, std::string* out);

// An event's payload as JSON (the `data` of the API and stream).
nlohmann::json EventToJson(const Event& event);
// Appends exactly EventToJson(event).dump(), without building the DOM; false,
// with `out` unspecified, when a string is not valid UTF-8.
bool AppendEventJson(const Event& event, std::string* out);
// Inverse of EventToJson for the type named `type` (EventTypeName). Errors:
// kInvalidArgument, reason "invalid_event_json" (or "unknown_event_type").
StatusOr<Event> EventFromJson(std::string_view type, const nlohmann::json& data);

// The whole write model: {"programmes": {id: {...}}, "clusters": {id: {...}}}.
nlohmann::json StateToJson(const State& state);
// Inverse of StateToJson; the result satisfies CheckInvariants or an error is
// returned. Errors: kDataLoss, reason "invalid_state_json".
StatusOr<State> StateFromJson(const nlohmann::json& json);

}  // namespace tranche::core
