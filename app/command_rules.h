// The rule for who may act: which roles may call which RPC, from which kinds of agency, and for
// a command on an existing case or person, how the caller's agency must stand to it (the MASH,
// the lead, the agency that raised it, a research partner, an action owner, the advocacy
// provider, the restriction's owner: domain/access/case_standing.h). One table for every
// service, deny by default: a method without a rule is refused. It sits beside the rule for who
// may see (the information sharing agreement, policy/). Domain rules that the law gives to a
// role (threshold decisions, closures, duty-of-care decisions) are checked again in domain/.
// Thread-safe (immutable table).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "domain/access/case_standing.h"
#include "domain/common/context.h"
#include "hub/common/v1/reference.pb.h"

namespace hub::app {

// A rule that names no parties: not a command on an existing case (reads, creation, the raw log).
inline constexpr uint32_t kAnyParty = ~0u;

// OK if one of the caller's roles may call `method` ("hub.api.v1.Mash/TriageConcern") and, when
// the rule names agency kinds, the caller's agency is one of them; kPermissionDenied otherwise,
// naming the method and the roles (or agency kinds) that may.
[[nodiscard]] absl::Status AuthorizeCall(const domain::Caller& caller, std::string_view method);

// OK if the caller's agency stands to the case (or person) as one of the parties the rule for
// `method` names. kPermissionDenied otherwise: for an agency not connected at all, the same
// words whether or not `case_field` names anything that exists (no existence oracle); for a
// connected agency, the parties that may and how it stands.
[[nodiscard]] absl::Status AuthorizeOnCase(const domain::Caller& caller, std::string_view method,
                                           const domain::access::CaseStanding& standing,
                                           std::string_view case_field);

// The roles allowed for `method`; empty if it has no rule (it is then always refused).
std::vector<common::v1::Role> RolesFor(std::string_view method);
// The kinds of agency `method` is reserved for; empty when any agency's callers may.
std::vector<common::v1::AgencyKind> AgencyKindsFor(std::string_view method);
// The parties (domain::access::Party bits) that may call `method` on a case; kAnyParty for a
// method that is not a command on a case, 0 for a method without a rule.
uint32_t PartiesFor(std::string_view method);

}  // namespace hub::app
