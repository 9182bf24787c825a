// Authenticator: who is calling. Handlers ask it first and never look at credentials
// themselves, so that real mutual TLS and signed practitioner tokens slot in later without
// touching a handler. Implementations are thread-safe.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "domain/common/context.h"
#include "grpcpp/server_context.h"
#include "services/common/partnership.h"

namespace hub::services {

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // Identifies the caller of `context`. kUnauthenticated when it cannot (no credentials, an
  // agency not in the partnership, no user, an unknown role).
  virtual absl::StatusOr<domain::Caller> Authenticate(
      const grpc::ServerContextBase& context) const = 0;
};

// Development only: trusts the request metadata
//   x-hub-agency: an agency id of the partnership (its kind comes from the partnership)
//   x-hub-user:   the user id
//   x-hub-roles:  comma-separated roles, e.g. "mash_triage,safeguarding_manager"
// hubd enables it only with --dev_identity_from_metadata, on a loopback address.
std::unique_ptr<Authenticator> NewMetadataAuthenticator(const Partnership& partnership);

// Refuses every call (kUnauthenticated): what hubd uses when no identity is configured.
std::unique_ptr<Authenticator> NewDenyAllAuthenticator();

}  // namespace hub::services
