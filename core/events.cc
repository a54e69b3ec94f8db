// Event type names and streams.
#include "core/events.h"

#include <array>
#include <type_traits>

namespace tranche::core {
namespace {

// In the order of Event's alternatives; these strings are stored on disk.
constexpr std::array<std::string_view, std::variant_size_v<Event>> kEventTypeNames = {
    "ProgrammeOpened", "BidSubmitted",  "BidAwarded",      "BidRejected",
    "AwardAmended",    "MemberAdded",   "MemberRemoved",   "TrancheRecorded",
    "TrancheReversed", "FinancialYearClosed"};

}  // namespace

std::string_view EventTypeName(const Event& event) { return kEventTypeNames[event.index()]; }

const std::vector<std::string_view>& AllEventTypeNames() {
  static const std::vector<std::string_view>* const names =
      new std::vector<std::string_view>(kEventTypeNames.begin(), kEventTypeNames.end());
  return *names;
}

std::string EventStream(const Event& event) {
  return std::visit(
      [](const auto& payload) -> std::string {
        using T = std::decay_t<decltype(payload)>;
        if constexpr (std::is_same_v<T, ProgrammeOpened> || std::is_same_v<T, FinancialYearClosed>) {
          return ProgrammeStream(payload.programme_id);
        } else {
          return ClusterStream(payload.cluster_id);
        }
      },
      event);
}

bool IsEventStream(std::string_view stream, const Event& event) {
  return std::visit(
      [stream](const auto& payload) {
        using T = std::decay_t<decltype(payload)>;
        constexpr bool kProgramme =
            std::is_same_v<T, ProgrammeOpened> || std::is_same_v<T, FinancialYearClosed>;
        constexpr std::string_view kPrefix = kProgramme ? "programme-" : "cluster-";
        std::string_view id;
        if constexpr (kProgramme) {
          id = payload.programme_id;
        } else {
          id = payload.cluster_id;
        }
        return stream.size() == kPrefix.size() + id.size() && stream.starts_with(kPrefix) &&
               stream.substr(kPrefix.size()) == id;
      },
      event);
}

}  // namespace tranche::core
