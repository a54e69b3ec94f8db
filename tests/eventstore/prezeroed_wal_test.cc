// Spare write-ahead logs of zeros (eventstore/prezeroed_wal.h): a spare
// becomes the next log, and a log that still ends in zeros recovers to
// exactly the acknowledged events.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "eventstore/event_store.h"
#include "tests/eventstore/fault_file_system.h"
#include "tests/eventstore/test_store.h"

namespace tranche::eventstore {
namespace {

namespace fs = std::filesystem;
using testing::FaultFileSystem;
using testing::OneEvent;
using testing::OpenOrDie;
using testing::ReadEverything;
using testing::TempDir;

constexpr uint64_t kSpareBytes = 4 << 20;

Options SmallSpares() {
  Options options;
  options.wal_spare_bytes = kSpareBytes;
  return options;
}

uint64_t SizeOr0(const fs::path& path) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(path, ec);
  return ec ? 0 : size;
}

uint64_t LargestLogBytes(const std::string& dir) {
  uint64_t largest = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".log") largest = std::max(largest, SizeOr0(entry.path()));
  }
  return largest;
}

TEST(PrezeroedWal, ASpareBecomesTheLogOfTheNextOpenAndACrashImageRecoversEveryAck) {
  TempDir dir;
  const std::string store_dir = dir.Sub("store");
  {
    auto store = OpenOrDie(store_dir, SmallSpares());
    ASSERT_TRUE(store->Append(OneEvent("c0", "s", ExpectedVersion::Any())).ok());
    ASSERT_TRUE(testing::WaitForWalSpare(store_dir, kSpareBytes));
  }
  // Closed cleanly, every log is trimmed to its records.
  EXPECT_LT(LargestLogBytes(store_dir), kSpareBytes);

  auto store = OpenOrDie(store_dir, SmallSpares());
  // The open took the spare as its new log, zeros and all.
  EXPECT_EQ(LargestLogBytes(store_dir), kSpareBytes);
  for (int i = 1; i <= 200; ++i) {
    AppendOutcome outcome =
        store->Append(OneEvent("c" + std::to_string(i), "s", ExpectedVersion::Any(),
                               std::string(100, 'x')));
    ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  }
  EXPECT_EQ(LargestLogBytes(store_dir), kSpareBytes);

  // What a crash would leave: the files as they are, the log's records
  // followed by zeros, opened without the store having closed.
  const std::string image = dir.Sub("image");
  fs::copy(store_dir, image, fs::copy_options::recursive);
  fs::remove(fs::path(image) / "LOCK");
  auto recovered = OpenOrDie(image, SmallSpares());
  ASSERT_NE(recovered, nullptr);
  EXPECT_EQ(recovered->GetHead().position, 201u);
  const std::vector<RecordedEvent> events = ReadEverything(*recovered);
  ASSERT_EQ(events.size(), 201u);
  EXPECT_EQ(events.back().command_id, "c200");
  const VerifyReport report = recovered->Verify();
  EXPECT_TRUE(report.ok) << report.damage << ": " << report.detail;
  // And it goes on appending after the recovered head.
  AppendOutcome next = recovered->Append(OneEvent("c201", "s", ExpectedVersion::Any()));
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next.result().first_position, 202u);

  // Closed cleanly, the log that was a spare is trimmed to its records.
  store.reset();
  EXPECT_LT(LargestLogBytes(store_dir), kSpareBytes);
}

// A store opened and closed without a write still leaves no zeros behind:
// the log that was a spare is cut to nothing, and the next open deletes it.
TEST(PrezeroedWal, ALogThatWasASpareIsTrimmedEvenWithNothingWritten) {
  TempDir dir;
  {
    auto store = OpenOrDie(dir.path(), SmallSpares());
    ASSERT_TRUE(store->Append(OneEvent("c1", "s", ExpectedVersion::Any())).ok());
    ASSERT_TRUE(testing::WaitForWalSpare(dir.path(), kSpareBytes));
  }
  {
    auto store = OpenOrDie(dir.path(), SmallSpares());
    EXPECT_EQ(LargestLogBytes(dir.path()), kSpareBytes);
  }
  EXPECT_EQ(LargestLogBytes(dir.path()), 0u);
  auto store = OpenOrDie(dir.path(), SmallSpares());
  EXPECT_EQ(ReadEverything(*store).size(), 1u);
}

TEST(PrezeroedWal, NoSpareIsKeptWhenTurnedOffOrReadOnly) {
  TempDir dir;
  Options off;
  off.wal_spare_bytes = 0;
  {
    auto store = OpenOrDie(dir.path(), off);
    ASSERT_TRUE(store->Append(OneEvent("c1", "s", ExpectedVersion::Any())).ok());
  }
  Options read_only = SmallSpares();
  read_only.read_only = true;
  {
    auto store = OpenOrDie(dir.path(), read_only);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(ReadEverything(*store).size(), 1u);
  }
  EXPECT_FALSE(fs::exists(fs::path(dir.path()) / "wal-spare.zero"));
}

// Zeros must never take the space that commits need: with less free space
// than kSpareFreeSpaceFactor spares, none is made, and appends go on.
TEST(PrezeroedWal, NoSpareIsMadeOnANearlyFullDisk) {
  TempDir dir;
  auto disk = std::make_shared<FaultFileSystem>();
  disk->SetWriteBudget(3 * kSpareBytes);
  Options options = SmallSpares();
  options.file_system = disk;
  auto store = OpenOrDie(dir.path(), options);
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 20; ++i) {
    AppendOutcome outcome = store->Append(OneEvent("c" + std::to_string(i), "s",
                                                   ExpectedVersion::Any()));
    ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(fs::exists(fs::path(dir.path()) / "wal-spare.zero"));
  EXPECT_FALSE(fs::exists(fs::path(dir.path()) / "wal-spare.zero.tmp"));
  EXPECT_FALSE(disk->disk_full());
  EXPECT_LT(disk->bytes_written(), kSpareBytes);
}

}  // namespace
}  // namespace tranche::eventstore
