// Commands: one struct per row of DESIGN.md's command table, and the envelope
// every command travels in. Member names equal the JSON field names.
//
// A Command is plain data. Typed fields (Pence, Date, FinancialYear, Sector)
// are well-formed by construction; everything else (slugs, text, amounts > 0,
// dates against the state) is validated by Decide, so a Command built in C++
// is checked exactly like one parsed from JSON.
//
// Thread-safety: values; use freely from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/date.h"
#include "core/financial_year.h"
#include "core/ids.h"
#include "core/money.h"

namespace tranche::core {

// Amounts per financial year ("requested", "awards"): {"2009/10": pence, ...}.
using YearAmounts = std::map<FinancialYear, Pence>;

struct FinancialYearEnvelope {
  FinancialYear label;
  Pence envelope_pence;
  bool operator==(const FinancialYearEnvelope&) const = default;
};

struct OpenProgramme {
  static constexpr std::string_view kName = "open-programme";
  std::string programme_id;
  std::string name;
  std::string funder;
  std::vector<FinancialYearEnvelope> financial_years;  // Non-empty, labels unique.
  bool operator==(const OpenProgramme&) const = default;
};

struct SubmitBid {
  static constexpr std::string_view kName = "submit-bid";
  std::string programme_id;
  std::string cluster_id;
  std::string name;
  std::string region;
  std::string principal_partner;
  std::string work_programme;
  YearAmounts requested;  // Non-empty; each year the programme's; each > 0.
  Date submitted_on;
  bool operator==(const SubmitBid&) const = default;
};

struct AwardBid {
  static constexpr std::string_view kName = "award-bid";
  std::string cluster_id;
  YearAmounts awards;  // Non-empty; each year the programme's and open; each > 0.
  Date decided_on;
  bool operator==(const AwardBid&) const = default;
};

struct RejectBid {
  static constexpr std::string_view kName = "reject-bid";
  std::string cluster_id;
  Date decided_on;  // The reason travels in the envelope and is required.
  bool operator==(const RejectBid&) const = default;
};

struct AmendAward {
  static constexpr std::string_view kName = "amend-award";
  std::string cluster_id;
  FinancialYear financial_year;
  // The new award for that year. May be 0 (withdraw the year's award), never
  // negative, never below what is already paid. Reason required.
  Pence amount_pence;
  bool operator==(const AmendAward&) const = default;
};

struct AddMember {
  static constexpr std::string_view kName = "add-member";
  std::string cluster_id;
  std::string name;
  Sector sector = Sector::kOther;
  Date joined_on;
  std::optional<std::string> organisation_id;  // Else DeriveOrganisationId(name).
  bool operator==(const AddMember&) const = default;
};

struct RemoveMember {
  static constexpr std::string_view kName = "remove-member";
  std::string cluster_id;
  std::string organisation_id;
  Date left_on;  // Not before joined_on. Reason required.
  bool operator==(const RemoveMember&) const = default;
};

struct RecordTranche {
  static constexpr std::string_view kName = "record-tranche";
  std::string cluster_id;
  FinancialYear financial_year;
  Pence amount_pence;
  Date paid_on;
  std::string payment_reference;  // Unique across the whole log.
  bool operator==(const RecordTranche&) const = default;
};

struct ReverseTranche {
  static constexpr std::string_view kName = "reverse-tranche";
  std::string cluster_id;
  std::string payment_reference;  // Reason required.
  bool operator==(const ReverseTranche&) const = default;
};

struct CloseFinancialYear {
  static constexpr std::string_view kName = "close-financial-year";
  std::string programme_id;
  FinancialYear financial_year;
  bool operator==(const CloseFinancialYear&) const = default;
};

using Command = std::variant<OpenProgramme, SubmitBid, AwardBid, RejectBid, AmendAward, AddMember,
                             RemoveMember, RecordTranche, ReverseTranche, CloseFinancialYear>;

// The API name of the command ("record-tranche").
std::string_view CommandName(const Command& command);
// All ten API names, in the table's order.
const std::vector<std::string_view>& AllCommandNames();

// "programme-<id>" or "cluster-<id>": the stream the command's events go to
// and whose version `expected_version` refers to. Does not validate the id.
std::string TargetStream(const Command& command);
std::string ProgrammeStream(std::string_view programme_id);
std::string ClusterStream(std::string_view cluster_id);

struct CommandEnvelope {
  std::string name;        // Must equal CommandName(body); Decide checks.
  std::string command_id;  // Idempotency key, IsValidCommandId.
  std::optional<uint64_t> expected_version;
  std::string reason;      // "" when absent; required by some commands.
  std::string actor;       // The caller's principal; filled by the pipeline.
  int64_t recorded_at_us = 0;  // Filled by the pipeline; Decide ignores it.
  Command body;
  bool operator==(const CommandEnvelope&) const = default;
};

}  // namespace tranche::core
