// Test helpers for core: command builders and a small HIEC-like world.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

#include "core/decider.h"
#include "core/evolve.h"

namespace tranche::core::testing {

inline FinancialYear Fy(std::string_view label) { return *FinancialYear::Parse(label); }
inline Date D(std::string_view text) { return *ParseDate(text); }

inline CommandEnvelope Envelope(Command body, std::string reason = "",
                                std::optional<uint64_t> expected_version = std::nullopt) {
  static int counter = 0;
  CommandEnvelope envelope;
  envelope.name = std::string(CommandName(body));
  envelope.command_id = "cmd-" + std::to_string(++counter);
  envelope.expected_version = expected_version;
  envelope.reason = std::move(reason);
  envelope.actor = "test";
  envelope.body = std::move(body);
  return envelope;
}

inline OpenProgramme Hiec() {
  return OpenProgramme{"hiec", "Health Innovation and Education Clusters", "Department of Health",
                       {{Fy("2009/10"), Pence(1'100'000'000)}, {Fy("2010/11"), Pence(990'000'000)}}};
}

inline SubmitBid Bid(std::string cluster_id) {
  return SubmitBid{"hiec", std::move(cluster_id), "Wessex HIEC", "South Central",
                   "University of Southampton", "Workforce development",
                   {{Fy("2009/10"), Pence(70'000'000)}}, D("2009-10-30")};
}

inline RecordTranche Payment(std::string cluster_id, std::string reference, int64_t pence,
                             std::string_view paid_on = "2010-02-01",
                             std::string_view year = "2009/10") {
  return RecordTranche{std::move(cluster_id), Fy(year), Pence(pence), D(paid_on),
                       std::move(reference)};
}

// Decides and applies; fails the test if the command is rejected.
inline std::vector<DomainEvent> Accept(State& state, const CommandEnvelope& command) {
  Decision decision = Decide(state, command);
  if (const auto* rejection = std::get_if<Rejection>(&decision)) {
    ADD_FAILURE() << command.name << " rejected: " << rejection->code << ": "
                  << rejection->message;
    return {};
  }
  auto events = std::get<std::vector<DomainEvent>>(std::move(decision));
  for (const DomainEvent& event : events) Evolve(state, event);
  return events;
}

// The rejection; fails the test if the command is accepted.
inline Rejection Refuse(const State& state, const CommandEnvelope& command) {
  Decision decision = Decide(state, command);
  if (!std::holds_alternative<Rejection>(decision)) {
    ADD_FAILURE() << command.name << " was accepted";
    return {};
  }
  return std::get<Rejection>(decision);
}

// hiec opened; "wessex" submitted and awarded £700,000 in 2009/10 and
// £600,000 in 2010/11; "wms" submitted, undecided.
inline State AwardedWorld() {
  State state;
  Accept(state, Envelope(Hiec()));
  Accept(state, Envelope(Bid("wessex")));
  Accept(state, Envelope(AwardBid{"wessex",
                                  {{Fy("2009/10"), Pence(70'000'000)},
                                   {Fy("2010/11"), Pence(60'000'000)}},
                                  D("2010-01-05")}));
  Accept(state, Envelope(Bid("wms")));
  return state;
}

}  // namespace tranche::core::testing
