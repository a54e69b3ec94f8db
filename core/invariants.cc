// The write model's invariants: the cheap per-cluster check Evolve asserts and the full one.
#include <map>
#include <set>

#include "core/evolve.h"

namespace tranche::core {
namespace {

Status Violated(std::string message) {
  return Status::Internal("invariant_violated", std::move(message));
}

Status CheckProgrammeYears(const Programme& programme) {
  for (const auto& [year, totals] : programme.financial_years) {
    if (totals.awarded_pence.IsNegative() || totals.awarded_pence > totals.envelope_pence) {
      return Violated("programme " + programme.id + " " + year.Label() + ": awarded " +
                      FormatPounds(totals.awarded_pence) + " outside 0.." +
                      FormatPounds(totals.envelope_pence));
    }
  }
  return Status::Ok();
}

// Every tranche inside its year, and net paid per year equal to Σ unreversed tranches.
Status CheckTranches(const Cluster& cluster) {
  YearAmounts sums;
  for (const auto& [reference, tranche] : cluster.tranches) {
    if (!tranche.financial_year.Contains(tranche.paid_on) || !tranche.amount_pence.IsPositive()) {
      return Violated("cluster " + cluster.id + " tranche " + std::string(reference) +
                      " is malformed");
    }
    if (!tranche.reversed) sums[tranche.financial_year] += tranche.amount_pence;
  }
  for (const auto& [year, paid] : cluster.net_paid) {
    if (paid != (sums.contains(year) ? sums.at(year) : Pence(0))) {
      return Violated("cluster " + cluster.id + " " + year.Label() + ": net paid " +
                      FormatPounds(paid) + " is not the sum of its tranches");
    }
  }
  for (const auto& [year, sum] : sums) {
    if (!cluster.net_paid.contains(year)) {
      return Violated("cluster " + cluster.id + " " + year.Label() + ": net paid missing");
    }
  }
  return Status::Ok();
}

}  // namespace

Status CheckClusterInvariants(const State& state, std::string_view cluster_id) {
  const Cluster* cluster = state.FindCluster(cluster_id);
  if (cluster == nullptr) return Violated("no cluster " + std::string(cluster_id));
  const Programme* programme = state.FindProgramme(cluster->programme_id);
  if (programme == nullptr || !programme->cluster_ids.contains(cluster->id)) {
    return Violated("cluster " + cluster->id + " is not listed by its programme");
  }
  if (cluster->status != BidStatus::kAwarded && !cluster->awards.empty()) {
    return Violated("cluster " + cluster->id + " has awards but is not awarded");
  }
  for (const auto& [year, award] : cluster->awards) {
    if (!programme->financial_years.contains(year) || award.IsNegative()) {
      return Violated("cluster " + cluster->id + " " + year.Label() + ": bad award");
    }
  }
  for (const auto& [year, paid] : cluster->net_paid) {
    if (paid.IsNegative() || paid > cluster->AwardFor(year)) {
      return Violated("cluster " + cluster->id + " " + year.Label() + ": net paid " +
                      FormatPounds(paid) + " outside 0.." + FormatPounds(cluster->AwardFor(year)));
    }
  }
  return CheckProgrammeYears(*programme);
}

Status CheckInvariants(const State& state) {
  std::map<std::string, std::map<FinancialYear, Pence>> awarded_by_programme;
  std::set<std::string> references;
  for (const auto& [id, cluster] : state.clusters()) {
    if (Status status = CheckClusterInvariants(state, id); !status.ok()) return status;
    if (Status status = CheckTranches(*cluster); !status.ok()) return status;
    for (const auto& [reference, tranche] : cluster->tranches) {
      if (!references.emplace(reference).second) {
        return Violated("payment reference " + std::string(reference) +
                        " is held by two clusters");
      }
    }
    for (const auto& [organisation_id, member] : cluster->members) {
      if (member.left_on.has_value() && *member.left_on < member.joined_on) {
        return Violated("member " + organisation_id + " left before joining");
      }
    }
    for (const auto& [year, award] : cluster->awards) {
      awarded_by_programme[cluster->programme_id][year] += award;
    }
  }
  for (const auto& [id, programme] : state.programmes()) {
    for (const auto& [year, totals] : programme->financial_years) {
      const auto& sums = awarded_by_programme[id];
      const Pence sum = sums.contains(year) ? sums.at(year) : Pence(0);
      if (sum != totals.awarded_pence) {
        return Violated("programme " + id + " " + year.Label() + ": awarded " +
                        FormatPounds(totals.awarded_pence) + " but clusters hold " +
                        FormatPounds(sum));
      }
    }
    for (const std::string& cluster_id : programme->cluster_ids) {
      const Cluster* cluster = state.FindCluster(cluster_id);
      if (cluster == nullptr || cluster->programme_id != id) {
        return Violated("programme " + id + " lists a cluster it does not own: " + cluster_id);
      }
    }
    if (Status status = CheckProgrammeYears(*programme); !status.ok()) return status;
  }
  return Status::Ok();
}

}  // namespace tranche::core
