#include "identity/token_verifier.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/log.h"
#include "base/status_macros.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "openssl/core_names.h"
#include "openssl/ecdsa.h"
#include "openssl/err.h"
#include "openssl/evp.h"
#include "openssl/param_build.h"

namespace hub::identity {
namespace token_verifier_internal {

enum class KeyType { kEcP256, kRsa };

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

struct Key {
  std::string kid;
  KeyType type;
  PkeyPtr pkey;  // immutable after load; OpenSSL allows concurrent verification with it
};

// One version of the JWKS file. Immutable once built; shared by in-flight verifications, so a
// reload never pulls a key out from under one.
struct KeySet {
  std::vector<Key> keys;
  absl::flat_hash_map<std::string, size_t> by_kid;
  // Keys present in the file that this hub does not accept (another curve, alg or use, a
  // short RSA key), by kid, with the reason: a token naming one gets that reason rather than
  // a puzzling "unknown key id".
  absl::flat_hash_map<std::string, std::string> unusable;
};

}  // namespace token_verifier_internal

namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;
using token_verifier_internal::FileStamp;
using token_verifier_internal::Key;
using token_verifier_internal::KeySet;
using token_verifier_internal::KeyType;
using token_verifier_internal::PkeyPtr;

constexpr size_t kMaxTokenBytes = 8 * 1024;
constexpr size_t kMaxJwksBytes = 1 << 20;
constexpr size_t kMaxJwksKeys = 64;
// Real headers and claims nest two or three levels; the bound keeps hostile input from
// recursing deep in the JSON parser.
constexpr int kMaxJsonDepth = 16;
constexpr int kMinRsaBits = 2048;
// Verification cost grows with the modulus; nothing legitimate uses more.
constexpr int kMaxRsaBits = 8192;
// RFC 7519 NumericDate: seconds since the epoch; beyond year 9999 is nonsense.
constexpr double kMaxNumericDate = 253402300799.0;
constexpr absl::Duration kPeriodicCheck = absl::Seconds(30);
constexpr absl::Duration kUnknownKidCheck = absl::Seconds(1);

struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};

absl::Status Unauthenticated(absl::string_view why) { return absl::UnauthenticatedError(why); }

absl::Status Malformed(absl::string_view what) {
  return absl::UnauthenticatedError(absl::StrCat("malformed token: ", what));
}

// A value taken from a token or a key file, made safe to put in a message: escaped and short.
std::string Quote(absl::string_view s) {
  constexpr size_t kMax = 64;
  std::string out = absl::CHexEscape(s.substr(0, kMax));
  if (s.size() > kMax) absl::StrAppend(&out, "...");
  return absl::StrCat("'", out, "'");
}

std::string FormatUtc(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

bool IsBase64UrlChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
}

// Decodes unpadded base64url strictly (RFC 7515 s.2): only the URL-safe alphabet, no padding,
// no whitespace, and only the canonical encoding (unused trailing bits zero), so that one
// token has exactly one spelling.
bool DecodeBase64Url(absl::string_view in, std::string* out) {
  if (in.size() % 4 == 1) return false;
  for (char c : in) {
    if (!IsBase64UrlChar(c)) return false;
  }
  if (!absl::WebSafeBase64Unescape(in, out)) return false;
  return absl::WebSafeBase64Escape(*out) == in;
}

// Whether `json` nests objects and arrays no deeper than `max_depth` (strings skipped).
bool JsonDepthWithin(absl::string_view json, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) return false;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

// Parses a JSON object. The error says what is wrong, never the content. Protobuf's parser
// refuses a member given twice, so a claim cannot be read one way here and another way by
// some other parser.
absl::StatusOr<Struct> ParseJsonObject(absl::string_view json) {
  absl::string_view trimmed = absl::StripLeadingAsciiWhitespace(json);
  if (trimmed.empty() || trimmed.front() != '{') {
    return absl::InvalidArgumentError("not a JSON object");
  }
  if (!JsonDepthWithin(json, kMaxJsonDepth)) {
    return absl::InvalidArgumentError(
        absl::StrCat("JSON nested deeper than ", kMaxJsonDepth, " levels"));
  }
  Struct out;
  google::protobuf::util::JsonParseOptions options;
  if (!google::protobuf::util::JsonStringToMessage(std::string(json), &out, options).ok()) {
    return absl::InvalidArgumentError("not valid JSON");
  }
  return out;
}

const Value* Field(const Struct& object, const std::string& name) {
  auto it = object.fields().find(name);
  return it == object.fields().end() ? nullptr : &it->second;
}

// A string member: nullopt when absent; an error when present but not a string.
absl::StatusOr<std::optional<std::string>> StringMember(const Struct& object,
                                                        const std::string& name,
                                                        absl::string_view where) {
  const Value* value = Field(object, name);
  if (value == nullptr) return std::nullopt;
  if (value->kind_case() != Value::kStringValue) {
    return absl::InvalidArgumentError(absl::StrCat(where, " '", name, "' must be a string"));
  }
  return value->string_value();
}

// ---------------------------------------------------------------------------------------------
// Loading the JWKS.

// Builds an EC P-256 public key from the JWK's coordinates, refusing points off the curve.
absl::StatusOr<PkeyPtr> EcPublicKey(const std::string& x, const std::string& y) {
  std::string point = absl::StrCat(std::string(1, '\x04'), x, y);  // SEC1 uncompressed
  char group[] = "prime256v1";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
      OSSL_PARAM_construct_end()};
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("x/y is not a point on P-256");
  }
  return PkeyPtr(raw);
}

absl::StatusOr<PkeyPtr> RsaPublicKey(const std::string& n, const std::string& e) {
  std::unique_ptr<BIGNUM, BnFree> bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()),
                                                 static_cast<int>(n.size()), nullptr));
  std::unique_ptr<BIGNUM, BnFree> bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()),
                                                 static_cast<int>(e.size()), nullptr));
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (bn_n == nullptr || bn_e == nullptr || bld == nullptr ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    ERR_clear_error();
    return absl::InternalError("out of memory building an RSA key");
  }
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* raw = nullptr;
  if (params == nullptr || ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("n/e do not form an RSA public key");
  }
  return PkeyPtr(raw);
}

// OpenSSL's own sanity check of a public key (RSA: odd modulus, sane exponent; EC: on curve,
// right order).
bool PublicKeyChecks(EVP_PKEY* pkey) {
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(
      EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  const bool ok = ctx != nullptr && EVP_PKEY_public_check(ctx.get()) == 1;
  ERR_clear_error();
  return ok;
}

absl::StatusOr<std::string> Base64UrlMember(const Struct& jwk, const std::string& name) {
  HUB_ASSIGN_OR_RETURN(std::optional<std::string> encoded, StringMember(jwk, name, "member"));
  if (!encoded.has_value())
    return absl::InvalidArgumentError(absl::StrCat("'", name, "' is required"));
  std::string decoded;
  if (!DecodeBase64Url(*encoded, &decoded)) {
    return absl::InvalidArgumentError(absl::StrCat("'", name, "' is not unpadded base64url"));
  }
  return decoded;
}

// What ParseJwk found: a usable key, or a well-formed key this hub does not accept.
struct ParsedJwk {
  std::optional<Key> key;
  std::string unusable_reason;
};

// Parses one JWK. Errors are configuration mistakes (the file is refused); keys meant for
// something else (encryption, other curves or algorithms) are returned as unusable.
absl::StatusOr<ParsedJwk> ParseJwk(const Struct& jwk, const std::string& kid) {
  ParsedJwk result;
  for (const char* secret : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
    if (Field(jwk, secret) != nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("holds private key material ('", secret, "'); publish only public keys"));
    }
  }
  HUB_ASSIGN_OR_RETURN(std::optional<std::string> kty, StringMember(jwk, "kty", "member"));
  HUB_ASSIGN_OR_RETURN(std::optional<std::string> use, StringMember(jwk, "use", "member"));
  HUB_ASSIGN_OR_RETURN(std::optional<std::string> alg, StringMember(jwk, "alg", "member"));
  if (!kty.has_value()) return absl::InvalidArgumentError("'kty' is required");
  if (use.has_value() && *use != "sig") {
    result.unusable_reason = absl::StrCat("its use is ", Quote(*use), ", not 'sig'");
    return result;
  }
  if (*kty == "EC") {
    HUB_ASSIGN_OR_RETURN(std::optional<std::string> crv, StringMember(jwk, "crv", "member"));
    if (!crv.has_value()) return absl::InvalidArgumentError("'crv' is required for an EC key");
    if (alg.has_value() && *alg == "RS256") {
      return absl::InvalidArgumentError("alg 'RS256' does not match kty 'EC'");
    }
    if (*crv != "P-256" || (alg.has_value() && *alg != "ES256")) {
      result.unusable_reason = absl::StrCat("EC key on ", Quote(*crv), " with alg ",
                                            Quote(alg.value_or("")), " (only ES256 on P-256)");
      return result;
    }
    HUB_ASSIGN_OR_RETURN(std::string x, Base64UrlMember(jwk, "x"));
    HUB_ASSIGN_OR_RETURN(std::string y, Base64UrlMember(jwk, "y"));
    // RFC 7518 s.6.2.1.2: the full coordinate length, leading zeros kept.
    if (x.size() != 32 || y.size() != 32) {
      return absl::InvalidArgumentError("'x' and 'y' must be 32 bytes each for P-256");
    }
    HUB_ASSIGN_OR_RETURN(PkeyPtr pkey, EcPublicKey(x, y));
    if (!PublicKeyChecks(pkey.get())) {
      return absl::InvalidArgumentError("x/y is not a valid P-256 public key");
    }
    result.key = Key{kid, KeyType::kEcP256, std::move(pkey)};
    return result;
  }
  if (*kty == "RSA") {
    if (alg.has_value() && *alg == "ES256") {
      return absl::InvalidArgumentError("alg 'ES256' does not match kty 'RSA'");
    }
    if (alg.has_value() && *alg != "RS256") {
      result.unusable_reason = absl::StrCat("RSA key with alg ", Quote(*alg), " (only RS256)");
      return result;
    }
    HUB_ASSIGN_OR_RETURN(std::string n, Base64UrlMember(jwk, "n"));
    HUB_ASSIGN_OR_RETURN(std::string e, Base64UrlMember(jwk, "e"));
    if (n.size() > kMaxRsaBits / 8 + 1 || e.empty() || e.size() > 8) {
      return absl::InvalidArgumentError("'n' or 'e' has an implausible size");
    }
    HUB_ASSIGN_OR_RETURN(PkeyPtr pkey, RsaPublicKey(n, e));
    const int bits = EVP_PKEY_get_bits(pkey.get());
    if (bits < kMinRsaBits || bits > kMaxRsaBits) {
      result.unusable_reason = absl::StrCat("RSA key of ", bits, " bits (", kMinRsaBits, " to ",
                                            kMaxRsaBits, " accepted)");
      return result;
    }
    if (!PublicKeyChecks(pkey.get())) {
      return absl::InvalidArgumentError("n/e is not a valid RSA public key");
    }
    result.key = Key{kid, KeyType::kRsa, std::move(pkey)};
    return result;
  }
  if (*kty == "oct") {
    return absl::InvalidArgumentError("a symmetric ('oct') key has no place in a public key set");
  }
  result.unusable_reason = absl::StrCat("kty ", Quote(*kty), " (only EC and RSA)");
  return result;
}

// Reads the file at `path` and records which version of it was read in `stamp` (also when
// the content is bad, so that the same broken file is not re-read until it changes).
absl::StatusOr<std::shared_ptr<const KeySet>> LoadKeySet(const std::string& path,
                                                         FileStamp& stamp) {
  auto bad = [&path](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("JWKS file ", path, ": ", what));
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return bad(absl::StrCat("cannot open: ", std::strerror(errno)));
  struct stat st;
  std::string content;
  bool read_ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  if (read_ok) {
    stamp = FileStamp{static_cast<int64_t>(st.st_dev), static_cast<int64_t>(st.st_ino),
                      static_cast<int64_t>(st.st_size),
                      static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
    char buffer[16384];
    ssize_t n;
    // Stops one buffer past the limit: a file that large is refused just below.
    while ((n = ::read(fd, buffer, sizeof buffer)) > 0) {
      content.append(buffer, static_cast<size_t>(n));
      if (content.size() > kMaxJwksBytes) break;
    }
    read_ok = n >= 0;
  }
  ::close(fd);
  if (!read_ok) return bad("cannot read a regular file");
  if (content.size() > kMaxJwksBytes) return bad("larger than 1 MiB");

  absl::StatusOr<Struct> document = ParseJsonObject(content);
  if (!document.ok()) return bad(document.status().message());
  const Value* keys = Field(*document, "keys");
  if (keys == nullptr || keys->kind_case() != Value::kListValue) {
    return bad("no \"keys\" array (expected a JWKS: {\"keys\": [...]})");
  }
  const ListValue& list = keys->list_value();
  if (list.values_size() == 0) return bad("\"keys\" is empty");
  if (static_cast<size_t>(list.values_size()) > kMaxJwksKeys) {
    return bad(absl::StrCat("more than ", kMaxJwksKeys, " keys"));
  }

  auto set = std::make_shared<KeySet>();
  for (int i = 0; i < list.values_size(); ++i) {
    const std::string position = absl::StrCat("key #", i + 1);
    if (list.values(i).kind_case() != Value::kStructValue) {
      return bad(absl::StrCat(position, ": not a JSON object"));
    }
    const Struct& jwk = list.values(i).struct_value();
    absl::StatusOr<std::optional<std::string>> kid = StringMember(jwk, "kid", "member");
    if (!kid.ok()) return bad(absl::StrCat(position, ": ", kid.status().message()));
    const std::string label =
        kid->has_value() ? absl::StrCat(position, " (kid ", Quote(**kid), ")") : position;
    if (list.values_size() > 1 && (!kid->has_value() || (*kid)->empty())) {
      return bad(absl::StrCat(label, ": no kid; every key needs one when the set holds several"));
    }
    const std::string kid_value = kid->value_or("");
    if (set->by_kid.contains(kid_value) || set->unusable.contains(kid_value)) {
      return bad(absl::StrCat(label, ": kid used twice"));
    }
    absl::StatusOr<ParsedJwk> parsed = ParseJwk(jwk, kid_value);
    if (!parsed.ok()) return bad(absl::StrCat(label, ": ", parsed.status().message()));
    if (parsed->key.has_value()) {
      set->by_kid[kid_value] = set->keys.size();
      set->keys.push_back(std::move(*parsed->key));
    } else {
      set->unusable[kid_value] = parsed->unusable_reason;
    }
  }
  if (set->keys.empty()) {
    std::vector<std::string> reasons;
    for (const auto& [kid, reason] : set->unusable)
      reasons.push_back(absl::StrCat(Quote(kid), ": ", reason));
    return bad(absl::StrCat("no key this hub accepts (ES256 on P-256, RS256 with RSA >= 2048): ",
                            absl::StrJoin(reasons, "; ")));
  }
  return std::shared_ptr<const KeySet>(std::move(set));
}

std::optional<FileStamp> StatFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileStamp{static_cast<int64_t>(st.st_dev), static_cast<int64_t>(st.st_ino),
                   static_cast<int64_t>(st.st_size),
                   static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

// ---------------------------------------------------------------------------------------------
// Verifying.

const char* AlgFor(KeyType type) { return type == KeyType::kEcP256 ? "ES256" : "RS256"; }

// Verifies the JWS signature over `signing_input` with SHA-256 and `key`. JWS carries an ECDSA
// signature as the fixed-width r||s (RFC 7518 s.3.4); OpenSSL wants DER, so it is re-encoded.
bool SignatureVerifies(const Key& key, absl::string_view signing_input,
                       const std::string& signature) {
  std::string der;
  const std::string* to_verify = &signature;
  if (key.type == KeyType::kEcP256) {
    if (signature.size() != 64) return false;
    std::unique_ptr<ECDSA_SIG, EcdsaSigFree> sig(ECDSA_SIG_new());
    const auto* bytes = reinterpret_cast<const unsigned char*>(signature.data());
    BIGNUM* r = BN_bin2bn(bytes, 32, nullptr);
    BIGNUM* s = BN_bin2bn(bytes + 32, 32, nullptr);
    if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
      BN_free(r);
      BN_free(s);
      ERR_clear_error();
      return false;
    }
    const int length = i2d_ECDSA_SIG(sig.get(), nullptr);
    if (length <= 0) return false;
    der.resize(static_cast<size_t>(length));
    auto* out = reinterpret_cast<unsigned char*>(der.data());
    if (i2d_ECDSA_SIG(sig.get(), &out) != length) return false;
    to_verify = &der;
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  const bool ok =
      ctx != nullptr &&
      EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.pkey.get()) == 1 &&
      EVP_DigestVerify(
          ctx.get(), reinterpret_cast<const unsigned char*>(to_verify->data()), to_verify->size(),
          reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) == 1;
  ERR_clear_error();  // a failed verification leaves errors on this thread's queue
  return ok;
}

// A NumericDate claim (RFC 7519 s.2): nullopt when absent.
absl::StatusOr<std::optional<absl::Time>> TimeClaim(const Struct& claims, const char* name) {
  const Value* value = Field(claims, name);
  if (value == nullptr) return std::nullopt;
  if (value->kind_case() != Value::kNumberValue) {
    return Malformed(absl::StrCat("claim '", name, "' must be a number (seconds since 1970)"));
  }
  const double seconds = value->number_value();
  if (!std::isfinite(seconds) || seconds < 0 || seconds > kMaxNumericDate) {
    return Malformed(absl::StrCat("claim '", name, "' is out of range"));
  }
  return absl::UnixEpoch() + absl::Seconds(seconds);
}

absl::StatusOr<std::string> RequiredStringClaim(const Struct& claims, const std::string& name,
                                                absl::string_view missing_message) {
  const Value* value = Field(claims, name);
  if (value == nullptr ||
      (value->kind_case() == Value::kStringValue && value->string_value().empty())) {
    return Unauthenticated(missing_message);
  }
  if (value->kind_case() != Value::kStringValue) {
    return Malformed(absl::StrCat("claim '", name, "' must be a string"));
  }
  return value->string_value();
}

// Checks the registered claims against `policy` at `now`, and extracts the identity.
absl::StatusOr<VerifiedToken> CheckClaims(const Struct& claims, const TokenPolicy& policy,
                                          absl::Time now) {
  VerifiedToken token;
  HUB_ASSIGN_OR_RETURN(std::string issuer,
                       RequiredStringClaim(claims, "iss", "token has no issuer (iss)"));
  if (issuer != policy.issuer) {
    return Unauthenticated(absl::StrCat("issuer ", Quote(issuer), " not accepted (expected ",
                                        Quote(policy.issuer), ")"));
  }

  const Value* aud = Field(claims, "aud");
  if (aud == nullptr) return Unauthenticated("token has no audience (aud)");
  bool audience_ok = false;
  if (aud->kind_case() == Value::kStringValue) {
    audience_ok = aud->string_value() == policy.audience;
  } else if (aud->kind_case() == Value::kListValue) {
    for (const Value& entry : aud->list_value().values()) {
      if (entry.kind_case() != Value::kStringValue) {
        return Malformed("claim 'aud' must be a string or an array of strings");
      }
      audience_ok = audience_ok || entry.string_value() == policy.audience;
    }
  } else {
    return Malformed("claim 'aud' must be a string or an array of strings");
  }
  if (!audience_ok) {
    return Unauthenticated(
        absl::StrCat("audience not accepted (expected ", Quote(policy.audience), ")"));
  }

  HUB_ASSIGN_OR_RETURN(std::optional<absl::Time> exp, TimeClaim(claims, "exp"));
  HUB_ASSIGN_OR_RETURN(std::optional<absl::Time> nbf, TimeClaim(claims, "nbf"));
  HUB_ASSIGN_OR_RETURN(std::optional<absl::Time> iat, TimeClaim(claims, "iat"));
  if (!exp.has_value()) return Unauthenticated("token has no expiry (exp)");
  if (now > *exp + policy.clock_skew) {
    return Unauthenticated(absl::StrCat("token expired at ", FormatUtc(*exp)));
  }
  if (nbf.has_value() && now + policy.clock_skew < *nbf) {
    return Unauthenticated(absl::StrCat("token not valid before ", FormatUtc(*nbf)));
  }
  if (iat.has_value() && now + policy.clock_skew < *iat) {
    return Unauthenticated(absl::StrCat("token issued in the future (iat ", FormatUtc(*iat),
                                        "); check the issuer's clock"));
  }
  // Without iat or nbf the lifetime is measured from now: a token must never be usable for
  // longer than max_lifetime, whatever it leaves out.
  const absl::Time start = iat.has_value() ? *iat : nbf.has_value() ? *nbf : now;
  if (*exp - start > policy.max_lifetime) {
    return Unauthenticated(absl::StrCat("token lifetime ", absl::FormatDuration(*exp - start),
                                        " is longer than the ",
                                        absl::FormatDuration(policy.max_lifetime), " accepted"));
  }
  token.expires_at = *exp;

  HUB_ASSIGN_OR_RETURN(token.user_id,
                       RequiredStringClaim(claims, "sub", "token has no subject (sub)"));
  HUB_ASSIGN_OR_RETURN(
      token.agency_id,
      RequiredStringClaim(claims, policy.agency_claim,
                          absl::StrCat("token has no agency (claim '", policy.agency_claim, "')")));
  if (const Value* roles = Field(claims, policy.roles_claim); roles != nullptr) {
    const std::string bad =
        absl::StrCat("claim '", policy.roles_claim, "' must be an array of strings");
    if (roles->kind_case() != Value::kListValue) return Malformed(bad);
    for (const Value& role : roles->list_value().values()) {
      if (role.kind_case() != Value::kStringValue) return Malformed(bad);
      token.roles.push_back(role.string_value());
    }
  }
  const Value* jti = Field(claims, "jti");
  if (jti != nullptr) {
    if (jti->kind_case() != Value::kStringValue) return Malformed("claim 'jti' must be a string");
    token.token_id = jti->string_value();
  }
  return token;
}

// "JWT" (RFC 7519 s.5.1) or "at+jwt" (RFC 9068), media types compared without case and with the
// optional "application/" prefix (RFC 7515 s.4.1.9).
bool TypAccepted(absl::string_view typ) {
  std::string lower = absl::AsciiStrToLower(typ);
  absl::string_view t = lower;
  absl::ConsumePrefix(&t, "application/");
  return t == "jwt" || t == "at+jwt";
}

}  // namespace

absl::StatusOr<std::unique_ptr<TokenVerifier>> TokenVerifier::Create(TokenPolicy policy,
                                                                     std::string jwks_path,
                                                                     const Clock& clock) {
  if (policy.issuer.empty()) return absl::InvalidArgumentError("token policy: issuer is required");
  if (policy.audience.empty()) {
    return absl::InvalidArgumentError("token policy: audience is required");
  }
  if (policy.agency_claim.empty() || policy.roles_claim.empty()) {
    return absl::InvalidArgumentError("token policy: agency and roles claim names are required");
  }
  if (policy.clock_skew < absl::ZeroDuration() || policy.max_lifetime <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("token policy: clock_skew must be >= 0 and max_lifetime > 0");
  }
  std::unique_ptr<TokenVerifier> verifier(
      new TokenVerifier(std::move(policy), std::move(jwks_path), clock));
  HUB_RETURN_IF_ERROR(verifier->Reload());
  return verifier;
}

TokenVerifier::TokenVerifier(TokenPolicy policy, std::string jwks_path, const Clock& clock)
    : policy_(std::move(policy)),
      jwks_path_(std::move(jwks_path)),
      clock_(clock),
      next_periodic_check_(clock.Now() + kPeriodicCheck),
      next_unknown_kid_check_(absl::InfinitePast()) {}

TokenVerifier::~TokenVerifier() = default;

TokenVerifier::KeySetPtr TokenVerifier::Keys() const {
  absl::MutexLock lock(&mu_);
  return keys_;
}

absl::Status TokenVerifier::Reload() {
  absl::MutexLock lock(&reload_mu_);
  return ReloadLocked();
}

absl::Status TokenVerifier::ReloadLocked() const {
  absl::StatusOr<KeySetPtr> keys = LoadKeySet(jwks_path_, stamp_);
  if (!keys.ok()) return keys.status();
  absl::MutexLock lock(&mu_);
  keys_ = *std::move(keys);
  return absl::OkStatus();
}

void TokenVerifier::ReloadIfChanged(const char* why) const {
  absl::MutexLock lock(&reload_mu_);
  std::optional<FileStamp> stamp = StatFile(jwks_path_);
  if (stamp.has_value() && *stamp == stamp_) return;
  // A vanished file is worth a read too: the error is logged and the keys are kept.
  if (absl::Status status = ReloadLocked(); !status.ok()) {
    HUB_LOG(WARNING) << "JWKS reload (" << why
                     << ") failed; keeping the keys already loaded: " << status.message();
    return;
  }
  HUB_LOG(INFO) << "JWKS reloaded from " << jwks_path_ << " (" << why << ")";
}

absl::StatusOr<VerifiedToken> TokenVerifier::Verify(std::string_view token) const {
  if (token.empty()) return Malformed("empty");
  if (token.size() > kMaxTokenBytes) {
    return Malformed(absl::StrCat("token is ", token.size(), " bytes; at most ", kMaxTokenBytes));
  }
  const std::vector<absl::string_view> parts =
      absl::StrSplit(absl::string_view(token.data(), token.size()), '.');
  if (parts.size() != 3) {
    return Malformed(
        absl::StrCat("expected header.payload.signature (3 parts), found ", parts.size()));
  }

  // A token already verified against the key set in force is answered from the cache while it
  // lasts: every TLS call is identified twice, and a practitioner's calls repeat one token.
  // The periodic look at the file comes first, so that a key removed from the file drops its
  // tokens from the cache (a new key set misses every entry) even when all traffic hits it.
  MaybePeriodicCheck();
  if (std::optional<VerifiedToken> cached = Cached(token)) return *cached;

  std::string header_json;
  if (!DecodeBase64Url(parts[0], &header_json)) return Malformed("header is not base64url");
  absl::StatusOr<Struct> header = ParseJsonObject(header_json);
  if (!header.ok()) return Malformed(absl::StrCat("header is ", header.status().message()));
  absl::StatusOr<std::optional<std::string>> alg = StringMember(*header, "alg", "header");
  if (!alg.ok()) return Malformed(alg.status().message());
  if (!alg->has_value()) return Malformed("header has no alg");
  if (**alg != "ES256" && **alg != "RS256") {
    return Unauthenticated(absl::StrCat("alg ", Quote(**alg), " not accepted (ES256 or RS256)"));
  }
  // A critical extension we do not implement must fail the token (RFC 7515 s.4.1.11); none are
  // implemented.
  if (Field(*header, "crit") != nullptr) return Unauthenticated("header 'crit' not accepted");
  absl::StatusOr<std::optional<std::string>> typ = StringMember(*header, "typ", "header");
  if (!typ.ok()) return Malformed(typ.status().message());
  if (typ->has_value() && !TypAccepted(**typ)) {
    return Unauthenticated(absl::StrCat("typ ", Quote(**typ), " not accepted (JWT or at+jwt)"));
  }
  absl::StatusOr<std::optional<std::string>> kid = StringMember(*header, "kid", "header");
  if (!kid.ok()) return Malformed(kid.status().message());
  // Header members naming keys (jwk, jku, x5u, x5c) are ignored on purpose: keys come from
  // the JWKS file only.

  bool unknown_kid_due = false;
  KeySetPtr keys = Keys();
  const Key* key = nullptr;
  if (!kid->has_value()) {
    if (keys->keys.size() + keys->unusable.size() > 1) {
      return Unauthenticated(
          "token has no kid, which this hub's key set needs (it holds several keys)");
    }
    key = &keys->keys.front();
  } else {
    const std::string& wanted = **kid;
    auto find = [&wanted](const KeySet& set) -> const Key* {
      auto it = set.by_kid.find(wanted);
      return it == set.by_kid.end() ? nullptr : &set.keys[it->second];
    };
    key = find(*keys);
    if (key == nullptr && !keys->unusable.contains(wanted)) {
      // Perhaps the provider has rotated: look at the file, but at most once a second, so a
      // stream of made-up kids costs one stat(2) a second.
      {
        absl::MutexLock lock(&mu_);
        const absl::Time now = clock_.Now();
        if (now >= next_unknown_kid_check_) {
          next_unknown_kid_check_ = now + kUnknownKidCheck;
          unknown_kid_due = true;
        }
      }
      if (unknown_kid_due) {
        ReloadIfChanged("token with an unknown key id");
        keys = Keys();
        key = find(*keys);
      }
    }
    if (key == nullptr) {
      if (auto it = keys->unusable.find(wanted); it != keys->unusable.end()) {
        return Unauthenticated(
            absl::StrCat("key id ", Quote(wanted), " not accepted: ", it->second));
      }
      return Unauthenticated(absl::StrCat("unknown key id ", Quote(wanted)));
    }
  }
  if (**alg != AlgFor(key->type)) {
    return Unauthenticated(absl::StrCat(
        "alg ", Quote(**alg), " does not match key ", Quote(key->kid), " (",
        key->type == KeyType::kEcP256 ? "an EC P-256 key: ES256" : "an RSA key: RS256", ")"));
  }

  std::string signature;
  if (!DecodeBase64Url(parts[2], &signature)) return Malformed("signature is not base64url");
  const absl::string_view signing_input(parts[0].data(), parts[0].size() + 1 + parts[1].size());
  if (!SignatureVerifies(*key, signing_input, signature)) {
    return Unauthenticated("signature does not verify");
  }

  // Only now, with the signature good, is the payload looked at.
  std::string payload_json;
  if (!DecodeBase64Url(parts[1], &payload_json)) return Malformed("payload is not base64url");
  absl::StatusOr<Struct> claims = ParseJsonObject(payload_json);
  if (!claims.ok()) return Malformed(absl::StrCat("payload is ", claims.status().message()));
  HUB_ASSIGN_OR_RETURN(VerifiedToken verified, CheckClaims(*claims, policy_, clock_.Now()));
  verified.key_id = key->kid;
  Remember(token, verified, keys);
  return verified;
}

void TokenVerifier::MaybePeriodicCheck() const {
  bool due = false;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_.Now();
    if (now >= next_periodic_check_) {
      next_periodic_check_ = now + kPeriodicCheck;
      due = true;
    }
  }
  if (due) ReloadIfChanged("periodic check");
}

std::optional<VerifiedToken> TokenVerifier::Cached(std::string_view token) const {
  const KeySetPtr keys = Keys();
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&cache_mu_);
  auto it = cache_.find(absl::string_view(token.data(), token.size()));
  if (it == cache_.end()) return std::nullopt;
  // Its not-before had passed when it was verified, and time only moves on: only expiry, and
  // the key set it was verified against, can have changed.
  if (it->second.keys != keys || now > it->second.token.expires_at + policy_.clock_skew) {
    cache_.erase(it);
    return std::nullopt;
  }
  return it->second.token;
}

void TokenVerifier::Remember(std::string_view token, const VerifiedToken& verified,
                             const KeySetPtr& keys) const {
  absl::MutexLock lock(&cache_mu_);
  if (cache_.size() >= kMaxCachedTokens) cache_.clear();  // bounded; the cost is re-verifying
  cache_[std::string(token)] = CachedToken{verified, keys};
}

}  // namespace hub::identity
