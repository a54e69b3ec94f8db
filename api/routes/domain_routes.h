// The domain's routes: commands, state queries, history, ledger and exports.
//
// Handlers read the Service's read model (thread-safe) and submit commands to
// its pipeline; a command's response is sent from the store's writer thread
// once its events are durable.
#pragma once

#include "api/routes/register_all_routes.h"
#include "api/server/event_json.h"
#include "api/service/command_pipeline.h"

namespace tranche::api {

// POST /v1/commands/<name> for every command of DESIGN.md.
void RegisterCommandRoutes(Router& router, const RouteContext& context);
// GET /v1/programmes[/{id}], /v1/clusters[/{id}[/events]], /v1/ledger.
void RegisterStateRoutes(Router& router, const RouteContext& context);
// GET /v1/ledger.csv and /v1/export/360giving.json.
void RegisterExportRoutes(Router& router, const RouteContext& context);

// Renders a stored event's payload with the domain's JSON codec.
EventRenderer DomainEventRenderer();

// The 200 body of a command: {command_id, events, first_position,
// last_position, stream, version}, each event as EventToJson gives it
// without its hashes and with the store's event id rule. Written as text,
// byte for byte what dumping that JSON object gives. When the result carries
// its events as decided (domain_events), their payloads are written from
// those, as DomainEventRenderer would render their bytes; otherwise by
// `renderer`.
std::string CommandResultBody(const service::CommandResult& result, const EventRenderer& renderer);

}  // namespace tranche::api
