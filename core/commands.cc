// Command names and target streams.
#include "core/commands.h"

#include <type_traits>

namespace tranche::core {

std::string_view CommandName(const Command& command) {
  return std::visit([](const auto& body) { return std::decay_t<decltype(body)>::kName; }, command);
}

const std::vector<std::string_view>& AllCommandNames() {
  static const std::vector<std::string_view>* const names = [] {
    auto* list = new std::vector<std::string_view>();
    [&]<size_t... I>(std::index_sequence<I...>) {
      (list->push_back(std::variant_alternative_t<I, Command>::kName), ...);
    }(std::make_index_sequence<std::variant_size_v<Command>>());
    return list;
  }();
  return *names;
}

std::string ProgrammeStream(std::string_view programme_id) {
  return "programme-" + std::string(programme_id);
}

std::string ClusterStream(std::string_view cluster_id) {
  return "cluster-" + std::string(cluster_id);
}

std::string TargetStream(const Command& command) {
  return std::visit(
      [](const auto& body) -> std::string {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, OpenProgramme> || std::is_same_v<T, CloseFinancialYear>) {
          return ProgrammeStream(body.programme_id);
        } else {
          return ClusterStream(body.cluster_id);
        }
      },
      command);
}

}  // namespace tranche::core
