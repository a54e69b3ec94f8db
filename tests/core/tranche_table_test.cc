// TrancheTable: one cluster's tranches in the write model, stored as rows of
// offsets into one text buffer (core/tranche_table.h).
#include "core/tranche_table.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/byte_codec.h"

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

// A table's snapshot form, decoded into a fresh table: the table, or
// nullopt when the bytes are refused (and the table left empty).
std::optional<TrancheTable> RoundTrip(std::string_view bytes, std::vector<uint64_t>* hashes) {
  ByteReader in(bytes);
  TrancheTable loaded;
  loaded.DecodeFrom(in, *hashes);
  if (!in.ok()) {
    EXPECT_TRUE(loaded.empty());
    return std::nullopt;
  }
  EXPECT_TRUE(in.AtEnd());
  return loaded;
}

std::string Encoded(const TrancheTable& table) {
  ByteWriter out;
  table.EncodeTo(out);
  return out.Take();
}

TEST(TrancheTableTest, ALoadIndexesEveryTrancheAndRefusesADuplicate) {
  std::vector<std::string> references;
  TrancheTable written;
  for (int i = 0; i < 5000; ++i) {
    references.push_back("PAY-" + std::to_string(i));
    ASSERT_TRUE(written.Insert(references.back(), Paid(i + 1, 9, 9)));
    // Reversals append their reasons between later references.
    if (i % 7 == 0 && i >= 14) {
      ASSERT_TRUE(written.Reverse(references[i - 14], "reason " + std::to_string(i - 14)));
    }
  }
  std::vector<uint64_t> hashes;
  std::optional<TrancheTable> read = RoundTrip(Encoded(written), &hashes);
  ASSERT_TRUE(read.has_value());
  const TrancheTable& loaded = *read;
  ASSERT_EQ(hashes.size(), references.size());
  for (int i = 0; i < 5000; ++i) EXPECT_EQ(hashes[i], ReferenceHash(references[i]));
  EXPECT_TRUE(loaded == written);
  EXPECT_EQ(Encoded(loaded), Encoded(written));
  for (int i = 0; i < 5000; ++i) {
    const bool reversed = i % 7 == 0 && i + 14 < 5000;
    const auto found = loaded.Find(references[i]);
    ASSERT_TRUE(found.has_value()) << references[i];
    EXPECT_EQ(found->amount_pence, Pence(i + 1));
    EXPECT_EQ(found->reversed, reversed);
    EXPECT_EQ(found->reversal_reason, reversed ? "reason " + std::to_string(i) : "");
  }

  // The same tranches inserted in another order compare equal.
  TrancheTable reordered;
  for (int i = 4999; i >= 0; --i) {
    Tranche tranche = *loaded.Find(references[i]);
    ASSERT_TRUE(reordered.Insert(references[i], tranche));
  }
  EXPECT_TRUE(reordered == loaded);

  // Two rows naming the same reference: the one row of a table whose text
  // holds "SAME" once, written twice (its offset delta, 0, points the second
  // copy at the same string).
  TrancheTable one;
  ASSERT_TRUE(one.Insert("SAME", Paid(1, 4, 1)));
  std::string twice = Encoded(one);
  const size_t header = 2 + 8;  // Row count, text size, the text (4 + 4 bytes).
  ASSERT_EQ(twice[0], 1);
  ASSERT_EQ(twice[1], 8);
  twice[0] = 2;
  twice += twice.substr(header);
  EXPECT_FALSE(RoundTrip(twice, &hashes).has_value());
}

TEST(TrancheTableTest, ALoadRefusesTextOutOfBoundsAndEveryTruncation) {
  TrancheTable table;
  ASSERT_TRUE(table.Insert("A-1", Paid(1, 4, 1)));
  ASSERT_TRUE(table.Insert("A-2", Paid(2, 4, 2)));
  ASSERT_TRUE(table.Reverse("A-1", "typo"));
  const std::string good = Encoded(table);
  std::vector<uint64_t> hashes;
  ASSERT_TRUE(RoundTrip(good, &hashes).has_value());
  for (size_t size = 0; size < good.size(); ++size) {
    EXPECT_FALSE(RoundTrip(good.substr(0, size), &hashes).has_value()) << size;
  }
  // The first row's reference offset (0) pushed to the end of the text, and
  // to where only part of a length fits.
  const size_t text_bytes = static_cast<unsigned char>(good[1]);
  ASSERT_EQ(text_bytes, 7u + 7u + 8u);  // "A-1", "A-2", "typo", each after 4 bytes.
  for (const size_t at : {text_bytes, text_bytes - 2}) {
    std::string past = good;
    ASSERT_EQ(past[2 + text_bytes], 0);
    past[2 + text_bytes] = static_cast<char>(at);
    EXPECT_FALSE(RoundTrip(past, &hashes).has_value()) << at;
  }
}

}  // namespace
}  // namespace tranche::core
