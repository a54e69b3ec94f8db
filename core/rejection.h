// Rejection: why Decide refused a command, with stable snake_case codes.
//
// `code` is one of the constants below and never changes meaning; `message` is
// for humans; `details` always has "field" and "rule" for input errors
// (invalid_field, invalid_amount, reason_required), "expected" and "actual" for
// wrong_expected_version, and names the ids involved otherwise.
//
// Thread-safety: values; use freely from any thread.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace tranche::core {

namespace rejection {
// Input (400).
inline constexpr std::string_view kInvalidField = "invalid_field";
inline constexpr std::string_view kInvalidAmount = "invalid_amount";
inline constexpr std::string_view kReasonRequired = "reason_required";
// Concurrency and idempotency (409). command_id_reused is raised by the
// command pipeline, which owns the command index; Decide never returns it.
inline constexpr std::string_view kWrongExpectedVersion = "wrong_expected_version";
inline constexpr std::string_view kCommandIdReused = "command_id_reused";
// Not found (404).
inline constexpr std::string_view kProgrammeNotFound = "programme_not_found";
inline constexpr std::string_view kBidNotFound = "bid_not_found";
inline constexpr std::string_view kMemberNotFound = "member_not_found";
inline constexpr std::string_view kTrancheNotFound = "tranche_not_found";
// Domain rules (422).
inline constexpr std::string_view kProgrammeExists = "programme_exists";
inline constexpr std::string_view kUnknownFinancialYear = "unknown_financial_year";
inline constexpr std::string_view kBidExists = "bid_exists";
inline constexpr std::string_view kBidAlreadyDecided = "bid_already_decided";
inline constexpr std::string_view kEnvelopeExceeded = "envelope_exceeded";
inline constexpr std::string_view kAwardBelowPaid = "award_below_paid";
inline constexpr std::string_view kMemberExists = "member_exists";
inline constexpr std::string_view kCannotRemovePrincipalPartner = "cannot_remove_principal_partner";
inline constexpr std::string_view kClusterNotAwarded = "cluster_not_awarded";
inline constexpr std::string_view kOutsideFinancialYear = "outside_financial_year";
inline constexpr std::string_view kFinancialYearClosed = "financial_year_closed";
inline constexpr std::string_view kTrancheExceedsAward = "tranche_exceeds_award";
inline constexpr std::string_view kPaymentReferenceExists = "payment_reference_exists";
inline constexpr std::string_view kTrancheAlreadyReversed = "tranche_already_reversed";
}  // namespace rejection

// Every code above, for tests and documentation.
const std::vector<std::string_view>& AllRejectionCodes();

struct Rejection {
  std::string code;
  std::string message;
  std::map<std::string, std::string> details;
  bool operator==(const Rejection&) const = default;
};

// The kind of failure a code is: kInvalidArgument (input), kConflict
// (wrong_expected_version, command_id_reused), kNotFound (*_not_found),
// kFailedPrecondition (domain rules). Unknown codes: kInternal.
StatusCode RejectionStatusCode(std::string_view code);
// Status(RejectionStatusCode(code), code, message); details are dropped.
Status RejectionToStatus(const Rejection& rejection);

}  // namespace tranche::core
