// Authenticator: who is calling. Handlers ask it first and never look at credentials
// themselves. Over mutual TLS the caller was already identified before the call reached the
// service (tls_authenticator.h); the handler's Authenticate reads that identity. Implementations
// are thread-safe.
#pragma once

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "domain/common/context.h"
#include "grpcpp/server_context.h"
#include "config/partnership.h"
#include "identity/rate_limiter.h"

namespace hub::services {

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // Identifies the caller of `context`. kUnauthenticated when it cannot (no credentials, an
  // agency not in the partnership, no user, an unknown role).
  [[nodiscard]] virtual absl::StatusOr<domain::Caller> Authenticate(
      const grpc::ServerContextBase& context) const = 0;
};

// The role named as in tokens and metadata ("mash_triage" -> ROLE_MASH_TRIAGE; lower case);
// kUnauthenticated "unknown role '<name>'" otherwise.
[[nodiscard]] absl::StatusOr<common::v1::Role> RoleFromName(const std::string& name);

// Development only: trusts the request metadata
//   x-hub-agency: an agency id of the partnership (its kind comes from the partnership)
//   x-hub-user:   the user id
//   x-hub-roles:  comma-separated roles, e.g. "mash_triage,safeguarding_manager"
// hubd enables it only with --dev_identity_from_metadata, on a loopback address. With a
// `limiter`, each identified caller's call also takes one request from its bucket
// (kResourceExhausted when empty).
std::unique_ptr<Authenticator> NewMetadataAuthenticator(const config::Partnership& partnership,
                                                        identity::RateLimiter* limiter = nullptr);

// Authenticate, then AuthorizeCall (app/command_rules.h): what a handler that needs only the
// caller's identity and the table does first. A null `authenticator` refuses
// (kUnauthenticated): deny by default.
[[nodiscard]] absl::StatusOr<domain::Caller> AuthorizeCaller(const Authenticator* authenticator,
                                                             const grpc::ServerContextBase& context,
                                                             std::string_view method);

// Refuses every call (kUnauthenticated): what hubd uses when no identity is configured.
std::unique_ptr<Authenticator> NewDenyAllAuthenticator();

}  // namespace hub::services
