// Router: maps (method, path pattern) to a handler, with the roles a caller
// needs. Unknown path → 404; known path, other method → 405 with Allow; no or
// bad token → 401; a role that may not → 403.
//
// Patterns are literal segments and {name} parameters:
// "/v1/clusters/{id}/events". Where two patterns match, the one with more
// literal segments wins.
//
// Threads: Add() only before the server starts; after that the router is
// read-only and Handle() may run on any thread. The Authenticator passed to
// Handle() must outlive the call.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "api/auth/principal.h"
#include "api/auth/token_store.h"
#include "api/server/request_context.h"

namespace tranche::api {

// Who may call a route. Admin may call every route.
struct RouteAccess {
  bool is_public = false;  // No token needed.
  RoleSet roles;           // Any one of these (or admin) may call it.

  static RouteAccess Public() { return {true, {}}; }
  static RouteAccess AnyOf(RoleSet roles) { return {false, roles}; }
  // May a principal with these roles call the route?
  bool Allows(RoleSet principal_roles) const;
};

using Handler = std::function<void(RequestContext request, Responder responder)>;

struct RouteInfo {
  std::string method;
  std::string pattern;
  RouteAccess access;
};

// A request as read off the wire, before routing.
struct RawRequest {
  std::string method;
  std::string target;
  std::string body;
  std::string content_type;
  std::string authorization;       // The Authorization header, if any.
  bool allow_query_token = false;  // Accept ?access_token= (WebSocket upgrades only).
  std::string remote;
};

class Router {
 public:
  enum class MatchKind { kFound, kNotFound, kMethodNotAllowed };
  struct Match {
    MatchKind kind = MatchKind::kNotFound;
    size_t route_index = 0;
    std::map<std::string, std::string> path_params;
    std::string allow;  // For kMethodNotAllowed: "GET, POST".
  };

  // Registers a route. A duplicate (method, pattern) is a bug and aborts.
  void Add(std::string method, std::string pattern, RouteAccess access, Handler handler);
  // Every route, in registration order.
  std::vector<RouteInfo> ListRoutes() const;

  // Matches a decoded path.
  Match Find(const std::string& method, const std::string& path) const;
  const RouteInfo& route(size_t index) const { return routes_.at(index).info; }

  // Parses the target, matches, authenticates and authorizes, then calls the
  // handler (or answers the error itself). Returns the matched pattern for
  // logs and metrics ("unmatched" when none matched) and, when given, the
  // authenticated principal's name in `*principal_name`.
  std::string Handle(RawRequest request, const Authenticator& authenticator, Responder responder,
                     std::string* principal_name = nullptr) const;

  // Resolves the caller of an access-controlled route: a principal, or the
  // 401/403 response to send. Shared with the WebSocket upgrade.
  static std::optional<Response> Authorize(const RawRequest& request,
                                           const std::map<std::string, std::string>& query,
                                           const RouteAccess& access,
                                           const Authenticator& authenticator,
                                           std::optional<Principal>* principal);

 private:
  struct Route {
    RouteInfo info;
    std::vector<std::string> segments;
    size_t literal_segments = 0;
    Handler handler;
  };
  static bool MatchSegments(const Route& route, const std::vector<std::string_view>& path,
                            std::map<std::string, std::string>* params);

  std::vector<Route> routes_;
};

// Splits "/a/b?x=1" into a percent-decoded path and query parameters. Returns
// false (with a message) on malformed encoding or too many parameters.
bool ParseTarget(const std::string& target, std::string* path,
                 std::map<std::string, std::string>* query, std::string* error);

}  // namespace tranche::api
