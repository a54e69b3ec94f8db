// Internal to core: the building blocks Decide is made of (rejection builders,
// field checks, version checks). Not for use outside core/.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/commands.h"
#include "core/decider.h"
#include "core/rejection.h"
#include "core/state.h"

namespace tranche::core::internal {

using MaybeRejection = std::optional<Rejection>;

// Returns the rejection from `expression` if it has one.
#define TRANCHE_RETURN_IF_REJECTED(expression)                      \
  do {                                                              \
    if (::tranche::core::internal::MaybeRejection maybe_rejection = \
            (expression);                                           \
        maybe_rejection.has_value()) {                              \
      return *std::move(maybe_rejection);                           \
    }                                                               \
  } while (false)

Rejection Reject(std::string_view code, std::string message,
                 std::map<std::string, std::string> details = {});
Rejection InvalidField(std::string_view field, std::string_view rule, std::string message);
Rejection InvalidAmount(std::string_view field, std::string_view rule, std::string message);

// Field shape checks; `field` is the JSON path reported in details.
MaybeRejection CheckSlug(std::string_view field, std::string_view value);
MaybeRejection CheckText(std::string_view field, std::string_view value, size_t max_bytes);
// amount in (0, kAmountPenceMax], or [0, ...] when zero_allowed.
MaybeRejection CheckAmount(std::string_view field, Pence amount, bool zero_allowed = false);
// Non-empty map of positive amounts.
MaybeRejection CheckYearAmounts(std::string_view field, const YearAmounts& amounts);

// The envelope: name matches the body, command id, reason shape, and the
// reason's presence when `reason_required`.
MaybeRejection CheckEnvelope(const CommandEnvelope& command, bool reason_required);
// Every field of the body, statelessly.
MaybeRejection CheckBody(const Command& body);

// wrong_expected_version unless `expected` is unset or equals `actual`.
MaybeRejection CheckExpectedVersion(std::optional<uint64_t> expected,
                                    std::optional<uint64_t> actual, std::string_view stream);

// The programme's year, or unknown_financial_year / financial_year_closed.
MaybeRejection CheckYearOpen(const Programme& programme, FinancialYear year);
MaybeRejection CheckYearKnown(const Programme& programme, FinancialYear year);

// Whether the command's reason is required by DESIGN.md's table.
bool ReasonRequired(const Command& body);

// The stream-level rule shared by every command on an existing cluster:
// bid_not_found, then the expected version. Sets *cluster on success.
MaybeRejection FindClusterChecked(const State& state, const CommandEnvelope& command,
                                  std::string_view cluster_id, const Cluster** cluster);

// The rules of one command, after its envelope and fields have passed.
Decision DecideCommand(const State&, const CommandEnvelope&, const OpenProgramme&);
Decision DecideCommand(const State&, const CommandEnvelope&, const SubmitBid&);
Decision DecideCommand(const State&, const CommandEnvelope&, const AwardBid&);
Decision DecideCommand(const State&, const CommandEnvelope&, const RejectBid&);
Decision DecideCommand(const State&, const CommandEnvelope&, const AmendAward&);
Decision DecideCommand(const State&, const CommandEnvelope&, const AddMember&);
Decision DecideCommand(const State&, const CommandEnvelope&, const RemoveMember&);
Decision DecideCommand(const State&, const CommandEnvelope&, const RecordTranche&);
Decision DecideCommand(const State&, const CommandEnvelope&, const ReverseTranche&);
Decision DecideCommand(const State&, const CommandEnvelope&, const CloseFinancialYear&);

// Emits the single event an accepted command produces.
Decision Emit(Event event);
// The programme a command names, or programme_not_found.
MaybeRejection FindProgramme(const State& state, std::string_view id, const Programme** out);

}  // namespace tranche::core::internal
