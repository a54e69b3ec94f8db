// ViewPrinter: the server's JSON views as tables for people.
//
// Takes the JSON the API serves (projections/view_json.h renders the same
// shapes offline), so the online queries and the offline replay print alike.
// Money is summed from the *_pence integers and formatted with
// core::FormatPounds, never parsed back from the "£" strings.
// Thread-safety: stateless.
#pragma once

#include <cstdio>
#include <nlohmann/json.hpp>

namespace tranche::cli {

class ViewPrinter {
 public:
  static void Programme(const nlohmann::json& view, std::FILE* out);
  // `clusters`: an array of cluster summaries.
  static void Clusters(const nlohmann::json& clusters, std::FILE* out);
  static void Cluster(const nlohmann::json& view, std::FILE* out);
  // `entries`: ledger rows.
  static void Ledger(const nlohmann::json& entries, std::FILE* out);
  // `events`: a cluster's history (each with net_paid_after).
  static void History(const nlohmann::json& events, std::FILE* out);
  // A one-line summary of an event's payload: reference, year, amounts, dates.
  static std::string EventSummary(const nlohmann::json& data);
  // "as of position 12, effective 2010-03-31".
  static std::string Moment(const nlohmann::json& moment);
};

}  // namespace tranche::cli
