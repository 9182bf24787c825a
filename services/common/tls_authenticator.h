// Authentication over mutual TLS: agencies' systems by their client certificate, practitioners
// by the partnership identity provider's bearer token. Decided for every call BEFORE it reaches
// any service (a grpc::AuthMetadataProcessor on the server credentials), so that no
// unauthenticated call reaches a handler; and decided again, identically, by the handler's
// Authenticator, because gRPC's auth context belongs to the connection, which many
// practitioners' calls share, so it cannot carry one call's identity to its handler.
//
// hubd asks for a client certificate in the TLS handshake without verifying it there; the
// certificate is verified here, against the configured CA bundle, so that a missing, unknown
// or expired certificate gets UNAUTHENTICATED with a reason the agency's system team can act
// on rather than a bare handshake failure. TLS itself still proves the client holds the
// certificate's key. Thread-safe.
#pragma once

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "base/clock.h"
#include "domain/common/context.h"
#include "grpcpp/security/auth_metadata_processor.h"
#include "identity/access.h"
#include "services/common/authenticator.h"
#include "identity/client_certificate.h"
#include "config/partnership.h"
#include "identity/rate_limiter.h"
#include "identity/token_verifier.h"

namespace hub::services {

// Who is calling, from what the connection and the call present.
class CallerIdentifier {
 public:
  CallerIdentifier(const identity::AccessPolicy& access, const config::Partnership& partnership,
                   const identity::ClientCertificateVerifier& certificates, const identity::TokenVerifier& tokens,
                   const Clock& clock)
      : access_(access),
        partnership_(partnership),
        certificates_(certificates),
        tokens_(tokens),
        clock_(clock) {}

  // `peer_cert_pem`: the client certificate ("" when none was presented); `peer_chain_pem`:
  // any intermediates; `authorization`: the "authorization" metadata ("" when absent).
  // With a token ("Bearer <jwt>"), the caller is the token's practitioner, whose agency must
  // be the certificate's; without, the agency's system with its configured system roles.
  // kUnauthenticated with the reason otherwise.
  [[nodiscard]] absl::StatusOr<domain::Caller> Identify(std::string_view peer_cert_pem,
                                                        std::string_view peer_chain_pem,
                                                        std::string_view authorization) const;

 private:
  const identity::AccessPolicy& access_;
  const config::Partnership& partnership_;
  const identity::ClientCertificateVerifier& certificates_;
  const identity::TokenVerifier& tokens_;
  const Clock& clock_;
};

// The processor hubd sets on its TLS server credentials: identifies the caller and takes one
// request from its rate-limit bucket (RESOURCE_EXHAUSTED when empty). A refused call never
// reaches a service.
std::shared_ptr<grpc::AuthMetadataProcessor> NewTlsAuthProcessor(const CallerIdentifier& identifier,
                                                                 identity::RateLimiter& limiter);

// The handlers' Authenticator behind NewTlsAuthProcessor: the same CallerIdentifier over the
// call's connection certificate and authorization metadata.
std::unique_ptr<Authenticator> NewTlsAuthenticator(const CallerIdentifier& identifier);

}  // namespace hub::services
