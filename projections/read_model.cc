// ReadModel: folds events into position-stamped facts and answers views.
#include "projections/read_model.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <type_traits>
#include <utility>

#include "core/check.h"
#include "core/prefault.h"
#include "projections/read_model_internal.h"

namespace tranche::projections {
namespace {
using namespace internal;  // NOLINT: this file implements the internals.
template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;
}  // namespace

void ReadModel::Model::Apply(const EventEnvelope& e, const core::Event& event) {
  const uint64_t p = e.position;
  std::visit(
      Overloaded{
          [&](const core::ProgrammeOpened& ev) {
            ProgrammeRecord record{ev.programme_id, ev.name, ev.funder, {}, {}, {p}, {}};
            for (const auto& year : ev.financial_years) {
              record.years.push_back(YearRecord{year.label, year.envelope_pence, 0, Pence()});
            }
            AddProgramme(ev.programme_id, std::move(record));
          },
          [&](const core::BidSubmitted& ev) {
            MutableProgramme(ev.programme_id).cluster_ids.push_back(ev.cluster_id);
            ClusterRecord record;
            record.bid = ev;
            record.statuses.push_back(StatusStep{p, BidStatus::kSubmitted, std::nullopt, ""});
            record.positions.push_back(p);
            AddCluster(ev.cluster_id, std::move(record));
          },
          [&](const core::BidAwarded& ev) {
            ClusterRecord& c = ClusterChangedAt(ev.cluster_id, p);
            c.statuses.push_back(StatusStep{p, BidStatus::kAwarded, ev.decided_on, ""});
            for (const auto& [year, amount] : ev.awards) c.awards[year].push_back({p, amount});
          },
          [&](const core::BidRejected& ev) {
            ClusterRecord& c = ClusterChangedAt(ev.cluster_id, p);
            c.statuses.push_back(StatusStep{p, BidStatus::kRejected, ev.decided_on, ev.reason});
          },
          [&](const core::AwardAmended& ev) {
            ClusterRecord& c = ClusterChangedAt(ev.cluster_id, p);
            c.awards[ev.financial_year].push_back({p, ev.amount_pence});
          },
          [&](const core::MemberAdded& ev) {
            ClusterRecord& c = ClusterChangedAt(ev.cluster_id, p);
            MemberRecord m;
            m.organisation_id = symbols.Intern(ev.organisation_id);
            m.name = symbols.Intern(ev.name);
            m.added_position = p;
            m.joined_on = ev.joined_on;
            m.sector = ev.sector;
            c.active_member_by_id[m.organisation_id.view()] = c.members.size();
            GrowPrefaulted(c.members);
            c.members.push_back(std::move(m));
          },
          [&](const core::MemberRemoved& ev) {
            ClusterRecord& c = ClusterChangedAt(ev.cluster_id, p);
            auto it = c.active_member_by_id.find(ev.organisation_id);
            TRANCHE_CHECK_MSG(it != c.active_member_by_id.end(), "removal of a non-member");
            MemberRecord& m = c.members[it->second];
            m.removed_position = p;
            m.left_on = ev.left_on;
            m.left_reason = arena.Copy(ev.reason);
            c.active_member_by_id.erase(it);
          },
          [&](const core::TrancheRecorded& ev) {
            ClusterRecord& c = ClusterChangedAt(ev.cluster_id, p);
            GrowPrefaulted(c.tranches);
            c.tranches.push_back(TrancheRecord{arena.Copy(ev.payment_reference),
                                               symbols.Intern(e.actor), {}, p, 0,
                                               ev.amount_pence, ev.paid_on,
                                               ev.financial_year});
            AddLedgerRow(e, false, MutableProgramme(ev.programme_id), c, c.tranches.size() - 1);
          },
          [&](const core::TrancheReversed& ev) {
            ClusterRecord& c = ClusterChangedAt(ev.cluster_id, p);
            const std::optional<size_t> index = c.FindTranche(ev.payment_reference);
            TRANCHE_CHECK_MSG(index.has_value(), "reversal of an unknown tranche");
            internal::TrancheRecord& tranche = c.tranches[*index];
            // The row's year, date and amount are the tranche's, as in the
            // write model (core/evolve.cc); the decider copies them into the
            // event from the tranche.
            tranche.reversed_position = p;
            tranche.reversal_reason = arena.Copy(ev.reason);
            AddLedgerRow(e, true, MutableProgramme(ev.programme_id), c, *index);
          },
          [&](const core::FinancialYearClosed& ev) {
            ProgrammeRecord& programme = MutableProgramme(ev.programme_id);
            programme.positions.push_back(p);
            for (auto& year : programme.years) {
              if (year.financial_year == ev.financial_year) {
                year.closed_position = p;
                year.underspend = ev.underspend_pence;
              }
            }
          },
      },
      event);
}

ReadModel::ReadModel() : model_(std::make_unique<Model>()) {}
ReadModel::~ReadModel() = default;

void ReadModel::Apply(const EventEnvelope& envelope, const core::Event& event) {
  std::unique_lock lock(mutex_);
  model_->ApplyInOrder(envelope, event);
}

void ReadModel::ReserveForReplay(uint64_t head) {
  std::unique_lock lock(mutex_);
  if (head <= model_->head()) return;
  const uint64_t events = head - model_->head();
  ReservePrefaulted(model_->recorded_at, head);  // Exact: one time per event.
  model_->ledger.reserve(model_->ledger.size() + events);
}

void ReadModel::ApplyBatch(const EventEnvelope* envelopes, const core::Event* events,
                           size_t count) {
  std::unique_lock lock(mutex_);
  for (size_t i = 0; i < count; ++i) model_->ApplyInOrder(envelopes[i], events[i]);
}

void ReadModel::Model::ApplyInOrder(const EventEnvelope& envelope, const core::Event& event) {
  TRANCHE_CHECK_MSG(envelope.position == head() + 1, "events applied out of order");
  // Recorded times never go backwards in the log (the pipeline stamps them),
  // but an imported log might; keep the index monotonic for binary search.
  int64_t at = envelope.recorded_at_us;
  if (!recorded_at.empty()) at = std::max(at, recorded_at.back());
  recorded_at.push_back(at);
  Apply(envelope, event);
}

uint64_t ReadModel::head() const {
  std::shared_lock lock(mutex_);
  return model_->head();
}

uint64_t ReadModel::PositionAtTime(int64_t unix_micros) const {
  std::shared_lock lock(mutex_);
  const auto& times = model_->recorded_at;
  return static_cast<uint64_t>(std::upper_bound(times.begin(), times.end(), unix_micros) -
                               times.begin());
}

Moment ReadModel::Clamp(Moment moment) const {
  moment.as_of_position = std::min(moment.as_of_position, model_->head());
  return moment;
}

}  // namespace tranche::projections
