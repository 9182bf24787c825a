// The safeguarding concern (stream concern-<id>): raised with the adult's voice (consent,
// desired outcomes), triaged by the MASH with a RAG rating and a decision deadline,
// researched with partner agencies, and decided against the s42(1) test by a safeguarding
// manager, which may open an enquiry (stream enquiry-<id>).
//
// Pure functions over values: Decide(state, command) -> events | Status and Evolve(state,
// event) -> state. No I/O, no clock (ctx.now is the command's time). Used by
// services/intake. Thread-safe (no state).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "domain/common/context.h"
#include "domain/intake/working_calendar.h"
#include "hub/common/v1/reference.pb.h"
#include "hub/common/v1/values.pb.h"
#include "hub/config/v1/partnership.pb.h"
#include "hub/events/v1/events.pb.h"

namespace hub::domain::intake {

struct ResearchRequestState {
  std::string request_id;
  std::string agency_id;  // the partner agency asked; only it may answer
  absl::Time due_at;
  bool answered = false;
};

struct ConcernState {
  bool exists = false;
  std::string concern_id;
  std::string person_id;
  common::v1::AdultDetails adult;
  common::v1::ConcernDetails details;  // as raised (outcome ids and LA code filled in)
  std::vector<std::string> previous_concern_ids;
  int episode = 0;
  common::v1::RagRating rating = common::v1::RAG_RATING_UNSPECIFIED;
  std::optional<absl::Time> decision_due_at;             // set by triage
  std::map<std::string, ResearchRequestState> research;  // by request id
  bool decided = false;
  common::v1::ThresholdRoute route = common::v1::THRESHOLD_ROUTE_UNSPECIFIED;
  std::string enquiry_id;  // set when the decision opened an enquiry
  int feedback_count = 0;  // feedback to the referrer recorded (with the decision or after)
  std::string raised_by_agency_id;  // the agency that raised it (an involved partner)
  std::string mash_agency_id;       // the agency that triaged it last (lead before a lead)
  // Restricted (CaseRestricted, not lifted since): the owner is told of reads by others.
  bool restricted = false;
  std::string restricted_by_agency_id;
};

ConcernState Evolve(ConcernState state, const events::v1::Event& event);
ConcernState Fold(const std::vector<events::v1::Event>& events);

// Raises a concern. The service resolves the person first (deterministic linking) and
// passes the person's history: previous_concern_ids and this concern's episode.
struct RaiseConcern {
  CommandContext ctx;
  std::string concern_id;
  std::string person_id;
  bool linked_to_existing_person = false;
  std::vector<std::string> previous_concern_ids;
  int episode = 1;
  common::v1::AdultDetails adult;
  common::v1::ConcernDetails details;
  // Used when details.local_authority_code is empty (the SAC counts a concern where the abuse
  // occurred; by default the partnership's host authority).
  std::string host_local_authority_code;
};

// Rates the concern; the decision deadline follows from the partnership's timescales.
struct TriageConcern {
  CommandContext ctx;
  common::v1::RagRating rating = common::v1::RAG_RATING_UNSPECIFIED;
  std::string rationale;
  std::string rerating_reason;
  config::v1::MashTimescales timescales;
  WorkingCalendar calendar;
};

// Asks a partner agency for information; the request id is ctx.new_id.
struct RequestResearch {
  CommandContext ctx;
  std::string agency_id;
  // The agency's kind as the partnership configures it (the service resolves agency_id; an
  // agency outside the partnership never reaches the domain).
  common::v1::AgencyKind agency_kind = common::v1::AGENCY_KIND_UNSPECIFIED;
  std::string questions;
  std::optional<absl::Time> due_at;  // default: half the time left to the decision deadline
};

struct AnswerResearch {
  CommandContext ctx;
  std::string request_id;
  std::string answer;
  std::vector<common::v1::HandlingMarking> markings;
  bool nothing_known = false;
};

// The s42(1) decision. enquiry_id is the id of the enquiry an enquiry route opens (the
// service derives it from the command key).
struct RecordThresholdDecision {
  CommandContext ctx;
  std::string enquiry_id;
  bool has_care_and_support_needs = false;
  bool experiencing_or_at_risk = false;
  bool unable_to_protect_self = false;
  common::v1::ThresholdRoute route = common::v1::THRESHOLD_ROUTE_UNSPECIFIED;
  std::string rationale;
  std::string refer_elsewhere_to;
  bool referrer_feedback_given = false;
  std::string referrer_feedback;
};

struct RecordReferrerFeedback {
  CommandContext ctx;
  std::string feedback;
};

// The adult gives, declines or withdraws consent to their information being shared between
// agencies after the concern was raised. Sharing may continue without consent only on a
// recorded override ground with a justification (SCIE "does not want to share").
struct RecordSharingConsent {
  CommandContext ctx;
  bool consent_given = false;
  std::vector<common::v1::OverrideGround> override_grounds;
  std::string justification;
  std::string adults_words;
};

// Flags the case as restricted (a member of staff, a high-profile person, a police
// investigation). `relationship` is the caller's agency's relationship to the case as its
// streams stand (the service computes it with policy::RelationshipTo); only the lead or an
// involved partner may restrict, and the flagging agency becomes the restriction's owner.
struct RestrictCase {
  CommandContext ctx;
  common::v1::Relationship relationship = common::v1::RELATIONSHIP_UNSPECIFIED;
  common::v1::RestrictionReason reason_kind = common::v1::RESTRICTION_REASON_UNSPECIFIED;
  std::string reason;
};

// Lifts the caller's agency's restriction, with a reason.
struct LiftCaseRestriction {
  CommandContext ctx;
  std::string reason;
};

// Errors, for every Decide: kFailedPrecondition when a rule refuses (the message says what to
// do), kPermissionDenied when the caller lacks the role the law gives the step, kNotFound
// when the concern (or a named request) does not exist.
[[nodiscard]] absl::StatusOr<std::vector<events::v1::Event>> Decide(const ConcernState& state,
                                                                    const RaiseConcern& command);
[[nodiscard]] absl::StatusOr<std::vector<events::v1::Event>> Decide(const ConcernState& state,
                                                                    const TriageConcern& command);
[[nodiscard]] absl::StatusOr<std::vector<events::v1::Event>> Decide(const ConcernState& state,
                                                                    const RequestResearch& command);
[[nodiscard]] absl::StatusOr<std::vector<events::v1::Event>> Decide(const ConcernState& state,
                                                                    const AnswerResearch& command);
[[nodiscard]] absl::StatusOr<std::vector<events::v1::Event>> Decide(
    const ConcernState& state, const RecordReferrerFeedback& command);
[[nodiscard]] absl::StatusOr<std::vector<events::v1::Event>> Decide(
    const ConcernState& state, const RecordSharingConsent& command);
[[nodiscard]] absl::StatusOr<std::vector<events::v1::Event>> Decide(const ConcernState& state,
                                                                    const RestrictCase& command);
[[nodiscard]] absl::StatusOr<std::vector<events::v1::Event>> Decide(
    const ConcernState& state, const LiftCaseRestriction& command);

// What a threshold decision writes: the concern's events, and for an enquiry route the
// EnquiryOpened event of the new stream enquiry-<enquiry_id>.
struct ThresholdDecisionEvents {
  std::vector<events::v1::Event> concern_events;
  std::optional<events::v1::Event> enquiry_opened;
};
[[nodiscard]] absl::StatusOr<ThresholdDecisionEvents> DecideThreshold(
    const ConcernState& state, const RecordThresholdDecision& command);

// The EnquiryOpened event for a concern whose decision opened an enquiry (state.decided with
// an enquiry route): what DecideThreshold returns, rebuilt from the stream so that a retry
// after a failure between the two appends can complete the enquiry. nullopt if the decision
// opened none.
std::optional<events::v1::Event> EnquiryOpenedFor(const ConcernState& state,
                                                  const CommandContext& ctx);

}  // namespace hub::domain::intake
