// ReadModel's queries: each view is a filter of position-stamped facts.
#include <mutex>

#include "projections/read_model.h"
#include "projections/read_model_internal.h"

namespace tranche::projections {
namespace {

using namespace internal;  // NOLINT: this file reads the internals.

// The award for `year` in force at `position` (0 when none).
Pence AwardAt(const ClusterRecord& cluster, FinancialYear year, uint64_t position) {
  auto it = cluster.awards.find(year);
  if (it == cluster.awards.end()) return Pence();
  Pence amount;
  for (const AwardStep& step : it->second) {
    if (step.position > position) break;
    amount = step.amount;
  }
  return amount;
}

const StatusStep& StatusAt(const ClusterRecord& cluster, uint64_t position) {
  const StatusStep* current = &cluster.statuses.front();
  for (const StatusStep& step : cluster.statuses) {
    if (step.position > position) break;
    current = &step;
  }
  return *current;
}

// Whether a tranche counts as paid at the moment: known, not reversed, and
// (with an effective date) paid by then.
bool TranchePaidAt(const TrancheRecord& tranche, const Moment& moment) {
  if (tranche.position > moment.as_of_position) return false;
  if (tranche.reversed_position != 0 && tranche.reversed_position <= moment.as_of_position) {
    return false;
  }
  return !moment.effective || tranche.paid_on <= *moment.effective;
}

// Σ tranches paid at the moment, per financial year, in one pass.
std::map<FinancialYear, Pence> NetPaidByYear(const ClusterRecord& cluster, const Moment& moment) {
  std::map<FinancialYear, Pence> totals;
  for (const TrancheRecord& t : cluster.tranches) {
    if (t.position > moment.as_of_position) break;
    if (TranchePaidAt(t, moment)) {
      Pence& total = totals[t.financial_year];
      total = Plus(total, t.amount_pence);
    }
  }
  return totals;
}

// `recorded_at(position)`: the model's RecordedAtOf.
template <class RecordedAt>
ClusterView BuildCluster(const ClusterRecord& c, const ProgrammeRecord& programme,
                         const Moment& moment, RecordedAt recorded_at) {
  const uint64_t at = moment.as_of_position;
  ClusterView view;
  view.moment = moment;
  view.id = c.bid.cluster_id;
  view.programme_id = c.bid.programme_id;
  view.name = c.bid.name;
  view.region = c.bid.region;
  view.principal_partner = c.bid.principal_partner;
  view.work_programme = c.bid.work_programme;
  view.submitted_on = c.bid.submitted_on;
  const StatusStep& status = StatusAt(c, at);
  view.status = status.status;
  view.decided_on = status.decided_on;
  view.rejection_reason = status.reason;
  view.version = VersionAt(c.positions, at).value_or(0);
  // Tranches are in log order: those known at the moment are a prefix. One
  // pass sums what each year paid and counts reversals.
  const auto known_end = std::upper_bound(
      c.tranches.begin(), c.tranches.end(), at,
      [](uint64_t position, const TrancheRecord& t) { return position < t.position; });
  view.tranche_count = static_cast<uint64_t>(known_end - c.tranches.begin());
  std::map<FinancialYear, Pence> net_paid;
  for (auto it = c.tranches.begin(); it != known_end; ++it) {
    const TrancheRecord& t = *it;
    if (t.reversed_position != 0 && t.reversed_position <= at) {
      ++view.reversed_tranche_count;
    } else if (!moment.effective || t.paid_on <= *moment.effective) {
      Pence& total = net_paid[t.financial_year];
      total = Plus(total, t.amount_pence);
    }
  }
  for (const YearRecord& year : programme.years) {
    ClusterYearView y;
    y.financial_year = year.financial_year;
    auto requested = c.bid.requested.find(year.financial_year);
    if (requested != c.bid.requested.end()) y.requested_pence = requested->second;
    y.award_pence = AwardAt(c, year.financial_year, at);
    y.net_paid_pence = net_paid[year.financial_year];
    y.remaining_pence = Minus(y.award_pence, y.net_paid_pence);
    view.financial_years.push_back(y);
  }
  // Members are in log order of their addition; former ones are counted and
  // only the latest removed are listed.
  std::vector<const MemberRecord*> former;
  for (const MemberRecord& m : c.members) {
    if (m.added_position > at) break;
    if (m.removed_position != 0 && m.removed_position <= at) {
      former.push_back(&m);
    } else {
      view.member_count_by_sector[m.sector]++;
      view.members.push_back(m.ToView());
    }
  }
  view.former_member_count = former.size();
  std::sort(former.begin(), former.end(), [](const MemberRecord* a, const MemberRecord* b) {
    return a->removed_position > b->removed_position;
  });
  former.resize(std::min(former.size(), kClusterViewFormerMembersMax));
  for (const MemberRecord* m : former) {
    MemberView member = m->ToView();
    member.left_on = m->left_on;
    member.left_reason = m->left_reason.view();
    view.former_members.push_back(std::move(member));
  }
  auto by_name = [](const MemberView& a, const MemberView& b) { return a.name < b.name; };
  std::sort(view.members.begin(), view.members.end(), by_name);
  const size_t shown = std::min<size_t>(view.tranche_count, kClusterViewTranchesMax);
  for (auto it = known_end - static_cast<std::ptrdiff_t>(shown); it != known_end; ++it) {
    TrancheView tranche = it->ToView(recorded_at(it->position));
    tranche.reversed = tranche.reversed_position != 0 && tranche.reversed_position <= at;
    if (!tranche.reversed) {
      tranche.reversed_position = 0;
      tranche.reversal_reason.clear();
    }
    view.tranches.push_back(std::move(tranche));
  }
  return view;
}

}  // namespace

StatusOr<ProgrammeView> ReadModel::Programme(std::string_view programme_id, Moment moment) const {
  std::shared_lock lock(mutex_);
  moment = Clamp(moment);
  auto it = model_->programmes.find(programme_id);
  if (it == model_->programmes.end() || it->second.positions.front() > moment.as_of_position) {
    return Status::NotFound("programme_not_found",
                            "no programme '" + std::string(programme_id) + "' at that moment");
  }
  const ProgrammeRecord& p = it->second;
  const uint64_t at = moment.as_of_position;
  ProgrammeView view;
  view.moment = moment;
  view.id = p.id;
  view.name = p.name;
  view.funder = p.funder;
  view.version = VersionAt(p.positions, at).value_or(0);
  for (const YearRecord& year : p.years) {
    YearFigures figures;
    figures.financial_year = year.financial_year;
    figures.envelope_pence = year.envelope;
    figures.closed = year.closed_position != 0 && year.closed_position <= at;
    if (figures.closed) figures.underspend_pence = year.underspend;
    view.financial_years.push_back(figures);
  }
  for (const std::string& cluster_id : p.cluster_ids) {
    const ClusterRecord& c = model_->clusters.at(cluster_id);
    if (c.positions.front() > at) break;  // Submitted in log order.
    view.clusters_by_status[std::string(core::BidStatusName(StatusAt(c, at).status))].push_back(
        cluster_id);
    std::map<FinancialYear, Pence> net_paid = NetPaidByYear(c, moment);
    for (YearFigures& figures : view.financial_years) {
      figures.awarded_pence =
          Plus(figures.awarded_pence, AwardAt(c, figures.financial_year, at));
      figures.paid_pence = Plus(figures.paid_pence, net_paid[figures.financial_year]);
    }
  }
  for (YearFigures& figures : view.financial_years) {
    figures.unallocated_pence = Minus(figures.envelope_pence, figures.awarded_pence);
    figures.remaining_pence = Minus(figures.awarded_pence, figures.paid_pence);
  }
  for (auto& [status, ids] : view.clusters_by_status) std::sort(ids.begin(), ids.end());
  return view;
}

std::vector<ProgrammeView> ReadModel::Programmes(Moment moment) const {
  std::vector<std::string> ids;
  {
    std::shared_lock lock(mutex_);
    for (const auto& [id, record] : model_->programmes) ids.push_back(id);
  }
  std::vector<ProgrammeView> out;
  for (const std::string& id : ids) {
    StatusOr<ProgrammeView> view = Programme(id, moment);
    if (view.ok()) out.push_back(std::move(view).value());
  }
  return out;
}

StatusOr<ClusterView> ReadModel::Cluster(std::string_view cluster_id, Moment moment) const {
  std::shared_lock lock(mutex_);
  moment = Clamp(moment);
  auto it = model_->clusters.find(cluster_id);
  if (it == model_->clusters.end() || it->second.positions.front() > moment.as_of_position) {
    return Status::NotFound("cluster_not_found",
                            "no cluster '" + std::string(cluster_id) + "' at that moment");
  }
  const ProgrammeRecord& programme = model_->programmes.at(it->second.bid.programme_id);
  return BuildCluster(it->second, programme, moment,
                      [this](uint64_t position) { return model_->RecordedAtOf(position); });
}

std::vector<ClusterView> ReadModel::Clusters(std::string_view programme_id, Moment moment) const {
  std::shared_lock lock(mutex_);
  moment = Clamp(moment);
  std::vector<ClusterView> out;
  for (const auto& [id, c] : model_->clusters) {
    if (c.positions.front() > moment.as_of_position) continue;
    if (!programme_id.empty() && c.bid.programme_id != programme_id) continue;
    out.push_back(BuildCluster(c, model_->programmes.at(c.bid.programme_id), moment,
                               [this](uint64_t position) { return model_->RecordedAtOf(position); }));
  }
  return out;
}

std::vector<LedgerEntry> ReadModel::Ledger(std::string_view cluster_id, Moment moment,
                                           uint64_t from_position, size_t limit) const {
  std::shared_lock lock(mutex_);
  moment = Clamp(moment);
  std::vector<LedgerEntry> out;
  const auto& ledger = model_->ledger;
  auto first = std::lower_bound(
      ledger.begin(), ledger.end(), from_position,
      [](const LedgerRow& row, uint64_t position) { return row.position < position; });
  for (auto it = first; it != ledger.end() && out.size() < limit; ++it) {
    const LedgerRow& row = *it;
    if (row.position > moment.as_of_position) break;
    if (!cluster_id.empty() && row.cluster_id() != cluster_id) continue;
    if (moment.effective && row.record().paid_on > *moment.effective) continue;
    out.push_back(row.ToEntry(model_->RecordedAtOf(row.position)));
  }
  return out;
}

int64_t ReadModel::RecordedAt(uint64_t position) const {
  std::shared_lock lock(mutex_);
  if (position == 0 || position > model_->recorded_at.size()) return 0;
  return model_->recorded_at[position - 1];
}

}  // namespace tranche::projections
