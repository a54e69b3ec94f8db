// The route table.
#include "api/routes/register_all_routes.h"

namespace tranche::api {

void RegisterAllRoutes(Router& router, const RouteContext& context) {
  RegisterCoreRoutes(router, context);
  // LEAD: RegisterCommandRoutes(router, context); RegisterStateRoutes(...);
  // RegisterExportRoutes(...) — then list each in api/openapi.yaml.
}

}  // namespace tranche::api
