// The current-state GETs answered from the RenderedViewCache, against the real
// server: a body is kept for exactly one log position, so a command that
// changes a cluster shows in the next GET, and as_of / effective queries are
// rendered exactly as before.
#include "tests/api/domain_test_support.h"

namespace tranche::api {
namespace {

using namespace domain_testing;  // NOLINT

class ViewCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetUpProgramme(client_);  // 1–3
    client_.MustCommand("record-tranche", TrancheBody("PAY-001", 1'000'000, "2009-07-01"),
                        kFinanceToken);  // 4
  }

  double Hits() { return server_.metrics().view_cache_hits.Value(); }
  double Misses() { return server_.metrics().view_cache_misses.Value(); }

  TestServer server_;
  Client client_{server_.port()};
};

TEST_F(ViewCacheTest, RepeatedGetsReturnIdenticalBytesFromTheCache) {
  for (const std::string target :
       {"/v1/clusters/wessex", "/v1/programmes/hiec", "/v1/clusters", "/v1/clusters?programme=hiec",
        "/v1/programmes"}) {
    HttpResult first = client_.Get(target, kViewerToken);
    ASSERT_EQ(first.status, 200u) << target << ": " << first.body;
    const double hits = Hits();
    HttpResult second = client_.Get(target, kViewerToken);
    HttpResult third = client_.Get(target, kAuditorToken);
    EXPECT_EQ(second.status, 200u);
    EXPECT_EQ(second.body, first.body) << target;
    EXPECT_EQ(third.body, first.body) << target;
    EXPECT_EQ(Hits(), hits + 2) << target << ": the repeats were rendered again";
    EXPECT_NE(first.body.find("\"as_of_position\":4"), std::string::npos) << first.body;
  }
}

TEST_F(ViewCacheTest, ACommandThatChangesAClusterShowsInTheNextGet) {
  json before = client_.GetJson("/v1/clusters/wessex", kViewerToken);
  ASSERT_EQ(client_.GetJson("/v1/clusters/wessex", kViewerToken), before);  // Now kept.
  EXPECT_EQ(before["tranche_count"], 1);
  EXPECT_EQ(before["moment"]["as_of_position"], 4);
  json programme_before = client_.GetJson("/v1/programmes/hiec", kViewerToken);
  json list_before = client_.GetJson("/v1/clusters?programme=hiec", kViewerToken);
  client_.GetJson("/v1/programmes/hiec", kViewerToken);
  client_.GetJson("/v1/clusters?programme=hiec", kViewerToken);

  json paid = client_.MustCommand(
      "record-tranche", TrancheBody("PAY-002", 2'000'000, "2009-08-01"), kFinanceToken);  // 5
  ASSERT_EQ(paid["last_position"], 5) << paid;

  json after = client_.GetJson("/v1/clusters/wessex", kViewerToken);
  EXPECT_EQ(after["tranche_count"], 2) << after;
  EXPECT_EQ(after["moment"]["as_of_position"], 5);
  EXPECT_EQ((*FindYear(after["financial_years"], "2009/10"))["net_paid_pence"], 3'000'000);
  json programme_after = client_.GetJson("/v1/programmes/hiec", kViewerToken);
  EXPECT_EQ((*FindYear(programme_after["financial_years"], "2009/10"))["paid_pence"], 3'000'000)
      << programme_after;
  EXPECT_NE(programme_after, programme_before);
  json list_after = client_.GetJson("/v1/clusters?programme=hiec", kViewerToken);
  EXPECT_EQ(list_after["moment"]["as_of_position"], 5) << list_after;
  EXPECT_NE(list_after, list_before);

  // A change that is not a payment: a member joins.
  client_.MustCommand("add-member", MemberBody("GE Healthcare"), kProgrammeToken);  // 6
  json with_member = client_.GetJson("/v1/clusters/wessex", kViewerToken);
  EXPECT_EQ(with_member["member_count"], 1) << with_member;
  EXPECT_EQ(with_member["moment"]["as_of_position"], 6);
}

TEST_F(ViewCacheTest, AsOfAndEffectiveAreAnsweredExactlyNotFromTheCache) {
  client_.MustCommand("record-tranche", TrancheBody("PAY-002", 2'000'000, "2010-02-01"),
                      kFinanceToken);  // 5
  // Keep the current body, then ask for other moments.
  HttpResult current = client_.Get("/v1/clusters/wessex", kViewerToken);
  ASSERT_EQ(client_.Get("/v1/clusters/wessex", kViewerToken).body, current.body);
  const double hits = Hits();
  const double misses = Misses();

  json at_award = client_.GetJson("/v1/clusters/wessex?as_of=3", kViewerToken);
  EXPECT_EQ(at_award["moment"]["as_of_position"], 3);
  EXPECT_EQ(at_award["tranche_count"], 0);
  json at_first = client_.GetJson("/v1/clusters/wessex?as_of=4", kViewerToken);
  EXPECT_EQ(at_first["tranche_count"], 1);
  json effective = client_.GetJson("/v1/clusters/wessex?effective=2009-08-01", kViewerToken);
  EXPECT_EQ(effective["moment"]["effective"], "2009-08-01");
  EXPECT_EQ(effective["moment"]["as_of_position"], 5);
  EXPECT_EQ((*FindYear(effective["financial_years"], "2009/10"))["net_paid_pence"], 1'000'000);
  json programme_at = client_.GetJson("/v1/programmes/hiec?as_of=3", kViewerToken);
  EXPECT_EQ((*FindYear(programme_at["financial_years"], "2009/10"))["paid_pence"], 0);
  EXPECT_EQ(Hits(), hits);
  EXPECT_EQ(Misses(), misses);

  // The kept body is byte for byte what the same moment renders afresh.
  EXPECT_EQ(client_.Get("/v1/clusters/wessex?as_of=5", kViewerToken).body, current.body);
  // And asking for other moments left the current answer alone.
  EXPECT_EQ(client_.Get("/v1/clusters/wessex", kViewerToken).body, current.body);
  EXPECT_EQ(Hits(), hits + 1);
}

TEST_F(ViewCacheTest, NotFoundIsNeverKeptAndAClusterAppearsOnceSubmitted) {
  const double hits = Hits();
  for (int i = 0; i < 3; ++i) {
    HttpResult missing = client_.Get("/v1/clusters/solent", kViewerToken);
    EXPECT_EQ(missing.status, 404u);
    EXPECT_EQ(missing.ErrorCode(), "cluster_not_found");
    EXPECT_EQ(client_.Get("/v1/programmes/other", kViewerToken).status, 404u);
    // A made-up programme filter gets an empty list, rendered every time.
    EXPECT_EQ(client_.GetJson("/v1/clusters?programme=made-up-" + std::to_string(i), kViewerToken)
                  ["clusters"].size(),
              0u);
  }
  EXPECT_EQ(Hits(), hits);

  client_.MustCommand("submit-bid", SubmitBidBody("solent"), kProgrammeToken);  // 5
  json solent = client_.GetJson("/v1/clusters/solent", kViewerToken);
  EXPECT_EQ(solent["id"], "solent");
  EXPECT_EQ(solent["status"], "submitted");
  EXPECT_EQ(client_.GetJson("/v1/clusters?programme=hiec", kViewerToken)["clusters"].size(), 2u);
}

// Writers commit tranches while readers GET the cluster; every GET after a
// command's answer shows that command, and every body served for the current
// state equals the same moment rendered afresh (?as_of=P, never kept).
TEST_F(ViewCacheTest, GetsAfterConcurrentCommandsAreNeverStale) {
  constexpr int kWriters = 3;
  constexpr int kTranchesPerWriter = 8;
  std::atomic<bool> writing{true};
  std::atomic<int> stale{0};
  std::atomic<int> reader_gets{0};
  std::mutex failures_mutex;
  std::vector<std::string> failures;
  auto fail = [&](const std::string& what) {
    std::lock_guard lock(failures_mutex);
    failures.push_back(what);
  };

  std::thread reader([&] {
    Client client(server_.port());
    uint64_t last_position = 0;
    while (writing.load()) {
      HttpResult result = client.Get("/v1/clusters/wessex", kViewerToken);
      reader_gets.fetch_add(1);
      json body = result.Json();
      if (result.status != 200 || !body.is_object()) {
        fail("reader: " + result.body);
        continue;
      }
      const uint64_t position = body["moment"]["as_of_position"].get<uint64_t>();
      if (position < last_position) stale.fetch_add(1);  // The head never goes back.
      last_position = position;
    }
  });
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      Client client(server_.port());
      for (int i = 0; i < kTranchesPerWriter; ++i) {
        const std::string reference = "W" + std::to_string(w) + "-" + std::to_string(i);
        HttpResult paid = client.Command("record-tranche",
                                         TrancheBody(reference, 1, "2009-09-01"), kFinanceToken);
        if (paid.status != 200) {
          fail("command " + reference + ": " + paid.body);
          continue;
        }
        const uint64_t committed = paid.Json()["last_position"].get<uint64_t>();
        HttpResult got = client.Get("/v1/clusters/wessex", kViewerToken);
        json view = got.Json();
        if (got.status != 200 || !view.is_object()) {
          fail("get after " + reference + ": " + got.body);
          continue;
        }
        const uint64_t position = view["moment"]["as_of_position"].get<uint64_t>();
        bool listed = false;
        for (const auto& tranche : view["tranches"]) {
          listed = listed || tranche["payment_reference"] == reference;
        }
        if (position < committed || !listed) {
          stale.fetch_add(1);
          fail("get after " + reference + " at " + std::to_string(committed) + " saw position " +
               std::to_string(position));
        }
        HttpResult fresh = client.Get("/v1/clusters/wessex?as_of=" + std::to_string(position),
                                      kViewerToken);
        if (fresh.body != got.body) fail("body at " + std::to_string(position) + " differs");
      }
    });
  }
  for (auto& writer : writers) writer.join();
  writing.store(false);
  reader.join();

  EXPECT_EQ(stale.load(), 0);
  EXPECT_TRUE(failures.empty()) << failures.size() << " failures, first: " << failures.front();
  EXPECT_GT(reader_gets.load(), 0);
  json last = client_.GetJson("/v1/clusters/wessex", kViewerToken);
  EXPECT_EQ(last["tranche_count"], 1 + kWriters * kTranchesPerWriter);
  EXPECT_EQ(last["moment"]["as_of_position"], 4 + kWriters * kTranchesPerWriter);
}

}  // namespace
}  // namespace tranche::api
