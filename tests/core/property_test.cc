// Property test: random commands (valid and invalid mixed) against Decide and Evolve.
//
// After every accepted command the invariants hold; at the end, re-folding all
// accepted events from an empty State gives an equal State (also as JSON), and
// every event survives the binary codec. Seeds are fixed and printed.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/json/json_codec.h"
#include "tests/core/domain_fixture.h"

namespace tranche::core {
namespace {

using namespace testing;  // NOLINT: the fixture's builders.

constexpr int kCommandsPerSeed = 3000;
constexpr uint32_t kSeeds[] = {1, 20091001, 20100105, 424242};

class CommandGenerator {
 public:
  explicit CommandGenerator(uint32_t seed) : random_(seed) {}

  CommandEnvelope Next() {
    switch (Pick(10)) {
      case 0: return Envelope(OpenProgramme{Programme(), "Programme", "Funder", Years()});
      case 1: return Envelope(SubmitBid{Programme(), Cluster(), "Bid", "Region", Partner(),
                                        "Work", Amounts(), *D("2009-03-01").AddDays(Pick(200))});
      case 2: return Envelope(AwardBid{Cluster(), Amounts(), Day()});
      case 3:
        if (Pick(5) == 0) return Envelope(RejectBid{Cluster(), Day()}, Reason());
        return Envelope(AwardBid{Cluster(), Amounts(), Day()});
      case 4: return Envelope(AmendAward{Cluster(), Year(), Amount()}, Reason());
      case 5: return Envelope(AddMember{Cluster(), Partner(), kAllSectors[Pick(6)], Day(),
                                        std::nullopt});
      case 6: return Envelope(RemoveMember{Cluster(), DeriveOrganisationId(Partner()), Day()},
                              Reason());
      case 7:
      case 8: {
        const FinancialYear year = Year();
        return Envelope(RecordTranche{Cluster(), year, Amount(), DayIn(year), Reference()}, "",
                        Pick(8) == 0 ? std::optional<uint64_t>(Pick(6)) : std::nullopt);
      }
      default:
        if (Pick(250) == 0) return Envelope(CloseFinancialYear{Programme(), Year()});
        return Envelope(ReverseTranche{Cluster(), Reference()}, Reason());
    }
  }

 private:
  uint64_t Pick(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(random_); }
  std::string Programme() { return Pick(10) == 0 ? "p-2" : "p-1"; }
  std::string Cluster() { return Pick(40) == 0 ? "Bad Id" : "c-" + std::to_string(Pick(12)); }
  std::string Partner() { return "Org " + std::to_string(Pick(5)); }
  std::string Reference() { return "R" + std::to_string(Pick(1500)); }
  std::string Reason() { return Pick(10) == 0 ? "" : "because"; }
  // Mostly the programme's two years, sometimes one it does not have.
  FinancialYear Year() {
    return FinancialYear::FromStartYear(Pick(12) == 0 ? 2011 : 2009 + static_cast<int>(Pick(2)));
  }
  // Mostly inside `year`, sometimes a few days either side of it.
  Date DayIn(FinancialYear year) {
    return *year.Start().AddDays(static_cast<int64_t>(Pick(380)) - 7);
  }
  // Mostly after every submission (2009-03-01 + 0..199 days), sometimes before.
  Date Day() { return *D("2009-03-01").AddDays(static_cast<int64_t>(Pick(Pick(4) == 0 ? 200 : 800))); }
  Pence Amount() {
    if (Pick(20) == 0) return Pence(-static_cast<int64_t>(Pick(3)));
    return Pence(static_cast<int64_t>(1 + Pick(Pick(2) == 0 ? 1'000 : 40'000'000)));
  }
  YearAmounts Amounts() {
    YearAmounts amounts;
    for (int i = static_cast<int>(Pick(3)) + (Pick(10) == 0 ? 0 : 1); i > 0; --i) {
      amounts[Year()] = Amount();
    }
    return amounts;
  }
  std::vector<FinancialYearEnvelope> Years() {
    return {{Fy("2009/10"), Pence(100'000'000)}, {Fy("2010/11"), Pence(80'000'000)}};
  }

  std::mt19937_64 random_;
};

TEST(PropertyTest, InvariantsHoldAndReplayEqualsLiveStateForRandomCommands) {
  int total_accepted = 0;
  for (const uint32_t seed : kSeeds) {
    std::printf("property seed %u\n", seed);
    SCOPED_TRACE("seed " + std::to_string(seed));
    CommandGenerator generator(seed);
    State live;
    std::vector<DomainEvent> log;
    std::vector<std::pair<State, std::string>> snapshots;
    std::map<std::string, int> rejections;
    for (int i = 0; i < kCommandsPerSeed; ++i) {
      const CommandEnvelope command = generator.Next();
      Decision decision = Decide(live, command);
      if (const auto* rejection = std::get_if<Rejection>(&decision)) {
        ++rejections[rejection->code];
        continue;
      }
      for (DomainEvent& event : std::get<std::vector<DomainEvent>>(decision)) {
        Evolve(live, event);
        const std::string bytes = EncodeEvent(event.event);
        ASSERT_EQ(*DecodeEvent(EventTypeName(event.event), kEventSchemaVersion, bytes), event.event);
        log.push_back(std::move(event));
      }
      const Status invariants = CheckInvariants(live);
      ASSERT_TRUE(invariants.ok()) << "after command " << i << ": " << invariants.ToString();
      if (i % 500 == 0) snapshots.emplace_back(live, StateToJson(live).dump());
    }
    State replayed;
    for (const DomainEvent& event : log) Evolve(replayed, event);
    EXPECT_TRUE(replayed == live);
    // Replay's path: the cluster checks deferred to the end, then run.
    State deferred;
    std::set<std::string> touched;
    for (const DomainEvent& event : log) {
      const std::string_view id = EvolveDeferringClusterCheck(deferred, event.stream, event.event);
      if (!id.empty()) touched.emplace(id);
    }
    for (const std::string& id : touched) EXPECT_TRUE(CheckClusterInvariants(deferred, id).ok());
    EXPECT_TRUE(deferred == live);
    EXPECT_EQ(StateToJson(replayed).dump(), StateToJson(live).dump());
    for (const auto& [snapshot, json] : snapshots) EXPECT_EQ(StateToJson(snapshot).dump(), json);
    total_accepted += static_cast<int>(log.size());
    std::printf("seed %u: %zu of %d commands accepted; rejected:", seed, log.size(),
                kCommandsPerSeed);
    for (const auto& [code, count] : rejections) std::printf(" %s=%d", code.c_str(), count);
    std::printf("\n");
  }
  EXPECT_GT(total_accepted, 1000);
}

TEST(EvolveTest, ADeferredClusterCheckStillFindsAnOverpaymentThatEvolveRefuses) {
  // A log no decider wrote: a tranche above the cluster's award. Applying it
  // passes every per-apply check; the cluster check finds it.
  const FinancialYear y1 = Fy("2009/10");
  const std::vector<DomainEvent> log = {
      {"programme-hiec", ProgrammeOpened{"hiec", "HIECs", "DH", {{y1, Pence(1'000)}}}},
      {"cluster-wessex",
       BidSubmitted{"hiec", "wessex", "Wessex", "South Central", "Southampton", "Work", {},
                    D("2009-10-30")}},
      {"cluster-wessex", BidAwarded{"hiec", "wessex", {{y1, Pence(100)}}, D("2010-01-05")}},
      {"cluster-wessex", TrancheRecorded{"hiec", "wessex", y1, Pence(200), D("2010-02-01"), "P1"}},
  };
  State state;
  std::string_view last;
  for (const DomainEvent& event : log) {
    last = EvolveDeferringClusterCheck(state, event.stream, event.event);
  }
  EXPECT_EQ(last, "wessex");
  const Status status = CheckClusterInvariants(state, last);
  EXPECT_EQ(status.reason(), "invariant_violated");
  EXPECT_NE(status.message().find("net paid"), std::string::npos) << status.ToString();
  State checked;
  for (size_t i = 0; i + 1 < log.size(); ++i) Evolve(checked, log[i]);
  EXPECT_DEATH(Evolve(checked, log.back()), "net paid");
}

}  // namespace
}  // namespace tranche::core
