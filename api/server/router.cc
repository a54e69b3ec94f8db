// Route matching, target parsing and access checks.
#include "api/server/router.h"

#include <exception>

#include "api/server/error_response.h"
#include "api/server/limits.h"
#include "core/check.h"

namespace tranche::api {
namespace {

// A path's segments, viewing `path`.
std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> segments;
  segments.reserve(8);  // Every route has fewer: one allocation.
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    segments.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return segments;
}

bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= in.size()) return false;
      auto hex = [](char h) -> int {
        if (h >= '0' && h <= '9') return h - '0';
        if (h >= 'a' && h <= 'f') return h - 'a' + 10;
        if (h >= 'A' && h <= 'F') return h - 'A' + 10;
        return -1;
      };
      int high = hex(in[i + 1]), low = hex(in[i + 2]);
      if (high < 0 || low < 0) return false;
      out->push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else {
      out->push_back(c);
    }
  }
  return true;
}

std::string BearerToken(const std::string& authorization) {
  constexpr std::string_view kScheme = "Bearer ";
  if (authorization.size() <= kScheme.size()) return "";
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) !=
        std::tolower(static_cast<unsigned char>(kScheme[i]))) {
      return "";
    }
  }
  return authorization.substr(kScheme.size());
}

}  // namespace

bool RouteAccess::Allows(RoleSet principal_roles) const {
  if (is_public) return true;
  return principal_roles.Contains(Role::kAdmin) || principal_roles.Intersects(roles);
}

bool ParseTarget(const std::string& target, std::string* path,
                 std::map<std::string, std::string>* query, std::string* error) {
  size_t question = target.find('?');
  std::string raw_path = target.substr(0, question);
  if (raw_path.empty() || raw_path[0] != '/') {
    *error = "the request target must start with /";
    return false;
  }
  if (!PercentDecode(raw_path, false, path)) {
    *error = "malformed percent-encoding in the path";
    return false;
  }
  query->clear();
  if (question == std::string::npos) return true;
  std::string_view rest = std::string_view(target).substr(question + 1);
  size_t count = 0;
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    if (++count > kHttpQueryParamsMax) {
      *error = "too many query parameters";
      return false;
    }
    size_t equals = pair.find('=');
    std::string name, value;
    if (!PercentDecode(pair.substr(0, equals), true, &name) ||
        (equals != std::string_view::npos &&
         !PercentDecode(pair.substr(equals + 1), true, &value))) {
      *error = "malformed percent-encoding in the query";
      return false;
    }
    (*query)[name] = value;
  }
  return true;
}

void Router::Add(std::string method, std::string pattern, RouteAccess access, Handler handler) {
  TRANCHE_CHECK(!pattern.empty() && pattern[0] == '/');
  TRANCHE_CHECK(handler != nullptr);
  for (const auto& route : routes_) {
    TRANCHE_CHECK_MSG(!(route.info.method == method && route.info.pattern == pattern),
                      "duplicate route");
  }
  Route route;
  for (const std::string_view segment : SplitPath(pattern)) route.segments.emplace_back(segment);
  for (const auto& segment : route.segments) {
    if (!(segment.size() >= 2 && segment.front() == '{' && segment.back() == '}')) {
      ++route.literal_segments;
    }
  }
  route.info = RouteInfo{std::move(method), std::move(pattern), access};
  route.handler = std::move(handler);
  routes_.push_back(std::move(route));
}

std::vector<RouteInfo> Router::ListRoutes() const {
  std::vector<RouteInfo> out;
  for (const auto& route : routes_) out.push_back(route.info);
  return out;
}

bool Router::MatchSegments(const Route& route, const std::vector<std::string_view>& path,
                           std::map<std::string, std::string>* params) {
  if (route.segments.size() != path.size()) return false;
  params->clear();
  for (size_t i = 0; i < path.size(); ++i) {
    const std::string& segment = route.segments[i];
    if (segment.size() >= 2 && segment.front() == '{' && segment.back() == '}') {
      if (path[i].empty()) return false;
      (*params)[segment.substr(1, segment.size() - 2)] = std::string(path[i]);
    } else if (segment != path[i]) {
      return false;
    }
  }
  return true;
}

Router::Match Router::Find(const std::string& method, const std::string& path) const {
  Match match;
  const std::vector<std::string_view> segments = SplitPath(path);
  std::map<std::string, std::string> params;
  long best = -1;
  for (size_t i = 0; i < routes_.size(); ++i) {
    if (!MatchSegments(routes_[i], segments, &params)) continue;
    if (routes_[i].info.method != method) {
      if (match.allow.find(routes_[i].info.method) == std::string::npos) {
        match.allow += (match.allow.empty() ? "" : ", ") + routes_[i].info.method;
      }
      continue;
    }
    if (static_cast<long>(routes_[i].literal_segments) > best) {
      best = static_cast<long>(routes_[i].literal_segments);
      match.kind = MatchKind::kFound;
      match.route_index = i;
      match.path_params = params;
    }
  }
  if (match.kind != MatchKind::kFound && !match.allow.empty()) {
    match.kind = MatchKind::kMethodNotAllowed;
  }
  return match;
}

std::optional<Response> Router::Authorize(const RawRequest& request,
                                          const std::map<std::string, std::string>& query,
                                          const RouteAccess& access,
                                          const Authenticator& authenticator,
                                          std::optional<Principal>* principal) {
  if (access.is_public) return std::nullopt;
  std::string token = BearerToken(request.authorization);
  if (token.empty() && request.allow_query_token) {
    auto it = query.find("access_token");
    if (it != query.end()) token = it->second;
  }
  if (token.empty()) {
    Response response = ErrorResponse(kHttpUnauthorized, "unauthorized", "a bearer token is required");
    response.headers.emplace_back("WWW-Authenticate", "Bearer");
    return response;
  }
  *principal = authenticator.Authenticate(token);
  if (!principal->has_value()) {
    Response response = ErrorResponse(kHttpUnauthorized, "unauthorized", "the token is not valid");
    response.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
    return response;
  }
  if (!access.Allows((*principal)->roles)) {
    return ErrorResponse(kHttpForbidden, "forbidden", "this role may not do this",
                         {{"roles_allowed", access.roles.Names()}});
  }
  return std::nullopt;
}

std::string Router::Handle(RawRequest request, const Authenticator& authenticator,
                           Responder responder, std::string* principal_name) const {
  RequestContext context;
  std::string error;
  if (!ParseTarget(request.target, &context.path, &context.query_params, &error)) {
    responder.Send(ErrorResponse(kHttpBadRequest, "bad_request", error, {{"field", "target"}}));
    return "unmatched";
  }
  Match match = Find(request.method, context.path);
  if (match.kind == MatchKind::kNotFound) {
    responder.Send(ErrorResponse(kHttpNotFound, "not_found", "no such resource",
                                 {{"path", context.path}}));
    return "unmatched";
  }
  if (match.kind == MatchKind::kMethodNotAllowed) {
    Response response = ErrorResponse(kHttpMethodNotAllowed, "method_not_allowed",
                                      request.method + " is not allowed here",
                                      {{"allow", match.allow}});
    response.headers.emplace_back("Allow", match.allow);
    responder.Send(std::move(response));
    return "unmatched";
  }
  const Route& route = routes_[match.route_index];
  if (auto denied = Authorize(request, context.query_params, route.info.access, authenticator,
                              &context.principal)) {
    responder.Send(std::move(*denied));
    return route.info.pattern;
  }
  if (principal_name != nullptr && context.principal) *principal_name = context.principal->name;
  context.method = std::move(request.method);
  context.target = std::move(request.target);
  context.route = route.info.pattern;
  context.path_params = std::move(match.path_params);
  context.body = std::move(request.body);
  context.content_type = std::move(request.content_type);
  context.remote = std::move(request.remote);
  try {
    route.handler(std::move(context), responder);
  } catch (const std::exception& e) {
    // Exceptions from Boost or nlohmann stop here: a 500 rather than a crash.
    responder.Send(ErrorResponse(500, "internal", "the handler failed"));
  }
  return route.info.pattern;
}

}  // namespace tranche::api
