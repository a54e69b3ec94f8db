// ByteWriter / ByteReader: the compact binary layout shared by the event
// payload codec (event_codec.cc) and the write model's snapshot
// (state_snapshot.cc).
//
// Layout (little-endian base-128 varints):
//   string         varint byte length, then the bytes (valid UTF-8)
//   Pence          zigzag varint of the int64 value
//   Date           zigzag varint of days since 1970-01-01
//   FinancialYear  varint start year
//   Sector, bool   varint
//   optional<T>    byte 0 (absent) or 1, then T
//   vector<T>      varint count, then each T
//   map<K, V>      varint count, then each key and value, keys strictly increasing
//   records        their fields in VisitFields order (core/fields.h)
//   PackedDate     varint year << 9 | month << 5 | day (snapshots only)
//
// Thread-safety: values; one thread each.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/fields.h"
#include "core/ids.h"

namespace tranche::core {

class ByteWriter {
 public:
  void Varint(uint64_t value) {
    while (value >= 0x80) {
      out_.push_back(static_cast<char>((value & 0x7F) | 0x80));
      value >>= 7;
    }
    out_.push_back(static_cast<char>(value));
  }
  void Signed(int64_t value) {
    Varint((static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63));
  }

  template <typename T>
  void Write(const T& value) {
    if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::string_view>) {
      Varint(value.size());
      out_.append(value);
    } else if constexpr (std::is_same_v<T, Pence>) {
      Signed(value.value());
    } else if constexpr (std::is_same_v<T, Date>) {
      Signed(value.DaysSinceEpoch());
    } else if constexpr (std::is_same_v<T, FinancialYear>) {
      Varint(static_cast<uint64_t>(value.start_year()));
    } else if constexpr (std::is_same_v<T, Sector> || std::is_same_v<T, bool>) {
      Varint(static_cast<uint64_t>(value));
    } else if constexpr (IsOptional<T>::value) {
      Varint(value.has_value() ? 1 : 0);
      if (value) Write(*value);
    } else if constexpr (IsVector<T>::value) {
      Varint(value.size());
      for (const auto& item : value) Write(item);
    } else if constexpr (IsMap<T>::value) {
      Varint(value.size());
      for (const auto& [key, item] : value) {
        Write(key);
        Write(item);
      }
    } else {
      static_assert(HasFields<const T>);
      VisitFields(value, [this](const char*, const auto& field) { Write(field); });
    }
  }

  // A date as one varint of year << 9 | month << 5 | day: no calendar
  // arithmetic either way (snapshots; the event payloads keep Write(Date)).
  void PackedDate(Date date) {
    Varint(static_cast<uint64_t>(date.year()) << 9 | static_cast<uint64_t>(date.month()) << 5 |
           static_cast<uint64_t>(date.day()));
  }
  // Bytes as they are, with no length: the reader must know how many.
  void Raw(std::string_view bytes) { out_.append(bytes); }
  size_t size() const { return out_.size(); }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// Reads what ByteWriter wrote. The first failure latches `ok_` false and every
// later read is a no-op, so the caller checks once at the end.
class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}

  bool ok() const { return ok_; }
  bool AtEnd() const { return pos_ == bytes_.size(); }
  // Bytes read so far.
  size_t offset() const { return pos_; }
  // Latches the failure when `condition` is false (a caller's own check).
  void Require(bool condition) { ok_ = ok_ && condition; }

  // What PackedDate wrote; a date that does not exist fails the read.
  // Runs of the same date are common, so the last one is kept.
  Date PackedDate() {
    const uint64_t packed = Varint();
    if (packed == last_packed_date_ && ok_) return last_date_;
    const std::optional<Date> date =
        Date::FromYmd(static_cast<int>(std::min<uint64_t>(packed >> 9, kYearMax + 1)),
                      static_cast<int>(packed >> 5 & 15), static_cast<int>(packed & 31));
    Require(date.has_value());
    if (!date) return Date();
    last_packed_date_ = packed;
    last_date_ = *date;
    return *date;
  }
  // A length-prefixed string, without copying: valid UTF-8, viewing the input.
  std::string_view StringView() {
    const size_t size = Count();
    if (!ok_) return {};
    const std::string_view text = bytes_.substr(pos_, size);
    pos_ += size;
    Require(IsValidUtf8(text));
    return ok_ ? text : std::string_view();
  }

  // The next `size` bytes as they are (what Raw wrote), viewing the input.
  std::string_view Raw(size_t size) {
    Require(size <= bytes_.size() - pos_);
    if (!ok_) return {};
    const std::string_view raw(bytes_.data() + pos_, size);
    pos_ += size;
    return raw;
  }

  // Inlined: a snapshot's load and a replay's decode read tens of millions,
  // and a call cost more than the one-byte case it mostly is.
  [[gnu::always_inline]] uint64_t Varint() {
    // Most values here are below 128: one byte, no loop.
    if (ok_ && pos_ < bytes_.size() && static_cast<uint8_t>(bytes_[pos_]) < 0x80) {
      return static_cast<uint8_t>(bytes_[pos_++]);
    }
    return VarintSlow();
  }
  uint64_t VarintSlow() {
    // Ten bytes left (the longest varint): no bounds check per byte.
    if (ok_ && bytes_.size() - pos_ >= 10) {
      const auto* p = reinterpret_cast<const uint8_t*>(bytes_.data() + pos_);
      uint64_t value = 0;
      for (int i = 0; i < 10; ++i) {
        const uint8_t byte = p[i];
        value |= static_cast<uint64_t>(byte & 0x7F) << (7 * i);
        if (byte < 0x80) {
          // Canonical only: no final zero byte after the first, no bits
          // past 64.
          if ((byte == 0 && i > 0) || (i == 9 && byte > 1)) break;
          pos_ += static_cast<size_t>(i) + 1;
          return value;
        }
      }
      ok_ = false;
      return 0;
    }
    uint64_t value = 0;
    for (int shift = 0; ok_ && shift < 64; shift += 7) {
      if (pos_ >= bytes_.size()) break;
      const auto byte = static_cast<uint8_t>(bytes_[pos_++]);
      if (shift == 63 && byte > 1) break;
      value |= static_cast<uint64_t>(byte & 0x7F) << shift;
      // A final zero byte after the first would be an overlong, non-canonical form.
      if ((byte & 0x80) == 0) {
        if (byte == 0 && shift > 0) break;
        return value;
      }
    }
    ok_ = false;
    return 0;
  }
  int64_t Signed() {
    const uint64_t raw = Varint();
    return static_cast<int64_t>(raw >> 1) ^ -static_cast<int64_t>(raw & 1);
  }
  // A count of items that each take at least one byte: never more than remain.
  size_t Count() {
    const uint64_t count = Varint();
    if (count > bytes_.size() - pos_) ok_ = false;
    return ok_ ? static_cast<size_t>(count) : 0;
  }

  template <typename T>
  void Read(T& value) {
    if (!ok_) return;
    if constexpr (std::is_same_v<T, std::string>) {
      const size_t size = Count();
      if (ok_) value.assign(bytes_.substr(pos_, size));
      pos_ += size;
      Require(IsValidUtf8(value));
    } else if constexpr (std::is_same_v<T, Pence>) {
      value = Pence(Signed());
    } else if constexpr (std::is_same_v<T, Date>) {
      const int64_t days = Signed();
      Require(days >= kFirstDay && days <= kLastDay);
      if (ok_) value = Date::FromDaysSinceEpoch(days);
    } else if constexpr (std::is_same_v<T, FinancialYear>) {
      const uint64_t start = Varint();
      Require(start >= FinancialYear::kStartYearMin && start <= FinancialYear::kStartYearMax);
      if (ok_) value = FinancialYear::FromStartYear(static_cast<int>(start));
    } else if constexpr (std::is_same_v<T, Sector>) {
      const uint64_t index = Varint();
      Require(index < kAllSectors.size());
      if (ok_) value = kAllSectors[index];
    } else if constexpr (std::is_same_v<T, bool>) {
      const uint64_t flag = Varint();
      Require(flag <= 1);
      value = flag == 1;
    } else {
      ReadComposite(value);
    }
  }

 private:
  static inline const int64_t kFirstDay = Date::FromYmd(kYearMin, 1, 1)->DaysSinceEpoch();
  static inline const int64_t kLastDay = Date::FromYmd(kYearMax, 12, 31)->DaysSinceEpoch();

  template <typename T>
  void ReadComposite(T& value) {
    if constexpr (IsOptional<T>::value) {
      const uint64_t flag = Varint();
      Require(flag <= 1);
      if (ok_ && flag == 1) Read(value.emplace());
    } else if constexpr (IsVector<T>::value) {
      const size_t count = Count();
      for (size_t i = 0; ok_ && i < count; ++i) Read(value.emplace_back());
    } else if constexpr (IsMap<T>::value) {
      const size_t count = Count();
      for (size_t i = 0; ok_ && i < count; ++i) {
        typename T::key_type key{};
        typename T::mapped_type item{};
        Read(key);
        Read(item);
        // Strictly increasing keys keep the encoding canonical.
        Require(value.empty() || value.rbegin()->first < key);
        if (ok_) value.emplace(std::move(key), std::move(item));
      }
    } else {
      static_assert(HasFields<T>);
      VisitFields(value, [this](const char*, auto& field) { Read(field); });
    }
  }

  std::string_view bytes_;
  size_t pos_ = 0;
  bool ok_ = true;
  uint64_t last_packed_date_ = UINT64_MAX;  // No date packs to this.
  Date last_date_;
};

}  // namespace tranche::core
