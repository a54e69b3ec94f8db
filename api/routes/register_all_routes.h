// RegisterAllRoutes: the one function that builds the server's route table.
// tranched calls it, and tests/api/openapi_test.cc compares the routes it
// registers with api/openapi.yaml, so every route must be added here.
//
// Threads: call before the server starts. Everything the RouteContext points
// to must outlive the router.
#pragma once

#include <string>

#include "api/server/broadcaster.h"
#include "api/server/metrics.h"
#include "api/server/router.h"
#include "eventstore/event_store.h"

namespace tranche::service {
class Service;
}  // namespace tranche::service

namespace tranche::api {

// What route handlers read. Pointers may be null when the router is only
// listed (the OpenAPI test); handlers are then never called.
struct RouteContext {
  eventstore::EventStore* store = nullptr;
  Metrics* metrics = nullptr;
  Broadcaster* broadcaster = nullptr;  // Its renderer renders events' data.
  std::string dashboard_dir;           // Static files of GET / and /dashboard/{file}.
  service::Service* service = nullptr;  // The pipeline and the read model.
};

// Every route of the API.
void RegisterAllRoutes(Router& router, const RouteContext& context);

// The transport's own routes: /healthz, /metrics, /v1/events,
// /v1/audit/verify, /v1/audit/head, /v1/stream, / and /dashboard/{file}.
void RegisterCoreRoutes(Router& router, const RouteContext& context);

}  // namespace tranche::api
