// ReadModel fed events directly: many tranches with reversals interleaved and
// after the fact, read back as views and ledger rows at several moments.
#include "projections/read_model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "projections/view_json.h"
#include "tests/core/domain_fixture.h"

namespace tranche::projections {
namespace {

using core::testing::D;
using core::testing::Fy;

class ReadModelTest : public ::testing::Test {
 protected:
  // Recorded at 1,000,000 µs + its position, unless `recorded_at_us` says.
  void Apply(const std::string& stream, core::Event event, const std::string& reason = "",
             std::optional<int64_t> recorded_at_us = std::nullopt) {
    const uint64_t position = model_.head() + 1;
    // The envelope views its strings: keep them for the batched re-apply.
    auto keep = [this](std::string text) -> std::string_view { return texts_.emplace_back(text); };
    EventEnvelope envelope{position, keep(stream), 0,
                           recorded_at_us.value_or(1'000'000 + static_cast<int64_t>(position)),
                           keep("finance-" + std::to_string(position % 3)),
                           keep("command-with-a-long-identifier-" + std::to_string(position)),
                           keep(reason)};
    model_.Apply(envelope, event);
    applied_envelopes_.push_back(std::move(envelope));
    applied_events_.push_back(std::move(event));
  }
  void Open() {
    Apply("programme-p", core::ProgrammeOpened{"p", "P", "F",
                                               {{Fy("2009/10"), core::Pence(1'000'000'000)}}});
    for (const char* id : {"north", "south"}) {
      Apply(std::string("cluster-") + id,
            core::BidSubmitted{"p", id, id, "R", "O", "W", {}, D("2009-10-30")});
      Apply(std::string("cluster-") + id,
            core::BidAwarded{"p", id, {{Fy("2009/10"), core::Pence(400'000'000)}}, D("2010-01-05")});
    }
  }
  static std::string Reference(int i) { return "HIEC-PAYMENT-REFERENCE-" + std::to_string(i); }
  core::TrancheRecorded Tranche(const std::string& cluster, int i) {
    return core::TrancheRecorded{"p", cluster, Fy("2009/10"), core::Pence(100 + i), D("2010-02-01"),
                                 Reference(i)};
  }
  core::TrancheReversed Reversal(const std::string& cluster, int i) {
    return core::TrancheReversed{"p", cluster, Reference(i), Fy("2009/10"), core::Pence(100 + i),
                                 D("2010-02-01"), "entered twice " + std::to_string(i)};
  }
  ReadModel model_;
  // Everything Apply gave model_, in order.
  std::vector<EventEnvelope> applied_envelopes_;
  std::deque<std::string> texts_;  // What they view; a deque never moves them.
  std::vector<core::Event> applied_events_;
};

TEST_F(ReadModelTest, ReversalsFindTheirTranchesAmongThousandsAndEveryMomentAddsUp) {
  Open();
  // Tranches alternate between clusters; every 10th is reversed at once and
  // every 7th (not already reversed) only after all are recorded, so lookups
  // hit both freshly recorded tranches and old ones behind many others.
  constexpr int kTranches = 3000;
  int64_t north_net = 0;
  int reversed_north = 0;
  for (int i = 0; i < kTranches; ++i) {
    const std::string cluster = i % 2 == 0 ? "north" : "south";
    Apply("cluster-" + cluster, Tranche(cluster, i));
    if (cluster == "north") north_net += 100 + i;
    if (i % 10 == 0) {
      Apply("cluster-" + cluster, Reversal(cluster, i), "entered twice");
      if (cluster == "north") north_net -= 100 + i, ++reversed_north;
    }
  }
  const uint64_t before_late_reversals = model_.head();
  const int64_t north_net_before = north_net;
  for (int i = 0; i < kTranches; i += 7) {
    if (i % 10 == 0) continue;
    const std::string cluster = i % 2 == 0 ? "north" : "south";
    Apply("cluster-" + cluster, Reversal(cluster, i), "late");
    if (cluster == "north") north_net -= 100 + i, ++reversed_north;
  }

  auto north_now = model_.Cluster("north", {model_.head(), {}});
  ASSERT_TRUE(north_now.ok());
  EXPECT_EQ(north_now->tranche_count, kTranches / 2u);
  EXPECT_EQ(north_now->reversed_tranche_count, static_cast<uint64_t>(reversed_north));
  EXPECT_EQ(north_now->financial_years.at(0).net_paid_pence.value(), north_net);
  auto north_then = model_.Cluster("north", {before_late_reversals, {}});
  ASSERT_TRUE(north_then.ok());
  EXPECT_EQ(north_then->financial_years.at(0).net_paid_pence.value(), north_net_before);

  // The last tranche shown is reversed now, with its reason, but not then.
  const int last_north = kTranches - 2;  // 2998: 2998 % 7 == 2, not reversed.
  EXPECT_EQ(north_now->tranches.back().payment_reference, Reference(last_north));
  EXPECT_FALSE(north_now->tranches.back().reversed);
  auto early = model_.Cluster("north", {20, {}});  // Tranches 0..~14 known.
  ASSERT_TRUE(early.ok());
  ASSERT_FALSE(early->tranches.empty());
  EXPECT_EQ(early->tranches.front().payment_reference, Reference(0));
  EXPECT_TRUE(early->tranches.front().reversed);  // Reversed at once.
  EXPECT_EQ(early->tranches.front().reversal_reason, "entered twice 0");

  // Ledger: one row per tranche and per reversal, strings intact, and the
  // running total of the last north row equal to the view's net paid.
  const std::vector<LedgerEntry> north_rows = model_.Ledger("north", {model_.head(), {}});
  EXPECT_EQ(north_rows.size(), kTranches / 2u + reversed_north);
  const LedgerEntry& first_reversal = north_rows.at(1);
  EXPECT_EQ(first_reversal.kind, "reversal");
  EXPECT_EQ(first_reversal.payment_reference, Reference(0));
  EXPECT_EQ(first_reversal.amount_pence.value(), -100);
  EXPECT_EQ(first_reversal.reason, "entered twice");
  EXPECT_EQ(first_reversal.cluster_id, "north");
  EXPECT_EQ(first_reversal.programme_id, "p");
  EXPECT_EQ(first_reversal.command_id,
            "command-with-a-long-identifier-" + std::to_string(first_reversal.position));
  EXPECT_EQ(first_reversal.actor, "finance-" + std::to_string(first_reversal.position % 3));
  EXPECT_EQ(north_rows.front().kind, "tranche");
  EXPECT_EQ(north_rows.back().cluster_year_total_pence.value(), north_net);
}

TEST_F(ReadModelTest, ABatchAppliesLikeItsEventsOneByOne) {
  Open();
  for (int i = 0; i < 500; ++i) {
    const std::string cluster = i % 3 == 0 ? "north" : "south";
    Apply("cluster-" + cluster, Tranche(cluster, i));
    if (i % 9 == 0) Apply("cluster-" + cluster, Reversal(cluster, i), "entered twice");
  }
  ReadModel batched;
  const size_t total = applied_events_.size();
  for (size_t from = 0; from < total; from += 64) {  // Uneven batches; the last is short.
    const size_t count = std::min<size_t>(64, total - from);
    batched.ApplyBatch(applied_envelopes_.data() + from, applied_events_.data() + from, count);
  }
  ASSERT_EQ(batched.head(), model_.head());
  for (const uint64_t at : {uint64_t{5}, model_.head() / 2, model_.head()}) {
    for (const char* cluster : {"north", "south"}) {
      auto one_by_one = model_.Cluster(cluster, {at, {}});
      auto in_batches = batched.Cluster(cluster, {at, {}});
      ASSERT_TRUE(one_by_one.ok() && in_batches.ok());
      EXPECT_EQ(ClusterViewToJson(*in_batches), ClusterViewToJson(*one_by_one)) << cluster << at;
      EXPECT_EQ(LedgerToCsv(batched.Ledger(cluster, {at, {}})),
                LedgerToCsv(model_.Ledger(cluster, {at, {}})));
    }
  }
  // A batch that does not follow the head is refused like a single event.
  EXPECT_DEATH(batched.ApplyBatch(applied_envelopes_.data(), applied_events_.data(), 1),
               "events applied out of order");
}

TEST_F(ReadModelTest, AnEventRecordedBeforeItsPredecessorKeepsItsOwnTime) {
  // An imported log may go back in time. The model's time index stays
  // monotonic for as-of-time lookups, while the tranches and ledger rows
  // show each event's own time, also after a snapshot's round trip.
  Open();
  const uint64_t first = model_.head() + 1;
  Apply("cluster-north", Tranche("north", 1), "", 5'000'000);
  Apply("cluster-north", Tranche("north", 2), "", 4'000'000);         // Earlier.
  Apply("cluster-north", Reversal("north", 1), "typo", 3'000'000);    // Earlier still.
  Apply("cluster-north", Tranche("north", 3), "", 6'000'000);
  Apply("cluster-south", Tranche("south", 4), "", 5'500'000);         // Earlier, other cluster.

  auto check = [&](const ReadModel& model) {
    const std::vector<LedgerEntry> rows = model.Ledger("", {model.head(), {}});
    ASSERT_EQ(rows.size(), 5u);
    const std::vector<int64_t> own = {5'000'000, 4'000'000, 3'000'000, 6'000'000, 5'500'000};
    for (size_t i = 0; i < rows.size(); ++i) {
      EXPECT_EQ(rows[i].position, first + i);
      EXPECT_EQ(rows[i].recorded_at_us, own[i]) << "row " << i;
    }
    auto north = model.Cluster("north", {model.head(), {}});
    ASSERT_TRUE(north.ok());
    ASSERT_EQ(north->tranches.size(), 3u);
    for (const TrancheView& tranche : north->tranches) {
      const int64_t expected = tranche.position == first       ? 5'000'000
                               : tranche.position == first + 1 ? 4'000'000
                                                               : 6'000'000;
      EXPECT_EQ(tranche.recorded_at_us, expected) << tranche.payment_reference;
    }
    // The index: times never go back, so 4,000,000 µs is before all five.
    EXPECT_EQ(model.PositionAtTime(4'999'999), first - 1);
    EXPECT_EQ(model.PositionAtTime(5'000'000), first + 2);
    EXPECT_EQ(model.PositionAtTime(6'000'000), first + 4);
    EXPECT_EQ(model.RecordedAt(first + 1), 5'000'000);  // The index's time.
  };
  check(model_);

  std::string bytes;
  model_.EncodeSnapshot(&bytes);
  ReadModel loaded;
  ASSERT_TRUE(loaded.DecodeSnapshot(bytes).ok());
  check(loaded);
  EXPECT_EQ(LedgerToCsv(loaded.Ledger("", {loaded.head(), {}})),
            LedgerToCsv(model_.Ledger("", {model_.head(), {}})));
}

TEST_F(ReadModelTest, ReversalOfAnUnknownReferenceIsRefusedLoudly) {
  Open();
  Apply("cluster-north", Tranche("north", 1));
  EXPECT_DEATH(Apply("cluster-north", Reversal("north", 2)), "reversal of an unknown tranche");
  EXPECT_DEATH(Apply("cluster-south", Reversal("south", 1)), "reversal of an unknown tranche");
}

}  // namespace
}  // namespace tranche::projections
