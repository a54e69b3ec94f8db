// Identifiers and closed vocabularies: slugs, command ids, payment references, sectors,
// and the text-field limits shared by commands, events and the JSON codec.
//
// Thread-safety: pure functions; use freely from any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace tranche::core {

inline constexpr size_t kSlugBytesMax = 64;
inline constexpr size_t kCommandIdBytesMax = 128;
inline constexpr size_t kPaymentReferenceBytesMax = 64;
// Free-text fields (names, funder, region, principal partner).
inline constexpr size_t kNameBytesMax = 200;
inline constexpr size_t kWorkProgrammeBytesMax = 4000;
inline constexpr size_t kReasonBytesMax = 1000;

// 1–64 of a-z, 0-9, '-'. Used for programme, cluster and organisation ids.
bool IsValidSlug(std::string_view id);
// 1–128 printable ASCII (0x20–0x7E).
bool IsValidCommandId(std::string_view command_id);
// 1–64 visible ASCII (0x21–0x7E): no spaces, no control characters.
bool IsValidPaymentReference(std::string_view reference);
// 1–max_bytes of valid UTF-8 with no control characters (< 0x20, 0x7F) and
// not only whitespace.
bool IsValidText(std::string_view text, size_t max_bytes);

// True when no byte has its high bit set. Eight bytes at a time, the last
// word overlapping the one before it: a 9- to 16-byte id takes two loads.
inline bool IsAscii(std::string_view text) {
  const size_t size = text.size();
  uint64_t high = 0;
  if (size >= 8) {
    uint64_t word;
    for (size_t i = 0; i + 8 <= size; i += 8) {
      std::memcpy(&word, text.data() + i, sizeof word);
      high |= word;
    }
    std::memcpy(&word, text.data() + size - 8, sizeof word);
    high |= word;
  } else {
    for (const char c : text) high |= static_cast<unsigned char>(c);
  }
  return (high & 0x8080808080808080ULL) == 0;
}

bool IsValidUtf8Slow(std::string_view text);
// Ids, references and most names are ASCII, which is checked inline; the
// rest goes through the full check (overlong forms, surrogates, range).
inline bool IsValidUtf8(std::string_view text) { return IsAscii(text) || IsValidUtf8Slow(text); }

// Lower-cases ASCII letters, turns every run of other non-alphanumeric bytes
// into one '-', trims '-' at both ends and cuts to 64 bytes (trimming a '-'
// left at the cut). "University of Southampton" -> "university-of-southampton".
// Returns "" when the name has no ASCII letter or digit; callers reject that.
std::string DeriveOrganisationId(std::string_view name);

enum class Sector { kNhs, kHigherEducation, kIndustry, kLocalAuthority, kVoluntary, kOther };
inline constexpr std::array<Sector, 6> kAllSectors = {
    Sector::kNhs,           Sector::kHigherEducation, Sector::kIndustry,
    Sector::kLocalAuthority, Sector::kVoluntary,      Sector::kOther};

// "nhs", "higher-education", "industry", "local-authority", "voluntary", "other".
std::string_view SectorName(Sector sector);
std::optional<Sector> ParseSector(std::string_view name);

}  // namespace tranche::core
