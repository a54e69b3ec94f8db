// Decide: the pure function from (state, command) to new events or a rejection.
//
// Order of checks, so that clients get the most useful answer first:
//   1. the envelope and every field (invalid_field / invalid_amount /
//      reason_required, details "field" and "rule");
//   2. the target exists (programme_not_found, bid_not_found) for commands on
//      an existing stream; a creating command (open-programme, submit-bid)
//      skips this step;
//   3. expected_version, if given, equals the target stream's last version
//      (wrong_expected_version; details "expected" and "actual", actual "none"
//      when the stream has no events);
//   4. the domain rules of DESIGN.md's command table.
// Accepted commands produce one event on TargetStream(command).
//
// Thread-safety: pure; call from any thread with a State no one is writing.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "core/commands.h"
#include "core/events.h"
#include "core/rejection.h"
#include "core/state.h"

namespace tranche::core {

struct DomainEvent {
  std::string stream;
  Event event;
  bool operator==(const DomainEvent&) const = default;
};

using Decision = std::variant<std::vector<DomainEvent>, Rejection>;

Decision Decide(const State& state, const CommandEnvelope& command);

}  // namespace tranche::core
