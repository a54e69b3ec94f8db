// Exports: the payments ledger as CSV and the awards as a 360Giving package.
#include <set>

#include <nlohmann/json.hpp>

#include "api/routes/domain_routes.h"
#include "api/server/error_response.h"
#include "api/service/service.h"
#include "core/date.h"
#include "projections/view_json.h"

namespace tranche::api {
namespace {

using nlohmann::json;

// 360Giving identifiers need a registered prefix; until the funder registers
// one, ids use the "360G-tranche-" form the standard allows for unregistered
// publishers, built from our stable slugs.
const std::string kIdPrefix = "360G-tranche-";

// Pounds as a JSON number. 360Giving amounts are decimal numbers; pence/100
// as a double is the nearest double to the exact two-decimal amount, and
// JSON serialisation prints the shortest text that reads back to it, which is
// that exact amount for every value below 2^53 pence.
json PoundsNumber(core::Pence amount) { return static_cast<double>(amount.value()) / 100.0; }

std::string Slug(const std::string& text) { return core::DeriveOrganisationId(text); }

json GrantFor(const projections::ClusterView& cluster, const projections::ProgrammeView& programme,
              const projections::ReadModel& model, const std::string& funder_id) {
  core::Pence requested, awarded, paid;
  for (const auto& year : cluster.financial_years) {
    requested = requested + year.requested_pence;
    awarded = awarded + year.award_pence;
    paid = paid + year.net_paid_pence;
  }
  json disbursements = json::array();
  const std::vector<projections::LedgerEntry> rows = model.Ledger(cluster.id, cluster.moment);
  std::set<std::string> reversed;
  for (const auto& row : rows) {
    if (row.kind == "reversal") reversed.insert(row.payment_reference);
  }
  for (const auto& row : rows) {
    // A reversed tranche was never a payment.
    if (row.kind != "tranche" || reversed.count(row.payment_reference) != 0) continue;
    disbursements.push_back({{"id", kIdPrefix + programme.id + "-" + Slug(row.payment_reference)},
                             {"transactionDate", core::FormatDate(row.paid_on)},
                             {"currency", "GBP"},
                             {"value", PoundsNumber(row.amount_pence)},
                             {"description", "Tranche " + row.payment_reference + " for " +
                                                 row.financial_year.Label()}});
  }
  const auto& years = programme.financial_years;
  json grant = {
      {"id", kIdPrefix + programme.id + "-" + cluster.id},
      {"title", cluster.name},
      {"description", cluster.work_programme},
      {"currency", "GBP"},
      {"amountAppliedFor", PoundsNumber(requested)},
      {"amountAwarded", PoundsNumber(awarded)},
      {"amountDisbursed", PoundsNumber(paid)},
      {"awardDate", cluster.decided_on ? core::FormatDate(*cluster.decided_on) : ""},
      {"recipientOrganization",
       {{{"id", kIdPrefix + "org-" + Slug(cluster.principal_partner)},
         {"name", cluster.principal_partner}}}},
      {"fundingOrganization", {{{"id", funder_id}, {"name", programme.funder}}}},
      {"grantProgramme", {{{"code", programme.id}, {"title", programme.name}}}},
      {"beneficiaryLocation", {{{"name", cluster.region}}}},
      {"disbursementTransaction", disbursements}};
  if (!years.empty()) {
    grant["plannedDates"] = {{{"startDate", core::FormatDate(years.front().financial_year.Start())},
                              {"endDate", core::FormatDate(years.back().financial_year.End())}}};
  }
  return grant;
}

void Handle360Giving(const RouteContext& context, const RequestContext&, Responder responder) {
  const projections::ReadModel& model = context.service->read_model();
  const projections::Moment now{model.head(), {}};
  json grants = json::array();
  std::string publisher = "Tranche";
  for (const auto& programme : model.Programmes(now)) {
    const std::string funder_id = kIdPrefix + "funder-" + Slug(programme.funder);
    publisher = programme.funder;
    for (const auto& cluster : model.Clusters(programme.id, now)) {
      if (cluster.status != core::BidStatus::kAwarded) continue;
      grants.push_back(GrantFor(cluster, programme, model, funder_id));
    }
  }
  if (grants.empty()) {
    responder.Send(ErrorResponse(kHttpNotFound, "no_awards",
                                 "nothing to export: no cluster has been awarded"));
    return;
  }
  const std::string now_text =
      core::FormatTimestamp(core::Timestamp(model.RecordedAt(model.head())));
  json package = {
      {"version", "1.4"},
      {"title", "Tranche export of awarded grants"},
      {"description",
       "One grant per awarded cluster with its tranches as disbursements, as recorded in "
       "Tranche at log position " + std::to_string(now.as_of_position) +
           ". Where the programme was seeded from published facts, award amounts are "
           "ILLUSTRATIVE: per-cluster figures were never published."},
      {"modified", now_text},
      {"identifier", kIdPrefix + "export-" + std::to_string(now.as_of_position)},
      {"publisher", {{"name", publisher}}},
      {"grants", grants}};
  Response response = Response::Json(200, package.dump(2, ' ', false,
                                                       json::error_handler_t::replace));
  response.headers.emplace_back("Content-Disposition",
                                "attachment; filename=\"360giving.json\"");
  responder.Send(std::move(response));
}

void HandleLedgerCsv(const RouteContext& context, const RequestContext& request,
                     Responder responder) {
  const projections::ReadModel& model = context.service->read_model();
  const std::string cluster = request.Query("cluster").value_or("");
  Response response;
  response.content_type = "text/csv; charset=utf-8; header=present";
  response.body = projections::LedgerToCsv(model.Ledger(cluster, {model.head(), {}}));
  response.headers.emplace_back("Content-Disposition", "attachment; filename=\"ledger.csv\"");
  responder.Send(std::move(response));
}

}  // namespace

void RegisterExportRoutes(Router& router, const RouteContext& context) {
  router.Add("GET", "/v1/ledger.csv", RouteAccess::AnyOf({Role::kAuditor, Role::kFinance}),
             [context](RequestContext request, Responder responder) {
               HandleLedgerCsv(context, request, std::move(responder));
             });
  router.Add("GET", "/v1/export/360giving.json", RouteAccess::AnyOf({Role::kAuditor}),
             [context](RequestContext request, Responder responder) {
               Handle360Giving(context, request, std::move(responder));
             });
}

}  // namespace tranche::api
