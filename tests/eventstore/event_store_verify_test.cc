// Verify and the read path against damage made on purpose: flipped,
// truncated and re-hashed records, removed and dangling index entries.
#include <gtest/gtest.h>

#include "eventstore/database.h"
#include "eventstore/event_store.h"
#include "eventstore/record_format.h"
#include "eventstore/sha256.h"
#include "tests/eventstore/test_store.h"

namespace tranche::eventstore {
namespace {

using testing::OneEvent;
using testing::OpenOrDie;
using testing::TempDir;

class EventStoreVerify : public ::testing::Test {
 protected:
  static constexpr uint64_t kEvents = 20;

  void SetUp() override {
    auto store = OpenOrDie(dir_.path());
    for (uint64_t i = 0; i < kEvents; ++i) {
      ASSERT_TRUE(store
                      ->Append(OneEvent("c" + std::to_string(i), "s-" + std::to_string(i % 3),
                                        ExpectedVersion::Any(), "payload-" + std::to_string(i)))
                      .ok());
    }
    ASSERT_TRUE(store->Verify().ok);
  }

  // Opens the raw database to damage it; the store must be closed.
  std::unique_ptr<Database> Raw() {
    auto database = Database::Open(dir_.path(), false, false);
    EXPECT_TRUE(database.ok()) << database.status().ToString();
    return std::move(database).value();
  }

  std::string GetRecord(Database* db, uint64_t position) {
    std::string value;
    EXPECT_TRUE(db->db()->Get({}, db->events(), PositionKey(position), &value).ok());
    return value;
  }

  void PutRecord(Database* db, uint64_t position, const std::string& value) {
    ASSERT_TRUE(db->db()->Put({}, db->events(), PositionKey(position), value).ok());
  }

  VerifyReport VerifyReadOnly() {
    Options options;
    options.read_only = true;
    auto store = OpenOrDie(dir_.path(), options);
    return store->Verify();
  }

  TempDir dir_;
};

TEST_F(EventStoreVerify, AFlippedPayloadByteIsAHashMismatchAtItsPosition) {
  {
    auto db = Raw();
    std::string record = GetRecord(db.get(), 7);
    record[record.size() - kHashBytes - 2] ^= 0x20;  // Inside "payload-6".
    PutRecord(db.get(), 7, record);
  }
  const VerifyReport report = VerifyReadOnly();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_position, 7u);
  EXPECT_EQ(report.damage, "hash_mismatch");
}

TEST_F(EventStoreVerify, ATruncatedRecordIsNamedTruncated) {
  {
    auto db = Raw();
    std::string record = GetRecord(db.get(), 9);
    record.resize(record.size() / 2);
    PutRecord(db.get(), 9, record);
  }
  const VerifyReport report = VerifyReadOnly();
  EXPECT_EQ(report.first_bad_position, 9u);
  EXPECT_EQ(report.damage, "record_truncated");
  // The read path refuses it too.
  auto store = OpenOrDie(dir_.path());
  std::vector<RecordedEvent> out;
  Status status = store->ReadAll(1, {}, 100, &out);
  EXPECT_EQ(status.code(), StatusCode::kDataLoss);
  EXPECT_EQ(status.reason(), "record_truncated");
}

TEST_F(EventStoreVerify, ARehashedRecordBreaksTheChainAtTheNextPosition) {
  {
    auto db = Raw();
    std::string record = GetRecord(db.get(), 4);
    record[record.size() - kHashBytes - 2] ^= 0x20;
    Sha256 sha;
    sha.DigestInto(std::string_view(record).substr(0, record.size() - kHashBytes),
                   reinterpret_cast<uint8_t*>(record.data() + record.size() - kHashBytes));
    PutRecord(db.get(), 4, record);
  }
  const VerifyReport report = VerifyReadOnly();
  EXPECT_EQ(report.first_bad_position, 5u);
  EXPECT_EQ(report.damage, "chain_broken");
  auto store = OpenOrDie(dir_.path());
  Status status = store->ScanAll(1, [](const RecordedEvent&) { return true; });
  EXPECT_EQ(status.reason(), "chain_broken");
}

TEST_F(EventStoreVerify, ARemovedStreamIndexEntryIsNamedMissing) {
  {
    auto db = Raw();
    // Position 6 is the sixth append: stream s-2, version 1.
    ASSERT_TRUE(db->db()->Delete({}, db->streams(), StreamKey("s-2", 1)).ok());
  }
  const VerifyReport report = VerifyReadOnly();
  EXPECT_EQ(report.first_bad_position, 6u);
  EXPECT_EQ(report.damage, "missing_stream_index");
}

TEST_F(EventStoreVerify, AStreamIndexEntryPointingElsewhereIsAMismatch) {
  {
    auto db = Raw();
    ASSERT_TRUE(db->db()->Put({}, db->streams(), StreamKey("s-0", 2), EncodeStreamEntry(1)).ok());
  }
  const VerifyReport report = VerifyReadOnly();
  EXPECT_EQ(report.first_bad_position, 7u);  // s-0@2 is position 7.
  EXPECT_EQ(report.damage, "stream_index_mismatch");
}

TEST_F(EventStoreVerify, AnIndexEntryWithoutARecordDangles) {
  {
    auto db = Raw();
    ASSERT_TRUE(db->db()->Put({}, db->streams(), StreamKey("s-9", 0), EncodeStreamEntry(3)).ok());
  }
  const VerifyReport report = VerifyReadOnly();
  EXPECT_EQ(report.damage, "dangling_stream_index");
  EXPECT_EQ(report.first_bad_position, 3u);
}

TEST_F(EventStoreVerify, ARemovedCommandEntryIsNamedMissing) {
  {
    auto db = Raw();
    ASSERT_TRUE(db->db()->Delete({}, db->commands(), "c11").ok());
  }
  const VerifyReport report = VerifyReadOnly();
  EXPECT_EQ(report.first_bad_position, 12u);
  EXPECT_EQ(report.damage, "missing_command_index");
}

TEST_F(EventStoreVerify, AnExtraCommandEntryDangles) {
  {
    auto db = Raw();
    const CommandEntry entry{15, 1, std::string(kHashBytes, 'x')};
    ASSERT_TRUE(db->db()->Put({}, db->commands(), "ghost", EncodeCommandEntry(entry)).ok());
  }
  const VerifyReport report = VerifyReadOnly();
  EXPECT_EQ(report.damage, "dangling_command_index");
  EXPECT_EQ(report.first_bad_position, 15u);
}

TEST_F(EventStoreVerify, ALostLastRecordIsAHeadMismatchAndBlocksWritableOpen) {
  {
    auto db = Raw();
    ASSERT_TRUE(db->db()->Delete({}, db->events(), PositionKey(kEvents)).ok());
  }
  const VerifyReport report = VerifyReadOnly();
  EXPECT_EQ(report.damage, "head_mismatch");
  EXPECT_EQ(report.first_bad_position, kEvents);
  auto store = EventStore::Open(dir_.path(), Options{});
  EXPECT_EQ(store.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(store.status().reason(), "head_mismatch");
}

TEST_F(EventStoreVerify, AMissingMiddleRecordIsNamedMissing) {
  {
    auto db = Raw();
    ASSERT_TRUE(db->db()->Delete({}, db->events(), PositionKey(10)).ok());
  }
  const VerifyReport report = VerifyReadOnly();
  EXPECT_EQ(report.damage, "missing_event");
  EXPECT_EQ(report.first_bad_position, 10u);
}

}  // namespace
}  // namespace tranche::eventstore
