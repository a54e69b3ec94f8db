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
  json events = json::array();
  for (size_t i = 0; i < result.events.size(); ++i) {
    json event = EventToJson(result.events[i], renderer);
    // A fresh result carries what the pipeline wrote; its ids follow the
    // store's rule and its hashes are read with GET /v1/events. A replay is
    // read from the log and has hashes: drop them too, so that a retry
    // answers exactly the original body.
    if (result.events[i].event_id.empty()) {
      event["event_id"] = result.command_id + "#" + std::to_string(i);
    }
    event.erase("hash");
    event.erase("prev_hash");
    events.push_back(std::move(event));
  }
  Response response = Response::Json(200, Dump({{"command_id", result.command_id},
                                                {"first_position", result.first_position},
                                                {"last_position", result.last_position},
                                                {"stream", result.stream},
                                                {"version", result.version},
                                                {"events", std::move(events)}}));
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
  context.service->pipeline().Submit(
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
