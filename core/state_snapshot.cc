// EncodeStateSnapshot / DecodeStateSnapshot.
//
// Layout (core/byte_codec.h):
//   varint programme count, then each programme:
//     id, name, funder; varint year count, then each: FinancialYear,
//     envelope, awarded, closed; varint cluster id count, then each id;
//     varint version
//   varint cluster count, then each cluster in insertion order:
//     id, programme_id, name, region, principal_partner, work_programme,
//     requested, submitted_on, varint status, optional decided_on,
//     rejection_reason, awards, net_paid;
//     the tranches: TrancheTable::EncodeTo (core/tranche_table.h), its text
//       in one piece and a few varints per tranche;
//     varint member count, then each by id, increasing: organisation id,
//       name, sector, joined_on, optional left_on;
//     varint version
#include "core/state_snapshot.h"

#include <memory>
#include <utility>

#include "core/byte_codec.h"
#include "core/evolve.h"
#include "core/prefault.h"

namespace tranche::core {
namespace {

Status Corrupt(std::string message) {
  return Status::DataLoss("corrupt_snapshot", "write model: " + std::move(message));
}

void EncodeCluster(const Cluster& cluster, ByteWriter& out) {
  out.Write(cluster.id);
  out.Write(cluster.programme_id);
  out.Write(cluster.name);
  out.Write(cluster.region);
  out.Write(cluster.principal_partner);
  out.Write(cluster.work_programme);
  out.Write(cluster.requested);
  out.Write(cluster.submitted_on);
  out.Varint(static_cast<uint64_t>(cluster.status));
  out.Write(cluster.decided_on);
  out.Write(cluster.rejection_reason);
  out.Write(cluster.awards);
  out.Write(cluster.net_paid);
  cluster.tranches.EncodeTo(out);
  out.Varint(cluster.members.size());
  for (const auto& [organisation_id, member] : cluster.members) {
    out.Write(organisation_id);
    out.Write(member.name);
    out.Write(member.sector);
    out.Write(member.joined_on);
    out.Write(member.left_on);
  }
  out.Varint(cluster.version);
}

// Reads a map whose keys must arrive strictly increasing, each entry by
// `read_entry(key, value)`; appends at the end, so each insert is O(1).
template <class Map, class ReadEntry>
void ReadOrderedMap(ByteReader& in, Map& map, ReadEntry read_entry) {
  const size_t count = in.Count();
  for (size_t i = 0; in.ok() && i < count; ++i) {
    typename Map::key_type key;
    typename Map::mapped_type value;
    read_entry(key, value);
    in.Require(map.empty() || map.rbegin()->first < key);
    if (in.ok()) map.emplace_hint(map.end(), std::move(key), std::move(value));
  }
}

// `hashes` receives ReferenceHash of each tranche's reference, in order.
void DecodeCluster(ByteReader& in, Cluster& cluster, std::vector<uint64_t>& hashes) {
  in.Read(cluster.id);
  in.Read(cluster.programme_id);
  in.Read(cluster.name);
  in.Read(cluster.region);
  in.Read(cluster.principal_partner);
  in.Read(cluster.work_programme);
  in.Read(cluster.requested);
  in.Read(cluster.submitted_on);
  const uint64_t status = in.Varint();
  in.Require(status <= static_cast<uint64_t>(BidStatus::kRejected));
  cluster.status = static_cast<BidStatus>(status);
  in.Read(cluster.decided_on);
  in.Read(cluster.rejection_reason);
  in.Read(cluster.awards);
  in.Read(cluster.net_paid);
  cluster.tranches.DecodeFrom(in, hashes);
  ReadOrderedMap(in, cluster.members, [&in](std::string& organisation_id, Member& member) {
    in.Read(organisation_id);
    in.Read(member.name);
    in.Read(member.sector);
    in.Read(member.joined_on);
    in.Read(member.left_on);
  });
  cluster.version = in.Varint();
}

}  // namespace

void EncodeStateSnapshot(const State& state, std::string* out) {
  ByteWriter writer;
  writer.Varint(state.programmes_.size());
  for (const auto& [id, programme] : state.programmes_) {
    writer.Write(programme->id);
    writer.Write(programme->name);
    writer.Write(programme->funder);
    writer.Varint(programme->financial_years.size());
    for (const auto& [year, totals] : programme->financial_years) {
      writer.Write(year);
      writer.Write(totals.envelope_pence);
      writer.Write(totals.awarded_pence);
      writer.Write(totals.closed);
    }
    writer.Varint(programme->cluster_ids.size());
    for (const std::string& cluster_id : programme->cluster_ids) writer.Write(cluster_id);
    writer.Varint(programme->version);
  }
  writer.Varint(state.cluster_slots_.size());
  for (const auto& slot : state.cluster_slots_) EncodeCluster(*slot->second, writer);
  out->append(writer.Take());
}

Status DecodeStateSnapshot(std::string_view bytes, State* out) {
  TRANCHE_CHECK_MSG(out->programmes_.empty() && out->clusters_.empty(),
                    "a snapshot loads into an empty write model");
  ByteReader in(bytes);
  const size_t programme_count = in.Count();
  for (size_t i = 0; in.ok() && i < programme_count; ++i) {
    auto programme = std::make_shared<Programme>();
    in.Read(programme->id);
    in.Read(programme->name);
    in.Read(programme->funder);
    ReadOrderedMap(in, programme->financial_years, [&in](FinancialYear& year, ProgrammeYear& t) {
      in.Read(year);
      in.Read(t.envelope_pence);
      in.Read(t.awarded_pence);
      in.Read(t.closed);
    });
    const size_t cluster_id_count = in.Count();
    for (size_t c = 0; in.ok() && c < cluster_id_count; ++c) {
      std::string cluster_id;
      in.Read(cluster_id);
      in.Require(programme->cluster_ids.empty() || *programme->cluster_ids.rbegin() < cluster_id);
      if (in.ok()) programme->cluster_ids.emplace_hint(programme->cluster_ids.end(), cluster_id);
    }
    programme->version = in.Varint();
    if (!in.ok()) break;
    std::string id = programme->id;
    in.Require(out->programmes_.emplace(std::move(id), std::move(programme)).second);
  }
  const size_t cluster_count = in.Count();
  size_t tranche_count = 0;
  std::vector<std::vector<uint64_t>> hashes;  // Of each cluster's references, by ordinal.
  for (size_t i = 0; in.ok() && i < cluster_count; ++i) {
    auto cluster = std::make_shared<Cluster>();
    DecodeCluster(in, *cluster, hashes.emplace_back());
    if (!in.ok()) break;
    in.Require(out->programmes_.contains(cluster->programme_id));
    tranche_count += cluster->tranches.size();
    auto [slot, inserted] = out->clusters_.emplace(cluster->id, std::move(cluster));
    in.Require(inserted);
    if (!in.ok()) break;
    out->IndexCluster(slot);
  }
  if (!in.ok() || !in.AtEnd()) {
    *out = State();
    return Corrupt("the section does not decode");
  }
  // The reference index, rebuilt in one pass sized up front: each insert is
  // a cache miss in a large table, so the home slot is fetched a few ahead.
  auto references = std::make_shared<ReferenceIndex>();
  references->Reserve(tranche_count);
  for (size_t ordinal = 0; ordinal < out->cluster_slots_.size(); ++ordinal) {
    constexpr size_t kAhead = 8;
    const std::vector<uint64_t>& cluster_hashes = hashes[ordinal];
    for (size_t i = 0; i < cluster_hashes.size(); ++i) {
      if (i + kAhead < cluster_hashes.size()) references->Prefetch(cluster_hashes[i + kAhead]);
      references->Insert(cluster_hashes[i], ordinal);
    }
  }
  out->references_ = std::move(references);
  for (const auto& slot : out->cluster_slots_) {
    const std::string& cluster_id = slot->first;
    Status status = CheckClusterInvariants(*out, cluster_id);
    if (!status.ok()) {
      Status corrupt = Corrupt("cluster " + cluster_id + ": " + status.message());
      *out = State();  // `cluster_id` points into it: the message is built first.
      return corrupt;
    }
  }
  return Status::Ok();
}

}  // namespace tranche::core
