// Renders views as JSON and the ledger as CSV.
#include "projections/view_json.h"

#include "core/date.h"

namespace tranche::projections {
namespace {

using nlohmann::json;

void PutMoney(json& out, const std::string& name, core::Pence amount) {
  out[name + "_pence"] = amount.value();
  out[name] = core::FormatPounds(amount);
}

std::string Time(int64_t unix_micros) {
  return core::FormatTimestamp(core::Timestamp(unix_micros));
}

json MemberToJson(const MemberView& m) {
  json out = {{"organisation_id", m.organisation_id},
              {"name", m.name},
              {"sector", std::string(core::SectorName(m.sector))},
              {"joined_on", core::FormatDate(m.joined_on)}};
  if (m.left_on) {
    out["left_on"] = core::FormatDate(*m.left_on);
    out["left_reason"] = m.left_reason;
  }
  return out;
}

json TrancheToJson(const TrancheView& t) {
  json out = {{"payment_reference", t.payment_reference},
              {"financial_year", t.financial_year.Label()},
              {"paid_on", core::FormatDate(t.paid_on)},
              {"position", t.position},
              {"recorded_at", Time(t.recorded_at_us)},
              {"actor", t.actor},
              {"reversed", t.reversed}};
  PutMoney(out, "amount", t.amount_pence);
  if (t.reversed) {
    out["reversed_position"] = t.reversed_position;
    out["reversal_reason"] = t.reversal_reason;
  }
  return out;
}

// RFC 4180: quote a field when it holds a comma, quote, CR or LF.
std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char ch : text) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}

// Pounds with two decimals and no symbol or separators: "-1234.50".
std::string PlainPounds(core::Pence amount) {
  int64_t value = amount.value();
  std::string sign = value < 0 ? "-" : "";
  uint64_t magnitude = value < 0 ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  std::string pence = std::to_string(magnitude % 100);
  if (pence.size() < 2) pence = "0" + pence;
  return sign + std::to_string(magnitude / 100) + "." + pence;
}

}  // namespace

json MomentToJson(const Moment& moment) {
  json out = {{"as_of_position", moment.as_of_position}};
  if (moment.effective) out["effective"] = core::FormatDate(*moment.effective);
  return out;
}

json ProgrammeViewToJson(const ProgrammeView& view) {
  json years = json::array();
  for (const YearFigures& y : view.financial_years) {
    json year = {{"financial_year", y.financial_year.Label()},
                 {"starts", core::FormatDate(y.financial_year.Start())},
                 {"ends", core::FormatDate(y.financial_year.End())},
                 {"closed", y.closed}};
    PutMoney(year, "envelope", y.envelope_pence);
    PutMoney(year, "awarded", y.awarded_pence);
    PutMoney(year, "paid", y.paid_pence);
    PutMoney(year, "unallocated", y.unallocated_pence);
    PutMoney(year, "remaining", y.remaining_pence);
    if (y.underspend_pence) PutMoney(year, "underspend", *y.underspend_pence);
    years.push_back(std::move(year));
  }
  json by_status = json::object();
  for (const auto& [status, ids] : view.clusters_by_status) by_status[status] = ids;
  return {{"id", view.id},          {"name", view.name},
          {"funder", view.funder},  {"version", view.version},
          {"financial_years", years}, {"clusters_by_status", by_status},
          {"moment", MomentToJson(view.moment)}};
}

json ClusterSummaryToJson(const ClusterView& view) {
  json years = json::array();
  for (const ClusterYearView& y : view.financial_years) {
    json year = {{"financial_year", y.financial_year.Label()}};
    PutMoney(year, "requested", y.requested_pence);
    PutMoney(year, "award", y.award_pence);
    PutMoney(year, "net_paid", y.net_paid_pence);
    PutMoney(year, "remaining", y.remaining_pence);
    years.push_back(std::move(year));
  }
  json out = {{"id", view.id},
              {"programme_id", view.programme_id},
              {"name", view.name},
              {"region", view.region},
              {"principal_partner", view.principal_partner},
              {"work_programme", view.work_programme},
              {"status", std::string(core::BidStatusName(view.status))},
              {"submitted_on", core::FormatDate(view.submitted_on)},
              {"version", view.version},
              {"member_count", view.members.size()},
              {"financial_years", years},
              {"moment", MomentToJson(view.moment)}};
  if (view.decided_on) out["decided_on"] = core::FormatDate(*view.decided_on);
  if (!view.rejection_reason.empty()) out["rejection_reason"] = view.rejection_reason;
  json sectors = json::object();
  for (const auto& [sector, count] : view.member_count_by_sector) {
    sectors[std::string(core::SectorName(sector))] = count;
  }
  out["member_count_by_sector"] = sectors;
  return out;
}

json ClusterViewToJson(const ClusterView& view) {
  json out = ClusterSummaryToJson(view);
  json members = json::array();
  for (const MemberView& m : view.members) members.push_back(MemberToJson(m));
  json former = json::array();
  for (const MemberView& m : view.former_members) former.push_back(MemberToJson(m));
  json tranches = json::array();
  for (const TrancheView& t : view.tranches) tranches.push_back(TrancheToJson(t));
  out["members"] = members;
  out["former_members"] = former;
  out["former_member_count"] = view.former_member_count;
  out["tranches"] = tranches;
  out["tranche_count"] = view.tranche_count;
  out["reversed_tranche_count"] = view.reversed_tranche_count;
  return out;
}

json LedgerEntryToJson(const LedgerEntry& e) {
  json out = {{"position", e.position},
              {"recorded_at", Time(e.recorded_at_us)},
              {"actor", e.actor},
              {"command_id", e.command_id},
              {"kind", e.kind},
              {"programme_id", e.programme_id},
              {"cluster_id", e.cluster_id},
              {"financial_year", e.financial_year.Label()},
              {"payment_reference", e.payment_reference},
              {"paid_on", core::FormatDate(e.paid_on)},
              {"reason", e.reason}};
  PutMoney(out, "amount", e.amount_pence);
  PutMoney(out, "cluster_year_total", e.cluster_year_total_pence);
  PutMoney(out, "programme_year_total", e.programme_year_total_pence);
  return out;
}

std::string LedgerToCsv(const std::vector<LedgerEntry>& entries) {
  std::string out =
      "position,recorded_at,actor,command_id,kind,programme_id,cluster_id,financial_year,"
      "payment_reference,paid_on,amount_pounds,amount_pence,cluster_year_total_pounds,"
      "cluster_year_total_pence,programme_year_total_pounds,programme_year_total_pence,"
      "reason\r\n";
  for (const LedgerEntry& e : entries) {
    const std::string fields[] = {std::to_string(e.position),
                                  Time(e.recorded_at_us),
                                  e.actor,
                                  e.command_id,
                                  e.kind,
                                  e.programme_id,
                                  e.cluster_id,
                                  e.financial_year.Label(),
                                  e.payment_reference,
                                  core::FormatDate(e.paid_on),
                                  PlainPounds(e.amount_pence),
                                  std::to_string(e.amount_pence.value()),
                                  PlainPounds(e.cluster_year_total_pence),
                                  std::to_string(e.cluster_year_total_pence.value()),
                                  PlainPounds(e.programme_year_total_pence),
                                  std::to_string(e.programme_year_total_pence.value()),
                                  e.reason};
    bool first = true;
    for (const std::string& field : fields) {
      if (!first) out += ',';
      out += CsvField(field);
      first = false;
    }
    out += "\r\n";
  }
  return out;
}

}  // namespace tranche::projections
