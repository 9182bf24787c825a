// Test PKI: keys and certificates made with OpenSSL's API for tests of TLS client
// certificates and signed tokens. EC P-256 throughout (RSA only for RS256 signing keys).
// Every function aborts (HUB_CHECK) if OpenSSL fails: that is a broken test environment, not
// something a test should handle. Thread-safe (no shared state).
#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace hub::testing {

// A private key (PKCS#8 PEM) and its certificate (PEM).
struct KeyAndCert {
  std::string key_pem, cert_pem;
};

// A self-signed root CA (CA:TRUE, keyCertSign), valid 2000-01-01 to 2099-12-31.
KeyAndCert MakeCa(const std::string& common_name);

// An intermediate CA issued by `issuer`, valid from `not_before` to `not_after`.
KeyAndCert IssueIntermediateCa(const KeyAndCert& issuer, const std::string& common_name,
                               absl::Time not_before, absl::Time not_after);

// An end-entity certificate issued by `issuer` with the given subject alternative names and
// validity; extended key usage serverAuth when `server`, clientAuth otherwise.
KeyAndCert IssueCert(const KeyAndCert& issuer, const std::string& common_name,
                     const std::vector<std::string>& dns_sans,
                     const std::vector<std::string>& uri_sans,
                     const std::vector<std::string>& ip_sans, absl::Time not_before,
                     absl::Time not_after, bool server);

std::string MakeEcSigningKey();   // PKCS#8 PEM private key, P-256
std::string MakeRsaSigningKey();  // PKCS#8 PEM private key, 2048 bits

// Replaces the file at `path` with `content` atomically (write beside, then rename), as a
// deployment should, so that a reader never sees half a file and sees a new inode.
void WriteFile(const std::string& path, const std::string& content);

}  // namespace hub::testing
