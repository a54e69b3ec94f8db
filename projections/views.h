// Views: the read-side answers the API, the CLI and the exports show.
//
// Every view is a value computed for one moment: `as_of_position` (what the
// log held then) and optionally `effective` (money counted only when its
// paid_on is on or before that business date). Money is Pence throughout.
//
// Thread-safety: values; use freely from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/date.h"
#include "core/financial_year.h"
#include "core/ids.h"
#include "core/money.h"
#include "core/state.h"

namespace tranche::projections {

// The moment a view describes.
struct Moment {
  uint64_t as_of_position = 0;        // Events with position ≤ this are known.
  std::optional<core::Date> effective;  // Count payments with paid_on ≤ this.
};

struct YearFigures {
  core::FinancialYear financial_year;
  core::Pence envelope_pence;
  core::Pence awarded_pence;      // Σ awards in force.
  core::Pence paid_pence;         // Σ tranches not reversed (and paid by `effective`).
  core::Pence unallocated_pence;  // envelope − awarded.
  core::Pence remaining_pence;    // awarded − paid.
  bool closed = false;
  std::optional<core::Pence> underspend_pence;  // Reported when the year closed.
};

struct ProgrammeView {
  Moment moment;
  std::string id;
  std::string name;
  std::string funder;
  uint64_t version = 0;  // Of stream programme-<id> at the moment.
  std::vector<YearFigures> financial_years;
  std::map<std::string, std::vector<std::string>> clusters_by_status;  // "awarded" → ids.
};

struct MemberView {
  std::string organisation_id;
  std::string name;
  core::Sector sector = core::Sector::kOther;
  core::Date joined_on;
  std::optional<core::Date> left_on;  // Set when removed by the moment.
  std::string left_reason;
};

struct TrancheView {
  std::string payment_reference;
  core::FinancialYear financial_year;
  core::Pence amount_pence;
  core::Date paid_on;
  uint64_t position = 0;
  int64_t recorded_at_us = 0;
  std::string actor;
  bool reversed = false;  // By the moment.
  uint64_t reversed_position = 0;
  std::string reversal_reason;
};

struct ClusterYearView {
  core::FinancialYear financial_year;
  core::Pence requested_pence;
  core::Pence award_pence;
  core::Pence net_paid_pence;
  core::Pence remaining_pence;
};

struct ClusterView {
  Moment moment;
  std::string id;
  std::string programme_id;
  std::string name;
  std::string region;
  std::string principal_partner;
  std::string work_programme;
  core::BidStatus status = core::BidStatus::kSubmitted;
  core::Date submitted_on;
  std::optional<core::Date> decided_on;
  std::string rejection_reason;
  uint64_t version = 0;  // Of stream cluster-<id> at the moment.
  std::vector<ClusterYearView> financial_years;
  std::vector<MemberView> members;                     // Current members, by name.
  // The most recently removed kClusterViewFormerMembersMax members.
  std::vector<MemberView> former_members;
  uint64_t former_member_count = 0;  // Every member removed by the moment.
  std::map<core::Sector, int> member_count_by_sector;  // Current members only.
  // The most recent kClusterViewTranchesMax tranches known at the moment, in
  // log order; the ledger pages through all of them.
  std::vector<TrancheView> tranches;
  uint64_t tranche_count = 0;           // Every tranche known at the moment.
  uint64_t reversed_tranche_count = 0;  // Of those, reversed by the moment.
};

// A cluster view lists at most this many tranches (the latest) and former
// members (the latest removed), so its size does not grow with the log.
inline constexpr size_t kClusterViewTranchesMax = 100;
inline constexpr size_t kClusterViewFormerMembersMax = 100;

// One row of the payments ledger: a tranche or a reversal, in log order.
struct LedgerEntry {
  uint64_t position = 0;
  int64_t recorded_at_us = 0;
  std::string actor;
  std::string command_id;
  std::string kind;  // "tranche" or "reversal".
  std::string programme_id;
  std::string cluster_id;
  core::FinancialYear financial_year;
  std::string payment_reference;
  core::Date paid_on;
  core::Pence amount_pence;  // Negative for a reversal.
  std::string reason;
  // Net paid after this row: for the cluster in that year, and for the
  // programme in that year.
  core::Pence cluster_year_total_pence;
  core::Pence programme_year_total_pence;
};

}  // namespace tranche::projections
