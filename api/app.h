// THE LEAD'S HOOK: where tranched plugs the command pipeline, projections and
// the seed loader into the transport.
//
// tranched (api/tranched_main.cc) calls, in this order:
//   1. EventStore::Open(DIR/events), Metrics, Authenticator, Broadcaster
//   2. StartApp(context)        — build what serves the routes; register them
//   3. Server::Start(threads)
//   … SIGTERM/SIGINT …
//   4. Server::Stop()           — no new connections; in-flight requests answered
//   5. app->Drain()             — finish in-flight commands, stop publishing
//   6. EventStore::Close()
//
// Threads: StartApp and Drain run on main's thread. Everything in AppContext
// outlives the App.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "api/routes/register_all_routes.h"
#include "api/server/broadcaster.h"
#include "api/server/metrics.h"
#include "api/server/router.h"
#include "core/status.h"
#include "eventstore/event_store.h"

namespace tranche::api {

struct AppContext {
  eventstore::EventStore& store;
  Router& router;
  Broadcaster& broadcaster;
  Metrics& metrics;
  RouteContext routes;                 // Filled with store, metrics, broadcaster, dashboard_dir.
  std::string data_dir;
  std::optional<std::string> seed_file;  // --seed FILE: load when the log is empty.
  // Drain writes DIR/snapshot when at least this many events came after the
  // one start-up loaded (or after position 0); 0: no snapshots at all.
  uint64_t snapshot_after_events = 0;
};

class App {
 public:
  virtual ~App() = default;
  // Stops taking commands, waits until every accepted command is durable and
  // answered, and stops publishing to the broadcaster. Called after the
  // server stopped accepting and before the store closes.
  virtual void Drain() = 0;
};

// Builds the application: must register every route (RegisterAllRoutes) and
// arrange for every durable event to reach broadcaster.Publish() in position
// order. The transport-only version below feeds the broadcaster from
// EventStore::Subscribe; LEAD: replace it with the pipeline, which publishes
// after each durable commit group, install the domain renderer with
// broadcaster.SetRenderer(...), and load `seed_file` when the log is empty.
StatusOr<std::unique_ptr<App>> StartApp(AppContext& context);

}  // namespace tranche::api
