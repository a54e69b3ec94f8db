// State: the write model Decide reads and Evolve writes.
//
// Programmes and clusters are held by shared pointer and copied on write, so
// copying a State costs O(number of programmes + clusters), not O(events):
// projections and snapshots may take copies freely. Evolve clones a cluster
// only when a copy still shares it; likewise the index of payment references,
// which the first tranche recorded after a copy clones (O(tranches)).
//
// Thread-safety: a State is a value. Distinct copies may be read and written
// from distinct threads (the copy-on-write bookkeeping is thread-safe); one
// object must not be written while another thread reads it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/commands.h"
#include "core/date.h"
#include "core/financial_year.h"
#include "core/ids.h"
#include "core/money.h"
#include "core/reference_index.h"
#include "core/status.h"
#include "core/tranche_table.h"

namespace tranche::core {

struct ProgrammeYear {
  Pence envelope_pence;
  Pence awarded_pence;  // Σ awards of awarded clusters for this year.
  bool closed = false;
  bool operator==(const ProgrammeYear&) const = default;
};

struct Programme {
  std::string id;
  std::string name;
  std::string funder;
  std::map<FinancialYear, ProgrammeYear> financial_years;
  std::set<std::string> cluster_ids;  // Every bid submitted to it.
  uint64_t version = 0;               // Of stream programme-<id>.
  bool operator==(const Programme&) const = default;
};

enum class BidStatus { kSubmitted, kAwarded, kRejected };
// "submitted", "awarded", "rejected".
std::string_view BidStatusName(BidStatus status);
std::optional<BidStatus> ParseBidStatus(std::string_view name);

struct Member {
  std::string name;
  Sector sector = Sector::kOther;
  Date joined_on;
  std::optional<Date> left_on;  // Set once removed.
  bool active() const { return !left_on.has_value(); }
  bool operator==(const Member&) const = default;
};

struct Cluster {
  std::string id;
  std::string programme_id;
  std::string name;
  std::string region;
  std::string principal_partner;
  std::string work_programme;
  YearAmounts requested;
  Date submitted_on;
  BidStatus status = BidStatus::kSubmitted;
  std::optional<Date> decided_on;
  std::string rejection_reason;               // "" unless rejected.
  YearAmounts awards;                         // Empty unless awarded.
  YearAmounts net_paid;                       // Σ unreversed tranches per year.
  TrancheTable tranches;                      // In recording order; by reference.
  std::map<std::string, Member> members;      // By organisation id.
  uint64_t version = 0;                       // Of stream cluster-<id>.

  // 0 when the year has no award / no payment.
  Pence AwardFor(FinancialYear year) const;
  Pence NetPaidFor(FinancialYear year) const;
  bool operator==(const Cluster&) const = default;
};

class State {
 public:
  State() = default;
  // A copy shares the programmes and clusters (copy on write) and rebuilds
  // its own index of them: O(clusters).
  State(const State& other);
  State& operator=(const State& other);
  State(State&&) = default;
  State& operator=(State&&) = default;

  // nullptr when absent. Pointers stay valid until this State is next written.
  const Programme* FindProgramme(std::string_view programme_id) const;
  const Cluster* FindCluster(std::string_view cluster_id) const;
  // The cluster holding `payment_reference`, or nullptr. One hash probe,
  // then a lookup in each cluster whose ordinal the probe names (usually one).
  const Cluster* FindClusterByPaymentReference(std::string_view payment_reference) const;
  // The last version of "programme-<id>" / "cluster-<id>"; nullopt when the
  // stream has no events (or the name is neither form).
  std::optional<uint64_t> StreamVersion(std::string_view stream) const;

  // Read-only iteration, ordered by id.
  using ProgrammeMap = std::map<std::string, std::shared_ptr<const Programme>, std::less<>>;
  using ClusterMap = std::map<std::string, std::shared_ptr<const Cluster>, std::less<>>;
  const ProgrammeMap& programmes() const { return programmes_; }
  const ClusterMap& clusters() const { return clusters_; }

  // For Evolve and StateFromJson only. Insert* TRANCHE_CHECK the id is new;
  // Mutable* TRANCHE_CHECK it exists and clone the entry if another copy shares it.
  Programme& InsertProgramme(Programme programme);
  Cluster& InsertCluster(Cluster cluster);
  Programme& MutableProgramme(std::string_view programme_id);
  Cluster& MutableCluster(std::string_view cluster_id);
  // For Evolve: `cluster_id` (inserted) now holds `payment_reference`.
  void IndexPaymentReference(std::string_view payment_reference, std::string_view cluster_id);
  // A hint for replay: an event a few ahead will index `payment_reference`,
  // so its slot can be fetched into the cache meanwhile. Changes nothing.
  void PrefetchPaymentReference(std::string_view payment_reference) const {
    references_->Prefetch(ReferenceHash(payment_reference));
  }
  // The same for the tranche table of `cluster_id` (when it exists), which
  // a recorded or reversed tranche probes.
  void PrefetchClusterTranche(std::string_view cluster_id,
                              std::string_view payment_reference) const;

  // Deep comparison of the contents (not of the pointers).
  bool operator==(const State& other) const;

 private:
  friend void EncodeStateSnapshot(const State& state, std::string* out);
  friend Status DecodeStateSnapshot(std::string_view bytes, State* out);

  // Gives the cluster at `slot`, just inserted into clusters_, the next
  // ordinal.
  void IndexCluster(ClusterMap::iterator slot);
  // The entry of clusters_ for `cluster_id`, or clusters_.end().
  ClusterMap::iterator FindClusterSlot(std::string_view cluster_id);
  ClusterMap::const_iterator FindClusterSlot(std::string_view cluster_id) const;

  ProgrammeMap programmes_;
  ClusterMap clusters_;
  // Which cluster holds each payment reference, for the cross-cluster rule:
  // the hash of every recorded reference to the ordinal of its cluster (a
  // position in cluster_slots_, insertion order). Derived from clusters_, so
  // operator== ignores it; shared between copies until one writes.
  std::shared_ptr<const ReferenceIndex> references_ = std::make_shared<ReferenceIndex>();
  // clusters_ by ordinal, and each id's ordinal (keys view clusters_'s own
  // keys). Every event of a cluster looks it up, two or three times in a
  // replay, and one hash probe costs far less than the ordered map's
  // string compares (bench/README.md). Both point into this object's
  // clusters_, so a copy builds its own.
  std::vector<ClusterMap::iterator> cluster_slots_;
  std::unordered_map<std::string_view, uint32_t> cluster_ordinals_;
};

}  // namespace tranche::core
