// api/openapi.yaml names exactly the routes RegisterAllRoutes serves.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>

#include "api/routes/register_all_routes.h"

namespace tranche::api {
namespace {

// "GET /v1/events" for every operation under `paths:`. Reads the YAML layout
// the file keeps: two-space indented path keys, four-space indented methods.
std::set<std::string> OpenApiRoutes(const std::string& file) {
  std::ifstream in(file);
  std::set<std::string> routes;
  std::string line, path;
  bool in_paths = false;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] != ' ') {
      in_paths = line.rfind("paths:", 0) == 0;
      continue;
    }
    if (!in_paths) continue;
    if (line.rfind("  /", 0) == 0) {
      path = line.substr(2, line.find(':', 2) - 2);
      if (path.size() >= 2 && path.front() == '\'' && path.back() == '\'') path = path.substr(1, path.size() - 2);
      continue;
    }
    for (const char* method : {"get", "post", "put", "patch", "delete"}) {
      if (line == std::string("    ") + method + ":") {
        std::string upper = method;
        for (char& c : upper) c = static_cast<char>(std::toupper(c));
        routes.insert(upper + " " + path);
      }
    }
  }
  return routes;
}

TEST(OpenApiTest, YamlNamesExactlyTheServedRoutes) {
  Router router;
  RegisterAllRoutes(router, RouteContext{});
  std::set<std::string> served;
  for (const auto& route : router.ListRoutes()) served.insert(route.method + " " + route.pattern);
  std::set<std::string> documented = OpenApiRoutes(std::string(TRANCHE_SOURCE_DIR) + "/api/openapi.yaml");
  ASSERT_FALSE(documented.empty());
  for (const auto& route : served) EXPECT_TRUE(documented.count(route)) << "not in openapi.yaml: " << route;
  for (const auto& route : documented) EXPECT_TRUE(served.count(route)) << "not served: " << route;
}

}  // namespace
}  // namespace tranche::api
