#include "services/common/authenticator.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "app/command_rules.h"
#include "base/status_macros.h"
#include "hub/common/v1/reference.pb.h"

namespace hub::services {
namespace {

constexpr char kAgencyKey[] = "x-hub-agency";
constexpr char kUserKey[] = "x-hub-user";
constexpr char kRolesKey[] = "x-hub-roles";

// The single value of metadata `key`, or "" if absent.
std::string Metadata(const grpc::ServerContextBase& context, const char* key) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(key);
  if (it == metadata.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

class MetadataAuthenticator final : public Authenticator {
 public:
  MetadataAuthenticator(const config::Partnership& partnership, identity::RateLimiter* limiter)
      : partnership_(partnership), limiter_(limiter) {}

  // hub::services::Authenticator
  absl::StatusOr<domain::Caller> Authenticate(
      const grpc::ServerContextBase& context) const override {
    domain::Caller caller;
    caller.agency_id = Metadata(context, kAgencyKey);
    caller.user_id = Metadata(context, kUserKey);
    if (caller.agency_id.empty()) {
      return absl::UnauthenticatedError(absl::StrCat("no caller: metadata ", kAgencyKey,
                                                     " is required"));
    }
    const config::v1::Agency* agency = partnership_.FindAgency(caller.agency_id);
    if (agency == nullptr) {
      return absl::UnauthenticatedError(
          absl::StrCat("agency '", caller.agency_id, "' is not part of this partnership"));
    }
    caller.agency_kind = agency->kind();
    if (caller.user_id.empty()) {
      return absl::UnauthenticatedError(absl::StrCat("metadata ", kUserKey, " is required"));
    }
    const std::string roles = Metadata(context, kRolesKey);
    for (absl::string_view name : absl::StrSplit(roles, ',', absl::SkipWhitespace())) {
      HUB_ASSIGN_OR_RETURN(common::v1::Role role,
                           RoleFromName(std::string(absl::StripAsciiWhitespace(name))));
      caller.roles.push_back(role);
    }
    // Development identity mirrors the TLS kinds: "system:<name>" is an agency's system, and
    // the administrator role makes an operator (never together with other roles).
    if (absl::StartsWith(caller.user_id, "system:")) caller.kind = domain::CallerKind::kSystem;
    if (caller.HasRole(common::v1::ROLE_ADMINISTRATOR)) {
      if (caller.roles.size() != 1) {
        return absl::UnauthenticatedError(
            "administrator is an operator's only role: it is never held with others");
      }
      caller.kind = domain::CallerKind::kOperator;
    }
    if (limiter_ != nullptr) {
      HUB_RETURN_IF_ERROR(limiter_->Admit(absl::StrCat(caller.agency_id, "/", caller.user_id)));
    }
    return caller;
  }

 private:
  const config::Partnership& partnership_;
  identity::RateLimiter* const limiter_;
};

class DenyAllAuthenticator final : public Authenticator {
 public:
  // hub::services::Authenticator
  absl::StatusOr<domain::Caller> Authenticate(const grpc::ServerContextBase&) const override {
    return absl::UnauthenticatedError(
        "no caller identity is configured on this server; calls are refused");
  }
};

}  // namespace

absl::StatusOr<common::v1::Role> RoleFromName(const std::string& name) {
  const std::string enum_name = absl::StrCat("ROLE_", absl::AsciiStrToUpper(name));
  const google::protobuf::EnumValueDescriptor* value =
      common::v1::Role_descriptor()->FindValueByName(enum_name);
  if (value == nullptr || value->number() == 0 || name.empty() ||
      absl::AsciiStrToLower(name) != name) {
    return absl::UnauthenticatedError(absl::StrCat("unknown role '", name, "'"));
  }
  return static_cast<common::v1::Role>(value->number());
}

std::unique_ptr<Authenticator> NewMetadataAuthenticator(const config::Partnership& partnership,
                                                        identity::RateLimiter* limiter) {
  return std::make_unique<MetadataAuthenticator>(partnership, limiter);
}

std::unique_ptr<Authenticator> NewDenyAllAuthenticator() {
  return std::make_unique<DenyAllAuthenticator>();
}

absl::StatusOr<domain::Caller> AuthorizeCaller(const Authenticator* authenticator,
                                               const grpc::ServerContextBase& context,
                                               std::string_view method) {
  if (authenticator == nullptr) {
    return absl::UnauthenticatedError("no caller identity is configured; calls are refused");
  }
  absl::StatusOr<domain::Caller> caller = authenticator->Authenticate(context);
  if (!caller.ok()) return caller.status();
  if (absl::Status allowed = app::AuthorizeCall(*caller, method); !allowed.ok()) return allowed;
  return caller;
}

}  // namespace hub::services
