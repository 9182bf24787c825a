// TokenVerifier: checks a practitioner's bearer token (a JWT in compact JWS form) issued by the
// partnership's identity provider, against the provider's public keys (a JWKS file), and says
// who the practitioner is. The authenticator calls it once per call; it never signs anything.
//
// Accepted: ES256 (EC P-256) and RS256 (RSA >= 2048 bits) only, with the header's "alg" matching
// the key. Everything else (alg none, HS*, PS*, embedded or remote keys via jwk/jku/x5u/x5c,
// "crit") is refused. Keys come only from the JWKS file, which is re-read when it changes (key
// rotation): checked every 30 s, and at most once a second when a token names an unknown key id.
//
// Thread-safe: Verify may run on many threads at once, concurrently with Reload.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/clock.h"

namespace hub::identity {

// What a token must satisfy beyond its signature.
struct TokenPolicy {
  std::string issuer;    // exact match of "iss"; required
  std::string audience;  // must appear in "aud" (string or array); required
  absl::Duration clock_skew = absl::Seconds(60);  // allowed on exp / nbf / iat
  // exp - iat (or exp - nbf; or exp - now when the token has neither) above this is refused,
  // so a leaked token cannot be useful for long.
  absl::Duration max_lifetime = absl::Hours(12);
  std::string agency_claim = "hub_agency";
  std::string roles_claim = "hub_roles";  // array of role names, e.g. ["mash_triage"]
};

// The identity a valid token carries. Role names are as written: the caller maps them.
struct VerifiedToken {
  std::string user_id;             // "sub", non-empty
  std::string agency_id;           // the agency claim, non-empty
  std::vector<std::string> roles;  // as written in the token (may be empty)
  absl::Time expires_at;
  std::string key_id;    // "kid" used ("" when the set holds one key and the token named none)
  std::string token_id;  // "jti" if present
};

namespace token_verifier_internal {
struct KeySet;
// Identifies one version of the JWKS file: a change in any field means "read it again".
struct FileStamp {
  int64_t device = 0, inode = 0, size = -1, mtime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};
}  // namespace token_verifier_internal

// Lifecycle: Create loads the JWKS file; the verifier then owns its keys, swapping in a new set
// atomically when the file changes. `clock` must outlive the verifier.
class TokenVerifier {
 public:
  // Loads the JWKS file at `jwks_path`. kInvalidArgument when the policy lacks an issuer or an
  // audience, or the file cannot be read or holds a bad key (the message names the file and the
  // key, by kid or position).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<TokenVerifier>> Create(TokenPolicy policy,
                                                                             std::string jwks_path,
                                                                             const Clock& clock);
  ~TokenVerifier();
  TokenVerifier(const TokenVerifier&) = delete;
  TokenVerifier& operator=(const TokenVerifier&) = delete;

  // Verifies `token` (the compact JWS, without "Bearer "). kUnauthenticated with a reason a
  // client developer can act on ("token expired at ...", "signature does not verify",
  // "unknown key id 'k2'", "audience not accepted", "alg 'none' not accepted",
  // "malformed token: ..."). The message never contains the token or its signature.
  [[nodiscard]] absl::StatusOr<VerifiedToken> Verify(std::string_view token) const;

  // Re-reads the JWKS file now. On failure (kInvalidArgument, as Create) keeps the keys it had.
  [[nodiscard]] absl::Status Reload();

 private:
  using FileStamp = token_verifier_internal::FileStamp;
  using KeySetPtr = std::shared_ptr<const token_verifier_internal::KeySet>;

  TokenVerifier(TokenPolicy policy, std::string jwks_path, const Clock& clock);

  KeySetPtr Keys() const;
  // Looks at the file for changes every 30 s.
  void MaybePeriodicCheck() const;
  // A still-valid verification of exactly `token` against the key set in force.
  std::optional<VerifiedToken> Cached(std::string_view token) const;
  void Remember(std::string_view token, const VerifiedToken& verified, const KeySetPtr& keys) const;
  // Re-reads the file if its stamp changed since the last read; `why` goes to the log.
  void ReloadIfChanged(const char* why) const;
  [[nodiscard]] absl::Status ReloadLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(reload_mu_);

  const TokenPolicy policy_;
  const std::string jwks_path_;
  const Clock& clock_;

  // Serialises file reads; never held while verifying a signature.
  mutable absl::Mutex reload_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable FileStamp stamp_ ABSL_GUARDED_BY(reload_mu_);

  mutable absl::Mutex mu_;
  mutable KeySetPtr keys_ ABSL_GUARDED_BY(mu_);
  mutable absl::Time next_periodic_check_ ABSL_GUARDED_BY(mu_);
  mutable absl::Time next_unknown_kid_check_ ABSL_GUARDED_BY(mu_);

  // Verified tokens (by their exact text) and the key set that verified them.
  struct CachedToken {
    VerifiedToken token;
    KeySetPtr keys;
  };
  static constexpr size_t kMaxCachedTokens = 4096;
  mutable absl::Mutex cache_mu_;
  mutable absl::flat_hash_map<std::string, CachedToken> cache_ ABSL_GUARDED_BY(cache_mu_);
};

}  // namespace hub::identity
