// TrancheTable's snapshot form (the layout is in core/tranche_table.h).
#include "core/tranche_table.h"

#include <cstring>
#include <optional>
#include <string_view>

#include "core/byte_codec.h"
#include "core/ids.h"

namespace tranche::core {

void TrancheTable::EncodeTo(ByteWriter& out) const {
  out.Varint(rows_.size());
  out.Varint(text_.size());
  out.Raw(text_);
  uint32_t previous = 0;
  for (const Row& row : rows_) {
    out.Varint(row.reference_at - previous);
    previous = row.reference_at;
    out.Write(row.financial_year);
    out.Write(row.amount_pence);
    out.PackedDate(row.paid_on);
    out.Varint(row.reason_at == kNone ? 0 : uint64_t{row.reason_at} + 1);
  }
}

void TrancheTable::DecodeFrom(ByteReader& in, std::vector<uint64_t>& hashes) {
  TRANCHE_CHECK_MSG(rows_.empty() && text_.empty(), "a load into an empty table");
  const size_t count = in.Count();
  const std::string_view text = in.Raw(in.Count());
  in.Require(text.size() < kNone);
  if (!in.ok()) return;
  ReservePrefaulted(rows_, count);
  text_.reserve(text.size());
  PrefaultForWrite(text_.data(), text.size());
  text_.assign(text);
  hashes.clear();
  ReservePrefaulted(hashes, count);
  uint64_t reference_at = 0;
  for (size_t i = 0; in.ok() && i < count; ++i) {
    const uint64_t delta = in.Varint();
    in.Require(i == 0 || delta > 0);
    reference_at += delta;
    Row row;
    in.Read(row.financial_year);
    in.Read(row.amount_pence);
    row.paid_on = in.PackedDate();
    const uint64_t reason = in.Varint();
    const std::optional<std::string_view> reference = CheckedTextAt(reference_at);
    in.Require(reference.has_value() && !reference->empty() &&
               (reason == 0 || CheckedTextAt(reason - 1).has_value()));
    if (!in.ok()) break;
    row.reference_at = static_cast<uint32_t>(reference_at);
    row.reason_at = reason == 0 ? kNone : static_cast<uint32_t>(reason - 1);
    rows_.push_back(row);
    hashes.push_back(ReferenceHash(*reference));
  }
  if (in.ok()) in.Require(IndexAll(hashes));
  if (!in.ok()) *this = TrancheTable();
}

std::optional<std::string_view> TrancheTable::CheckedTextAt(uint64_t at) const {
  uint32_t size;
  if (at > text_.size() || text_.size() - at < sizeof size) return std::nullopt;
  std::memcpy(&size, text_.data() + at, sizeof size);
  if (text_.size() - at - sizeof size < size) return std::nullopt;
  const std::string_view text(text_.data() + at + sizeof size, size);
  if (!IsValidUtf8(text)) return std::nullopt;
  return text;
}

}  // namespace tranche::core
