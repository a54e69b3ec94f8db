// Property: for random command streams (valid and invalid mixed), the state
// rebuilt by replaying the log equals the state the live pipeline built.
#include <future>
#include <random>

#include "core/evolve.h"
#include "projections/view_json.h"
#include "tests/service/service_fixture.h"

namespace tranche::service {
namespace {

using nlohmann::json;

class RandomCommands {
 public:
  explicit RandomCommands(uint32_t seed) : rng_(seed) {}

  std::pair<std::string, json> Next(int index) {
    json body = {{"command_id", "r" + std::to_string(index)}};
    if (!Chance(8)) body["reason"] = "because " + std::to_string(Pick(5));
    switch (Pick(9)) {
      case 0:
        body.update({{"programme_id", Chance(10) ? "q" : "p"},
                     {"cluster_id", Cluster()},
                     {"name", "Cluster " + std::to_string(Pick(9))},
                     {"region", "Region"},
                     {"principal_partner", "Partner " + std::to_string(Pick(3))},
                     {"work_programme", "Work"},
                     {"requested", {{Year(), Amount()}}},
                     {"submitted_on", "2009-10-30"}});
        return {"submit-bid", body};
      case 1:
        body.update({{"cluster_id", Cluster()},
                     {"awards", {{Year(), Amount()}}},
                     {"decided_on", "2010-01-05"}});
        return {"award-bid", body};
      case 2:
        if (Chance(3)) {
          body.update({{"cluster_id", Cluster()}, {"decided_on", "2010-01-05"}});
          return {"reject-bid", body};
        }
        body.update({{"cluster_id", Cluster()},
                     {"awards", {{"2009/10", Amount() / 8}, {"2010/11", Amount() / 8}}},
                     {"decided_on", "2010-01-05"}});
        return {"award-bid", body};
      case 3:
        body.update({{"cluster_id", Cluster()}, {"financial_year", Year()},
                     {"amount_pence", Pick(3) == 0 ? 0 : Amount()}});
        return {"amend-award", body};
      case 4:
        body.update({{"cluster_id", Cluster()}, {"name", Organisation()},
                     {"sector", Chance(12) ? "aliens" : "nhs"}, {"joined_on", "2010-01-05"}});
        return {"add-member", body};
      case 5:
        body.update({{"cluster_id", Cluster()},
                     {"organisation_id", "organisation-" + std::to_string(Pick(12))},
                     {"left_on", "2010-06-01"}});
        return {"remove-member", body};
      case 6:
      case 7:
        body.update({{"cluster_id", Cluster()}, {"financial_year", Year()},
                     {"amount_pence", Amount() / 16}, {"paid_on", Date()},
                     {"payment_reference", "ref-" + std::to_string(Pick(400))}});
        return {"record-tranche", body};
      default:
        if (Chance(80)) {
          body.update({{"programme_id", "p"}, {"financial_year", Year()}});
          return {"close-financial-year", body};
        }
        body.update({{"cluster_id", Cluster()},
                     {"payment_reference", "ref-" + std::to_string(Pick(400))}});
        return {"reverse-tranche", body};
    }
  }

 private:
  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  bool Chance(int one_in) { return Pick(one_in) == 0; }
  std::string Cluster() { return "c" + std::to_string(Pick(40)); }
  std::string Organisation() { return "Organisation " + std::to_string(Pick(12)); }
  std::string Year() {
    static const char* const kYears[] = {"2009/10", "2010/11", "2011/12"};
    return kYears[Pick(10) == 0 ? 2 : Pick(2)];
  }
  int64_t Amount() { return 8 + Pick(1'000'000); }
  std::string Date() {
    static const char* const kDates[] = {"2009-04-01", "2009-12-31", "2010-03-31",
                                         "2010-04-01", "2010-11-11", "2011-03-31",
                                         "2011-04-01"};
    return kDates[Pick(7)];
  }
  std::mt19937 rng_;
};

json ReadModelJson(const projections::ReadModel& model) {
  const projections::Moment now{UINT64_MAX, {}};
  json out = json::object();
  for (const auto& programme : model.Programmes(now)) {
    out["programmes"].push_back(projections::ProgrammeViewToJson(programme));
  }
  for (const auto& cluster : model.Clusters("", now)) {
    out["clusters"].push_back(projections::ClusterViewToJson(cluster));
  }
  for (const auto& row : model.Ledger("", now)) {
    out["ledger"].push_back(projections::LedgerEntryToJson(row));
  }
  return out;
}

TEST_F(ServiceFixture, ReplayedStateEqualsLiveStateForRandomCommands) {
  constexpr uint32_t kSeeds[] = {20091001, 20100105, 20110331, 7, 42};
  constexpr int kCommandsPerSeed = 2000;
  constexpr int kInFlightMax = 256;
  for (uint32_t seed : kSeeds) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::printf("replay property: seed %u, %d commands\n", seed, kCommandsPerSeed);
    Reopen();
    std::filesystem::remove_all(dir_);
    Reopen();
    ASSERT_EQ(Head(), 0u);
    Accept("open-programme", {{"command_id", "open"},
                              {"programme_id", "p"},
                              {"name", "P"},
                              {"funder", "F"},
                              {"financial_years",
                               {{{"label", "2009/10"}, {"envelope_pence", 10'000'000}},
                                {{"label", "2010/11"}, {"envelope_pence", 8'000'000}}}}});
    // Half the clusters start awarded, so that money commands have targets.
    for (int c = 0; c < 20; ++c) {
      const std::string id = "c" + std::to_string(c * 2);
      Accept("submit-bid", {{"command_id", "bid-" + id}, {"programme_id", "p"},
                            {"cluster_id", id}, {"name", id}, {"region", "R"},
                            {"principal_partner", "Organisation 0"}, {"work_programme", "W"},
                            {"requested", {{"2009/10", 300'000}}},
                            {"submitted_on", "2009-10-30"}});
      Accept("award-bid", {{"command_id", "award-" + id}, {"cluster_id", id},
                           {"awards", {{"2009/10", 300'000}, {"2010/11", 250'000}}},
                           {"decided_on", "2010-01-05"}});
    }
    RandomCommands random(seed);
    int accepted = 0;
    std::map<std::string, int> rejections;
    for (int start = 0; start < kCommandsPerSeed; start += kInFlightMax) {
      std::vector<std::future<CommandOutcome>> running;
      for (int i = start; i < std::min(start + kInFlightMax, kCommandsPerSeed); ++i) {
        auto [name, body] = random.Next(i);
        running.push_back(Submit(name, body));  // In order, without waiting.
      }
      for (auto& answer : running) {
        CommandOutcome outcome = answer.get();
        ASSERT_TRUE(outcome.result || outcome.rejection) << outcome.error.ToString();
        if (outcome.result) ++accepted;
        if (outcome.rejection) rejections[outcome.rejection->code]++;
      }
    }
    std::printf("  accepted %d; rejected:", accepted);
    for (const auto& [code, count] : rejections) std::printf(" %s=%d", code.c_str(), count);
    std::printf("\n");
    EXPECT_GT(accepted, kCommandsPerSeed / 10);  // The mix stays meaningful.
    const json live_read_model = ReadModelJson(service_->read_model());
    service_->Stop();
    const core::State& live_state = service_->pipeline().StateAfterStop();
    ASSERT_TRUE(core::CheckInvariants(live_state).ok());

    core::State replayed;
    projections::ReadModel replayed_model;
    ASSERT_TRUE(ReplayLog(*store_, &replayed, &replayed_model).ok());
    EXPECT_EQ(core::StateToJson(replayed), core::StateToJson(live_state));
    EXPECT_EQ(ReadModelJson(replayed_model), live_read_model);
    ASSERT_TRUE(store_->Verify().ok);
  }
}

}  // namespace
}  // namespace tranche::service
