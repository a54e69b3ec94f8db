// SHA-256 via OpenSSL 3's EVP API.
#include "eventstore/sha256.h"

#include <openssl/evp.h>

#include "core/check.h"

namespace tranche::eventstore {

struct Sha256::Impl {
  EVP_MD* md = nullptr;
  EVP_MD_CTX* ctx = nullptr;
};

Sha256::Sha256() : impl_(new Impl) {
  // Fetching once avoids OpenSSL 3's implicit per-call algorithm lookup.
  impl_->md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  impl_->ctx = EVP_MD_CTX_new();
  TRANCHE_CHECK_MSG(impl_->md != nullptr && impl_->ctx != nullptr, "OpenSSL SHA256 unavailable");
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(impl_->ctx);
  EVP_MD_free(impl_->md);
  delete impl_;
}

HashBytes Sha256::Digest(std::initializer_list<std::string_view> parts) {
  HashBytes out{};
  TRANCHE_CHECK(EVP_DigestInit_ex2(impl_->ctx, impl_->md, nullptr) == 1);
  for (std::string_view part : parts) {
    TRANCHE_CHECK(EVP_DigestUpdate(impl_->ctx, part.data(), part.size()) == 1);
  }
  unsigned int length = 0;
  TRANCHE_CHECK(EVP_DigestFinal_ex(impl_->ctx, out.data(), &length) == 1);
  TRANCHE_CHECK(length == kHashBytes);
  return out;
}

void Sha256::DigestInto(std::string_view data, uint8_t* out) {
  TRANCHE_CHECK(EVP_DigestInit_ex2(impl_->ctx, impl_->md, nullptr) == 1);
  TRANCHE_CHECK(EVP_DigestUpdate(impl_->ctx, data.data(), data.size()) == 1);
  unsigned int length = 0;
  TRANCHE_CHECK(EVP_DigestFinal_ex(impl_->ctx, out, &length) == 1);
  TRANCHE_CHECK(length == kHashBytes);
}

}  // namespace tranche::eventstore
