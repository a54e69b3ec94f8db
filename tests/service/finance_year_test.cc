// A finance officer's year: awards, tranches, a reversal, refusals, the
// year's close, and what the books said at earlier moments.
#include "tests/service/service_fixture.h"

namespace tranche::service {
namespace {

using nlohmann::json;

json Tranche(const std::string& reference, int64_t pence, const std::string& paid_on,
             const std::string& year = "2009/10") {
  return {{"command_id", "pay-" + reference},
          {"cluster_id", "alpha"},
          {"financial_year", year},
          {"amount_pence", pence},
          {"paid_on", paid_on},
          {"payment_reference", reference}};
}

core::Pence NetPaid(const projections::ClusterView& view, const std::string& year) {
  for (const auto& y : view.financial_years) {
    if (y.financial_year.Label() == year) return y.net_paid_pence;
  }
  return core::Pence(-1);
}

class FinanceYearTest : public ServiceFixture {};

TEST_F(FinanceYearTest, AYearOfTranchesReconcilesAtEveryMoment) {
  SetUpSmallProgramme();
  const auto& model = service_->read_model();
  Accept("record-tranche", Tranche("DH-1", 20000, "2009-06-30"));
  CommandResult second = Accept("record-tranche", Tranche("DH-2", 30000, "2010-02-15"));

  // Refused: it would take 2009/10 past its £600.00 award.
  CommandOutcome too_much = Run("record-tranche", Tranche("DH-3", 10001, "2010-03-01"));
  ASSERT_TRUE(too_much.rejection.has_value());
  EXPECT_EQ(too_much.rejection->code, "tranche_exceeds_award");
  // Refused: paid in 2010/11 but claimed against 2009/10.
  CommandOutcome wrong_year = Run("record-tranche", Tranche("DH-4", 100, "2010-04-01"));
  ASSERT_TRUE(wrong_year.rejection.has_value());
  EXPECT_EQ(wrong_year.rejection->code, "outside_financial_year");

  const uint64_t before_reversal = Head();
  const int64_t before_reversal_time = second.events[0].recorded_at_us;
  Accept("reverse-tranche", {{"command_id", "rev-1"},
                             {"cluster_id", "alpha"},
                             {"payment_reference", "DH-1"},
                             {"reason", "Paid to the wrong account"}});
  Accept("record-tranche", Tranche("DH-5", 25000, "2010-03-20"));

  auto now = model.Cluster("alpha", {UINT64_MAX, {}});
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(NetPaid(*now, "2009/10").value(), 55000);
  ASSERT_EQ(now->tranches.size(), 3u);
  EXPECT_TRUE(now->tranches[0].reversed);
  EXPECT_EQ(now->tranches[0].reversal_reason, "Paid to the wrong account");

  // As known before the reversal: both tranches stood.
  auto then = model.Cluster("alpha", {before_reversal, {}});
  ASSERT_TRUE(then.ok());
  EXPECT_EQ(NetPaid(*then, "2009/10").value(), 50000);
  EXPECT_FALSE(then->tranches[0].reversed);
  EXPECT_EQ(then->tranches.size(), 2u);
  // The same moment named by time.
  EXPECT_EQ(model.PositionAtTime(before_reversal_time), before_reversal);
  // Effective on 31 December 2009, as known before the reversal: DH-1 only.
  auto december = model.Cluster("alpha", {before_reversal, core::ParseDate("2009-12-31").value()});
  ASSERT_TRUE(december.ok());
  EXPECT_EQ(NetPaid(*december, "2009/10").value(), 20000);
  // Effective on 28 February 2010 as known now: DH-1 reversed, DH-2 paid.
  auto february = model.Cluster("alpha", {UINT64_MAX, core::ParseDate("2010-02-28").value()});
  ASSERT_TRUE(february.ok());
  EXPECT_EQ(NetPaid(*february, "2009/10").value(), 30000);

  // Close the year: £50.00 of the £600.00 award was never paid.
  CommandResult closed = Accept("close-financial-year", {{"command_id", "close-1"},
                                                          {"programme_id", "p"},
                                                          {"financial_year", "2009/10"}});
  auto programme = model.Programme("p", {UINT64_MAX, {}});
  ASSERT_TRUE(programme.ok());
  const auto& year_one = programme->financial_years[0];
  EXPECT_TRUE(year_one.closed);
  EXPECT_EQ(year_one.awarded_pence.value(), 60000);
  EXPECT_EQ(year_one.paid_pence.value(), 55000);
  EXPECT_EQ(year_one.unallocated_pence.value(), 40000);
  ASSERT_TRUE(year_one.underspend_pence.has_value());
  EXPECT_EQ(year_one.underspend_pence->value(), 5000);
  auto before_close = model.Programme("p", {closed.first_position - 1, {}});
  ASSERT_TRUE(before_close.ok());
  EXPECT_FALSE(before_close->financial_years[0].closed);

  // After the close, the year takes no tranche and no reversal.
  CommandOutcome late = Run("record-tranche", Tranche("DH-6", 100, "2010-03-31"));
  ASSERT_TRUE(late.rejection.has_value());
  EXPECT_EQ(late.rejection->code, "financial_year_closed");
  CommandOutcome late_reversal = Run("reverse-tranche", {{"command_id", "rev-2"},
                                                         {"cluster_id", "alpha"},
                                                         {"payment_reference", "DH-2"},
                                                         {"reason", "late"}});
  ASSERT_TRUE(late_reversal.rejection.has_value());
  EXPECT_EQ(late_reversal.rejection->code, "financial_year_closed");
  // Year two is still open.
  Accept("record-tranche", Tranche("DH-7", 30000, "2010-05-01", "2010/11"));

  // The ledger: every tranche and reversal in log order, with running totals.
  auto ledger = model.Ledger("", {UINT64_MAX, {}});
  ASSERT_EQ(ledger.size(), 5u);
  const int64_t expected_totals[] = {20000, 50000, 30000, 55000, 30000};
  const int64_t expected_amounts[] = {20000, 30000, -20000, 25000, 30000};
  for (size_t i = 0; i < ledger.size(); ++i) {
    EXPECT_EQ(ledger[i].amount_pence.value(), expected_amounts[i]) << i;
    EXPECT_EQ(ledger[i].cluster_year_total_pence.value(), expected_totals[i]) << i;
  }
  EXPECT_EQ(ledger[2].kind, "reversal");
  EXPECT_EQ(ledger[2].reason, "Paid to the wrong account");
  EXPECT_EQ(ledger[2].actor, "tester");
}

}  // namespace
}  // namespace tranche::service
