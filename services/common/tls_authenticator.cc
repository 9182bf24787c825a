#include "services/common/tls_authenticator.h"

#include <algorithm>
#include <atomic>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/log.h"
#include "base/status_macros.h"
#include "grpcpp/security/auth_context.h"
#include "services/common/grpc_status.h"

namespace hub::services {
namespace {

// The peer's certificate and chain, as gRPC's TLS transport records them on the connection.
constexpr char kPemCertProperty[] = "x509_pem_cert";
constexpr char kPemChainProperty[] = "x509_pem_cert_chain";
constexpr char kAuthorizationKey[] = "authorization";

std::string Single(const grpc::AuthContext& context, const char* name, bool* ambiguous) {
  const std::vector<grpc::string_ref> values = context.FindPropertyValues(name);
  if (values.size() > 1) *ambiguous = true;
  if (values.size() != 1) return "";
  return std::string(values[0].data(), values[0].size());
}

// Failed authentications are logged for the security team, but sampled, so that a flood of
// bad calls cannot flood the log.
void LogRefusal(const absl::Status& status) {
  static std::atomic<int64_t> refused{0};
  const int64_t n = ++refused;
  if (n <= 100 || n % 1000 == 0) {
    HUB_LOG(WARNING) << "call refused (" << n << " so far): " << status.message();
  }
}

class TlsAuthProcessor final : public grpc::AuthMetadataProcessor {
 public:
  TlsAuthProcessor(const CallerIdentifier& identifier, identity::RateLimiter& limiter)
      : identifier_(identifier), limiter_(limiter) {}

  // Verification is CPU work on data already in memory: run it on the call's own thread.
  bool IsBlocking() const override { return false; }

  grpc::Status Process(const InputMetadata& auth_metadata, grpc::AuthContext* context,
                       OutputMetadata* /*consumed_auth_metadata*/,
                       OutputMetadata* /*response_metadata*/) override {
    bool ambiguous = false;
    const std::string cert = Single(*context, kPemCertProperty, &ambiguous);
    const std::string chain = Single(*context, kPemChainProperty, &ambiguous);
    std::string authorization;
    int tokens = 0;
    for (const auto& [key, value] : auth_metadata) {
      if (key == kAuthorizationKey) {
        authorization.assign(value.data(), value.size());
        ++tokens;
      }
    }
    if (tokens > 1) {
      return Refuse(absl::UnauthenticatedError("more than one authorization header"));
    }
    absl::StatusOr<domain::Caller> caller = identifier_.Identify(cert, chain, authorization);
    if (!caller.ok()) return Refuse(caller.status());
    if (absl::Status admitted = limiter_.Admit(absl::StrCat(caller->agency_id, "/", caller->user_id));
        !admitted.ok()) {
      return ToGrpcStatus(admitted);
    }
    // Nothing is recorded on `context`: it belongs to the connection, which many calls of
    // different practitioners share. The handler identifies the caller again (the same
    // decision, from the same certificate and token).
    return grpc::Status::OK;
  }

 private:
  static grpc::Status Refuse(const absl::Status& status) {
    LogRefusal(status);
    return ToGrpcStatus(status);
  }

  const CallerIdentifier& identifier_;
  identity::RateLimiter& limiter_;
};

class TlsAuthenticator final : public Authenticator {
 public:
  explicit TlsAuthenticator(const CallerIdentifier& identifier) : identifier_(identifier) {}

  // hub::services::Authenticator
  absl::StatusOr<domain::Caller> Authenticate(
      const grpc::ServerContextBase& context) const override {
    const std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
    if (auth == nullptr) return absl::UnauthenticatedError("no authenticated caller");
    bool ambiguous = false;
    const std::string cert = Single(*auth, kPemCertProperty, &ambiguous);
    const std::string chain = Single(*auth, kPemChainProperty, &ambiguous);
    const auto& metadata = context.client_metadata();
    if (ambiguous || metadata.count(kAuthorizationKey) > 1) {
      return absl::UnauthenticatedError("no authenticated caller");
    }
    auto it = metadata.find(kAuthorizationKey);
    const std::string authorization =
        it == metadata.end() ? "" : std::string(it->second.data(), it->second.size());
    return identifier_.Identify(cert, chain, authorization);
  }

 private:
  const CallerIdentifier& identifier_;
};

}  // namespace

absl::StatusOr<domain::Caller> CallerIdentifier::Identify(std::string_view peer_cert_pem,
                                                          std::string_view peer_chain_pem,
                                                          std::string_view authorization) const {
  if (peer_cert_pem.empty()) {
    return absl::UnauthenticatedError(
        "no client certificate: agencies connect with the certificate the partnership issued "
        "them");
  }
  HUB_ASSIGN_OR_RETURN(identity::PeerCertificate peer,
                       certificates_.Verify(peer_cert_pem, peer_chain_pem, clock_.Now()));
  const config::v1::AgencyCertificate* registered = access_.MatchCertificate(peer);
  if (registered == nullptr) {
    return absl::UnauthenticatedError(absl::StrCat(
        "client certificate CN=", peer.subject_cn, " (SHA-256 ", peer.sha256_fingerprint,
        ") is not registered to an agency of this partnership"));
  }
  const config::v1::Agency* agency = partnership_.FindAgency(registered->agency_id());
  if (agency == nullptr) {  // identity::AccessPolicy checked this at start-up
    return absl::UnauthenticatedError("client certificate's agency is not in the partnership");
  }
  domain::Caller caller;
  caller.agency_id = agency->agency_id();
  caller.agency_kind = agency->kind();
  caller.expires_at = peer.not_after;  // long-lived calls end with the certificate

  if (registered->operators()) {
    // The hub's operators administer the log; they are never a practitioner as well.
    if (!authorization.empty()) {
      return absl::UnauthenticatedError(
          "the operators' certificate carries no practitioner token: operators act as "
          "operators, practitioners through their agency's certificate");
    }
    caller.kind = domain::CallerKind::kOperator;
    caller.user_id = absl::StrCat("operator:", peer.subject_cn);
    caller.roles = {common::v1::ROLE_ADMINISTRATOR};
    return caller;
  }
  if (authorization.empty()) {
    if (registered->system_roles().empty()) {
      return absl::UnauthenticatedError(absl::StrCat(
          "agency '", caller.agency_id,
          "' calls on behalf of a practitioner: send their token as 'authorization: Bearer "
          "<token>'"));
    }
    caller.kind = domain::CallerKind::kSystem;
    caller.user_id = absl::StrCat("system:", peer.subject_cn);
    for (int role : registered->system_roles()) {
      caller.roles.push_back(static_cast<common::v1::Role>(role));
    }
    return caller;
  }
  constexpr std::string_view kBearer = "bearer ";
  if (authorization.size() <= kBearer.size() ||
      !absl::EqualsIgnoreCase(absl::string_view(authorization.data(), kBearer.size()),
                              absl::string_view(kBearer.data(), kBearer.size()))) {
    return absl::UnauthenticatedError("authorization: expected 'Bearer <token>'");
  }
  HUB_ASSIGN_OR_RETURN(identity::VerifiedToken token, tokens_.Verify(authorization.substr(kBearer.size())));
  if (token.agency_id != caller.agency_id) {
    return absl::UnauthenticatedError(
        absl::StrCat("token is for agency '", token.agency_id,
                     "' but the client certificate is agency '", caller.agency_id, "'"));
  }
  caller.user_id = token.user_id;
  caller.expires_at = std::min(caller.expires_at, token.expires_at);
  if (absl::StartsWith(caller.user_id, "system:")) {
    return absl::UnauthenticatedError("token subject: 'system:' names are reserved");
  }
  if (absl::StartsWith(caller.user_id, "operator:")) {
    return absl::UnauthenticatedError("token subject: 'operator:' names are reserved");
  }
  for (const std::string& name : token.roles) {
    HUB_ASSIGN_OR_RETURN(common::v1::Role role, RoleFromName(name));
    // An identity provider speaks for practitioners; it cannot make an operator.
    if (role == common::v1::ROLE_ADMINISTRATOR) {
      return absl::UnauthenticatedError(
          "token role 'administrator' is refused: the hub's operators are named by their "
          "certificate in the access file, never by a practitioner's token");
    }
    caller.roles.push_back(role);
  }
  return caller;
}

std::shared_ptr<grpc::AuthMetadataProcessor> NewTlsAuthProcessor(const CallerIdentifier& identifier,
                                                                 identity::RateLimiter& limiter) {
  return std::make_shared<TlsAuthProcessor>(identifier, limiter);
}

std::unique_ptr<Authenticator> NewTlsAuthenticator(const CallerIdentifier& identifier) {
  return std::make_unique<TlsAuthenticator>(identifier);
}

}  // namespace hub::services
