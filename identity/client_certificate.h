// ClientCertificateVerifier: checks an agency system's TLS client certificate at the
// application layer. hubd asks for a client certificate during the TLS handshake without
// verifying it (TLS still proves the peer holds the certificate's key), so that a wrong
// certificate gets a clear UNAUTHENTICATED status naming the problem instead of a failed
// handshake the agency's developers cannot diagnose. The authenticator then calls Verify with
// the certificate gRPC reports for the call.
//
// Thread-safe: the trusted CAs are fixed at Create; Verify may run on many threads at once.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

struct x509_store_st;  // OpenSSL's X509_STORE

namespace hub::identity {

// What the hub learns about a peer whose certificate verified.
struct PeerCertificate {
  std::string subject_cn;  // the leaf's subject common name ("" if none)
  std::vector<std::string> dns_sans, uri_sans;
  absl::Time not_before, not_after;  // the leaf's own validity
  std::string sha256_fingerprint;    // lower-case hex SHA-256 of the leaf's DER
};

// Lifecycle: Create reads the CA bundle once; to trust other CAs, create another verifier.
class ClientCertificateVerifier {
 public:
  // Successful verifications remembered by default (see Verify); 0 turns the cache off.
  static constexpr size_t kDefaultCacheCapacity = 1024;

  // Reads the trusted CA certificates from the PEM bundle at `ca_bundle_path`.
  // kInvalidArgument when the file cannot be read, holds anything but PEM certificates, or
  // holds none.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ClientCertificateVerifier>> Create(
      const std::string& ca_bundle_path, size_t cache_capacity = kDefaultCacheCapacity);
  ~ClientCertificateVerifier();
  ClientCertificateVerifier(const ClientCertificateVerifier&) = delete;
  ClientCertificateVerifier& operator=(const ClientCertificateVerifier&) = delete;

  // Verifies the peer's certificate `leaf_pem` (as gRPC's auth context property
  // "x509_pem_cert" gives it) with `chain_pem` (any intermediates the peer sent; may be empty)
  // up to a trusted CA, at `now` (validity of every certificate included), for TLS client use
  // (purpose sslclient: an extended key usage, if present, must allow clientAuth).
  // kUnauthenticated with the reason: "no client certificate", "client certificate expired at
  // ...", "client certificate not yet valid ...", "client certificate not issued by a trusted
  // CA", "client certificate is not for TLS client use", "client certificate is not PEM", ...
  //
  // A verified leaf is remembered by its fingerprint (and the chain sent with it) with the
  // window in which its whole chain is valid; a later call for it only re-checks `now` against
  // that window.
  [[nodiscard]] absl::StatusOr<PeerCertificate> Verify(std::string_view leaf_pem,
                                                       std::string_view chain_pem,
                                                       absl::Time now) const;

 private:
  struct CacheEntry {
    PeerCertificate peer;
    absl::Time valid_from, valid_until;  // the intersection of the chain's validity periods
  };

  ClientCertificateVerifier(x509_store_st* store, size_t cache_capacity);
  void Remember(const std::string& key, const PeerCertificate& peer, absl::Time valid_from,
                absl::Time valid_until) const;

  x509_store_st* const store_;  // owned; read-only after Create, so shared by all calls
  const size_t cache_capacity_;
  mutable absl::Mutex mu_;
  mutable absl::flat_hash_map<std::string, CacheEntry> cache_ ABSL_GUARDED_BY(mu_);
  // Keys in the order they were first remembered: the oldest goes when full. There
  // are a few dozen agency systems, so anything smarter would not pay.
  mutable std::deque<std::string> cache_order_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hub::identity
