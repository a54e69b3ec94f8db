// "POSITION:HASH", the kept head's text form.
#include "eventstore/kept_head.h"

#include <charconv>

#include "core/check.h"

namespace tranche::eventstore {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Status Invalid(const std::string& why) {
  return Status::InvalidArgument("invalid_kept_head",
                                 "a kept head is POSITION:HASH (a log position, ':', and 64 hex "
                                 "digits of its chain hash): " +
                                     why);
}

}  // namespace

std::string HexOf(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHexDigits[c >> 4]);
    out.push_back(kHexDigits[c & 0x0f]);
  }
  return out;
}

std::string FormatKeptHead(const Head& head) {
  TRANCHE_CHECK(head.hash.size() == kHashBytes);
  return std::to_string(head.position) + ":" + HexOf(head.hash);
}

StatusOr<Head> ParseKeptHead(std::string_view text) {
  if (text.size() > kKeptHeadTextBytesMax) return Invalid("too long");
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) return Invalid("no ':' in it");
  const std::string_view position_text = text.substr(0, colon);
  const std::string_view hash_text = text.substr(colon + 1);
  Head head;
  auto [end, ec] = std::from_chars(position_text.data(),
                                   position_text.data() + position_text.size(), head.position);
  if (position_text.empty() || ec != std::errc() ||
      end != position_text.data() + position_text.size()) {
    return Invalid("the position '" + std::string(position_text) + "' is not a whole number");
  }
  if (hash_text.size() != 2 * kHashBytes) {
    return Invalid("the hash has " + std::to_string(hash_text.size()) + " characters, not 64");
  }
  head.hash.resize(kHashBytes);
  for (size_t i = 0; i < kHashBytes; ++i) {
    const int high = HexValue(hash_text[2 * i]);
    const int low = HexValue(hash_text[2 * i + 1]);
    if (high < 0 || low < 0) return Invalid("the hash is not hexadecimal");
    head.hash[i] = static_cast<char>(high << 4 | low);
  }
  if (head.position == 0 && head.hash != std::string(kHashBytes, '\0')) {
    return Invalid("position 0 is the empty log, whose hash is 64 zeros");
  }
  return head;
}

}  // namespace tranche::eventstore
