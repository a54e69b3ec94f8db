// Decide for the finance officer's commands: tranches, reversals, closing a year.
#include "core/decide_checks.h"

namespace tranche::core::internal {
namespace {

using namespace rejection;  // NOLINT: the codes read better unqualified here.

MaybeRejection CheckTrancheFits(const Cluster& cluster, const RecordTranche& c) {
  const Pence award = cluster.AwardFor(c.financial_year);
  const Pence paid = cluster.NetPaidFor(c.financial_year);
  Pence total;
  if (Pence::TryAdd(paid, c.amount_pence, &total) && total <= award) return std::nullopt;
  return Reject(kTrancheExceedsAward,
                "paying " + FormatPounds(c.amount_pence) + " would take " + c.financial_year.Label() +
                    " payments to more than the award of " + FormatPounds(award) + " (already paid " +
                    FormatPounds(paid) + ")",
                {{"cluster_id", cluster.id},
                 {"financial_year", c.financial_year.Label()},
                 {"award_pence", std::to_string(award.value())},
                 {"net_paid_pence", std::to_string(paid.value())},
                 {"amount_pence", std::to_string(c.amount_pence.value())}});
}

}  // namespace

Decision DecideCommand(const State& state, const CommandEnvelope& command, const RecordTranche& c) {
  const Cluster* cluster = nullptr;
  TRANCHE_RETURN_IF_REJECTED(FindClusterChecked(state, command, c.cluster_id, &cluster));
  if (cluster->status != BidStatus::kAwarded) {
    return Reject(kClusterNotAwarded, "cluster " + cluster->id + " has not been awarded",
                  {{"cluster_id", cluster->id}});
  }
  const Programme& programme = *state.FindProgramme(cluster->programme_id);
  TRANCHE_RETURN_IF_REJECTED(CheckYearOpen(programme, c.financial_year));
  if (!c.financial_year.Contains(c.paid_on)) {
    return Reject(kOutsideFinancialYear,
                  "paid_on " + c.paid_on.ToString() + " is outside " + c.financial_year.Label() +
                      " (" + c.financial_year.Start().ToString() + " to " +
                      c.financial_year.End().ToString() + ")",
                  {{"field", "paid_on"},
                   {"paid_on", c.paid_on.ToString()},
                   {"financial_year", c.financial_year.Label()}});
  }
  if (const Cluster* holder = state.FindClusterByPaymentReference(c.payment_reference)) {
    return Reject(kPaymentReferenceExists,
                  "payment reference '" + c.payment_reference + "' is already recorded",
                  {{"payment_reference", c.payment_reference}, {"cluster_id", holder->id}});
  }
  TRANCHE_RETURN_IF_REJECTED(CheckTrancheFits(*cluster, c));
  return Emit(TrancheRecorded{cluster->programme_id, c.cluster_id, c.financial_year,
                              c.amount_pence, c.paid_on, c.payment_reference});
}

Decision DecideCommand(const State& state, const CommandEnvelope& command,
                       const ReverseTranche& c) {
  const Cluster* cluster = nullptr;
  TRANCHE_RETURN_IF_REJECTED(FindClusterChecked(state, command, c.cluster_id, &cluster));
  const std::optional<Tranche> found = cluster->tranches.Find(c.payment_reference);
  if (!found.has_value()) {
    return Reject(kTrancheNotFound,
                  "cluster " + c.cluster_id + " has no tranche '" + c.payment_reference + "'",
                  {{"cluster_id", c.cluster_id}, {"payment_reference", c.payment_reference}});
  }
  const Tranche& tranche = *found;
  if (tranche.reversed) {
    return Reject(kTrancheAlreadyReversed,
                  "tranche '" + c.payment_reference + "' is already reversed",
                  {{"cluster_id", c.cluster_id}, {"payment_reference", c.payment_reference}});
  }
  TRANCHE_RETURN_IF_REJECTED(
      CheckYearOpen(*state.FindProgramme(cluster->programme_id), tranche.financial_year));
  return Emit(TrancheReversed{cluster->programme_id, c.cluster_id, c.payment_reference,
                              tranche.financial_year, tranche.amount_pence, tranche.paid_on,
                              command.reason});
}

Decision DecideCommand(const State& state, const CommandEnvelope& command,
                       const CloseFinancialYear& c) {
  const Programme* programme = nullptr;
  TRANCHE_RETURN_IF_REJECTED(FindProgramme(state, c.programme_id, &programme));
  TRANCHE_RETURN_IF_REJECTED(CheckExpectedVersion(command.expected_version, programme->version,
                                                  ProgrammeStream(c.programme_id)));
  TRANCHE_RETURN_IF_REJECTED(CheckYearOpen(*programme, c.financial_year));
  FinancialYearClosed closed;
  closed.programme_id = c.programme_id;
  closed.financial_year = c.financial_year;
  closed.envelope_pence = programme->financial_years.at(c.financial_year).envelope_pence;
  for (const std::string& cluster_id : programme->cluster_ids) {
    const Cluster& cluster = *state.FindCluster(cluster_id);
    if (cluster.status != BidStatus::kAwarded) continue;
    ClusterUnderspend line;
    line.cluster_id = cluster_id;
    line.awarded_pence = cluster.AwardFor(c.financial_year);
    line.net_paid_pence = cluster.NetPaidFor(c.financial_year);
    line.underspend_pence = line.awarded_pence - line.net_paid_pence;
    closed.awarded_pence += line.awarded_pence;
    closed.net_paid_pence += line.net_paid_pence;
    closed.underspend_pence += line.underspend_pence;
    closed.clusters.push_back(std::move(line));
  }
  return Emit(std::move(closed));
}

}  // namespace tranche::core::internal
