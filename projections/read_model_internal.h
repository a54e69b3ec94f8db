// Internal to projections/: the position-stamped records behind ReadModel.
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/check.h"
#include "projections/read_model.h"

namespace tranche::projections {
namespace internal {

using core::BidStatus;
using core::FinancialYear;
using core::Pence;

inline Pence Plus(Pence a, Pence b) {
  Pence out;
  TRANCHE_CHECK_MSG(Pence::TryAdd(a, b, &out), "money overflow in a projection");
  return out;
}
inline Pence Minus(Pence a, Pence b) {
  Pence out;
  TRANCHE_CHECK_MSG(Pence::TrySub(a, b, &out), "money overflow in a projection");
  return out;
}

// Stream version at `position`: the number of the stream's events with
// position ≤ `position`, minus one; nullopt when there are none.
inline std::optional<uint64_t> VersionAt(const std::vector<uint64_t>& positions, uint64_t position) {
  auto end = std::upper_bound(positions.begin(), positions.end(), position);
  if (end == positions.begin()) return std::nullopt;
  return static_cast<uint64_t>(end - positions.begin() - 1);
}

struct AwardStep {
  uint64_t position;
  Pence amount;
};

struct StatusStep {
  uint64_t position;
  BidStatus status;
  std::optional<core::Date> decided_on;
  std::string reason;
};

struct TrancheRecord {
  TrancheView view;  // As recorded; `reversed` is derived per moment.
};

struct MemberRecord {
  MemberView view;  // As added; left_on is derived per moment.
  uint64_t added_position = 0;
  uint64_t removed_position = 0;  // 0 while a member.
  core::Date left_on;
  std::string left_reason;
};

struct YearRecord {
  FinancialYear financial_year;
  Pence envelope;
  uint64_t closed_position = 0;
  Pence underspend;
};

struct ProgrammeRecord {
  std::string id, name, funder;
  std::vector<YearRecord> years;
  std::vector<std::string> cluster_ids;  // In submission order.
  std::vector<uint64_t> positions;       // Of every event of its stream.
};

struct ClusterRecord {
  core::BidSubmitted bid;
  std::vector<StatusStep> statuses;  // First: submitted.
  std::map<FinancialYear, std::vector<AwardStep>> awards;
  std::vector<TrancheRecord> tranches;  // In log order.
  // Index into `tranches` by the hash of the payment reference; a lookup
  // compares the reference itself, so colliding hashes are harmless. Integer
  // keys keep the hot replay path off string-keyed nodes (bench/README.md).
  std::unordered_multimap<uint64_t, size_t> tranche_by_reference_hash;

  void IndexTranche(std::string_view reference, size_t index) {
    tranche_by_reference_hash.emplace(std::hash<std::string_view>{}(reference), index);
  }
  TrancheRecord* FindTranche(std::string_view reference) {
    auto [first, last] =
        tranche_by_reference_hash.equal_range(std::hash<std::string_view>{}(reference));
    for (auto it = first; it != last; ++it) {
      if (tranches[it->second].view.payment_reference == reference) return &tranches[it->second];
    }
    return nullptr;
  }
  std::vector<MemberRecord> members;  // In log order.
  std::unordered_map<std::string, size_t> active_member_by_id;
  std::vector<uint64_t> positions;
};


}  // namespace internal

struct ReadModel::Model {
  using ClusterRecord = internal::ClusterRecord;
  using ProgrammeRecord = internal::ProgrammeRecord;
  using Pence = core::Pence;
  using FinancialYear = core::FinancialYear;
  std::map<std::string, ProgrammeRecord, std::less<>> programmes;
  std::map<std::string, ClusterRecord, std::less<>> clusters;
  std::vector<int64_t> recorded_at;  // Index: position - 1.
  std::vector<LedgerEntry> ledger;
  std::map<std::pair<std::string, FinancialYear>, Pence> cluster_year_net;
  std::map<std::pair<std::string, FinancialYear>, Pence> programme_year_net;

  uint64_t head() const { return recorded_at.size(); }

  ClusterRecord& MutableCluster(const std::string& id) {
    auto it = clusters.find(id);
    TRANCHE_CHECK_MSG(it != clusters.end(), "event for an unknown cluster");
    return it->second;
  }
  ProgrammeRecord& MutableProgramme(const std::string& id) {
    auto it = programmes.find(id);
    TRANCHE_CHECK_MSG(it != programmes.end(), "event for an unknown programme");
    return it->second;
  }

  void AddLedgerRow(const EventEnvelope& envelope, const std::string& kind,
                    const std::string& programme_id, const std::string& cluster_id,
                    FinancialYear year, const std::string& reference, core::Date paid_on,
                    Pence signed_amount) {
    Pence& cluster_total = cluster_year_net[{cluster_id, year}];
    Pence& programme_total = programme_year_net[{programme_id, year}];
    cluster_total = internal::Plus(cluster_total, signed_amount);
    programme_total = internal::Plus(programme_total, signed_amount);
    ledger.push_back(LedgerEntry{envelope.position, envelope.recorded_at_us, envelope.actor,
                                 envelope.command_id, kind, programme_id, cluster_id, year,
                                 reference, paid_on, signed_amount, envelope.reason,
                                 cluster_total, programme_total});
  }

  void Apply(const EventEnvelope& envelope, const core::Event& event);
};


}  // namespace tranche::projections
