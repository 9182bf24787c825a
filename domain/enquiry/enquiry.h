// The enquiry aggregate (stream enquiry-<id>): a Care Act 2014 s42 enquiry, or another
// safeguarding enquiry, from the MASH threshold decision that opens it to its closure, with the
// s68 advocacy that lives on the same stream (advocacy.h) so that "no conclusion while the
// advocacy duty is unmet" is checked on one consistent stream.
//
//   EnquiryState state = Fold(stream_events);
//   absl::StatusOr<std::vector<events::v1::Event>> new_events = Decide(state, command);
//
// Decide returns the events a command causes, or why not:
//   kFailedPrecondition  a safeguarding rule refused it; the message says what to do next;
//   kPermissionDenied    the caller lacks the role (or agency) the law gives the decision to;
//   kNotFound            the command names something the enquiry does not hold (field named),
//                        or the enquiry was never opened ("enquiry_id: no such enquiry");
//   kInvalidArgument     a required part is missing or inconsistent (field named).
// Pure: no I/O, no clock (time comes in CommandContext), no logging. Thread-compatible values;
// the functions are thread-safe.
//
// The enquiry's life: opened (EnquiryOpened, written by the MASH decision) -> lead, strategy,
// outcomes, capacity, risk, plan, advocacy ... -> concluded (only closure steps may follow:
// CompleteAction, ReviewProtectionPlan, RecordDutyOfCareDecision, CloseEnquiry) -> closed
// (nothing more; a new concern links to the history).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "domain/common/context.h"
#include "hub/common/v1/reference.pb.h"
#include "hub/common/v1/values.pb.h"
#include "hub/events/v1/events.pb.h"

namespace hub::domain::enquiry {

// ---- State ----

struct ActionState {
  common::v1::AgreedAction action;  // action_id assigned
  std::string discussion_id;        // the strategy discussion that agreed it
  bool completed = false;
  absl::Time completed_at = absl::InfinitePast();
};

struct DesiredOutcomeState {
  common::v1::DesiredOutcome outcome;  // the current words
  bool withdrawn = false;
  absl::Time changed_at = absl::InfinitePast();  // when last added, changed or withdrawn
};

// One s68 referral to an advocacy provider and how far it has gone.
struct AdvocacyReferral {
  enum class Status { kPending, kAccepted, kDeclined };
  std::string referral_id;
  std::string provider_agency_id;
  std::string reason;
  Status status = Status::kPending;
  std::string decline_reason;
  std::string advocate_name;  // empty until allocated; the latest allocation counts
  std::string advocate_user_id;
  std::string views;  // the advocate's latest recorded views; empty until recorded

  bool allocated() const { return !advocate_name.empty(); }
  bool views_recorded() const { return !views.empty(); }
};

// What the s68 duty is computed from (advocacy.h). Each assessment: the latest counts.
struct AdvocacyState {
  std::optional<events::v1::SubstantialDifficultyAssessed> difficulty;
  std::optional<events::v1::AppropriateIndividualAssessed> appropriate_individual;
  std::optional<events::v1::AdvocacyExceptionsRecorded> exceptions;
  std::vector<AdvocacyReferral> referrals;  // in the order referred
};

struct EnquiryState {
  bool opened = false;
  events::v1::EnquiryOpened opening;                    // as the MASH decision opened it
  std::optional<events::v1::EnquiryLeadAssigned> lead;  // the latest assignment
  std::vector<ActionState> actions;
  std::vector<DesiredOutcomeState> desired_outcomes;  // from the concern, then revisions
  std::vector<events::v1::CapacityAssessed> capacity_assessments;  // in log order
  std::vector<events::v1::BestInterestsDecided> best_interests_decisions;
  int risk_assessments = 0;
  std::optional<events::v1::ProtectionPlanRecorded> protection_plan;  // the latest plan
  int protection_plan_reviews = 0;
  // Once suspected (at the concern or later), it stays a reason not to walk away: a later
  // "not suspected" record is a note, not an erasure (MSP "doesn't mean walking away").
  bool coercion_suspected = false;
  int spoken_to_alone_records = 0;
  std::vector<events::v1::DutyOfCareDecisionRecorded> duty_of_care_decisions;
  std::optional<events::v1::EnquiryConcluded> conclusion;
  absl::Time concluded_at = absl::InfinitePast();
  std::optional<events::v1::EnquiryClosed> closure;
  absl::Time closed_at = absl::InfinitePast();
  AdvocacyState advocacy;

  bool concluded() const { return conclusion.has_value(); }
  bool closed() const { return closure.has_value(); }
  // nullptr when there is no such item.
  const ActionState* FindAction(const std::string& action_id) const;
  const DesiredOutcomeState* FindDesiredOutcome(const std::string& outcome_id) const;
  const events::v1::CapacityAssessed* FindCapacityAssessment(const std::string& id) const;
  const AdvocacyReferral* FindReferral(const std::string& referral_id) const;
};

// Applies one event. Events of other streams and unknown payloads leave the state unchanged
// (readers accept every version of the log).
EnquiryState Evolve(EnquiryState state, const events::v1::Event& event);
EnquiryState Fold(const std::vector<events::v1::Event>& events);
EnquiryState Fold(EnquiryState state, const std::vector<events::v1::Event>& events);

// OK if the enquiry can take a command: kNotFound if it was never opened; refused once closed,
// and after conclusion unless `closure_step` (the command is one of the closure steps).
[[nodiscard]] absl::Status CheckCanRecord(const EnquiryState& state, bool closure_step);

// Who may act on this enquiry, by the caller's agency's relationship to the case (Care Act
// s42(2): the local authority owns the enquiry and may cause another organisation to make it;
// partners act on what they were given). Before a lead is assigned: any adult social care
// agency. Once a lead exists: the lead agency or the local authority responsible for a caused
// enquiry. Every enquiry and advocacy Decide applies it, with these differences: AssignLead
// (the responsible local authority only, see there), CompleteAction (also the action's owner
// agency), ReviseDesiredOutcomes (also the provider of the allocated advocate), and the
// provider-side advocacy steps (the referral's provider only, advocacy.h).
// kPermissionDenied otherwise: "<what>: this enquiry is led by <lead>; <caller's agency> is not
// the lead agency or the local authority responsible[, nor <also>]".
[[nodiscard]] absl::Status CheckLeadOrResponsible(const EnquiryState& state, const Caller& caller,
                                                  std::string_view what,
                                                  std::string_view also = {});

// ---- Commands ----

// Lead agency and enquiry officer. Re-assignment is a new event.
struct AssignLead {
  CommandContext ctx;
  std::string lead_agency_id;
  common::v1::AgencyKind lead_agency_kind = common::v1::AGENCY_KIND_UNSPECIFIED;
  std::string officer_name;
  std::string officer_user_id;
  // s42(2): the local authority causes another organisation to make (part of) the enquiry.
  bool caused = false;
  std::string scope;
  // The local authority keeping responsibility: the caller's agency, resolved by the service.
  std::string responsible_agency_id;
  common::v1::AgencyKind responsible_agency_kind = common::v1::AGENCY_KIND_UNSPECIFIED;
};

struct RecordStrategyDiscussion {
  CommandContext ctx;
  absl::Time held_at = absl::InfinitePast();
  std::vector<std::string> participants;
  std::vector<std::string> decisions;
  std::vector<common::v1::AgreedAction> actions;  // action_id is assigned
  std::string adults_views;
};

struct CompleteAction {
  CommandContext ctx;
  std::string action_id;
  std::string note;
};

struct ReviseDesiredOutcomes {
  CommandContext ctx;
  std::vector<common::v1::DesiredOutcome> added;    // outcome_id is assigned
  std::vector<common::v1::DesiredOutcome> changed;  // outcome_id names the one changed
  std::vector<std::string> withdrawn_outcome_ids;
  std::string reason;
};

struct RecordCapacityAssessment {
  CommandContext ctx;
  std::string decision;
  absl::Time assessed_at = absl::InfinitePast();
  std::string assessor;
  common::v1::CapacityFinding finding = common::v1::CAPACITY_FINDING_UNSPECIFIED;
  std::string evidence;
};

struct RecordBestInterestsDecision {
  CommandContext ctx;
  std::string capacity_assessment_id;
  std::string decision;
  std::vector<common::v1::BestInterestsOption> options;
  std::vector<std::string> people_consulted;
  std::string adults_known_wishes;
  std::string chosen_option;
  std::string rationale;
};

struct RecordRiskAssessment {
  CommandContext ctx;
  std::string dangers;
  std::string safety;
  std::string strengths;
};

struct RecordProtectionPlan {
  CommandContext ctx;
  std::vector<common::v1::PlanItem> items;  // item_id is assigned
  std::optional<absl::Time> next_review_at;
  bool agreed_with_adult = false;
};

struct ReviewProtectionPlan {
  CommandContext ctx;
  std::string notes;
  std::optional<absl::Time> next_review_at;
};

struct RecordCoercionConcern {
  CommandContext ctx;
  common::v1::CoercionConcern coercion;
};

struct RecordSpokenToAlone {
  CommandContext ctx;
  common::v1::SpokenToAlone spoken;
};

struct RecordDutyOfCareDecision {
  CommandContext ctx;
  std::string decision;
  std::string reasons;
};

struct ConcludeEnquiry {
  CommandContext ctx;
  std::vector<common::v1::ConcludedRisk> risks;
  common::v1::ActionAndResult action_and_result = common::v1::ACTION_AND_RESULT_UNSPECIFIED;
  common::v1::RiskOutcome risk_outcome = common::v1::RISK_OUTCOME_UNSPECIFIED;
  common::v1::CapacityAnswer capacity = common::v1::CAPACITY_ANSWER_UNSPECIFIED;
  bool supported_by_advocate_family_or_friend = false;
  common::v1::OutcomesAsked outcomes_asked = common::v1::OUTCOMES_ASKED_UNSPECIFIED;
  std::string outcomes_not_asked_reason;
  std::vector<common::v1::OutcomeResult> outcome_results;
  common::v1::ExperienceAnswers experience;
  std::string summary;
};

struct CloseEnquiry {
  CommandContext ctx;
  common::v1::ClosureReason reason = common::v1::CLOSURE_REASON_UNSPECIFIED;
  std::string adults_view;
  bool referrer_informed = false;
  bool others_informed = false;
  bool sar_considered = false;
  bool sar_referred = false;
  std::string notes;
};

// ---- Decisions ----

using Events = std::vector<events::v1::Event>;

[[nodiscard]] absl::StatusOr<Events> Decide(const EnquiryState& state, const AssignLead& cmd);
[[nodiscard]] absl::StatusOr<Events> Decide(const EnquiryState& state,
                                            const RecordStrategyDiscussion& cmd);
[[nodiscard]] absl::StatusOr<Events> Decide(const EnquiryState& state, const CompleteAction& cmd);
[[nodiscard]] absl::StatusOr<Events> Decide(const EnquiryState& state,
                                            const ReviseDesiredOutcomes& cmd);
[[nodiscard]] absl::StatusOr<Events> Decide(const EnquiryState& state,
                                            const RecordCapacityAssessment& cmd);
[[nodiscard]] absl::StatusOr<Events> Decide(const EnquiryState& state,
                                            const RecordBestInterestsDecision& cmd);
[[nodiscard]] absl::StatusOr<Events> Decide(const EnquiryState& state,
                                            const RecordRiskAssessment& cmd);
[[nodiscard]] absl::StatusOr<Events> Decide(const EnquiryState& state,
                                            const RecordProtectionPlan& cmd);
[[nodiscard]] absl::StatusOr<Events> Decide(const EnquiryState& state,
                                            const ReviewProtectionPlan& cmd);
[[nodiscard]] absl::StatusOr<Events> Decide(const EnquiryState& state,
                                            const RecordCoercionConcern& cmd);
[[nodiscard]] absl::StatusOr<Events> Decide(const EnquiryState& state,
                                            const RecordSpokenToAlone& cmd);
[[nodiscard]] absl::StatusOr<Events> Decide(const EnquiryState& state,
                                            const RecordDutyOfCareDecision& cmd);
[[nodiscard]] absl::StatusOr<Events> Decide(const EnquiryState& state, const ConcludeEnquiry& cmd);
[[nodiscard]] absl::StatusOr<Events> Decide(const EnquiryState& state, const CloseEnquiry& cmd);

// What recorded stands against ceasing at the adult's request ("children are at risk", ...),
// whether or not a duty-of-care decision has been recorded; empty if nothing does.
std::vector<std::string> ReasonsAgainstCeasing(const EnquiryState& state);

}  // namespace hub::domain::enquiry
