// SHA-256 of a command's canonical body.
#include "api/service/content_digest.h"

#include "core/json/json_codec.h"
#include "eventstore/sha256.h"

namespace tranche::service {

std::string CommandContentDigest(const core::CommandEnvelope& command) {
  // One OpenSSL context per thread, reused: EVP_Digest makes and frees one
  // per call.
  thread_local eventstore::Sha256 sha;
  thread_local std::string canonical;  // Keeps its capacity between commands.
  canonical.clear();
  if (!core::AppendCommandBodyJson(command, &canonical)) {
    canonical = core::CommandBodyToJson(command).dump();  // Throws as it always did.
  }
  const eventstore::HashBytes digest = sha.Digest({canonical});
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

}  // namespace tranche::service
