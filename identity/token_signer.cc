#include "identity/token_signer.h"

#include <memory>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "openssl/bio.h"
#include "openssl/core_names.h"
#include "openssl/ecdsa.h"
#include "openssl/err.h"
#include "openssl/evp.h"
#include "openssl/pem.h"

namespace hub::identity {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

enum class KeyKind { kEcP256, kRsa };

struct LoadedKey {
  PkeyPtr pkey;
  KeyKind kind;
};

// Refuses encrypted PEM instead of letting OpenSSL prompt on the terminal.
int NoPassphrase(char*, int, int, void*) { return -1; }

// Reads a PEM private key (PKCS#8 or traditional) or, with `allow_public`, a public key, and
// accepts only the two kinds a token may be signed with.
absl::StatusOr<LoadedKey> LoadKey(std::string_view pem, bool allow_public) {
  auto read = [pem](bool as_public) -> EVP_PKEY* {
    std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (bio == nullptr) return nullptr;
    return as_public ? PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassphrase, nullptr)
                     : PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr);
  };
  PkeyPtr pkey(read(false));
  if (pkey == nullptr && allow_public) pkey.reset(read(true));
  ERR_clear_error();
  if (pkey == nullptr) {
    return absl::InvalidArgumentError(
        allow_public ? "not a PEM key (private or public; encrypted keys are not supported)"
                     : "not a PEM private key (encrypted keys are not supported)");
  }
  if (EVP_PKEY_is_a(pkey.get(), "EC")) {
    char group[64] = {0};
    size_t length = 0;
    if (EVP_PKEY_get_utf8_string_param(pkey.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       &length) != 1 ||
        std::string_view(group, length) != "prime256v1") {
      ERR_clear_error();
      return absl::InvalidArgumentError("EC key is not on P-256 (ES256 needs P-256)");
    }
    return LoadedKey{std::move(pkey), KeyKind::kEcP256};
  }
  if (EVP_PKEY_is_a(pkey.get(), "RSA")) {
    if (EVP_PKEY_get_bits(pkey.get()) < 2048) {
      return absl::InvalidArgumentError("RSA key is shorter than 2048 bits");
    }
    return LoadedKey{std::move(pkey), KeyKind::kRsa};
  }
  return absl::InvalidArgumentError("key is neither EC P-256 nor RSA");
}

const char* AlgOf(KeyKind kind) { return kind == KeyKind::kEcP256 ? "ES256" : "RS256"; }

// JWS signature over `signing_input`: RSASSA-PKCS1-v1_5 as OpenSSL gives it, ECDSA turned from
// DER into the fixed-width r||s that JWS carries (RFC 7518 s.3.4).
absl::StatusOr<std::string> Sign(const LoadedKey& key, std::string_view signing_input) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  size_t length = 0;
  const auto* input = reinterpret_cast<const unsigned char*>(signing_input.data());
  if (ctx == nullptr ||
      EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length, input, signing_input.size()) != 1) {
    ERR_clear_error();
    return absl::InternalError("cannot start signing");
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length, input,
                     signing_input.size()) != 1) {
    ERR_clear_error();
    return absl::InternalError("signing failed");
  }
  signature.resize(length);
  if (key.kind == KeyKind::kRsa) return signature;

  const auto* der = reinterpret_cast<const unsigned char*>(signature.data());
  std::unique_ptr<ECDSA_SIG, EcdsaSigFree> sig(
      d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(signature.size())));
  if (sig == nullptr) {
    ERR_clear_error();
    return absl::InternalError("cannot decode the ECDSA signature");
  }
  std::string raw(64, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, 32) != 32 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + 32, 32) != 32) {
    return absl::InternalError("ECDSA signature does not fit P-256");
  }
  return raw;
}

absl::StatusOr<std::string> ToJson(const Struct& object, bool pretty) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = pretty;
  if (!google::protobuf::util::MessageToJsonString(object, &json, options).ok()) {
    return absl::InternalError("cannot write JSON");
  }
  return json;
}

void SetString(Struct& object, const std::string& name, const std::string& value) {
  if (!value.empty()) (*object.mutable_fields())[name].set_string_value(value);
}

absl::Status SetTime(Struct& object, const std::string& name, absl::Time t) {
  if (t == absl::InfinitePast()) return absl::OkStatus();
  if (t < absl::UnixEpoch() ||
      t > absl::FromCivil(absl::CivilSecond(9999, 12, 31, 23, 59, 59), absl::UTCTimeZone())) {
    return absl::InvalidArgumentError(absl::StrCat("'", name, "' must be within 1970..9999"));
  }
  // NumericDate in whole seconds: what identity providers write.
  (*object.mutable_fields())[name].set_number_value(static_cast<double>(absl::ToUnixSeconds(t)));
  return absl::OkStatus();
}

absl::StatusOr<std::string> SignWithKey(const LoadedKey& key, const std::string& header_json,
                                        const std::string& payload_json) {
  const std::string signing_input = absl::StrCat(absl::WebSafeBase64Escape(header_json), ".",
                                                 absl::WebSafeBase64Escape(payload_json));
  HUB_ASSIGN_OR_RETURN(std::string signature, Sign(key, signing_input));
  return absl::StrCat(signing_input, ".", absl::WebSafeBase64Escape(signature));
}

std::string Base64UrlOf(const BIGNUM* bn, int width) {
  std::string bytes(static_cast<size_t>(width > 0 ? width : BN_num_bytes(bn)), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  return absl::WebSafeBase64Escape(bytes);
}

absl::StatusOr<std::string> BnParam(EVP_PKEY* pkey, const char* name, int width) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) {
    ERR_clear_error();
    return absl::InternalError(absl::StrCat("cannot read key parameter ", name));
  }
  std::unique_ptr<BIGNUM, BnFree> bn(raw);
  return Base64UrlOf(bn.get(), width);
}

}  // namespace

absl::StatusOr<std::string> SignToken(std::string_view private_key_pem, std::string_view key_id,
                                      const TokenToSign& token) {
  HUB_ASSIGN_OR_RETURN(LoadedKey key, LoadKey(private_key_pem, /*allow_public=*/false));
  Struct header;
  SetString(header, "alg", AlgOf(key.kind));
  SetString(header, "typ", "JWT");
  SetString(header, "kid", std::string(key_id));

  Struct claims;
  SetString(claims, "iss", token.issuer);
  SetString(claims, "sub", token.subject);
  if (token.audience.size() == 1) {
    SetString(claims, "aud", token.audience.front());
  } else if (token.audience.size() > 1) {
    auto* list = (*claims.mutable_fields())["aud"].mutable_list_value();
    for (const std::string& audience : token.audience)
      list->add_values()->set_string_value(audience);
  }
  HUB_RETURN_IF_ERROR(SetTime(claims, "iat", token.issued_at));
  HUB_RETURN_IF_ERROR(SetTime(claims, "nbf", token.not_before));
  HUB_RETURN_IF_ERROR(SetTime(claims, "exp", token.expires_at));
  SetString(claims, "jti", token.token_id);
  if (!token.agency_claim.empty()) SetString(claims, token.agency_claim, token.agency_id);
  if (!token.roles_claim.empty()) {
    auto* list = (*claims.mutable_fields())[token.roles_claim].mutable_list_value();
    for (const std::string& role : token.roles) list->add_values()->set_string_value(role);
  }
  HUB_ASSIGN_OR_RETURN(std::string header_json, ToJson(header, false));
  HUB_ASSIGN_OR_RETURN(std::string payload_json, ToJson(claims, false));
  return SignWithKey(key, header_json, payload_json);
}

absl::StatusOr<std::string> SignJwsForTest(std::string_view private_key_pem,
                                           std::string_view header_json,
                                           std::string_view payload_json) {
  HUB_ASSIGN_OR_RETURN(LoadedKey key, LoadKey(private_key_pem, /*allow_public=*/false));
  return SignWithKey(key, std::string(header_json), std::string(payload_json));
}

absl::StatusOr<std::string> PublicJwks(
    const std::vector<std::pair<std::string /*pem*/, std::string /*kid*/>>& keys) {
  Struct jwks;
  auto* list = (*jwks.mutable_fields())["keys"].mutable_list_value();
  absl::flat_hash_set<std::string> kids;
  for (const auto& [pem, kid] : keys) {
    if (kid.empty() && keys.size() > 1) {
      return absl::InvalidArgumentError("every key needs a kid when the set holds several");
    }
    if (!kids.insert(kid).second) {
      return absl::InvalidArgumentError(absl::StrCat("kid '", kid, "' given twice"));
    }
    absl::StatusOr<LoadedKey> key = LoadKey(pem, /*allow_public=*/true);
    if (!key.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("key '", kid, "': ", key.status().message()));
    }
    Struct& jwk = *list->add_values()->mutable_struct_value();
    if (key->kind == KeyKind::kEcP256) {
      SetString(jwk, "kty", "EC");
      SetString(jwk, "crv", "P-256");
      // RFC 7518 s.6.2.1.2: coordinates at full length, leading zeros kept.
      HUB_ASSIGN_OR_RETURN(std::string x, BnParam(key->pkey.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32));
      HUB_ASSIGN_OR_RETURN(std::string y, BnParam(key->pkey.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32));
      SetString(jwk, "x", x);
      SetString(jwk, "y", y);
    } else {
      SetString(jwk, "kty", "RSA");
      HUB_ASSIGN_OR_RETURN(std::string n, BnParam(key->pkey.get(), OSSL_PKEY_PARAM_RSA_N, 0));
      HUB_ASSIGN_OR_RETURN(std::string e, BnParam(key->pkey.get(), OSSL_PKEY_PARAM_RSA_E, 0));
      SetString(jwk, "n", n);
      SetString(jwk, "e", e);
    }
    SetString(jwk, "kid", kid);
    SetString(jwk, "use", "sig");
    SetString(jwk, "alg", AlgOf(key->kind));
  }
  return ToJson(jwks, /*pretty=*/true);
}

}  // namespace hub::identity
