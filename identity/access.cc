#include "identity/access.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace hub::identity {
namespace {

constexpr int kDefaultMaxMessageBytes = 4 << 20;
constexpr int kEventStoreMaxMessageBytes = 16 << 20;  // above the log's 8 MiB append limit

absl::Status Invalid(std::string_view source, const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(source), ": ", message));
}

}  // namespace

absl::StatusOr<AccessPolicy> AccessPolicy::FromText(std::string_view text,
                                                    std::string_view source,
                                                    const config::Partnership& partnership) {
  AccessPolicy p;
  HUB_RETURN_IF_ERROR(config::ParseTextConfig(text, source, p.config_));
  config::v1::Access& c = p.config_;
  for (int i = 0; i < c.agency_certificates_size(); ++i) {
    const config::v1::AgencyCertificate& cert = c.agency_certificates(i);
    const std::string field = absl::StrCat("agency_certificates[", i, "]");
    if (partnership.FindAgency(cert.agency_id()) == nullptr) {
      return Invalid(source, absl::StrCat(field, ".agency_id: '", cert.agency_id(),
                                          "' is not an agency of the partnership"));
    }
    const std::string& match = cert.match();
    const size_t prefix = absl::StartsWith(match, "URI:") || absl::StartsWith(match, "DNS:") ? 4
                          : absl::StartsWith(match, "CN:")                                   ? 3
                                                                                             : 0;
    if (prefix == 0 || match.size() == prefix) {
      return Invalid(source, field + ".match: must be URI:<uri>, DNS:<name> or CN:<common name>");
    }
    if (!p.by_match_.emplace(match, i).second) {
      return Invalid(source, absl::StrCat(field, ".match: '", match, "' repeated"));
    }
    for (int r = 0; r < cert.system_roles_size(); ++r) {
      if (cert.system_roles(r) == common::v1::ROLE_UNSPECIFIED ||
          !common::v1::Role_IsValid(cert.system_roles(r))) {
        return Invalid(source, absl::StrCat(field, ".system_roles[", r, "]: unknown role"));
      }
      // An agency's system is not an operator: administration is named by `operators` alone.
      if (cert.system_roles(r) == common::v1::ROLE_ADMINISTRATOR) {
        return Invalid(source, absl::StrCat(field, ".system_roles[", r,
                                            "]: administrator is not a system role; mark the "
                                            "operators' certificate with 'operators: true'"));
      }
    }
    if (cert.operators() && cert.system_roles_size() > 0) {
      return Invalid(source, field + ".system_roles: an operators' certificate has no other "
                                     "roles than administrator");
    }
  }
  config::v1::TokenIssuer& t = *c.mutable_token_issuer();
  // Issuer and audience are checked by CheckServesTls: a development server needs neither.
  if (t.issuer().empty() != t.audience().empty()) {
    return Invalid(source, "token_issuer: issuer and audience go together");
  }
  if (t.clock_skew_seconds() == 0) t.set_clock_skew_seconds(60);
  if (t.clock_skew_seconds() < 0 || t.clock_skew_seconds() > 300) {
    return Invalid(source, "token_issuer.clock_skew_seconds: 1..300");
  }
  if (t.max_lifetime_seconds() == 0) t.set_max_lifetime_seconds(12 * 3600);
  if (t.max_lifetime_seconds() < 60 || t.max_lifetime_seconds() > 24 * 3600) {
    return Invalid(source, "token_issuer.max_lifetime_seconds: 60..86400");
  }
  if (t.agency_claim().empty()) t.set_agency_claim("hub_agency");
  if (t.roles_claim().empty()) t.set_roles_claim("hub_roles");

  config::v1::Limits& l = *c.mutable_limits();
  const RequestLimits defaults;
  if (l.max_short_text() == 0) l.set_max_short_text(static_cast<int>(defaults.max_short_text));
  if (l.max_long_text() == 0) l.set_max_long_text(static_cast<int>(defaults.max_long_text));
  if (l.max_list_length() == 0) l.set_max_list_length(static_cast<int>(defaults.max_list_length));
  if (l.requests_per_second() == 0) l.set_requests_per_second(20);
  if (l.burst() == 0) l.set_burst(100);
  if (l.max_message_bytes() < 0 || (l.max_message_bytes() > 0 && l.max_message_bytes() < 4096) ||
      l.max_message_bytes() > (64 << 20)) {
    return Invalid(source, "limits.max_message_bytes: 4096..67108864");
  }
  if (l.max_short_text() < 16 || l.max_short_text() > 4096) {
    return Invalid(source, "limits.max_short_text: 16..4096");
  }
  if (l.max_long_text() < l.max_short_text() || l.max_long_text() > (1 << 20)) {
    return Invalid(source, "limits.max_long_text: max_short_text..1048576");
  }
  if (l.max_list_length() < 1 || l.max_list_length() > 10000) {
    return Invalid(source, "limits.max_list_length: 1..10000");
  }
  if (!(l.requests_per_second() > 0) || l.requests_per_second() > 100000) {
    return Invalid(source, "limits.requests_per_second: more than 0, at most 100000");
  }
  if (l.burst() < 1 || l.burst() > 1000000) return Invalid(source, "limits.burst: 1..1000000");
  return p;
}

AccessPolicy AccessPolicy::Defaults() {
  absl::StatusOr<AccessPolicy> policy = FromText("", "defaults", config::Partnership());
  return *std::move(policy);  // an empty file is valid: every field has a default
}

absl::Status AccessPolicy::CheckServesTls() const {
  if (config_.token_issuer().issuer().empty()) {
    return absl::InvalidArgumentError(
        "--access: token_issuer.issuer and token_issuer.audience are required to serve TLS");
  }
  if (config_.agency_certificates().empty()) {
    return absl::InvalidArgumentError(
        "--access: agency_certificates: at least one agency certificate is required to serve "
        "TLS");
  }
  return absl::OkStatus();
}

absl::StatusOr<AccessPolicy> AccessPolicy::Load(const std::string& path,
                                                const config::Partnership& partnership) {
  HUB_ASSIGN_OR_RETURN(std::string text, config::ReadConfigFile(path, "access"));
  return FromText(text, path, partnership);
}

const config::v1::AgencyCertificate* AccessPolicy::MatchCertificate(
    const PeerCertificate& peer) const {
  auto find = [&](const std::string& key) -> const config::v1::AgencyCertificate* {
    auto it = by_match_.find(key);
    return it == by_match_.end() ? nullptr : &config_.agency_certificates(it->second);
  };
  for (const std::string& uri : peer.uri_sans) {
    if (auto* found = find("URI:" + uri)) return found;
  }
  for (const std::string& dns : peer.dns_sans) {
    if (auto* found = find("DNS:" + dns)) return found;
  }
  if (!peer.subject_cn.empty()) return find("CN:" + peer.subject_cn);
  return nullptr;
}

TokenPolicy AccessPolicy::token_policy() const {
  const config::v1::TokenIssuer& t = config_.token_issuer();
  TokenPolicy policy;
  policy.issuer = t.issuer();
  policy.audience = t.audience();
  policy.clock_skew = absl::Seconds(t.clock_skew_seconds());
  policy.max_lifetime = absl::Seconds(t.max_lifetime_seconds());
  policy.agency_claim = t.agency_claim();
  policy.roles_claim = t.roles_claim();
  return policy;
}

RequestLimits AccessPolicy::request_limits() const {
  const config::v1::Limits& l = config_.limits();
  RequestLimits limits;
  limits.max_short_text = static_cast<size_t>(l.max_short_text());
  limits.max_long_text = static_cast<size_t>(l.max_long_text());
  limits.max_list_length = static_cast<size_t>(l.max_list_length());
  return limits;
}

RateLimiter::Options AccessPolicy::rate_limits() const {
  RateLimiter::Options options;
  options.per_second = config_.limits().requests_per_second();
  options.burst = config_.limits().burst();
  return options;
}

int AccessPolicy::max_message_bytes(bool hosts_eventstore) const {
  if (config_.limits().max_message_bytes() > 0) return config_.limits().max_message_bytes();
  return hosts_eventstore ? kEventStoreMaxMessageBytes : kDefaultMaxMessageBytes;
}

}  // namespace hub::identity
