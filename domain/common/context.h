// What every domain command carries besides its own fields: who is asking, when, and the
// command's key. The domain never reads a clock or an authenticator: services put them here.
// Plain values; thread-compatible.
#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "hub/common/v1/reference.pb.h"

namespace hub::domain {

// Who stands behind a call. A practitioner is named by their identity provider's token; a
// system is an agency's certificate with no token (user id "system:<CN>"); an operator is the
// hub's own operators' certificate (user id "operator:<CN>"), the only source of the
// administrator role.
enum class CallerKind { kPractitioner, kSystem, kOperator };

// The authenticated caller: an agency (system) and, for practitioners, a user with roles.
struct Caller {
  std::string agency_id;
  common::v1::AgencyKind agency_kind = common::v1::AGENCY_KIND_UNSPECIFIED;
  std::string user_id;
  std::vector<common::v1::Role> roles;
  CallerKind kind = CallerKind::kPractitioner;
  // When the credentials that identified the caller stop being valid (the earlier of the
  // token's and the client certificate's expiry); infinite when they do not expire. A
  // long-lived call (a subscription) ends then.
  absl::Time expires_at = absl::InfiniteFuture();

  bool HasRole(common::v1::Role role) const;
  // A named person (a token's subject), who can be held to account for a judgement.
  bool named_practitioner() const { return kind == CallerKind::kPractitioner && !user_id.empty(); }
};

struct CommandContext {
  Caller caller;
  absl::Time now;
  // "<agency_id>/<command_id>": recorded on every event the command causes, so that a retry
  // is recognised and answered with the original result.
  std::string command_key;
  // A fresh id for whatever the command creates (a concern, an assessment ...), derived by the
  // service from the command key so that a retry derives the same one. Sub-items get
  // "<new_id>-<n>" (see SubId).
  std::string new_id;
};

// "<id>-<n>", n from 1: ids of the items a command creates (actions, plan items, outcomes).
std::string SubId(const std::string& id, int n);

}  // namespace hub::domain
