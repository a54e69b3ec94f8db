// Sha256: SHA-256 through OpenSSL's EVP interface, reusing one digest context.
//
// We never hand-roll cryptography (DESIGN.md); this class only keeps the
// fetched algorithm and the context alive so that hashing a million records
// does not allocate a context per record.
//
// Threads: one object per thread; it is not safe to share.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string_view>

namespace tranche::eventstore {

inline constexpr size_t kHashBytes = 32;
using HashBytes = std::array<uint8_t, kHashBytes>;

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  // SHA-256 of the concatenation of `parts`.
  HashBytes Digest(std::initializer_list<std::string_view> parts);
  // Writes SHA-256(data) into out[0..32).
  void DigestInto(std::string_view data, uint8_t* out);

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace tranche::eventstore
