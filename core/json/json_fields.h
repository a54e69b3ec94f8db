// Internal to core/json: the generic JSON writer and reader for every record
// that core/fields.h describes. Not for use outside core/json.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/fields.h"
#include "core/json/json_lite.h"

namespace tranche::core::json_internal {

// A JSON path ("requested.2009/10") and the rule the value there broke.
struct FieldError {
  std::string field;
  std::string rule;
};

inline std::string KeyText(const std::string& key) { return key; }
inline std::string KeyText(std::string_view key) { return std::string(key); }
inline std::string KeyText(FinancialYear key) { return key.Label(); }

template <typename T>
nlohmann::json ToJson(const T& value) {
  if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, bool> ||
                std::is_same_v<T, uint64_t>) {
    return value;
  } else if constexpr (std::is_same_v<T, Pence>) {
    return value.value();
  } else if constexpr (std::is_same_v<T, Date>) {
    return value.ToString();
  } else if constexpr (std::is_same_v<T, FinancialYear>) {
    return value.Label();
  } else if constexpr (std::is_same_v<T, Sector>) {
    return SectorName(value);
  } else if constexpr (std::is_same_v<T, BidStatus>) {
    return BidStatusName(value);
  } else if constexpr (IsVector<T>::value || std::is_same_v<T, std::set<std::string>>) {
    nlohmann::json array = nlohmann::json::array();
    for (const auto& item : value) array.push_back(ToJson(item));
    return array;
  } else if constexpr (IsMap<T>::value || std::is_same_v<T, TrancheTable>) {
    nlohmann::json object = nlohmann::json::object();
    for (const auto& [key, item] : value) object[KeyText(key)] = ToJson(item);
    return object;
  } else {
    static_assert(HasFields<const T>);
    nlohmann::json object = nlohmann::json::object();
    VisitFields(value, [&object](const char* name, const auto& field) {
      using F = std::decay_t<decltype(field)>;
      if constexpr (IsOptional<F>::value) {
        if (field.has_value()) object[name] = ToJson(*field);  // Absent: omitted.
      } else {
        object[name] = ToJson(field);
      }
    });
    return object;
  }
}

// A string value's text, whichever document holds it.
inline std::string_view TextOf(const nlohmann::json& json) {
  return json.get_ref<const std::string&>();
}
inline std::string_view TextOf(const JsonLite& json) { return json.text(); }

// Reads JSON into typed values; the first error wins and stops the rest.
// `Json` is nlohmann::json or JsonLite (json_lite.h), which answer the same
// questions alike.
class JsonReader {
 public:
  const std::optional<FieldError>& error() const { return error_; }

  // Reads the record `value` from the object `json`, whose keys may also
  // include `besides` (read elsewhere); any other key is an unknown_field.
  template <typename Json, typename T, size_t N>
  void ReadBesides(const Json& json, const std::string_view (&besides)[N], T& value) {
    if (error_) return;
    ReadRecord(json, "", value, std::span<const std::string_view>(besides));
  }

  template <typename Json, typename T>
  void Read(const Json& json, const std::string& path, T& value) {
    if (error_) return;
    if constexpr (std::is_same_v<T, std::string>) {
      if (Expect(json.is_string(), path, "not_a_string")) value = json.template get<std::string>();
    } else if constexpr (std::is_same_v<T, bool>) {
      if (Expect(json.is_boolean(), path, "not_a_boolean")) value = json.template get<bool>();
    } else if constexpr (std::is_same_v<T, uint64_t>) {
      if (Expect(json.is_number_unsigned() ||
                     (json.is_number_integer() && json.template get<int64_t>() >= 0),
                 path, "not_a_non_negative_integer")) {
        value = json.template get<uint64_t>();
      }
    } else if constexpr (std::is_same_v<T, Pence>) {
      ReadPence(json, path, value);
    } else if constexpr (std::is_same_v<T, Date> || std::is_same_v<T, FinancialYear> ||
                         std::is_same_v<T, Sector> || std::is_same_v<T, BidStatus>) {
      ReadTextual(json, path, value);
    } else {
      ReadComposite(json, path, value);
    }
  }

 private:
  bool Expect(bool condition, const std::string& path, const char* rule) {
    if (!condition && !error_) error_ = FieldError{path, rule};
    return condition && !error_;
  }

  static std::string Join(const std::string& path, const std::string& name) {
    return path.empty() ? name : path + "." + name;
  }

  template <typename Json>
  void ReadPence(const Json& json, const std::string& path, Pence& value) {
    if (!Expect(json.is_number_integer(), path, "not_an_integer")) return;
    constexpr auto kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    if (json.is_number_unsigned() &&
        !Expect(json.template get<uint64_t>() <= kMax, path, "too_large")) {
      return;
    }
    value = Pence(json.template get<int64_t>());
  }

  template <typename Json, typename T>
  void ReadTextual(const Json& json, const std::string& path, T& value) {
    if (!Expect(json.is_string(), path, "not_a_string")) return;
    const std::string_view text = TextOf(json);
    if constexpr (std::is_same_v<T, Date>) {
      StatusOr<Date> date = ParseDate(text);
      if (Expect(date.ok(), path, "invalid_date")) value = *date;
    } else if constexpr (std::is_same_v<T, FinancialYear>) {
      StatusOr<FinancialYear> year = FinancialYear::Parse(text);
      if (Expect(year.ok(), path, "invalid_financial_year")) value = *year;
    } else if constexpr (std::is_same_v<T, Sector>) {
      std::optional<Sector> sector = ParseSector(text);
      if (Expect(sector.has_value(), path, "unknown_sector")) value = *sector;
    } else {
      std::optional<BidStatus> status = ParseBidStatus(text);
      if (Expect(status.has_value(), path, "unknown_status")) value = *status;
    }
  }

  template <typename Json, typename T>
  void ReadComposite(const Json& json, const std::string& path, T& value) {
    if constexpr (IsVector<T>::value || std::is_same_v<T, std::set<std::string>>) {
      if (!Expect(json.is_array(), path, "not_an_array")) return;
      for (size_t i = 0; i < json.size() && !error_; ++i) {
        typename T::value_type item{};
        Read(json[i], path + "[" + std::to_string(i) + "]", item);
        if constexpr (IsVector<T>::value) {
          value.push_back(std::move(item));
        } else {
          Expect(value.insert(std::move(item)).second, path, "duplicate");
        }
      }
    } else if constexpr (std::is_same_v<T, TrancheTable>) {
      if (!Expect(json.is_object(), path, "not_an_object")) return;
      for (const auto& item : json.items()) {
        const std::string reference(item.key());
        Tranche tranche;
        Read(item.value(), Join(path, reference), tranche);
        if (error_) return;
        value.Insert(reference, std::move(tranche));  // JSON keys are unique.
      }
    } else if constexpr (IsMap<T>::value) {
      if (!Expect(json.is_object(), path, "not_an_object")) return;
      for (const auto& item : json.items()) {
        const std::string key_text(item.key());
        const std::string item_path = Join(path, key_text);
        typename T::key_type key{};
        if constexpr (std::is_same_v<typename T::key_type, FinancialYear>) {
          StatusOr<FinancialYear> year = FinancialYear::Parse(key_text);
          if (!Expect(year.ok(), item_path, "invalid_financial_year")) return;
          key = *year;
        } else {
          key = key_text;
        }
        Read(item.value(), item_path, value[key]);
      }
    } else {
      ReadRecord(json, path, value);
    }
  }

  template <typename Json, typename T>
  void ReadRecord(const Json& json, const std::string& path, T& value,
                  std::span<const std::string_view> besides = {}) {
    static_assert(HasFields<T>);
    if (!Expect(json.is_object(), path, "not_an_object")) return;
    size_t known = 0;
    for (const std::string_view name : besides) known += json.contains(name) ? 1 : 0;
    VisitFields(value, [&](const char* name, auto& field) {
      using F = std::decay_t<decltype(field)>;
      const auto found = json.find(name);
      if (found == json.end()) {
        Expect(IsOptional<F>::value, Join(path, name), "missing");
        return;
      }
      ++known;
      if (IsOptional<F>::value && found->is_null()) return;  // null: absent.
      if constexpr (IsOptional<F>::value) {
        Read(*found, Join(path, name), field.emplace());
      } else {
        Read(*found, Join(path, name), field);
      }
    });
    if (known == json.size() || error_) return;
    for (const auto& item : json.items()) {
      // Not a structured binding: clang before 16 cannot capture one in a lambda.
      const std::string_view key = item.key();
      bool listed = std::find(besides.begin(), besides.end(), key) != besides.end();
      VisitFields(value, [&](const char* name, auto&) { listed = listed || key == name; });
      if (!Expect(listed, Join(path, std::string(key)), "unknown_field")) return;
    }
  }

  std::optional<FieldError> error_;
};

}  // namespace tranche::core::json_internal
