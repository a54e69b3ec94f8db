// Internal to projections/: the position-stamped records behind ReadModel.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/check.h"
#include "core/reference_index.h"
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

// Per-event strings (payment references, command ids, reasons) copied once
// into large blocks and read back as string_views; a block never moves, so
// the views stay valid as long as the arena. One allocation per MiB instead
// of one or more per event, and no per-string header (bench/README.md).
class StringArena {
 public:
  std::string_view Copy(std::string_view text) {
    if (text.empty()) return {};
    if (text.size() > kBlockBytes / 4) {  // Large: a block of its own.
      large_.push_back(std::make_unique<char[]>(text.size()));
      std::memcpy(large_.back().get(), text.data(), text.size());
      return {large_.back().get(), text.size()};
    }
    if (blocks_.empty() || kBlockBytes - used_ < text.size()) {
      blocks_.push_back(std::make_unique<char[]>(kBlockBytes));
      used_ = 0;
    }
    char* out = blocks_.back().get() + used_;
    std::memcpy(out, text.data(), text.size());
    used_ += text.size();
    return {out, text.size()};
  }

 private:
  static constexpr size_t kBlockBytes = size_t{1} << 20;
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::vector<std::unique_ptr<char[]>> large_;
  size_t used_ = 0;  // Bytes used in blocks_.back().
};

// Strings with few distinct values (actors): one copy each, shared by every
// record that names them. Runs of the same value are common (one actor's
// batch), so the last one found is checked first.
class SymbolTable {
 public:
  std::string_view Intern(std::string_view text) {
    if (text == last_) return last_;
    auto it = symbols_.find(text);
    if (it == symbols_.end()) it = symbols_.emplace(text).first;
    last_ = *it;  // Set nodes never move.
    return last_;
  }

 private:
  std::set<std::string, std::less<>> symbols_;
  std::string_view last_;
};

// A tranche as recorded; whether it is reversed is derived per moment.
struct TrancheRecord {
  std::string_view payment_reference;  // In the model's arena.
  std::string_view actor;              // Interned.
  std::string_view reversal_reason;    // In the arena; empty until reversed.
  FinancialYear financial_year;
  Pence amount_pence;
  core::Date paid_on;
  uint64_t position = 0;
  int64_t recorded_at_us = 0;
  uint64_t reversed_position = 0;  // 0 while not reversed.

  TrancheView ToView() const {
    return TrancheView{std::string(payment_reference), financial_year, amount_pence, paid_on,
                       position, recorded_at_us, std::string(actor), false,
                       reversed_position, std::string(reversal_reason)};
  }
};

struct ClusterRecord;

// One ledger row (LedgerEntry) with its strings in the arena or interned,
// and its cluster (whose record never moves) for the cluster's and the
// programme's ids.
struct LedgerRow {
  uint64_t position = 0;
  int64_t recorded_at_us = 0;
  std::string_view actor;
  std::string_view command_id;
  const ClusterRecord* cluster = nullptr;
  std::string_view payment_reference;
  std::string_view reason;
  bool reversal = false;
  FinancialYear financial_year;
  core::Date paid_on;
  Pence amount_pence;  // Negative for a reversal.
  Pence cluster_year_total_pence;
  Pence programme_year_total_pence;

  inline std::string_view cluster_id() const;
  inline LedgerEntry ToEntry() const;
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
  std::map<FinancialYear, Pence> net_paid_by_year;  // Running total for the ledger.
};

struct ClusterRecord {
  core::BidSubmitted bid;
  std::vector<StatusStep> statuses;  // First: submitted.
  std::map<FinancialYear, std::vector<AwardStep>> awards;
  std::vector<TrancheRecord> tranches;  // In log order.
  // Index into `tranches` by payment reference.
  core::ReferenceIndex tranche_by_reference;
  // Net paid so far per year: the running total the ledger rows carry.
  std::map<FinancialYear, Pence> net_paid_by_year;

  // Tranches below this index are in tranche_by_reference. Indexing waits
  // for the next lookup (a reversal) and then takes every new tranche in one
  // batch, with the slots prefetched a few tranches ahead: one random slot
  // per insert is a cache miss, and a batch overlaps them.
  size_t indexed_tranches = 0;

  TrancheRecord* FindTranche(std::string_view reference) {
    IndexNewTranches();
    const std::optional<size_t> index = tranche_by_reference.Find(
        core::ReferenceHash(reference),
        [&](size_t i) { return tranches[i].payment_reference == reference; });
    return index ? &tranches[*index] : nullptr;
  }
  void IndexNewTranches() {
    constexpr size_t kAhead = 8;
    const size_t end = tranches.size();
    tranche_by_reference.Reserve(end);
    for (size_t i = indexed_tranches; i < end; ++i) {
      if (i + kAhead < end) {
        tranche_by_reference.Prefetch(core::ReferenceHash(tranches[i + kAhead].payment_reference));
      }
      tranche_by_reference.Insert(core::ReferenceHash(tranches[i].payment_reference), i);
    }
    indexed_tranches = end;
  }
  std::vector<MemberRecord> members;  // In log order.
  std::unordered_map<std::string, size_t> active_member_by_id;
  std::vector<uint64_t> positions;
};


inline std::string_view LedgerRow::cluster_id() const { return cluster->bid.cluster_id; }

inline LedgerEntry LedgerRow::ToEntry() const {
  return LedgerEntry{position, recorded_at_us, std::string(actor), std::string(command_id),
                     reversal ? "reversal" : "tranche", cluster->bid.programme_id,
                     cluster->bid.cluster_id, financial_year, std::string(payment_reference),
                     paid_on, amount_pence, std::string(reason), cluster_year_total_pence,
                     programme_year_total_pence};
}

}  // namespace internal

struct ReadModel::Model {
  using ClusterRecord = internal::ClusterRecord;
  using ProgrammeRecord = internal::ProgrammeRecord;
  using Pence = core::Pence;
  using FinancialYear = core::FinancialYear;
  // Map nodes never move and records are never erased, so string_views into
  // their ids (LedgerRow) stay valid.
  std::map<std::string, ProgrammeRecord, std::less<>> programmes;
  std::map<std::string, ClusterRecord, std::less<>> clusters;
  // The same records by id, hashed: every event looks its cluster (and a
  // tranche its programme) up, and the ordered maps' string compares were
  // the largest single cost of the read model's fold. Keys view the maps'
  // own keys; filled by AddProgramme and AddCluster only.
  std::unordered_map<std::string_view, ProgrammeRecord*> programme_by_id;
  std::unordered_map<std::string_view, ClusterRecord*> cluster_by_id;
  std::vector<int64_t> recorded_at;  // Index: position - 1.
  std::vector<internal::LedgerRow> ledger;
  internal::StringArena arena;
  // The ledger rows' strings when the model was loaded from a snapshot,
  // whose rows decode on a thread of their own (read_model_snapshot.cc).
  internal::StringArena ledger_arena;
  internal::SymbolTable symbols;

  uint64_t head() const { return recorded_at.size(); }

  Model() = default;
  Model(const Model&) = delete;  // The indexes point into this model's maps.
  Model& operator=(const Model&) = delete;

  // Inserts under `id` unless it is taken; the record, or nullptr when taken.
  ProgrammeRecord* AddProgramme(std::string id, ProgrammeRecord record) {
    auto [slot, inserted] = programmes.emplace(std::move(id), std::move(record));
    if (!inserted) return nullptr;
    programme_by_id.emplace(slot->first, &slot->second);
    return &slot->second;
  }
  ClusterRecord* AddCluster(std::string id, ClusterRecord record) {
    auto [slot, inserted] = clusters.emplace(std::move(id), std::move(record));
    if (!inserted) return nullptr;
    cluster_by_id.emplace(slot->first, &slot->second);
    return &slot->second;
  }
  ClusterRecord& MutableCluster(std::string_view id) {
    auto it = cluster_by_id.find(id);
    TRANCHE_CHECK_MSG(it != cluster_by_id.end(), "event for an unknown cluster");
    return *it->second;
  }
  ProgrammeRecord& MutableProgramme(std::string_view id) {
    auto it = programme_by_id.find(id);
    TRANCHE_CHECK_MSG(it != programme_by_id.end(), "event for an unknown programme");
    return *it->second;
  }

  // Appends a ledger row for a tranche or its reversal.
  // `reference` is the tranche's copy in the arena.
  void AddLedgerRow(const EventEnvelope& envelope, bool reversal, ProgrammeRecord& programme,
                    ClusterRecord& cluster, std::string_view reference, FinancialYear year,
                    core::Date paid_on, Pence signed_amount) {
    Pence& cluster_total = cluster.net_paid_by_year[year];
    Pence& programme_total = programme.net_paid_by_year[year];
    cluster_total = internal::Plus(cluster_total, signed_amount);
    programme_total = internal::Plus(programme_total, signed_amount);
    ledger.push_back(internal::LedgerRow{
        envelope.position, envelope.recorded_at_us, symbols.Intern(envelope.actor),
        arena.Copy(envelope.command_id), &cluster, reference, arena.Copy(envelope.reason),
        reversal, year, paid_on, signed_amount, cluster_total, programme_total});
  }

  void Apply(const EventEnvelope& envelope, const core::Event& event);
  // Checks the position follows the head, indexes its time, then Apply.
  void ApplyInOrder(const EventEnvelope& envelope, const core::Event& event);
};


}  // namespace tranche::projections
