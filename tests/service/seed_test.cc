// The HIEC seed loads through the pipeline and gives the published counts.
#include <fstream>

#include "api/service/seed_loader.h"
#include "tests/service/service_fixture.h"

namespace tranche::service {
namespace {

nlohmann::json Allocation() {
  std::ifstream in(std::filesystem::path(TRANCHE_SEED_FILE).parent_path() /
                   "hiec-allocation-illustrative.json");
  return nlohmann::json::parse(in);
}

int64_t SumAwards(const nlohmann::json& allocation, const std::string& year) {
  int64_t total = 0;
  for (const auto& [cluster, awards] : allocation.at("awards_pence").items()) {
    total += awards.at(year).get<int64_t>();
  }
  return total;
}

TEST_F(ServiceFixture, SeedGivesSeventeenAwardedClustersWithTheirMembers) {
  auto summary = LoadSeed(service_->pipeline(), TRANCHE_SEED_FILE);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->accepted, summary->commands);
  EXPECT_EQ(summary->commands, 1 + 17 * 2 + 38 + 12);

  const projections::Moment now{UINT64_MAX, {}};
  auto clusters = service_->read_model().Clusters("hiec", now);
  ASSERT_EQ(clusters.size(), 17u);
  for (const auto& cluster : clusters) {
    EXPECT_EQ(cluster.status, core::BidStatus::kAwarded) << cluster.id;
  }
  auto wessex = service_->read_model().Cluster("wessex", now);
  ASSERT_TRUE(wessex.ok());
  EXPECT_EQ(wessex->members.size(), 38u);
  EXPECT_EQ(wessex->principal_partner, "University of Southampton");
  std::ifstream facts_file(TRANCHE_SEED_FILE);
  const nlohmann::json facts = nlohmann::json::parse(facts_file);
  std::map<std::string, int> sectors_in_facts;
  for (const auto& cluster : facts.at("clusters")) {
    if (cluster.at("id") != "wessex") continue;
    for (const auto& member : cluster.at("members")) sectors_in_facts[member.at("sector")]++;
  }
  for (const auto& [sector, count] : wessex->member_count_by_sector) {
    EXPECT_EQ(count, sectors_in_facts[std::string(core::SectorName(sector))]);
  }
  EXPECT_EQ(wessex->member_count_by_sector.at(core::Sector::kNhs), 19);
  auto west_midlands_south = service_->read_model().Cluster("west-midlands-south", now);
  ASSERT_TRUE(west_midlands_south.ok());
  EXPECT_EQ(west_midlands_south->members.size(), 12u);
  for (const auto& event : std::vector<uint64_t>{1, 2}) {
    std::vector<eventstore::RecordedEvent> read;
    ASSERT_TRUE(store_->ReadAll(event, {}, 1, &read).ok());
    EXPECT_EQ(read.at(0).actor, "seed");
  }
}

TEST_F(ServiceFixture, SeedProgrammeTotalsMatchTheIllustrativeAllocationToThePenny) {
  ASSERT_TRUE(LoadSeed(service_->pipeline(), TRANCHE_SEED_FILE).ok());
  const nlohmann::json allocation = Allocation();
  auto programme = service_->read_model().Programme("hiec", {UINT64_MAX, {}});
  ASSERT_TRUE(programme.ok());
  ASSERT_EQ(programme->financial_years.size(), 2u);
  const auto& year_one = programme->financial_years[0];
  const auto& year_two = programme->financial_years[1];
  EXPECT_EQ(year_one.financial_year.Label(), "2009/10");
  EXPECT_EQ(year_one.awarded_pence.value(), SumAwards(allocation, "2009/10"));
  EXPECT_EQ(year_one.envelope_pence.value(),
            allocation.at("envelopes_pence").at("2009/10").get<int64_t>());
  EXPECT_EQ(year_two.awarded_pence.value(), SumAwards(allocation, "2010/11"));
  // The published facts the illustration must respect: over £11m in year
  // one, just under £10m in year two.
  EXPECT_GT(year_one.awarded_pence.value(), 1'100'000'000);
  EXPECT_LT(year_two.envelope_pence.value(), 1'000'000'000);
  EXPECT_EQ(core::FormatPounds(year_one.awarded_pence), "£11,220,000.00");
  EXPECT_EQ(core::FormatPounds(year_two.awarded_pence), "£9,945,000.00");
}

TEST_F(ServiceFixture, LoadingTheSeedTwiceWritesNothingTheSecondTime) {
  ASSERT_TRUE(LoadSeed(service_->pipeline(), TRANCHE_SEED_FILE).ok());
  const uint64_t head = Head();
  Reopen();
  auto again = LoadSeed(service_->pipeline(), TRANCHE_SEED_FILE);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->duplicates, again->commands);
  EXPECT_EQ(Head(), head);
}

}  // namespace
}  // namespace tranche::service
