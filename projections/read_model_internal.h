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
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/check.h"
#include "core/prefault.h"
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

// A string held by a StringArena or a SymbolTable, one pointer wide: the
// pointer is to a 4-byte length followed by the bytes (nullptr: empty). A
// string_view is two words; records hold several strings each and there are
// millions of records, so the half saved is ~24 bytes per ledger row.
class ArenaString {
 public:
  ArenaString() = default;
  std::string_view view() const {
    if (prefixed_ == nullptr) return {};
    uint32_t size;
    std::memcpy(&size, prefixed_, sizeof size);
    return {prefixed_ + sizeof size, size};
  }
  // Same storage: interned strings compare by pointer.
  const char* identity() const { return prefixed_; }

  // A string laid out as the arena lays them out (a 4-byte length in the
  // machine's order, then the bytes, at least one) in memory kept as long
  // as every record that names it: a loaded snapshot's mapped file, whose
  // strings are read in place (read_model_snapshot.cc).
  static ArenaString Kept(const char* prefixed) { return ArenaString(prefixed); }

 private:
  friend class StringArena;
  explicit ArenaString(const char* prefixed) : prefixed_(prefixed) {}
  const char* prefixed_ = nullptr;
};

// Per-event strings (payment references, command ids, reasons) copied once
// into large blocks and read back as ArenaStrings; a block never moves, so
// they stay valid as long as the arena. One allocation per MiB instead of
// one or more per event, and no per-string header but the length
// (bench/README.md).
class StringArena {
 public:
  ArenaString Copy(std::string_view text) {
    if (text.empty()) return {};
    TRANCHE_CHECK_MSG(text.size() <= UINT32_MAX, "string too long for the arena");
    const uint32_t size = static_cast<uint32_t>(text.size());
    const size_t bytes = sizeof size + text.size();
    char* out;
    if (bytes > kBlockBytes / 4) {  // Large: a block of its own.
      large_.push_back(std::make_unique<char[]>(bytes));
      out = large_.back().get();
    } else {
      if (blocks_.empty() || kBlockBytes - used_ < bytes) {
        blocks_.push_back(std::make_unique_for_overwrite<char[]>(kBlockBytes));
        PrefaultForWrite(blocks_.back().get(), kBlockBytes);  // Filled to the end.
        used_ = 0;
      }
      out = blocks_.back().get() + used_;
      used_ += bytes;
    }
    std::memcpy(out, &size, sizeof size);
    std::memcpy(out + sizeof size, text.data(), text.size());
    return ArenaString(out);
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
  ArenaString Intern(std::string_view text) {
    if (text == last_.view()) return last_;
    auto it = symbols_.find(text);
    if (it == symbols_.end()) {
      const ArenaString copy = arena_.Copy(text);
      it = symbols_.emplace(copy.view(), copy).first;
    }
    last_ = it->second;
    return last_;
  }

 private:
  StringArena arena_;
  std::unordered_map<std::string_view, ArenaString> symbols_;  // Keys view arena_.
  ArenaString last_;
};

// A tranche as recorded; whether it is reversed is derived per moment.
struct TrancheRecord {
  ArenaString payment_reference;  // In the model's arena.
  ArenaString actor;              // Interned.
  ArenaString reversal_reason;    // In the arena; empty until reversed.
  uint64_t position = 0;
  uint64_t reversed_position = 0;  // 0 while not reversed.
  Pence amount_pence;
  core::Date paid_on;
  FinancialYear financial_year;

  // `recorded_at_us`: the model's RecordedAtOf(position).
  TrancheView ToView(int64_t recorded_at_us) const {
    return TrancheView{std::string(payment_reference.view()), financial_year, amount_pence,
                       paid_on, position, recorded_at_us, std::string(actor.view()), false,
                       reversed_position, std::string(reversal_reason.view())};
  }
};

struct ClusterRecord;

// One ledger row (LedgerEntry): a tranche's payment or its reversal. The
// tranche (by index in its cluster, whose record never moves) gives the
// reference, year, date and amount, and the model's time index its time
// (Model::RecordedAtOf), so a row holds only what is its own.
struct LedgerRow {
  uint64_t position = 0;
  const ClusterRecord* cluster = nullptr;
  ArenaString actor;  // Interned.
  ArenaString command_id;
  ArenaString reason;
  Pence cluster_year_total_pence;
  Pence programme_year_total_pence;
  uint32_t tranche = 0;  // Index in cluster->tranches.
  bool reversal = false;

  inline const TrancheRecord& record() const;
  inline std::string_view cluster_id() const;
  // `recorded_at_us`: the model's RecordedAtOf(position).
  inline LedgerEntry ToEntry(int64_t recorded_at_us) const;
};

// A membership, from its addition to its removal (if any). A cluster's
// members come and go under a few ids and names, which are interned: a
// long log holds many memberships, and three strings of their own each were
// most of a snapshot load's heap allocations.
struct MemberRecord {
  ArenaString organisation_id;  // Interned.
  ArenaString name;             // Interned.
  ArenaString left_reason;      // In the model's arena; empty until removed.
  uint64_t added_position = 0;
  uint64_t removed_position = 0;  // 0 while a member.
  core::Date joined_on;
  core::Date left_on;  // Meaningful once removed.
  core::Sector sector = core::Sector::kOther;

  // As added; whether and when it left is for the caller to say per moment.
  MemberView ToView() const {
    return MemberView{std::string(organisation_id.view()), std::string(name.view()), sector,
                      joined_on, std::nullopt, std::string()};
  }
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

  // The index in `tranches` of the tranche with `reference`, or nullopt.
  std::optional<size_t> FindTranche(std::string_view reference) {
    IndexNewTranches();
    return tranche_by_reference.Find(core::ReferenceHash(reference), [&](size_t i) {
      return tranches[i].payment_reference.view() == reference;
    });
  }
  void IndexNewTranches() {
    constexpr size_t kAhead = 8;
    const size_t end = tranches.size();
    tranche_by_reference.Reserve(end);
    for (size_t i = indexed_tranches; i < end; ++i) {
      if (i + kAhead < end) {
        tranche_by_reference.Prefetch(
            core::ReferenceHash(tranches[i + kAhead].payment_reference.view()));
      }
      tranche_by_reference.Insert(core::ReferenceHash(tranches[i].payment_reference.view()), i);
    }
    indexed_tranches = end;
  }
  std::vector<MemberRecord> members;  // In log order.
  // Keys view the members' interned ids.
  std::unordered_map<std::string_view, size_t> active_member_by_id;
  std::vector<uint64_t> positions;
};


inline const TrancheRecord& LedgerRow::record() const { return cluster->tranches[tranche]; }

inline std::string_view LedgerRow::cluster_id() const { return cluster->bid.cluster_id; }

inline LedgerEntry LedgerRow::ToEntry(int64_t recorded_at_us) const {
  const TrancheRecord& t = record();
  return LedgerEntry{position, recorded_at_us, std::string(actor.view()),
                     std::string(command_id.view()), reversal ? "reversal" : "tranche",
                     cluster->bid.programme_id, cluster->bid.cluster_id, t.financial_year,
                     std::string(t.payment_reference.view()), t.paid_on,
                     reversal ? Minus(Pence(), t.amount_pence) : t.amount_pence,
                     std::string(reason.view()), cluster_year_total_pence,
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
  // Index: position - 1. Kept from going backwards for binary search, so
  // where an event's own time is earlier (an imported log; the pipeline
  // stamps times in order) and the event has a ledger row, its own time is
  // in recorded_at_exceptions, by position, ascending.
  std::vector<int64_t> recorded_at;
  std::vector<std::pair<uint64_t, int64_t>> recorded_at_exceptions;
  std::vector<internal::LedgerRow> ledger;
  internal::StringArena arena;
  // The snapshot the model was loaded from, if it was: the per-event
  // strings it held (payment references, command ids, reasons) are read in
  // place from these bytes (ArenaString::Kept), which live as long as the
  // model does.
  std::shared_ptr<const void> snapshot_bytes;
  internal::SymbolTable symbols;

  uint64_t head() const { return recorded_at.size(); }

  // The time the event at `position` (a tranche's, a ledger row's) was
  // recorded; requires 1 <= position <= head().
  int64_t RecordedAtOf(uint64_t position) const {
    if (!recorded_at_exceptions.empty()) {
      auto it = std::lower_bound(recorded_at_exceptions.begin(), recorded_at_exceptions.end(),
                                 position, [](const std::pair<uint64_t, int64_t>& e,
                                              uint64_t p) { return e.first < p; });
      if (it != recorded_at_exceptions.end() && it->first == position) return it->second;
    }
    return recorded_at[position - 1];
  }

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
  // The cluster an event of its stream changes, with the event's position
  // recorded. The positions grow by one per event of the stream, to
  // megabytes in a long replay: GrowPrefaulted (core/prefault.h).
  ClusterRecord& ClusterChangedAt(std::string_view id, uint64_t position) {
    ClusterRecord& cluster = MutableCluster(id);
    GrowPrefaulted(cluster.positions);
    cluster.positions.push_back(position);
    return cluster;
  }
  ProgrammeRecord& MutableProgramme(std::string_view id) {
    auto it = programme_by_id.find(id);
    TRANCHE_CHECK_MSG(it != programme_by_id.end(), "event for an unknown programme");
    return *it->second;
  }

  // Appends a ledger row for the cluster's tranche at `tranche` (an index in
  // cluster.tranches), or for its reversal.
  void AddLedgerRow(const EventEnvelope& envelope, bool reversal, ProgrammeRecord& programme,
                    ClusterRecord& cluster, size_t tranche) {
    const internal::TrancheRecord& t = cluster.tranches[tranche];
    const Pence signed_amount = reversal ? internal::Minus(Pence(), t.amount_pence)
                                         : t.amount_pence;
    Pence& cluster_total = cluster.net_paid_by_year[t.financial_year];
    Pence& programme_total = programme.net_paid_by_year[t.financial_year];
    cluster_total = internal::Plus(cluster_total, signed_amount);
    programme_total = internal::Plus(programme_total, signed_amount);
    TRANCHE_CHECK_MSG(tranche <= UINT32_MAX, "too many tranches in one cluster");
    // A replay reserves the ledger (ReserveForReplay): populate the room
    // ahead a step at a time (core/prefault.h), so that the rows fill
    // memory already there.
    constexpr size_t kPrefaultRows = 8192;
    if (ledger.size() % kPrefaultRows == 0 && ledger.capacity() - ledger.size() >= kPrefaultRows) {
      PrefaultForWrite(ledger.data() + ledger.size(), kPrefaultRows * sizeof(internal::LedgerRow));
    }
    TRANCHE_CHECK_MSG(envelope.position == head(), "a ledger row before its time is indexed");
    if (envelope.recorded_at_us != recorded_at.back()) {
      recorded_at_exceptions.emplace_back(envelope.position, envelope.recorded_at_us);
    }
    ledger.push_back(internal::LedgerRow{
        envelope.position, &cluster, symbols.Intern(envelope.actor),
        arena.Copy(envelope.command_id), arena.Copy(envelope.reason), cluster_total,
        programme_total, static_cast<uint32_t>(tranche), reversal});
  }

  void Apply(const EventEnvelope& envelope, const core::Event& event);
  // Checks the position follows the head, indexes its time, then Apply.
  void ApplyInOrder(const EventEnvelope& envelope, const core::Event& event);
};


}  // namespace tranche::projections
