// ReadModel::EncodeSnapshot / DecodeSnapshot: the read model as bytes.
//
// Layout (core/byte_codec.h; "delta" is a varint difference from the
// previous value of the same list, which keeps positions to a byte or two):
//   symbols (the interned strings: actors, member ids and names): varint
//     count, then each (index = order of first use)
//   varint byte length of the next part (so the last part can be decoded
//   on a second thread meanwhile), then:
//   programmes, by id: id, name, funder; years (varint count, then each:
//     FinancialYear, envelope, varint closed_position, underspend);
//     cluster_ids; positions (count, deltas); net_paid_by_year
//   clusters, by id: bid (BidSubmitted); statuses (count, then each: varint
//     position, varint status, optional decided_on, reason); awards (count,
//     then each year and its steps: varint position, amount); tranches
//     (count, then each: kept reference, varint actor symbol, kept
//     reversal_reason, FinancialYear, amount, paid_on (PackedDate), position delta, varint
//     reversed_position; its time is its ledger row's); net_paid_by_year;
//     members (count, then each: varint organisation_id symbol, varint
//     name symbol, sector, joined_on, varint added_position, varint
//     removed_position, left_on, kept left_reason); positions (count,
//     deltas)
//   and last:
//   recorded_at: count (the head), signed deltas
//   ledger: count, then each row: position delta, varint cluster (its index
//     by id), reversal, varint actor symbol, kept command_id, kept reason,
//     signed difference of recorded_at_us from recorded_at[position - 1], cluster year total,
//     programme year total.
// A ledger row's tranche is implied: a payment row takes its cluster's next
// tranche in log order, a reversal row the next tranche in order of
// reversal; its reference, year, date and amount come from that tranche and
// its programme from its cluster. Decoding checks each implied tranche
// names the row's position.
//
// A "kept" string is one the model holds per event: a 4-byte little-endian
// length and the bytes, which is how the model's arena lays strings out, so
// a load reads them in place from the mapped file (ArenaString::Kept)
// instead of copying each into fresh memory.
#include <algorithm>
#include <bit>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>

#include "core/byte_codec.h"
#include "core/prefault.h"
#include "projections/read_model.h"
#include "projections/read_model_internal.h"

namespace tranche::projections {
namespace {

using namespace internal;  // NOLINT: this file implements the internals.
using core::ByteReader;
using core::ByteWriter;

void WritePositions(ByteWriter& out, const std::vector<uint64_t>& positions) {
  out.Varint(positions.size());
  uint64_t previous = 0;
  for (const uint64_t position : positions) {
    out.Varint(position - previous);
    previous = position;
  }
}

void ReadPositions(ByteReader& in, std::vector<uint64_t>& positions) {
  const size_t count = in.Count();
  ReservePrefaulted(positions, count);
  uint64_t previous = 0;
  for (size_t i = 0; in.ok() && i < count; ++i) {
    const uint64_t delta = in.Varint();
    in.Require(delta > 0);  // Strictly increasing, from 1.
    previous += delta;
    positions.push_back(previous);
  }
}

// The tranches of one cluster in the order their reversals were applied.
std::vector<uint32_t> InReversalOrder(const std::vector<TrancheRecord>& tranches) {
  std::vector<uint32_t> order;
  for (uint32_t i = 0; i < tranches.size(); ++i) {
    if (tranches[i].reversed_position != 0) order.push_back(i);
  }
  std::sort(order.begin(), order.end(), [&tranches](uint32_t a, uint32_t b) {
    return tranches[a].reversed_position < tranches[b].reversed_position;
  });
  return order;
}

// ArenaString reads its length in the machine's order; the file says
// little-endian.
static_assert(std::endian::native == std::endian::little);

void WriteKept(ByteWriter& out, std::string_view text) {
  const auto size = static_cast<uint32_t>(text.size());  // Arena strings are below 4 GiB.
  char prefix[sizeof size];
  std::memcpy(prefix, &size, sizeof size);
  out.Raw(std::string_view(prefix, sizeof size));
  out.Raw(text);
}

// What WriteKept wrote, viewing `in`'s bytes, which the caller keeps for as
// long as the model.
ArenaString ReadKept(ByteReader& in) {
  const std::string_view prefix = in.Raw(sizeof(uint32_t));
  uint32_t size = 0;
  if (in.ok()) std::memcpy(&size, prefix.data(), sizeof size);
  if (size == 0) return {};  // Most reasons.
  in.Require(core::IsValidUtf8(in.Raw(size)));
  return in.ok() ? ArenaString::Kept(prefix.data()) : ArenaString();
}

Status Corrupt(const char* what) {
  return Status::DataLoss("corrupt_snapshot", std::string("read model: ") + what);
}

// The last part of the encoding: recorded times and the ledger rows' own
// fields, and the cluster each row names (by index), for FillLedgerRows.
struct LedgerPart {
  bool ok = false;
  std::vector<uint32_t> row_clusters;
};

template <class ReadSymbol>
LedgerPart DecodeLedgerPart(std::string_view bytes, std::vector<int64_t>& recorded_at,
                            std::vector<std::pair<uint64_t, int64_t>>& recorded_at_exceptions,
                            std::vector<LedgerRow>& ledger, ReadSymbol read_symbol) {
  LedgerPart part;
  ByteReader in(bytes);
  const size_t head = in.Count();
  ReservePrefaulted(recorded_at, head);
  int64_t time = 0;
  for (size_t i = 0; in.ok() && i < head; ++i) {
    const int64_t delta = in.Signed();
    in.Require(delta >= 0 || i == 0);  // The index is kept monotonic.
    time += delta;
    recorded_at.push_back(time);
  }
  const size_t row_count = in.Count();
  // Fresh tables of known size are populated before they are filled
  // (core/prefault.h), here and below.
  ReservePrefaulted(ledger, row_count);
  ReservePrefaulted(part.row_clusters, row_count);
  uint64_t position = 0;
  for (size_t r = 0; in.ok() && r < row_count; ++r) {
    LedgerRow& row = ledger.emplace_back();
    position += in.Varint();
    row.position = position;
    const uint64_t cluster = in.Varint();
    in.Read(row.reversal);
    row.actor = read_symbol(in);
    row.command_id = ReadKept(in);
    row.reason = ReadKept(in);
    const int64_t time_difference = in.Signed();
    in.Read(row.cluster_year_total_pence);
    in.Read(row.programme_year_total_pence);
    in.Require(cluster <= UINT32_MAX && position >= 1 && position <= head);
    if (!in.ok()) break;
    if (time_difference != 0) {
      recorded_at_exceptions.emplace_back(position, recorded_at[position - 1] + time_difference);
    }
    part.row_clusters.push_back(static_cast<uint32_t>(cluster));
  }
  part.ok = in.ok() && in.AtEnd();
  return part;
}

// Joins each ledger row to its tranche (see the layout above) and fills in
// what the tranche says.
Status FillLedgerRows(const std::vector<uint32_t>& row_clusters,
                      const std::vector<ClusterRecord*>& clusters, std::vector<LedgerRow>& ledger) {
  std::vector<std::vector<uint32_t>> reversal_order;
  reversal_order.reserve(clusters.size());
  for (const ClusterRecord* c : clusters) reversal_order.push_back(InReversalOrder(c->tranches));
  std::vector<size_t> next_tranche(clusters.size()), next_reversal(clusters.size());

  for (size_t r = 0; r < ledger.size(); ++r) {
    LedgerRow& row = ledger[r];
    const uint32_t index = row_clusters[r];
    if (index >= clusters.size()) return Corrupt("a ledger row names no cluster");
    const ClusterRecord& c = *clusters[index];
    const TrancheRecord* tranche = nullptr;
    if (!row.reversal && next_tranche[index] < c.tranches.size()) {
      tranche = &c.tranches[next_tranche[index]++];
      if (tranche->position != row.position) tranche = nullptr;
    } else if (row.reversal && next_reversal[index] < reversal_order[index].size()) {
      tranche = &c.tranches[reversal_order[index][next_reversal[index]++]];
      if (tranche->reversed_position != row.position) tranche = nullptr;
    }
    if (tranche == nullptr) return Corrupt("a ledger row has no tranche");
    row.cluster = &c;
    row.tranche = static_cast<uint32_t>(tranche - c.tranches.data());
  }
  for (size_t i = 0; i < clusters.size(); ++i) {
    if (next_tranche[i] != clusters[i]->tranches.size() ||
        next_reversal[i] != reversal_order[i].size()) {
      return Corrupt("a tranche has no ledger row");
    }
  }
  return Status::Ok();
}

}  // namespace

void ReadModel::EncodeSnapshot(std::string* out) const {
  std::shared_lock lock(mutex_);
  const Model& m = *model_;
  ByteWriter body;    // Programmes and clusters.
  ByteWriter ledger;  // recorded_at and the ledger.
  // Interned strings (actors, member ids and names): one string is one
  // pointer.
  std::vector<std::string_view> symbols;
  std::unordered_map<const char*, uint64_t> symbol_index;
  auto symbol = [&](ArenaString text) {
    auto [it, inserted] = symbol_index.try_emplace(text.identity(), symbols.size());
    if (inserted) symbols.push_back(text.view());
    return it->second;
  };

  body.Varint(m.programmes.size());
  for (const auto& [id, p] : m.programmes) {
    body.Write(p.id);
    body.Write(p.name);
    body.Write(p.funder);
    body.Varint(p.years.size());
    for (const YearRecord& year : p.years) {
      body.Write(year.financial_year);
      body.Write(year.envelope);
      body.Varint(year.closed_position);
      body.Write(year.underspend);
    }
    body.Write(p.cluster_ids);
    WritePositions(body, p.positions);
    body.Write(p.net_paid_by_year);
  }

  std::unordered_map<const ClusterRecord*, uint64_t> cluster_index;
  body.Varint(m.clusters.size());
  for (const auto& [id, c] : m.clusters) {
    cluster_index.emplace(&c, cluster_index.size());
    body.Write(c.bid);
    body.Varint(c.statuses.size());
    for (const StatusStep& step : c.statuses) {
      body.Varint(step.position);
      body.Varint(static_cast<uint64_t>(step.status));
      body.Write(step.decided_on);
      body.Write(step.reason);
    }
    body.Varint(c.awards.size());
    for (const auto& [year, steps] : c.awards) {
      body.Write(year);
      body.Varint(steps.size());
      for (const AwardStep& step : steps) {
        body.Varint(step.position);
        body.Write(step.amount);
      }
    }
    body.Varint(c.tranches.size());
    uint64_t previous_position = 0;
    for (const TrancheRecord& t : c.tranches) {
      WriteKept(body, t.payment_reference.view());
      body.Varint(symbol(t.actor));
      WriteKept(body, t.reversal_reason.view());
      body.Write(t.financial_year);
      body.Write(t.amount_pence);
      body.PackedDate(t.paid_on);
      body.Varint(t.position - previous_position);
      body.Varint(t.reversed_position);
      previous_position = t.position;
    }
    body.Write(c.net_paid_by_year);
    body.Varint(c.members.size());
    for (const MemberRecord& member : c.members) {
      body.Varint(symbol(member.organisation_id));
      body.Varint(symbol(member.name));
      body.Write(member.sector);
      body.Write(member.joined_on);
      body.Varint(member.added_position);
      body.Varint(member.removed_position);
      body.Write(member.left_on);
      WriteKept(body, member.left_reason.view());
    }
    WritePositions(body, c.positions);
  }

  ledger.Varint(m.recorded_at.size());
  int64_t previous_time = 0;
  for (const int64_t at : m.recorded_at) {
    ledger.Signed(at - previous_time);
    previous_time = at;
  }

  ledger.Varint(m.ledger.size());
  uint64_t previous_position = 0;
  for (const LedgerRow& row : m.ledger) {
    ledger.Varint(row.position - previous_position);
    previous_position = row.position;
    ledger.Varint(cluster_index.at(row.cluster));
    ledger.Write(row.reversal);
    ledger.Varint(symbol(row.actor));
    WriteKept(ledger, row.command_id.view());
    WriteKept(ledger, row.reason.view());
    ledger.Signed(m.RecordedAtOf(row.position) - m.recorded_at[row.position - 1]);
    ledger.Write(row.cluster_year_total_pence);
    ledger.Write(row.programme_year_total_pence);
  }

  ByteWriter head;
  head.Varint(symbols.size());
  for (const std::string_view text : symbols) head.Write(text);
  head.Varint(body.size());
  out->append(head.Take());
  out->append(body.Take());
  out->append(ledger.Take());
}

Status ReadModel::DecodeSnapshot(std::string bytes) {
  auto kept = std::make_shared<const std::string>(std::move(bytes));
  return DecodeSnapshot(*kept, kept);
}

Status ReadModel::DecodeSnapshot(std::string_view bytes, std::shared_ptr<const void> keep) {
  std::unique_lock lock(mutex_);
  TRANCHE_CHECK_MSG(model_->head() == 0 && model_->programmes.empty(),
                    "a snapshot loads into an empty read model");
  auto model = std::make_unique<Model>();
  Model& m = *model;
  m.snapshot_bytes = std::move(keep);
  ByteReader head(bytes);
  std::vector<ArenaString> symbols(head.Count());
  for (ArenaString& text : symbols) text = m.symbols.Intern(head.StringView());
  const uint64_t clusters_bytes = head.Varint();
  head.Require(clusters_bytes <= bytes.size() - head.offset());
  if (!head.ok()) return Corrupt("the section does not decode");
  auto read_symbol = [&symbols](ByteReader& in) -> ArenaString {
    const uint64_t index = in.Varint();
    in.Require(index < symbols.size());
    return in.ok() ? symbols[index] : ArenaString();
  };

  // The recorded times and the ledger rows' own fields decode on a second
  // thread while this one
  // decodes the programmes and clusters; the rows' tranches are joined in
  // afterwards (FillLedgerRows).
  LedgerPart ledger_part;
  std::thread ledger_thread([&] {
    ledger_part = DecodeLedgerPart(bytes.substr(head.offset() + clusters_bytes), m.recorded_at,
                                   m.recorded_at_exceptions, m.ledger, read_symbol);
  });
  ByteReader in(bytes.substr(head.offset(), clusters_bytes));

  const size_t programme_count = in.Count();
  for (size_t i = 0; in.ok() && i < programme_count; ++i) {
    ProgrammeRecord p;
    in.Read(p.id);
    in.Read(p.name);
    in.Read(p.funder);
    const size_t year_count = in.Count();
    for (size_t y = 0; in.ok() && y < year_count; ++y) {
      YearRecord& year = p.years.emplace_back();
      in.Read(year.financial_year);
      in.Read(year.envelope);
      year.closed_position = in.Varint();
      in.Read(year.underspend);
    }
    in.Read(p.cluster_ids);
    ReadPositions(in, p.positions);
    in.Read(p.net_paid_by_year);
    if (!in.ok()) break;
    std::string id = p.id;
    in.Require(m.AddProgramme(std::move(id), std::move(p)) != nullptr);
  }

  std::vector<ClusterRecord*> clusters;  // By id, as the ledger names them.
  const size_t cluster_count = in.Count();
  for (size_t i = 0; in.ok() && i < cluster_count; ++i) {
    ClusterRecord c;
    in.Read(c.bid);
    const size_t status_count = in.Count();
    for (size_t s = 0; in.ok() && s < status_count; ++s) {
      StatusStep& step = c.statuses.emplace_back();
      step.position = in.Varint();
      const uint64_t status = in.Varint();
      in.Require(status <= static_cast<uint64_t>(BidStatus::kRejected));
      step.status = static_cast<BidStatus>(status);
      in.Read(step.decided_on);
      in.Read(step.reason);
    }
    const size_t award_years = in.Count();
    for (size_t y = 0; in.ok() && y < award_years; ++y) {
      FinancialYear year;
      in.Read(year);
      std::vector<AwardStep>& steps = c.awards[year];
      const size_t step_count = in.Count();
      for (size_t s = 0; in.ok() && s < step_count; ++s) {
        AwardStep& step = steps.emplace_back();
        step.position = in.Varint();
        in.Read(step.amount);
      }
    }
    const size_t tranche_count = in.Count();
    ReservePrefaulted(c.tranches, tranche_count);
    uint64_t position = 0;
    for (size_t t = 0; in.ok() && t < tranche_count; ++t) {
      TrancheRecord& tranche = c.tranches.emplace_back();
      tranche.payment_reference = ReadKept(in);
      tranche.actor = read_symbol(in);
      tranche.reversal_reason = ReadKept(in);
      in.Read(tranche.financial_year);
      in.Read(tranche.amount_pence);
      tranche.paid_on = in.PackedDate();
      position += in.Varint();
      tranche.position = position;
      tranche.reversed_position = in.Varint();
      in.Require(tranche.reversed_position == 0 || tranche.reversed_position > position);
    }
    in.Read(c.net_paid_by_year);
    const size_t member_count = in.Count();
    ReservePrefaulted(c.members, member_count);
    for (size_t k = 0; in.ok() && k < member_count; ++k) {
      MemberRecord& member = c.members.emplace_back();
      member.organisation_id = read_symbol(in);
      member.name = read_symbol(in);
      in.Read(member.sector);
      in.Read(member.joined_on);
      member.added_position = in.Varint();
      member.removed_position = in.Varint();
      in.Read(member.left_on);
      member.left_reason = ReadKept(in);
      if (in.ok() && member.removed_position == 0) {
        in.Require(c.active_member_by_id.emplace(member.organisation_id.view(), k).second);
      }
    }
    ReadPositions(in, c.positions);
    in.Require(m.programmes.contains(c.bid.programme_id));
    if (!in.ok()) break;
    std::string id = c.bid.cluster_id;
    ClusterRecord* added = m.AddCluster(std::move(id), std::move(c));
    in.Require(added != nullptr &&
               (clusters.empty() || clusters.back()->bid.cluster_id < added->bid.cluster_id));
    if (!in.ok()) break;
    clusters.push_back(added);
  }

  const bool clusters_ok = in.ok() && in.AtEnd();
  ledger_thread.join();
  if (!clusters_ok || !ledger_part.ok) return Corrupt("the section does not decode");
  if (Status joined = FillLedgerRows(ledger_part.row_clusters, clusters, m.ledger);
      !joined.ok()) {
    return joined;
  }
  model_ = std::move(model);
  return Status::Ok();
}

void ReadModel::Reset() {
  std::unique_lock lock(mutex_);
  model_ = std::make_unique<Model>();
}

}  // namespace tranche::projections
