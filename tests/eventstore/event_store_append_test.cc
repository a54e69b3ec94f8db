// Appends, reads, limits, read-only opening and the sticky writer error.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "eventstore/event_store.h"
#include "tests/eventstore/fault_file_system.h"
#include "tests/eventstore/test_store.h"

namespace tranche::eventstore {
namespace {

using testing::FaultFileSystem;
using testing::OneEvent;
using testing::OpenOrDie;
using testing::ReadEverything;
using testing::TempDir;

TEST(EventStoreAppend, PositionsStartAtOneAndVersionsAtZero) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  EXPECT_EQ(store->GetHead().position, 0u);
  EXPECT_EQ(store->GetHead().hash, std::string(32, '\0'));
  AppendOutcome first = store->Append(OneEvent("c1", "cluster-a", ExpectedVersion::NoStream()));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first.result().first_position, 1u);
  EXPECT_EQ(first.result().streams.at(0).first_version, 0u);
  AppendOutcome second = store->Append(OneEvent("c2", "cluster-a", ExpectedVersion::Exact(0)));
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second.result().first_position, 2u);
  EXPECT_EQ(second.result().streams.at(0).last_version, 1u);
  EXPECT_EQ(store->GetHead().position, 2u);
  EXPECT_EQ(*store->StreamVersion("cluster-a"), 1u);
  EXPECT_EQ(*store->StreamVersion("cluster-b"), kNoVersion);
}

TEST(EventStoreAppend, OneAppendSpansStreamsAtomicallyAndChainsHashes) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  AppendRequest request;
  request.command_id = "award";
  request.actor = "programme-manager";
  request.reason = "panel decision";
  request.recorded_at_us = 1'250'000'000'000'000;
  request.streams.push_back({"programme-hiec",
                             ExpectedVersion::Any(),
                             {{"EnvelopeUsed", 2, "", "a"}, {"EnvelopeUsed", 2, "", "b"}}});
  request.streams.push_back(
      {"cluster-wessex", ExpectedVersion::NoStream(), {{"BidAwarded", 1, "event-x", "c"}}});
  AppendOutcome outcome = store->Append(request);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome.result().first_position, 1u);
  EXPECT_EQ(outcome.result().last_position, 3u);
  ASSERT_EQ(outcome.result().streams.size(), 2u);
  EXPECT_EQ(outcome.result().streams[1].stream, "cluster-wessex");

  std::vector<RecordedEvent> all = ReadEverything(*store);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].prev_hash, std::string(32, '\0'));
  EXPECT_EQ(all[1].prev_hash, all[0].hash);
  EXPECT_EQ(all[2].prev_hash, all[1].hash);
  EXPECT_EQ(store->GetHead().hash, all[2].hash);
  EXPECT_EQ(all[0].event_id, "award#0");
  EXPECT_EQ(all[2].event_id, "event-x");
  EXPECT_EQ(all[2].actor, "programme-manager");
  EXPECT_EQ(all[2].reason, "panel decision");
  EXPECT_EQ(all[2].recorded_at_us, 1'250'000'000'000'000);
  EXPECT_EQ(all[1].schema, 2u);
  EXPECT_EQ(all[1].data, "b");
  EXPECT_TRUE(store->Verify().ok);
}

// ScanAll hands views into the store's buffer (replay decodes from them
// without copying); every field must match what ReadAll copies out, and
// returning false stops the scan.
TEST(EventStoreAppend, ScanAllViewsMatchReadAllRecordsFieldForField) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  for (int i = 0; i < 5; ++i) {
    AppendRequest request =
        OneEvent("c" + std::to_string(i), "s-" + std::to_string(i % 2), ExpectedVersion::Any());
    request.reason = i % 2 ? "reason " + std::to_string(i) : "";
    request.streams[0].events[0].data = std::string(static_cast<size_t>(i) * 50, 'd');
    ASSERT_TRUE(store->Append(request).ok());
  }
  std::vector<RecordedEvent> copied;
  ASSERT_TRUE(store->ReadAll(1, {}, 100, &copied).ok());
  ASSERT_EQ(copied.size(), 5u);
  size_t seen = 0;
  ASSERT_TRUE(store
                  ->ScanAll(1,
                            [&](const RecordView& view) {
                              const RecordedEvent& want = copied[seen++];
                              EXPECT_EQ(view.position, want.position);
                              EXPECT_EQ(view.stream, want.stream);
                              EXPECT_EQ(view.version, want.version);
                              EXPECT_EQ(view.type, want.type);
                              EXPECT_EQ(view.event_id, want.event_id);
                              EXPECT_EQ(view.command_id, want.command_id);
                              EXPECT_EQ(view.actor, want.actor);
                              EXPECT_EQ(view.recorded_at_us, want.recorded_at_us);
                              EXPECT_EQ(view.reason, want.reason);
                              EXPECT_EQ(view.schema, want.schema);
                              EXPECT_EQ(view.prev_hash, want.prev_hash);
                              EXPECT_EQ(view.hash, want.hash);
                              EXPECT_EQ(view.data, want.data);
                              return seen < 3;
                            })
                  .ok());
  EXPECT_EQ(seen, 3u);
}

TEST(EventStoreAppend, ConflictFailsAloneAndReportsTheActualVersion) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  ASSERT_TRUE(store->Append(OneEvent("c1", "s", ExpectedVersion::NoStream())).ok());
  AppendOutcome conflict = store->Append(OneEvent("c2", "s", ExpectedVersion::Exact(5)));
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.status().code(), StatusCode::kConflict);
  EXPECT_EQ(conflict.status().reason(), "wrong_expected_version");
  EXPECT_EQ(conflict.error().stream, "s");
  EXPECT_EQ(conflict.error().actual_version, 0u);
  AppendOutcome no_stream = store->Append(OneEvent("c3", "s", ExpectedVersion::NoStream()));
  EXPECT_EQ(no_stream.status().reason(), "wrong_expected_version");
  EXPECT_EQ(store->GetHead().position, 1u);
  // A failed command id is not consumed.
  EXPECT_TRUE(store->Append(OneEvent("c2", "s", ExpectedVersion::Exact(0))).ok());
}

TEST(EventStoreAppend, BrokenLimitsAreClearErrorsThatWriteNothing) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  struct Case {
    AppendRequest request;
    StatusCode code;
    const char* reason;
  };
  std::vector<Case> cases;
  cases.push_back({OneEvent("c", "", ExpectedVersion::Any()), StatusCode::kInvalidArgument,
                   "stream_name_empty"});
  cases.push_back({OneEvent("c", std::string(kStreamNameBytesMax + 1, 's'), ExpectedVersion::Any()),
                   StatusCode::kInvalidArgument, "stream_name_too_long"});
  cases.push_back(
      {OneEvent("c", "s", ExpectedVersion::Any(), std::string(kPayloadBytesMax + 1, 'x')),
       StatusCode::kResourceExhausted, "payload_too_large"});
  cases.push_back({OneEvent("", "s", ExpectedVersion::Any()), StatusCode::kInvalidArgument,
                   "command_id_empty"});
  cases.push_back({OneEvent(std::string(kCommandIdBytesMax + 1, 'c'), "s", ExpectedVersion::Any()),
                   StatusCode::kInvalidArgument, "command_id_too_long"});
  cases.push_back({OneEvent("c", "s", ExpectedVersion::Any(), "{}", ""),
                   StatusCode::kInvalidArgument, "event_type_empty"});
  cases.push_back({OneEvent("c", std::string("a\0b", 3), ExpectedVersion::Any()),
                   StatusCode::kInvalidArgument, "stream_name_has_nul"});
  AppendRequest many = OneEvent("c", "s", ExpectedVersion::Any());
  many.streams[0].events.resize(kEventsPerAppendMax + 1, many.streams[0].events[0]);
  cases.push_back({many, StatusCode::kResourceExhausted, "too_many_events"});
  AppendRequest big =
      OneEvent("c", "s", ExpectedVersion::Any(), std::string(kPayloadBytesMax, 'x'));
  big.streams[0].events.resize(kAppendBytesMax / kPayloadBytesMax + 1, big.streams[0].events[0]);
  cases.push_back({big, StatusCode::kResourceExhausted, "append_too_large"});
  AppendRequest repeated = OneEvent("c", "s", ExpectedVersion::Any());
  repeated.streams.push_back(repeated.streams[0]);
  cases.push_back({repeated, StatusCode::kInvalidArgument, "stream_repeated"});
  AppendRequest empty = OneEvent("c", "s", ExpectedVersion::Any());
  empty.streams[0].events.clear();
  cases.push_back({empty, StatusCode::kInvalidArgument, "no_events"});

  for (Case& c : cases) {
    AppendOutcome outcome = store->Append(c.request);
    EXPECT_FALSE(outcome.ok()) << c.reason;
    EXPECT_EQ(outcome.status().code(), c.code) << outcome.status().ToString();
    EXPECT_EQ(outcome.status().reason(), c.reason) << outcome.status().ToString();
  }
  EXPECT_EQ(store->GetHead().position, 0u);
  EXPECT_TRUE(ReadEverything(*store).empty());
  EXPECT_EQ(store->LookupCommand("c").status().code(), StatusCode::kNotFound);
}

TEST(EventStoreAppend, ExpectedVersionBeyondTheHeadIsAConflictThatWritesNothing) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  ASSERT_TRUE(store->Append(OneEvent("c1", "s", ExpectedVersion::Any())).ok());
  AppendOutcome outcome = store->Append(OneEvent("c2", "s", ExpectedVersion::Exact(7)));
  EXPECT_EQ(outcome.status().code(), StatusCode::kConflict);
  EXPECT_EQ(outcome.error().actual_version, 0u);
  EXPECT_EQ(store->GetHead().position, 1u);
  EXPECT_EQ(*store->StreamVersion("s"), 0u);
}

TEST(EventStoreAppend, StreamsReadForwardAndBackward) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  for (int i = 0; i < 10; ++i) {
    // Interleave two streams so stream reads must use the index.
    ASSERT_TRUE(store
                    ->Append(OneEvent("a" + std::to_string(i), "s-a", ExpectedVersion::Any(),
                                      std::to_string(i)))
                    .ok());
    ASSERT_TRUE(
        store->Append(OneEvent("b" + std::to_string(i), "s-ab", ExpectedVersion::Any())).ok());
  }
  std::vector<RecordedEvent> forward;
  ASSERT_TRUE(store->ReadStreamForward("s-a", 3, 4, &forward).ok());
  ASSERT_EQ(forward.size(), 4u);
  EXPECT_EQ(forward[0].version, 3u);
  EXPECT_EQ(forward[0].data, "3");
  EXPECT_EQ(forward[3].version, 6u);
  std::vector<RecordedEvent> backward;
  ASSERT_TRUE(store->ReadStreamBackward("s-a", kNoVersion, 3, &backward).ok());
  ASSERT_EQ(backward.size(), 3u);
  EXPECT_EQ(backward[0].version, 9u);
  EXPECT_EQ(backward[2].version, 7u);
  std::vector<RecordedEvent> none;
  ASSERT_TRUE(store->ReadStreamForward("s", 0, 10, &none).ok());
  EXPECT_TRUE(none.empty());

  std::vector<RecordedEvent> page;
  uint64_t scanned_to = 0;
  ReadFilter filter{"s-ab", {}};
  ASSERT_TRUE(store->ReadAll(5, filter, 3, &page, &scanned_to).ok());
  ASSERT_EQ(page.size(), 3u);
  EXPECT_EQ(page[0].position, 6u);
  EXPECT_EQ(page[2].position, 10u);
  EXPECT_EQ(scanned_to, 10u);
}

TEST(EventStoreAppend, ReadOnlyStoreRefusesWritesButReadsAndVerifies) {
  TempDir dir;
  {
    auto store = OpenOrDie(dir.path());
    ASSERT_TRUE(store->Append(OneEvent("c1", "s", ExpectedVersion::Any())).ok());
  }
  Options options;
  options.read_only = true;
  auto store = OpenOrDie(dir.path(), options);
  AppendOutcome outcome = store->Append(OneEvent("c2", "s", ExpectedVersion::Any()));
  EXPECT_EQ(outcome.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(outcome.status().reason(), "store_read_only");
  EXPECT_EQ(store->PutMeta("projection.totals", "1").reason(), "store_read_only");
  EXPECT_EQ(store->GetHead().position, 1u);
  EXPECT_EQ(ReadEverything(*store).size(), 1u);
  EXPECT_TRUE(store->Verify().ok);
}

// The write-ahead logs in `path`: "<digits>.log".
size_t CountWriteAheadLogs(const std::string& path) {
  size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(path)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() == ".log" &&
        name.find_first_not_of("0123456789") == name.size() - 4) {
      ++count;
    }
  }
  return count;
}

TEST(EventStoreAppend, RestartsThatWriteNothingLeaveNoLogsBehindAndLoseNothing) {
  TempDir dir;
  {
    auto store = OpenOrDie(dir.path());
    ASSERT_TRUE(store->Append(OneEvent("c1", "s", ExpectedVersion::Any())).ok());
  }
  for (int restart = 0; restart < 6; ++restart) {
    auto store = OpenOrDie(dir.path());
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->GetHead().position, 1u);
  }
  // Each open starts a log; the ones left empty by earlier opens are gone.
  EXPECT_LE(CountWriteAheadLogs(dir.path()), 2u);
  {
    // An acknowledged event that lives only in a log (no flush before the
    // store closes) survives the next open's clean-up.
    auto store = OpenOrDie(dir.path());
    ASSERT_TRUE(store->Append(OneEvent("c2", "s", ExpectedVersion::Exact(0))).ok());
  }
  auto store = OpenOrDie(dir.path());
  ASSERT_EQ(store->GetHead().position, 2u);
  EXPECT_EQ(ReadEverything(*store).size(), 2u);
  EXPECT_TRUE(store->Verify().ok);
  // A second writer in this process is refused as before, and deletes nothing.
  const size_t logs = CountWriteAheadLogs(dir.path());
  EXPECT_FALSE(EventStore::Open(dir.path(), Options{}).ok());
  EXPECT_EQ(CountWriteAheadLogs(dir.path()), logs);
  EXPECT_EQ(ReadEverything(*store).size(), 2u);
}

TEST(EventStoreAppend, OpeningAMissingStoreWithoutCreateIsNotFound) {
  TempDir dir;
  Options options;
  options.create_if_missing = false;
  auto store = EventStore::Open(dir.Sub("absent"), options);
  EXPECT_EQ(store.status().code(), StatusCode::kNotFound);
}

TEST(EventStoreAppend, AFullDiskFailsTheWriteStickilyAndNothingLaterIsAcknowledged) {
  TempDir dir;
  auto disk = std::make_shared<FaultFileSystem>();
  Options options;
  options.file_system = disk;
  {
    auto store = OpenOrDie(dir.path(), options);
    ASSERT_TRUE(store->Append(OneEvent("c1", "s", ExpectedVersion::Any())).ok());
    ASSERT_TRUE(store->Append(OneEvent("c2", "s", ExpectedVersion::Any())).ok());
    disk->SetDiskFull(true);
    AppendOutcome failed = store->Append(OneEvent("c3", "s", ExpectedVersion::Any()));
    EXPECT_EQ(failed.status().code(), StatusCode::kIOError);
    EXPECT_EQ(failed.status().reason(), "writer_failed");
    EXPECT_NE(failed.status().message().find("No space"), std::string::npos)
        << failed.status().ToString();
    EXPECT_GT(disk->faults_injected(), 0u);
    // Space returns, but the store that saw the failure stays stopped: it
    // cannot know what the failed write left on disk.
    disk->SetDiskFull(false);
    AppendOutcome later = store->Append(OneEvent("c4", "s", ExpectedVersion::Any()));
    EXPECT_EQ(later.status().code(), StatusCode::kIOError);
    EXPECT_FALSE(store->WriterError().ok());
    EXPECT_EQ(store->GetHead().position, 2u);
    EXPECT_EQ(ReadEverything(*store).size(), 2u);  // Reads still answer.
  }
  auto reopened = OpenOrDie(dir.path(), options);
  EXPECT_EQ(reopened->GetHead().position, 2u);
  EXPECT_TRUE(reopened->Verify().ok);
  EXPECT_TRUE(reopened->Append(OneEvent("c3", "s", ExpectedVersion::Any())).ok());
  EXPECT_EQ(reopened->GetHead().position, 3u);
}

TEST(EventStoreAppend, ADiskFillingMidWriteLosesNoAcknowledgedEvent) {
  TempDir dir;
  auto disk = std::make_shared<FaultFileSystem>();
  Options options;
  options.file_system = disk;
  uint64_t acknowledged = 0;
  {
    auto store = OpenOrDie(dir.path(), options);
    ASSERT_TRUE(testing::WaitForWalSpare(dir.path()));
    // About a dozen appends fit; the one that crosses the budget is torn.
    disk->SetWriteBudget(4000);
    for (int i = 0; i < 100; ++i) {
      AppendOutcome outcome = store->Append(
          OneEvent("c" + std::to_string(i), "s", ExpectedVersion::Any(), std::string(200, 'x')));
      if (!outcome.ok()) {
        EXPECT_EQ(outcome.status().reason(), "writer_failed");
        break;
      }
      acknowledged = outcome.result().last_position;
    }
    EXPECT_TRUE(disk->disk_full());
    EXPECT_GT(disk->faults_injected(), 0u);
    EXPECT_GT(acknowledged, 0u);
    EXPECT_LT(acknowledged, 100u);
  }
  disk->SetDiskFull(false);
  auto reopened = OpenOrDie(dir.path(), options);
  EXPECT_EQ(reopened->GetHead().position, acknowledged);
  const VerifyReport report = reopened->Verify();
  EXPECT_TRUE(report.ok) << report.damage << ": " << report.detail;
  EXPECT_EQ(ReadEverything(*reopened).size(), acknowledged);
}

TEST(EventStoreAppend, AppendsAfterCloseAreUnavailable) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  store->Close();
  store->Close();
  AppendOutcome outcome = store->Append(OneEvent("c1", "s", ExpectedVersion::Any()));
  EXPECT_EQ(outcome.status().code(), StatusCode::kUnavailable);
  std::vector<RecordedEvent> out;
  EXPECT_EQ(store->ReadAll(1, {}, 10, &out).code(), StatusCode::kUnavailable);
}

TEST(EventStoreAppend, MetaValuesPersistAndStoreKeysAreReserved) {
  TempDir dir;
  {
    auto store = OpenOrDie(dir.path());
    ASSERT_TRUE(store->PutMeta("checkpoint.totals", "42").ok());
    ASSERT_TRUE(store->PutMeta("checkpoint.ledger", "7").ok());
    EXPECT_EQ(store->PutMeta("store.head", "x").reason(), "meta_key_reserved");
  }
  auto store = OpenOrDie(dir.path());
  EXPECT_EQ(*store->GetMeta("checkpoint.totals"), "42");
  EXPECT_EQ(store->GetMeta("nope").status().code(), StatusCode::kNotFound);
  std::vector<std::string> keys;
  ASSERT_TRUE(store->ListMeta("checkpoint.", &keys).ok());
  EXPECT_EQ(keys, (std::vector<std::string>{"checkpoint.ledger", "checkpoint.totals"}));
}

TEST(EventStoreAppend, ACheckpointOpensAsAnEqualStore) {
  TempDir dir;
  auto store = OpenOrDie(dir.Sub("live"));
  ASSERT_TRUE(store->Append(OneEvent("c1", "s", ExpectedVersion::Any())).ok());
  ASSERT_TRUE(store->Checkpoint(dir.Sub("copy")).ok());
  auto copy = OpenOrDie(dir.Sub("copy"));
  EXPECT_EQ(copy->GetHead().hash, store->GetHead().hash);
  EXPECT_TRUE(copy->Verify().ok);
}

// The store's threads carry names an operator can find in `top -H`.
std::multiset<std::string> ThreadNames() {
  std::multiset<std::string> names;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    if (std::getline(comm, name)) names.insert(name);
  }
  return names;
}

TEST(EventStoreAppend, WriterThreadsAreNamed) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  const std::multiset<std::string> names = ThreadNames();
  EXPECT_EQ(names.count("store-writer"), 1u);
  EXPECT_EQ(names.count("store-complete"), 1u);
}

}  // namespace
}  // namespace tranche::eventstore
