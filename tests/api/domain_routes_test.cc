// The domain routes against the real server: commands, state, history,
// ledger, exports; every error status of a command; idempotency; the auth
// matrix; actors; graceful shutdown under load; the live stream; metrics.
// Each test builds its own small programme through the command API.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "tests/api/test_support.h"

namespace tranche::api {
namespace {

using namespace testing;  // NOLINT
using nlohmann::json;

// £11m and £9.9m envelopes; Wessex is awarded £600,000 and £500,000.
constexpr int64_t kEnvelope0910 = 1'100'000'000;
constexpr int64_t kEnvelope1011 = 990'000'000;
constexpr int64_t kAward0910 = 60'000'000;
constexpr int64_t kAward1011 = 50'000'000;

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

std::string Header(const HttpResult& result, const std::string& name) {
  for (const auto& [key, value] : result.headers) {
    if (Lower(key) == Lower(name)) return value;
  }
  return "";
}

// A detail value as text (details may carry strings or numbers).
std::string Text(const json& value) { return value.is_string() ? value.get<std::string>() : value.dump(); }

class Client {
 public:
  explicit Client(uint16_t port) : port_(port) {}

  HttpResult Command(const std::string& name, const json& body, const std::string& token = kAdminToken) {
    return Http(port_, "POST", "/v1/commands/" + name, token, body.dump());
  }
  // A command that must succeed; returns the response body.
  json MustCommand(const std::string& name, const json& body, const std::string& token = kAdminToken) {
    HttpResult result = Command(name, body, token);
    EXPECT_EQ(result.status, 200u) << name << ": " << result.body;
    return result.Json();
  }
  HttpResult Get(const std::string& target, const std::string& token = kAdminToken) {
    return Http(port_, "GET", target, token);
  }
  json GetJson(const std::string& target, const std::string& token = kAdminToken) {
    HttpResult result = Get(target, token);
    EXPECT_EQ(result.status, 200u) << target << ": " << result.body;
    return result.Json();
  }
  uint64_t Head() { return GetJson("/healthz", "")["head"].get<uint64_t>(); }

 private:
  uint16_t port_;
};

std::string NextId(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + "-" + std::to_string(counter.fetch_add(1));
}

json OpenProgrammeBody() {
  return {{"command_id", NextId("open")},
          {"programme_id", "hiec"},
          {"name", "Health Innovation and Education Clusters"},
          {"funder", "Department of Health"},
          {"financial_years",
           {{{"label", "2009/10"}, {"envelope_pence", kEnvelope0910}},
            {{"label", "2010/11"}, {"envelope_pence", kEnvelope1011}}}}};
}

json SubmitBidBody(const std::string& cluster) {
  return {{"command_id", NextId("bid")},
          {"programme_id", "hiec"},
          {"cluster_id", cluster},
          {"name", cluster + " HIEC"},
          {"region", "NHS South Central"},
          {"principal_partner", "University of Southampton"},
          {"work_programme", "Telecare, service transformation"},
          {"requested", {{"2009/10", 80'000'000}, {"2010/11", 70'000'000}}},
          {"submitted_on", "2009-10-30"}};
}

json AwardBody(const std::string& cluster, int64_t year_one = kAward0910, int64_t year_two = kAward1011) {
  return {{"command_id", NextId("award")},
          {"cluster_id", cluster},
          {"awards", {{"2009/10", year_one}, {"2010/11", year_two}}},
          {"decided_on", "2010-01-05"}};
}

json TrancheBody(const std::string& reference, int64_t pence, const std::string& paid_on,
                 const std::string& year = "2009/10", const std::string& cluster = "wessex") {
  return {{"command_id", NextId("pay")},
          {"cluster_id", cluster},
          {"financial_year", year},
          {"amount_pence", pence},
          {"paid_on", paid_on},
          {"payment_reference", reference}};
}

json MemberBody(const std::string& name, const std::string& cluster = "wessex") {
  return {{"command_id", NextId("member")},
          {"cluster_id", cluster},
          {"name", name},
          {"sector", "industry"},
          {"joined_on", "2010-02-01"}};
}

// The programme "hiec" with the cluster "wessex" awarded: positions 1–3.
void SetUpProgramme(Client& client) {
  client.MustCommand("open-programme", OpenProgrammeBody(), kProgrammeToken);
  client.MustCommand("submit-bid", SubmitBidBody("wessex"), kProgrammeToken);
  client.MustCommand("award-bid", AwardBody("wessex"), kProgrammeToken);
}

// RFC 4180: records end in CRLF; quoted fields may hold commas, quotes
// (doubled) and line breaks. Returns false on a malformed document.
bool ParseCsv(const std::string& text, std::vector<std::vector<std::string>>* rows) {
  std::vector<std::string> row;
  std::string field;
  size_t i = 0;
  bool field_started = false;
  while (i < text.size()) {
    char c = text[i];
    if (c == '"' && !field_started) {
      ++i;
      for (;;) {
        if (i >= text.size()) return false;
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            i += 2;
          } else {
            ++i;
            break;
          }
        } else {
          field += text[i++];
        }
      }
      field_started = true;
      if (i < text.size() && text[i] != ',' && text[i] != '\r') return false;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      field_started = false;
      ++i;
    } else if (c == '\r') {
      if (i + 1 >= text.size() || text[i + 1] != '\n') return false;
      row.push_back(std::move(field));
      field.clear();
      field_started = false;
      rows->push_back(std::move(row));
      row.clear();
      i += 2;
    } else if (c == '\n' || c == '"') {
      return false;  // A bare LF or a quote inside an unquoted field.
    } else {
      field += c;
      field_started = true;
      ++i;
    }
  }
  return row.empty() && field.empty();  // The last record ends in CRLF.
}

const json* FindYear(const json& years, const std::string& label) {
  for (const auto& year : years) {
    if (year["financial_year"] == label) return &year;
  }
  return nullptr;
}

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

// ---------------------------------------------------------------------------
// Every error status of a command; a rejection appends nothing.

class CommandErrorTest : public ::testing::Test {
 protected:
  void SetUp() override { SetUpProgramme(client_); }

  // Sends the command, expects `status` and `code`, and that the log did not grow.
  json ExpectRejected(const std::string& name, const std::string& body, unsigned status,
                      const std::string& code, const std::string& token = kAdminToken) {
    const uint64_t head = client_.Head();
    const uint64_t events_head = client_.GetJson("/v1/events?limit=1", kViewerToken)["head"];
    HttpResult result = Http(server_.port(), "POST", "/v1/commands/" + name, token, body);
    EXPECT_EQ(result.status, status) << name << " " << body.substr(0, 200) << " → " << result.body;
    EXPECT_EQ(result.ErrorCode(), code) << result.body;
    json error = result.Json();
    EXPECT_FALSE(error.is_discarded());
    if (!error.is_discarded() && error.contains("error")) {
      EXPECT_TRUE(error["error"]["message"].is_string()) << result.body;
    }
    EXPECT_EQ(client_.Head(), head) << "a rejected " << name << " appended";
    EXPECT_EQ(client_.GetJson("/v1/events?limit=1", kViewerToken)["head"], events_head);
    return error.is_discarded() ? json() : error["error"];
  }
  json ExpectRejected(const std::string& name, const json& body, unsigned status,
                      const std::string& code, const std::string& token = kAdminToken) {
    return ExpectRejected(name, body.dump(), status, code, token);
  }

  TestServer server_;
  Client client_{server_.port()};
};

TEST_F(CommandErrorTest, BadRequest) {
  json error = ExpectRejected("record-tranche", std::string("{\"command_id\": \"x\", "), 400,
                              "invalid_field", kFinanceToken);
  EXPECT_EQ(error["details"]["field"], "body");
  ExpectRejected("record-tranche", std::string("[1,2]"), 400, "invalid_field", kFinanceToken);
  ExpectRejected("record-tranche", std::string(""), 400, "invalid_field", kFinanceToken);

  json missing = TrancheBody("PAY-1", 100, "2009-07-01");
  missing.erase("amount_pence");
  error = ExpectRejected("record-tranche", missing, 400, "invalid_field", kFinanceToken);
  EXPECT_EQ(error["details"]["field"], "amount_pence") << error;
  EXPECT_TRUE(error["details"].contains("rule")) << error;

  json no_id = TrancheBody("PAY-1", 100, "2009-07-01");
  no_id.erase("command_id");
  error = ExpectRejected("record-tranche", no_id, 400, "invalid_field", kFinanceToken);
  EXPECT_EQ(error["details"]["field"], "command_id");

  json bad_date = TrancheBody("PAY-1", 100, "2009-02-30");
  error = ExpectRejected("record-tranche", bad_date, 400, "invalid_field", kFinanceToken);
  EXPECT_EQ(error["details"]["field"], "paid_on");

  json no_reason = {{"command_id", NextId("rev")}, {"cluster_id", "wessex"}, {"payment_reference", "X"}};
  ExpectRejected("reverse-tranche", no_reason, 400, "reason_required", kFinanceToken);
}

TEST_F(CommandErrorTest, UnauthenticatedAndForbidden) {
  json body = TrancheBody("PAY-1", 100, "2009-07-01");
  ExpectRejected("record-tranche", body, 401, "unauthorized", "");
  ExpectRejected("record-tranche", body, 401, "unauthorized", "not-a-token");
  ExpectRejected("record-tranche", body, 403, "forbidden", kViewerToken);
  ExpectRejected("record-tranche", body, 403, "forbidden", kProgrammeToken);
  ExpectRejected("open-programme", OpenProgrammeBody(), 403, "forbidden", kFinanceToken);
}

TEST_F(CommandErrorTest, NotFoundAndMethodNotAllowed) {
  json error = ExpectRejected("record-tranche", TrancheBody("PAY-1", 100, "2009-07-01", "2009/10", "nowhere"),
                              404, "bid_not_found", kFinanceToken);
  EXPECT_TRUE(error.contains("details"));
  ExpectRejected("award-bid", AwardBody("nowhere"), 404, "bid_not_found", kProgrammeToken);
  ExpectRejected("no-such-command", json{{"command_id", "c"}}, 404, "not_found");
  HttpResult get = client_.Get("/v1/commands/record-tranche", kAdminToken);
  EXPECT_EQ(get.status, 405u) << get.body;
  EXPECT_FALSE(get.ErrorCode().empty());
}

TEST_F(CommandErrorTest, Conflicts) {
  // The cluster stream is at version 1 (submitted, awarded).
  json stale = TrancheBody("PAY-1", 100, "2009-07-01");
  stale["expected_version"] = 0;
  json error = ExpectRejected("record-tranche", stale, 409, "wrong_expected_version", kFinanceToken);
  EXPECT_EQ(Text(error["details"]["expected"]), "0") << error;
  EXPECT_EQ(Text(error["details"]["actual"]), "1") << error;
  // With the right version it goes through.
  json current = TrancheBody("PAY-1", 100, "2009-07-01");
  current["expected_version"] = 1;
  json done = client_.MustCommand("record-tranche", current, kFinanceToken);
  EXPECT_EQ(done["version"], 2);
  EXPECT_EQ(done["stream"], "cluster-wessex");

  // The same command id with a different body.
  json reused = current;
  reused["amount_pence"] = 200;
  reused.erase("expected_version");
  ExpectRejected("record-tranche", reused, 409, "command_id_reused", kFinanceToken);
  // ... even under another command's name.
  json other = MemberBody("IBM");
  other["command_id"] = current["command_id"];
  ExpectRejected("add-member", other, 409, "command_id_reused", kProgrammeToken);
}

TEST_F(CommandErrorTest, PayloadTooLarge) {
  json body = MemberBody("Big");
  body["reason"] = std::string(70 * 1024, 'x');
  ExpectRejected("add-member", body, 413, "body_too_large", kProgrammeToken);
  // The server keeps serving.
  client_.MustCommand("add-member", MemberBody("Small"), kProgrammeToken);
}

TEST_F(CommandErrorTest, DomainRules) {
  json error = ExpectRejected("record-tranche", TrancheBody("PAY-1", kAward0910 + 1, "2009-07-01"), 422,
                              "tranche_exceeds_award", kFinanceToken);
  EXPECT_FALSE(error["details"].empty()) << error;
  ExpectRejected("record-tranche", TrancheBody("PAY-1", 100, "2010-04-01"), 422,
                 "outside_financial_year", kFinanceToken);
  ExpectRejected("record-tranche", TrancheBody("PAY-1", 100, "2009-03-31"), 422,
                 "outside_financial_year", kFinanceToken);
  client_.MustCommand("submit-bid", SubmitBidBody("west-midlands-south"), kProgrammeToken);
  ExpectRejected("award-bid", AwardBody("west-midlands-south", kEnvelope0910 - kAward0910 + 1, 1), 422,
                 "envelope_exceeded", kProgrammeToken);
  // Exactly the rest of the envelope fits.
  client_.MustCommand("award-bid", AwardBody("west-midlands-south", kEnvelope0910 - kAward0910, 1),
                      kProgrammeToken);
  // A payment reference is unique; a second award is a decided bid.
  client_.MustCommand("record-tranche", TrancheBody("PAY-1", 100, "2009-07-01"), kFinanceToken);
  ExpectRejected("record-tranche", TrancheBody("PAY-1", 100, "2009-07-02"), 422,
                 "payment_reference_exists", kFinanceToken);
  ExpectRejected("award-bid", AwardBody("wessex"), 422, "bid_already_decided", kProgrammeToken);
}

// ---------------------------------------------------------------------------

TEST(DomainIdempotencyTest, SameCommandTwiceAnswersTheSameBodyMarkedAsReplay) {
  TestServer server;
  Client client(server.port());
  SetUpProgramme(client);
  const std::string body = TrancheBody("PAY-7", 12'345, "2009-09-09").dump();
  HttpResult first = Http(server.port(), "POST", "/v1/commands/record-tranche", kFinanceToken, body);
  ASSERT_EQ(first.status, 200u) << first.body;
  EXPECT_EQ(Header(first, "Idempotent-Replay"), "");
  const uint64_t head = client.Head();
  HttpResult second = Http(server.port(), "POST", "/v1/commands/record-tranche", kFinanceToken, body);
  ASSERT_EQ(second.status, 200u) << second.body;
  EXPECT_EQ(Header(second, "Idempotent-Replay"), "true");
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(client.Head(), head) << "a replay appended";
  // A replay by another principal with the same body is still the original.
  HttpResult third = Http(server.port(), "POST", "/v1/commands/record-tranche", kAdminToken, body);
  EXPECT_EQ(third.status, 200u);
  EXPECT_EQ(third.body, first.body);
  json result = first.Json();
  EXPECT_EQ(result["first_position"], 4);
  EXPECT_EQ(result["last_position"], 4);
  EXPECT_EQ(result["events"].size(), 1u);
  EXPECT_EQ(result["events"][0]["type"], "TrancheRecorded");
  EXPECT_EQ(result["events"][0]["data"]["amount_pence"], 12'345);
}

// ---------------------------------------------------------------------------
// The auth matrix: each role × each command and each read.

struct RouteCase {
  std::string method;
  std::string target;
  std::set<Role> allowed;  // Admin is always allowed.
};

TEST(DomainAuthMatrixTest, EachRoleOnEachCommandAndRead) {
  TestServer server;
  Client client(server.port());
  SetUpProgramme(client);
  client.MustCommand("record-tranche", TrancheBody("PAY-1", 100, "2009-07-01"), kFinanceToken);

  const std::set<Role> state = {Role::kViewer, Role::kAuditor};
  const std::set<Role> money = {Role::kFinance, Role::kAuditor};
  const std::set<Role> audit = {Role::kAuditor};
  std::vector<RouteCase> cases = {
      {"GET", "/v1/programmes", state},
      {"GET", "/v1/programmes/hiec", state},
      {"GET", "/v1/clusters", state},
      {"GET", "/v1/clusters?programme=hiec", state},
      {"GET", "/v1/clusters/wessex", state},
      {"GET", "/v1/clusters/wessex/events", state},
      {"GET", "/v1/events", state},
      {"GET", "/v1/ledger", money},
      {"GET", "/v1/ledger.csv", money},
      {"GET", "/v1/export/360giving.json", audit},
      {"GET", "/v1/audit/verify", audit},
      {"GET", "/metrics", audit},
  };
  for (std::string_view name : {"record-tranche", "reverse-tranche"}) {
    cases.push_back({"POST", "/v1/commands/" + std::string(name), {Role::kFinance}});
  }
  for (std::string_view name : {"open-programme", "submit-bid", "award-bid", "reject-bid",
                                "amend-award", "add-member", "remove-member",
                                "close-financial-year"}) {
    cases.push_back({"POST", "/v1/commands/" + std::string(name), {Role::kProgramme}});
  }
  ASSERT_EQ(cases.size(), 12u + 10u);

  const uint64_t head = client.Head();
  int checked = 0;
  for (const RouteCase& route : cases) {
    // An empty body: an allowed command answers 400 (no command_id) and
    // appends nothing; a forbidden one is refused before its body is read.
    const std::string body = route.method == "POST" ? "{}" : "";
    HttpResult anonymous = Http(server.port(), route.method, route.target, "", body);
    EXPECT_EQ(anonymous.status, 401u) << route.target;
    EXPECT_EQ(anonymous.ErrorCode(), "unauthorized") << route.target;
    for (Role role : kAllRoles) {
      const bool allowed = role == Role::kAdmin || route.allowed.count(role) != 0;
      HttpResult result = Http(server.port(), route.method, route.target, TokenFor(role), body);
      SCOPED_TRACE(route.method + " " + route.target + " as " + std::string(RoleName(role)));
      if (allowed) {
        EXPECT_EQ(result.status, route.method == "POST" ? 400u : 200u) << result.body.substr(0, 300);
        if (route.method == "POST") {
          EXPECT_EQ(result.ErrorCode(), "invalid_field");
        }
      } else {
        EXPECT_EQ(result.status, 403u) << result.body.substr(0, 300);
        EXPECT_EQ(result.ErrorCode(), "forbidden");
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 22 * 5);
  EXPECT_EQ(client.Head(), head);

  // /healthz needs no token; the stream is for viewers, auditors and admins.
  EXPECT_EQ(Http(server.port(), "GET", "/healthz").status, 200u);
  for (Role role : kAllRoles) {
    const bool allowed = role == Role::kViewer || role == Role::kAuditor || role == Role::kAdmin;
    WsClient ws(server.port(), "/v1/stream", TokenFor(role));
    EXPECT_EQ(ws.connected(), allowed) << RoleName(role);
    if (!allowed) {
      EXPECT_EQ(ws.handshake_status(), 403u) << RoleName(role);
    }
  }
}

// Each allowed role really can perform its commands end to end.
TEST(DomainAuthMatrixTest, AdminMayDoEverythingAndTheActorIsTheTokensName) {
  TestServer server;
  Client client(server.port());
  json open = client.MustCommand("open-programme", OpenProgrammeBody(), kAdminToken);
  json bid = client.MustCommand("submit-bid", SubmitBidBody("wessex"), kProgrammeToken);
  client.MustCommand("award-bid", AwardBody("wessex"), kAdminToken);
  json pay = client.MustCommand("record-tranche", TrancheBody("PAY-1", 100, "2009-07-01"), kFinanceToken);
  json rev = client.MustCommand("reverse-tranche",
                                {{"command_id", NextId("rev")},
                                 {"cluster_id", "wessex"},
                                 {"payment_reference", "PAY-1"},
                                 {"reason", "wrong account"}},
                                kAdminToken);
  json events = client.GetJson("/v1/events?from=1", kAuditorToken)["events"];
  ASSERT_EQ(events.size(), 5u);
  std::vector<std::string> actors;
  for (const auto& event : events) actors.push_back(event["actor"]);
  EXPECT_EQ(actors, (std::vector<std::string>{"admin", "programme", "admin", "finance", "admin"}));
  EXPECT_EQ(events[3]["command_id"], pay["command_id"]);
  EXPECT_EQ(events[4]["reason"], "wrong account");
  EXPECT_EQ(events[3]["type"], "TrancheRecorded");
  EXPECT_TRUE(events[3]["data"].is_object());
  EXPECT_EQ(events[3]["data"]["payment_reference"], "PAY-1");
  // The command's own answer names the actor too.
  EXPECT_EQ(pay["events"][0]["actor"], "finance");
  EXPECT_EQ(open["events"][0]["actor"], "admin");
  // The chain verifies.
  json verify = client.GetJson("/v1/audit/verify", kAuditorToken);
  EXPECT_EQ(verify["ok"], true);
  EXPECT_EQ(verify["events_checked"], 5);
}

// ---------------------------------------------------------------------------
// Graceful shutdown under load: nothing acknowledged is lost.

TEST(DomainShutdownTest, StopUnderLoadLosesNoAcknowledgedCommand) {
  auto server = std::make_unique<TestServer>();
  const std::string data_dir = server->data_dir();
  const uint16_t port = server->port();
  {
    Client client(port);
    client.MustCommand("open-programme", OpenProgrammeBody(), kProgrammeToken);
    client.MustCommand("submit-bid", SubmitBidBody("wessex"), kProgrammeToken);
    client.MustCommand("award-bid", AwardBody("wessex"), kProgrammeToken);
  }
  struct Acked {
    std::string command_id;
    uint64_t first_position;
    uint64_t last_position;
  };
  constexpr int kThreads = 6;
  std::atomic<bool> stopping{false};
  std::atomic<int> acknowledged{0};
  std::atomic<int> wrong_statuses{0};
  std::vector<std::vector<Acked>> acked(kThreads);
  std::vector<std::map<std::string, unsigned>> sent(kThreads);  // command id → HTTP status
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0;; ++i) {
        const bool payment = (i + t) % 2 == 0;
        json body = payment ? TrancheBody("PAY-" + std::to_string(t) + "-" + std::to_string(i), 1,
                                          "2009-07-01")
                            : MemberBody("Member " + std::to_string(t) + " " + std::to_string(i));
        HttpResult result;
        try {
          result = Http(port, "POST", payment ? "/v1/commands/record-tranche" : "/v1/commands/add-member",
                        payment ? kFinanceToken : kProgrammeToken, body.dump());
        } catch (const std::exception&) {
          result.status = 0;  // Refused: the server has stopped listening.
        }
        sent[t][body["command_id"].get<std::string>()] = result.status;
        if (result.status == 200) {
          json answer = result.Json();
          acked[t].push_back({answer["command_id"], answer["first_position"], answer["last_position"]});
          acknowledged.fetch_add(1);
        } else if (result.status != 0 && result.status != 503) {
          wrong_statuses.fetch_add(1);
          ADD_FAILURE() << result.status << " " << result.body;
        }
        if (result.status != 200 && stopping.load()) return;
      }
    });
  }
  // Let the load build, then stop while commands are in flight.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (acknowledged.load() < 150 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stopping = true;
  server->Stop();
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong_statuses.load(), 0);
  ASSERT_GE(acknowledged.load(), 20);  // Usually ~150; fewer on a slow (ASan) build.

  // Reopen the store and read the whole log.
  auto reopened = eventstore::EventStore::Open(data_dir + "/events", eventstore::Options{});
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  auto store = std::move(reopened).value();
  std::map<uint64_t, std::string> command_at;
  for (uint64_t from = 1;;) {
    std::vector<eventstore::RecordedEvent> page;
    ASSERT_TRUE(store->ReadAll(from, eventstore::ReadFilter{}, 1000, &page).ok());
    if (page.empty()) break;
    for (const auto& event : page) command_at[event.position] = event.command_id;
    from = page.back().position + 1;
  }
  ASSERT_EQ(command_at.size(), store->GetHead().position);
  EXPECT_TRUE(store->Verify().ok);
  size_t checked = 0;
  for (const auto& per_thread : acked) {
    for (const Acked& a : per_thread) {
      for (uint64_t p = a.first_position; p <= a.last_position; ++p) {
        auto found = command_at.find(p);
        ASSERT_NE(found, command_at.end()) << "acknowledged " << a.command_id << " at " << p
                                           << " is not in the log";
        EXPECT_EQ(found->second, a.command_id) << "position " << p;
      }
      ++checked;
    }
  }
  // Everything in the log past the set-up is a command a client sent; a
  // command may be durable without its answer (cut by the stop), never the
  // reverse.
  std::map<std::string, unsigned> all_sent;
  for (const auto& per_thread : sent) all_sent.insert(per_thread.begin(), per_thread.end());
  size_t unanswered = 0;
  for (const auto& [position, command_id] : command_at) {
    if (position <= 3) continue;
    auto found = all_sent.find(command_id);
    ASSERT_NE(found, all_sent.end()) << command_id << " at " << position;
    if (found->second != 200) {
      ++unanswered;
      std::printf("durable %s at %zu was answered %u\n", command_id.c_str(),
                  static_cast<size_t>(position), found->second);
    }
  }
  std::printf("acknowledged %zu commands; durable but unanswered %zu; log head %zu\n", checked,
              unanswered, command_at.size());
  store->Close();
  server.reset();
}

// ---------------------------------------------------------------------------
// The live stream carries what the command API commits.

TEST(DomainStreamTest, CommittedCommandsAppearDecodedInOrderAndResumeExactly) {
  TestServer server;
  Client client(server.port());
  SetUpProgramme(client);
  WsClient ws(server.port(), "/v1/stream?from=1", kViewerToken);
  ASSERT_TRUE(ws.connected());
  std::vector<json> events;
  for (;;) {
    auto message = ws.Read();
    ASSERT_TRUE(message);
    if ((*message)["kind"] == "caught_up") {
      EXPECT_EQ((*message)["position"], 3);
      break;
    }
    events.push_back(*message);
  }
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0]["type"], "ProgrammeOpened");
  ASSERT_TRUE(events[0]["data"].is_object()) << events[0];
  EXPECT_EQ(events[0]["data"]["programme_id"], "hiec");
  EXPECT_EQ(events[1]["data"]["cluster_id"], "wessex");
  EXPECT_EQ(events[2]["type"], "BidAwarded");
  EXPECT_EQ(events[2]["actor"], "programme");

  // Live: commands committed while connected arrive in order, decoded.
  for (int i = 0; i < 5; ++i) {
    client.MustCommand("record-tranche", TrancheBody("PAY-" + std::to_string(i), 100 + i, "2009-07-01"),
                       kFinanceToken);
  }
  for (int i = 0; i < 5; ++i) {
    auto message = ws.Read();
    ASSERT_TRUE(message);
    if ((*message)["kind"] == "checkpoint") {
      --i;
      continue;
    }
    EXPECT_EQ((*message)["kind"], "event");
    EXPECT_EQ((*message)["position"], 4 + i);
    EXPECT_EQ((*message)["stream"], "cluster-wessex");
    EXPECT_EQ((*message)["type"], "TrancheRecorded");
    EXPECT_EQ((*message)["actor"], "finance");
    ASSERT_TRUE((*message)["data"].is_object()) << *message;
    EXPECT_EQ((*message)["data"]["amount_pence"], 100 + i);
    EXPECT_EQ((*message)["data"]["payment_reference"], "PAY-" + std::to_string(i));
  }
  ws.Close();
  const uint64_t last = 8;

  // Commit more while disconnected, then resume from last + 1.
  client.MustCommand("add-member", MemberBody("IBM"), kProgrammeToken);
  client.MustCommand("add-member", MemberBody("GE Healthcare"), kProgrammeToken);
  WsClient resumed(server.port(), "/v1/stream?from=" + std::to_string(last + 1), kViewerToken);
  ASSERT_TRUE(resumed.connected());
  auto first = resumed.Read();
  ASSERT_TRUE(first);
  EXPECT_EQ((*first)["position"], last + 1);
  EXPECT_EQ((*first)["type"], "MemberAdded");
  EXPECT_EQ((*first)["data"]["name"], "IBM");
  auto second = resumed.Read();
  ASSERT_TRUE(second);
  EXPECT_EQ((*second)["position"], last + 2);
  auto caught_up = resumed.Read();
  ASSERT_TRUE(caught_up);
  EXPECT_EQ(*caught_up, (json{{"kind", "caught_up"}, {"position", last + 2}}));
  // A filtered stream sees only its type.
  WsClient filtered(server.port(), "/v1/stream?from=1&type=TrancheRecorded", kViewerToken);
  std::vector<uint64_t> positions;
  for (;;) {
    auto message = filtered.Read();
    ASSERT_TRUE(message);
    if ((*message)["kind"] == "caught_up") break;
    if ((*message)["kind"] == "event") {
      EXPECT_EQ((*message)["type"], "TrancheRecorded");
      positions.push_back((*message)["position"]);
    }
  }
  EXPECT_EQ(positions, (std::vector<uint64_t>{4, 5, 6, 7, 8}));
}

// ---------------------------------------------------------------------------

TEST(DomainMetricsTest, CommandMetricsAfterSomeCommands) {
  TestServer server;
  Client client(server.port());
  SetUpProgramme(client);
  client.MustCommand("record-tranche", TrancheBody("PAY-1", 100, "2009-07-01"), kFinanceToken);
  client.MustCommand("record-tranche", TrancheBody("PAY-2", 100, "2009-07-01"), kFinanceToken);
  EXPECT_EQ(client.Command("record-tranche", TrancheBody("PAY-3", kAward0910, "2009-07-01"), kFinanceToken)
                .status,
            422u);
  HttpResult forbidden = client.Get("/metrics", kViewerToken);
  EXPECT_EQ(forbidden.status, 403u);
  HttpResult metrics = client.Get("/metrics", kAuditorToken);
  ASSERT_EQ(metrics.status, 200u);
  const std::string& text = metrics.body;
  auto series = [&](const std::string& name, const std::vector<std::string>& labels) -> double {
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.rfind(name, 0) != 0 || line.size() <= name.size()) continue;
      if (line[name.size()] != '{' && line[name.size()] != ' ') continue;
      bool all = true;
      for (const auto& label : labels) all = all && line.find(label) != std::string::npos;
      if (all) return std::stod(line.substr(line.rfind(' ') + 1));
    }
    return -1;
  };
  EXPECT_EQ(series("tranche_commands_total", {"type=\"record-tranche\"", "outcome=\"accepted\""}), 2)
      << text;
  EXPECT_EQ(series("tranche_commands_total", {"type=\"record-tranche\"", "outcome=\"tranche_exceeds_award\""}),
            1);
  EXPECT_EQ(series("tranche_commands_total", {"type=\"open-programme\"", "outcome=\"accepted\""}), 1);
  EXPECT_EQ(series("tranche_command_latency_seconds_count", {}), 6);
  EXPECT_GE(series("tranche_command_latency_seconds_bucket", {"le=\"+Inf\""}), 6);
  EXPECT_GE(series("tranche_commit_group_events_count", {}), 5);
  EXPECT_GE(series("tranche_fsync_latency_seconds_count", {}), 1);
  EXPECT_GT(series("tranche_fsync_latency_seconds_sum", {}), 0);
  // The head gauge follows the store's subscription, just after the replies.
  for (int i = 0; i < 200 && server.MetricValue("tranche_head_position") != 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(server.MetricValue("tranche_head_position"), 5);
  EXPECT_GE(series("tranche_head_position", {}), 3);
  EXPECT_NE(text.find("# TYPE tranche_command_latency_seconds histogram"), std::string::npos);
}

// ---------------------------------------------------------------------------
// The seeded HIEC programme (ops/seed), as ./ops/run serves it.

TEST(DomainSeedTest, SeededProgrammeIsServedAndAcceptsPayments) {
  TestServer server(nullptr, nullptr, 2, std::string(TRANCHE_SOURCE_DIR) + "/ops/seed/hiec-2009.json");
  Client client(server.port());
  json programmes = client.GetJson("/v1/programmes", kViewerToken)["programmes"];
  ASSERT_EQ(programmes.size(), 1u);
  EXPECT_EQ(programmes[0]["id"], "hiec");
  EXPECT_EQ(programmes[0]["financial_years"].size(), 2u);
  json clusters = client.GetJson("/v1/clusters?programme=hiec", kViewerToken)["clusters"];
  EXPECT_EQ(clusters.size(), 17u);
  json wessex = client.GetJson("/v1/clusters/wessex", kViewerToken);
  EXPECT_EQ(wessex["status"], "awarded");
  EXPECT_EQ(wessex["principal_partner"], "University of Southampton");
  EXPECT_GE(wessex["member_count"].get<int>(), 38) << wessex["member_count"];
  json events = client.GetJson("/v1/events?from=1&limit=1", kAuditorToken)["events"];
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["actor"], "seed");
  // A finance officer pays the first tranche of the seeded award.
  const json* year = FindYear(wessex["financial_years"], "2009/10");
  ASSERT_NE(year, nullptr);
  ASSERT_GT((*year)["award_pence"].get<int64_t>(), 0);
  json paid = client.MustCommand(
      "record-tranche", TrancheBody("HIEC-WESSEX-1", (*year)["award_pence"].get<int64_t>(), "2010-03-15"),
      kFinanceToken);
  EXPECT_EQ(paid["last_position"], client.Head());
  HttpResult over = client.Command("record-tranche", TrancheBody("HIEC-WESSEX-2", 1, "2010-03-16"),
                                   kFinanceToken);
  EXPECT_EQ(over.status, 422u);
  EXPECT_EQ(over.ErrorCode(), "tranche_exceeds_award");
  HttpResult exported = client.Get("/v1/export/360giving.json", kAuditorToken);
  ASSERT_EQ(exported.status, 200u);
  EXPECT_EQ(exported.Json()["grants"].size(), 17u);
}

}  // namespace
}  // namespace tranche::api
