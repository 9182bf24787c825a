#include "domain/intake/concern.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "domain/common/context.h"
#include "domain/common/envelope.h"
#include "domain/common/labels.h"
#include "domain/common/refusal.h"

namespace hub::domain::intake {
namespace {

using common::v1::ConsentStatus;
using common::v1::Role;
using common::v1::ThresholdRoute;
using events::v1::Event;

bool Blank(const std::string& s) { return absl::StripAsciiWhitespace(s).empty(); }

std::string DeadlineText(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M UTC", t, absl::UTCTimeZone());
}

bool IsEnquiryRoute(ThresholdRoute route) {
  return route == common::v1::THRESHOLD_ROUTE_S42_ENQUIRY ||
         route == common::v1::THRESHOLD_ROUTE_OTHER_ENQUIRY;
}

// The MASH steps (triage, research requests) belong to the MASH triage team and to the
// safeguarding managers who supervise it.
absl::Status RequireMashRole(const Caller& caller, std::string_view what) {
  if (caller.HasRole(common::v1::ROLE_MASH_TRIAGE) ||
      caller.HasRole(common::v1::ROLE_SAFEGUARDING_MANAGER)) {
    return absl::OkStatus();
  }
  return RoleRequired(absl::StrCat(Label(common::v1::ROLE_MASH_TRIAGE), " or ",
                                   Label(common::v1::ROLE_SAFEGUARDING_MANAGER)),
                      what);
}

absl::Status RequireConcern(const ConcernState& state) {
  if (!state.exists) return UnknownItem("concern_id", "no such concern");
  return absl::OkStatus();
}

// The adult's voice on being raised (Making Safeguarding Personal; UK GDPR lawful basis for
// sharing without consent).
absl::Status CheckConsent(const common::v1::Consent& consent) {
  const ConsentStatus status = consent.status();
  // MSP: the adult's view on the concern being raised is asked first, and recorded.
  if (status == common::v1::CONSENT_STATUS_UNSPECIFIED) {
    return Refused(
        "record the adult's consent: asked and given, asked and declined, or not asked (with "
        "why)");
  }
  // MSP: not asking is an exception, so the reason is recorded.
  if (status == common::v1::CONSENT_STATUS_NOT_ASKED &&
      consent.not_asked_reason() == common::v1::CONSENT_NOT_ASKED_REASON_UNSPECIFIED) {
    return Refused(
        "consent was not asked: record why (asking would increase the risk, it was not "
        "practicable, or the adult lacks capacity to consent)");
  }
  // A reason for not asking contradicts an answer that says consent was asked.
  if (status != common::v1::CONSENT_STATUS_NOT_ASKED &&
      consent.not_asked_reason() != common::v1::CONSENT_NOT_ASKED_REASON_UNSPECIFIED) {
    return Refused(
        "consent was asked, so there is no reason for not asking: remove not_asked_reason (or "
        "record consent as not asked)");
  }
  const bool without_consent = status == common::v1::CONSENT_STATUS_DECLINED ||
                               status == common::v1::CONSENT_STATUS_NOT_ASKED;
  // MSP and DPA 2018 Sch 1 para 18: sharing without consent needs a recorded ground and reasons.
  if (without_consent &&
      (consent.override_grounds_size() == 0 || Blank(consent.override_justification()))) {
    return Refused(
        "raised without consent: record at least one override ground and a justification");
  }
  // Override grounds with consent given would mark the adult's choice as overridden.
  if (status == common::v1::CONSENT_STATUS_GIVEN && consent.override_grounds_size() > 0) {
    return Refused(
        "consent was given, so nothing is overridden: remove the override grounds (or correct "
        "the consent answer)");
  }
  return absl::OkStatus();
}

}  // namespace

ConcernState Evolve(ConcernState state, const Event& event) {
  switch (event.payload_case()) {
    case Event::kConcernRaised: {
      const events::v1::ConcernRaised& raised = event.concern_raised();
      state.exists = true;
      state.concern_id = raised.concern_id();
      state.person_id = raised.person_id();
      state.adult = raised.adult();
      state.details = raised.details();
      state.previous_concern_ids.assign(raised.previous_concern_ids().begin(),
                                        raised.previous_concern_ids().end());
      state.episode = raised.episode();
      state.raised_by_agency_id = event.actor().agency_id();
      break;
    }
    case Event::kConcernTriaged:
      state.mash_agency_id = event.actor().agency_id();
      state.rating = event.concern_triaged().rating();
      state.decision_due_at = FromTimestamp(event.concern_triaged().decision_due_at());
      break;
    case Event::kResearchRequested: {
      const events::v1::ResearchRequested& requested = event.research_requested();
      ResearchRequestState& request = state.research[requested.request_id()];
      request.request_id = requested.request_id();
      request.agency_id = requested.agency_id();
      request.due_at = FromTimestamp(requested.due_at());
      break;
    }
    case Event::kResearchAnswered: {
      auto it = state.research.find(event.research_answered().request_id());
      if (it != state.research.end()) it->second.answered = true;
      break;
    }
    case Event::kThresholdDecisionMade: {
      const events::v1::ThresholdDecisionMade& decision = event.threshold_decision_made();
      state.decided = true;
      state.route = decision.route();
      state.enquiry_id = decision.enquiry_id();
      if (decision.referrer_feedback_given()) ++state.feedback_count;
      break;
    }
    case Event::kReferrerFeedbackRecorded:
      ++state.feedback_count;
      break;
    case Event::kCaseRestricted:
      state.restricted = true;
      state.restricted_by_agency_id = event.case_restricted().owner_agency_id();
      break;
    case Event::kCaseRestrictionLifted:
      state.restricted = false;
      state.restricted_by_agency_id.clear();
      break;
    default:
      break;  // events of other streams do not change a concern
  }
  return state;
}

ConcernState Fold(const std::vector<Event>& events) {
  ConcernState state;
  for (const Event& event : events) state = Evolve(std::move(state), event);
  return state;
}

absl::StatusOr<std::vector<Event>> Decide(const ConcernState& state, const RaiseConcern& command) {
  if (state.exists) {
    return Refused(absl::StrCat("concern ", state.concern_id, " has already been raised"));
  }
  if (command.concern_id.empty()) return absl::InvalidArgumentError("concern_id: required");
  if (command.person_id.empty()) return absl::InvalidArgumentError("person_id: required");
  const common::v1::ConcernDetails& details = command.details;
  if (absl::Status consent = CheckConsent(details.consent()); !consent.ok()) return consent;
  // SAC SG2a: every concern is counted by type of risk, so at least one is recorded.
  if (details.types_of_risk_size() == 0) {
    return Refused("record at least one type of risk (e.g. Physical Abuse, Self-Neglect)");
  }
  // SAC SG2b: the location of risk is counted too; "Other" with details if none fits.
  if (details.location_of_risk() == common::v1::LOCATION_OF_RISK_UNSPECIFIED) {
    return Refused("record the location of risk (use Other, with details, if none fits)");
  }
  // Care Act s42(1): the threshold decision rests on what happened, so the facts are recorded.
  if (Blank(details.what_happened())) {
    return Refused("record what happened: a short factual summary");
  }
  // The referrer gets feedback on the decision, so who raised it is known (or anonymous).
  if (Blank(details.referrer().name()) && !details.referrer().anonymous()) {
    return Refused("record who raised the concern, or mark the referrer as anonymous");
  }
  Event event = NewEvent(command.ctx);
  events::v1::ConcernRaised* raised = event.mutable_concern_raised();
  raised->set_concern_id(command.concern_id);
  raised->set_person_id(command.person_id);
  raised->set_linked_to_existing_person(command.linked_to_existing_person);
  *raised->mutable_adult() = command.adult;
  common::v1::ConcernDetails* stored = raised->mutable_details();
  *stored = details;
  // SAC: a concern is counted by the authority where the abuse occurred; default: the host.
  if (stored->local_authority_code().empty()) {
    stored->set_local_authority_code(command.host_local_authority_code);
  }
  // MSP: desired outcomes are kept in the adult's words with a stable id, so that the enquiry
  // can say at the end whether each was achieved. No outcomes with consent given is allowed:
  // they may be asked later, and the enquiry's conclusion records whether they were.
  std::set<std::string> outcome_ids;
  for (int i = 0; i < stored->desired_outcomes_size(); ++i) {
    common::v1::DesiredOutcome* outcome = stored->mutable_desired_outcomes(i);
    if (Blank(outcome->text()) && outcome->kind() == common::v1::DESIRED_OUTCOME_KIND_UNSPECIFIED) {
      return Refused(absl::StrCat("desired outcome ", i + 1,
                                  ": record the adult's own words or the kind of outcome"));
    }
    if (outcome->outcome_id().empty()) outcome->set_outcome_id(SubId(command.concern_id, i + 1));
    if (!outcome_ids.insert(outcome->outcome_id()).second) {
      return Refused(absl::StrCat("desired outcome ", i + 1, ": outcome id ", outcome->outcome_id(),
                                  " is used twice"));
    }
  }
  for (const std::string& id : command.previous_concern_ids) raised->add_previous_concern_ids(id);
  raised->set_episode(command.episode);
  return std::vector<Event>{std::move(event)};
}

absl::StatusOr<std::vector<Event>> Decide(const ConcernState& state, const TriageConcern& command) {
  if (absl::Status role = RequireMashRole(command.ctx.caller, "triaging a concern"); !role.ok()) {
    return role;
  }
  if (absl::Status exists = RequireConcern(state); !exists.ok()) return exists;
  // Triage serves the threshold decision; once decided, the case moves on.
  if (state.decided) {
    return Refused(
        "the threshold decision has been made, so the concern can no longer be triaged; raise "
        "a new concern if circumstances change");
  }
  if (command.rating == common::v1::RAG_RATING_UNSPECIFIED) {
    return Refused("choose a rating: red, amber or green");
  }
  // Care Act statutory guidance: decisions are defensible, so the rating's reasons are kept.
  if (Blank(command.rationale)) return Refused("record the rationale for the rating");
  const bool rerating = state.rating != common::v1::RAG_RATING_UNSPECIFIED;
  if (rerating) {
    // Re-rating moves the decision deadline, so it is explained.
    if (Blank(command.rerating_reason)) {
      return Refused(absl::StrCat("the concern is already rated ", Label(state.rating),
                                  ": re-rating needs a reason (rerating_reason)"));
    }
    // The same rating again would only push the deadline back.
    if (command.rating == state.rating) {
      return Refused(absl::StrCat("the concern is already rated ", Label(state.rating),
                                  ": re-rate only to a different rating"));
    }
  }
  Event event = NewEvent(command.ctx);
  events::v1::ConcernTriaged* triaged = event.mutable_concern_triaged();
  triaged->set_rating(command.rating);
  triaged->set_rationale(command.rationale);
  *triaged->mutable_decision_due_at() = ToTimestamp(
      DecisionDueAt(command.calendar, command.timescales, command.rating, command.ctx.now));
  triaged->set_previous_rating(state.rating);
  if (rerating) triaged->set_rerating_reason(command.rerating_reason);
  return std::vector<Event>{std::move(event)};
}

absl::StatusOr<std::vector<Event>> Decide(const ConcernState& state,
                                          const RequestResearch& command) {
  if (absl::Status role = RequireMashRole(command.ctx.caller, "asking a partner for research");
      !role.ok()) {
    return role;
  }
  if (absl::Status exists = RequireConcern(state); !exists.ok()) return exists;
  // Research informs the threshold decision; after it, partners work within the enquiry.
  if (state.decided) {
    return Refused(
        "the threshold decision has been made: ask partners for information within the "
        "enquiry instead");
  }
  // The due time follows from the decision deadline, which triage sets.
  if (!state.decision_due_at.has_value()) {
    return Refused("triage the concern first: research is due before the decision deadline");
  }
  // Information is shared only within the partnership's agreement.
  if (command.agency_kind == common::v1::AGENCY_KIND_UNSPECIFIED) {
    return UnknownItem("agency_id", "not a participating agency");
  }
  if (Blank(command.questions)) return Refused("say what the MASH needs to know (questions)");
  const absl::Time now = command.ctx.now;
  const absl::Time deadline = *state.decision_due_at;
  // Partners must answer in time for the decision, which is due at the triage deadline.
  if (now >= deadline) {
    return Refused(absl::StrCat("the decision was due at ", DeadlineText(deadline),
                                ": make the decision, or re-triage with a reason to set a new "
                                "deadline, before asking for research"));
  }
  absl::Time due_at = now + (deadline - now) / 2;
  if (command.due_at.has_value()) {
    if (*command.due_at <= now) return Refused("due_at: must be in the future");
    if (*command.due_at > deadline) {
      return Refused(absl::StrCat("due_at: after the decision deadline (", DeadlineText(deadline),
                                  "): ask for an answer by then"));
    }
    due_at = *command.due_at;
  }
  Event event = NewEvent(command.ctx);
  events::v1::ResearchRequested* requested = event.mutable_research_requested();
  requested->set_request_id(command.ctx.new_id);
  requested->set_agency_id(command.agency_id);
  requested->set_questions(command.questions);
  *requested->mutable_due_at() = ToTimestamp(due_at);
  return std::vector<Event>{std::move(event)};
}

absl::StatusOr<std::vector<Event>> Decide(const ConcernState& state,
                                          const AnswerResearch& command) {
  const Caller& caller = command.ctx.caller;
  // Each partner answers from its own systems, by its own MASH researchers.
  if (!caller.HasRole(common::v1::ROLE_MASH_RESEARCHER)) {
    return RoleRequired(Label(common::v1::ROLE_MASH_RESEARCHER), "answering a research request");
  }
  if (absl::Status exists = RequireConcern(state); !exists.ok()) return exists;
  auto it = state.research.find(command.request_id);
  if (it == state.research.end()) {
    return UnknownItem("request_id", "no such research request on this concern");
  }
  const ResearchRequestState& request = it->second;
  // Data minimisation (UK GDPR Art 5(1)(c)): only the agency asked shares, from its own records.
  if (caller.agency_id != request.agency_id) {
    return Refused(absl::StrCat("this research request was addressed to ", request.agency_id,
                                ": only that agency's researchers may answer it"));
  }
  // An answer is a record its owner marked; a later change is a new request and answer.
  if (request.answered) {
    return Refused(
        "this request has already been answered; ask the MASH for a new request to "
        "add information");
  }
  if (Blank(command.answer) && !command.nothing_known) {
    return Refused(
        "give an answer, or record that your agency holds nothing relevant (nothing_known)");
  }
  Event event = NewEvent(command.ctx);
  events::v1::ResearchAnswered* answered = event.mutable_research_answered();
  answered->set_request_id(request.request_id);
  answered->set_agency_id(request.agency_id);
  answered->set_answer(command.answer);
  // Handling markings are the owning agency's, recorded exactly as given.
  for (common::v1::HandlingMarking marking : command.markings) answered->add_markings(marking);
  answered->set_nothing_known(command.nothing_known);
  return std::vector<Event>{std::move(event)};
}

absl::StatusOr<ThresholdDecisionEvents> DecideThreshold(const ConcernState& state,
                                                        const RecordThresholdDecision& command) {
  const Caller& caller = command.ctx.caller;
  // Care Act s42(1): the threshold decision is a safeguarding manager's, for the local authority.
  if (!caller.HasRole(common::v1::ROLE_SAFEGUARDING_MANAGER)) {
    return RoleRequired(Label(common::v1::ROLE_SAFEGUARDING_MANAGER), "the threshold decision");
  }
  // Care Act s42(1): the duty, and so the decision, is the local authority's.
  if (caller.agency_kind != common::v1::AGENCY_KIND_ADULT_SOCIAL_CARE) {
    return absl::PermissionDeniedError(
        "the threshold decision is the local authority's (Care Act s42): it is made by a "
        "safeguarding manager of adult social care");
  }
  if (absl::Status exists = RequireConcern(state); !exists.ok()) return exists;
  // One concern, one decision: a change of circumstances is a new concern, linked to this one.
  if (state.decided) return Refused("already decided; raise a new concern if circumstances change");
  // The decision follows triage (and the research it allows).
  if (state.rating == common::v1::RAG_RATING_UNSPECIFIED) {
    return Refused("triage the concern before the threshold decision");
  }
  if (command.route == common::v1::THRESHOLD_ROUTE_UNSPECIFIED) {
    return Refused(
        "choose a route (s42 enquiry, other enquiry, advice, needs assessment, refer "
        "elsewhere, no further action)");
  }
  // Decisions are defensible: the reasons are recorded.
  if (Blank(command.rationale)) return Refused("record the rationale for the decision");
  std::vector<std::string> unmet;
  if (!command.has_care_and_support_needs) unmet.push_back("(a) care and support needs");
  if (!command.experiencing_or_at_risk)
    unmet.push_back("(b) experiencing or at risk of abuse or neglect");
  if (!command.unable_to_protect_self) unmet.push_back("(c) unable to protect themselves");
  // Care Act s42(1): the duty to enquire arises only when all three criteria are met.
  if (command.route == common::v1::THRESHOLD_ROUTE_S42_ENQUIRY && !unmet.empty()) {
    return Refused(absl::StrCat(
        "a s42 enquiry needs all three s42(1) criteria: not met: ", absl::StrJoin(unmet, "; "),
        ". Consider an other safeguarding enquiry"));
  }
  // Care Act s42(1): with all three met the enquiry is a statutory duty, not discretionary.
  if (command.route == common::v1::THRESHOLD_ROUTE_OTHER_ENQUIRY && unmet.empty()) {
    return Refused(
        "all three s42(1) criteria are met, so the s42 duty applies: choose the s42 enquiry "
        "route");
  }
  if (command.route == common::v1::THRESHOLD_ROUTE_REFER_ELSEWHERE &&
      Blank(command.refer_elsewhere_to)) {
    return Refused(
        "say where the concern is referred (police investigation, MARAC, children's services "
        "...)");
  }
  // MASH decisions are fed back to the referrer; what was said is kept.
  if (command.referrer_feedback_given && Blank(command.referrer_feedback)) {
    return Refused("record the feedback given to the referrer");
  }
  const bool opens_enquiry = IsEnquiryRoute(command.route);
  if (opens_enquiry && command.enquiry_id.empty()) {
    return absl::InvalidArgumentError("enquiry_id: required for an enquiry route");
  }
  Event event = NewEvent(command.ctx);
  events::v1::ThresholdDecisionMade* decision = event.mutable_threshold_decision_made();
  decision->set_has_care_and_support_needs(command.has_care_and_support_needs);
  decision->set_experiencing_or_at_risk(command.experiencing_or_at_risk);
  decision->set_unable_to_protect_self(command.unable_to_protect_self);
  decision->set_route(command.route);
  decision->set_rationale(command.rationale);
  decision->set_refer_elsewhere_to(command.refer_elsewhere_to);
  if (opens_enquiry) decision->set_enquiry_id(command.enquiry_id);
  decision->set_referrer_feedback_given(command.referrer_feedback_given);
  decision->set_referrer_feedback(command.referrer_feedback);

  ThresholdDecisionEvents out;
  out.enquiry_opened = EnquiryOpenedFor(Evolve(state, event), command.ctx);
  out.concern_events.push_back(std::move(event));
  return out;
}

std::optional<Event> EnquiryOpenedFor(const ConcernState& state, const CommandContext& ctx) {
  if (!state.decided || state.enquiry_id.empty() || !IsEnquiryRoute(state.route)) {
    return std::nullopt;
  }
  const common::v1::ConcernDetails& details = state.details;
  Event event = NewEvent(ctx);
  events::v1::EnquiryOpened* opened = event.mutable_enquiry_opened();
  opened->set_enquiry_id(state.enquiry_id);
  opened->set_concern_id(state.concern_id);
  opened->set_person_id(state.person_id);
  opened->set_type(state.route == common::v1::THRESHOLD_ROUTE_S42_ENQUIRY
                       ? common::v1::ENQUIRY_TYPE_SECTION_42
                       : common::v1::ENQUIRY_TYPE_OTHER);
  // MSP and "doesn't mean walking away": the enquiry's own rules need these on its stream.
  *opened->mutable_desired_outcomes() = details.desired_outcomes();
  *opened->mutable_others_at_risk() = details.others_at_risk();
  *opened->mutable_coercion() = details.coercion();
  *opened->mutable_override_grounds() = details.consent().override_grounds();
  *opened->mutable_types_of_risk() = details.types_of_risk();
  opened->set_location_of_risk(details.location_of_risk());
  opened->set_local_authority_code(details.local_authority_code());
  return event;
}

absl::StatusOr<std::vector<Event>> Decide(const ConcernState& state,
                                          const RecordReferrerFeedback& command) {
  if (absl::Status exists = RequireConcern(state); !exists.ok()) return exists;
  // Feedback tells the referrer what was decided, so it follows the decision.
  if (!state.decided) {
    return Refused(
        "record the threshold decision first: feedback tells the referrer what was "
        "decided");
  }
  if (Blank(command.feedback)) return Refused("record the feedback given to the referrer");
  Event event = NewEvent(command.ctx);
  events::v1::ReferrerFeedbackRecorded* recorded = event.mutable_referrer_feedback_recorded();
  recorded->set_feedback(command.feedback);
  *recorded->mutable_given_at() = ToTimestamp(command.ctx.now);
  return std::vector<Event>{std::move(event)};
}

absl::StatusOr<std::vector<Event>> Decide(const ConcernState& state,
                                          const RecordSharingConsent& command) {
  if (absl::Status exists = RequireConcern(state); !exists.ok()) return exists;
  if (command.consent_given && !command.override_grounds.empty()) {
    // With consent there is nothing to override; a ground recorded anyway would later be read
    // as justification for sharing against the adult's wishes.
    return Refused("consent is given: record no override ground");
  }
  // Sharing against the adult's wishes needs its reasons in words (SCIE: give and record them).
  if (!command.override_grounds.empty() && Blank(command.justification)) {
    return Refused("explain why the override ground justifies sharing without consent");
  }
  Event event = NewEvent(command.ctx);
  events::v1::SharingConsentRecorded* recorded = event.mutable_sharing_consent_recorded();
  recorded->set_consent_given(command.consent_given);
  for (common::v1::OverrideGround ground : command.override_grounds) {
    recorded->add_override_grounds(ground);
  }
  recorded->set_justification(command.justification);
  recorded->set_adults_words(command.adults_words);
  return std::vector<Event>{std::move(event)};
}

absl::StatusOr<std::vector<Event>> Decide(const ConcernState& state, const RestrictCase& command) {
  const Caller& caller = command.ctx.caller;
  // Restricting decides who is told of every read: a manager's decision, not a practitioner's.
  if (!caller.HasRole(common::v1::ROLE_SAFEGUARDING_MANAGER)) {
    return RoleRequired(Label(common::v1::ROLE_SAFEGUARDING_MANAGER), "restricting a case");
  }
  if (absl::Status exists = RequireConcern(state); !exists.ok()) return exists;
  // Only an agency holding the case knows why it must be watched (UK GDPR Art 5(1)(f)).
  if (command.relationship != common::v1::RELATIONSHIP_LEAD &&
      command.relationship != common::v1::RELATIONSHIP_INVOLVED_PARTNER) {
    return absl::PermissionDeniedError(absl::StrCat(
        "restricting a case: ", caller.agency_id,
        " is not connected to this case (only the lead agency or an involved partner may "
        "restrict it)"));
  }
  if (command.reason_kind == common::v1::RESTRICTION_REASON_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        "reason_kind: required (member of staff, high-profile person, police investigation, "
        "other)");
  }
  // The owner is told of every read, so the reason for that intrusion is kept.
  if (Blank(command.reason)) return absl::InvalidArgumentError("reason: required");
  // One owner at a time, so that there is one agency answerable for the restriction.
  if (state.restricted) {
    if (state.restricted_by_agency_id == caller.agency_id) {
      return Refused("this case is already restricted by your agency");
    }
    return Refused(absl::StrCat("this case is already restricted by ", state.restricted_by_agency_id,
                                ": ask its safeguarding manager, who is told of every read"));
  }
  Event event = NewEvent(command.ctx);
  events::v1::CaseRestricted* restricted = event.mutable_case_restricted();
  restricted->set_reason_kind(command.reason_kind);
  restricted->set_reason(command.reason);
  restricted->set_owner_agency_id(caller.agency_id);
  return std::vector<Event>{std::move(event)};
}

absl::StatusOr<std::vector<Event>> Decide(const ConcernState& state,
                                          const LiftCaseRestriction& command) {
  const Caller& caller = command.ctx.caller;
  if (!caller.HasRole(common::v1::ROLE_SAFEGUARDING_MANAGER)) {
    return RoleRequired(Label(common::v1::ROLE_SAFEGUARDING_MANAGER), "lifting a restriction");
  }
  if (absl::Status exists = RequireConcern(state); !exists.ok()) return exists;
  if (!state.restricted) return Refused("this case is not restricted");
  // The owner knows why it restricted the case; nobody else may end its oversight.
  if (state.restricted_by_agency_id != caller.agency_id) {
    return absl::PermissionDeniedError(absl::StrCat(
        "lifting a restriction: the case is restricted by ", state.restricted_by_agency_id,
        "; only that agency may lift it"));
  }
  if (Blank(command.reason)) return absl::InvalidArgumentError("reason: required");
  Event event = NewEvent(command.ctx);
  events::v1::CaseRestrictionLifted* lifted = event.mutable_case_restriction_lifted();
  lifted->set_reason(command.reason);
  lifted->set_owner_agency_id(state.restricted_by_agency_id);
  return std::vector<Event>{std::move(event)};
}

}  // namespace hub::domain::intake
