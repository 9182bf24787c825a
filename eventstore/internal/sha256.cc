#include "eventstore/internal/sha256.h"

#include <openssl/evp.h>

#include "base/check.h"

namespace eventstore_internal {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  HUB_CHECK(ctx_ != nullptr);
  HUB_CHECK(EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr) == 1);
}

Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256::Update(std::string_view bytes) {
  HUB_CHECK(EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), bytes.data(), bytes.size()) == 1);
}

std::string Sha256::Finish() {
  std::string out(kDigestSize, '\0');
  unsigned int len = 0;
  auto* ctx = static_cast<EVP_MD_CTX*>(ctx_);
  HUB_CHECK(EVP_DigestFinal_ex(ctx, reinterpret_cast<unsigned char*>(out.data()), &len) == 1);
  HUB_CHECK(len == kDigestSize);
  HUB_CHECK(EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1);
  return out;
}

std::string ChainLink(std::string_view previous_link, std::string_view canonical_record) {
  thread_local Sha256 sha;
  sha.Update(previous_link);
  sha.Update(canonical_record);
  return sha.Finish();
}

}  // namespace eventstore_internal
