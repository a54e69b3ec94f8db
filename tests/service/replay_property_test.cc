// Property: for random command streams (valid and invalid mixed), the state
// rebuilt by replaying the log equals the state the live pipeline built.
#include <future>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/evolve.h"
#include "projections/view_json.h"
#include "tests/service/random_commands.h"
#include "tests/service/service_fixture.h"

namespace tranche::service {
namespace {

using nlohmann::json;

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
    for (const auto& [name, body] : ProgrammeSetUpCommands()) Accept(name, body);
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

// Writes `events` to `store` as raw appends of up to 900 events, bypassing
// the decider (a log no pipeline would write).
void AppendRaw(eventstore::EventStore& store, const std::vector<core::DomainEvent>& events) {
  eventstore::AppendRequest request;
  std::set<std::string> streams;  // In `request`.
  size_t in_request = 0;
  auto flush = [&] {
    if (request.streams.empty()) return;
    request.command_id = "raw-" + std::to_string(store.GetHead().position + 1);
    request.actor = "tester";
    ASSERT_TRUE(store.Append(request).ok());
    request = {};
    streams.clear();
    in_request = 0;
  };
  for (const core::DomainEvent& event : events) {
    const bool continues = !request.streams.empty() && request.streams.back().stream == event.stream;
    if (in_request == 900 || (!continues && streams.contains(event.stream))) flush();
    if (request.streams.empty() || request.streams.back().stream != event.stream) {
      request.streams.push_back({event.stream, eventstore::ExpectedVersion::Any(), {}});
      streams.insert(event.stream);
    }
    request.streams.back().events.push_back({std::string(core::EventTypeName(event.event)),
                                             core::kEventSchemaVersion, "",
                                             core::EncodeEvent(event.event)});
    ++in_request;
  }
  flush();
}

// A programme of `clusters` awarded clusters (100 pence each in 2009/10),
// the last of them paid 200 pence: an overpayment only the cluster check sees.
std::vector<core::DomainEvent> OverpaidLog(int clusters) {
  const core::FinancialYear y1 = *core::FinancialYear::Parse("2009/10");
  std::vector<core::DomainEvent> log = {
      {"programme-hiec",
       core::ProgrammeOpened{"hiec", "HIECs", "DH", {{y1, core::Pence(1'000'000)}}}}};
  std::string last;
  for (int i = 0; i < clusters; ++i) {
    last = "c" + std::to_string(i);
    log.push_back({"cluster-" + last,
                   core::BidSubmitted{"hiec", last, last, "R", "P", "W", {},
                                      *core::ParseDate("2009-10-30")}});
    log.push_back({"cluster-" + last, core::BidAwarded{"hiec", last, {{y1, core::Pence(100)}},
                                                       *core::ParseDate("2010-01-05")}});
  }
  log.push_back({"cluster-" + last, core::TrancheRecorded{"hiec", last, y1, core::Pence(200),
                                                          *core::ParseDate("2010-02-01"), "P1"}});
  return log;
}

TEST_F(ServiceFixture, ReplayRefusesALogNoDeciderWroteThatBreaksAClusterInvariant) {
  // Replay checks the clusters at the end of each batch of 4,096 events: all
  // of them when the batch began with few, the ones it touched when it began
  // with more than 256 (3,000 clusters: the overpayment is in the second
  // batch, which begins with about 2,048).
  for (const int clusters : {3, 3000}) {
    Close();
    std::filesystem::remove_all(dir_);
    auto store = eventstore::EventStore::Open(dir_.string(), {});
    ASSERT_TRUE(store.ok());
    AppendRaw(**store, OverpaidLog(clusters));
    core::State state;
    projections::ReadModel model;
    const Status broken = ReplayLog(**store, &state, &model);
    EXPECT_EQ(broken.code(), StatusCode::kDataLoss) << clusters;
    EXPECT_EQ(broken.reason(), "invariant_violated") << clusters;
    EXPECT_NE(broken.message().find("net paid"), std::string::npos) << broken.ToString();
    EXPECT_NE(broken.message().find("c" + std::to_string(clusters - 1)), std::string::npos)
        << broken.ToString();
    // Without the last event the same log replays cleanly.
    (*store)->Close();
    std::filesystem::remove_all(dir_);
    store = eventstore::EventStore::Open(dir_.string(), {});
    ASSERT_TRUE(store.ok());
    std::vector<core::DomainEvent> valid = OverpaidLog(clusters);
    valid.pop_back();
    AppendRaw(**store, valid);
    core::State valid_state;
    ReplayStats stats;
    ASSERT_TRUE(ReplayLog(**store, &valid_state, nullptr, &stats).ok());
    EXPECT_EQ(stats.events, valid.size());
    EXPECT_TRUE(core::CheckInvariants(valid_state).ok());
    (*store)->Close();
  }
}

}  // namespace
}  // namespace tranche::service
