// Tranche and TrancheTable: one cluster's tranches in the write model.
//
// The tranches are kept in the order they were recorded, in one vector of
// 24-byte rows, with their references and reversal reasons in one text
// buffer beside it and a flat hash index by payment reference
// (core/reference_index.h): an insert is an append and one probe, where a
// std::map of tranches cost a node allocation and a walk of ~20
// cache-missing levels, and a start-up snapshot loads the rows back in the
// order they were written (docs/DECISIONS.md §12). A row holds offsets, not
// strings: two std::strings per tranche were 64 of its 88 bytes, and the
// memory a start-up fills is most of its time (bench/README.md).
//
// Thread-safety: a value; one writer, or any number of readers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/check.h"
#include "core/date.h"
#include "core/financial_year.h"
#include "core/money.h"
#include "core/prefault.h"
#include "core/reference_index.h"

namespace tranche::core {

class ByteReader;
class ByteWriter;

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
  // One tranche read back: its reference (valid until the table changes)
  // and its fields, as a value.
  struct Entry {
    std::string_view payment_reference;
    Tranche tranche;
  };

  // In the order recorded; `for (const auto& [reference, tranche] : table)`.
  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Entry;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = Entry;

    Entry operator*() const { return table_->EntryAt(index_); }
    Iterator& operator++() {
      ++index_;
      return *this;
    }
    bool operator==(const Iterator& other) const { return index_ == other.index_; }

   private:
    friend class TrancheTable;
    Iterator(const TrancheTable* table, size_t index) : table_(table), index_(index) {}
    const TrancheTable* table_;
    size_t index_;
  };

  size_t size() const { return rows_.size(); }
  bool empty() const { return rows_.empty(); }
  Iterator begin() const { return Iterator(this, 0); }
  Iterator end() const { return Iterator(this, rows_.size()); }

  // The tranche under the reference; nullopt when it is not here.
  std::optional<Tranche> Find(std::string_view payment_reference) const {
    const std::optional<size_t> index = IndexOf(ReferenceHash(payment_reference),
                                                payment_reference);
    if (!index) return std::nullopt;
    return EntryAt(*index).tranche;
  }
  bool Contains(std::string_view payment_reference) const {
    return IndexOf(ReferenceHash(payment_reference), payment_reference).has_value();
  }

  // A hint for replay: a tranche a few events ahead will be inserted or
  // looked up under `payment_reference`, so its index slot can be fetched
  // into the cache meanwhile. Changes nothing.
  void Prefetch(std::string_view payment_reference) const {
    index_.Prefetch(ReferenceHash(payment_reference));
  }

  // Appends the tranche; false, changing nothing, when its reference is
  // already here.
  bool Insert(std::string_view payment_reference, const Tranche& tranche) {
    const uint64_t hash = ReferenceHash(payment_reference);
    if (IndexOf(hash, payment_reference).has_value()) return false;
    index_.Insert(hash, rows_.size());
    Append(payment_reference, tranche);
    return true;
  }

  // Marks the unreversed tranche under the reference reversed for `reason`;
  // the tranche as it was, or nullopt (changing nothing) when there is no
  // such tranche or it is already reversed.
  std::optional<Tranche> Reverse(std::string_view payment_reference, std::string_view reason) {
    const std::optional<size_t> index = IndexOf(ReferenceHash(payment_reference),
                                                payment_reference);
    if (!index || rows_[*index].reason_at != kNone) return std::nullopt;
    Tranche before = EntryAt(*index).tranche;
    rows_[*index].reason_at = AppendText(reason);
    return before;
  }

  // A start-up snapshot's form of the table (core/state_snapshot.cc): the
  // text as it is, then each row's fields with its text offsets, so that a
  // load copies the text in one piece and reads a few varints per row:
  //   varint row count, varint text bytes, the text;
  //   per row: varint reference offset (a difference from the previous
  //   row's: references are appended in row order), FinancialYear, amount,
  //   paid_on (PackedDate), varint reason offset + 1 (0: not reversed).
  void EncodeTo(ByteWriter& out) const;
  // What EncodeTo wrote, into this empty table, indexed; `hashes` receives
  // each reference's ReferenceHash in row order. Fails `in`, leaving the
  // table empty, when a row's text is out of bounds or not UTF-8, a
  // reference is empty or two rows share one. The rows and the text are
  // populated before they are filled (core/prefault.h).
  void DecodeFrom(ByteReader& in, std::vector<uint64_t>& hashes);

  // The same tranches under the same references, whatever the order (a
  // table read back from JSON is in reference order, not recording order).
  bool operator==(const TrancheTable& other) const {
    if (size() != other.size()) return false;
    for (size_t i = 0; i < rows_.size(); ++i) {
      const Entry entry = EntryAt(i);
      const std::optional<Tranche> theirs = other.Find(entry.payment_reference);
      if (!theirs || !(*theirs == entry.tranche)) return false;
    }
    return true;
  }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  // Offsets into text_, where each string is a 4-byte length and its bytes.
  struct Row {
    Pence amount_pence;
    FinancialYear financial_year;
    Date paid_on;
    uint32_t reference_at;
    uint32_t reason_at;  // kNone while not reversed.
  };
  static_assert(sizeof(Row) == 24);

  // The text's string at `at` if one fits there and is UTF-8 (a load).
  std::optional<std::string_view> CheckedTextAt(uint64_t at) const;

  // Indexes every row, with each slot fetched a few rows ahead; false,
  // leaving the table empty, when two share a reference.
  bool IndexAll(const std::vector<uint64_t>& hashes) {
    TRANCHE_CHECK_MSG(hashes.size() == rows_.size(), "one hash per tranche");
    index_ = ReferenceIndex();
    index_.Reserve(rows_.size());
    constexpr size_t kAhead = 8;
    for (size_t i = 0; i < rows_.size(); ++i) {
      if (i + kAhead < rows_.size()) index_.Prefetch(hashes[i + kAhead]);
      if (IndexOf(hashes[i], TextAt(rows_[i].reference_at)).has_value()) {
        *this = TrancheTable();
        return false;
      }
      index_.Insert(hashes[i], i);
    }
    return true;
  }

  void Append(std::string_view payment_reference, const Tranche& tranche) {
    const uint32_t reference_at = AppendText(payment_reference);
    const uint32_t reason_at = tranche.reversed ? AppendText(tranche.reversal_reason) : kNone;
    GrowPrefaulted(rows_);
    rows_.push_back(Row{tranche.amount_pence, tranche.financial_year, tranche.paid_on,
                        reference_at, reason_at});
  }
  uint32_t AppendText(std::string_view text) {
    TRANCHE_CHECK_MSG(text_.size() + sizeof(uint32_t) + text.size() < kNone,
                      "a cluster's tranche text is over 4 GiB");
    const uint32_t at = static_cast<uint32_t>(text_.size());
    const uint32_t size = static_cast<uint32_t>(text.size());
    GrowPrefaulted(text_, sizeof size + text.size());
    text_.append(reinterpret_cast<const char*>(&size), sizeof size);
    text_.append(text);
    return at;
  }
  std::string_view TextAt(uint32_t at) const {
    uint32_t size;
    std::memcpy(&size, text_.data() + at, sizeof size);
    return {text_.data() + at + sizeof size, size};
  }
  Entry EntryAt(size_t index) const {
    const Row& row = rows_[index];
    const bool reversed = row.reason_at != kNone;
    return Entry{TextAt(row.reference_at),
                 Tranche{row.financial_year, row.amount_pence, row.paid_on, reversed,
                         reversed ? std::string(TextAt(row.reason_at)) : std::string()}};
  }
  std::optional<size_t> IndexOf(uint64_t hash, std::string_view payment_reference) const {
    return index_.Find(hash, [&](size_t i) {
      return TextAt(rows_[i].reference_at) == payment_reference;
    });
  }

  std::vector<Row> rows_;
  std::string text_;      // References and reversal reasons, as the rows say.
  ReferenceIndex index_;  // Reference hash → position in rows_.
};

}  // namespace tranche::core
