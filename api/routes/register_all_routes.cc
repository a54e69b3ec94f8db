// The route table.
#include "api/routes/register_all_routes.h"

#include "api/routes/domain_routes.h"

namespace tranche::api {

void RegisterAllRoutes(Router& router, const RouteContext& context) {
  RegisterCoreRoutes(router, context);
  RegisterCommandRoutes(router, context);
  RegisterStateRoutes(router, context);
  RegisterExportRoutes(router, context);
}

}  // namespace tranche::api
