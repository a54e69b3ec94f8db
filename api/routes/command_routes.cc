// POST /v1/commands/<name>: parse, submit to the pipeline, answer when durable.
#include <nlohmann/json.hpp>

#include "api/routes/domain_routes.h"
#include "api/server/error_response.h"
#include "api/service/service.h"
#include "core/events.h"
#include "core/json/json_codec.h"

namespace tranche::api {
namespace {

using nlohmann::json;

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

unsigned HttpStatusForRejection(const core::Rejection& rejection) {
  switch (core::RejectionStatusCode(rejection.code)) {
    case StatusCode::kInvalidArgument: return kHttpBadRequest;
    case StatusCode::kNotFound: return kHttpNotFound;
    case StatusCode::kConflict:
    case StatusCode::kAlreadyExists: return kHttpConflict;
    case StatusCode::kFailedPrecondition: return kHttpUnprocessable;
    default: return 500;
  }
}

Response RejectionResponse(const core::Rejection& rejection) {
  json details = json::object();
  for (const auto& [key, value] : rejection.details) details[key] = value;
  return ErrorResponse(HttpStatusForRejection(rejection), rejection.code, rejection.message,
                       details);
}

Response ResultResponse(const service::CommandResult& result, const EventRenderer& renderer) {
  Response response = Response::Json(200, CommandResultBody(result, renderer));
  // The body is the original answer either way; this says it was a retry.
  if (result.duplicate) response.headers.emplace_back("Idempotent-Replay", "true");
  return response;
}

void HandleCommand(const RouteContext& context, const std::string& name,
                   const RequestContext& request, Responder responder) {
  auto parsed = core::ParseCommandText(name, request.body);
  if (auto* rejection = std::get_if<core::Rejection>(&parsed)) {
    responder.Send(RejectionResponse(*rejection));
    return;
  }
  core::CommandEnvelope command = std::get<core::CommandEnvelope>(std::move(parsed));
  command.actor = request.principal ? request.principal->name : "anonymous";
  EventRenderer renderer = DomainEventRenderer();
  context.service->pipeline().SubmitMayDecideHere(
      std::move(command), [responder, renderer](service::CommandOutcome outcome) {
        if (outcome.result) {
          responder.Send(ResultResponse(*outcome.result, renderer));
        } else if (outcome.rejection) {
          responder.Send(RejectionResponse(*outcome.rejection));
        } else {
          Response response = ErrorFromStatus(outcome.error);
          if (outcome.error.code() == StatusCode::kIOError) response.status = 503;
          responder.Send(std::move(response));
        }
      });
}

// Finance officers record and reverse tranches; programme managers do the rest.
RouteAccess AccessFor(std::string_view name) {
  if (name == core::RecordTranche::kName || name == core::ReverseTranche::kName) {
    return RouteAccess::AnyOf({Role::kFinance});
  }
  return RouteAccess::AnyOf({Role::kProgramme});
}

}  // namespace

std::string CommandResultBody(const service::CommandResult& result,
                              const EventRenderer& renderer) {
  // The keys of each object in nlohmann's (sorted) order. A fresh result
  // carries what the pipeline wrote; its ids follow the store's rule and its
  // hashes are read with GET /v1/events. A replay is read from the log and
  // has hashes: they are left out too, so that a retry answers exactly the
  // original body.
  std::string out;
  out.reserve(256 + 512 * result.events.size());
  out += "{\"command_id\":";
  AppendJsonString(&out, result.command_id);
  out += ",\"events\":[";
  std::string event_id;  // Reused: one allocation for the whole answer.
  std::string timestamp;
  for (size_t i = 0; i < result.events.size(); ++i) {
    const eventstore::RecordedEvent& event = result.events[i];
    if (i > 0) out += ',';
    out += "{\"actor\":";
    AppendJsonString(&out, event.actor);
    out += ",\"command_id\":";
    AppendJsonString(&out, event.command_id);
    out += ",\"data\":";
    // A fresh result carries its events as decided: written straight from
    // them (the renderer's object, dumped, is the same text: the test says
    // so). A retry's are rendered from their stored bytes.
    const size_t data_at = out.size();
    if (result.domain_events.size() != result.events.size() ||
        !core::AppendEventJson(result.domain_events[i], &out)) {
      out.resize(data_at);
      out += Dump(EventDataJson(event, renderer));
    }
    out += ",\"event_id\":";
    if (event.event_id.empty()) {  // command_id#index, the store's rule.
      event_id.assign(result.command_id).push_back('#');
      event_id += std::to_string(i);
      AppendJsonString(&out, event_id);
    } else {
      AppendJsonString(&out, event.event_id);
    }
    out += ",\"position\":";
    out += std::to_string(event.position);
    if (!event.reason.empty()) {
      out += ",\"reason\":";
      AppendJsonString(&out, event.reason);
    }
    out += ",\"recorded_at\":";
    timestamp.clear();
    AppendTimestampUs(event.recorded_at_us, &timestamp);
    AppendJsonString(&out, timestamp);
    out += ",\"schema\":";
    out += std::to_string(event.schema);
    out += ",\"stream\":";
    AppendJsonString(&out, event.stream);
    out += ",\"type\":";
    AppendJsonString(&out, event.type);
    out += ",\"version\":";
    out += std::to_string(event.version);
    out += '}';
  }
  out += "],\"first_position\":";
  out += std::to_string(result.first_position);
  out += ",\"last_position\":";
  out += std::to_string(result.last_position);
  out += ",\"stream\":";
  AppendJsonString(&out, result.stream);
  out += ",\"version\":";
  out += std::to_string(result.version);
  out += '}';
  return out;
}

EventRenderer DomainEventRenderer() {
  return [](const eventstore::RecordedEvent& event) -> json {
    StatusOr<core::Event> decoded = core::DecodeEvent(event.type, event.schema, event.data);
    if (!decoded.ok()) return FallbackEventData(event);
    return core::EventToJson(*decoded);
  };
}

void RegisterCommandRoutes(Router& router, const RouteContext& context) {
  for (std::string_view name : core::AllCommandNames()) {
    const std::string command(name);
    router.Add("POST", "/v1/commands/" + command, AccessFor(name),
               [context, command](RequestContext request, Responder responder) {
                 HandleCommand(context, command, request, std::move(responder));
               });
  }
}

}  // namespace tranche::api
