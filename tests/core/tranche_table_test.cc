// TrancheTable: one cluster's tranches in the write model, stored as rows of
// offsets into one text buffer (core/tranche_table.h).
#include "core/tranche_table.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tranche::core {
namespace {

// A tranche of 2009/10 paid on 2009-month-day.
Tranche Paid(int64_t pence, int month, int day) {
  const std::optional<Date> date = Date::FromYmd(2009, month, day);
  EXPECT_TRUE(date.has_value());
  return Tranche{FinancialYear::FromStartYear(2009), Pence(pence), date.value_or(Date()), false, ""};
}

TEST(TrancheTableTest, KeepsRecordingOrderAndRefusesAReferenceTwice) {
  TrancheTable table;
  EXPECT_TRUE(table.Insert("HIEC-0002", Paid(200, 5, 1)));
  EXPECT_TRUE(table.Insert("HIEC-0001", Paid(100, 6, 1)));
  EXPECT_FALSE(table.Insert("HIEC-0002", Paid(999, 7, 1)));  // Taken: unchanged.
  ASSERT_EQ(table.size(), 2u);
  std::vector<std::pair<std::string, int64_t>> seen;
  for (const auto& [reference, tranche] : table) {
    seen.emplace_back(std::string(reference), tranche.amount_pence.value());
  }
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, int64_t>>{{"HIEC-0002", 200},
                                                                {"HIEC-0001", 100}}));
  ASSERT_TRUE(table.Find("HIEC-0002").has_value());
  EXPECT_EQ(*table.Find("HIEC-0002"), Paid(200, 5, 1));
  EXPECT_FALSE(table.Find("HIEC-0003").has_value());
  EXPECT_FALSE(table.Contains("HIEC-000"));  // A prefix is another reference.
}

TEST(TrancheTableTest, AReversalKeepsItsReasonAndHappensOnce) {
  TrancheTable table;
  ASSERT_TRUE(table.Insert("HIEC-0001", Paid(100, 6, 1)));
  ASSERT_TRUE(table.Insert("HIEC-0002", Paid(200, 6, 2)));
  const auto before = table.Reverse("HIEC-0001", "entered twice");
  ASSERT_TRUE(before.has_value());
  EXPECT_FALSE(before->reversed);  // The tranche as it was.
  EXPECT_EQ(before->amount_pence, Pence(100));
  const auto now = table.Find("HIEC-0001");
  ASSERT_TRUE(now.has_value());
  EXPECT_TRUE(now->reversed);
  EXPECT_EQ(now->reversal_reason, "entered twice");
  EXPECT_FALSE(table.Reverse("HIEC-0001", "again").has_value());  // Already reversed.
  EXPECT_EQ(table.Find("HIEC-0001")->reversal_reason, "entered twice");
  EXPECT_FALSE(table.Reverse("HIEC-0009", "unknown").has_value());
  EXPECT_FALSE(table.Find("HIEC-0002")->reversed);  // Its neighbour is untouched.
  // A reason may be empty: reversed is kept apart from the text.
  ASSERT_TRUE(table.Reverse("HIEC-0002", "").has_value());
  EXPECT_TRUE(table.Find("HIEC-0002")->reversed);
  EXPECT_EQ(table.Find("HIEC-0002")->reversal_reason, "");
}

TEST(TrancheTableTest, ACopyIsIndependent) {
  TrancheTable table;
  ASSERT_TRUE(table.Insert("A-1", Paid(1, 4, 1)));
  TrancheTable copy = table;
  ASSERT_TRUE(copy.Insert("A-2", Paid(2, 4, 2)));
  ASSERT_TRUE(copy.Reverse("A-1", "typo").has_value());
  EXPECT_EQ(table.size(), 1u);
  EXPECT_FALSE(table.Find("A-1")->reversed);
  EXPECT_FALSE(table.Contains("A-2"));
  EXPECT_FALSE(table == copy);
}

TEST(TrancheTableTest, ALoadIndexesEveryTrancheAndRefusesADuplicate) {
  std::vector<std::string> references;
  TrancheTable loaded;
  loaded.Reserve(5000, 5000 * 16);
  std::vector<uint64_t> hashes;
  for (int i = 0; i < 5000; ++i) {
    references.push_back("PAY-" + std::to_string(i));
    Tranche tranche = Paid(i + 1, 9, 9);
    if (i % 7 == 0) {
      tranche.reversed = true;
      tranche.reversal_reason = "reason " + std::to_string(i);
    }
    loaded.AppendUnindexed(references.back(), tranche);
    hashes.push_back(ReferenceHash(references.back()));
  }
  ASSERT_TRUE(loaded.IndexAll(hashes));
  for (int i = 0; i < 5000; ++i) {
    const auto found = loaded.Find(references[i]);
    ASSERT_TRUE(found.has_value()) << references[i];
    EXPECT_EQ(found->amount_pence, Pence(i + 1));
    EXPECT_EQ(found->reversed, i % 7 == 0);
    EXPECT_EQ(found->reversal_reason, i % 7 == 0 ? "reason " + std::to_string(i) : "");
  }

  // The same tranches inserted in another order compare equal.
  TrancheTable reordered;
  for (int i = 4999; i >= 0; --i) {
    Tranche tranche = *loaded.Find(references[i]);
    ASSERT_TRUE(reordered.Insert(references[i], tranche));
  }
  EXPECT_TRUE(reordered == loaded);

  TrancheTable twice;
  twice.AppendUnindexed("SAME", Paid(1, 4, 1));
  twice.AppendUnindexed("SAME", Paid(2, 4, 2));
  EXPECT_FALSE(twice.IndexAll({ReferenceHash("SAME"), ReferenceHash("SAME")}));
  EXPECT_TRUE(twice.empty());
}

}  // namespace
}  // namespace tranche::core
