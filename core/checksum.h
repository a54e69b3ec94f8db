// Checksum64: a fast 64-bit checksum of a byte string, for finding torn
// writes and flipped bits in derived files (start-up snapshots). It is not a
// cryptographic digest: the log's own hash chain (SHA-256) is what proves
// the log untampered, and a snapshot is only ever trusted as far as the log
// it names (api/service/snapshot.h).
//
// Four independent multiply-rotate lanes over 32-byte stripes, so the
// multiplies overlap: several GB/s on one core.
//
// Thread-safety: a pure function.
#pragma once

#include <cstdint>
#include <string_view>

namespace tranche::core {

uint64_t Checksum64(std::string_view bytes);

}  // namespace tranche::core
