// Token signing, for trial credentials (`hubctl token`, `hubctl jwks`) and tests only: in
// production the partnership's identity provider signs practitioners' tokens and hubd only
// verifies them (token_verifier.h). Stateless and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace hub::identity {

// The claims of a token. Empty strings and empty lists are left out of the token, and so are
// times equal to absl::InfinitePast() (tests rely on this to make tokens the verifier refuses).
struct TokenToSign {
  std::string issuer;
  std::vector<std::string> audience;  // one entry: "aud" is a string; several: an array
  std::string subject, agency_id;
  std::vector<std::string> roles;  // always written as an array when `roles_claim` is set
  absl::Time issued_at = absl::InfinitePast();
  absl::Time not_before = absl::InfinitePast();
  absl::Time expires_at = absl::InfinitePast();
  std::string token_id;
  std::string agency_claim = "hub_agency", roles_claim = "hub_roles";
};

// Signs `token` as a compact JWS with header {"alg","typ":"JWT","kid"} ("kid" left out when
// `key_id` is empty): ES256 for an EC P-256 private key, RS256 for an RSA key of at least 2048
// bits (PEM, PKCS#8 or traditional, unencrypted). Times are written as whole seconds.
// kInvalidArgument for any other key, an unreadable or encrypted PEM, or a time outside
// 1970..9999.
[[nodiscard]] absl::StatusOr<std::string> SignToken(std::string_view private_key_pem,
                                                    std::string_view key_id,
                                                    const TokenToSign& token);

// Signs arbitrary header and payload JSON as they are (no checks of their content), with the
// algorithm the key implies: for tests that need tokens no well-behaved issuer would make.
[[nodiscard]] absl::StatusOr<std::string> SignJwsForTest(std::string_view private_key_pem,
                                                         std::string_view header_json,
                                                         std::string_view payload_json);

// Returns a JWKS JSON document ({"keys":[...]}) holding the public halves of the given keys
// (PEM private or public keys, EC P-256 or RSA >= 2048), each with its kid, "use":"sig" and
// "alg". kInvalidArgument naming the kid for a key that cannot be read or is of another kind.
[[nodiscard]] absl::StatusOr<std::string> PublicJwks(
    const std::vector<std::pair<std::string /*pem*/, std::string /*kid*/>>& keys);

}  // namespace hub::identity
