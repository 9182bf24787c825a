// SHA-256 (OpenSSL's EVP, never hand-rolled) for the hash chain and idempotency digests.
// Thread-safe: each Sha256 object is independent.
#pragma once

#include <string>
#include <string_view>

namespace eventstore_internal {

inline constexpr size_t kDigestSize = 32;

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(std::string_view bytes);
  // Returns the 32-byte digest and resets for reuse.
  std::string Finish();

 private:
  void* ctx_;  // EVP_MD_CTX*, kept opaque so OpenSSL headers stay out of this one
};

// SHA-256(previous_link || canonical_record): the chain link of a record.
std::string ChainLink(std::string_view previous_link, std::string_view canonical_record);

}  // namespace eventstore_internal
