// The Database's column-family options: memtable insert hints for the
// append-ordered families, and that keys written out of append order still
// read back in key order.
#include "eventstore/database.h"

#include <gtest/gtest.h>
#include <rocksdb/slice_transform.h>

#include <memory>
#include <string>
#include <vector>

#include "eventstore/record_format.h"
#include "tests/eventstore/test_store.h"

namespace tranche::eventstore {
namespace {

using testing::TempDir;

std::unique_ptr<Database> OpenOrDie(const std::string& path) {
  auto database = Database::Open(path, /*create_if_missing=*/true, /*read_only=*/false);
  EXPECT_TRUE(database.ok()) << database.status().ToString();
  return database.ok() ? std::move(database).value() : nullptr;
}

TEST(Database, AppendOrderedFamiliesHintInsertsByTheKeyBeforeItsCounter) {
  TempDir dir;
  auto database = OpenOrDie(dir.path());
  ASSERT_NE(database, nullptr);
  for (auto* family : {database->events(), database->streams()}) {
    const auto extractor =
        database->db()->GetOptions(family).memtable_insert_with_hint_prefix_extractor;
    ASSERT_NE(extractor, nullptr);
    const std::string key = StreamKey("cluster-wessex", 41);
    EXPECT_TRUE(extractor->InDomain(key));
    EXPECT_EQ(extractor->Transform(key).ToString(), StreamKeyPrefix("cluster-wessex"));
    EXPECT_EQ(extractor->Transform(PositionKey(7)).size(), 0u);
    EXPECT_FALSE(extractor->InDomain(rocksdb::Slice("short")));
  }
  EXPECT_EQ(database->db()->GetOptions(database->commands())
                .memtable_insert_with_hint_prefix_extractor,
            nullptr);
}

// A hint is only where the last insert under that head went: keys that come
// back out of order (several streams interleaved, a counter going down) must
// still land in their sorted place.
TEST(Database, KeysInsertedOutOfAppendOrderReadBackSorted) {
  TempDir dir;
  auto database = OpenOrDie(dir.path());
  ASSERT_NE(database, nullptr);
  const std::vector<uint64_t> versions = {5, 1, 9, 3, 7, 0, 8, 2, 6, 4};
  rocksdb::WriteOptions options;
  for (uint64_t version : versions) {
    for (const std::string stream : {"b", "a", "c"}) {
      ASSERT_TRUE(database->db()
                      ->Put(options, database->streams(), StreamKey(stream, version), "v")
                      .ok());
    }
    ASSERT_TRUE(
        database->db()->Put(options, database->events(), PositionKey(100 - version), "e").ok());
  }
  std::vector<std::string> expected;
  for (const std::string stream : {"a", "b", "c"}) {
    for (uint64_t version = 0; version < versions.size(); ++version) {
      expected.push_back(StreamKey(stream, version));
    }
  }
  std::vector<std::string> read;
  std::unique_ptr<rocksdb::Iterator> it(
      database->db()->NewIterator(rocksdb::ReadOptions(), database->streams()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) read.push_back(it->key().ToString());
  EXPECT_EQ(read, expected);
  uint64_t last = 0;
  size_t events = 0;
  it.reset(database->db()->NewIterator(rocksdb::ReadOptions(), database->events()));
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++events) {
    const uint64_t position = ReadBigEndian64(it->key().data());
    EXPECT_GT(position, last);
    last = position;
  }
  EXPECT_EQ(events, versions.size());
}

}  // namespace
}  // namespace tranche::eventstore
