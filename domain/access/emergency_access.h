// Break-glass (emergency access): a named practitioner asks to see a case the information
// sharing agreement shows them nothing of, because an emergency cannot wait for the lead
// agency. The grant is theirs alone, lasts a limited time, is recorded with its reason before
// it is answered, and is told to the lead agency (and to the owner of a restricted case).
//
// Pure: Decide(facts, command) -> the EmergencyAccessGranted event | Status. The service
// gathers the facts (the case file, the agreement's decision for the caller) and appends the
// event to emergency-access-<concern_id>. No I/O, no clock. Thread-safe (no state).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "domain/common/context.h"
#include "hub/common/v1/reference.pb.h"
#include "hub/events/v1/events.pb.h"

namespace hub::domain::access {

// The hub's grant time unless configured otherwise (ViewsService options).
inline constexpr absl::Duration kDefaultEmergencyAccessDuration = absl::Hours(3);
// A reason a reviewer can judge: at least this many characters and words, at most this many
// bytes.
inline constexpr size_t kMinReasonChars = 20;
inline constexpr int kMinReasonWords = 3;
inline constexpr size_t kMaxReasonBytes = 1000;

// What the service knows about the case and the caller when the request arrives.
struct EmergencyAccessFacts {
  bool case_known = false;  // the case file exists
  std::string concern_id;
  std::string person_id;
  // The agreement already shows the caller something of the case for the declared purpose.
  bool agreement_permits_caller = false;
  std::string lead_agency_id;           // who leads (the MASH before a lead is named)
  std::string restricted_by_agency_id;  // the restriction's owner; "" when not restricted
  // The caller's own grant on this case that is still running (read from the grants' stream),
  // if any: a second one is refused, so that a grant's time cannot be stretched by asking again.
  std::string active_grant_id;
  absl::Time active_grant_expires_at = absl::InfinitePast();
};

// The caller's grant among `granted` (the events of emergency-access-<concern_id>) that is
// still running at `now`: the one expiring last. Sets facts.active_grant_*.
void FindActiveGrant(const std::vector<events::v1::Event>& granted, const Caller& caller,
                     absl::Time now, EmergencyAccessFacts& facts);

struct RequestEmergencyAccess {
  CommandContext ctx;  // ctx.new_id is the grant id
  std::string concern_id;
  std::string reason;
  common::v1::Purpose purpose = common::v1::PURPOSE_UNSPECIFIED;
  absl::Duration duration = absl::ZeroDuration();  // asked for; zero = max_duration
  absl::Duration max_duration = kDefaultEmergencyAccessDuration;  // the hub's grant time
};

// True for the roles that work with adults (referrer, MASH triage, MASH researcher, enquiry
// officer, safeguarding manager, advocate); never board analyst, auditor or administrator.
bool IsPractitionerRole(common::v1::Role role);

// The purposes an emergency can serve: care provision, a safeguarding enquiry, triage. Never
// research, audit, statistics or subject access, which can always wait for the lead agency.
bool IsEmergencyPurpose(common::v1::Purpose purpose);

// kInvalidArgument "reason: ..." unless `reason` is at least kMinReasonChars (trimmed) and
// kMinReasonWords words with letters, and at most kMaxReasonBytes.
[[nodiscard]] absl::Status CheckEmergencyReason(std::string_view reason);

// Decides a break-glass request. Errors:
//   kPermissionDenied    a system or operator caller (no named practitioner), or no
//                        practitioner role;
//   kInvalidArgument     reason, purpose (not an emergency purpose) or duration unusable
//                        (field named);
//   kNotFound            "concern_id: no such concern";
//   kFailedPrecondition  the agreement already shows the caller the case: break-glass is not
//                        needed (GetCase, or ask the lead agency for more); or the caller
//                        already holds a running grant on it.
[[nodiscard]] absl::StatusOr<events::v1::Event> Decide(const EmergencyAccessFacts& facts,
                                                       const RequestEmergencyAccess& command);

}  // namespace hub::domain::access
