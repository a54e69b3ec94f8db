// Slugs, command ids, payment references, free text and sectors.
#include "core/ids.h"

#include <cstdint>
#include <cstring>

namespace tranche::core {
namespace {

bool IsSlugChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool AllBytesWithin(std::string_view text, char low, char high) {
  for (const char c : text) {
    if (c < low || c > high) return false;
  }
  return true;
}

constexpr std::string_view kSectorNames[] = {"nhs",       "higher-education", "industry",
                                             "local-authority", "voluntary", "other"};

}  // namespace

bool IsValidSlug(std::string_view id) {
  if (id.empty() || id.size() > kSlugBytesMax) return false;
  for (const char c : id) {
    if (!IsSlugChar(c)) return false;
  }
  return true;
}

bool IsValidCommandId(std::string_view command_id) {
  return !command_id.empty() && command_id.size() <= kCommandIdBytesMax &&
         AllBytesWithin(command_id, 0x20, 0x7E);
}

bool IsValidPaymentReference(std::string_view reference) {
  return !reference.empty() && reference.size() <= kPaymentReferenceBytesMax &&
         AllBytesWithin(reference, 0x21, 0x7E);
}

bool IsValidUtf8Slow(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    // Ids, references and most names are ASCII: eight bytes at a time.
    if (i + 8 <= text.size()) {
      uint64_t word;
      std::memcpy(&word, text.data() + i, sizeof word);
      if ((word & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    const auto lead = static_cast<unsigned char>(text[i]);
    size_t length = 0;
    uint32_t code_point = 0;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2;
      code_point = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      code_point = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      code_point = lead & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    // Reject overlong forms, surrogates and values past U+10FFFF.
    static constexpr uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < kMinimum[length] || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

bool IsValidText(std::string_view text, size_t max_bytes) {
  if (text.empty() || text.size() > max_bytes || !IsValidUtf8(text)) return false;
  bool has_visible = false;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) return false;
    if (byte != ' ') has_visible = true;
  }
  return has_visible;
}

std::string DeriveOrganisationId(std::string_view name) {
  std::string id;
  bool pending_dash = false;
  for (const char c : name) {
    if (!IsAsciiAlnum(c)) {
      pending_dash = !id.empty();
      continue;
    }
    if (pending_dash) id.push_back('-');
    pending_dash = false;
    id.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  if (id.size() > kSlugBytesMax) id.resize(kSlugBytesMax);
  while (!id.empty() && id.back() == '-') id.pop_back();
  return id;
}

std::string_view SectorName(Sector sector) { return kSectorNames[static_cast<int>(sector)]; }

std::optional<Sector> ParseSector(std::string_view name) {
  for (const Sector sector : kAllSectors) {
    if (SectorName(sector) == name) return sector;
  }
  return std::nullopt;
}

}  // namespace tranche::core
