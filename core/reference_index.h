// ReferenceIndex: a flat hash index from string keys (payment references)
// to small integers, for the write model and the read model.
//
// Thread-safety: a value; one writer, or any number of readers.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "core/check.h"
#include "core/prefault.h"

namespace tranche::core {

inline uint64_t ReferenceHash(std::string_view key) { return std::hash<std::string_view>{}(key); }

// Small integers (an index into a vector, an ordinal) by the hash of a
// string key: an open-addressing table with linear probing, kept at most
// half full, of 8-byte slots (32 bits of the hash, the value), so that it
// stays small for the cache and an insert is one probe into a flat array (a
// node-based multimap cost a third of replay: bench/README.md). The same 32
// bits pick the home slot and filter candidates; the caller's `matches`
// compares the key itself for each candidate, so colliding hashes are
// harmless and one key may be inserted once per value. Entries are never
// removed.
class ReferenceIndex {
 public:
  void Insert(uint64_t hash, size_t index) {
    TRANCHE_CHECK_MSG(index < kEmpty, "reference index value out of range");
    Reserve(used_ + 1);
    Place(Slot{static_cast<uint32_t>(hash), static_cast<uint32_t>(index)});
    ++used_;
  }
  // Grows the table now so that `entries` fit without growing again.
  void Reserve(size_t entries) {
    if (2 * entries <= slots_.size()) return;
    size_t size = std::max<size_t>(16, slots_.size());
    while (2 * entries > size) size *= 2;
    Rehash(size);  // Once, to the final size.
  }
  // Asks the cache for the home slot of `hash`, so that a batch of inserts
  // overlaps its cache misses instead of waiting for each in turn.
  void Prefetch(uint64_t hash) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[hash & (slots_.size() - 1)], 1);
  }
  // The first index with `hash` for which `matches(index)`, or nullopt.
  template <class Matches>
  std::optional<size_t> Find(uint64_t hash, Matches matches) const {
    if (slots_.empty()) return std::nullopt;
    const uint32_t bits = static_cast<uint32_t>(hash);
    const size_t mask = slots_.size() - 1;
    for (size_t i = bits & mask;; i = (i + 1) & mask) {
      const Slot& slot = slots_[i];
      if (slot.index == kEmpty) return std::nullopt;
      if (slot.bits == bits && matches(slot.index)) return slot.index;
    }
  }

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;
  struct Slot {
    uint32_t bits = 0;  // The hash's low 32 bits.
    uint32_t index = kEmpty;
  };
  void Place(Slot slot) {
    const size_t mask = slots_.size() - 1;
    size_t i = slot.bits & mask;
    while (slots_[i].index != kEmpty) i = (i + 1) & mask;
    slots_[i] = slot;
  }
  void Rehash(size_t size) {
    std::vector<Slot> fresh;
    ReservePrefaulted(fresh, size);  // Every slot is written just below.
    fresh.resize(size);
    std::vector<Slot> old = std::exchange(slots_, std::move(fresh));
    for (const Slot& slot : old) {
      if (slot.index != kEmpty) Place(slot);
    }
  }
  std::vector<Slot> slots_;  // Size: 0 or a power of two, at most 2^32.
  size_t used_ = 0;
};

}  // namespace tranche::core
