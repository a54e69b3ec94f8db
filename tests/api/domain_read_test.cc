// The domain read routes against the real server: programmes, clusters,
// history, ledger and exports, at any moment.
#include "tests/api/domain_test_support.h"

namespace tranche::api {
namespace {

using namespace domain_testing;  // NOLINT

// ---------------------------------------------------------------------------
// Every read endpoint.

class DomainReadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetUpProgramme(client_);                                                      // 1–3
    client_.MustCommand("add-member", MemberBody("GE Healthcare"), kProgrammeToken);  // 4
    award_position_ = 3;
    t1_ = client_.MustCommand("record-tranche", TrancheBody("PAY-001", 20'000'000, "2009-07-01"),
                              kFinanceToken);  // 5
    client_.MustCommand("record-tranche", TrancheBody("PAY-002", 10'000'000, "2010-02-01"),
                        kFinanceToken);  // 6
    client_.MustCommand("record-tranche",
                        TrancheBody("PAY-003", 5'000'000, "2010-05-01", "2010/11"),
                        kFinanceToken);  // 7
    client_.MustCommand("record-tranche", TrancheBody("PAY-004", 1'000'000, "2010-03-01"),
                        kFinanceToken);  // 8
    json reverse = {{"command_id", NextId("reverse")},
                    {"cluster_id", "wessex"},
                    {"payment_reference", "PAY-002"},
                    {"reason", "paid twice, see \"PAY-001\", refund requested"}};
    client_.MustCommand("reverse-tranche", reverse, kFinanceToken);  // 9
  }

  TestServer server_;
  Client client_{server_.port()};
  uint64_t award_position_ = 0;
  json t1_;
};

TEST_F(DomainReadTest, ProgrammesAndOneProgramme) {
  EXPECT_EQ(client_.Head(), 9u);
  json list = client_.GetJson("/v1/programmes", kViewerToken);
  ASSERT_EQ(list["programmes"].size(), 1u) << list;
  EXPECT_EQ(list["moment"]["as_of_position"], 9);
  const json& programme = list["programmes"][0];
  EXPECT_EQ(programme["id"], "hiec");
  EXPECT_EQ(programme["funder"], "Department of Health");
  const json* y1 = FindYear(programme["financial_years"], "2009/10");
  ASSERT_NE(y1, nullptr) << programme;
  EXPECT_EQ((*y1)["envelope_pence"], kEnvelope0910);
  EXPECT_EQ((*y1)["awarded_pence"], kAward0910);
  EXPECT_EQ((*y1)["paid_pence"], 21'000'000);  // 20m + 10m − 10m + 1m
  EXPECT_EQ((*y1)["starts"], "2009-04-01");
  EXPECT_EQ((*y1)["ends"], "2010-03-31");

  json one = client_.GetJson("/v1/programmes/hiec", kAuditorToken);
  EXPECT_EQ(one["id"], "hiec");
  EXPECT_EQ(one["name"], "Health Innovation and Education Clusters");
  EXPECT_EQ(one["financial_years"].size(), 2u);

  HttpResult missing = client_.Get("/v1/programmes/nowhere", kViewerToken);
  EXPECT_EQ(missing.status, 404u);
  EXPECT_EQ(missing.ErrorCode(), "programme_not_found") << missing.body;
}

TEST_F(DomainReadTest, ClustersAndOneClusterNowAsOfAndEffective) {
  json list = client_.GetJson("/v1/clusters?programme=hiec", kViewerToken);
  ASSERT_EQ(list["clusters"].size(), 1u) << list;
  EXPECT_EQ(list["clusters"][0]["id"], "wessex");
  EXPECT_EQ(list["clusters"][0]["status"], "awarded");
  EXPECT_EQ(client_.GetJson("/v1/clusters?programme=other", kViewerToken)["clusters"].size(), 0u);

  json now = client_.GetJson("/v1/clusters/wessex", kViewerToken);
  EXPECT_EQ(now["id"], "wessex");
  EXPECT_EQ(now["status"], "awarded");
  EXPECT_EQ(now["member_count"], 1);
  EXPECT_EQ(now["tranche_count"], 4);
  EXPECT_EQ(now["reversed_tranche_count"], 1);
  EXPECT_EQ(now["moment"]["as_of_position"], 9);
  EXPECT_EQ((*FindYear(now["financial_years"], "2009/10"))["net_paid_pence"], 21'000'000);
  EXPECT_EQ((*FindYear(now["financial_years"], "2010/11"))["net_paid_pence"], 5'000'000);
  EXPECT_EQ((*FindYear(now["financial_years"], "2009/10"))["award_pence"], kAward0910);

  // as_of a position: just after the award, before members and payments.
  json at_award = client_.GetJson("/v1/clusters/wessex?as_of=" + std::to_string(award_position_),
                                  kViewerToken);
  EXPECT_EQ(at_award["status"], "awarded");
  EXPECT_EQ(at_award["tranche_count"], 0);
  EXPECT_EQ(at_award["member_count"], 0);
  EXPECT_EQ(at_award["moment"]["as_of_position"], award_position_);
  json at_bid = client_.GetJson("/v1/clusters/wessex?as_of=2", kViewerToken);
  EXPECT_EQ(at_bid["status"], "submitted");
  EXPECT_EQ(at_bid["version"], 0);

  // as_of an RFC 3339 time: the award's recorded_at gives the same state.
  json events = client_.GetJson("/v1/events?from=" + std::to_string(award_position_) + "&limit=1",
                                kViewerToken);
  ASSERT_EQ(events["events"].size(), 1u);
  const std::string award_time = events["events"][0]["recorded_at"];
  json at_time = client_.GetJson("/v1/clusters/wessex?as_of=" + award_time, kViewerToken);
  EXPECT_EQ(at_time["moment"]["as_of_position"], award_position_) << award_time;
  EXPECT_EQ(at_time["status"], "awarded");
  EXPECT_EQ(at_time["tranche_count"], 0);
  // Before anything was recorded the cluster did not exist yet.
  HttpResult before = client_.Get("/v1/clusters/wessex?as_of=2000-01-01T00:00:00Z", kViewerToken);
  EXPECT_EQ(before.status, 404u) << before.body;
  EXPECT_EQ(before.ErrorCode(), "cluster_not_found");
  EXPECT_EQ(client_.GetJson("/v1/programmes?as_of=2000-01-01T00:00:00Z", kViewerToken)["programmes"]
                .size(),
            0u);
  // A far-future position is clamped to the head.
  EXPECT_EQ(client_.GetJson("/v1/clusters/wessex?as_of=999999", kViewerToken)["moment"]["as_of_position"],
            9);

  // effective: what was paid by a business date (PAY-001 only in 2009/10).
  json effective = client_.GetJson("/v1/clusters/wessex?effective=2009-08-01", kViewerToken);
  EXPECT_EQ(effective["moment"]["effective"], "2009-08-01");
  EXPECT_EQ((*FindYear(effective["financial_years"], "2009/10"))["net_paid_pence"], 20'000'000);
  EXPECT_EQ((*FindYear(effective["financial_years"], "2010/11"))["net_paid_pence"], 0);
  json programme_effective = client_.GetJson("/v1/programmes/hiec?effective=2009-08-01", kViewerToken);
  EXPECT_EQ((*FindYear(programme_effective["financial_years"], "2009/10"))["paid_pence"], 20'000'000);

  // Malformed moments are 400 invalid_field naming the parameter.
  HttpResult bad_as_of = client_.Get("/v1/clusters/wessex?as_of=yesterday", kViewerToken);
  EXPECT_EQ(bad_as_of.status, 400u);
  EXPECT_EQ(bad_as_of.ErrorCode(), "invalid_field");
  EXPECT_EQ(bad_as_of.Json()["error"]["details"]["field"], "as_of");
  HttpResult bad_effective = client_.Get("/v1/clusters/wessex?effective=2009-13-01", kViewerToken);
  EXPECT_EQ(bad_effective.status, 400u);
  EXPECT_EQ(bad_effective.Json()["error"]["details"]["field"], "effective");

  HttpResult missing = client_.Get("/v1/clusters/nowhere", kViewerToken);
  EXPECT_EQ(missing.status, 404u);
  EXPECT_EQ(missing.ErrorCode(), "cluster_not_found");
}

TEST_F(DomainReadTest, ClusterEventsCarryNetPaidAfterEachEvent) {
  json history = client_.GetJson("/v1/clusters/wessex/events", kViewerToken);
  EXPECT_EQ(history["cluster_id"], "wessex");
  EXPECT_TRUE(history["next_version"].is_null());
  const json& events = history["events"];
  std::vector<std::string> types;
  for (const auto& event : events) types.push_back(event["type"]);
  EXPECT_EQ(types, (std::vector<std::string>{"BidSubmitted", "BidAwarded", "MemberAdded",
                                             "TrancheRecorded", "TrancheRecorded",
                                             "TrancheRecorded", "TrancheRecorded",
                                             "TrancheReversed"}));
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i]["version"], i);
    EXPECT_TRUE(events[i]["data"].is_object()) << events[i];
  }
  ASSERT_EQ(events.size(), 8u);
  EXPECT_EQ(events[0]["net_paid_after"], json::object());
  EXPECT_EQ(events[3]["net_paid_after"]["2009/10"]["net_paid_pence"], 20'000'000);
  EXPECT_EQ(events[4]["net_paid_after"]["2009/10"]["net_paid_pence"], 30'000'000);
  EXPECT_EQ(events[5]["net_paid_after"]["2010/11"]["net_paid_pence"], 5'000'000);
  EXPECT_EQ(events[6]["net_paid_after"]["2009/10"]["net_paid_pence"], 31'000'000);
  EXPECT_EQ(events[7]["net_paid_after"]["2009/10"]["net_paid_pence"], 21'000'000);
  EXPECT_EQ(events[7]["net_paid_after"]["2009/10"]["net_paid"], "£210,000.00");

  // Paged: every page's totals are folded from the stream's start.
  json page = client_.GetJson("/v1/clusters/wessex/events?from_version=4&limit=2", kViewerToken);
  ASSERT_EQ(page["events"].size(), 2u);
  EXPECT_EQ(page["events"][0]["version"], 4);
  EXPECT_EQ(page["events"][0]["net_paid_after"], events[4]["net_paid_after"]);
  EXPECT_EQ(page["next_version"], 6);

  HttpResult missing = client_.Get("/v1/clusters/nowhere/events", kViewerToken);
  EXPECT_EQ(missing.status, 404u);
  EXPECT_EQ(missing.ErrorCode(), "cluster_not_found");
}

TEST_F(DomainReadTest, LedgerPagesWithNext) {
  std::vector<json> entries;
  std::string target = "/v1/ledger?limit=2";
  int pages = 0;
  for (;;) {
    json page = client_.GetJson(target, kFinanceToken);
    ++pages;
    for (const auto& entry : page["entries"]) entries.push_back(entry);
    if (page["next"].is_null()) break;
    ASSERT_LT(pages, 10) << "next never ends";
    target = "/v1/ledger?limit=2&from=" + std::to_string(page["next"].get<uint64_t>());
  }
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(entries.size(), 5u);
  std::vector<std::string> kinds;
  for (const auto& entry : entries) kinds.push_back(entry["kind"]);
  EXPECT_EQ(kinds, (std::vector<std::string>{"tranche", "tranche", "tranche", "tranche", "reversal"}));
  for (size_t i = 1; i < entries.size(); ++i) {
    EXPECT_LT(entries[i - 1]["position"].get<uint64_t>(), entries[i]["position"].get<uint64_t>());
  }
  EXPECT_EQ(entries[0]["payment_reference"], "PAY-001");
  EXPECT_EQ(entries[0]["amount_pence"], 20'000'000);
  EXPECT_EQ(entries[0]["actor"], "finance");
  EXPECT_EQ(entries[0]["position"], t1_["first_position"]);
  EXPECT_EQ(entries[4]["payment_reference"], "PAY-002");

  HttpResult bad = client_.Get("/v1/ledger?limit=0", kFinanceToken);
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(bad.Json()["error"]["details"]["field"], "limit");
}

TEST_F(DomainReadTest, LedgerCsvIsRfc4180) {
  HttpResult csv = client_.Get("/v1/ledger.csv", kFinanceToken);
  ASSERT_EQ(csv.status, 200u) << csv.body;
  EXPECT_NE(Header(csv, "Content-Type").find("text/csv"), std::string::npos);
  std::vector<std::vector<std::string>> rows;
  ASSERT_TRUE(ParseCsv(csv.body, &rows)) << csv.body;
  ASSERT_EQ(rows.size(), 6u) << csv.body;  // Header + 5 entries.
  const std::vector<std::string> header = {
      "position", "recorded_at", "actor", "command_id", "kind", "programme_id", "cluster_id",
      "financial_year", "payment_reference", "paid_on", "amount_pounds", "amount_pence",
      "cluster_year_total_pounds", "cluster_year_total_pence", "programme_year_total_pounds",
      "programme_year_total_pence", "reason"};
  EXPECT_EQ(rows[0], header);
  for (const auto& row : rows) ASSERT_EQ(row.size(), header.size());
  EXPECT_EQ(rows[1][4], "tranche");
  EXPECT_EQ(rows[1][8], "PAY-001");
  EXPECT_EQ(rows[1][9], "2009-07-01");
  EXPECT_EQ(rows[1][10], "200000.00");
  EXPECT_EQ(rows[1][11], "20000000");
  EXPECT_EQ(rows[5][4], "reversal");
  EXPECT_EQ(rows[5][8], "PAY-002");
  // The reason's commas and quotes survive quoting.
  EXPECT_NE(csv.body.find(",\"paid twice, see \"\"PAY-001\"\", refund requested\"\r\n"), std::string::npos);
  EXPECT_EQ(rows[5][16], "paid twice, see \"PAY-001\", refund requested");
  // The running totals reconcile to the net paid.
  EXPECT_EQ(rows[5][13], "21000000");
}

TEST_F(DomainReadTest, ThreeSixtyGivingPackage) {
  HttpResult result = client_.Get("/v1/export/360giving.json", kAuditorToken);
  ASSERT_EQ(result.status, 200u) << result.body;
  json package = result.Json();
  ASSERT_FALSE(package.is_discarded());
  EXPECT_EQ(package["version"], "1.4");
  EXPECT_TRUE(package["publisher"]["name"].is_string());
  EXPECT_TRUE(package["modified"].is_string());
  ASSERT_EQ(package["grants"].size(), 1u);
  const json& grant = package["grants"][0];
  EXPECT_EQ(grant["id"].get<std::string>().rfind("360G-", 0), 0u) << grant["id"];
  EXPECT_EQ(grant["title"], "wessex HIEC");
  EXPECT_EQ(grant["currency"], "GBP");
  EXPECT_DOUBLE_EQ(grant["amountAwarded"].get<double>(), 1'100'000.00);
  EXPECT_DOUBLE_EQ(grant["amountAppliedFor"].get<double>(), 1'500'000.00);
  EXPECT_DOUBLE_EQ(grant["amountDisbursed"].get<double>(), 260'000.00);
  EXPECT_EQ(grant["awardDate"], "2010-01-05");
  ASSERT_TRUE(grant["recipientOrganization"].is_array());
  EXPECT_EQ(grant["recipientOrganization"][0]["name"], "University of Southampton");
  ASSERT_TRUE(grant["fundingOrganization"].is_array());
  EXPECT_EQ(grant["fundingOrganization"][0]["name"], "Department of Health");
  EXPECT_EQ(grant["plannedDates"][0]["startDate"], "2009-04-01");
  EXPECT_EQ(grant["plannedDates"][0]["endDate"], "2011-03-31");
  // The reversed tranche is not a disbursement.
  std::set<std::string> dates;
  double disbursed = 0;
  for (const auto& d : grant["disbursementTransaction"]) {
    dates.insert(d["transactionDate"]);
    disbursed += d["value"].get<double>();
  }
  EXPECT_EQ(dates, (std::set<std::string>{"2009-07-01", "2010-05-01", "2010-03-01"}));
  EXPECT_DOUBLE_EQ(disbursed, 260'000.00);
}

TEST(DomainReadEmptyTest, NoAwardsNothingToExportAndEmptyLists) {
  TestServer server;
  Client client(server.port());
  EXPECT_EQ(client.GetJson("/v1/programmes", kViewerToken)["programmes"], json::array());
  EXPECT_EQ(client.GetJson("/v1/clusters", kViewerToken)["clusters"], json::array());
  json ledger = client.GetJson("/v1/ledger", kAuditorToken);
  EXPECT_EQ(ledger["entries"], json::array());
  EXPECT_TRUE(ledger["next"].is_null());
  HttpResult csv = client.Get("/v1/ledger.csv", kAuditorToken);
  EXPECT_EQ(csv.status, 200u);
  EXPECT_EQ(std::count(csv.body.begin(), csv.body.end(), '\n'), 1);  // The header only.
  HttpResult export_result = client.Get("/v1/export/360giving.json", kAuditorToken);
  EXPECT_EQ(export_result.status, 404u);
  EXPECT_EQ(export_result.ErrorCode(), "no_awards");
}


}  // namespace
}  // namespace tranche::api
