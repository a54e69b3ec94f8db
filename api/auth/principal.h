// Roles and the principal a bearer token stands for.
//
// A value type: safe to copy between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tranche::api {

// Roles of DESIGN.md "Access". `admin` may do everything.
enum class Role : uint8_t { kFinance, kProgramme, kAuditor, kViewer, kAdmin };

inline constexpr Role kAllRoles[] = {Role::kFinance, Role::kProgramme, Role::kAuditor,
                                     Role::kViewer, Role::kAdmin};

std::string_view RoleName(Role role);
// "finance" → kFinance; nullopt for an unknown name.
std::optional<Role> ParseRole(std::string_view name);

// A set of roles as a bit mask.
class RoleSet {
 public:
  RoleSet() = default;
  RoleSet(std::initializer_list<Role> roles) {
    for (Role role : roles) Add(role);
  }
  void Add(Role role) { bits_ |= Bit(role); }
  bool Contains(Role role) const { return (bits_ & Bit(role)) != 0; }
  bool Intersects(RoleSet other) const { return (bits_ & other.bits_) != 0; }
  bool empty() const { return bits_ == 0; }
  std::vector<std::string> Names() const;
  bool operator==(const RoleSet&) const = default;

 private:
  static uint32_t Bit(Role role) { return 1u << static_cast<uint32_t>(role); }
  uint32_t bits_ = 0;
};

// Who made a request: the token's name (the events' actor) and its roles.
struct Principal {
  std::string name;
  RoleSet roles;
};

}  // namespace tranche::api
