// A finance year at the domain level: awards, tranches, a reversal, refusals, year close.
#include <gtest/gtest.h>

#include "core/decider.h"
#include "core/evolve.h"
#include "tests/core/domain_fixture.h"

namespace tranche::core {
namespace {

using namespace testing;  // NOLINT: the fixture's builders.

TEST(FinanceYearScenarioTest, YearOneIsPaidCorrectedAndClosedWithUnderspend) {
  State state = AwardedWorld();  // wessex: £700,000 in 2009/10.
  Accept(state, Envelope(AwardBid{"wms", {{Fy("2009/10"), Pence(50'000'000)}}, D("2010-01-05")}));
  const FinancialYear y1 = Fy("2009/10");
  EXPECT_EQ(state.FindProgramme("hiec")->financial_years.at(y1).awarded_pence, Pence(120'000'000));

  Accept(state, Envelope(Payment("wessex", "HIEC-0001", 35'000'000, "2010-01-15")));
  Accept(state, Envelope(Payment("wessex", "HIEC-0002", 20'000'000, "2010-03-31")));
  Accept(state, Envelope(Payment("wms", "HIEC-0003", 25'000'000, "2010-02-10")));
  // Keyed twice by mistake, then reversed.
  Accept(state, Envelope(Payment("wms", "HIEC-0004", 25'000'000, "2010-02-10")));
  Accept(state, Envelope(ReverseTranche{"wms", "HIEC-0004"}, "duplicate of HIEC-0003"));

  // £150,000.01 more would take wessex past its £700,000.
  EXPECT_EQ(Refuse(state, Envelope(Payment("wessex", "HIEC-0005", 15'000'001))).code,
            rejection::kTrancheExceedsAward);
  // Paid on 1 April 2010, which is 2010/11, while claiming 2009/10.
  EXPECT_EQ(Refuse(state, Envelope(Payment("wessex", "HIEC-0006", 100, "2010-04-01"))).code,
            rejection::kOutsideFinancialYear);

  const Cluster& wessex = *state.FindCluster("wessex");
  const Cluster& wms = *state.FindCluster("wms");
  EXPECT_EQ(wessex.NetPaidFor(y1), Pence(55'000'000));
  EXPECT_EQ(wms.NetPaidFor(y1), Pence(25'000'000));
  ASSERT_TRUE(wms.tranches.Find("HIEC-0004").has_value());
  EXPECT_TRUE(wms.tranches.Find("HIEC-0004")->reversed);
  EXPECT_EQ(wms.tranches.Find("HIEC-0004")->reversal_reason, "duplicate of HIEC-0003");

  const std::vector<DomainEvent> events =
      Accept(state, Envelope(CloseFinancialYear{"hiec", y1}));
  ASSERT_EQ(events.size(), 1u);
  const auto& closed = std::get<FinancialYearClosed>(events[0].event);
  EXPECT_EQ(events[0].stream, "programme-hiec");
  EXPECT_EQ(closed.envelope_pence, Pence(1'100'000'000));
  EXPECT_EQ(closed.awarded_pence, Pence(120'000'000));
  EXPECT_EQ(closed.net_paid_pence, Pence(80'000'000));
  EXPECT_EQ(closed.underspend_pence, Pence(40'000'000));
  ASSERT_EQ(closed.clusters.size(), 2u);
  EXPECT_EQ(closed.clusters[0].cluster_id, "wessex");
  EXPECT_EQ(closed.clusters[0].underspend_pence, Pence(15'000'000));
  EXPECT_EQ(closed.clusters[1].cluster_id, "wms");
  EXPECT_EQ(closed.clusters[1].underspend_pence, Pence(25'000'000));
  EXPECT_TRUE(state.FindProgramme("hiec")->financial_years.at(y1).closed);
  EXPECT_EQ(state.FindProgramme("hiec")->version, 1u);

  // Year two goes on: its own envelope, its own award.
  Accept(state, Envelope(Payment("wessex", "HIEC-0101", 10'000'000, "2010-04-01", "2010/11")));
  EXPECT_EQ(state.FindCluster("wessex")->NetPaidFor(Fy("2010/11")), Pence(10'000'000));
  EXPECT_TRUE(CheckInvariants(state).ok());
}

TEST(FinanceYearScenarioTest, MembersJoinAndLeaveButThePrincipalPartnerStays) {
  State state = AwardedWorld();
  Accept(state, Envelope(AddMember{"wessex", "University of Southampton",
                                   Sector::kHigherEducation, D("2010-01-10"), std::nullopt}));
  Accept(state, Envelope(AddMember{"wessex", "Hampshire PCT", Sector::kNhs, D("2010-01-10"),
                                   std::string("hampshire-pct")}));
  Accept(state, Envelope(RemoveMember{"wessex", "hampshire-pct", D("2010-09-30")}, "merged"));
  const Cluster& wessex = *state.FindCluster("wessex");
  EXPECT_TRUE(wessex.members.at("university-of-southampton").active());
  EXPECT_FALSE(wessex.members.at("hampshire-pct").active());
  EXPECT_EQ(wessex.version, 4u);
  // A removed member may rejoin.
  Accept(state, Envelope(AddMember{"wessex", "Hampshire PCT", Sector::kNhs, D("2011-01-01"),
                                   std::nullopt}));
  EXPECT_TRUE(state.FindCluster("wessex")->members.at("hampshire-pct").active());
}

TEST(StateTest, CopiesAreSnapshotsThatLaterEventsDoNotChange) {
  State state = AwardedWorld();
  const State snapshot = state;
  Accept(state, Envelope(Payment("wessex", "P1", 100)));
  EXPECT_EQ(snapshot.FindCluster("wessex")->tranches.size(), 0u);
  EXPECT_EQ(state.FindCluster("wessex")->tranches.size(), 1u);
  EXPECT_FALSE(state == snapshot);
  // Unchanged clusters are still shared, not copied.
  EXPECT_EQ(snapshot.FindCluster("wms"), state.FindCluster("wms"));
}

TEST(StateTest, StreamVersionsCountEventsFromZero) {
  const State state = AwardedWorld();
  EXPECT_EQ(state.StreamVersion("programme-hiec"), 0u);
  EXPECT_EQ(state.StreamVersion("cluster-wessex"), 1u);
  EXPECT_EQ(state.StreamVersion("cluster-wms"), 0u);
  EXPECT_FALSE(state.StreamVersion("cluster-none").has_value());
  EXPECT_FALSE(state.StreamVersion("wessex").has_value());
}

}  // namespace
}  // namespace tranche::core
