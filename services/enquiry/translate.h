// Translation between the Enquiry and Advocacy wire messages (hub.api.v1) and the enquiry
// domain (domain/enquiry): the one place their request fields are validated and named in
// errors.
//
// What is checked here is the request's shape: the command header, ids, text sizes and UTF-8,
// list lengths, enum values known to this build, timestamps in range, and that every agency
// named is one of the partnership's (its kind is resolved for the domain). What a safeguarding
// rule requires (a capacity assessment names its decision; closure records the adult's view)
// is checked by the domain, which names the same field and the law behind it. Errors:
//   kInvalidArgument  a field is malformed ("actions[2].due_at: out of range");
//   kNotFound         an agency id is not in the partnership
//                     ("lead_agency_id: not a participating agency").
// Thread-safe (no state).
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "domain/common/context.h"
#include "domain/enquiry/advocacy.h"
#include "domain/enquiry/enquiry.h"
#include "hub/api/v1/advocacy_service.pb.h"
#include "hub/api/v1/enquiry_service.pb.h"
#include "config/partnership.h"

namespace hub::services {

// A translated command on one enquiry's stream.
template <typename Command>
struct EnquiryCommand {
  std::string enquiry_id;
  int64_t expected_version = -1;  // from the header (required: every command targets a stream)
  Command command;                // its ctx built from the caller, header and `now`
};

// Each validates `request` and builds the domain command for `caller` at `now`.
// Enquiry
[[nodiscard]] absl::StatusOr<EnquiryCommand<domain::enquiry::AssignLead>> FromProto(
    const api::v1::AssignLeadRequest& request, const domain::Caller& caller, absl::Time now,
    const config::Partnership& partnership);
[[nodiscard]] absl::StatusOr<EnquiryCommand<domain::enquiry::RecordStrategyDiscussion>> FromProto(
    const api::v1::RecordStrategyDiscussionRequest& request, const domain::Caller& caller,
    absl::Time now, const config::Partnership& partnership);
[[nodiscard]] absl::StatusOr<EnquiryCommand<domain::enquiry::CompleteAction>> FromProto(
    const api::v1::CompleteActionRequest& request, const domain::Caller& caller, absl::Time now,
    const config::Partnership& partnership);
[[nodiscard]] absl::StatusOr<EnquiryCommand<domain::enquiry::ReviseDesiredOutcomes>> FromProto(
    const api::v1::ReviseDesiredOutcomesRequest& request, const domain::Caller& caller,
    absl::Time now, const config::Partnership& partnership);
[[nodiscard]] absl::StatusOr<EnquiryCommand<domain::enquiry::RecordCapacityAssessment>> FromProto(
    const api::v1::RecordCapacityAssessmentRequest& request, const domain::Caller& caller,
    absl::Time now, const config::Partnership& partnership);
[[nodiscard]] absl::StatusOr<EnquiryCommand<domain::enquiry::RecordBestInterestsDecision>>
FromProto(const api::v1::RecordBestInterestsDecisionRequest& request, const domain::Caller& caller,
          absl::Time now, const config::Partnership& partnership);
[[nodiscard]] absl::StatusOr<EnquiryCommand<domain::enquiry::RecordRiskAssessment>> FromProto(
    const api::v1::RecordRiskAssessmentRequest& request, const domain::Caller& caller,
    absl::Time now, const config::Partnership& partnership);
[[nodiscard]] absl::StatusOr<EnquiryCommand<domain::enquiry::RecordProtectionPlan>> FromProto(
    const api::v1::RecordProtectionPlanRequest& request, const domain::Caller& caller,
    absl::Time now, const config::Partnership& partnership);
[[nodiscard]] absl::StatusOr<EnquiryCommand<domain::enquiry::ReviewProtectionPlan>> FromProto(
    const api::v1::ReviewProtectionPlanRequest& request, const domain::Caller& caller,
    absl::Time now, const config::Partnership& partnership);
[[nodiscard]] absl::StatusOr<EnquiryCommand<domain::enquiry::RecordCoercionConcern>> FromProto(
    const api::v1::RecordCoercionConcernRequest& request, const domain::Caller& caller,
    absl::Time now, const config::Partnership& partnership);
[[nodiscard]] absl::StatusOr<EnquiryCommand<domain::enquiry::RecordSpokenToAlone>> FromProto(
    const api::v1::RecordSpokenToAloneRequest& request, const domain::Caller& caller,
    absl::Time now, const config::Partnership& partnership);
[[nodiscard]] absl::StatusOr<EnquiryCommand<domain::enquiry::RecordDutyOfCareDecision>> FromProto(
    const api::v1::RecordDutyOfCareDecisionRequest& request, const domain::Caller& caller,
    absl::Time now, const config::Partnership& partnership);
[[nodiscard]] absl::StatusOr<EnquiryCommand<domain::enquiry::ConcludeEnquiry>> FromProto(
    const api::v1::ConcludeEnquiryRequest& request, const domain::Caller& caller, absl::Time now,
    const config::Partnership& partnership);
[[nodiscard]] absl::StatusOr<EnquiryCommand<domain::enquiry::CloseEnquiry>> FromProto(
    const api::v1::CloseEnquiryRequest& request, const domain::Caller& caller, absl::Time now,
    const config::Partnership& partnership);

// Advocacy
[[nodiscard]] absl::StatusOr<EnquiryCommand<domain::enquiry::AssessSubstantialDifficulty>>
FromProto(const api::v1::AssessSubstantialDifficultyRequest& request, const domain::Caller& caller,
          absl::Time now, const config::Partnership& partnership);
[[nodiscard]] absl::StatusOr<EnquiryCommand<domain::enquiry::AssessAppropriateIndividual>>
FromProto(const api::v1::AssessAppropriateIndividualRequest& request, const domain::Caller& caller,
          absl::Time now, const config::Partnership& partnership);
[[nodiscard]] absl::StatusOr<EnquiryCommand<domain::enquiry::RecordAdvocacyExceptions>> FromProto(
    const api::v1::RecordAdvocacyExceptionsRequest& request, const domain::Caller& caller,
    absl::Time now, const config::Partnership& partnership);
[[nodiscard]] absl::StatusOr<EnquiryCommand<domain::enquiry::ReferForAdvocacy>> FromProto(
    const api::v1::ReferForAdvocacyRequest& request, const domain::Caller& caller, absl::Time now,
    const config::Partnership& partnership);
[[nodiscard]] absl::StatusOr<EnquiryCommand<domain::enquiry::AcceptAdvocacyReferral>> FromProto(
    const api::v1::AcceptAdvocacyReferralRequest& request, const domain::Caller& caller,
    absl::Time now, const config::Partnership& partnership);
[[nodiscard]] absl::StatusOr<EnquiryCommand<domain::enquiry::DeclineAdvocacyReferral>> FromProto(
    const api::v1::DeclineAdvocacyReferralRequest& request, const domain::Caller& caller,
    absl::Time now, const config::Partnership& partnership);
[[nodiscard]] absl::StatusOr<EnquiryCommand<domain::enquiry::AllocateAdvocate>> FromProto(
    const api::v1::AllocateAdvocateRequest& request, const domain::Caller& caller, absl::Time now,
    const config::Partnership& partnership);
[[nodiscard]] absl::StatusOr<EnquiryCommand<domain::enquiry::RecordAdvocateViews>> FromProto(
    const api::v1::RecordAdvocateViewsRequest& request, const domain::Caller& caller,
    absl::Time now, const config::Partnership& partnership);

// Fills `out` (cleared first).
void ToProto(const domain::enquiry::AdvocacyDuty& duty, api::v1::AdvocacyDuty* out);

}  // namespace hub::services
