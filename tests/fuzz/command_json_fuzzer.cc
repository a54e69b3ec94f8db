// Fuzzes the command JSON decoder (core::ParseCommandText), as POST
// /v1/commands/<name> runs it, and what an accepted command goes through next.
//
// Input: the command name, a newline, then the JSON body ("record-tranche\n{...}");
// without a newline the whole input is the body of record-tranche.
// Properties checked for every input:
//   - ParseCommandText never crashes; a rejection has a code, a message and the
//     details "field" and "rule";
//   - an accepted envelope's name is the one asked for, and CommandBodyToJson
//     parses back to the same envelope;
//   - AppendCommandBodyJson (the content digest's canonical text) writes
//     exactly CommandBodyToJson's dump;
//   - Decide on a small awarded world never crashes; accepted events applied to
//     that world keep its invariants, and each event survives the binary codec
//     (EncodeEvent/DecodeEvent) and the JSON codec (EventToJson/EventFromJson).
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>

#include "core/check.h"
#include "core/decider.h"
#include "core/evolve.h"
#include "core/json/json_codec.h"

namespace {
using tranche::core::CommandEnvelope;
using tranche::core::Rejection;
using tranche::core::State;

// The world Decide runs against: the programme "hiec" with two years, the
// cluster "wessex" awarded in both, one member and one tranche paid.
constexpr std::string_view kWorldCommands[][2] = {
    {"open-programme",
     R"({"command_id":"w1","programme_id":"hiec","name":"Health Innovation and Education Clusters",
         "funder":"Department of Health","financial_years":[
         {"label":"2009/10","envelope_pence":1100000000},{"label":"2010/11","envelope_pence":990000000}]})"},
    {"submit-bid",
     R"({"command_id":"w2","programme_id":"hiec","cluster_id":"wessex","name":"Wessex HIEC",
         "region":"NHS South Central","principal_partner":"University of Southampton",
         "work_programme":"Telecare","requested":{"2009/10":80000000,"2010/11":70000000},
         "submitted_on":"2009-10-30"})"},
    {"award-bid",
     R"({"command_id":"w3","cluster_id":"wessex","awards":{"2009/10":70000000,"2010/11":60000000},
         "decided_on":"2010-01-05"})"},
    {"add-member",
     R"({"command_id":"w4","cluster_id":"wessex","name":"Acme Ltd","sector":"industry",
         "joined_on":"2010-02-01"})"},
    {"record-tranche",
     R"({"command_id":"w5","cluster_id":"wessex","financial_year":"2009/10","amount_pence":3500000,
         "paid_on":"2010-02-15","payment_reference":"DH-2010-0001"})"},
};

State* world = nullptr;

void ApplyOrDie(State& state, const CommandEnvelope& command) {
  auto decision = tranche::core::Decide(state, command);
  const auto* rejection = std::get_if<Rejection>(&decision);
  TRANCHE_CHECK_MSG(rejection == nullptr, rejection ? rejection->code.c_str() : "");
  for (const auto& event : std::get<std::vector<tranche::core::DomainEvent>>(decision)) {
    tranche::core::Evolve(state, event);
  }
}

void CheckEventCodecs(const tranche::core::Event& event) {
  const std::string_view type = tranche::core::EventTypeName(event);
  const std::string bytes = tranche::core::EncodeEvent(event);
  auto decoded = tranche::core::DecodeEvent(type, 1, bytes);
  TRANCHE_CHECK_MSG(decoded.ok(), "an encoded event does not decode");
  TRANCHE_CHECK_MSG(*decoded == event, "the binary codec changed an event");
  auto from_json = tranche::core::EventFromJson(type, tranche::core::EventToJson(event));
  TRANCHE_CHECK_MSG(from_json.ok(), "an event's JSON does not parse back");
  TRANCHE_CHECK_MSG(*from_json == event, "the JSON codec changed an event");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  world = new State();  // Lives for the whole run.
  for (const auto& [name, body] : kWorldCommands) {
    auto parsed = tranche::core::ParseCommand(name, nlohmann::json::parse(body));
    TRANCHE_CHECK_MSG(std::holds_alternative<CommandEnvelope>(parsed),
                      "a world command is invalid");
    CommandEnvelope command = std::get<CommandEnvelope>(std::move(parsed));
    command.actor = "fuzzer";
    ApplyOrDie(*world, command);
  }
  TRANCHE_CHECK(tranche::core::CheckInvariants(*world).ok());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view name = "record-tranche";
  std::string_view body_text = input;
  if (size_t newline = input.find('\n'); newline != std::string_view::npos) {
    name = input.substr(0, newline);
    body_text = input.substr(newline + 1);
  }
  // As the route does: too deep, not JSON or not an object is refused first.
  auto parsed = tranche::core::ParseCommandText(name, body_text);
  // ParseCommandText reads through JsonLite; nlohmann's DOM must give the
  // same envelope or the same rejection (docs/DECISIONS.md §25).
  if (tranche::core::JsonNestingDepth(body_text, tranche::core::kCommandNestingMax) <=
      tranche::core::kCommandNestingMax) {
    const nlohmann::json dom = nlohmann::json::parse(body_text, nullptr, false);
    if (!dom.is_discarded() && dom.is_object()) {
      TRANCHE_CHECK_MSG(tranche::core::ParseCommand(name, dom) == parsed,
                        "JsonLite and nlohmann's DOM read a body differently");
    } else {
      const auto* refused = std::get_if<Rejection>(&parsed);
      TRANCHE_CHECK_MSG(refused != nullptr && refused->details.at("rule") == "not_a_json_object",
                        "JsonLite accepted a body nlohmann refuses");
    }
  }
  if (const auto* rejection = std::get_if<Rejection>(&parsed)) {
    TRANCHE_CHECK(!rejection->code.empty());
    TRANCHE_CHECK(!rejection->message.empty());
    TRANCHE_CHECK_MSG(
        rejection->details.count("field") == 1 && rejection->details.count("rule") == 1,
        "a rejection does not say which field and which rule");
    return 0;
  }
  CommandEnvelope command = std::get<CommandEnvelope>(std::move(parsed));
  TRANCHE_CHECK(command.name == name);
  TRANCHE_CHECK(tranche::core::CommandName(command.body) == name);
  auto again = tranche::core::ParseCommand(name, tranche::core::CommandBodyToJson(command));
  TRANCHE_CHECK_MSG(std::holds_alternative<CommandEnvelope>(again),
                    "CommandBodyToJson wrote a body that ParseCommand refuses");
  TRANCHE_CHECK_MSG(std::get<CommandEnvelope>(again) == command,
                    "a command changed on its way through CommandBodyToJson");
  std::string canonical;
  TRANCHE_CHECK_MSG(tranche::core::AppendCommandBodyJson(command, &canonical),
                    "AppendCommandBodyJson refused an accepted command");
  TRANCHE_CHECK_MSG(canonical == tranche::core::CommandBodyToJson(command).dump(),
                    "AppendCommandBodyJson differs from the DOM's dump");

  command.actor = "fuzzer";
  auto decision = tranche::core::Decide(*world, command);
  if (std::holds_alternative<Rejection>(decision)) return 0;
  State state = *world;
  for (const auto& event : std::get<std::vector<tranche::core::DomainEvent>>(decision)) {
    tranche::core::Evolve(state, event);
    CheckEventCodecs(event.event);
  }
  TRANCHE_CHECK_MSG(tranche::core::CheckInvariants(state).ok(),
                    "an accepted command broke the world's invariants");
  return 0;
}
