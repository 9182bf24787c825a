// The errors domain rules return. A rule refused is FAILED_PRECONDITION with a message a
// practitioner understands, naming what to do next; a missing role is PERMISSION_DENIED; a
// command naming something the stream does not hold (an unknown action id) is NOT_FOUND with
// the field named. Thread-safe (no state).
#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace hub::domain {

// A safeguarding rule refused the command, e.g. Refused("advocacy duty unmet: ...").
[[nodiscard]] absl::Status Refused(std::string_view message);
// The caller lacks the role the law gives the decision to.
[[nodiscard]] absl::Status RoleRequired(std::string_view role_label, std::string_view what);
// A field names something the case does not hold: "<field>: <what>".
[[nodiscard]] absl::Status UnknownItem(std::string_view field, std::string_view what);

}  // namespace hub::domain
