// A real event store in a temp dir with the Service over it, for tests.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <future>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/service/service.h"
#include "core/json/json_codec.h"
#include "eventstore/event_store.h"
#include "tests/eventstore/fault_file_system.h"

namespace tranche::service {

class ServiceFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tranche-service-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    Open();
  }
  void TearDown() override {
    Close();
    std::filesystem::remove_all(dir_);
  }

  void Open(eventstore::Options options = {}) {
    auto store = eventstore::EventStore::Open(dir_.string(), options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    auto service = Service::Open(*store_, service_options_);
    ASSERT_TRUE(service.ok()) << service.status().ToString();
    service_ = std::move(service).value();
  }
  void Close() {
    service_.reset();
    if (store_) store_->Close();
    store_.reset();
  }
  void Reopen(eventstore::Options options = {}) {
    Close();
    Open(options);
  }
  // Reopens on a disk whose faults the test switches on.
  std::shared_ptr<eventstore::testing::FaultFileSystem> ReopenOnFaultyDisk() {
    auto disk = std::make_shared<eventstore::testing::FaultFileSystem>();
    eventstore::Options options;
    options.file_system = disk;
    Reopen(options);
    return disk;
  }

  // Parses `body` as command `name` and queues it as `actor` on `service`
  // (the fixture's by default); the future holds the outcome (a parse
  // failure is a rejection at once).
  std::future<CommandOutcome> Submit(const std::string& name, const nlohmann::json& body,
                                     const std::string& actor = "tester",
                                     Service* service = nullptr) {
    return Queue(name, body, actor, service, /*may_decide_here=*/false);
  }
  // The same through CommandPipeline::SubmitMayDecideHere, as the HTTP
  // routes submit.
  std::future<CommandOutcome> SubmitMayDecideHere(const std::string& name,
                                                  const nlohmann::json& body) {
    return Queue(name, body, "tester", nullptr, /*may_decide_here=*/true);
  }

  // Parses `body` as command `name` and runs it through the blocking
  // CommandPipeline::Execute on this thread.
  CommandOutcome Execute(const std::string& name, const nlohmann::json& body,
                         const std::string& actor = "tester") {
    auto parsed = core::ParseCommand(name, body);
    if (auto* rejection = std::get_if<core::Rejection>(&parsed)) {
      CommandOutcome outcome;
      outcome.rejection = *rejection;
      return outcome;
    }
    core::CommandEnvelope envelope = std::get<core::CommandEnvelope>(std::move(parsed));
    envelope.actor = actor;
    return service_->pipeline().Execute(std::move(envelope));
  }

  // Runs a command to completion.
  CommandOutcome Run(const std::string& name, const nlohmann::json& body,
                     const std::string& actor = "tester") {
    return Submit(name, body, actor).get();
  }

  // Runs a command that must be accepted.
  CommandResult Accept(const std::string& name, nlohmann::json body) {
    CommandOutcome outcome = Run(name, std::move(body));
    EXPECT_TRUE(outcome.result.has_value())
        << name << ": " << (outcome.rejection ? outcome.rejection->code + " " + outcome.rejection->message
                                              : outcome.error.ToString());
    return outcome.result.value_or(CommandResult{});
  }

  uint64_t Head() const { return store_->GetHead().position; }

  // A programme with two years (£1,000.00 and £500.00 envelopes) and one
  // awarded cluster "alpha" (£600.00 in 2009/10, £300.00 in 2010/11).
  void SetUpSmallProgramme() {
    Accept("open-programme", {{"command_id", "c-open"},
                              {"programme_id", "p"},
                              {"name", "Programme"},
                              {"funder", "Funder"},
                              {"financial_years",
                               {{{"label", "2009/10"}, {"envelope_pence", 100000}},
                                {{"label", "2010/11"}, {"envelope_pence", 50000}}}}});
    Accept("submit-bid", {{"command_id", "c-bid"},
                          {"programme_id", "p"},
                          {"cluster_id", "alpha"},
                          {"name", "Alpha"},
                          {"region", "Region"},
                          {"principal_partner", "University of Alpha"},
                          {"work_programme", "Work"},
                          {"requested", {{"2009/10", 60000}, {"2010/11", 30000}}},
                          {"submitted_on", "2009-10-30"}});
    Accept("award-bid", {{"command_id", "c-award"},
                         {"cluster_id", "alpha"},
                         {"awards", {{"2009/10", 60000}, {"2010/11", 30000}}},
                         {"decided_on", "2010-01-05"}});
  }

  std::future<CommandOutcome> Queue(const std::string& name, const nlohmann::json& body,
                                    const std::string& actor, Service* service,
                                    bool may_decide_here) {
    auto promise = std::make_shared<std::promise<CommandOutcome>>();
    auto answer = promise->get_future();
    auto parsed = core::ParseCommand(name, body);
    if (auto* rejection = std::get_if<core::Rejection>(&parsed)) {
      CommandOutcome outcome;
      outcome.rejection = *rejection;
      promise->set_value(std::move(outcome));
      return answer;
    }
    core::CommandEnvelope envelope = std::get<core::CommandEnvelope>(std::move(parsed));
    envelope.actor = actor;
    CommandPipeline& pipeline = (service != nullptr ? service : service_.get())->pipeline();
    auto done = [promise](CommandOutcome o) { promise->set_value(std::move(o)); };
    if (may_decide_here) {
      pipeline.SubmitMayDecideHere(std::move(envelope), std::move(done));
    } else {
      pipeline.Submit(std::move(envelope), std::move(done));
    }
    return answer;
  }

  std::filesystem::path dir_;
  ServiceOptions service_options_;  // What Open passes to Service::Open.
  std::unique_ptr<eventstore::EventStore> store_;
  std::unique_ptr<Service> service_;
};

// An add-member command for the small programme's cluster "alpha".
inline nlohmann::json Member(const std::string& command_id, const std::string& name) {
  return {{"command_id", command_id},
          {"cluster_id", "alpha"},
          {"name", name},
          {"sector", "nhs"},
          {"joined_on", "2010-01-05"}};
}

}  // namespace tranche::service
