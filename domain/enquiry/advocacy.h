// Independent advocacy for an adult in an enquiry (Care Act 2014 s68), on the enquiry's own
// stream (enquiry.h): the assessments the duty is computed from, and the referral ->
// acceptance -> allocation -> advocate's views sequence that meets it.
//
// The duty is never typed in: ComputeAdvocacyDuty derives it from what is recorded, and
// ConcludeEnquiry refuses a s42 enquiry while it is unmet.
//
// Decide's errors are those of enquiry.h. The local authority's steps (assessments, exceptions,
// referral) are for those who may act on the enquiry (CheckLeadOrResponsible). Provider-side
// steps (accept, decline, allocate, the advocate's views) are the provider's: the caller must
// belong to the agency the referral was sent to and hold the Advocate or Safeguarding manager
// role (kPermissionDenied otherwise).
// Pure; thread-safe functions over thread-compatible values.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "domain/common/context.h"
#include "domain/enquiry/enquiry.h"
#include "hub/common/v1/reference.pb.h"

namespace hub::domain::enquiry {

// The s68 duty as the record stands.
struct AdvocacyDuty {
  // Substantial difficulty in any of the four areas AND (no appropriate individual OR an
  // exception: 28+ days in hospital, 8+ weeks in a care home, disagreement).
  bool applies = false;
  // The duty does not apply, or an advocate is allocated on an accepted referral and the
  // advocate's views are recorded.
  bool met = true;
  // In words a practitioner understands, naming what is missing.
  std::string explanation;
};

// The facts the s68 duty turns on, as plain values, so that read models (projections/) apply
// the same rule as the enquiry without holding an EnquiryState.
struct AdvocacyFacts {
  // Assessed, with substantial difficulty in at least one of the four areas.
  bool substantial_difficulty = false;
  // An appropriate individual exists and meets every condition (IsAppropriateIndividual).
  bool appropriate_individual_found = false;
  // Hospital 28+ days, care home 8+ weeks, or disagreement with the appropriate individual.
  bool exception_applies = false;
  // On an accepted referral, an advocate is allocated and their views are recorded.
  bool advocate_allocated_with_views = false;
};

// The one place the duty is decided; `explanation` is a short generic sentence (the
// EnquiryState overload names what is missing).
AdvocacyDuty ComputeAdvocacyDuty(const AdvocacyFacts& facts);

// s68(4)/(5): someone exists, is unpaid, is not implicated as a source of risk, and is
// consented to by the adult or (lacking capacity) in their best interests.
bool IsAppropriateIndividual(const events::v1::AppropriateIndividualAssessed& assessed);

AdvocacyDuty ComputeAdvocacyDuty(const EnquiryState& state);

// Who may read the duty: those who may act on the enquiry (CheckLeadOrResponsible) and any
// advocacy provider a referral on this enquiry was sent to. kPermissionDenied otherwise.
[[nodiscard]] absl::Status CheckMayReadAdvocacy(const EnquiryState& state, const Caller& caller);

// ---- Commands ----

// Whether, without an advocate, the adult would have substantial difficulty in each area.
struct AssessSubstantialDifficulty {
  CommandContext ctx;
  bool understanding = false;
  bool retaining = false;
  bool using_or_weighing = false;
  bool communicating = false;
  std::string notes;
};

// Whether someone could be the adult's appropriate individual (s68(4)/(5)).
struct AssessAppropriateIndividual {
  CommandContext ctx;
  bool exists = false;
  std::string name;
  std::string relationship;
  bool unpaid = false;
  bool not_source_of_risk = false;
  bool adult_consents = false;
  bool in_best_interests = false;
  std::string notes;
};

struct RecordAdvocacyExceptions {
  CommandContext ctx;
  bool hospital_28_days_or_more = false;
  bool care_home_8_weeks_or_more = false;
  bool disagreement_with_appropriate_individual = false;
  std::string notes;
};

struct ReferForAdvocacy {
  CommandContext ctx;
  std::string provider_agency_id;
  // The provider's kind in the partnership, resolved by the service.
  common::v1::AgencyKind provider_agency_kind = common::v1::AGENCY_KIND_UNSPECIFIED;
  std::string reason;
};

struct AcceptAdvocacyReferral {
  CommandContext ctx;
  std::string referral_id;
};

struct DeclineAdvocacyReferral {
  CommandContext ctx;
  std::string referral_id;
  std::string reason;
};

struct AllocateAdvocate {
  CommandContext ctx;
  std::string referral_id;
  std::string advocate_name;
  std::string advocate_user_id;
  std::string contact;
};

struct RecordAdvocateViews {
  CommandContext ctx;
  std::string referral_id;
  std::string views;
};

[[nodiscard]] absl::StatusOr<Events> Decide(const EnquiryState& state,
                                            const AssessSubstantialDifficulty& cmd);
[[nodiscard]] absl::StatusOr<Events> Decide(const EnquiryState& state,
                                            const AssessAppropriateIndividual& cmd);
[[nodiscard]] absl::StatusOr<Events> Decide(const EnquiryState& state,
                                            const RecordAdvocacyExceptions& cmd);
[[nodiscard]] absl::StatusOr<Events> Decide(const EnquiryState& state, const ReferForAdvocacy& cmd);
[[nodiscard]] absl::StatusOr<Events> Decide(const EnquiryState& state,
                                            const AcceptAdvocacyReferral& cmd);
[[nodiscard]] absl::StatusOr<Events> Decide(const EnquiryState& state,
                                            const DeclineAdvocacyReferral& cmd);
[[nodiscard]] absl::StatusOr<Events> Decide(const EnquiryState& state, const AllocateAdvocate& cmd);
[[nodiscard]] absl::StatusOr<Events> Decide(const EnquiryState& state,
                                            const RecordAdvocateViews& cmd);

}  // namespace hub::domain::enquiry
