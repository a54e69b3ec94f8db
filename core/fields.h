// Field lists of the domain's records, so that each codec (binary, JSON) is
// written once for all of them instead of once per struct.
//
// VisitFields(record, visitor) calls visitor("json_name", record.member) for
// each member in declaration order; `record` may be const (encoding) or not
// (decoding). The binary codec relies on this order: changing it changes the
// stored format and needs a new kEventSchemaVersion.
//
// Thread-safety: pure templates.
#pragma once

#include <concepts>
#include <map>
#include <optional>
#include <type_traits>
#include <vector>

#include "core/commands.h"
#include "core/events.h"
#include "core/state.h"

namespace tranche::core {

template <typename Self, typename Record>
concept FieldsOf = std::same_as<std::remove_const_t<Self>, Record>;

// The containers the codecs take apart field by field.
template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <typename T>
struct IsVector : std::false_type {};
template <typename T>
struct IsVector<std::vector<T>> : std::true_type {};
template <typename T>
struct IsMap : std::false_type {};
template <typename K, typename V>
struct IsMap<std::map<K, V>> : std::true_type {};

// Records whose fields VisitFields lists.
template <typename T>
concept HasFields = requires(T& record) { VisitFields(record, [](const char*, auto&) {}); };

template <FieldsOf<FinancialYearEnvelope> S, typename V>
void VisitFields(S& r, V&& v) {
  v("label", r.label);
  v("envelope_pence", r.envelope_pence);
}

template <FieldsOf<ClusterUnderspend> S, typename V>
void VisitFields(S& r, V&& v) {
  v("cluster_id", r.cluster_id);
  v("awarded_pence", r.awarded_pence);
  v("net_paid_pence", r.net_paid_pence);
  v("underspend_pence", r.underspend_pence);
}

// ---- Commands (the JSON bodies of DESIGN.md, without the envelope fields).

template <typename S, typename V>
  requires FieldsOf<S, OpenProgramme> || FieldsOf<S, ProgrammeOpened>
void VisitFields(S& r, V&& v) {
  v("programme_id", r.programme_id);
  v("name", r.name);
  v("funder", r.funder);
  v("financial_years", r.financial_years);
}

template <typename S, typename V>
  requires FieldsOf<S, SubmitBid> || FieldsOf<S, BidSubmitted>
void VisitFields(S& r, V&& v) {
  v("programme_id", r.programme_id);
  v("cluster_id", r.cluster_id);
  v("name", r.name);
  v("region", r.region);
  v("principal_partner", r.principal_partner);
  v("work_programme", r.work_programme);
  v("requested", r.requested);
  v("submitted_on", r.submitted_on);
}

template <FieldsOf<AwardBid> S, typename V>
void VisitFields(S& r, V&& v) {
  v("cluster_id", r.cluster_id);
  v("awards", r.awards);
  v("decided_on", r.decided_on);
}

template <FieldsOf<RejectBid> S, typename V>
void VisitFields(S& r, V&& v) {
  v("cluster_id", r.cluster_id);
  v("decided_on", r.decided_on);
}

template <FieldsOf<AmendAward> S, typename V>
void VisitFields(S& r, V&& v) {
  v("cluster_id", r.cluster_id);
  v("financial_year", r.financial_year);
  v("amount_pence", r.amount_pence);
}

template <FieldsOf<AddMember> S, typename V>
void VisitFields(S& r, V&& v) {
  v("cluster_id", r.cluster_id);
  v("name", r.name);
  v("sector", r.sector);
  v("joined_on", r.joined_on);
  v("organisation_id", r.organisation_id);
}

template <FieldsOf<RemoveMember> S, typename V>
void VisitFields(S& r, V&& v) {
  v("cluster_id", r.cluster_id);
  v("organisation_id", r.organisation_id);
  v("left_on", r.left_on);
}

template <FieldsOf<RecordTranche> S, typename V>
void VisitFields(S& r, V&& v) {
  v("cluster_id", r.cluster_id);
  v("financial_year", r.financial_year);
  v("amount_pence", r.amount_pence);
  v("paid_on", r.paid_on);
  v("payment_reference", r.payment_reference);
}

template <FieldsOf<ReverseTranche> S, typename V>
void VisitFields(S& r, V&& v) {
  v("cluster_id", r.cluster_id);
  v("payment_reference", r.payment_reference);
}

template <FieldsOf<CloseFinancialYear> S, typename V>
void VisitFields(S& r, V&& v) {
  v("programme_id", r.programme_id);
  v("financial_year", r.financial_year);
}

// ---- Events (ProgrammeOpened and BidSubmitted share their commands' lists).

template <FieldsOf<BidAwarded> S, typename V>
void VisitFields(S& r, V&& v) {
  v("programme_id", r.programme_id);
  v("cluster_id", r.cluster_id);
  v("awards", r.awards);
  v("decided_on", r.decided_on);
}

template <FieldsOf<BidRejected> S, typename V>
void VisitFields(S& r, V&& v) {
  v("programme_id", r.programme_id);
  v("cluster_id", r.cluster_id);
  v("decided_on", r.decided_on);
  v("reason", r.reason);
}

template <FieldsOf<AwardAmended> S, typename V>
void VisitFields(S& r, V&& v) {
  v("programme_id", r.programme_id);
  v("cluster_id", r.cluster_id);
  v("financial_year", r.financial_year);
  v("previous_amount_pence", r.previous_amount_pence);
  v("amount_pence", r.amount_pence);
  v("reason", r.reason);
}

template <FieldsOf<MemberAdded> S, typename V>
void VisitFields(S& r, V&& v) {
  v("programme_id", r.programme_id);
  v("cluster_id", r.cluster_id);
  v("organisation_id", r.organisation_id);
  v("name", r.name);
  v("sector", r.sector);
  v("joined_on", r.joined_on);
}

template <FieldsOf<MemberRemoved> S, typename V>
void VisitFields(S& r, V&& v) {
  v("programme_id", r.programme_id);
  v("cluster_id", r.cluster_id);
  v("organisation_id", r.organisation_id);
  v("left_on", r.left_on);
  v("reason", r.reason);
}

template <FieldsOf<TrancheRecorded> S, typename V>
void VisitFields(S& r, V&& v) {
  v("programme_id", r.programme_id);
  v("cluster_id", r.cluster_id);
  v("financial_year", r.financial_year);
  v("amount_pence", r.amount_pence);
  v("paid_on", r.paid_on);
  v("payment_reference", r.payment_reference);
}

template <FieldsOf<TrancheReversed> S, typename V>
void VisitFields(S& r, V&& v) {
  v("programme_id", r.programme_id);
  v("cluster_id", r.cluster_id);
  v("payment_reference", r.payment_reference);
  v("financial_year", r.financial_year);
  v("amount_pence", r.amount_pence);
  v("paid_on", r.paid_on);
  v("reason", r.reason);
}

template <FieldsOf<FinancialYearClosed> S, typename V>
void VisitFields(S& r, V&& v) {
  v("programme_id", r.programme_id);
  v("financial_year", r.financial_year);
  v("envelope_pence", r.envelope_pence);
  v("awarded_pence", r.awarded_pence);
  v("net_paid_pence", r.net_paid_pence);
  v("underspend_pence", r.underspend_pence);
  v("clusters", r.clusters);
}

// ---- The write model (for StateToJson / StateFromJson).

template <FieldsOf<ProgrammeYear> S, typename V>
void VisitFields(S& r, V&& v) {
  v("envelope_pence", r.envelope_pence);
  v("awarded_pence", r.awarded_pence);
  v("closed", r.closed);
}

template <FieldsOf<Programme> S, typename V>
void VisitFields(S& r, V&& v) {
  v("id", r.id);
  v("name", r.name);
  v("funder", r.funder);
  v("financial_years", r.financial_years);
  v("cluster_ids", r.cluster_ids);
  v("version", r.version);
}

template <FieldsOf<Tranche> S, typename V>
void VisitFields(S& r, V&& v) {
  v("financial_year", r.financial_year);
  v("amount_pence", r.amount_pence);
  v("paid_on", r.paid_on);
  v("reversed", r.reversed);
  v("reversal_reason", r.reversal_reason);
}

template <FieldsOf<Member> S, typename V>
void VisitFields(S& r, V&& v) {
  v("name", r.name);
  v("sector", r.sector);
  v("joined_on", r.joined_on);
  v("left_on", r.left_on);
}

template <FieldsOf<Cluster> S, typename V>
void VisitFields(S& r, V&& v) {
  v("id", r.id);
  v("programme_id", r.programme_id);
  v("name", r.name);
  v("region", r.region);
  v("principal_partner", r.principal_partner);
  v("work_programme", r.work_programme);
  v("requested", r.requested);
  v("submitted_on", r.submitted_on);
  v("status", r.status);
  v("decided_on", r.decided_on);
  v("rejection_reason", r.rejection_reason);
  v("awards", r.awards);
  v("net_paid", r.net_paid);
  v("tranches", r.tranches);
  v("members", r.members);
  v("version", r.version);
}

}  // namespace tranche::core
