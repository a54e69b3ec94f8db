// PrefaultForWrite and ReservePrefaulted (core/prefault.h).
#include "core/prefault.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

namespace tranche {
namespace {

// How many of the `pages` pages at `at` are resident (mincore).
size_t ResidentPages(void* at, size_t pages) {
  std::vector<unsigned char> residency(pages);
  EXPECT_EQ(mincore(at, pages * static_cast<size_t>(getpagesize()), residency.data()), 0);
  size_t resident = 0;
  for (unsigned char r : residency) resident += r & 1;
  return resident;
}

TEST(PrefaultTest, PopulatesTheWholePagesInsideTheRangeAndNoOthers) {
  const size_t page = static_cast<size_t>(getpagesize());
  const size_t pages = 256;  // 1 MiB of 4 KiB pages, above kPrefaultBytesMin.
  void* mapped = mmap(nullptr, pages * page, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(mapped, MAP_FAILED);
  char* base = static_cast<char*>(mapped);
  ASSERT_EQ(ResidentPages(base, pages), 0u);
  // From the middle of page 0 to the middle of page 200: pages 1..199.
  PrefaultForWrite(base + page / 2, 200 * page);
  const size_t populated = ResidentPages(base + page, 199);
  if (populated == 0) {
    munmap(mapped, pages * page);
    GTEST_SKIP() << "this kernel has no MADV_POPULATE_WRITE (Linux 5.14)";
  }
  EXPECT_EQ(populated, 199u);
  EXPECT_EQ(ResidentPages(base, 1), 0u);               // Partly in the range: left alone.
  EXPECT_EQ(ResidentPages(base + 200 * page, 56), 0u);  // Past it.
  munmap(mapped, pages * page);
}

TEST(PrefaultTest, SmallRangesAreLeftToFaultIn) {
  const size_t page = static_cast<size_t>(getpagesize());
  const size_t pages = kPrefaultBytesMin / page - 1;
  void* mapped = mmap(nullptr, (pages + 2) * page, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(mapped, MAP_FAILED);
  PrefaultForWrite(mapped, pages * page);
  EXPECT_EQ(ResidentPages(mapped, pages + 2), 0u);
  munmap(mapped, (pages + 2) * page);
}

TEST(PrefaultTest, ReservePrefaultedKeepsTheElementsAndReserves) {
  std::vector<uint64_t> values = {1, 2, 3};
  ReservePrefaulted(values, 1'000'000);
  EXPECT_GE(values.capacity(), 1'000'000u);
  EXPECT_EQ(values, (std::vector<uint64_t>{1, 2, 3}));
  ReservePrefaulted(values, 2);  // Fewer than it holds: nothing changes.
  EXPECT_EQ(values, (std::vector<uint64_t>{1, 2, 3}));
  for (uint64_t i = 4; i <= 1'000'000; ++i) values.push_back(i);
  EXPECT_EQ(values.back(), 1'000'000u);
}

// Appending through GrowPrefaulted gives the same contents as plain appends;
// small vectors grow as std::vector would, large ones double into a block
// that is populated (resident) before it is filled, not page by page.
TEST(PrefaultTest, GrowPrefaultedDoublesLargeVectorsIntoAPopulatedBlock) {
  std::vector<uint64_t> values;
  std::vector<uint64_t> expected;
  for (uint64_t i = 0; i < 300'000; ++i) {
    const size_t capacity = values.capacity();
    GrowPrefaulted(values);
    if (capacity * sizeof(uint64_t) < kPrefaultBytesMin || values.size() < capacity) {
      EXPECT_EQ(values.capacity(), capacity) << i;  // Left to push_back.
    } else {
      EXPECT_EQ(values.capacity(), 2 * capacity) << i;
      const size_t page = static_cast<size_t>(getpagesize());
      const uintptr_t first = (reinterpret_cast<uintptr_t>(values.data()) + page - 1) & ~(page - 1);
      const uintptr_t end =
          reinterpret_cast<uintptr_t>(values.data() + values.capacity()) & ~(page - 1);
      const size_t pages = (end - first) / page;
      const size_t resident = ResidentPages(reinterpret_cast<void*>(first), pages);
      if (resident != 0) {  // 0: this kernel has no MADV_POPULATE_WRITE.
        EXPECT_EQ(resident, pages) << i;
      }
    }
    values.push_back(i);
    expected.push_back(i);
  }
  EXPECT_EQ(values, expected);
}

TEST(PrefaultTest, GrowPrefaultedKeepsAStringsBytes) {
  std::string text;
  std::string expected;
  for (int i = 0; i < 100'000; ++i) {
    const std::string piece = "reference-" + std::to_string(i) + ";";
    GrowPrefaulted(text, piece.size());
    EXPECT_GE(text.capacity(), text.size());
    text.append(piece);
    expected.append(piece);
  }
  EXPECT_EQ(text, expected);
}

}  // namespace
}  // namespace tranche
