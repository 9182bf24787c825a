#include "identity/client_certificate.h"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "openssl/asn1.h"
#include "openssl/bio.h"
#include "openssl/err.h"
#include "openssl/evp.h"
#include "openssl/pem.h"
#include "openssl/x509.h"
#include "openssl/x509_vfy.h"
#include "openssl/x509v3.h"

namespace hub::identity {
namespace {

constexpr size_t kMaxBundleBytes = 4 << 20;
constexpr size_t kMaxLeafPemBytes = 64 << 10;
constexpr size_t kMaxChainPemBytes = 256 << 10;
constexpr int kMaxChainCertificates = 8;
// Leaf, at most a few intermediates, root: deeper chains are not how agencies are issued.
constexpr int kMaxVerifyDepth = 6;

struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct X509StackFree {
  void operator()(STACK_OF(X509) * p) const { sk_X509_pop_free(p, X509_free); }
};
struct StoreCtxFree {
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
};
struct GeneralNamesFree {
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

absl::Status Unauthenticated(absl::string_view why) { return absl::UnauthenticatedError(why); }

std::string FormatUtc(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

absl::Time ToTime(const ASN1_TIME* t) {
  std::tm tm;
  std::memset(&tm, 0, sizeof tm);
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return absl::InfinitePast();
  return absl::FromTM(tm, absl::UTCTimeZone());
}

// An X.509 name or string from a peer's certificate, escaped and bounded for a message.
std::string Quote(absl::string_view s) {
  constexpr size_t kMax = 96;
  std::string out = absl::CHexEscape(s.substr(0, kMax));
  if (s.size() > kMax) absl::StrAppend(&out, "...");
  return absl::StrCat("'", out, "'");
}

std::string NameText(const X509_NAME* name) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return "";
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(length));
}

std::string CommonName(const X509_NAME* name) {
  const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0) return "";
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, value);
  if (length < 0) return "";
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(length));
  OPENSSL_free(utf8);
  return out;
}

// The next PEM block of `bio` as DER, if it is a certificate. nullopt at the end of the input;
// an error for a block that is not a certificate or is not valid PEM.
absl::StatusOr<std::optional<std::string>> NextCertificateDer(BIO* bio) {
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long length = 0;
  if (PEM_read_bio(bio, &name, &header, &data, &length) != 1) {
    const unsigned long error = ERR_peek_last_error();
    ERR_clear_error();
    // "No start line" is how PEM_read_bio says it found no further block.
    if (ERR_GET_LIB(error) == ERR_LIB_PEM && ERR_GET_REASON(error) == PEM_R_NO_START_LINE) {
      return std::nullopt;
    }
    return absl::InvalidArgumentError("is not valid PEM");
  }
  const bool is_certificate = std::strcmp(name, "CERTIFICATE") == 0;
  std::string block_name = name;
  std::string der(reinterpret_cast<char*>(data), static_cast<size_t>(length));
  OPENSSL_free(name);
  OPENSSL_free(header);
  OPENSSL_free(data);
  if (!is_certificate) {
    return absl::InvalidArgumentError(
        absl::StrCat("holds a ", Quote(block_name), " block where a CERTIFICATE was expected"));
  }
  return der;
}

absl::StatusOr<X509Ptr> ParseDer(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (cert == nullptr || p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    ERR_clear_error();
    return absl::InvalidArgumentError("is not a valid X.509 certificate");
  }
  return cert;
}

std::string HexSha256(const std::string& der) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(der.data(), der.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    ERR_clear_error();
    return "";
  }
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(digest), length));
}

PeerCertificate Describe(X509* leaf, std::string fingerprint) {
  PeerCertificate peer;
  peer.subject_cn = CommonName(X509_get_subject_name(leaf));
  peer.not_before = ToTime(X509_get0_notBefore(leaf));
  peer.not_after = ToTime(X509_get0_notAfter(leaf));
  peer.sha256_fingerprint = std::move(fingerprint);
  std::unique_ptr<GENERAL_NAMES, GeneralNamesFree> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    const ASN1_IA5STRING* text = nullptr;
    std::vector<std::string>* into = nullptr;
    if (name->type == GEN_DNS) {
      text = name->d.dNSName;
      into = &peer.dns_sans;
    } else if (name->type == GEN_URI) {
      text = name->d.uniformResourceIdentifier;
      into = &peer.uri_sans;
    }
    if (into != nullptr && text != nullptr) {
      into->emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                         static_cast<size_t>(ASN1_STRING_length(text)));
    }
  }
  ERR_clear_error();
  return peer;
}

// Turns OpenSSL's verdict into a reason the agency's developers can act on.
absl::Status VerifyFailure(X509_STORE_CTX* ctx, X509* leaf) {
  const int error = X509_STORE_CTX_get_error(ctx);
  const int depth = X509_STORE_CTX_get_error_depth(ctx);
  X509* current = X509_STORE_CTX_get_current_cert(ctx);
  const std::string whose = depth == 0 || current == nullptr
                                ? "client certificate"
                                : absl::StrCat("client certificate's issuing CA ",
                                               Quote(NameText(X509_get_subject_name(current))));
  switch (error) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return Unauthenticated(
          absl::StrCat(whose, " expired at ",
                       FormatUtc(ToTime(X509_get0_notAfter(current != nullptr ? current : leaf)))));
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return Unauthenticated(absl::StrCat(
          whose, " not yet valid (valid from ",
          FormatUtc(ToTime(X509_get0_notBefore(current != nullptr ? current : leaf))), ")"));
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_REJECTED:
      return Unauthenticated(
          absl::StrCat("client certificate not issued by a trusted CA (its issuer is ",
                       Quote(NameText(X509_get_issuer_name(leaf))),
                       "; send any intermediate CA certificates with it)"));
    case X509_V_ERR_INVALID_PURPOSE:
      return Unauthenticated(absl::StrCat(
          whose, " is not for TLS client use (its extended key usage lacks clientAuth)"));
    case X509_V_ERR_INVALID_CA:
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
    case X509_V_ERR_CERT_CHAIN_TOO_LONG:
      return Unauthenticated(absl::StrCat("client certificate chain is not acceptable: ",
                                          X509_verify_cert_error_string(error)));
    default:
      return Unauthenticated(absl::StrCat("client certificate does not verify: ",
                                          X509_verify_cert_error_string(error)));
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<ClientCertificateVerifier>> ClientCertificateVerifier::Create(
    const std::string& ca_bundle_path, size_t cache_capacity) {
  auto bad = [&ca_bundle_path](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("CA bundle ", ca_bundle_path, ": ", what));
  };
  std::ifstream in(ca_bundle_path, std::ios::binary);
  if (!in) return bad("cannot be read");
  std::ostringstream content;
  content << in.rdbuf();
  const std::string pem = content.str();
  if (pem.size() > kMaxBundleBytes) return bad("larger than 4 MiB");

  X509_STORE* store = X509_STORE_new();
  if (store == nullptr) return absl::InternalError("out of memory creating a certificate store");
  std::unique_ptr<ClientCertificateVerifier> verifier(
      new ClientCertificateVerifier(store, cache_capacity));
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  int count = 0;
  while (true) {
    absl::StatusOr<std::optional<std::string>> der = NextCertificateDer(bio.get());
    if (!der.ok()) return bad(absl::StrCat("block ", count + 1, " ", der.status().message()));
    if (!der->has_value()) break;
    absl::StatusOr<X509Ptr> cert = ParseDer(**der);
    if (!cert.ok()) return bad(absl::StrCat("block ", count + 1, " ", cert.status().message()));
    ++count;
    // A leaf put in the bundle by mistake would otherwise be trusted as a self-signed root.
    if (X509_check_ca(cert->get()) == 0) {
      return bad(absl::StrCat("certificate ", Quote(NameText(X509_get_subject_name(cert->get()))),
                              " is not a CA certificate"));
    }
    if (X509_STORE_add_cert(store, cert->get()) != 1) {
      const unsigned long error = ERR_peek_last_error();
      ERR_clear_error();
      // The same CA twice is harmless.
      if (ERR_GET_REASON(error) != X509_R_CERT_ALREADY_IN_HASH_TABLE) {
        return bad("cannot add a certificate to the store");
      }
    }
  }
  if (count == 0) return bad("holds no PEM certificate");
  return verifier;
}

ClientCertificateVerifier::ClientCertificateVerifier(x509_store_st* store, size_t cache_capacity)
    : store_(store), cache_capacity_(cache_capacity) {}

ClientCertificateVerifier::~ClientCertificateVerifier() { X509_STORE_free(store_); }

absl::StatusOr<PeerCertificate> ClientCertificateVerifier::Verify(std::string_view leaf_pem,
                                                                  std::string_view chain_pem,
                                                                  absl::Time now) const {
  if (absl::StripAsciiWhitespace(absl::string_view(leaf_pem.data(), leaf_pem.size())).empty()) {
    return Unauthenticated("no client certificate");
  }
  if (leaf_pem.size() > kMaxLeafPemBytes || chain_pem.size() > kMaxChainPemBytes) {
    return Unauthenticated("client certificate or chain too large");
  }
  std::unique_ptr<BIO, BioFree> leaf_bio(
      BIO_new_mem_buf(leaf_pem.data(), static_cast<int>(leaf_pem.size())));
  absl::StatusOr<std::optional<std::string>> leaf_der = NextCertificateDer(leaf_bio.get());
  if (!leaf_der.ok() || !leaf_der->has_value()) {
    return Unauthenticated("client certificate is not a PEM certificate");
  }
  // The fingerprint needs only the base64 decoded, not the ASN.1 parsed: a cache hit skips
  // parsing and every signature check. The chain sent is part of the key so that a call gets
  // the same answer whether or not its leaf is cached (a TLS peer sends the same chain on
  // every call, so this costs no hits).
  std::string fingerprint = HexSha256(**leaf_der);
  std::string cache_key = fingerprint;
  if (!chain_pem.empty()) {
    absl::StrAppend(&cache_key, "/", HexSha256(std::string(chain_pem)));
  }
  if (cache_capacity_ > 0) {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(cache_key);
    if (it != cache_.end() && now >= it->second.valid_from && now <= it->second.valid_until) {
      return it->second.peer;
    }
  }

  absl::StatusOr<X509Ptr> leaf = ParseDer(**leaf_der);
  if (!leaf.ok()) return Unauthenticated("client certificate is not a valid X.509 certificate");
  std::unique_ptr<STACK_OF(X509), X509StackFree> untrusted(sk_X509_new_null());
  if (untrusted == nullptr) return absl::InternalError("out of memory");
  if (!chain_pem.empty()) {
    std::unique_ptr<BIO, BioFree> chain_bio(
        BIO_new_mem_buf(chain_pem.data(), static_cast<int>(chain_pem.size())));
    while (true) {
      absl::StatusOr<std::optional<std::string>> der = NextCertificateDer(chain_bio.get());
      if (!der.ok()) return Unauthenticated("client certificate chain is not PEM certificates");
      if (!der->has_value()) break;
      if (sk_X509_num(untrusted.get()) >= kMaxChainCertificates) {
        return Unauthenticated("client certificate chain has too many certificates");
      }
      absl::StatusOr<X509Ptr> cert = ParseDer(**der);
      if (!cert.ok()) {
        return Unauthenticated("client certificate chain holds an invalid certificate");
      }
      if (sk_X509_push(untrusted.get(), cert->get()) <= 0)
        return absl::InternalError("out of memory");
      cert->release();  // now owned by the stack
    }
  }

  std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
  if (ctx == nullptr || X509_STORE_CTX_init(ctx.get(), store_, leaf->get(), untrusted.get()) != 1) {
    ERR_clear_error();
    return absl::InternalError("cannot start certificate verification");
  }
  // Check validity at the caller's `now` (sets X509_V_FLAG_USE_CHECK_TIME), so tests and the
  // injected clock decide, not the wall clock.
  X509_STORE_CTX_set_time(ctx.get(), 0, absl::ToTimeT(now));
  X509_STORE_CTX_set_depth(ctx.get(), kMaxVerifyDepth);
  if (X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT) != 1) {
    ERR_clear_error();
    return absl::InternalError("cannot set the certificate purpose");
  }
  const int verified = X509_verify_cert(ctx.get());
  if (verified != 1) {
    absl::Status failure = VerifyFailure(ctx.get(), leaf->get());
    ERR_clear_error();
    return failure;
  }

  // The window in which the whole chain as verified stays valid: what a cache hit re-checks.
  absl::Time valid_from = absl::InfinitePast();
  absl::Time valid_until = absl::InfiniteFuture();
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
  for (int i = 0; chain != nullptr && i < sk_X509_num(chain); ++i) {
    X509* cert = sk_X509_value(chain, i);
    valid_from = std::max(valid_from, ToTime(X509_get0_notBefore(cert)));
    valid_until = std::min(valid_until, ToTime(X509_get0_notAfter(cert)));
  }
  PeerCertificate peer = Describe(leaf->get(), std::move(fingerprint));
  if (cache_capacity_ > 0) Remember(cache_key, peer, valid_from, valid_until);
  return peer;
}

void ClientCertificateVerifier::Remember(const std::string& key, const PeerCertificate& peer,
                                         absl::Time valid_from, absl::Time valid_until) const {
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = cache_.try_emplace(key);
  it->second = CacheEntry{peer, valid_from, valid_until};
  if (!inserted) return;
  cache_order_.push_back(key);
  if (cache_order_.size() > cache_capacity_) {
    cache_.erase(cache_order_.front());
    cache_order_.pop_front();
  }
}

}  // namespace hub::identity
