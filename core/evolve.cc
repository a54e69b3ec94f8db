// Evolve: folds one event into the write model, then asserts what it touched.
#include "core/evolve.h"

#include <type_traits>

#include "core/check.h"

namespace tranche::core {
namespace {

void Apply(State& state, const ProgrammeOpened& e) {
  Programme programme;
  programme.id = e.programme_id;
  programme.name = e.name;
  programme.funder = e.funder;
  for (const FinancialYearEnvelope& year : e.financial_years) {
    programme.financial_years[year.label].envelope_pence = year.envelope_pence;
  }
  programme.version = 0;
  state.InsertProgramme(std::move(programme));
}

void Apply(State& state, const BidSubmitted& e) {
  Cluster cluster;
  cluster.id = e.cluster_id;
  cluster.programme_id = e.programme_id;
  cluster.name = e.name;
  cluster.region = e.region;
  cluster.principal_partner = e.principal_partner;
  cluster.work_programme = e.work_programme;
  cluster.requested = e.requested;
  cluster.submitted_on = e.submitted_on;
  cluster.version = 0;
  state.InsertCluster(std::move(cluster));
  state.MutableProgramme(e.programme_id).cluster_ids.insert(e.cluster_id);
}

void Apply(State& state, const BidAwarded& e) {
  Programme& programme = state.MutableProgramme(e.programme_id);
  for (const auto& [year, amount] : e.awards) {
    programme.financial_years.at(year).awarded_pence += amount;
  }
  Cluster& cluster = state.MutableCluster(e.cluster_id);
  cluster.status = BidStatus::kAwarded;
  cluster.decided_on = e.decided_on;
  cluster.awards = e.awards;
  ++cluster.version;
}

void Apply(State& state, const BidRejected& e) {
  Cluster& cluster = state.MutableCluster(e.cluster_id);
  cluster.status = BidStatus::kRejected;
  cluster.decided_on = e.decided_on;
  cluster.rejection_reason = e.reason;
  ++cluster.version;
}

void Apply(State& state, const AwardAmended& e) {
  Cluster& cluster = state.MutableCluster(e.cluster_id);
  ProgrammeYear& year = state.MutableProgramme(e.programme_id).financial_years.at(e.financial_year);
  // The cluster's own figure, not the event's previous_amount_pence, keeps the
  // programme total equal to the sum of the clusters' awards.
  year.awarded_pence = year.awarded_pence - cluster.AwardFor(e.financial_year) + e.amount_pence;
  cluster.awards[e.financial_year] = e.amount_pence;
  ++cluster.version;
}

void Apply(State& state, const MemberAdded& e) {
  Cluster& cluster = state.MutableCluster(e.cluster_id);
  cluster.members[e.organisation_id] = Member{e.name, e.sector, e.joined_on, std::nullopt};
  ++cluster.version;
}

void Apply(State& state, const MemberRemoved& e) {
  Cluster& cluster = state.MutableCluster(e.cluster_id);
  const auto member = cluster.members.find(e.organisation_id);
  TRANCHE_CHECK_MSG(member != cluster.members.end(), "MemberRemoved names no member");
  member->second.left_on = e.left_on;
  ++cluster.version;
}

void Apply(State& state, const TrancheRecorded& e) {
  TRANCHE_CHECK_MSG(e.financial_year.Contains(e.paid_on), "tranche outside its financial year");
  // Uniqueness within the cluster is checked here (one probe); uniqueness
  // across clusters is Decide's rule and CheckInvariants' check, because
  // scanning every cluster on each apply would dominate a long replay.
  Cluster& cluster = state.MutableCluster(e.cluster_id);
  TRANCHE_CHECK_MSG(cluster.tranches.Insert(e.payment_reference, Tranche{e.financial_year,
                                                                        e.amount_pence, e.paid_on,
                                                                        false, ""}),
                    "payment reference recorded twice");
  state.IndexPaymentReference(e.payment_reference, e.cluster_id);
  cluster.net_paid[e.financial_year] += e.amount_pence;
  ++cluster.version;
}

void Apply(State& state, const TrancheReversed& e) {
  Cluster& cluster = state.MutableCluster(e.cluster_id);
  const std::optional<Tranche> reversed = cluster.tranches.Reverse(e.payment_reference, e.reason);
  TRANCHE_CHECK_MSG(reversed.has_value(), "TrancheReversed names no unreversed tranche");
  cluster.net_paid[reversed->financial_year] -= reversed->amount_pence;
  ++cluster.version;
}

void Apply(State& state, const FinancialYearClosed& e) {
  Programme& programme = state.MutableProgramme(e.programme_id);
  programme.financial_years.at(e.financial_year).closed = true;
  ++programme.version;
}

}  // namespace

void Evolve(State& state, const DomainEvent& event) { Evolve(state, event.stream, event.event); }

void Evolve(State& state, std::string_view stream, const Event& event) {
  const std::string_view cluster_id = EvolveDeferringClusterCheck(state, stream, event);
  if (!cluster_id.empty()) {
    const Status status = CheckClusterInvariants(state, cluster_id);
    TRANCHE_CHECK_MSG(status.ok(), status.ToString().c_str());
  }
}

std::string_view EvolveDeferringClusterCheck(State& state, std::string_view stream,
                                             const Event& event) {
  TRANCHE_CHECK_MSG(IsEventStream(stream, event), "event applied to the wrong stream");
  return std::visit(
      [&state](const auto& payload) -> std::string_view {
        Apply(state, payload);
        using T = std::decay_t<decltype(payload)>;
        if constexpr (std::is_same_v<T, ProgrammeOpened> || std::is_same_v<T, FinancialYearClosed>) {
          return {};
        } else {
          return payload.cluster_id;
        }
      },
      event);
}

}  // namespace tranche::core
