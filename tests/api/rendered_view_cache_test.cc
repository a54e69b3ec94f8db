// RenderedViewCache on its own: a body is found only at its exact position,
// newer bodies are never replaced by older ones, and the cache stays bounded.
#include "api/routes/rendered_view_cache.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace tranche::api {
namespace {

std::shared_ptr<const std::string> Body(const std::string& text) {
  return std::make_shared<const std::string>(text);
}

TEST(RenderedViewCacheTest, ABodyIsFoundOnlyAtItsExactPosition) {
  RenderedViewCache cache;
  EXPECT_EQ(cache.Find("cluster", 7), nullptr);
  cache.Store("cluster", 7, Body("at seven"));
  ASSERT_NE(cache.Find("cluster", 7), nullptr);
  EXPECT_EQ(*cache.Find("cluster", 7), "at seven");
  EXPECT_EQ(cache.Find("cluster", 8), nullptr);
  EXPECT_EQ(cache.Find("cluster", 6), nullptr);
  EXPECT_EQ(cache.Find("other", 7), nullptr);
}

TEST(RenderedViewCacheTest, ANewerPositionReplacesAnOlderOneNeverTheReverse) {
  RenderedViewCache cache;
  cache.Store("cluster", 7, Body("at seven"));
  cache.Store("cluster", 9, Body("at nine"));
  EXPECT_EQ(cache.Find("cluster", 7), nullptr);
  ASSERT_NE(cache.Find("cluster", 9), nullptr);
  // A slow request that rendered position 8 finishes last.
  cache.Store("cluster", 8, Body("at eight"));
  EXPECT_EQ(cache.Find("cluster", 8), nullptr);
  EXPECT_EQ(*cache.Find("cluster", 9), "at nine");
  EXPECT_EQ(cache.entries(), 1u);
  EXPECT_EQ(cache.body_bytes(), std::string("at nine").size());
}

TEST(RenderedViewCacheTest, AReaderKeepsItsBodyWhenTheEntryIsReplaced) {
  RenderedViewCache cache;
  cache.Store("cluster", 1, Body("first"));
  std::shared_ptr<const std::string> held = cache.Find("cluster", 1);
  cache.Store("cluster", 2, Body("second"));
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(*held, "first");
}

TEST(RenderedViewCacheTest, NewKeysBeyondTheEntryLimitAreNotKept) {
  RenderedViewCache cache;
  for (size_t i = 0; i < RenderedViewCache::kEntriesMax + 10; ++i) {
    cache.Store("key-" + std::to_string(i), 1, Body("x"));
  }
  EXPECT_EQ(cache.entries(), RenderedViewCache::kEntriesMax);
  EXPECT_EQ(cache.Find("key-" + std::to_string(RenderedViewCache::kEntriesMax), 1), nullptr);
  // A key already kept is still updated.
  cache.Store("key-0", 2, Body("y"));
  ASSERT_NE(cache.Find("key-0", 2), nullptr);
  EXPECT_EQ(cache.entries(), RenderedViewCache::kEntriesMax);
}

TEST(RenderedViewCacheTest, BodiesBeyondTheByteLimitAreNotKept) {
  RenderedViewCache cache;
  const size_t half = RenderedViewCache::kBodyBytesMax / 2;
  cache.Store("a", 1, Body(std::string(half, 'a')));
  cache.Store("b", 1, Body(std::string(half, 'b')));
  EXPECT_EQ(cache.body_bytes(), 2 * half);
  cache.Store("c", 1, Body("c"));
  EXPECT_EQ(cache.Find("c", 1), nullptr);
  // Replacing a body counts the difference, not the sum.
  cache.Store("a", 2, Body(std::string(half, 'A')));
  ASSERT_NE(cache.Find("a", 2), nullptr);
  EXPECT_EQ(cache.body_bytes(), 2 * half);
  cache.Store("a", 3, Body(std::string(half + 1, 'A')));
  EXPECT_EQ(cache.Find("a", 3), nullptr);
  EXPECT_EQ(cache.body_bytes(), 2 * half);
}

TEST(RenderedViewCacheTest, ConcurrentStoresAndFindsAgreeOnTheLatestPosition) {
  RenderedViewCache cache;
  constexpr uint64_t kPositions = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (uint64_t p = 1; p <= kPositions; ++p) {
        if (p % 4 == static_cast<uint64_t>(t)) cache.Store("k", p, Body(std::to_string(p)));
        if (auto body = cache.Find("k", p)) {
          EXPECT_EQ(*body, std::to_string(p));
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_NE(cache.Find("k", kPositions), nullptr);
  EXPECT_EQ(*cache.Find("k", kPositions), std::to_string(kPositions));
}

}  // namespace
}  // namespace tranche::api
