// Tables for the programme, cluster, ledger and history views.
#include "cli/view_printer.h"

#include <string>

#include "cli/table.h"
#include "core/money.h"

namespace tranche::cli {
namespace {

using nlohmann::json;

int64_t PenceOf(const json& object, const std::string& name) {
  auto it = object.find(name + "_pence");
  return it != object.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

std::string Pounds(int64_t pence) { return core::FormatPounds(core::Pence(pence)); }

std::string Money(const json& object, const std::string& name) {
  return Pounds(PenceOf(object, name));
}

std::string Text(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

// "12.3%" of part in whole, "-" when whole is zero.
std::string Percent(int64_t part, int64_t whole) {
  if (whole == 0) return "-";
  const int64_t tenths = part * 1000 / whole;
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + "%";
}

}  // namespace

std::string ViewPrinter::EventSummary(const json& data) {
  if (!data.is_object()) return "";
  std::string out;
  auto add = [&](const std::string& text) { out += (out.empty() ? "" : " ") + text; };
  if (data.contains("payment_reference")) add(Text(data, "payment_reference"));
  if (data.contains("financial_year")) add(Text(data, "financial_year"));
  if (data.contains("amount_pence")) add(Money(data, "amount"));
  for (const char* map_name : {"awards", "requested"}) {
    if (!data.contains(map_name) || !data[map_name].is_object()) continue;
    for (const auto& [year, value] : data[map_name].items()) {
      if (value.is_number_integer()) add(year + "=" + Pounds(value.get<int64_t>()));
    }
  }
  if (data.contains("paid_on")) add("paid " + Text(data, "paid_on"));
  if (data.contains("organisation_id")) add(Text(data, "organisation_id"));
  return out;
}

std::string ViewPrinter::Moment(const json& moment) {
  if (!moment.is_object()) return "";
  std::string out = "as of position " + Text(moment, "as_of_position");
  if (moment.contains("effective")) out += ", effective " + Text(moment, "effective");
  return out;
}

void ViewPrinter::Programme(const json& view, std::FILE* out) {
  std::fprintf(out, "%s  %s  (funder: %s; version %s; %s)\n", Text(view, "id").c_str(),
               Text(view, "name").c_str(), Text(view, "funder").c_str(),
               Text(view, "version").c_str(), Moment(view.value("moment", json())).c_str());
  Table table({"YEAR", ">ENVELOPE", ">AWARDED", ">PAID", ">UNALLOCATED", ">REMAINING", "CLOSED",
               ">UNDERSPEND"});
  for (const json& year : view.value("financial_years", json::array())) {
    table.AddRow({Text(year, "financial_year"), Money(year, "envelope"), Money(year, "awarded"),
                  Money(year, "paid"), Money(year, "unallocated"), Money(year, "remaining"),
                  year.value("closed", false) ? "yes" : "no",
                  year.contains("underspend_pence") ? Money(year, "underspend") : "-"});
  }
  table.Print(out);
  const json by_status = view.value("clusters_by_status", json::object());
  for (const auto& [status, ids] : by_status.items()) {
    std::fprintf(out, "clusters %s: %zu\n", status.c_str(), ids.size());
  }
}

void ViewPrinter::Clusters(const json& clusters, std::FILE* out) {
  Table table({"ID", "REGION", "STATUS", ">MEMBERS", ">AWARDED", ">PAID", ">REMAINING", ">PAID %"});
  int64_t awarded_total = 0, paid_total = 0, remaining_total = 0;
  for (const json& cluster : clusters) {
    int64_t awarded = 0, paid = 0, remaining = 0;
    for (const json& year : cluster.value("financial_years", json::array())) {
      awarded += PenceOf(year, "award");
      paid += PenceOf(year, "net_paid");
      remaining += PenceOf(year, "remaining");
    }
    awarded_total += awarded;
    paid_total += paid;
    remaining_total += remaining;
    table.AddRow({Text(cluster, "id"), Text(cluster, "region"), Text(cluster, "status"),
                  Text(cluster, "member_count"), Pounds(awarded), Pounds(paid), Pounds(remaining),
                  Percent(paid, awarded)});
  }
  table.AddRow({"total", "", "", "", Pounds(awarded_total), Pounds(paid_total),
                Pounds(remaining_total), Percent(paid_total, awarded_total)});
  table.Print(out);
}

void ViewPrinter::Cluster(const json& view, std::FILE* out) {
  std::fprintf(out, "%s  %s\n", Text(view, "id").c_str(), Text(view, "name").c_str());
  std::fprintf(out, "programme %s; region %s; principal partner %s\n",
               Text(view, "programme_id").c_str(), Text(view, "region").c_str(),
               Text(view, "principal_partner").c_str());
  std::fprintf(out, "status %s (submitted %s%s); version %s; %s\n", Text(view, "status").c_str(),
               Text(view, "submitted_on").c_str(),
               view.contains("decided_on") ? (", decided " + Text(view, "decided_on")).c_str() : "",
               Text(view, "version").c_str(), Moment(view.value("moment", json())).c_str());
  std::fprintf(out, "\n");
  Table years({"YEAR", ">REQUESTED", ">AWARD", ">NET PAID", ">REMAINING"});
  for (const json& year : view.value("financial_years", json::array())) {
    years.AddRow({Text(year, "financial_year"), Money(year, "requested"), Money(year, "award"),
                  Money(year, "net_paid"), Money(year, "remaining")});
  }
  years.Print(out);
  const json members = view.value("members", json::array());
  std::fprintf(out, "\nmembers: %zu\n", members.size());
  if (!members.empty()) {
    Table table({"ORGANISATION", "NAME", "SECTOR", "JOINED"});
    for (const json& m : members) {
      table.AddRow({Text(m, "organisation_id"), Text(m, "name"), Text(m, "sector"),
                    Text(m, "joined_on")});
    }
    table.Print(out);
  }
  const json tranches = view.value("tranches", json::array());
  std::fprintf(out, "\ntranches: %s (%s reversed)\n", Text(view, "tranche_count").c_str(),
               Text(view, "reversed_tranche_count").c_str());
  if (!tranches.empty()) {
    Table table({"REFERENCE", "YEAR", "PAID ON", ">AMOUNT", ">POSITION", "ACTOR", "REVERSED"});
    for (const json& t : tranches) {
      table.AddRow({Text(t, "payment_reference"), Text(t, "financial_year"), Text(t, "paid_on"),
                    Money(t, "amount"), Text(t, "position"), Text(t, "actor"),
                    t.value("reversed", false) ? "yes: " + Text(t, "reversal_reason") : ""});
    }
    table.Print(out);
  }
}

void ViewPrinter::Ledger(const json& entries, std::FILE* out) {
  Table table({">POSITION", "RECORDED AT", "CLUSTER", "YEAR", "KIND", "REFERENCE", "PAID ON",
               ">AMOUNT", ">CLUSTER YEAR", ">PROGRAMME YEAR", "ACTOR"});
  for (const json& e : entries) {
    table.AddRow({Text(e, "position"), Text(e, "recorded_at"), Text(e, "cluster_id"),
                  Text(e, "financial_year"), Text(e, "kind"), Text(e, "payment_reference"),
                  Text(e, "paid_on"), Money(e, "amount"), Money(e, "cluster_year_total"),
                  Money(e, "programme_year_total"), Text(e, "actor")});
  }
  table.Print(out);
}

void ViewPrinter::History(const json& events, std::FILE* out) {
  Table table({">POSITION", ">V", "RECORDED AT", "TYPE", "ACTOR", "DETAIL", "REASON",
               "NET PAID AFTER"});
  for (const json& e : events) {
    std::string totals;
    const json after = e.value("net_paid_after", json::object());
    for (const auto& [year, figures] : after.items()) {
      totals += (totals.empty() ? "" : "; ") + year + " " + Money(figures, "net_paid");
    }
    table.AddRow({Text(e, "position"), Text(e, "version"), Text(e, "recorded_at"), Text(e, "type"),
                  Text(e, "actor"), EventSummary(e.value("data", json())), Text(e, "reason"), totals});
  }
  table.Print(out);
}

}  // namespace tranche::cli
