// Builds the seed's commands from the facts and the illustrative allocation.
#include "api/service/seed_loader.h"

#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/ids.h"
#include "core/json/json_codec.h"

namespace tranche::service {
namespace {

using nlohmann::json;

constexpr char kSeedActor[] = "seed";
constexpr char kAllocationFile[] = "hiec-allocation-illustrative.json";
constexpr char kSeedReason[] =
    "Seed: HIEC programme as published (January-March 2010); award amounts are ILLUSTRATIVE";

StatusOr<json> ReadJson(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return Status::InvalidArgument("seed_unreadable", "cannot read " + path.string());
  std::stringstream text;
  text << in.rdbuf();
  json parsed = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return Status::InvalidArgument("seed_not_json", path.string() + " is not valid JSON");
  }
  return parsed;
}

struct SeedCommand {
  std::string name;
  json body;
};

std::vector<SeedCommand> BuildCommands(const json& facts, const json& allocation) {
  std::vector<SeedCommand> commands;
  const json& programme = facts.at("programme");
  const std::string programme_id = programme.at("id");
  json years = json::array();
  for (const json& year : programme.at("financial_years")) {
    const std::string label = year.at("label");
    years.push_back({{"label", label},
                     {"envelope_pence", allocation.at("envelopes_pence").at(label)}});
  }
  commands.push_back({"open-programme",
                      {{"command_id", "seed-open-programme-" + programme_id},
                       {"programme_id", programme_id},
                       {"name", programme.at("name")},
                       {"funder", programme.at("sponsor")},
                       {"financial_years", years}}});
  for (const json& cluster : facts.at("clusters")) {
    const std::string id = cluster.at("id");
    commands.push_back({"submit-bid",
                        {{"command_id", "seed-submit-bid-" + id},
                         {"programme_id", programme_id},
                         {"cluster_id", id},
                         {"name", cluster.at("name")},
                         {"region", cluster.at("sha")},
                         {"principal_partner", cluster.at("principal_partner")},
                         {"work_programme", cluster.at("work_programme")},
                         {"requested", allocation.at("requested_pence").at(id)},
                         {"submitted_on", allocation.at("bids_submitted_on")}}});
    commands.push_back({"award-bid",
                        {{"command_id", "seed-award-bid-" + id},
                         {"cluster_id", id},
                         {"awards", allocation.at("awards_pence").at(id)},
                         {"decided_on", allocation.at("awards_decided_on")},
                         {"reason", kSeedReason}}});
    if (!cluster.contains("members")) continue;
    for (const json& member : cluster.at("members")) {
      const std::string name = member.at("name");
      commands.push_back({"add-member",
                          {{"command_id", "seed-add-member-" + id + "-" +
                                              core::DeriveOrganisationId(name)},
                           {"cluster_id", id},
                           {"name", name},
                           {"sector", member.at("sector")},
                           {"joined_on", allocation.at("members_joined_on")}}});
    }
  }
  return commands;
}

}  // namespace

StatusOr<SeedSummary> LoadSeed(CommandPipeline& pipeline, const std::string& facts_path) {
  StatusOr<json> facts = ReadJson(facts_path);
  if (!facts.ok()) return facts.status();
  const auto allocation_path = std::filesystem::path(facts_path).parent_path() / kAllocationFile;
  StatusOr<json> allocation = ReadJson(allocation_path);
  if (!allocation.ok()) return allocation.status();

  std::vector<SeedCommand> commands;
  try {
    commands = BuildCommands(*facts, *allocation);
  } catch (const json::exception& error) {
    return Status::InvalidArgument("seed_malformed", std::string("seed files: ") + error.what());
  }
  std::vector<std::future<CommandOutcome>> answers;
  for (SeedCommand& command : commands) {
    auto parsed = core::ParseCommand(command.name, command.body);
    if (auto* rejection = std::get_if<core::Rejection>(&parsed)) {
      return Status::InvalidArgument(rejection->code, "seed command " + command.name + " " +
                                                          command.body.value("command_id", "") +
                                                          ": " + rejection->message);
    }
    core::CommandEnvelope envelope = std::get<core::CommandEnvelope>(std::move(parsed));
    envelope.actor = kSeedActor;
    auto promise = std::make_shared<std::promise<CommandOutcome>>();
    answers.push_back(promise->get_future());
    pipeline.Submit(std::move(envelope),
                    [promise](CommandOutcome outcome) { promise->set_value(std::move(outcome)); });
  }
  SeedSummary summary;
  Status first_failure;
  for (size_t i = 0; i < answers.size(); ++i) {
    CommandOutcome outcome = answers[i].get();
    ++summary.commands;
    if (outcome.result) {
      outcome.result->duplicate ? ++summary.duplicates : ++summary.accepted;
    } else if (first_failure.ok()) {
      const std::string what = commands[i].name + " " + commands[i].body.value("command_id", "");
      first_failure = outcome.rejection
                          ? Status::FailedPrecondition(outcome.rejection->code,
                                                       what + ": " + outcome.rejection->message)
                          : outcome.error;
    }
  }
  if (!first_failure.ok()) return first_failure;
  return summary;
}

}  // namespace tranche::service
