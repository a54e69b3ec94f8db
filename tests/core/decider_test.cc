// One test per rejection code: Decide refuses with that code and emits nothing.
#include <gtest/gtest.h>

#include <memory>

#include "core/decider.h"
#include "tests/core/domain_fixture.h"

namespace tranche::core {
namespace {

using namespace testing;  // NOLINT: the fixture's builders.
namespace r = rejection;

std::string CodeOf(const State& state, const CommandEnvelope& command) {
  const Decision decision = Decide(state, command);
  const auto* rejection = std::get_if<Rejection>(&decision);
  return rejection == nullptr ? "accepted" : rejection->code;
}

TEST(DecideTest, BadSlugIsInvalidFieldNamingFieldAndRule) {
  SubmitBid bid = Bid("Wessex HIEC");
  const Rejection rejection = Refuse(AwardedWorld(), Envelope(bid));
  EXPECT_EQ(rejection.code, r::kInvalidField);
  EXPECT_EQ(rejection.details.at("field"), "cluster_id");
  EXPECT_EQ(rejection.details.at("rule"), "invalid_slug");
}

TEST(DecideTest, NonPositiveMoneyIsInvalidAmount) {
  const Rejection rejection = Refuse(AwardedWorld(), Envelope(Payment("wessex", "P1", 0)));
  EXPECT_EQ(rejection.code, r::kInvalidAmount);
  EXPECT_EQ(rejection.details.at("field"), "amount_pence");
  EXPECT_EQ(rejection.details.at("rule"), "not_positive");
  SubmitBid bid = Bid("new");
  bid.requested[Fy("2010/11")] = Pence(-5);
  EXPECT_EQ(Refuse(AwardedWorld(), Envelope(bid)).details.at("field"), "requested.2010/11");
}

TEST(DecideTest, RejectingWithoutReasonIsReasonRequired) {
  const Rejection rejection =
      Refuse(AwardedWorld(), Envelope(RejectBid{"wms", D("2010-01-05")}, "   "));
  EXPECT_EQ(rejection.code, r::kReasonRequired);
  EXPECT_EQ(rejection.details.at("field"), "reason");
}

TEST(DecideTest, StaleExpectedVersionIsWrongExpectedVersion) {
  const State state = AwardedWorld();  // wessex is at version 1.
  const Rejection rejection =
      Refuse(state, Envelope(Payment("wessex", "P1", 100), "", /*expected_version=*/0));
  EXPECT_EQ(rejection.code, r::kWrongExpectedVersion);
  EXPECT_EQ(rejection.details.at("expected"), "0");
  EXPECT_EQ(rejection.details.at("actual"), "1");
  EXPECT_EQ(CodeOf(state, Envelope(Payment("wessex", "P1", 100), "", 1)), "accepted");
  EXPECT_EQ(Refuse(state, Envelope(Bid("fresh"), "", 0)).details.at("actual"), "none");
}

TEST(DecideTest, CommandIdReusedIsAConflictCodeRaisedByThePipeline) {
  EXPECT_EQ(r::kCommandIdReused, "command_id_reused");
  EXPECT_EQ(RejectionStatusCode(r::kCommandIdReused), StatusCode::kConflict);
}

TEST(DecideTest, BidForUnknownProgrammeIsProgrammeNotFound) {
  SubmitBid bid = Bid("new");
  bid.programme_id = "nope";
  EXPECT_EQ(CodeOf(AwardedWorld(), Envelope(bid)), r::kProgrammeNotFound);
  EXPECT_EQ(CodeOf(AwardedWorld(), Envelope(CloseFinancialYear{"nope", Fy("2009/10")})),
            r::kProgrammeNotFound);
}

TEST(DecideTest, AwardOfUnknownBidIsBidNotFound) {
  EXPECT_EQ(CodeOf(AwardedWorld(),
                   Envelope(AwardBid{"ghost", {{Fy("2009/10"), Pence(1)}}, D("2010-01-05")})),
            r::kBidNotFound);
}

TEST(DecideTest, RemovingAStrangerIsMemberNotFound) {
  EXPECT_EQ(CodeOf(AwardedWorld(),
                   Envelope(RemoveMember{"wessex", "acme", D("2010-06-01")}, "left")),
            r::kMemberNotFound);
}

TEST(DecideTest, ReversingAnUnknownReferenceIsTrancheNotFound) {
  EXPECT_EQ(CodeOf(AwardedWorld(), Envelope(ReverseTranche{"wessex", "P404"}, "typo")),
            r::kTrancheNotFound);
}

TEST(DecideTest, OpeningTwiceIsProgrammeExists) {
  EXPECT_EQ(CodeOf(AwardedWorld(), Envelope(Hiec())), r::kProgrammeExists);
}

TEST(DecideTest, BidForAYearTheProgrammeLacksIsUnknownFinancialYear) {
  SubmitBid bid = Bid("new");
  bid.requested = {{Fy("2011/12"), Pence(100)}};
  EXPECT_EQ(CodeOf(AwardedWorld(), Envelope(bid)), r::kUnknownFinancialYear);
  EXPECT_EQ(CodeOf(AwardedWorld(), Envelope(Payment("wessex", "P1", 1, "2012-01-01", "2011/12"))),
            r::kUnknownFinancialYear);
}

TEST(DecideTest, SubmittingAnExistingClusterIdIsBidExists) {
  EXPECT_EQ(CodeOf(AwardedWorld(), Envelope(Bid("wessex"))), r::kBidExists);
}

TEST(DecideTest, DecidingTwiceIsBidAlreadyDecided) {
  EXPECT_EQ(CodeOf(AwardedWorld(),
                   Envelope(AwardBid{"wessex", {{Fy("2009/10"), Pence(1)}}, D("2010-01-06")})),
            r::kBidAlreadyDecided);
  EXPECT_EQ(CodeOf(AwardedWorld(), Envelope(RejectBid{"wessex", D("2010-01-06")}, "no")),
            r::kBidAlreadyDecided);
}

TEST(DecideTest, AwardBeyondTheYearsEnvelopeIsEnvelopeExceeded) {
  // Envelope £11,000,000; wessex holds £700,000; £10,300,000 fits exactly.
  const State state = AwardedWorld();
  const Rejection rejection = Refuse(
      state, Envelope(AwardBid{"wms", {{Fy("2009/10"), Pence(1'030'000'001)}}, D("2010-01-05")}));
  EXPECT_EQ(rejection.code, r::kEnvelopeExceeded);
  EXPECT_EQ(rejection.details.at("financial_year"), "2009/10");
  EXPECT_EQ(CodeOf(state, Envelope(AwardBid{"wms", {{Fy("2009/10"), Pence(1'030'000'000)}},
                                            D("2010-01-05")})),
            "accepted");
  EXPECT_EQ(CodeOf(state, Envelope(AmendAward{"wessex", Fy("2009/10"), Pence(1'100'000'001)},
                                   "raise")),
            r::kEnvelopeExceeded);
}

TEST(DecideTest, AmendingBelowWhatIsPaidIsAwardBelowPaid) {
  State state = AwardedWorld();
  Accept(state, Envelope(Payment("wessex", "P1", 30'000'000)));
  EXPECT_EQ(CodeOf(state, Envelope(AmendAward{"wessex", Fy("2009/10"), Pence(29'999'999)}, "cut")),
            r::kAwardBelowPaid);
  EXPECT_EQ(CodeOf(state, Envelope(AmendAward{"wessex", Fy("2009/10"), Pence(30'000'000)}, "cut")),
            "accepted");
}

TEST(DecideTest, AddingAnActiveMemberTwiceIsMemberExists) {
  State state = AwardedWorld();
  const AddMember add{"wessex", "Acme Ltd", Sector::kIndustry, D("2010-01-10"), std::nullopt};
  Accept(state, Envelope(add));
  EXPECT_EQ(CodeOf(state, Envelope(add)), r::kMemberExists);
}

TEST(DecideTest, RemovingThePrincipalPartnerIsCannotRemovePrincipalPartner) {
  State state = AwardedWorld();
  Accept(state, Envelope(AddMember{"wessex", "University of Southampton",
                                   Sector::kHigherEducation, D("2010-01-10"), std::nullopt}));
  EXPECT_EQ(CodeOf(state, Envelope(RemoveMember{"wessex", "university-of-southampton",
                                                D("2010-06-01")},
                                   "left")),
            r::kCannotRemovePrincipalPartner);
}

TEST(DecideTest, PayingAnUndecidedBidIsClusterNotAwarded) {
  EXPECT_EQ(CodeOf(AwardedWorld(), Envelope(Payment("wms", "P1", 100))), r::kClusterNotAwarded);
  EXPECT_EQ(CodeOf(AwardedWorld(),
                   Envelope(AmendAward{"wms", Fy("2009/10"), Pence(100)}, "why")),
            r::kClusterNotAwarded);
}

TEST(DecideTest, PaidOnInTheNextYearIsOutsideFinancialYear) {
  const Rejection rejection =
      Refuse(AwardedWorld(), Envelope(Payment("wessex", "P1", 100, "2010-04-01", "2009/10")));
  EXPECT_EQ(rejection.code, r::kOutsideFinancialYear);
  EXPECT_EQ(CodeOf(AwardedWorld(), Envelope(Payment("wessex", "P1", 100, "2010-03-31"))),
            "accepted");
}

TEST(DecideTest, PayingIntoAClosedYearIsFinancialYearClosed) {
  State state = AwardedWorld();
  Accept(state, Envelope(Payment("wessex", "P1", 100)));
  Accept(state, Envelope(CloseFinancialYear{"hiec", Fy("2009/10")}));
  EXPECT_EQ(CodeOf(state, Envelope(Payment("wessex", "P2", 100))), r::kFinancialYearClosed);
  EXPECT_EQ(CodeOf(state, Envelope(ReverseTranche{"wessex", "P1"}, "late")),
            r::kFinancialYearClosed);
  EXPECT_EQ(CodeOf(state, Envelope(AmendAward{"wessex", Fy("2009/10"), Pence(100)}, "late")),
            r::kFinancialYearClosed);
  EXPECT_EQ(CodeOf(state, Envelope(CloseFinancialYear{"hiec", Fy("2009/10")})),
            r::kFinancialYearClosed);
}

TEST(DecideTest, PayingMoreThanTheAwardIsTrancheExceedsAward) {
  State state = AwardedWorld();
  Accept(state, Envelope(Payment("wessex", "P1", 69'999'999)));
  EXPECT_EQ(CodeOf(state, Envelope(Payment("wessex", "P2", 2))), r::kTrancheExceedsAward);
  EXPECT_EQ(CodeOf(state, Envelope(Payment("wessex", "P2", 1))), "accepted");
}

TEST(DecideTest, ReusingAPaymentReferenceAnywhereIsPaymentReferenceExists) {
  State state = AwardedWorld();
  Accept(state, Envelope(AwardBid{"wms", {{Fy("2009/10"), Pence(1000)}}, D("2010-01-05")}));
  Accept(state, Envelope(Payment("wessex", "P1", 100)));
  EXPECT_EQ(CodeOf(state, Envelope(Payment("wessex", "P1", 100))), r::kPaymentReferenceExists);
  EXPECT_EQ(CodeOf(state, Envelope(Payment("wms", "P1", 100))), r::kPaymentReferenceExists);
}

TEST(DecideTest, PaymentReferenceRuleHoldsForCopiesOfAStateApart) {
  // The reference index is shared by copies until one records a tranche.
  State original = AwardedWorld();
  Accept(original, Envelope(AwardBid{"wms", {{Fy("2009/10"), Pence(1000)}}, D("2010-01-05")}));
  State copy = original;
  Accept(copy, Envelope(Payment("wessex", "P1", 100)));
  EXPECT_EQ(CodeOf(copy, Envelope(Payment("wms", "P1", 100))), r::kPaymentReferenceExists);
  EXPECT_EQ(CodeOf(original, Envelope(Payment("wms", "P1", 100))), "accepted");
  Accept(original, Envelope(Payment("wms", "P2", 100)));
  EXPECT_EQ(CodeOf(copy, Envelope(Payment("wessex", "P2", 100))), "accepted");
  EXPECT_EQ(CodeOf(original, Envelope(Payment("wessex", "P2", 100))), r::kPaymentReferenceExists);
  EXPECT_EQ(original.FindClusterByPaymentReference("P2"), original.FindCluster("wms"));
  EXPECT_EQ(original.FindClusterByPaymentReference("P1"), nullptr);
}

TEST(DecideTest, CopiedAssignedAndMovedStatesFindTheirOwnClusters) {
  // Each State indexes its own map of clusters: a copy that reached into
  // the State it came from would write into it, and outlive it.
  auto original = std::make_unique<State>(AwardedWorld());
  Accept(*original, Envelope(AwardBid{"wms", {{Fy("2009/10"), Pence(1000)}}, D("2010-01-05")}));
  State copy = *original;
  State assigned = AwardedWorld();  // Has clusters of its own before it is assigned.
  assigned = *original;
  Accept(copy, Envelope(Payment("wessex", "P1", 100)));
  Accept(assigned, Envelope(Payment("wessex", "P2", 100)));
  EXPECT_EQ(original->FindCluster("wessex")->tranches.size(), 0u);
  EXPECT_EQ(original->FindClusterByPaymentReference("P1"), nullptr);
  original.reset();
  State moved = std::move(copy);
  Accept(moved, Envelope(Payment("wessex", "P3", 100)));
  EXPECT_EQ(moved.FindCluster("wessex")->tranches.size(), 2u);
  EXPECT_EQ(moved.FindClusterByPaymentReference("P1"), moved.FindCluster("wessex"));
  EXPECT_EQ(CodeOf(moved, Envelope(Payment("wms", "P3", 100))), r::kPaymentReferenceExists);
  EXPECT_EQ(assigned.FindCluster("wessex")->tranches.size(), 1u);
  EXPECT_EQ(assigned.FindClusterByPaymentReference("P1"), nullptr);
  EXPECT_EQ(assigned.FindClusterByPaymentReference("P2"), assigned.FindCluster("wessex"));
}

TEST(DecideTest, ReversingTwiceIsTrancheAlreadyReversed) {
  State state = AwardedWorld();
  Accept(state, Envelope(Payment("wessex", "P1", 100)));
  Accept(state, Envelope(ReverseTranche{"wessex", "P1"}, "duplicate payment"));
  EXPECT_EQ(CodeOf(state, Envelope(ReverseTranche{"wessex", "P1"}, "again")),
            r::kTrancheAlreadyReversed);
}

TEST(DecideTest, EveryCodeHasAKind) {
  for (const std::string_view code : AllRejectionCodes()) {
    EXPECT_NE(RejectionStatusCode(code), StatusCode::kInternal) << code;
  }
  EXPECT_EQ(AllRejectionCodes().size(), 23u);
}

TEST(DecideTest, AcceptedCommandEmitsOneEventOnItsTargetStream) {
  const State state = AwardedWorld();
  const CommandEnvelope command = Envelope(Payment("wessex", "P1", 100));
  const Decision decision = Decide(state, command);
  const auto& events = std::get<std::vector<DomainEvent>>(decision);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].stream, "cluster-wessex");
  EXPECT_EQ(EventTypeName(events[0].event), "TrancheRecorded");
}

}  // namespace
}  // namespace tranche::core
