// ReferenceIndex: the flat hash index behind the payment-reference lookups of
// the write model (State) and the read model.
#include "core/reference_index.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tranche::core {
namespace {

TEST(ReferenceIndexTest, FindsEveryKeyThroughGrowthAndNothingElse) {
  std::vector<std::string> keys;
  ReferenceIndex index;
  for (size_t i = 0; i < 20'000; ++i) {  // Many doublings from the first 16 slots.
    keys.push_back("PAY-" + std::to_string(i));
    index.Insert(ReferenceHash(keys.back()), i);
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    const auto found = index.Find(ReferenceHash(keys[i]), [&](size_t v) { return keys[v] == keys[i]; });
    ASSERT_TRUE(found.has_value()) << keys[i];
    EXPECT_EQ(*found, i);
  }
  const std::string absent = "PAY-20000";
  EXPECT_FALSE(index.Find(ReferenceHash(absent), [&](size_t v) { return keys[v] == absent; }));
  EXPECT_FALSE(ReferenceIndex().Find(ReferenceHash(absent), [](size_t) { return true; }));
}

TEST(ReferenceIndexTest, CollidingHashesAreToldApartByTheCallersComparison) {
  // Every key under one hash: each lookup walks the same probe run and only
  // `matches` decides, as with a real collision of the 32 stored bits.
  const std::vector<std::string> keys = {"A", "B", "C", "D", "E", "F", "G", "H", "I", "J"};
  constexpr uint64_t kSameHash = 0x5eed'0000'0000'0007;
  ReferenceIndex index;
  for (size_t i = 0; i < keys.size(); ++i) index.Insert(kSameHash, i);
  for (size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(index.Find(kSameHash, [&](size_t v) { return keys[v] == keys[i]; }), i);
  }
  EXPECT_FALSE(index.Find(kSameHash, [](size_t) { return false; }));
  // A hash with other low 32 bits is no candidate, even for a `matches`
  // that accepts anything.
  EXPECT_FALSE(index.Find(kSameHash ^ 0x10, [](size_t) { return true; }));
}

TEST(ReferenceIndexTest, ReserveAndPrefetchChangeNoAnswer) {
  ReferenceIndex index;
  index.Reserve(1'000);
  index.Prefetch(ReferenceHash("X"));
  index.Insert(ReferenceHash("X"), 7);
  index.Reserve(10);  // Smaller than what fits: nothing to do.
  EXPECT_EQ(index.Find(ReferenceHash("X"), [](size_t v) { return v == 7; }), 7u);
}

}  // namespace
}  // namespace tranche::core
