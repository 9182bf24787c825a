// AccessPolicy: the access configuration (hub.config.v1.Access, deploy/access.example.textproto)
// validated against the partnership, with its defaults filled: which client certificate is
// which agency, whose tokens name practitioners, and the request limits. Loaded once at
// start-up; read-only after. Thread-safe for reads.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "config/partnership.h"
#include "hub/config/v1/access.pb.h"
#include "identity/client_certificate.h"
#include "identity/rate_limiter.h"
#include "identity/token_verifier.h"

namespace hub::identity {

// Limits on what a request may carry; a request over them changes nothing. hubd sets them once
// from the access file before it serves (app::SetRequestLimits); these are the defaults.
inline constexpr size_t kDefaultMaxShortText = 200;   // names, ids of others, labels
inline constexpr size_t kDefaultMaxLongText = 20000;  // narratives: what happened, views, evidence
inline constexpr size_t kDefaultMaxListLength = 100;  // repeated fields

struct RequestLimits {
  size_t max_short_text = kDefaultMaxShortText;
  size_t max_long_text = kDefaultMaxLongText;
  size_t max_list_length = kDefaultMaxListLength;
};

class AccessPolicy {
 public:
  // Parses and validates `text` (`source` names it in errors): every agency id is one of the
  // partnership's, every match is "URI:", "DNS:" or "CN:" and unique, roles are known, the
  // token issuer and audience are set, limits are within sane bounds. kInvalidArgument names
  // the field.
  [[nodiscard]] static absl::StatusOr<AccessPolicy> FromText(
      std::string_view text, std::string_view source, const config::Partnership& partnership);
  [[nodiscard]] static absl::StatusOr<AccessPolicy> Load(const std::string& path,
                                                         const config::Partnership& partnership);
  // No certificates, no issuer, every limit at its default: a development server's policy.
  static AccessPolicy Defaults();

  // OK if the policy can serve mutual TLS: a token issuer and at least one agency
  // certificate. kInvalidArgument saying what is missing.
  [[nodiscard]] absl::Status CheckServesTls() const;

  const config::v1::Access& config() const { return config_; }

  // The registration of the agency whose certificate this is, or nullptr. Subject
  // alternative names are tried before the subject common name.
  const config::v1::AgencyCertificate* MatchCertificate(const PeerCertificate& peer) const;

  TokenPolicy token_policy() const;
  RequestLimits request_limits() const;
  RateLimiter::Options rate_limits() const;
  // The gRPC receive limit of an address: the configured one, or the default (4 MiB; 16 MiB
  // for the raw log's own address, whose appends may be 8 MiB).
  int max_message_bytes(bool hosts_eventstore) const;

 private:
  config::v1::Access config_;
  absl::flat_hash_map<std::string, int> by_match_;  // match string -> agency_certificates index
};

}  // namespace hub::identity
