// Shared pieces of the domain route tests (tests/api/domain_*_test.cc): a
// small HTTP client over the real server, command bodies for a small
// programme, and an RFC 4180 reader.
#pragma once

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


namespace tranche::api::domain_testing {

using namespace ::tranche::api::testing;  // NOLINT
using nlohmann::json;

// £11m and £9.9m envelopes; Wessex is awarded £600,000 and £500,000.
constexpr int64_t kEnvelope0910 = 1'100'000'000;
constexpr int64_t kEnvelope1011 = 990'000'000;
constexpr int64_t kAward0910 = 60'000'000;
constexpr int64_t kAward1011 = 50'000'000;

inline std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

inline std::string Header(const HttpResult& result, const std::string& name) {
  for (const auto& [key, value] : result.headers) {
    if (Lower(key) == Lower(name)) return value;
  }
  return "";
}

// A detail value as text (details may carry strings or numbers).
inline std::string Text(const json& value) { return value.is_string() ? value.get<std::string>() : value.dump(); }

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

inline std::string NextId(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + "-" + std::to_string(counter.fetch_add(1));
}

inline json OpenProgrammeBody() {
  return {{"command_id", NextId("open")},
          {"programme_id", "hiec"},
          {"name", "Health Innovation and Education Clusters"},
          {"funder", "Department of Health"},
          {"financial_years",
           {{{"label", "2009/10"}, {"envelope_pence", kEnvelope0910}},
            {{"label", "2010/11"}, {"envelope_pence", kEnvelope1011}}}}};
}

inline json SubmitBidBody(const std::string& cluster) {
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

inline json AwardBody(const std::string& cluster, int64_t year_one = kAward0910, int64_t year_two = kAward1011) {
  return {{"command_id", NextId("award")},
          {"cluster_id", cluster},
          {"awards", {{"2009/10", year_one}, {"2010/11", year_two}}},
          {"decided_on", "2010-01-05"}};
}

inline json TrancheBody(const std::string& reference, int64_t pence, const std::string& paid_on,
                 const std::string& year = "2009/10", const std::string& cluster = "wessex") {
  return {{"command_id", NextId("pay")},
          {"cluster_id", cluster},
          {"financial_year", year},
          {"amount_pence", pence},
          {"paid_on", paid_on},
          {"payment_reference", reference}};
}

inline json MemberBody(const std::string& name, const std::string& cluster = "wessex") {
  return {{"command_id", NextId("member")},
          {"cluster_id", cluster},
          {"name", name},
          {"sector", "industry"},
          {"joined_on", "2010-02-01"}};
}

// The programme "hiec" with the cluster "wessex" awarded: positions 1–3.
inline void SetUpProgramme(Client& client) {
  client.MustCommand("open-programme", OpenProgrammeBody(), kProgrammeToken);
  client.MustCommand("submit-bid", SubmitBidBody("wessex"), kProgrammeToken);
  client.MustCommand("award-bid", AwardBody("wessex"), kProgrammeToken);
}

// RFC 4180: records end in CRLF; quoted fields may hold commas, quotes
// (doubled) and line breaks. Returns false on a malformed document.
inline bool ParseCsv(const std::string& text, std::vector<std::vector<std::string>>* rows) {
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

inline const json* FindYear(const json& years, const std::string& label) {
  for (const auto& year : years) {
    if (year["financial_year"] == label) return &year;
  }
  return nullptr;
}


}  // namespace tranche::api::domain_testing
