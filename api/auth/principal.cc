// Role names.
#include "api/auth/principal.h"

namespace tranche::api {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kFinance: return "finance";
    case Role::kProgramme: return "programme";
    case Role::kAuditor: return "auditor";
    case Role::kViewer: return "viewer";
    case Role::kAdmin: return "admin";
  }
  return "unknown";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (Role role : kAllRoles) {
    if (RoleName(role) == name) return role;
  }
  return std::nullopt;
}

std::vector<std::string> RoleSet::Names() const {
  std::vector<std::string> names;
  for (Role role : kAllRoles) {
    if (Contains(role)) names.emplace_back(RoleName(role));
  }
  return names;
}

}  // namespace tranche::api
