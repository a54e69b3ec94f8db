// Tranche and TrancheTable: one cluster's tranches in the write model.
//
// The tranches are kept in the order they were recorded, in one vector,
// with a flat hash index by payment reference (core/reference_index.h): an
// insert is an append and one probe, where a std::map of tranches cost a
// node allocation and a walk of ~20 cache-missing levels, and a start-up
// snapshot loads the vector back as it was written (docs/DECISIONS.md §12).
//
// Thread-safety: a value; one writer, or any number of readers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/check.h"
#include "core/date.h"
#include "core/financial_year.h"
#include "core/money.h"
#include "core/reference_index.h"

namespace tranche::core {

struct Tranche {
  FinancialYear financial_year;
  Pence amount_pence;
  Date paid_on;
  bool reversed = false;
  std::string reversal_reason;  // "" unless reversed.
  bool operator==(const Tranche&) const = default;
};

class TrancheTable {
 public:
  struct Entry {
    std::string payment_reference;
    Tranche tranche;
    bool operator==(const Entry&) const = default;
  };

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  // In the order recorded; `for (const auto& [reference, tranche] : table)`.
  std::vector<Entry>::const_iterator begin() const { return entries_.begin(); }
  std::vector<Entry>::const_iterator end() const { return entries_.end(); }

  // nullptr when the reference is not here.
  const Tranche* Find(std::string_view payment_reference) const {
    const std::optional<size_t> index = index_.Find(
        ReferenceHash(payment_reference),
        [&](size_t i) { return entries_[i].payment_reference == payment_reference; });
    return index ? &entries_[*index].tranche : nullptr;
  }
  Tranche* FindMutable(std::string_view payment_reference) {
    return const_cast<Tranche*>(std::as_const(*this).Find(payment_reference));
  }
  bool Contains(std::string_view payment_reference) const {
    return Find(payment_reference) != nullptr;
  }

  // Appends the tranche; false, changing nothing, when its reference is
  // already here.
  bool Insert(std::string payment_reference, Tranche tranche) {
    const uint64_t hash = ReferenceHash(payment_reference);
    const bool taken = index_.Find(hash, [&](size_t i) {
      return entries_[i].payment_reference == payment_reference;
    }).has_value();
    if (taken) return false;
    index_.Insert(hash, entries_.size());
    entries_.push_back(Entry{std::move(payment_reference), std::move(tranche)});
    return true;
  }
  // Replaces the contents with `entries`, in their order, whose references
  // hash to `hashes` (ReferenceHash, one each), indexing them in one pass
  // with each slot fetched a few entries ahead (a snapshot's load). False,
  // leaving the table empty, when two share a reference.
  bool Assign(std::vector<Entry> entries, const std::vector<uint64_t>& hashes) {
    TRANCHE_CHECK_MSG(hashes.size() == entries.size(), "one hash per entry");
    entries_ = std::move(entries);
    index_ = ReferenceIndex();
    index_.Reserve(entries_.size());
    constexpr size_t kAhead = 8;
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (i + kAhead < entries_.size()) index_.Prefetch(hashes[i + kAhead]);
      const std::string& reference = entries_[i].payment_reference;
      const bool taken = index_.Find(hashes[i], [&](size_t j) {
        return entries_[j].payment_reference == reference;
      }).has_value();
      if (taken) {
        *this = TrancheTable();
        return false;
      }
      index_.Insert(hashes[i], i);
    }
    return true;
  }

  // The same tranches under the same references, whatever the order (a
  // table read back from JSON is in reference order, not recording order).
  bool operator==(const TrancheTable& other) const {
    if (size() != other.size()) return false;
    for (const Entry& entry : entries_) {
      const Tranche* theirs = other.Find(entry.payment_reference);
      if (theirs == nullptr || !(*theirs == entry.tranche)) return false;
    }
    return true;
  }

 private:
  std::vector<Entry> entries_;
  ReferenceIndex index_;  // Reference hash → position in entries_.
};

}  // namespace tranche::core
