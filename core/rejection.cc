// Rejection codes and their kinds.
#include "core/rejection.h"

namespace tranche::core {

const std::vector<std::string_view>& AllRejectionCodes() {
  using namespace rejection;  // NOLINT: a list of every constant in it.
  static const std::vector<std::string_view>* const codes = new std::vector<std::string_view>{
      kInvalidField,         kInvalidAmount,          kReasonRequired,
      kWrongExpectedVersion, kCommandIdReused,        kProgrammeNotFound,
      kBidNotFound,          kMemberNotFound,         kTrancheNotFound,
      kProgrammeExists,      kUnknownFinancialYear,   kBidExists,
      kBidAlreadyDecided,    kEnvelopeExceeded,       kAwardBelowPaid,
      kMemberExists,         kCannotRemovePrincipalPartner, kClusterNotAwarded,
      kOutsideFinancialYear, kFinancialYearClosed,    kTrancheExceedsAward,
      kPaymentReferenceExists, kTrancheAlreadyReversed};
  return *codes;
}

StatusCode RejectionStatusCode(std::string_view code) {
  using namespace rejection;  // NOLINT
  if (code == kInvalidField || code == kInvalidAmount || code == kReasonRequired) {
    return StatusCode::kInvalidArgument;
  }
  if (code == kWrongExpectedVersion || code == kCommandIdReused) return StatusCode::kConflict;
  if (code == kProgrammeNotFound || code == kBidNotFound || code == kMemberNotFound ||
      code == kTrancheNotFound) {
    return StatusCode::kNotFound;
  }
  for (const std::string_view known : AllRejectionCodes()) {
    if (code == known) return StatusCode::kFailedPrecondition;
  }
  return StatusCode::kInternal;
}

Status RejectionToStatus(const Rejection& rejection) {
  return Status(RejectionStatusCode(rejection.code), rejection.code, rejection.message);
}

}  // namespace tranche::core
