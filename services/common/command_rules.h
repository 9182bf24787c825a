// The authorisation table: which roles may call which RPC. One table for every service,
// deny by default: a method without a rule is refused. Domain rules that the law gives to a
// role (threshold decisions, closures, duty-of-care decisions) are checked again in domain/.
// Thread-safe (immutable table).
#pragma once

#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "domain/common/context.h"
#include "hub/common/v1/reference.pb.h"

namespace hub::services {

// OK if one of the caller's roles may call `method` ("hub.api.v1.Mash/TriageConcern");
// kPermissionDenied otherwise, naming the method and the roles that may.
[[nodiscard]] absl::Status AuthorizeCall(const domain::Caller& caller, std::string_view method);

// The roles allowed for `method`; empty if it has no rule (it is then always refused).
std::vector<common::v1::Role> RolesFor(std::string_view method);

}  // namespace hub::services
