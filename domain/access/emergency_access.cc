#include "domain/access/emergency_access.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "domain/common/envelope.h"
#include "domain/common/labels.h"
#include "domain/common/refusal.h"

namespace hub::domain::access {

bool IsPractitionerRole(common::v1::Role role) {
  switch (role) {
    case common::v1::ROLE_REFERRER:
    case common::v1::ROLE_MASH_TRIAGE:
    case common::v1::ROLE_MASH_RESEARCHER:
    case common::v1::ROLE_ENQUIRY_OFFICER:
    case common::v1::ROLE_SAFEGUARDING_MANAGER:
    case common::v1::ROLE_ADVOCATE:
      return true;
    default:
      return false;
  }
}

bool IsEmergencyPurpose(common::v1::Purpose purpose) {
  return purpose == common::v1::PURPOSE_CARE_PROVISION ||
         purpose == common::v1::PURPOSE_SAFEGUARDING_ENQUIRY ||
         purpose == common::v1::PURPOSE_TRIAGE;
}

absl::Status CheckEmergencyReason(std::string_view reason) {
  const absl::string_view text = absl::StripAsciiWhitespace(absl::string_view(reason.data(), reason.size()));
  if (text.empty()) return absl::InvalidArgumentError("reason: required: say what the emergency is");
  if (reason.size() > kMaxReasonBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("reason: at most ", kMaxReasonBytes, " bytes"));
  }
  int words = 0;
  for (absl::string_view word : absl::StrSplit(text, absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty())) {
    for (char c : word) {
      if (absl::ascii_isalpha(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) >= 0x80) {
        ++words;
        break;
      }
    }
  }
  // A reviewer must be able to judge the need afterwards: "urgent" alone says nothing.
  if (text.size() < kMinReasonChars || words < kMinReasonWords) {
    return absl::InvalidArgumentError(absl::StrCat(
        "reason: say what the emergency is and why this case is needed now (at least ",
        kMinReasonChars, " characters and ", kMinReasonWords, " words)"));
  }
  return absl::OkStatus();
}

void FindActiveGrant(const std::vector<events::v1::Event>& granted, const Caller& caller,
                     absl::Time now, EmergencyAccessFacts& facts) {
  for (const events::v1::Event& event : granted) {
    if (!event.has_emergency_access_granted()) continue;
    const events::v1::EmergencyAccessGranted& grant = event.emergency_access_granted();
    if (grant.agency_id() != caller.agency_id || grant.user_id() != caller.user_id) continue;
    const absl::Time expires = FromTimestamp(grant.expires_at());
    if (now < expires && expires > facts.active_grant_expires_at) {
      facts.active_grant_id = grant.grant_id();
      facts.active_grant_expires_at = expires;
    }
  }
}

absl::StatusOr<events::v1::Event> Decide(const EmergencyAccessFacts& facts,
                                         const RequestEmergencyAccess& command) {
  const Caller& caller = command.ctx.caller;
  // Break-glass is a named person's judgement, answerable afterwards: never a system's.
  if (!caller.named_practitioner()) {
    return absl::PermissionDeniedError(
        "emergency access is a named practitioner's decision: a system caller (an agency's "
        "system or the hub's operators) cannot request it; the practitioner calls with their "
        "own token");
  }
  bool practitioner = false;
  for (common::v1::Role role : caller.roles) practitioner = practitioner || IsPractitionerRole(role);
  // Analysts, auditors and administrators hold no case work, so no emergency of theirs needs a case.
  if (!practitioner) {
    return RoleRequired("a practitioner role (referrer, MASH triage, MASH researcher, enquiry "
                        "officer, safeguarding manager or advocate)",
                        "emergency access");
  }
  if (absl::Status reason = CheckEmergencyReason(command.reason); !reason.ok()) return reason;
  if (command.purpose == common::v1::PURPOSE_UNSPECIFIED) {
    return absl::InvalidArgumentError("purpose: required");
  }
  // Purpose limitation (UK GDPR Art 5(1)(b)): only what cannot wait may break the glass.
  if (!IsEmergencyPurpose(command.purpose)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "purpose: '", Label(command.purpose),
        "' cannot justify emergency access (care provision, safeguarding enquiry or triage)"));
  }
  if (command.duration < absl::ZeroDuration() || command.duration > command.max_duration) {
    return absl::InvalidArgumentError(absl::StrCat(
        "duration: at most the hub's grant time (", absl::FormatDuration(command.max_duration),
        ")"));
  }
  if (!facts.case_known) return UnknownItem("concern_id", "no such concern");
  // Break-glass overrides the agreement only where it shows nothing; more of a case one may
  // already see is asked of the lead agency, whose contact routes the view carries.
  if (facts.agreement_permits_caller) {
    return Refused(absl::StrCat(
        "the information sharing agreement already lets you see this case for '",
        Label(command.purpose),
        "': open it with GetCase; for more, ask the lead agency (emergency access is only for "
        "cases the agreement shows you nothing of)"));
  }
  if (!facts.active_grant_id.empty()) {
    return Refused(absl::StrCat(
        "you already hold emergency access to this case (grant ", facts.active_grant_id,
        ") until ",
        absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", facts.active_grant_expires_at,
                         absl::UTCTimeZone()),
        ": open it with GetCase; a grant is not extended by asking again, request a new one "
        "after it expires if the emergency goes on"));
  }
  const absl::Duration duration =
      command.duration == absl::ZeroDuration() ? command.max_duration : command.duration;
  events::v1::Event event = NewEvent(command.ctx);
  events::v1::EmergencyAccessGranted* granted = event.mutable_emergency_access_granted();
  granted->set_grant_id(command.ctx.new_id);
  granted->set_concern_id(facts.concern_id);
  granted->set_person_id(facts.person_id);
  granted->set_agency_id(caller.agency_id);
  granted->set_user_id(caller.user_id);
  granted->set_reason(std::string(absl::StripAsciiWhitespace(command.reason)));
  *granted->mutable_granted_at() = ToTimestamp(command.ctx.now);
  *granted->mutable_expires_at() = ToTimestamp(command.ctx.now + duration);
  granted->set_purpose(command.purpose);
  granted->set_lead_agency_id(facts.lead_agency_id);
  granted->set_restricted_by_agency_id(facts.restricted_by_agency_id);
  return event;
}

}  // namespace hub::domain::access
