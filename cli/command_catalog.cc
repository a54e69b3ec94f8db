// The table of domain commands.
#include "cli/command_catalog.h"

namespace tranche::cli {
namespace {

constexpr bool kRequired = true;
constexpr bool kOptional = false;

std::vector<CommandSpec> MakeCatalog() {
  const FieldSpec programme{"programme", "programme_id", FieldKind::kText, kRequired,
                            "programme id, e.g. hiec"};
  const FieldSpec cluster{"cluster", "cluster_id", FieldKind::kText, kRequired,
                          "cluster id, e.g. wessex"};
  const FieldSpec year{"year", "financial_year", FieldKind::kText, kRequired,
                       "financial year, e.g. 2009/10"};
  return {
      {"open-programme", "Open a programme with its financial years and envelopes.",
       "programme, admin",
       {programme,
        {"name", "name", FieldKind::kText, kRequired, "programme name"},
        {"funder", "funder", FieldKind::kText, kRequired, "funder, e.g. Department of Health"},
        {"year", "financial_years", FieldKind::kYearEnvelopes, kRequired,
         "YEAR=AMOUNT, repeated: a financial year and its envelope, e.g. 2009/10=£11,250,000"}},
       false},
      {"submit-bid", "Submit a cluster's bid.", "programme, admin",
       {programme, cluster,
        {"name", "name", FieldKind::kText, kRequired, "cluster name"},
        {"region", "region", FieldKind::kText, kRequired, "region (SHA)"},
        {"partner", "principal_partner", FieldKind::kText, kRequired, "principal partner"},
        {"work-programme", "work_programme", FieldKind::kText, kRequired, "work programme"},
        {"requested", "requested", FieldKind::kYearAmounts, kRequired,
         "YEAR=AMOUNT, repeated: amount requested per financial year"},
        {"submitted-on", "submitted_on", FieldKind::kText, kRequired, "date, YYYY-MM-DD"}},
       false},
      {"award-bid", "Award a submitted bid.", "programme, admin",
       {cluster,
        {"award", "awards", FieldKind::kYearAmounts, kRequired,
         "YEAR=AMOUNT, repeated: award per financial year"},
        {"decided-on", "decided_on", FieldKind::kText, kRequired, "date, YYYY-MM-DD"}},
       false},
      {"reject-bid", "Reject a submitted bid.", "programme, admin",
       {cluster, {"decided-on", "decided_on", FieldKind::kText, kRequired, "date, YYYY-MM-DD"}},
       true},
      {"amend-award", "Change a cluster's award for one financial year.", "programme, admin",
       {cluster, year,
        {"amount", "amount", FieldKind::kPounds, kRequired, "the new award, e.g. £700,000.00"}},
       true},
      {"add-member", "Add a member organisation to a cluster.", "programme, admin",
       {cluster,
        {"name", "name", FieldKind::kText, kRequired, "organisation name"},
        {"sector", "sector", FieldKind::kText, kRequired,
         "nhs, higher-education, industry, local-authority, voluntary or other"},
        {"joined-on", "joined_on", FieldKind::kText, kRequired, "date, YYYY-MM-DD"},
        {"organisation", "organisation_id", FieldKind::kText, kOptional,
         "organisation id (default: derived from the name)"}},
       false},
      {"remove-member", "Remove a member organisation from a cluster.", "programme, admin",
       {cluster,
        {"organisation", "organisation_id", FieldKind::kText, kRequired, "organisation id"},
        {"left-on", "left_on", FieldKind::kText, kRequired, "date, YYYY-MM-DD"}},
       true},
      {"record-tranche", "Record a payment (tranche) against a cluster's award.",
       "finance, admin",
       {cluster, year,
        {"amount", "amount", FieldKind::kPounds, kRequired, "amount paid, e.g. £125,000.00"},
        {"paid-on", "paid_on", FieldKind::kText, kRequired, "date paid, YYYY-MM-DD"},
        {"reference", "payment_reference", FieldKind::kText, kRequired,
         "payment reference, unique, e.g. DH-2010-0042"}},
       false},
      {"reverse-tranche", "Reverse a recorded tranche (a correction, never an edit).",
       "finance, admin",
       {cluster, {"reference", "payment_reference", FieldKind::kText, kRequired,
                  "the tranche's payment reference"}},
       true},
      {"close-financial-year", "Close a financial year: no tranche or reversal after it.",
       "programme, admin", {programme, year}, false},
  };
}

}  // namespace

const std::vector<CommandSpec>& CommandCatalog::All() {
  static const std::vector<CommandSpec> catalog = MakeCatalog();
  return catalog;
}

const CommandSpec* CommandCatalog::Find(const std::string& name) {
  for (const CommandSpec& spec : All()) {
    if (name == spec.name) return &spec;
  }
  return nullptr;
}

}  // namespace tranche::cli
