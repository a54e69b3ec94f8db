// Start-up snapshots: a snapshot plus the events after it gives the same
// models as folding the whole log; a snapshot that cannot be trusted is
// refused with a reason and the whole log is folded instead.
#include <algorithm>
#include <cstring>
#include <fstream>
#include <future>
#include <iterator>
#include <string>
#include <vector>

#include "api/service/snapshot.h"
#include "core/checksum.h"
#include "core/evolve.h"
#include "core/state_snapshot.h"
#include "tests/service/random_commands.h"
#include "tests/service/service_fixture.h"

namespace tranche::service {
namespace {

class SnapshotTest : public ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    snapshot_path_ = dir_.string() + "-snapshot";
    std::filesystem::remove(snapshot_path_);
    service_options_.snapshot_path = snapshot_path_;
    Reopen();
  }
  void TearDown() override {
    ServiceFixture::TearDown();
    std::filesystem::remove(snapshot_path_);
  }

  // A programme "p" of 20 awarded clusters, then `count` random commands
  // numbered from `first` (unique command ids), 256 in flight at a time, to
  // `service` (the fixture's by default). Returns each command's outcome:
  // "accepted" or the rejection's code.
  std::vector<std::string> RunRandomCommands(uint32_t seed, int first, int count,
                                             Service* service = nullptr) {
    if (service == nullptr) service = service_.get();
    std::vector<std::string> outcomes;
    auto submit = [this, service](const std::string& name, const json& body) {
      return Submit(name, body, "tester", service);
    };
    auto accept = [&](const std::string& name, const json& body) {
      const CommandOutcome outcome = submit(name, body).get();
      EXPECT_TRUE(outcome.result.has_value()) << name;
    };
    if (service->read_model().head() == 0) {
      for (const auto& [name, body] : ProgrammeSetUpCommands()) accept(name, body);
    }
    RandomCommands random(seed);
    for (int i = 0; i < first; ++i) random.Next(i);  // The same stream, resumed.
    std::vector<std::future<CommandOutcome>> running;
    for (int i = first; i < first + count; ++i) {
      auto [name, body] = random.Next(i);
      running.push_back(submit(name, body));
      if (running.size() == 256 || i + 1 == first + count) {
        for (auto& answer : running) {
          const CommandOutcome outcome = answer.get();
          EXPECT_TRUE(outcome.result || outcome.rejection) << outcome.error.ToString();
          outcomes.push_back(outcome.result ? "accepted"
                             : outcome.rejection ? outcome.rejection->code
                                                 : outcome.error.ToString());
        }
        running.clear();
      }
    }
    // Then every reference the random stream may have used, once more, in
    // one cluster: the rule that a reference is used nowhere else, against
    // the loaded index.
    for (int i = 0; i < 400; ++i) {
      const json body = {{"command_id", "again-" + std::to_string(first) + "-" + std::to_string(i)},
                         {"cluster_id", "c0"}, {"financial_year", "2010/11"},
                         {"amount_pence", 1}, {"paid_on", "2010-06-01"},
                         {"payment_reference", "ref-" + std::to_string(i)}};
      const CommandOutcome outcome = submit("record-tranche", body).get();
      outcomes.push_back(outcome.result ? "accepted"
                         : outcome.rejection ? outcome.rejection->code
                                             : outcome.error.ToString());
    }
    return outcomes;
  }

  // The read model at a few moments: now and three earlier positions.
  json Moments(const projections::ReadModel& model) {
    const uint64_t head = model.head();
    json out = json::array();
    for (const uint64_t at : {head, head / 2, head / 3, uint64_t{1}}) {
      out.push_back(ReadModelJson(model, at));
    }
    return out;
  }

  // What a fold of the whole log gives, as JSON: {state, read model moments}.
  json FullReplay() {
    core::State state;
    projections::ReadModel model;
    const Status replayed = ReplayLog(*store_, &state, &model);
    EXPECT_TRUE(replayed.ok()) << replayed.ToString();
    return {{"state", core::StateToJson(state)}, {"read_model", Moments(model)}};
  }
  // The same of the running service, which is stopped for it.
  json StopAndDescribe() {
    const json read_model = Moments(service_->read_model());
    service_->Stop();
    return {{"state", core::StateToJson(service_->pipeline().StateAfterStop())},
            {"read_model", read_model}};
  }

  std::string ReadSnapshotFile() {
    std::ifstream in(snapshot_path_, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  // A new file renamed over the old, as the server writes one: a model
  // loaded from the old file reads its strings from that file's mapping.
  void WriteSnapshotFile(const std::string& bytes) {
    const std::string fresh = snapshot_path_ + ".new";
    std::ofstream(fresh, std::ios::binary | std::ios::trunc) << bytes;
    std::filesystem::rename(fresh, snapshot_path_);
  }

  std::string snapshot_path_;
};

TEST_F(SnapshotTest, ASnapshotAndTheEventsAfterItGiveTheSameModelsAsTheWholeLog) {
  for (const uint32_t seed : {1u, 7u}) {  // Seeds whose year 2010/11 stays open.
    SCOPED_TRACE("seed " + std::to_string(seed));
    Close();
    std::filesystem::remove_all(dir_);
    std::filesystem::remove(snapshot_path_);
    Open();
    EXPECT_EQ(service_->snapshot_refusal().reason(), "no_snapshot");
    RunRandomCommands(seed, 0, 1500);
    const uint64_t first_head = Head();
    const json before = StopAndDescribe();
    StatusOr<SnapshotInfo> written = service_->WriteSnapshot();
    ASSERT_TRUE(written.ok()) << written.status().ToString();
    EXPECT_EQ(written->position, first_head);
    EXPECT_EQ(written->bytes, std::filesystem::file_size(snapshot_path_));

    // Loaded, with nothing left to fold: the models are the ones stopped.
    Reopen();
    EXPECT_TRUE(service_->snapshot_refusal().ok()) << service_->snapshot_refusal().ToString();
    EXPECT_EQ(service_->loaded_snapshot().position, first_head);
    EXPECT_EQ(service_->replayed_events(), 0u);
    EXPECT_EQ(Moments(service_->read_model()), before["read_model"]);

    // Live commands decide alike on loaded and on replayed models: the same
    // commands go to this service (snapshot) and to one over a copy of the
    // log that folds it whole. They include reversals of tranches from
    // before the snapshot and references already used elsewhere.
    const std::string copy = dir_.string() + "-copy";
    std::filesystem::remove_all(copy);
    ASSERT_TRUE(store_->Checkpoint(copy).ok());
    std::vector<std::string> replayed_outcomes;
    std::string replayed_state;
    {
      auto copy_store = eventstore::EventStore::Open(copy, {});
      ASSERT_TRUE(copy_store.ok());
      auto replayed = Service::Open(**copy_store, ServiceOptions{});
      ASSERT_TRUE(replayed.ok());
      EXPECT_EQ((*replayed)->replayed_events(), first_head);
      replayed_outcomes = RunRandomCommands(seed, 1500, 1500, replayed->get());
      (*replayed)->Stop();
      replayed_state = core::StateToJson((*replayed)->pipeline().StateAfterStop()).dump();
      (*copy_store)->Close();
    }
    std::filesystem::remove_all(copy);
    const std::vector<std::string> outcomes = RunRandomCommands(seed, 1500, 1500);
    EXPECT_EQ(outcomes, replayed_outcomes);
    EXPECT_GT(std::count(outcomes.begin(), outcomes.end(), "accepted"), 50);
    EXPECT_GT(std::count(outcomes.begin(), outcomes.end(), "payment_reference_exists"), 0);
    const json live = StopAndDescribe();
    EXPECT_EQ(live["state"].dump(), replayed_state);
    EXPECT_EQ(live, FullReplay());

    // Restarted again: the old snapshot, then the events after it.
    Reopen();
    EXPECT_EQ(service_->loaded_snapshot().position, first_head);
    EXPECT_EQ(service_->replayed_events(), Head() - first_head);
    EXPECT_GT(service_->replayed_events(), 0u);
    EXPECT_EQ(StopAndDescribe(), live);

    // A new snapshot renamed over the one this model was loaded from, and
    // the old one's name gone: the model still reads the strings it loaded
    // from the old file's mapping.
    ASSERT_TRUE(service_->WriteSnapshot().ok());
    std::filesystem::remove(snapshot_path_);
    EXPECT_EQ(Moments(service_->read_model()), live["read_model"]);
  }
}

TEST_F(SnapshotTest, AnEmptyLogSnapshotsAndLoads) {
  service_->Stop();
  ASSERT_TRUE(service_->WriteSnapshot().ok());
  Reopen();
  EXPECT_TRUE(service_->snapshot_refusal().ok());
  EXPECT_EQ(service_->loaded_snapshot().position, 0u);
  SetUpSmallProgramme();  // Decides against the loaded empty models.
  EXPECT_EQ(StopAndDescribe(), FullReplay());
}

TEST_F(SnapshotTest, ADamagedSnapshotIsRefusedAndTheWholeLogFolded) {
  RunRandomCommands(42, 0, 400);
  const json expected = StopAndDescribe();
  ASSERT_TRUE(service_->WriteSnapshot().ok());
  const std::string good = ReadSnapshotFile();
  ASSERT_GT(good.size(), 200u);
  // A flipped bit in the header, in each section, and a truncation.
  const std::vector<std::pair<std::string, std::string>> damaged = {
      {"header", std::string(good).replace(20, 1, 1, static_cast<char>(good[20] ^ 1))},
      {"write model", std::string(good).replace(100, 1, 1, static_cast<char>(good[100] ^ 4))},
      {"read model",
       std::string(good).replace(good.size() - 5, 1, 1, static_cast<char>(good[good.size() - 5] ^ 16))},
      {"truncated", good.substr(0, good.size() - 1)},
      {"empty", ""},
  };
  for (const auto& [what, bytes] : damaged) {
    SCOPED_TRACE(what);
    WriteSnapshotFile(bytes);
    Reopen();
    EXPECT_EQ(service_->snapshot_refusal().reason(), "corrupt_snapshot")
        << service_->snapshot_refusal().ToString();
    EXPECT_EQ(service_->loaded_snapshot().position, 0u);
    EXPECT_EQ(service_->replayed_events(), Head());
    EXPECT_EQ(StopAndDescribe(), expected);
  }
  WriteSnapshotFile(good);
  Reopen();
  EXPECT_EQ(service_->loaded_snapshot().position, Head());
}

TEST_F(SnapshotTest, ASnapshotOfAnotherFormatIsRefusedAndTheWholeLogFolded) {
  RunRandomCommands(7, 0, 200);
  const json expected = StopAndDescribe();
  ASSERT_TRUE(service_->WriteSnapshot().ok());
  std::string other = ReadSnapshotFile();
  ASSERT_GT(other.size(), 96u);
  // The version (bytes 8..11) of the format before this one, with the
  // header's checksum (bytes 88..95, of bytes 0..87) made to match again:
  // only the version is wrong.
  const uint32_t version = kSnapshotFormatVersion - 1;
  std::memcpy(other.data() + 8, &version, sizeof version);
  const uint64_t checksum = core::Checksum64(std::string_view(other.data(), 88));
  std::memcpy(other.data() + 88, &checksum, sizeof checksum);
  WriteSnapshotFile(other);
  Reopen();
  EXPECT_EQ(service_->snapshot_refusal().reason(), "snapshot_format")
      << service_->snapshot_refusal().ToString();
  EXPECT_EQ(service_->replayed_events(), Head());
  EXPECT_EQ(StopAndDescribe(), expected);
}

TEST_F(SnapshotTest, ASnapshotOfAnotherLogOrOfALaterHeadIsRefused) {
  RunRandomCommands(1, 0, 300);
  service_->Stop();
  ASSERT_TRUE(service_->WriteSnapshot().ok());
  const std::string of_first_log = ReadSnapshotFile();
  const uint64_t first_head = Head();

  // Another log, longer than the first: the record at the snapshot's
  // position is there but has another hash.
  Close();
  std::filesystem::remove_all(dir_);
  Open();
  RunRandomCommands(2, 0, 600);
  ASSERT_GT(Head(), first_head);
  const json expected = StopAndDescribe();
  WriteSnapshotFile(of_first_log);
  Reopen();
  EXPECT_EQ(service_->snapshot_refusal().reason(), "snapshot_not_in_log");
  EXPECT_EQ(service_->replayed_events(), Head());
  EXPECT_EQ(StopAndDescribe(), expected);

  // A log shorter than the snapshot (restored from an older backup).
  Close();
  std::filesystem::remove_all(dir_);
  Open();
  SetUpSmallProgramme();
  WriteSnapshotFile(of_first_log);
  Reopen();
  EXPECT_EQ(service_->snapshot_refusal().reason(), "snapshot_not_in_log");
  EXPECT_EQ(service_->replayed_events(), 3u);
}

TEST_F(SnapshotTest, ASnapshotIsWrittenOnlyOfStoppedModelsThatHoldTheWholeLog) {
  SetUpSmallProgramme();
  StatusOr<SnapshotInfo> running = service_->WriteSnapshot();
  EXPECT_EQ(running.status().reason(), "snapshot_unavailable");
  EXPECT_FALSE(std::filesystem::exists(snapshot_path_));

  service_options_.snapshot_path.clear();
  Reopen();
  service_->Stop();
  EXPECT_EQ(service_->WriteSnapshot().status().reason(), "snapshot_unavailable");
  EXPECT_FALSE(std::filesystem::exists(snapshot_path_));
}

TEST_F(SnapshotTest, EveryTruncationOfEitherSectionIsRefusedWithoutHarm) {
  SetUpSmallProgramme();
  Accept("add-member", {{"command_id", "m1"}, {"cluster_id", "alpha"}, {"name", "Trust"},
                        {"sector", "nhs"}, {"joined_on", "2010-01-06"}});
  Accept("record-tranche", {{"command_id", "t1"}, {"cluster_id", "alpha"},
                            {"financial_year", "2009/10"}, {"amount_pence", 1000},
                            {"paid_on", "2010-02-01"}, {"payment_reference", "PAY-1"}});
  Accept("reverse-tranche", {{"command_id", "t2"}, {"cluster_id", "alpha"},
                             {"payment_reference", "PAY-1"}, {"reason", "twice"}});
  service_->Stop();
  const core::State& state = service_->pipeline().StateAfterStop();
  std::string write_model, read_model;
  core::EncodeStateSnapshot(state, &write_model);
  service_->read_model().EncodeSnapshot(&read_model);

  core::State decoded;
  ASSERT_TRUE(core::DecodeStateSnapshot(write_model, &decoded).ok());
  EXPECT_TRUE(decoded == state);
  EXPECT_EQ(decoded.FindClusterByPaymentReference("PAY-1"), decoded.FindCluster("alpha"));
  projections::ReadModel model;
  ASSERT_TRUE(model.DecodeSnapshot(read_model).ok());
  EXPECT_EQ(ReadModelJson(model), ReadModelJson(service_->read_model()));

  for (size_t size = 0; size < write_model.size(); ++size) {
    core::State partial;
    const Status status = core::DecodeStateSnapshot(write_model.substr(0, size), &partial);
    ASSERT_EQ(status.reason(), "corrupt_snapshot") << size;
    ASSERT_TRUE(partial == core::State()) << size;
  }
  for (size_t size = 0; size < read_model.size(); ++size) {
    projections::ReadModel partial;
    const Status status = partial.DecodeSnapshot(read_model.substr(0, size));
    ASSERT_EQ(status.reason(), "corrupt_snapshot") << size;
    ASSERT_EQ(partial.head(), 0u) << size;
  }
}

}  // namespace
}  // namespace tranche::service
