// Verify and the read path against damage made on purpose: flipped,
// truncated, re-hashed, removed and swapped records, removed and dangling
// index entries; and VerifyAgainst a kept head against the tampering that
// leaves a self-consistent log behind (a rewritten or truncated tail).
#include <gtest/gtest.h>

#include "eventstore/database.h"
#include "eventstore/event_store.h"
#include "eventstore/record_format.h"
#include "eventstore/sha256.h"
#include "eventstore/kept_head.h"
#include "tests/eventstore/tamper.h"
#include "tests/eventstore/test_store.h"

namespace tranche::eventstore {
namespace {

using testing::GetRecord;
using testing::OneEvent;
using testing::OpenOrDie;
using testing::PutRecord;
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
  std::unique_ptr<Database> Raw() { return testing::OpenRaw(dir_.path()); }

  // The head as an auditor keeps it, taken from the intact log.
  Head KeptHeadAt(uint64_t position) {
    Options options;
    options.read_only = true;
    auto store = OpenOrDie(dir_.path(), options);
    std::vector<RecordedEvent> events;
    EXPECT_TRUE(store->ReadAll(position, {}, 1, &events).ok());
    EXPECT_EQ(events.size(), 1u);
    return Head{position, events.empty() ? std::string() : events[0].hash};
  }

  VerifyReport VerifyReadOnly() {
    Options options;
    options.read_only = true;
    auto store = OpenOrDie(dir_.path(), options);
    return store->Verify();
  }

  VerifyReport VerifyReadOnlyAgainst(const Head& kept) {
    Options options;
    options.read_only = true;
    auto store = OpenOrDie(dir_.path(), options);
    return store->VerifyAgainst(kept);
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
  Status status = store->ScanAll(1, [](const RecordView&) { return true; });
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

TEST_F(EventStoreVerify, TwoSwappedRecordsAreAPositionMismatchAtTheFirst) {
  {
    auto db = Raw();
    const std::string fifth = GetRecord(db.get(), 5);
    const std::string twelfth = GetRecord(db.get(), 12);
    PutRecord(db.get(), 5, twelfth);
    PutRecord(db.get(), 12, fifth);
  }
  const VerifyReport report = VerifyReadOnly();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_position, 5u);
  EXPECT_EQ(report.damage, "position_mismatch");
  EXPECT_EQ(report.head_position, 4u);  // The last record that checked out.
}

// ---------------------------------------------------------------------------
// Verify against a kept head.

TEST_F(EventStoreVerify, AnIntactLogExtendsEveryHeadItEverHad) {
  const VerifyReport report = VerifyReadOnly();
  ASSERT_TRUE(report.ok);
  EXPECT_EQ(report.head_position, kEvents);
  const Head current = KeptHeadAt(kEvents);
  EXPECT_EQ(report.head_hash, current.hash);
  for (uint64_t position : {uint64_t{1}, uint64_t{9}, kEvents}) {
    const VerifyReport against = VerifyReadOnlyAgainst(KeptHeadAt(position));
    EXPECT_TRUE(against.ok) << position << ": " << against.damage << " " << against.detail;
    EXPECT_EQ(against.events_checked, kEvents);
  }
  EXPECT_TRUE(VerifyReadOnlyAgainst(Head{0, std::string(kHashBytes, '\0')}).ok);
}

TEST_F(EventStoreVerify, AKeptHeadWithAnotherHashIsAKeptHeadMismatchAtItsPosition) {
  Head wrong = KeptHeadAt(6);
  wrong.hash[0] ^= 0x01;
  const VerifyReport report = VerifyReadOnlyAgainst(wrong);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_position, 6u);
  EXPECT_EQ(report.damage, "kept_head_mismatch");
  EXPECT_EQ(report.head_position, 5u);
}

// The case only a kept head can catch: someone edits record 10 and re-hashes
// it and everything after it, and moves the stored head. Chain, indexes and
// head all agree, so plain verify passes; the record at the kept position no
// longer has the hash the auditor kept.
TEST_F(EventStoreVerify, ARewrittenTailPassesVerifyButNotVerifyAgainstTheHeadKeptBefore) {
  const Head kept = KeptHeadAt(15);
  const Head kept_before_the_rewrite = KeptHeadAt(9);
  Head rewritten;
  {
    auto db = Raw();
    rewritten = testing::RewriteTail(db.get(), 10, [](RecordedEvent* event) {
      if (event->position == 10) event->data = "payload-999";
    });
  }
  const VerifyReport plain = VerifyReadOnly();
  EXPECT_TRUE(plain.ok) << plain.damage << ": " << plain.detail;
  EXPECT_EQ(plain.head_hash, rewritten.hash);

  const VerifyReport against = VerifyReadOnlyAgainst(kept);
  EXPECT_FALSE(against.ok);
  EXPECT_EQ(against.damage, "kept_head_mismatch");
  EXPECT_EQ(against.first_bad_position, 15u);
  EXPECT_NE(against.detail.find(HexOf(kept.hash)), std::string::npos) << against.detail;
  // Positions before the rewrite are untouched, so a head kept there holds.
  EXPECT_TRUE(VerifyReadOnlyAgainst(kept_before_the_rewrite).ok);
  // The writable open checks the head against the last record, which the
  // rewrite kept consistent: only the kept head tells.
  auto store = OpenOrDie(dir_.path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->VerifyAgainst(kept).damage, "kept_head_mismatch");
}

TEST_F(EventStoreVerify, ATruncatedTailWithAMovedHeadPassesVerifyButNotAgainstTheKeptHead) {
  const Head kept = KeptHeadAt(kEvents);
  {
    auto db = Raw();
    testing::TruncateTail(db.get(), 16);
  }
  const VerifyReport plain = VerifyReadOnly();
  EXPECT_TRUE(plain.ok) << plain.damage << ": " << plain.detail;
  EXPECT_EQ(plain.head_position, 16u);
  const VerifyReport against = VerifyReadOnlyAgainst(kept);
  EXPECT_FALSE(against.ok);
  EXPECT_EQ(against.damage, "kept_head_missing");
  EXPECT_EQ(against.first_bad_position, 17u);
}

TEST_F(EventStoreVerify, VerifyAgainstNamesEarlierDamageFirst) {
  const Head kept = KeptHeadAt(15);
  {
    auto db = Raw();
    std::string record = GetRecord(db.get(), 7);
    record[record.size() - kHashBytes - 2] ^= 0x20;
    PutRecord(db.get(), 7, record);
  }
  const VerifyReport report = VerifyReadOnlyAgainst(kept);
  EXPECT_EQ(report.damage, "hash_mismatch");
  EXPECT_EQ(report.first_bad_position, 7u);
}

TEST_F(EventStoreVerify, ASwapMadeConsistentIsStillCaughtByTheKeptHead) {
  const Head kept = KeptHeadAt(kEvents);
  {
    auto db = Raw();
    // Swap the payloads of 5 and 12 and re-hash from 5 on.
    std::string fifth, twelfth;
    RecordedEvent event;
    ASSERT_TRUE(DecodeRecord(GetRecord(db.get(), 5), &event).ok());
    fifth = event.data;
    ASSERT_TRUE(DecodeRecord(GetRecord(db.get(), 12), &event).ok());
    twelfth = event.data;
    testing::RewriteTail(db.get(), 5, [&](RecordedEvent* e) {
      if (e->position == 5) e->data = twelfth;
      if (e->position == 12) e->data = fifth;
    });
  }
  EXPECT_TRUE(VerifyReadOnly().ok);
  const VerifyReport against = VerifyReadOnlyAgainst(kept);
  EXPECT_EQ(against.damage, "kept_head_mismatch");
  EXPECT_EQ(against.first_bad_position, kEvents);
}

}  // namespace
}  // namespace tranche::eventstore
