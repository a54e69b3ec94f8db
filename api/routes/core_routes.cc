// The transport's own routes: health, metrics, the event log, verify, the
// stream's plain-HTTP answer and the dashboard's static files.
#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>

#include "api/routes/register_all_routes.h"
#include "api/server/error_response.h"
#include "api/server/event_json.h"
#include "api/server/limits.h"
#include "api/server/websocket_session.h"
#include "eventstore/kept_head.h"

namespace tranche::api {
namespace {

constexpr size_t kStaticFileBytesMax = 1024 * 1024;

std::string Dump(const nlohmann::json& json) {
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Unhealthy once a store write failed: the pipeline then refuses every
// command with the same code (CommandPipeline), while reads still answer.
void HandleHealthz(const RouteContext& context, const RequestContext&, Responder responder) {
  Status writer = context.store->WriterError();
  if (!writer.ok()) {
    responder.Send(ErrorResponse(
        kHttpServiceUnavailable, "pipeline_failed",
        "not taking commands: the event store could not write; reads still answer; restart the "
        "server once the disk is fixed",
        {{"store", writer.ToString()}, {"head", context.store->GetHead().position}}));
    return;
  }
  responder.Send(Response::Json(200, Dump({{"status", "ok"},
                                           {"head", context.store->GetHead().position}})));
}

void HandleMetrics(const RouteContext& context, const RequestContext&, Responder responder) {
  Response response;
  response.content_type = "text/plain; version=0.0.4; charset=utf-8";
  response.body = context.metrics->Serialize();
  responder.Send(std::move(response));
}

std::optional<Response> ParseLimit(const RequestContext& request, size_t* limit) {
  *limit = kEventsPageLimitDefault;
  auto text = request.Query("limit");
  if (!text) return std::nullopt;
  size_t value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (text->empty() || ec != std::errc() || end != text->data() + text->size() || value == 0 ||
      value > kEventsPageLimitMax) {
    return BadField("limit", "out_of_range",
                    "limit must be an integer from 1 to " + std::to_string(kEventsPageLimitMax));
  }
  *limit = value;
  return std::nullopt;
}

void HandleEvents(const RouteContext& context, const RequestContext& request,
                  Responder responder) {
  StreamQuery query;
  size_t limit = 0;
  if (auto bad = ParseStreamQuery(request.query_params, &query)) {
    responder.Send(std::move(*bad));
    return;
  }
  if (auto bad = ParseLimit(request, &limit)) {
    responder.Send(std::move(*bad));
    return;
  }
  const uint64_t from = query.from.value_or(1);
  const eventstore::Head head = context.store->GetHead();
  std::vector<eventstore::RecordedEvent> events;
  uint64_t scanned_to = 0;
  Status status = context.store->ReadAll(from, query.filter, limit, &events, &scanned_to);
  if (!status.ok()) {
    responder.Send(ErrorFromStatus(status));
    return;
  }
  nlohmann::json items = nlohmann::json::array();
  const EventRenderer& renderer = context.broadcaster->renderer();
  for (const auto& event : events) items.push_back(EventToJson(event, renderer));
  // The store bounds how far one read scans; the next page starts after the
  // last position it looked at, matching or not.
  const uint64_t next = std::max(from, scanned_to + 1);
  responder.Send(Response::Json(200, Dump({{"head", std::max(head.position, scanned_to)},
                                           {"events", std::move(items)},
                                           {"next", next}})));
}

// GET /v1/audit/verify[?against=POSITION:HASH]: the whole chain and every
// index, and with `against` also that the log still extends a kept head.
void HandleVerify(const RouteContext& context, const RequestContext& request,
                  Responder responder) {
  std::optional<eventstore::Head> kept;
  if (auto against = request.Query("against")) {
    StatusOr<eventstore::Head> parsed = eventstore::ParseKeptHead(*against);
    if (!parsed.ok()) {
      responder.Send(BadField("against", parsed.status().reason(), parsed.status().message()));
      return;
    }
    kept = std::move(parsed).value();
  }
  // Walks the whole log on this io thread; other threads keep serving.
  const eventstore::VerifyReport report =
      kept ? context.store->VerifyAgainst(*kept) : context.store->Verify();
  nlohmann::json body = {{"ok", report.ok},
                         {"events_checked", report.events_checked},
                         {"head_position", report.head_position},
                         {"head_hash", eventstore::HexOf(report.head_hash)}};
  if (kept) body["against"] = eventstore::FormatKeptHead(*kept);
  if (!report.ok) {
    body["first_bad_position"] = report.first_bad_position;
    body["damage"] = report.damage;
    body["detail"] = report.detail;
  }
  responder.Send(Response::Json(200, Dump(body)));
}

// GET /v1/audit/head: the durable head as an auditor keeps it.
void HandleHead(const RouteContext& context, const RequestContext&, Responder responder) {
  const eventstore::Head head = context.store->GetHead();
  responder.Send(Response::Json(200, Dump({{"position", head.position},
                                           {"hash", eventstore::HexOf(head.hash)},
                                           {"head", eventstore::FormatKeptHead(head)}})));
}

void HandleStreamWithoutUpgrade(const RequestContext&, Responder responder) {
  responder.Send(ErrorResponse(kHttpBadRequest, "websocket_upgrade_required",
                               "/v1/stream is a WebSocket: send an upgrade request"));
}

std::string ContentTypeFor(const std::string& name) {
  auto ends_with = [&](std::string_view suffix) {
    return name.size() >= suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with(".html")) return "text/html; charset=utf-8";
  if (ends_with(".js")) return "text/javascript; charset=utf-8";
  if (ends_with(".css")) return "text/css; charset=utf-8";
  if (ends_with(".svg")) return "image/svg+xml";
  if (ends_with(".json")) return "application/json";
  return "application/octet-stream";
}

bool IsSafeFileName(const std::string& name) {
  if (name.empty() || name.size() > 100 || name[0] == '.') return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

void ServeFile(const RouteContext& context, const std::string& name, Responder responder) {
  if (!IsSafeFileName(name)) {
    responder.Send(ErrorResponse(kHttpNotFound, "not_found", "no such file"));
    return;
  }
  std::ifstream in(context.dashboard_dir + "/" + name, std::ios::binary);
  std::ostringstream content;
  if (in) content << in.rdbuf();
  if (!in || content.str().size() > kStaticFileBytesMax) {
    responder.Send(ErrorResponse(kHttpNotFound, "not_found", "no such file", {{"file", name}}));
    return;
  }
  Response response;
  response.content_type = ContentTypeFor(name);
  response.body = content.str();
  response.headers.emplace_back("Cache-Control", "no-cache");
  responder.Send(std::move(response));
}

}  // namespace

void RegisterCoreRoutes(Router& router, const RouteContext& context) {
  const RouteAccess readers = RouteAccess::AnyOf({Role::kViewer, Role::kAuditor});
  const RouteAccess auditors = RouteAccess::AnyOf({Role::kAuditor});
  router.Add("GET", "/healthz", RouteAccess::Public(),
             [context](RequestContext r, Responder out) { HandleHealthz(context, r, out); });
  router.Add("GET", "/metrics", auditors,
             [context](RequestContext r, Responder out) { HandleMetrics(context, r, out); });
  router.Add("GET", "/v1/events", readers,
             [context](RequestContext r, Responder out) { HandleEvents(context, r, out); });
  router.Add("GET", "/v1/audit/verify", auditors,
             [context](RequestContext r, Responder out) { HandleVerify(context, r, out); });
  router.Add("GET", "/v1/audit/head", auditors,
             [context](RequestContext r, Responder out) { HandleHead(context, r, out); });
  router.Add("GET", kStreamRoute, readers, &HandleStreamWithoutUpgrade);
  router.Add("GET", "/", RouteAccess::Public(), [context](RequestContext, Responder out) {
    ServeFile(context, "index.html", out);
  });
  router.Add("GET", "/dashboard/{file}", RouteAccess::Public(),
             [context](RequestContext r, Responder out) {
               ServeFile(context, r.path_params["file"], out);
             });
}

}  // namespace tranche::api
