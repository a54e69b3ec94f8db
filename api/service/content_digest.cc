// SHA-256 of a command's canonical body, through OpenSSL's EVP interface.
#include "api/service/content_digest.h"

#include <openssl/evp.h>

#include "core/check.h"
#include "core/json/json_codec.h"

namespace tranche::service {

std::string CommandContentDigest(const core::CommandEnvelope& command) {
  // Fetched once: EVP_sha256() makes OpenSSL 3 look the algorithm up per call.
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  TRANCHE_CHECK_MSG(kSha256 != nullptr, "OpenSSL SHA256 unavailable");
  const std::string canonical = core::CommandBodyToJson(command).dump();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_bytes = 0;
  TRANCHE_CHECK(EVP_Digest(canonical.data(), canonical.size(), digest, &digest_bytes,
                           kSha256, nullptr) == 1);
  TRANCHE_CHECK(digest_bytes == 32);
  return std::string(reinterpret_cast<const char*>(digest), digest_bytes);
}

}  // namespace tranche::service
