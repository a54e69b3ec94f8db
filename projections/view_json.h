// JSON and CSV renderings of the views, as the API serves them.
//
// Money appears twice: `<name>_pence` (an integer, for programs) and
// `<name>` (pounds formatted as "£1,234.56", for people). Dates are
// YYYY-MM-DD, times RFC 3339 UTC.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "projections/views.h"

namespace tranche::projections {

nlohmann::json MomentToJson(const Moment& moment);
nlohmann::json ProgrammeViewToJson(const ProgrammeView& view);
nlohmann::json ClusterViewToJson(const ClusterView& view);
// A cluster's one-line summary for lists (no members or tranches).
nlohmann::json ClusterSummaryToJson(const ClusterView& view);
nlohmann::json LedgerEntryToJson(const LedgerEntry& entry);

// RFC 4180 CSV, UTF-8, CRLF line ends, a header row, one row per entry.
std::string LedgerToCsv(const std::vector<LedgerEntry>& entries);

}  // namespace tranche::projections
