// The write model's lookups and copy-on-write bookkeeping.
#include "core/state.h"

#include <atomic>

#include "core/check.h"

namespace tranche::core {
namespace {

// Returns a writable object for `slot`, cloning it first if another State
// copy shares it. Entries are created non-const (make_shared<T>), so casting
// away const on an unshared one is well defined. A use_count of 1 read here
// means every other owner has released it; the fence orders their last reads
// before our writes.
//
// ThreadSanitizer does not model standalone fences (GCC refuses to compile one
// under -fsanitize=thread), so a TSan build always clones: the same result,
// by a path whose ordering TSan can see. Only that build takes this branch.
template <typename T>
T& Unshare(std::shared_ptr<const T>& slot) {
#if defined(__SANITIZE_THREAD__)
  slot = std::make_shared<T>(*slot);
#else
  if (slot.use_count() != 1) {
    slot = std::make_shared<T>(*slot);
  } else {
    std::atomic_thread_fence(std::memory_order_acquire);
  }
#endif
  return const_cast<T&>(*slot);
}

template <typename Map>
bool DeepEqual(const Map& a, const Map& b) {
  if (a.size() != b.size()) return false;
  for (auto i = a.begin(), j = b.begin(); i != a.end(); ++i, ++j) {
    if (i->first != j->first) return false;
    if (i->second != j->second && !(*i->second == *j->second)) return false;
  }
  return true;
}

}  // namespace

std::string_view BidStatusName(BidStatus status) {
  switch (status) {
    case BidStatus::kSubmitted: return "submitted";
    case BidStatus::kAwarded: return "awarded";
    case BidStatus::kRejected: return "rejected";
  }
  TRANCHE_UNREACHABLE("unknown BidStatus");
}

std::optional<BidStatus> ParseBidStatus(std::string_view name) {
  for (const BidStatus status : {BidStatus::kSubmitted, BidStatus::kAwarded, BidStatus::kRejected}) {
    if (BidStatusName(status) == name) return status;
  }
  return std::nullopt;
}

Pence Cluster::AwardFor(FinancialYear year) const {
  const auto found = awards.find(year);
  return found == awards.end() ? Pence(0) : found->second;
}

Pence Cluster::NetPaidFor(FinancialYear year) const {
  const auto found = net_paid.find(year);
  return found == net_paid.end() ? Pence(0) : found->second;
}

State::State(const State& other)
    : programmes_(other.programmes_), clusters_(other.clusters_), references_(other.references_) {
  cluster_slots_.reserve(other.cluster_slots_.size());
  cluster_ordinals_.reserve(other.cluster_slots_.size());
  for (const ClusterMap::iterator& slot : other.cluster_slots_) {
    IndexCluster(clusters_.find(slot->first));
  }
}

State& State::operator=(const State& other) {
  if (this != &other) *this = State(other);
  return *this;
}

void State::IndexCluster(ClusterMap::iterator slot) {
  cluster_ordinals_.emplace(slot->first, static_cast<uint32_t>(cluster_slots_.size()));
  cluster_slots_.push_back(slot);
}

State::ClusterMap::iterator State::FindClusterSlot(std::string_view cluster_id) {
  const auto found = cluster_ordinals_.find(cluster_id);
  return found == cluster_ordinals_.end() ? clusters_.end() : cluster_slots_[found->second];
}

State::ClusterMap::const_iterator State::FindClusterSlot(std::string_view cluster_id) const {
  const auto found = cluster_ordinals_.find(cluster_id);
  return found == cluster_ordinals_.end() ? clusters_.end() : cluster_slots_[found->second];
}

const Programme* State::FindProgramme(std::string_view programme_id) const {
  const auto found = programmes_.find(programme_id);
  return found == programmes_.end() ? nullptr : found->second.get();
}

const Cluster* State::FindCluster(std::string_view cluster_id) const {
  const auto found = FindClusterSlot(cluster_id);
  return found == clusters_.end() ? nullptr : found->second.get();
}

const Cluster* State::FindClusterByPaymentReference(std::string_view payment_reference) const {
  const Cluster* holder = nullptr;
  references_->Find(ReferenceHash(payment_reference), [&](size_t ordinal) {
    const Cluster* cluster = cluster_slots_[ordinal]->second.get();
    if (!cluster->tranches.Contains(payment_reference)) return false;
    holder = cluster;
    return true;
  });
  return holder;
}

void State::PrefetchClusterTranche(std::string_view cluster_id,
                                   std::string_view payment_reference) const {
  const auto it = FindClusterSlot(cluster_id);
  if (it != clusters_.end()) it->second->tranches.Prefetch(payment_reference);
}

void State::IndexPaymentReference(std::string_view payment_reference,
                                  std::string_view cluster_id) {
  const auto ordinal = cluster_ordinals_.find(cluster_id);
  TRANCHE_CHECK_MSG(ordinal != cluster_ordinals_.end(), "reference for an unknown cluster");
  Unshare(references_).Insert(ReferenceHash(payment_reference), ordinal->second);
}

std::optional<uint64_t> State::StreamVersion(std::string_view stream) const {
  static constexpr std::string_view kProgramme = "programme-";
  static constexpr std::string_view kCluster = "cluster-";
  if (stream.starts_with(kProgramme)) {
    const Programme* programme = FindProgramme(stream.substr(kProgramme.size()));
    if (programme != nullptr) return programme->version;
  } else if (stream.starts_with(kCluster)) {
    const Cluster* cluster = FindCluster(stream.substr(kCluster.size()));
    if (cluster != nullptr) return cluster->version;
  }
  return std::nullopt;
}

Programme& State::InsertProgramme(Programme programme) {
  std::string id = programme.id;
  auto [slot, inserted] =
      programmes_.emplace(std::move(id), std::make_shared<Programme>(std::move(programme)));
  TRANCHE_CHECK_MSG(inserted, "programme inserted twice");
  return Unshare(slot->second);
}

Cluster& State::InsertCluster(Cluster cluster) {
  std::string id = cluster.id;
  auto [slot, inserted] =
      clusters_.emplace(std::move(id), std::make_shared<Cluster>(std::move(cluster)));
  TRANCHE_CHECK_MSG(inserted, "cluster inserted twice");
  IndexCluster(slot);
  for (const auto& [reference, tranche] : slot->second->tranches) {
    IndexPaymentReference(reference, slot->first);
  }
  return Unshare(slot->second);
}

Programme& State::MutableProgramme(std::string_view programme_id) {
  const auto found = programmes_.find(programme_id);
  TRANCHE_CHECK_MSG(found != programmes_.end(), "unknown programme");
  return Unshare(found->second);
}

Cluster& State::MutableCluster(std::string_view cluster_id) {
  const auto found = FindClusterSlot(cluster_id);
  TRANCHE_CHECK_MSG(found != clusters_.end(), "unknown cluster");
  return Unshare(found->second);
}

bool State::operator==(const State& other) const {
  return DeepEqual(programmes_, other.programmes_) && DeepEqual(clusters_, other.clusters_);
}

}  // namespace tranche::core
