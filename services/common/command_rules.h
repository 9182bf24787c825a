// The authorisation table: which roles may call which RPC. One table for every service,
// deny by default: a method without a rule is refused. Domain rules that the law gives to a
// role (threshold decisions, closures, duty-of-care decisions) are checked again in domain/.
// Thread-safe (immutable table).
#pragma once

#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "domain/common/context.h"
#include "grpcpp/server_context.h"
#include "services/common/authenticator.h"
#include "hub/common/v1/reference.pb.h"

namespace hub::services {

// OK if one of the caller's roles may call `method` ("hub.api.v1.Mash/TriageConcern") and, when
// the rule names agency kinds, the caller's agency is one of them; kPermissionDenied otherwise,
// naming the method and the roles (or agency kinds) that may.
[[nodiscard]] absl::Status AuthorizeCall(const domain::Caller& caller, std::string_view method);

// Authenticate, then AuthorizeCall: what a handler that needs only the caller's identity and
// the table does first. A null `authenticator` refuses (kUnauthenticated): deny by default.
absl::StatusOr<domain::Caller> AuthorizeCaller(const Authenticator* authenticator,
                                               const grpc::ServerContextBase& context,
                                               std::string_view method);

// The roles allowed for `method`; empty if it has no rule (it is then always refused).
std::vector<common::v1::Role> RolesFor(std::string_view method);
// The kinds of agency `method` is reserved for; empty when any agency's callers may.
std::vector<common::v1::AgencyKind> AgencyKindsFor(std::string_view method);

}  // namespace hub::services
