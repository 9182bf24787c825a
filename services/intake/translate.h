// Translation of the intake context's requests (People, ReferralIntake, Mash) into domain
// commands.
//
// The one place these requests are validated: every INVALID_ARGUMENT produced here names the
// proto field and the reason ("details.identifiers[0].value: not a valid NHS number (check
// digit)"). Checked here: the command header, ids, text sizes (identity::kDefaultMaxShortText/kDefaultMaxLongText) and
// UTF-8, list lengths, enum values known to this build, timestamps, NHS number check digits,
// and fields required whatever else the request says. Conditional rules ("declined consent
// needs an override ground") are the domain's, and come back FAILED_PRECONDITION from Decide.
// NHS numbers are normalised (spaces removed) and postcodes upper-cased with one space.
// Thread-safe (no state).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "domain/common/context.h"
#include "domain/intake/concern.h"
#include "domain/people/person.h"
#include "hub/api/v1/mash_service.pb.h"
#include "hub/api/v1/people_service.pb.h"
#include "hub/api/v1/referral_intake_service.pb.h"
#include "hub/common/v1/values.pb.h"

namespace hub::services {

// A command on an existing stream: the id of its aggregate (person or concern) and the
// version the client expects it at.
template <typename Command>
struct IntakeStreamCommand {
  std::string id;
  int64_t expected_version = -1;
  Command command;
};

// Validates `details` in place (normalising NHS numbers and postcodes); errors name fields
// under `field` ("details", "adult"). `now` bounds the date of birth.
[[nodiscard]] absl::Status ValidateAdultDetails(std::string_view field,
                                                common::v1::AdultDetails& details, absl::Time now);
// Validates concern details (under `field`, e.g. "details").
[[nodiscard]] absl::Status ValidateConcernDetails(std::string_view field,
                                                  const common::v1::ConcernDetails& details);

// ---- People ----

// person_id is left empty: the service chooses it by deterministic linking.
[[nodiscard]] absl::StatusOr<domain::people::RegisterPerson> RegisterPersonFromProto(
    const domain::Caller& caller, const api::v1::RegisterPersonRequest& request, absl::Time now);
[[nodiscard]] absl::StatusOr<IntakeStreamCommand<domain::people::CorrectPersonDetails>>
CorrectPersonDetailsFromProto(const domain::Caller& caller,
                              const api::v1::CorrectPersonDetailsRequest& request, absl::Time now);
[[nodiscard]] absl::StatusOr<IntakeStreamCommand<domain::people::RecordRepresentative>>
RecordRepresentativeFromProto(const domain::Caller& caller,
                              const api::v1::RecordRepresentativeRequest& request, absl::Time now);

// ---- ReferralIntake ----

// The concern as requested. For a known person, command.person_id is set and command.adult is
// empty; for a described adult, command.adult is set and command.person_id empty. The service
// fills in concern_id, the person, episode, history and the host authority.
[[nodiscard]] absl::StatusOr<domain::intake::RaiseConcern> RaiseConcernFromProto(
    const domain::Caller& caller, const api::v1::RaiseConcernRequest& request, absl::Time now);

// ---- Mash ----

// calendar and timescales are left for the service to fill from the partnership.
[[nodiscard]] absl::StatusOr<IntakeStreamCommand<domain::intake::TriageConcern>>
TriageConcernFromProto(const domain::Caller& caller, const api::v1::TriageConcernRequest& request,
                       absl::Time now);
// agency_kind is left for the service to resolve from the partnership.
[[nodiscard]] absl::StatusOr<IntakeStreamCommand<domain::intake::RequestResearch>>
RequestResearchFromProto(const domain::Caller& caller,
                         const api::v1::RequestResearchRequest& request, absl::Time now);
[[nodiscard]] absl::StatusOr<IntakeStreamCommand<domain::intake::AnswerResearch>>
AnswerResearchFromProto(const domain::Caller& caller, const api::v1::AnswerResearchRequest& request,
                        absl::Time now);
// enquiry_id is left for the service to derive.
[[nodiscard]] absl::StatusOr<IntakeStreamCommand<domain::intake::RecordThresholdDecision>>
RecordThresholdDecisionFromProto(const domain::Caller& caller,
                                 const api::v1::RecordThresholdDecisionRequest& request,
                                 absl::Time now);
[[nodiscard]] absl::StatusOr<IntakeStreamCommand<domain::intake::RecordSharingConsent>>
RecordSharingConsentFromProto(const domain::Caller& caller,
                              const api::v1::RecordSharingConsentRequest& request, absl::Time now);
[[nodiscard]] absl::StatusOr<IntakeStreamCommand<domain::intake::RecordReferrerFeedback>>
RecordReferrerFeedbackFromProto(const domain::Caller& caller,
                                const api::v1::RecordReferrerFeedbackRequest& request,
                                absl::Time now);
// relationship is left for the service to compute from the case's streams.
[[nodiscard]] absl::StatusOr<IntakeStreamCommand<domain::intake::RestrictCase>>
RestrictCaseFromProto(const domain::Caller& caller, const api::v1::RestrictCaseRequest& request,
                      absl::Time now);
[[nodiscard]] absl::StatusOr<IntakeStreamCommand<domain::intake::LiftCaseRestriction>>
LiftCaseRestrictionFromProto(const domain::Caller& caller,
                             const api::v1::LiftCaseRestrictionRequest& request, absl::Time now);

}  // namespace hub::services
