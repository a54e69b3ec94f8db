// A command's canonical JSON body and an event's payload, written straight
// from the typed values.
//
// The content digest hashes CommandBodyToJson(command).dump(): nlohmann's
// DOM with its keys in std::map order, dumped without spaces. Building that
// DOM (a map node and a string per field) and dumping it was the biggest
// single cost of deciding a command (bench/README.md). This writer produces
// the same bytes directly; tests/core/command_json_test.cc holds it to the
// DOM's output for every command and for strings of every byte, and
// tests/core/codec_test.cc holds AppendEventJson to EventToJson's dump for
// every event type (a command's 200 answer carries its events' payloads).
#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/check.h"
#include "core/fields.h"
#include "core/ids.h"
#include "core/json/json_codec.h"

namespace tranche::core {
namespace {

// Appends `text` as a JSON string exactly as nlohmann's dump spells it with
// ensure_ascii off: \" \\ \b \f \n \r \t, \u00xx (lower-case hex) for the
// other bytes below 0x20, every other byte as it is. False when `text` is not
// valid UTF-8 (dump throws then).
bool AppendString(std::string_view text, std::string* out) {
  if (!IsValidUtf8(text)) return false;
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t plain_from = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte != '"' && byte != '\\') continue;
    out->append(text.data() + plain_from, i - plain_from);
    plain_from = i + 1;
    switch (byte) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default: {
        const char escaped[] = {'\\', 'u', '0', '0', kHex[byte >> 4], kHex[byte & 15]};
        out->append(escaped, sizeof escaped);
      }
    }
  }
  out->append(text.data() + plain_from, text.size() - plain_from);
  out->push_back('"');
  return true;
}

template <typename Integer>
void AppendInteger(Integer value, std::string* out) {
  char digits[24];
  const auto [end, error] = std::to_chars(digits, digits + sizeof digits, value);
  TRANCHE_CHECK(error == std::errc());
  out->append(digits, end);
}

// An object's members, each value written into one scratch string as it
// comes, then put out in key order (std::map's, which nlohmann's objects
// use). Keys are views: field names are literals, map keys live in the map
// or in `owned_keys`. Up to kInlineMembers members are held in place, and
// the scratch string starts with room for a typical object, so that writing
// a command or an event allocates once per object rather than per member.
class Members {
 public:
  explicit Members(size_t expected) {
    if (expected > kInlineMembers) spilled_.reserve(expected);
    scratch_.reserve(kScratchBytes);
  }
  void Start(std::string_view key) {
    const Member member{key, scratch_.size(), 0};
    if (size_ < kInlineMembers && spilled_.empty()) {
      inline_[size_] = member;
    } else {
      if (spilled_.empty()) spilled_.assign(inline_.begin(), inline_.begin() + size_);
      spilled_.push_back(member);
    }
    ++size_;
  }
  void End() { data()[size_ - 1].end = scratch_.size(); }
  std::string* scratch() { return &scratch_; }

  // Writes {"key":value,...}; a key given twice keeps its last value, as an
  // assignment to a json object would.
  bool AppendTo(std::string* out) {
    Member* members = data();
    // Insertion sort: a handful of members, stable, and no allocation.
    for (size_t i = 1; i < size_; ++i) {
      for (size_t j = i; j > 0 && members[j].key < members[j - 1].key; --j) {
        std::swap(members[j], members[j - 1]);
      }
    }
    out->push_back('{');
    bool first = true;
    for (size_t i = 0; i < size_; ++i) {
      if (i + 1 < size_ && members[i + 1].key == members[i].key) continue;
      if (!first) out->push_back(',');
      first = false;
      if (!AppendString(members[i].key, out)) return false;
      out->push_back(':');
      out->append(scratch_, members[i].begin, members[i].end - members[i].begin);
    }
    out->push_back('}');
    return true;
  }

 private:
  static constexpr size_t kInlineMembers = 16;
  static constexpr size_t kScratchBytes = 256;
  struct Member {
    std::string_view key;
    size_t begin;  // The value, in scratch_.
    size_t end;
  };
  Member* data() { return spilled_.empty() ? inline_.data() : spilled_.data(); }

  std::array<Member, kInlineMembers> inline_;
  std::vector<Member> spilled_;  // All of them, once there are more.
  size_t size_ = 0;
  std::string scratch_;
};

// Enough for any command's object without growing (the largest has 8 fields
// beside the envelope's 3).
constexpr size_t kMembersExpected = 12;

// Mirrors json_internal::ToJson (json_fields.h) value for value.
template <typename T>
bool AppendValue(const T& value, std::string* out);

template <typename T>
bool AppendFields(const T& record, Members* members) {
  bool ok = true;
  VisitFields(record, [members, &ok](const char* name, const auto& field) {
    using F = std::decay_t<decltype(field)>;
    if constexpr (IsOptional<F>::value) {
      if (!field.has_value()) return;  // Absent: omitted.
      members->Start(name);
      ok = AppendValue(*field, members->scratch()) && ok;
    } else {
      members->Start(name);
      ok = AppendValue(field, members->scratch()) && ok;
    }
    members->End();
  });
  return ok;
}

template <typename T>
bool AppendValue(const T& value, std::string* out) {
  if constexpr (std::is_same_v<T, std::string>) {
    return AppendString(value, out);
  } else if constexpr (std::is_same_v<T, bool>) {
    out->append(value ? "true" : "false");
    return true;
  } else if constexpr (std::is_same_v<T, uint64_t>) {
    AppendInteger(value, out);
    return true;
  } else if constexpr (std::is_same_v<T, Pence>) {
    AppendInteger(value.value(), out);
    return true;
  } else if constexpr (std::is_same_v<T, Date>) {
    return AppendString(value.ToString(), out);
  } else if constexpr (std::is_same_v<T, FinancialYear>) {
    return AppendString(value.Label(), out);
  } else if constexpr (std::is_same_v<T, Sector>) {
    return AppendString(SectorName(value), out);
  } else if constexpr (std::is_same_v<T, BidStatus>) {
    return AppendString(BidStatusName(value), out);
  } else if constexpr (IsVector<T>::value || std::is_same_v<T, std::set<std::string>>) {
    out->push_back('[');
    bool first = true;
    for (const auto& item : value) {
      if (!first) out->push_back(',');
      first = false;
      if (!AppendValue(item, out)) return false;
    }
    out->push_back(']');
    return true;
  } else if constexpr (IsMap<T>::value) {
    Members members(value.size());
    std::vector<std::string> owned_keys;  // Reserved: its strings never move.
    owned_keys.reserve(value.size());
    for (const auto& [key, item] : value) {
      if constexpr (std::is_same_v<typename T::key_type, std::string>) {
        members.Start(key);
      } else {
        members.Start(owned_keys.emplace_back(key.Label()));
      }
      if (!AppendValue(item, members.scratch())) return false;
      members.End();
    }
    return members.AppendTo(out);
  } else {
    static_assert(HasFields<const T>);
    Members members(kMembersExpected);
    return AppendFields(value, &members) && members.AppendTo(out);
  }
}

}  // namespace

bool AppendCommandBodyJson(const CommandEnvelope& command, std::string* out) {
  Members members(kMembersExpected);
  const bool fields_ok =
      std::visit([&members](const auto& typed) { return AppendFields(typed, &members); },
                 command.body);
  if (!fields_ok) return false;
  // The envelope's fields, assigned after the body's as CommandBodyToJson does.
  members.Start("command_id");
  if (!AppendString(command.command_id, members.scratch())) return false;
  members.End();
  if (command.expected_version) {
    members.Start("expected_version");
    AppendInteger(*command.expected_version, members.scratch());
    members.End();
  }
  if (!command.reason.empty()) {
    members.Start("reason");
    if (!AppendString(command.reason, members.scratch())) return false;
    members.End();
  }
  return members.AppendTo(out);
}

bool AppendEventJson(const Event& event, std::string* out) {
  return std::visit([out](const auto& payload) { return AppendValue(payload, out); }, event);
}

}  // namespace tranche::core
