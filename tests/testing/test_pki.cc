#include "tests/testing/test_pki.h"

#include <cstdio>
#include <fstream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/check.h"
#include "openssl/bio.h"
#include "openssl/bn.h"
#include "openssl/evp.h"
#include "openssl/pem.h"
#include "openssl/rand.h"
#include "openssl/rsa.h"
#include "openssl/x509.h"
#include "openssl/x509v3.h"

namespace hub::testing {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(length));
}

std::string KeyPem(EVP_PKEY* key) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  HUB_CHECK(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  return BioText(bio.get());
}

std::string CertPem(X509* cert) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  HUB_CHECK(PEM_write_bio_X509(bio.get(), cert) == 1);
  return BioText(bio.get());
}

PkeyPtr ReadKey(const std::string& pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  HUB_CHECK(key != nullptr);
  return key;
}

X509Ptr ReadCert(const std::string& pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  HUB_CHECK(cert != nullptr);
  return cert;
}

PkeyPtr NewEcKey() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  HUB_CHECK(key != nullptr);
  return key;
}

void AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509V3_set_ctx_nodb(&ctx);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  HUB_CHECK(extension != nullptr);
  HUB_CHECK(X509_add_ext(cert, extension, -1) == 1);
  X509_EXTENSION_free(extension);
}

// A certificate for `key` named `common_name`, with a random positive 127-bit serial. Not yet
// signed; `issuer` null means self-issued.
X509Ptr NewCert(EVP_PKEY* key, const std::string& common_name, X509* issuer, absl::Time not_before,
                absl::Time not_after) {
  X509Ptr cert(X509_new());
  HUB_CHECK(cert != nullptr);
  HUB_CHECK(X509_set_version(cert.get(), X509_VERSION_3) == 1);
  unsigned char serial[16];
  HUB_CHECK(RAND_bytes(serial, sizeof serial) == 1);
  serial[0] &= 0x7f;
  std::unique_ptr<BIGNUM, BnFree> bn(BN_bin2bn(serial, sizeof serial, nullptr));
  HUB_CHECK(bn != nullptr &&
            BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) != nullptr);
  X509_NAME* name = X509_get_subject_name(cert.get());
  HUB_CHECK(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                       reinterpret_cast<const unsigned char*>(common_name.c_str()),
                                       -1, -1, 0) == 1);
  HUB_CHECK(X509_set_issuer_name(cert.get(),
                                 issuer != nullptr ? X509_get_subject_name(issuer) : name) == 1);
  HUB_CHECK(ASN1_TIME_set(X509_getm_notBefore(cert.get()), absl::ToTimeT(not_before)) != nullptr);
  HUB_CHECK(ASN1_TIME_set(X509_getm_notAfter(cert.get()), absl::ToTimeT(not_after)) != nullptr);
  HUB_CHECK(X509_set_pubkey(cert.get(), key) == 1);
  return cert;
}

absl::Time Utc(int year, int month, int day) {
  return absl::FromCivil(absl::CivilDay(year, month, day), absl::UTCTimeZone());
}

}  // namespace

KeyAndCert MakeCa(const std::string& common_name) {
  PkeyPtr key = NewEcKey();
  X509Ptr cert = NewCert(key.get(), common_name, nullptr, Utc(2000, 1, 1), Utc(2099, 12, 31));
  AddExtension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  AddExtension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  AddExtension(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
  HUB_CHECK(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0);
  return KeyAndCert{KeyPem(key.get()), CertPem(cert.get())};
}

KeyAndCert IssueIntermediateCa(const KeyAndCert& issuer, const std::string& common_name,
                               absl::Time not_before, absl::Time not_after) {
  PkeyPtr issuer_key = ReadKey(issuer.key_pem);
  X509Ptr issuer_cert = ReadCert(issuer.cert_pem);
  PkeyPtr key = NewEcKey();
  X509Ptr cert = NewCert(key.get(), common_name, issuer_cert.get(), not_before, not_after);
  AddExtension(cert.get(), issuer_cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
  AddExtension(cert.get(), issuer_cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  AddExtension(cert.get(), issuer_cert.get(), NID_subject_key_identifier, "hash");
  AddExtension(cert.get(), issuer_cert.get(), NID_authority_key_identifier, "keyid:always");
  HUB_CHECK(X509_sign(cert.get(), issuer_key.get(), EVP_sha256()) > 0);
  return KeyAndCert{KeyPem(key.get()), CertPem(cert.get())};
}

KeyAndCert IssueCert(const KeyAndCert& issuer, const std::string& common_name,
                     const std::vector<std::string>& dns_sans,
                     const std::vector<std::string>& uri_sans,
                     const std::vector<std::string>& ip_sans, absl::Time not_before,
                     absl::Time not_after, bool server) {
  PkeyPtr issuer_key = ReadKey(issuer.key_pem);
  X509Ptr issuer_cert = ReadCert(issuer.cert_pem);
  PkeyPtr key = NewEcKey();
  X509Ptr cert = NewCert(key.get(), common_name, issuer_cert.get(), not_before, not_after);
  AddExtension(cert.get(), issuer_cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  AddExtension(cert.get(), issuer_cert.get(), NID_key_usage, "critical,digitalSignature");
  AddExtension(cert.get(), issuer_cert.get(), NID_ext_key_usage,
               server ? "serverAuth" : "clientAuth");
  AddExtension(cert.get(), issuer_cert.get(), NID_subject_key_identifier, "hash");
  AddExtension(cert.get(), issuer_cert.get(), NID_authority_key_identifier, "keyid:always");
  std::vector<std::string> sans;
  for (const std::string& dns : dns_sans) sans.push_back(absl::StrCat("DNS:", dns));
  for (const std::string& uri : uri_sans) sans.push_back(absl::StrCat("URI:", uri));
  for (const std::string& ip : ip_sans) sans.push_back(absl::StrCat("IP:", ip));
  if (!sans.empty()) {
    AddExtension(cert.get(), issuer_cert.get(), NID_subject_alt_name, absl::StrJoin(sans, ","));
  }
  HUB_CHECK(X509_sign(cert.get(), issuer_key.get(), EVP_sha256()) > 0);
  return KeyAndCert{KeyPem(key.get()), CertPem(cert.get())};
}

std::string MakeEcSigningKey() { return KeyPem(NewEcKey().get()); }

std::string MakeRsaSigningKey() {
  PkeyPtr key(EVP_RSA_gen(2048));
  HUB_CHECK(key != nullptr);
  return KeyPem(key.get());
}

void WriteFile(const std::string& path, const std::string& content) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << content;
    out.close();
    HUB_CHECK(out.good());
  }
  HUB_CHECK(std::rename(temporary.c_str(), path.c_str()) == 0);
}

}  // namespace hub::testing
