// Decide: the rules of DESIGN.md's command table, one function per command.
// See decider.h for the order of checks.
#include "core/decider.h"

#include "core/decide_checks.h"

namespace tranche::core {

using namespace rejection;  // NOLINT: the codes read better unqualified here.

namespace {
using internal::CheckExpectedVersion;
using internal::CheckYearKnown;
using internal::CheckYearOpen;
using internal::FindClusterChecked;
using internal::InvalidField;
using internal::MaybeRejection;
using internal::Reject;
using internal::FindProgramme;

// Σ awards for `year` with `old_amount` replaced by `new_amount` must fit the envelope.
MaybeRejection CheckWithinEnvelope(const Programme& programme, FinancialYear year, Pence old_amount,
                             Pence new_amount) {
  const ProgrammeYear& totals = programme.financial_years.at(year);
  Pence awarded;
  if (Pence::TrySub(totals.awarded_pence, old_amount, &awarded) &&
      Pence::TryAdd(awarded, new_amount, &awarded) && awarded <= totals.envelope_pence) {
    return std::nullopt;
  }
  return Reject(kEnvelopeExceeded,
                "awarding " + FormatPounds(new_amount) + " in " + year.Label() +
                    " would exceed the envelope of " + FormatPounds(totals.envelope_pence) +
                    " (already awarded " + FormatPounds(totals.awarded_pence) + ")",
                {{"financial_year", year.Label()},
                 {"envelope_pence", std::to_string(totals.envelope_pence.value())},
                 {"awarded_pence", std::to_string(totals.awarded_pence.value())},
                 {"amount_pence", std::to_string(new_amount.value())}});
}

MaybeRejection CheckUndecided(const Cluster& cluster, Date decided_on) {
  if (cluster.status != BidStatus::kSubmitted) {
    return Reject(kBidAlreadyDecided,
                  "bid " + cluster.id + " is already " + std::string(BidStatusName(cluster.status)),
                  {{"cluster_id", cluster.id}, {"status", std::string(BidStatusName(cluster.status))}});
  }
  if (decided_on < cluster.submitted_on) {
    return InvalidField("decided_on", "before_submitted_on",
                        "a bid cannot be decided before it was submitted (" +
                            cluster.submitted_on.ToString() + ")");
  }
  return std::nullopt;
}

MaybeRejection CheckAwarded(const Cluster& cluster) {
  if (cluster.status == BidStatus::kAwarded) return std::nullopt;
  return Reject(kClusterNotAwarded, "cluster " + cluster.id + " has not been awarded",
                {{"cluster_id", cluster.id}, {"status", std::string(BidStatusName(cluster.status))}});
}

}  // namespace

namespace internal {

Decision Emit(Event event) {
  std::string stream = EventStream(event);
  return std::vector<DomainEvent>{DomainEvent{std::move(stream), std::move(event)}};
}

MaybeRejection FindProgramme(const State& state, std::string_view id, const Programme** out) {
  *out = state.FindProgramme(id);
  if (*out != nullptr) return std::nullopt;
  return Reject(kProgrammeNotFound, "no programme '" + std::string(id) + "'",
                {{"programme_id", std::string(id)}});
}

Decision DecideCommand(const State& state, const CommandEnvelope& command,
                             const OpenProgramme& c) {
  TRANCHE_RETURN_IF_REJECTED(CheckExpectedVersion(
      command.expected_version, state.StreamVersion(ProgrammeStream(c.programme_id)),
      ProgrammeStream(c.programme_id)));
  if (state.FindProgramme(c.programme_id) != nullptr) {
    return Reject(kProgrammeExists, "programme '" + c.programme_id + "' already exists",
                  {{"programme_id", c.programme_id}});
  }
  return Emit(ProgrammeOpened{c.programme_id, c.name, c.funder, c.financial_years});
}

Decision DecideCommand(const State& state, const CommandEnvelope& command, const SubmitBid& c) {
  TRANCHE_RETURN_IF_REJECTED(CheckExpectedVersion(
      command.expected_version, state.StreamVersion(ClusterStream(c.cluster_id)),
      ClusterStream(c.cluster_id)));
  const Programme* programme = nullptr;
  TRANCHE_RETURN_IF_REJECTED(FindProgramme(state, c.programme_id, &programme));
  if (state.FindCluster(c.cluster_id) != nullptr) {
    return Reject(kBidExists, "a bid or cluster '" + c.cluster_id + "' already exists",
                  {{"cluster_id", c.cluster_id}});
  }
  for (const auto& [year, amount] : c.requested) {
    TRANCHE_RETURN_IF_REJECTED(CheckYearKnown(*programme, year));
  }
  return Emit(BidSubmitted{c.programme_id, c.cluster_id, c.name, c.region, c.principal_partner,
                           c.work_programme, c.requested, c.submitted_on});
}

Decision DecideCommand(const State& state, const CommandEnvelope& command, const AwardBid& c) {
  const Cluster* cluster = nullptr;
  TRANCHE_RETURN_IF_REJECTED(FindClusterChecked(state, command, c.cluster_id, &cluster));
  TRANCHE_RETURN_IF_REJECTED(CheckUndecided(*cluster, c.decided_on));
  const Programme& programme = *state.FindProgramme(cluster->programme_id);
  for (const auto& [year, amount] : c.awards) {
    TRANCHE_RETURN_IF_REJECTED(CheckYearOpen(programme, year));
    TRANCHE_RETURN_IF_REJECTED(CheckWithinEnvelope(programme, year, Pence(0), amount));
  }
  return Emit(BidAwarded{cluster->programme_id, c.cluster_id, c.awards, c.decided_on});
}

Decision DecideCommand(const State& state, const CommandEnvelope& command, const RejectBid& c) {
  const Cluster* cluster = nullptr;
  TRANCHE_RETURN_IF_REJECTED(FindClusterChecked(state, command, c.cluster_id, &cluster));
  TRANCHE_RETURN_IF_REJECTED(CheckUndecided(*cluster, c.decided_on));
  return Emit(BidRejected{cluster->programme_id, c.cluster_id, c.decided_on, command.reason});
}

Decision DecideCommand(const State& state, const CommandEnvelope& command, const AmendAward& c) {
  const Cluster* cluster = nullptr;
  TRANCHE_RETURN_IF_REJECTED(FindClusterChecked(state, command, c.cluster_id, &cluster));
  TRANCHE_RETURN_IF_REJECTED(CheckAwarded(*cluster));
  const Programme& programme = *state.FindProgramme(cluster->programme_id);
  TRANCHE_RETURN_IF_REJECTED(CheckYearOpen(programme, c.financial_year));
  const Pence paid = cluster->NetPaidFor(c.financial_year);
  if (c.amount_pence < paid) {
    return Reject(kAwardBelowPaid,
                  "the award for " + c.financial_year.Label() + " cannot go below the " +
                      FormatPounds(paid) + " already paid",
                  {{"cluster_id", c.cluster_id},
                   {"financial_year", c.financial_year.Label()},
                   {"net_paid_pence", std::to_string(paid.value())},
                   {"amount_pence", std::to_string(c.amount_pence.value())}});
  }
  const Pence previous = cluster->AwardFor(c.financial_year);
  TRANCHE_RETURN_IF_REJECTED(CheckWithinEnvelope(programme, c.financial_year, previous, c.amount_pence));
  return Emit(AwardAmended{cluster->programme_id, c.cluster_id, c.financial_year, previous,
                           c.amount_pence, command.reason});
}

Decision DecideCommand(const State& state, const CommandEnvelope& command, const AddMember& c) {
  const Cluster* cluster = nullptr;
  TRANCHE_RETURN_IF_REJECTED(FindClusterChecked(state, command, c.cluster_id, &cluster));
  if (cluster->status == BidStatus::kRejected) TRANCHE_RETURN_IF_REJECTED(CheckAwarded(*cluster));
  const std::string organisation_id = c.organisation_id.value_or(DeriveOrganisationId(c.name));
  const auto member = cluster->members.find(organisation_id);
  if (member != cluster->members.end() && member->second.active()) {
    return Reject(kMemberExists,
                  "'" + organisation_id + "' is already a member of " + c.cluster_id,
                  {{"cluster_id", c.cluster_id}, {"organisation_id", organisation_id}});
  }
  return Emit(MemberAdded{cluster->programme_id, c.cluster_id, organisation_id, c.name, c.sector,
                          c.joined_on});
}

Decision DecideCommand(const State& state, const CommandEnvelope& command,
                            const RemoveMember& c) {
  const Cluster* cluster = nullptr;
  TRANCHE_RETURN_IF_REJECTED(FindClusterChecked(state, command, c.cluster_id, &cluster));
  if (c.organisation_id == DeriveOrganisationId(cluster->principal_partner)) {
    return Reject(kCannotRemovePrincipalPartner,
                  "'" + c.organisation_id + "' is the principal partner of " + c.cluster_id,
                  {{"cluster_id", c.cluster_id}, {"organisation_id", c.organisation_id}});
  }
  const auto member = cluster->members.find(c.organisation_id);
  if (member == cluster->members.end() || !member->second.active()) {
    return Reject(kMemberNotFound,
                  "'" + c.organisation_id + "' is not a current member of " + c.cluster_id,
                  {{"cluster_id", c.cluster_id}, {"organisation_id", c.organisation_id}});
  }
  if (c.left_on < member->second.joined_on) {
    return InvalidField("left_on", "before_joined_on",
                        "a member cannot leave before joining (" +
                            member->second.joined_on.ToString() + ")");
  }
  return Emit(MemberRemoved{cluster->programme_id, c.cluster_id, c.organisation_id, c.left_on,
                            command.reason});
}

}  // namespace internal

Decision Decide(const State& state, const CommandEnvelope& command) {
  TRANCHE_RETURN_IF_REJECTED(internal::CheckEnvelope(command, internal::ReasonRequired(command.body)));
  TRANCHE_RETURN_IF_REJECTED(internal::CheckBody(command.body));
  Decision decision = std::visit(
      [&](const auto& body) { return internal::DecideCommand(state, command, body); },
      command.body);
  if (const auto* events = std::get_if<std::vector<DomainEvent>>(&decision)) {
    TRANCHE_CHECK(events->size() == 1 && (*events)[0].stream == TargetStream(command.body));
  }
  return decision;
}

}  // namespace tranche::core
