// Random command streams (valid and invalid mixed) over a programme "p" of
// up to 40 clusters, and the read model as one JSON value, for the replay
// and snapshot properties.
#pragma once

#include <random>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "projections/read_model.h"
#include "projections/view_json.h"

namespace tranche::service {

using nlohmann::json;

// Where every random stream starts: programme "p" with two years, and half
// of its 40 clusters submitted and awarded, so that money commands have
// targets.
inline std::vector<std::pair<std::string, json>> ProgrammeSetUpCommands() {
  std::vector<std::pair<std::string, json>> commands = {
      {"open-programme",
       {{"command_id", "open"},
        {"programme_id", "p"},
        {"name", "P"},
        {"funder", "F"},
        {"financial_years",
         {{{"label", "2009/10"}, {"envelope_pence", 10'000'000}},
          {{"label", "2010/11"}, {"envelope_pence", 8'000'000}}}}}}};
  for (int c = 0; c < 20; ++c) {
    const std::string id = "c" + std::to_string(c * 2);
    commands.push_back({"submit-bid",
                        {{"command_id", "bid-" + id}, {"programme_id", "p"},
                         {"cluster_id", id}, {"name", id}, {"region", "R"},
                         {"principal_partner", "Organisation 0"}, {"work_programme", "W"},
                         {"requested", {{"2009/10", 300'000}}},
                         {"submitted_on", "2009-10-30"}}});
    commands.push_back({"award-bid",
                        {{"command_id", "award-" + id}, {"cluster_id", id},
                         {"awards", {{"2009/10", 300'000}, {"2010/11", 250'000}}},
                         {"decided_on", "2010-01-05"}}});
  }
  return commands;
}

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

// Every view of the model as known at `position` (all of it by default).
inline json ReadModelJson(const projections::ReadModel& model, uint64_t position = UINT64_MAX) {
  const projections::Moment now{position, {}};
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

}  // namespace tranche::service
