// GET routes over the read model: programmes, clusters, history, ledger.
#include <charconv>
#include <map>

#include <nlohmann/json.hpp>

#include "api/routes/domain_routes.h"
#include "api/routes/rendered_view_cache.h"
#include "api/server/error_response.h"
#include "api/service/service.h"
#include "core/date.h"
#include "core/evolve.h"
#include "core/json/json_codec.h"
#include "projections/view_json.h"

namespace tranche::api {
namespace {

using nlohmann::json;

inline constexpr size_t kLedgerPageRowsMax = 1000;
inline constexpr size_t kLedgerPageRowsDefault = 100;
inline constexpr size_t kHistoryPageEventsMax = 1000;
inline constexpr size_t kHistoryPageEventsDefault = 100;

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool ParseUint(const std::string& text, uint64_t* value) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

// `as_of` (a position, or an RFC 3339 time) and `effective` (a date).
std::optional<Response> ParseMoment(const RequestContext& request,
                                    const projections::ReadModel& model,
                                    projections::Moment* moment) {
  moment->as_of_position = model.head();
  if (auto as_of = request.Query("as_of")) {
    uint64_t position = 0;
    if (ParseUint(*as_of, &position)) {
      moment->as_of_position = std::min(position, moment->as_of_position);
    } else {
      StatusOr<core::Timestamp> time = core::ParseTimestamp(*as_of);
      if (!time.ok()) {
        return ErrorResponse(kHttpBadRequest, "invalid_field",
                             "as_of must be a log position or an RFC 3339 time, such as "
                             "2010-03-31T23:59:59Z",
                             {{"field", "as_of"}, {"rule", "invalid_as_of"}});
      }
      moment->as_of_position = model.PositionAtTime(time->unix_micros());
    }
  }
  if (auto effective = request.Query("effective")) {
    StatusOr<core::Date> date = core::ParseDate(*effective);
    if (!date.ok()) {
      return ErrorResponse(kHttpBadRequest, "invalid_field",
                           "effective must be a date, YYYY-MM-DD",
                           {{"field", "effective"}, {"rule", "invalid_date"}});
    }
    moment->effective = *date;
  }
  return std::nullopt;
}

std::optional<Response> ParsePage(const RequestContext& request, const char* name,
                                  uint64_t fallback, uint64_t max, uint64_t* value) {
  *value = fallback;
  auto text = request.Query(name);
  if (!text) return std::nullopt;
  if (!ParseUint(*text, value) || *value > max || (std::string(name) == "limit" && *value == 0)) {
    return ErrorResponse(kHttpBadRequest, "invalid_field",
                         std::string(name) + " must be an integer from " +
                             (std::string(name) == "limit" ? "1" : "0") + " to " +
                             std::to_string(max),
                         {{"field", name}, {"rule", "out_of_range"}});
  }
  return std::nullopt;
}

template <typename F>
Handler WithMoment(const RouteContext& context, F answer) {
  return [context, answer](RequestContext request, Responder responder) {
    const projections::ReadModel& model = context.service->read_model();
    projections::Moment moment;
    if (auto bad = ParseMoment(request, model, &moment)) {
      responder.Send(std::move(*bad));
      return;
    }
    responder.Send(answer(request, model, moment));
  };
}

// A rendered answer, and whether it may be kept in the RenderedViewCache:
// only answers about things that exist, so that the keys stay the domain's.
struct Rendered {
  Response response;
  bool cacheable = false;
};

// Like WithMoment, but a request for the current state (no as_of, no
// effective) is answered from `cache` when a body rendered at the head
// position is kept there; otherwise the answer is rendered and, when
// cacheable, kept. `key` names the route and its arguments (it is never
// built from as_of or effective). Requests for other moments render as
// before: they are rarer and their keys would be the client's choice.
template <typename KeyOf, typename F>
Handler WithCachedMoment(const RouteContext& context,
                         const std::shared_ptr<RenderedViewCache>& cache, KeyOf key_of, F answer) {
  return [context, cache, key_of, answer](RequestContext request, Responder responder) {
    const projections::ReadModel& model = context.service->read_model();
    projections::Moment moment;
    if (auto bad = ParseMoment(request, model, &moment)) {
      responder.Send(std::move(*bad));
      return;
    }
    const bool current =
        request.query_params.count("as_of") == 0 && request.query_params.count("effective") == 0;
    if (!current) {
      responder.Send(answer(request, model, moment).response);
      return;
    }
    const std::string key = key_of(request);
    if (auto body = cache->Find(key, moment.as_of_position)) {
      context.metrics->view_cache_hits.Increment();
      responder.Send(Response::SharedJson(200, std::move(body)));
      return;
    }
    context.metrics->view_cache_misses.Increment();
    Rendered rendered = answer(request, model, moment);
    if (rendered.cacheable && rendered.response.status == 200) {
      auto body = std::make_shared<const std::string>(std::move(rendered.response.body));
      rendered.response.body.clear();
      rendered.response.shared_body = body;
      cache->Store(key, moment.as_of_position, std::move(body));
    }
    responder.Send(std::move(rendered.response));
  };
}

// Cache keys: the route's name, then its arguments after a separator that
// no id or query value holds unescaped.
std::string Key(std::string_view route, std::string_view argument = {}) {
  std::string key(route);
  key += '\0';
  key += argument;
  return key;
}

Rendered ProgrammeList(const RequestContext&, const projections::ReadModel& model,
                       const projections::Moment& moment) {
  json items = json::array();
  for (const auto& view : model.Programmes(moment)) {
    items.push_back(projections::ProgrammeViewToJson(view));
  }
  return {Response::Json(200, Dump({{"programmes", items},
                                    {"moment", projections::MomentToJson(moment)}})),
          true};
}

Rendered ProgrammeOne(const RequestContext& request, const projections::ReadModel& model,
                      const projections::Moment& moment) {
  auto view = model.Programme(request.path_params.at("id"), moment);
  if (!view.ok()) {
    return {ErrorFromStatus(view.status(), {{"programme_id", request.path_params.at("id")}}), false};
  }
  return {Response::Json(200, Dump(projections::ProgrammeViewToJson(*view))), true};
}

// With a `programme` filter, the list is kept only when it is not empty: an
// empty list is what any made-up programme id gets.
Rendered ClusterList(const RequestContext& request, const projections::ReadModel& model,
                     const projections::Moment& moment) {
  const std::string programme = request.Query("programme").value_or("");
  json items = json::array();
  for (const auto& view : model.Clusters(programme, moment)) {
    items.push_back(projections::ClusterSummaryToJson(view));
  }
  const bool cacheable = programme.empty() || !items.empty();
  return {Response::Json(200, Dump({{"clusters", items},
                                    {"moment", projections::MomentToJson(moment)}})),
          cacheable};
}

Rendered ClusterOne(const RequestContext& request, const projections::ReadModel& model,
                    const projections::Moment& moment) {
  auto view = model.Cluster(request.path_params.at("id"), moment);
  if (!view.ok()) {
    return {ErrorFromStatus(view.status(), {{"cluster_id", request.path_params.at("id")}}), false};
  }
  return {Response::Json(200, Dump(projections::ClusterViewToJson(*view))), true};
}

Response Ledger(const RequestContext& request, const projections::ReadModel& model,
                const projections::Moment& moment) {
  uint64_t from = 1;
  uint64_t limit = 0;
  if (auto bad = ParsePage(request, "from", 1, UINT64_MAX, &from)) return *bad;
  if (auto bad = ParsePage(request, "limit", kLedgerPageRowsDefault, kLedgerPageRowsMax, &limit)) {
    return *bad;
  }
  const std::string cluster = request.Query("cluster").value_or("");
  auto rows = model.Ledger(cluster, moment, from, limit + 1);
  json items = json::array();
  for (size_t i = 0; i < rows.size() && i < limit; ++i) {
    items.push_back(projections::LedgerEntryToJson(rows[i]));
  }
  json body = {{"entries", items}, {"moment", projections::MomentToJson(moment)}};
  body["next"] = rows.size() > limit ? json(rows[limit].position) : json(nullptr);
  return Response::Json(200, Dump(body));
}

// One cluster's events in stream order, each with the cluster's net paid per
// year after it (folded from the stream's start, so every page is exact).
void ClusterHistory(const RouteContext& context, const RequestContext& request,
                    Responder responder) {
  const std::string& id = request.path_params.at("id");
  uint64_t from_version = 0;
  uint64_t limit = 0;
  if (auto bad = ParsePage(request, "from_version", 0, UINT64_MAX, &from_version)) {
    return responder.Send(std::move(*bad));
  }
  if (auto bad = ParsePage(request, "limit", kHistoryPageEventsDefault, kHistoryPageEventsMax,
                           &limit)) {
    return responder.Send(std::move(*bad));
  }
  const std::string stream = core::ClusterStream(id);
  std::map<std::string, core::Pence> net_paid;
  json items = json::array();
  EventRenderer renderer = DomainEventRenderer();
  uint64_t version = 0;
  bool more = false;
  for (bool done = false; !done;) {
    std::vector<eventstore::RecordedEvent> page;
    Status status = context.store->ReadStreamForward(stream, version, kHistoryPageEventsMax, &page);
    if (!status.ok()) return responder.Send(ErrorFromStatus(status));
    if (page.empty()) break;
    for (const auto& event : page) {
      version = event.version + 1;
      StatusOr<core::Event> decoded = core::DecodeEvent(event.type, event.schema, event.data);
      if (decoded.ok()) {
        if (auto* t = std::get_if<core::TrancheRecorded>(&*decoded)) {
          net_paid[t->financial_year.Label()] = net_paid[t->financial_year.Label()] + t->amount_pence;
        } else if (auto* r = std::get_if<core::TrancheReversed>(&*decoded)) {
          net_paid[r->financial_year.Label()] = net_paid[r->financial_year.Label()] - r->amount_pence;
        }
      }
      if (event.version < from_version) continue;
      if (items.size() == limit) {
        more = true;
        done = true;
        break;
      }
      json item = EventToJson(event, renderer);
      json totals = json::object();
      for (const auto& [year, amount] : net_paid) {
        totals[year] = {{"net_paid_pence", amount.value()}, {"net_paid", core::FormatPounds(amount)}};
      }
      item["net_paid_after"] = totals;
      items.push_back(std::move(item));
    }
    if (page.size() < kHistoryPageEventsMax) break;
  }
  if (version == 0) {
    return responder.Send(ErrorResponse(kHttpNotFound, "cluster_not_found",
                                        "no cluster '" + id + "'", {{"cluster_id", id}}));
  }
  json body = {{"cluster_id", id}, {"events", items}};
  body["next_version"] = more ? json(items.back()["version"].get<uint64_t>() + 1) : json(nullptr);
  responder.Send(Response::Json(200, Dump(body)));
}

}  // namespace

void RegisterStateRoutes(Router& router, const RouteContext& context) {
  const RouteAccess readers = RouteAccess::AnyOf({Role::kViewer, Role::kAuditor});
  const RouteAccess money_readers = RouteAccess::AnyOf({Role::kAuditor, Role::kFinance});
  // One cache for these four routes, shared by their handlers (and so owned
  // by the router).
  auto cache = std::make_shared<RenderedViewCache>();
  router.Add("GET", "/v1/programmes", readers,
             WithCachedMoment(context, cache, [](const RequestContext&) { return Key("programmes"); },
                              ProgrammeList));
  router.Add("GET", "/v1/programmes/{id}", readers,
             WithCachedMoment(
                 context, cache,
                 [](const RequestContext& r) { return Key("programme", r.path_params.at("id")); },
                 ProgrammeOne));
  router.Add("GET", "/v1/clusters", readers,
             WithCachedMoment(
                 context, cache,
                 [](const RequestContext& r) {
                   return Key("clusters", r.Query("programme").value_or(""));
                 },
                 ClusterList));
  router.Add("GET", "/v1/clusters/{id}", readers,
             WithCachedMoment(
                 context, cache,
                 [](const RequestContext& r) { return Key("cluster", r.path_params.at("id")); },
                 ClusterOne));
  router.Add("GET", "/v1/clusters/{id}/events", readers,
             [context](RequestContext request, Responder responder) {
               ClusterHistory(context, request, std::move(responder));
             });
  router.Add("GET", "/v1/ledger", money_readers, WithMoment(context, Ledger));
}

}  // namespace tranche::api
