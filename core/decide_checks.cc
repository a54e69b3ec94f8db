// Field, envelope and version checks used by Decide.
#include "core/decide_checks.h"

#include <set>
#include <type_traits>

namespace tranche::core::internal {
namespace {

using namespace rejection;  // NOLINT: the codes read better unqualified here.

MaybeRejection CheckDate(std::string_view field, Date date) {
  // Every Date is a valid calendar date by construction; Decide only needs
  // dates from which a financial year can be named.
  if (date < FinancialYear::FromStartYear(FinancialYear::kStartYearMin).Start() ||
      date > FinancialYear::FromStartYear(FinancialYear::kStartYearMax).End()) {
    return InvalidField(field, "out_of_range", std::string(field) + " is out of range");
  }
  return std::nullopt;
}

MaybeRejection CheckFields(const OpenProgramme& c) {
  TRANCHE_RETURN_IF_REJECTED(CheckSlug("programme_id", c.programme_id));
  TRANCHE_RETURN_IF_REJECTED(CheckText("name", c.name, kNameBytesMax));
  TRANCHE_RETURN_IF_REJECTED(CheckText("funder", c.funder, kNameBytesMax));
  if (c.financial_years.empty()) {
    return InvalidField("financial_years", "empty", "a programme needs at least one financial year");
  }
  std::set<FinancialYear> seen;
  for (size_t i = 0; i < c.financial_years.size(); ++i) {
    const std::string prefix = "financial_years[" + std::to_string(i) + "].";
    if (!seen.insert(c.financial_years[i].label).second) {
      return InvalidField(prefix + "label", "duplicate",
                          c.financial_years[i].label.Label() + " is listed twice");
    }
    TRANCHE_RETURN_IF_REJECTED(
        CheckAmount(prefix + "envelope_pence", c.financial_years[i].envelope_pence));
  }
  return std::nullopt;
}

MaybeRejection CheckFields(const SubmitBid& c) {
  TRANCHE_RETURN_IF_REJECTED(CheckSlug("programme_id", c.programme_id));
  TRANCHE_RETURN_IF_REJECTED(CheckSlug("cluster_id", c.cluster_id));
  TRANCHE_RETURN_IF_REJECTED(CheckText("name", c.name, kNameBytesMax));
  TRANCHE_RETURN_IF_REJECTED(CheckText("region", c.region, kNameBytesMax));
  TRANCHE_RETURN_IF_REJECTED(CheckText("principal_partner", c.principal_partner, kNameBytesMax));
  TRANCHE_RETURN_IF_REJECTED(CheckText("work_programme", c.work_programme, kWorkProgrammeBytesMax));
  TRANCHE_RETURN_IF_REJECTED(CheckYearAmounts("requested", c.requested));
  return CheckDate("submitted_on", c.submitted_on);
}

MaybeRejection CheckFields(const AwardBid& c) {
  TRANCHE_RETURN_IF_REJECTED(CheckSlug("cluster_id", c.cluster_id));
  TRANCHE_RETURN_IF_REJECTED(CheckYearAmounts("awards", c.awards));
  return CheckDate("decided_on", c.decided_on);
}

MaybeRejection CheckFields(const RejectBid& c) {
  TRANCHE_RETURN_IF_REJECTED(CheckSlug("cluster_id", c.cluster_id));
  return CheckDate("decided_on", c.decided_on);
}

MaybeRejection CheckFields(const AmendAward& c) {
  TRANCHE_RETURN_IF_REJECTED(CheckSlug("cluster_id", c.cluster_id));
  return CheckAmount("amount_pence", c.amount_pence, /*zero_allowed=*/true);
}

MaybeRejection CheckFields(const AddMember& c) {
  TRANCHE_RETURN_IF_REJECTED(CheckSlug("cluster_id", c.cluster_id));
  TRANCHE_RETURN_IF_REJECTED(CheckText("name", c.name, kNameBytesMax));
  if (c.organisation_id.has_value()) {
    TRANCHE_RETURN_IF_REJECTED(CheckSlug("organisation_id", *c.organisation_id));
  } else if (DeriveOrganisationId(c.name).empty()) {
    return InvalidField("name", "no_organisation_id",
                        "no organisation id can be derived from the name; give organisation_id");
  }
  return CheckDate("joined_on", c.joined_on);
}

MaybeRejection CheckFields(const RemoveMember& c) {
  TRANCHE_RETURN_IF_REJECTED(CheckSlug("cluster_id", c.cluster_id));
  TRANCHE_RETURN_IF_REJECTED(CheckSlug("organisation_id", c.organisation_id));
  return CheckDate("left_on", c.left_on);
}

MaybeRejection CheckPaymentReference(std::string_view reference) {
  if (!IsValidPaymentReference(reference)) {
    return InvalidField("payment_reference", "invalid_payment_reference",
                        "a payment reference is 1-64 visible ASCII characters");
  }
  return std::nullopt;
}

MaybeRejection CheckFields(const RecordTranche& c) {
  TRANCHE_RETURN_IF_REJECTED(CheckSlug("cluster_id", c.cluster_id));
  TRANCHE_RETURN_IF_REJECTED(CheckAmount("amount_pence", c.amount_pence));
  TRANCHE_RETURN_IF_REJECTED(CheckDate("paid_on", c.paid_on));
  return CheckPaymentReference(c.payment_reference);
}

MaybeRejection CheckFields(const ReverseTranche& c) {
  TRANCHE_RETURN_IF_REJECTED(CheckSlug("cluster_id", c.cluster_id));
  return CheckPaymentReference(c.payment_reference);
}

MaybeRejection CheckFields(const CloseFinancialYear& c) {
  return CheckSlug("programme_id", c.programme_id);
}

}  // namespace

Rejection Reject(std::string_view code, std::string message,
                 std::map<std::string, std::string> details) {
  return Rejection{std::string(code), std::move(message), std::move(details)};
}

Rejection InvalidField(std::string_view field, std::string_view rule, std::string message) {
  return Reject(kInvalidField, std::move(message),
                {{"field", std::string(field)}, {"rule", std::string(rule)}});
}

Rejection InvalidAmount(std::string_view field, std::string_view rule, std::string message) {
  return Reject(kInvalidAmount, std::move(message),
                {{"field", std::string(field)}, {"rule", std::string(rule)}});
}

MaybeRejection CheckSlug(std::string_view field, std::string_view value) {
  if (IsValidSlug(value)) return std::nullopt;
  return InvalidField(field, "invalid_slug",
                      std::string(field) + " must be 1-64 of a-z, 0-9 and '-'");
}

MaybeRejection CheckText(std::string_view field, std::string_view value, size_t max_bytes) {
  if (IsValidText(value, max_bytes)) return std::nullopt;
  return InvalidField(field, value.size() > max_bytes ? "too_long" : "invalid_text",
                      std::string(field) + " must be 1-" + std::to_string(max_bytes) +
                          " bytes of UTF-8 text without control characters");
}

MaybeRejection CheckAmount(std::string_view field, Pence amount, bool zero_allowed) {
  if (amount.IsNegative() || (!zero_allowed && amount.IsZero())) {
    return InvalidAmount(field, zero_allowed ? "negative" : "not_positive",
                         std::string(field) + (zero_allowed ? " must not be negative"
                                                            : " must be greater than zero"));
  }
  if (amount.value() > kAmountPenceMax) {
    return InvalidAmount(field, "too_large",
                         std::string(field) + " must be at most " + FormatPounds(Pence(kAmountPenceMax)));
  }
  return std::nullopt;
}

MaybeRejection CheckYearAmounts(std::string_view field, const YearAmounts& amounts) {
  if (amounts.empty()) {
    return InvalidField(field, "empty", std::string(field) + " needs at least one financial year");
  }
  for (const auto& [year, amount] : amounts) {
    TRANCHE_RETURN_IF_REJECTED(CheckAmount(std::string(field) + "." + year.Label(), amount));
  }
  return std::nullopt;
}

bool ReasonRequired(const Command& body) {
  return std::holds_alternative<RejectBid>(body) || std::holds_alternative<AmendAward>(body) ||
         std::holds_alternative<RemoveMember>(body) || std::holds_alternative<ReverseTranche>(body);
}

MaybeRejection CheckEnvelope(const CommandEnvelope& command, bool reason_required) {
  if (command.name != CommandName(command.body)) {
    return InvalidField("name", "mismatch",
                        "command name '" + command.name + "' does not match its body");
  }
  if (!IsValidCommandId(command.command_id)) {
    return InvalidField("command_id", "invalid_command_id",
                        "command_id must be 1-128 printable ASCII characters");
  }
  const bool blank = command.reason.find_first_not_of(' ') == std::string::npos;
  if (reason_required && blank) {
    return Reject(kReasonRequired, command.name + " needs a reason",
                  {{"field", "reason"}, {"rule", "required"}});
  }
  if (!command.reason.empty()) {
    TRANCHE_RETURN_IF_REJECTED(CheckText("reason", command.reason, kReasonBytesMax));
  }
  return std::nullopt;
}

MaybeRejection CheckBody(const Command& body) {
  return std::visit([](const auto& fields) { return CheckFields(fields); }, body);
}

MaybeRejection CheckExpectedVersion(std::optional<uint64_t> expected,
                                    std::optional<uint64_t> actual, std::string_view stream) {
  if (!expected.has_value() || expected == actual) return std::nullopt;
  const std::string actual_text = actual ? std::to_string(*actual) : "none";
  return Reject(kWrongExpectedVersion,
                std::string(stream) + " is at version " + actual_text + ", not " +
                    std::to_string(*expected),
                {{"stream", std::string(stream)},
                 {"expected", std::to_string(*expected)},
                 {"actual", actual_text}});
}

MaybeRejection CheckYearKnown(const Programme& programme, FinancialYear year) {
  if (programme.financial_years.contains(year)) return std::nullopt;
  return Reject(kUnknownFinancialYear,
                "programme " + programme.id + " has no financial year " + year.Label(),
                {{"programme_id", programme.id}, {"financial_year", year.Label()}});
}

MaybeRejection CheckYearOpen(const Programme& programme, FinancialYear year) {
  TRANCHE_RETURN_IF_REJECTED(CheckYearKnown(programme, year));
  if (!programme.financial_years.at(year).closed) return std::nullopt;
  return Reject(kFinancialYearClosed, "financial year " + year.Label() + " is closed",
                {{"programme_id", programme.id}, {"financial_year", year.Label()}});
}

MaybeRejection FindClusterChecked(const State& state, const CommandEnvelope& command,
                                  std::string_view cluster_id, const Cluster** cluster) {
  *cluster = state.FindCluster(cluster_id);
  if (*cluster == nullptr) {
    return Reject(kBidNotFound, "no bid or cluster '" + std::string(cluster_id) + "'",
                  {{"cluster_id", std::string(cluster_id)}});
  }
  if (!command.expected_version) return std::nullopt;  // Spares building the stream name.
  return CheckExpectedVersion(command.expected_version, (*cluster)->version,
                              ClusterStream(cluster_id));
}

}  // namespace tranche::core::internal
