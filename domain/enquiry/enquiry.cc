#include "domain/enquiry/enquiry.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "domain/common/envelope.h"
#include "domain/common/labels.h"
#include "domain/common/refusal.h"
#include "domain/enquiry/advocacy.h"

namespace hub::domain::enquiry {
namespace {

namespace cv1 = ::hub::common::v1;
namespace ev1 = ::hub::events::v1;

constexpr char kClosedMessage[] =
    "enquiry closed: raise a new concern; it will link to this history";

bool Blank(const std::string& s) { return absl::StripAsciiWhitespace(s).empty(); }

// A required part of the command is missing: "<field>: required (<why>)".
absl::Status Missing(std::string_view field, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(field), ": required (", std::string(why), ")"));
}

absl::Status Invalid(std::string_view field, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": ", std::string(why)));
}

std::string Item(std::string_view list, size_t index) {
  return absl::StrCat(std::string(list), "[", index, "]");
}
std::string Item(std::string_view list, size_t index, std::string_view field) {
  return absl::StrCat(Item(list, index), ".", std::string(field));
}

std::string Day(absl::Time t) { return absl::FormatTime("%Y-%m-%d", t, absl::UTCTimeZone()); }

// Decisions are named in practitioners' words: compare them trimmed, case-insensitively.
std::string NormalisedDecision(const std::string& decision) {
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(decision));
}

Events One(ev1::Event event) {
  Events events;
  events.push_back(std::move(event));
  return events;
}

ActionState* MutableAction(EnquiryState& state, const std::string& id) {
  for (ActionState& a : state.actions) {
    if (a.action.action_id() == id) return &a;
  }
  return nullptr;
}

DesiredOutcomeState* MutableOutcome(EnquiryState& state, const std::string& id) {
  for (DesiredOutcomeState& o : state.desired_outcomes) {
    if (o.outcome.outcome_id() == id) return &o;
  }
  return nullptr;
}

AdvocacyReferral* MutableReferral(EnquiryState& state, const std::string& id) {
  for (AdvocacyReferral& r : state.advocacy.referrals) {
    if (r.referral_id == id) return &r;
  }
  return nullptr;
}

// A current (not withdrawn) desired outcome, or nullptr.
const DesiredOutcomeState* CurrentOutcome(const EnquiryState& state, const std::string& id) {
  const DesiredOutcomeState* o = state.FindDesiredOutcome(id);
  return o != nullptr && !o->withdrawn ? o : nullptr;
}

// The agency of the advocate currently allocated on an accepted referral; empty if none.
std::string AllocatedAdvocateProvider(const EnquiryState& state) {
  for (const AdvocacyReferral& r : state.advocacy.referrals) {
    if (r.status == AdvocacyReferral::Status::kAccepted && r.allocated()) {
      return r.provider_agency_id;
    }
  }
  return "";
}

// MSP "doesn't mean walking away": ceasing at the adult's request is refused while something
// recorded stands against it, unless a safeguarding manager recorded a duty-of-care decision.
absl::Status CheckNotWalkingAway(const EnquiryState& state, std::string_view what) {
  const std::vector<std::string> reasons = ReasonsAgainstCeasing(state);
  if (reasons.empty() || !state.duty_of_care_decisions.empty()) return absl::OkStatus();
  return Refused(absl::StrCat(
      "cannot ", std::string(what), " at the adult's request: ", absl::StrJoin(reasons, "; "),
      ". Making Safeguarding Personal does not mean walking away: continue the enquiry, or a "
      "safeguarding manager records a duty-of-care decision with reasons"));
}

}  // namespace

// ---- State ----

const ActionState* EnquiryState::FindAction(const std::string& action_id) const {
  for (const ActionState& a : actions) {
    if (a.action.action_id() == action_id) return &a;
  }
  return nullptr;
}

const DesiredOutcomeState* EnquiryState::FindDesiredOutcome(const std::string& outcome_id) const {
  for (const DesiredOutcomeState& o : desired_outcomes) {
    if (o.outcome.outcome_id() == outcome_id) return &o;
  }
  return nullptr;
}

const events::v1::CapacityAssessed* EnquiryState::FindCapacityAssessment(
    const std::string& id) const {
  for (const events::v1::CapacityAssessed& a : capacity_assessments) {
    if (a.assessment_id() == id) return &a;
  }
  return nullptr;
}

const AdvocacyReferral* EnquiryState::FindReferral(const std::string& referral_id) const {
  for (const AdvocacyReferral& r : advocacy.referrals) {
    if (r.referral_id == referral_id) return &r;
  }
  return nullptr;
}

EnquiryState Evolve(EnquiryState state, const events::v1::Event& event) {
  const absl::Time at = FromTimestamp(event.occurred_at());
  switch (event.payload_case()) {
    case ev1::Event::kEnquiryOpened: {
      state.opened = true;
      state.opening = event.enquiry_opened();
      state.desired_outcomes.clear();
      for (const cv1::DesiredOutcome& o : state.opening.desired_outcomes()) {
        state.desired_outcomes.push_back({o, false, at});
      }
      if (state.opening.coercion().suspected()) state.coercion_suspected = true;
      break;
    }
    case ev1::Event::kEnquiryLeadAssigned:
      state.lead = event.enquiry_lead_assigned();
      break;
    case ev1::Event::kStrategyDiscussionRecorded: {
      const ev1::StrategyDiscussionRecorded& d = event.strategy_discussion_recorded();
      for (const cv1::AgreedAction& a : d.actions()) {
        state.actions.push_back({a, d.discussion_id(), false, absl::InfinitePast()});
      }
      break;
    }
    case ev1::Event::kActionCompleted: {
      ActionState* a = MutableAction(state, event.action_completed().action_id());
      if (a != nullptr) {
        a->completed = true;
        a->completed_at = event.action_completed().has_completed_at()
                              ? FromTimestamp(event.action_completed().completed_at())
                              : at;
      }
      break;
    }
    case ev1::Event::kDesiredOutcomesRevised: {
      const ev1::DesiredOutcomesRevised& r = event.desired_outcomes_revised();
      for (const cv1::DesiredOutcome& o : r.added())
        state.desired_outcomes.push_back({o, false, at});
      for (const cv1::DesiredOutcome& o : r.changed()) {
        DesiredOutcomeState* current = MutableOutcome(state, o.outcome_id());
        if (current != nullptr) {
          current->outcome = o;
          current->changed_at = at;
        }
      }
      for (const std::string& id : r.withdrawn_outcome_ids()) {
        DesiredOutcomeState* current = MutableOutcome(state, id);
        if (current != nullptr) {
          current->withdrawn = true;
          current->changed_at = at;
        }
      }
      break;
    }
    case ev1::Event::kCapacityAssessed:
      state.capacity_assessments.push_back(event.capacity_assessed());
      break;
    case ev1::Event::kBestInterestsDecided:
      state.best_interests_decisions.push_back(event.best_interests_decided());
      break;
    case ev1::Event::kRiskAssessed:
      ++state.risk_assessments;
      break;
    case ev1::Event::kProtectionPlanRecorded:
      state.protection_plan = event.protection_plan_recorded();
      break;
    case ev1::Event::kProtectionPlanReviewed:
      ++state.protection_plan_reviews;
      break;
    case ev1::Event::kCoercionConcernRecorded:
      if (event.coercion_concern_recorded().coercion().suspected()) {
        state.coercion_suspected = true;
      }
      break;
    case ev1::Event::kSpokenToAloneRecorded:
      ++state.spoken_to_alone_records;
      break;
    case ev1::Event::kDutyOfCareDecisionRecorded:
      state.duty_of_care_decisions.push_back(event.duty_of_care_decision_recorded());
      break;
    case ev1::Event::kEnquiryConcluded:
      state.conclusion = event.enquiry_concluded();
      state.concluded_at = at;
      break;
    case ev1::Event::kEnquiryClosed:
      state.closure = event.enquiry_closed();
      state.closed_at = at;
      break;
    // Advocacy (Care Act s68): the latest assessment of each kind counts.
    case ev1::Event::kSubstantialDifficultyAssessed:
      state.advocacy.difficulty = event.substantial_difficulty_assessed();
      break;
    case ev1::Event::kAppropriateIndividualAssessed:
      state.advocacy.appropriate_individual = event.appropriate_individual_assessed();
      break;
    case ev1::Event::kAdvocacyExceptionsRecorded:
      state.advocacy.exceptions = event.advocacy_exceptions_recorded();
      break;
    case ev1::Event::kAdvocacyReferred: {
      const ev1::AdvocacyReferred& r = event.advocacy_referred();
      AdvocacyReferral referral;
      referral.referral_id = r.referral_id();
      referral.provider_agency_id = r.provider_agency_id();
      referral.reason = r.reason();
      state.advocacy.referrals.push_back(std::move(referral));
      break;
    }
    case ev1::Event::kAdvocacyReferralAccepted: {
      AdvocacyReferral* r =
          MutableReferral(state, event.advocacy_referral_accepted().referral_id());
      if (r != nullptr) r->status = AdvocacyReferral::Status::kAccepted;
      break;
    }
    case ev1::Event::kAdvocacyReferralDeclined: {
      AdvocacyReferral* r =
          MutableReferral(state, event.advocacy_referral_declined().referral_id());
      if (r != nullptr) {
        r->status = AdvocacyReferral::Status::kDeclined;
        r->decline_reason = event.advocacy_referral_declined().reason();
      }
      break;
    }
    case ev1::Event::kAdvocateAllocated: {
      const ev1::AdvocateAllocated& a = event.advocate_allocated();
      AdvocacyReferral* r = MutableReferral(state, a.referral_id());
      if (r != nullptr) {
        r->advocate_name = a.advocate_name();
        r->advocate_user_id = a.advocate_user_id();
      }
      break;
    }
    case ev1::Event::kAdvocateViewsRecorded: {
      const ev1::AdvocateViewsRecorded& v = event.advocate_views_recorded();
      AdvocacyReferral* r = MutableReferral(state, v.referral_id());
      if (r != nullptr) r->views = v.views();
      break;
    }
    default:
      break;
  }
  return state;
}

EnquiryState Fold(EnquiryState state, const std::vector<events::v1::Event>& events) {
  for (const events::v1::Event& e : events) state = Evolve(std::move(state), e);
  return state;
}

EnquiryState Fold(const std::vector<events::v1::Event>& events) {
  return Fold(EnquiryState(), events);
}

absl::Status CheckCanRecord(const EnquiryState& state, bool closure_step) {
  if (!state.opened) return UnknownItem("enquiry_id", "no such enquiry");
  // Keep an open door: a closed enquiry's history is never added to; a new concern links to it.
  if (state.closed()) return Refused(kClosedMessage);
  // The conclusion is what the national return counts: after it, only closure steps.
  if (state.concluded() && !closure_step) {
    return Refused(absl::StrCat(
        "enquiry concluded on ", Day(state.concluded_at),
        ": only closure steps may follow (complete actions, review the protection plan, record "
        "a duty-of-care decision, close the enquiry)"));
  }
  return absl::OkStatus();
}

absl::Status CheckLeadOrResponsible(const EnquiryState& state, const Caller& caller,
                                    std::string_view what, std::string_view also) {
  const std::string nor = also.empty() ? "" : absl::StrCat(", nor ", std::string(also));
  // Before a lead is assigned the enquiry is the local authority's alone (s42(1)).
  if (!state.lead.has_value()) {
    if (caller.agency_kind == cv1::AGENCY_KIND_ADULT_SOCIAL_CARE) return absl::OkStatus();
    return absl::PermissionDeniedError(absl::StrCat(
        std::string(what), ": no lead is assigned yet, so this enquiry is the local authority's "
        "(adult social care, Care Act s42); ", caller.agency_id, " is not adult social care", nor));
  }
  const ev1::EnquiryLeadAssigned& lead = *state.lead;
  if (caller.agency_id == lead.lead_agency_id()) return absl::OkStatus();
  if (!lead.responsible_agency_id().empty() && caller.agency_id == lead.responsible_agency_id()) {
    return absl::OkStatus();
  }
  std::string led = lead.lead_agency_id();
  if (!lead.responsible_agency_id().empty()) {
    absl::StrAppend(&led, " (caused by ", lead.responsible_agency_id(),
                    ", the local authority responsible)");
  }
  return absl::PermissionDeniedError(
      absl::StrCat(std::string(what), ": this enquiry is led by ", led, "; ", caller.agency_id,
                   " is not the lead agency or the local authority responsible", nor));
}

std::vector<std::string> ReasonsAgainstCeasing(const EnquiryState& state) {
  std::vector<std::string> reasons;
  const cv1::OthersAtRisk& others = state.opening.others_at_risk();
  const auto has_ground = [&state](cv1::OverrideGround ground) {
    const auto& grounds = state.opening.override_grounds();
    return std::find(grounds.begin(), grounds.end(), ground) != grounds.end();
  };
  if (others.adults_at_risk() || has_ground(cv1::OVERRIDE_GROUND_RISK_TO_OTHERS)) {
    reasons.push_back("other adults are at risk");
  }
  if (others.children_at_risk()) reasons.push_back("children are at risk");
  if (state.coercion_suspected || has_ground(cv1::OVERRIDE_GROUND_COERCION_OR_DURESS)) {
    reasons.push_back("coercion or undue influence is suspected");
  }
  if (has_ground(cv1::OVERRIDE_GROUND_SERIOUS_CRIME)) {
    reasons.push_back("a serious crime ground was recorded");
  }
  if (has_ground(cv1::OVERRIDE_GROUND_PUBLIC_INTEREST)) {
    reasons.push_back("a public interest ground was recorded");
  }
  return reasons;
}

// ---- Decisions ----

namespace {

// Care Act s42(2): the local authority assigns the lead (and causes another organisation to
// lead): the first time any adult social care agency; after that the local authority
// responsible (the caused enquiry's, or the adult social care agency leading it).
absl::Status CheckMayAssignLead(const EnquiryState& state, const Caller& caller) {
  constexpr char kWhat[] = "assigning the lead";
  if (!state.lead.has_value()) return CheckLeadOrResponsible(state, caller, kWhat);
  const ev1::EnquiryLeadAssigned& lead = *state.lead;
  const std::string& responsible = lead.responsible_agency_id().empty()
                                       ? lead.lead_agency_id()
                                       : lead.responsible_agency_id();
  if (caller.agency_kind == cv1::AGENCY_KIND_ADULT_SOCIAL_CARE &&
      caller.agency_id == responsible) {
    return absl::OkStatus();
  }
  std::string led = lead.lead_agency_id();
  if (!lead.responsible_agency_id().empty()) {
    absl::StrAppend(&led, " (caused by ", lead.responsible_agency_id(),
                    ", the local authority responsible)");
  }
  return absl::PermissionDeniedError(absl::StrCat(
      kWhat, ": this enquiry is led by ", led, "; ", caller.agency_id,
      " is not the local authority responsible, which alone reassigns the lead (Care Act "
      "s42(2))"));
}

}  // namespace

absl::StatusOr<Events> Decide(const EnquiryState& state, const AssignLead& cmd) {
  HUB_RETURN_IF_ERROR(CheckCanRecord(state, /*closure_step=*/false));
  HUB_RETURN_IF_ERROR(CheckMayAssignLead(state, cmd.ctx.caller));
  if (Blank(cmd.lead_agency_id)) {
    return Missing("lead_agency_id", "the agency leading the enquiry");
  }
  if (Blank(cmd.officer_name)) {
    return Missing("officer_name", "the enquiry officer partners and the adult will contact");
  }
  // Care Act s42(2): the local authority owns the enquiry; another agency leads only when the
  // authority causes it to, and the authority keeps responsibility.
  if (cmd.lead_agency_kind != cv1::AGENCY_KIND_ADULT_SOCIAL_CARE && !cmd.caused) {
    return Refused(
        absl::StrCat(cmd.lead_agency_id,
                     " is not adult social care: record this as a caused enquiry "
                     "(Care Act s42(2)) with its scope; the local authority keeps responsibility"));
  }
  if (cmd.caused) {
    // s42(2): what a caused enquiry covers is agreed and clearly communicated.
    if (Blank(cmd.scope)) return Missing("scope", "what the caused enquiry covers (s42(2))");
    // s42(2): only the local authority causes an enquiry, and it keeps responsibility.
    if (cmd.responsible_agency_kind != cv1::AGENCY_KIND_ADULT_SOCIAL_CARE) {
      return Refused(
          "only adult social care (the local authority) can cause another organisation to make "
          "an enquiry and keep responsibility for it (Care Act s42(2)): ask the local authority "
          "to assign this lead");
    }
    if (cmd.responsible_agency_id == cmd.lead_agency_id) {
      return Refused(
          "a caused enquiry is made by another organisation: choose a lead agency other than "
          "the local authority, or record the enquiry as not caused");
    }
  }
  ev1::Event event = NewEvent(cmd.ctx);
  ev1::EnquiryLeadAssigned* lead = event.mutable_enquiry_lead_assigned();
  lead->set_lead_agency_id(cmd.lead_agency_id);
  lead->set_officer_name(cmd.officer_name);
  lead->set_officer_user_id(cmd.officer_user_id);
  lead->set_caused(cmd.caused);
  if (cmd.caused) {
    lead->set_responsible_agency_id(cmd.responsible_agency_id);
    lead->set_scope(cmd.scope);
  }
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const EnquiryState& state, const RecordStrategyDiscussion& cmd) {
  HUB_RETURN_IF_ERROR(CheckCanRecord(state, /*closure_step=*/false));
  HUB_RETURN_IF_ERROR(
      CheckLeadOrResponsible(state, cmd.ctx.caller, "recording a strategy discussion"));
  if (cmd.held_at == absl::InfinitePast()) {
    return Missing("held_at", "when the strategy discussion was held");
  }
  // A strategy discussion is multi-agency: who took part is part of the record.
  if (cmd.participants.empty()) {
    return Missing("participants", "at least one participant of the strategy discussion");
  }
  for (size_t i = 0; i < cmd.participants.size(); ++i) {
    if (Blank(cmd.participants[i])) return Invalid(Item("participants", i), "blank");
  }
  // Actions agreed at a strategy discussion have an owner and a timescale (5.5).
  for (size_t i = 0; i < cmd.actions.size(); ++i) {
    const cv1::AgreedAction& a = cmd.actions[i];
    if (Blank(a.description()))
      return Missing(Item("actions", i, "description"), "what is to be done");
    if (Blank(a.owner_agency_id())) {
      return Missing(Item("actions", i, "owner_agency_id"), "the agency that owns the action");
    }
    if (!a.has_due_at()) return Missing(Item("actions", i, "due_at"), "when it is due");
  }
  ev1::Event event = NewEvent(cmd.ctx);
  ev1::StrategyDiscussionRecorded* d = event.mutable_strategy_discussion_recorded();
  d->set_discussion_id(cmd.ctx.new_id);
  *d->mutable_held_at() = ToTimestamp(cmd.held_at);
  for (const std::string& p : cmd.participants) d->add_participants(p);
  for (const std::string& s : cmd.decisions) d->add_decisions(s);
  for (size_t i = 0; i < cmd.actions.size(); ++i) {
    cv1::AgreedAction* a = d->add_actions();
    *a = cmd.actions[i];
    a->set_action_id(SubId(cmd.ctx.new_id, static_cast<int>(i) + 1));
  }
  d->set_adults_views(cmd.adults_views);
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const EnquiryState& state, const CompleteAction& cmd) {
  // Completing agreed actions is a closure step: outstanding work may finish after conclusion.
  HUB_RETURN_IF_ERROR(CheckCanRecord(state, /*closure_step=*/true));
  const ActionState* action = state.FindAction(cmd.action_id);
  // Partners complete what they were given: the action's owner agency, besides the lead.
  if (action == nullptr || cmd.ctx.caller.agency_id != action->action.owner_agency_id()) {
    HUB_RETURN_IF_ERROR(CheckLeadOrResponsible(
        state, cmd.ctx.caller, "completing this action",
        action == nullptr ? std::string("the agency that owns the action")
                          : absl::StrCat("the agency that owns the action (",
                                         action->action.owner_agency_id(), ")")));
  }
  if (action == nullptr) {
    return UnknownItem("action_id", absl::StrCat("no action ", cmd.action_id, " on this enquiry"));
  }
  if (action->completed) {
    return Refused(absl::StrCat("action \"", action->action.description(),
                                "\" was already completed on ", Day(action->completed_at),
                                ": nothing more to record"));
  }
  ev1::Event event = NewEvent(cmd.ctx);
  ev1::ActionCompleted* c = event.mutable_action_completed();
  c->set_action_id(cmd.action_id);
  *c->mutable_completed_at() = ToTimestamp(cmd.ctx.now);
  c->set_note(cmd.note);
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const EnquiryState& state, const ReviseDesiredOutcomes& cmd) {
  HUB_RETURN_IF_ERROR(CheckCanRecord(state, /*closure_step=*/false));
  // An advocate expresses outcomes on the adult's behalf: the allocated advocate's provider may
  // revise them too.
  const std::string advocate_provider = AllocatedAdvocateProvider(state);
  if (advocate_provider.empty() || advocate_provider != cmd.ctx.caller.agency_id) {
    HUB_RETURN_IF_ERROR(CheckLeadOrResponsible(state, cmd.ctx.caller,
                                               "revising the adult's desired outcomes",
                                               "the provider of the allocated advocate"));
  }
  // MSP: desired outcomes are revisited and may change, each change dated and explained.
  if (Blank(cmd.reason)) return Missing("reason", "why the adult's desired outcomes changed");
  if (cmd.added.empty() && cmd.changed.empty() && cmd.withdrawn_outcome_ids.empty()) {
    return Invalid("added", "nothing to revise: add, change or withdraw at least one outcome");
  }
  for (size_t i = 0; i < cmd.added.size(); ++i) {
    // MSP: outcomes are recorded in the adult's own words.
    if (Blank(cmd.added[i].text()))
      return Missing(Item("added", i, "text"), "the adult's own words");
  }
  absl::flat_hash_set<std::string> touched;
  for (size_t i = 0; i < cmd.changed.size(); ++i) {
    const cv1::DesiredOutcome& o = cmd.changed[i];
    if (CurrentOutcome(state, o.outcome_id()) == nullptr) {
      return UnknownItem(Item("changed", i, "outcome_id"),
                         absl::StrCat("no current desired outcome ", o.outcome_id()));
    }
    if (!touched.insert(o.outcome_id()).second) {
      return Invalid(Item("changed", i, "outcome_id"),
                     absl::StrCat("outcome ", o.outcome_id(), " is revised twice"));
    }
    if (Blank(o.text())) return Missing(Item("changed", i, "text"), "the adult's own words");
  }
  for (size_t i = 0; i < cmd.withdrawn_outcome_ids.size(); ++i) {
    const std::string& id = cmd.withdrawn_outcome_ids[i];
    if (CurrentOutcome(state, id) == nullptr) {
      return UnknownItem(Item("withdrawn_outcome_ids", i),
                         absl::StrCat("no current desired outcome ", id));
    }
    if (!touched.insert(id).second) {
      return Invalid(Item("withdrawn_outcome_ids", i),
                     absl::StrCat("outcome ", id, " is revised twice"));
    }
  }
  ev1::Event event = NewEvent(cmd.ctx);
  ev1::DesiredOutcomesRevised* r = event.mutable_desired_outcomes_revised();
  for (size_t i = 0; i < cmd.added.size(); ++i) {
    cv1::DesiredOutcome* o = r->add_added();
    *o = cmd.added[i];
    o->set_outcome_id(SubId(cmd.ctx.new_id, static_cast<int>(i) + 1));
  }
  for (const cv1::DesiredOutcome& o : cmd.changed) *r->add_changed() = o;
  for (const std::string& id : cmd.withdrawn_outcome_ids) r->add_withdrawn_outcome_ids(id);
  r->set_reason(cmd.reason);
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const EnquiryState& state, const RecordCapacityAssessment& cmd) {
  HUB_RETURN_IF_ERROR(CheckCanRecord(state, /*closure_step=*/false));
  HUB_RETURN_IF_ERROR(
      CheckLeadOrResponsible(state, cmd.ctx.caller, "recording a capacity assessment"));
  // MCA 2005 s2-3: capacity is decision-specific: the assessment names the decision.
  if (Blank(cmd.decision)) {
    return Missing("decision", "capacity is assessed for one specific decision (MCA 2005 s2-3)");
  }
  // MCA 2005 s2: capacity is time-specific ("at the material time").
  if (cmd.assessed_at == absl::InfinitePast()) {
    return Missing("assessed_at", "capacity is time-specific (MCA 2005 s2)");
  }
  if (cmd.finding == cv1::CAPACITY_FINDING_UNSPECIFIED) {
    return Missing("finding", "whether the adult has or lacks capacity for this decision");
  }
  if (Blank(cmd.assessor)) return Missing("assessor", "who assessed capacity");
  ev1::Event event = NewEvent(cmd.ctx);
  ev1::CapacityAssessed* a = event.mutable_capacity_assessed();
  a->set_assessment_id(cmd.ctx.new_id);
  a->set_decision(cmd.decision);
  *a->mutable_assessed_at() = ToTimestamp(cmd.assessed_at);
  a->set_assessor(cmd.assessor);
  a->set_finding(cmd.finding);
  a->set_evidence(cmd.evidence);
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const EnquiryState& state, const RecordBestInterestsDecision& cmd) {
  HUB_RETURN_IF_ERROR(CheckCanRecord(state, /*closure_step=*/false));
  HUB_RETURN_IF_ERROR(
      CheckLeadOrResponsible(state, cmd.ctx.caller, "recording a best-interests decision"));
  if (Blank(cmd.capacity_assessment_id)) {
    return Missing("capacity_assessment_id",
                   "the capacity assessment that found capacity lacking for this decision");
  }
  const ev1::CapacityAssessed* assessment =
      state.FindCapacityAssessment(cmd.capacity_assessment_id);
  if (assessment == nullptr) {
    return UnknownItem(
        "capacity_assessment_id",
        absl::StrCat("no capacity assessment ", cmd.capacity_assessment_id, " on this enquiry"));
  }
  if (Blank(cmd.decision)) return Missing("decision", "the decision being made");
  const std::string decision = NormalisedDecision(cmd.decision);
  // MCA 2005 s2: capacity is decision-specific; an assessment about another decision says
  // nothing about this one.
  if (decision != NormalisedDecision(assessment->decision())) {
    return Refused(absl::StrCat(
        "capacity assessment ", assessment->assessment_id(), " was about \"",
        assessment->decision(), "\", not \"", cmd.decision,
        "\": capacity is decision-specific (MCA 2005 s2); assess capacity for this decision "
        "first"));
  }
  // MCA 2005 s1(2), s4: best interests apply only where capacity is lacking.
  if (assessment->finding() != cv1::CAPACITY_FINDING_LACKS_CAPACITY) {
    return Refused(absl::StrCat(
        "capacity assessment ", assessment->assessment_id(),
        " found the adult has capacity to "
        "decide \"",
        assessment->decision(),
        "\": they make this decision themselves (MCA 2005 "
        "s1(2)); a best-interests decision applies only where capacity is lacking (s4)"));
  }
  // MCA 2005 s2, s4(3): capacity is time-specific and may be regained; a later finding of
  // capacity for the same decision means the adult decides.
  const absl::Time assessed_at = FromTimestamp(assessment->assessed_at());
  bool after_reference = false;
  for (const ev1::CapacityAssessed& other : state.capacity_assessments) {
    if (&other == assessment) {
      after_reference = true;
      continue;
    }
    if (NormalisedDecision(other.decision()) != decision ||
        other.finding() != cv1::CAPACITY_FINDING_HAS_CAPACITY) {
      continue;
    }
    const absl::Time other_at = FromTimestamp(other.assessed_at());
    if (other_at > assessed_at || (other_at == assessed_at && after_reference)) {
      return Refused(absl::StrCat(
          "capacity regained: assessment ", other.assessment_id(), " of ", Day(other_at),
          " found the adult has capacity to decide \"", other.decision(),
          "\", so they make this decision themselves (MCA 2005 s1(2)); if capacity has been "
          "lost again, assess it and reference the new assessment"));
    }
  }
  // MCA s4 and the balance sheet: options are weighed for and against.
  if (cmd.options.empty()) {
    return Missing("options", "at least one option weighed for and against (MCA 2005 s4)");
  }
  for (size_t i = 0; i < cmd.options.size(); ++i) {
    const cv1::BestInterestsOption& o = cmd.options[i];
    if (Blank(o.option())) return Missing(Item("options", i, "option"), "the option weighed");
    if (o.factors_for().empty() && o.factors_against().empty()) {
      return Missing(Item("options", i, "factors_for"),
                     "factors for or against each option (MCA 2005 s4)");
    }
  }
  // MCA 2005 s4(7): consult those caring for or interested in the adult's welfare.
  if (cmd.people_consulted.empty()) {
    return Missing("people_consulted", "who was consulted (MCA 2005 s4(7))");
  }
  // MCA 2005 s4(6): the adult's past and present wishes, feelings, beliefs and values.
  if (Blank(cmd.adults_known_wishes)) {
    return Missing("adults_known_wishes",
                   "the adult's past and present wishes and feelings (MCA 2005 s4(6))");
  }
  if (Blank(cmd.chosen_option)) return Missing("chosen_option", "the option decided on");
  const bool weighed = std::any_of(
      cmd.options.begin(), cmd.options.end(), [&cmd](const cv1::BestInterestsOption& o) {
        return NormalisedDecision(o.option()) == NormalisedDecision(cmd.chosen_option);
      });
  if (!weighed) return Invalid("chosen_option", "not one of the options weighed");
  ev1::Event event = NewEvent(cmd.ctx);
  ev1::BestInterestsDecided* d = event.mutable_best_interests_decided();
  d->set_decision_id(cmd.ctx.new_id);
  d->set_capacity_assessment_id(cmd.capacity_assessment_id);
  d->set_decision(cmd.decision);
  for (const cv1::BestInterestsOption& o : cmd.options) *d->add_options() = o;
  for (const std::string& p : cmd.people_consulted) d->add_people_consulted(p);
  d->set_adults_known_wishes(cmd.adults_known_wishes);
  d->set_chosen_option(cmd.chosen_option);
  d->set_rationale(cmd.rationale);
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const EnquiryState& state, const RecordRiskAssessment& cmd) {
  HUB_RETURN_IF_ERROR(CheckCanRecord(state, /*closure_step=*/false));
  HUB_RETURN_IF_ERROR(CheckLeadOrResponsible(state, cmd.ctx.caller, "recording a risk assessment"));
  if (Blank(cmd.dangers) && Blank(cmd.safety) && Blank(cmd.strengths)) {
    return Missing("dangers", "a risk assessment records dangers, safety or strengths");
  }
  ev1::Event event = NewEvent(cmd.ctx);
  ev1::RiskAssessed* r = event.mutable_risk_assessed();
  r->set_dangers(cmd.dangers);
  r->set_safety(cmd.safety);
  r->set_strengths(cmd.strengths);
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const EnquiryState& state, const RecordProtectionPlan& cmd) {
  HUB_RETURN_IF_ERROR(CheckCanRecord(state, /*closure_step=*/false));
  HUB_RETURN_IF_ERROR(CheckLeadOrResponsible(state, cmd.ctx.caller, "recording a protection plan"));
  // A protection plan is risk -> action -> by whom -> by when (5.6), or it protects no one.
  if (cmd.items.empty()) {
    return Missing("items", "at least one item: risk, action, by whom, by when");
  }
  for (size_t i = 0; i < cmd.items.size(); ++i) {
    const cv1::PlanItem& item = cmd.items[i];
    if (Blank(item.risk())) return Missing(Item("items", i, "risk"), "the risk addressed");
    if (Blank(item.action())) return Missing(Item("items", i, "action"), "what will be done");
    if (Blank(item.by_whom())) return Missing(Item("items", i, "by_whom"), "who will do it");
    if (!item.has_by_when()) return Missing(Item("items", i, "by_when"), "by when");
  }
  ev1::Event event = NewEvent(cmd.ctx);
  ev1::ProtectionPlanRecorded* p = event.mutable_protection_plan_recorded();
  for (size_t i = 0; i < cmd.items.size(); ++i) {
    cv1::PlanItem* item = p->add_items();
    *item = cmd.items[i];
    item->set_item_id(SubId(cmd.ctx.new_id, static_cast<int>(i) + 1));
  }
  if (cmd.next_review_at.has_value())
    *p->mutable_next_review_at() = ToTimestamp(*cmd.next_review_at);
  p->set_agreed_with_adult(cmd.agreed_with_adult);
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const EnquiryState& state, const ReviewProtectionPlan& cmd) {
  // Reviewing the plan is a closure step: whether risk remains is weighed before closing.
  HUB_RETURN_IF_ERROR(CheckCanRecord(state, /*closure_step=*/true));
  HUB_RETURN_IF_ERROR(
      CheckLeadOrResponsible(state, cmd.ctx.caller, "reviewing the protection plan"));
  if (!state.protection_plan.has_value()) {
    return Refused("no protection plan recorded: record the plan before reviewing it");
  }
  if (Blank(cmd.notes)) return Missing("notes", "what the review found");
  ev1::Event event = NewEvent(cmd.ctx);
  ev1::ProtectionPlanReviewed* r = event.mutable_protection_plan_reviewed();
  r->set_notes(cmd.notes);
  if (cmd.next_review_at.has_value())
    *r->mutable_next_review_at() = ToTimestamp(*cmd.next_review_at);
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const EnquiryState& state, const RecordCoercionConcern& cmd) {
  HUB_RETURN_IF_ERROR(CheckCanRecord(state, /*closure_step=*/false));
  HUB_RETURN_IF_ERROR(
      CheckLeadOrResponsible(state, cmd.ctx.caller, "recording a coercion concern"));
  // MSP professional curiosity: a suspicion (or its absence) is recorded with reasons.
  if (Blank(cmd.coercion.reasons())) {
    return Missing("coercion.reasons", "what professional curiosity found");
  }
  ev1::Event event = NewEvent(cmd.ctx);
  *event.mutable_coercion_concern_recorded()->mutable_coercion() = cmd.coercion;
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const EnquiryState& state, const RecordSpokenToAlone& cmd) {
  HUB_RETURN_IF_ERROR(CheckCanRecord(state, /*closure_step=*/false));
  HUB_RETURN_IF_ERROR(
      CheckLeadOrResponsible(state, cmd.ctx.caller, "recording whether the adult was seen alone"));
  // MSP professional curiosity: if the adult was not seen alone, the record says why.
  if (!cmd.spoken.spoken_to_alone() && Blank(cmd.spoken.reason_if_not())) {
    return Missing("spoken.reason_if_not", "why the adult was not spoken to alone");
  }
  ev1::Event event = NewEvent(cmd.ctx);
  cv1::SpokenToAlone* s = event.mutable_spoken_to_alone_recorded()->mutable_spoken();
  *s = cmd.spoken;
  if (!s->has_at()) *s->mutable_at() = ToTimestamp(cmd.ctx.now);
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const EnquiryState& state, const RecordDutyOfCareDecision& cmd) {
  // A duty-of-care decision may be what allows closure: it is a closure step.
  HUB_RETURN_IF_ERROR(CheckCanRecord(state, /*closure_step=*/true));
  // MSP "doesn't mean walking away": overriding it is a safeguarding manager's decision.
  if (!cmd.ctx.caller.HasRole(cv1::ROLE_SAFEGUARDING_MANAGER)) {
    return RoleRequired(Label(cv1::ROLE_SAFEGUARDING_MANAGER), "a duty-of-care decision");
  }
  HUB_RETURN_IF_ERROR(
      CheckLeadOrResponsible(state, cmd.ctx.caller, "recording a duty-of-care decision"));
  if (Blank(cmd.decision)) return Missing("decision", "what the duty of care requires or permits");
  if (Blank(cmd.reasons)) return Missing("reasons", "why, in the manager's words");
  ev1::Event event = NewEvent(cmd.ctx);
  ev1::DutyOfCareDecisionRecorded* d = event.mutable_duty_of_care_decision_recorded();
  d->set_decision(cmd.decision);
  d->set_reasons(cmd.reasons);
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const EnquiryState& state, const ConcludeEnquiry& cmd) {
  if (state.opened && !state.closed() && state.concluded()) {
    return Refused(absl::StrCat("enquiry already concluded on ", Day(state.concluded_at),
                                ": it is concluded once; close it when closure steps are done"));
  }
  HUB_RETURN_IF_ERROR(CheckCanRecord(state, /*closure_step=*/false));
  const Caller& caller = cmd.ctx.caller;
  if (!caller.HasRole(cv1::ROLE_ENQUIRY_OFFICER) &&
      !caller.HasRole(cv1::ROLE_SAFEGUARDING_MANAGER)) {
    return RoleRequired(absl::StrCat(Label(cv1::ROLE_ENQUIRY_OFFICER), " or ",
                                     Label(cv1::ROLE_SAFEGUARDING_MANAGER)),
                        "concluding an enquiry");
  }
  if (!state.lead.has_value()) {
    return Refused("no lead assigned: assign a lead agency and enquiry officer before concluding");
  }
  HUB_RETURN_IF_ERROR(CheckLeadOrResponsible(state, caller, "concluding this enquiry"));

  // MSP "asked at the start, measured at the end" (SAC SG4a).
  if (cmd.outcomes_asked == cv1::OUTCOMES_ASKED_UNSPECIFIED) {
    return Missing("outcomes_asked",
                   "was the adult asked about their desired outcomes? (Making Safeguarding "
                   "Personal, SAC SG4a)");
  }
  if (cmd.outcomes_asked == cv1::OUTCOMES_ASKED_NO && Blank(cmd.outcomes_not_asked_reason)) {
    return Missing("outcomes_not_asked_reason", "why the adult was not asked about outcomes");
  }
  absl::flat_hash_set<std::string> answered;
  for (size_t i = 0; i < cmd.outcome_results.size(); ++i) {
    const cv1::OutcomeResult& result = cmd.outcome_results[i];
    if (CurrentOutcome(state, result.outcome_id()) == nullptr) {
      return UnknownItem(Item("outcome_results", i, "outcome_id"),
                         absl::StrCat("no current desired outcome ", result.outcome_id()));
    }
    if (!answered.insert(result.outcome_id()).second) {
      return Invalid(Item("outcome_results", i, "outcome_id"),
                     absl::StrCat("outcome ", result.outcome_id(), " is answered twice"));
    }
    if (result.achievement() == cv1::OUTCOME_ACHIEVEMENT_UNSPECIFIED) {
      return Missing(Item("outcome_results", i, "achievement"),
                     "fully, partially or not achieved (SAC SG4a)");
    }
  }
  std::vector<std::string> unanswered;
  int current = 0;
  for (const DesiredOutcomeState& o : state.desired_outcomes) {
    if (o.withdrawn) continue;
    ++current;
    if (!answered.contains(o.outcome.outcome_id())) {
      unanswered.push_back(absl::StrCat("\"", o.outcome.text(), "\""));
    }
  }
  // MSP: an answer of "outcomes were expressed" needs the outcomes themselves on record.
  if (cmd.outcomes_asked == cv1::OUTCOMES_ASKED_YES_EXPRESSED && current == 0) {
    return Refused(
        "outcomes were expressed but none is recorded: record them in the adult's words "
        "(revise desired outcomes) before concluding");
  }
  // MSP: every expressed outcome gets an achievement answer at the end.
  if (!unanswered.empty()) {
    return Refused(absl::StrCat(
        "desired outcomes without an answer: ", absl::StrJoin(unanswered, ", "),
        ": record whether each was fully, partially or not achieved, with the adult's view, "
        "before concluding"));
  }

  // SAC SG2a/b: every concluded enquiry reports its risks by type, location and source.
  if (cmd.risks.empty()) {
    return Missing("risks", "at least one risk with its type, location and source (SAC SG2)");
  }
  for (size_t i = 0; i < cmd.risks.size(); ++i) {
    const cv1::ConcludedRisk& r = cmd.risks[i];
    if (r.type() == cv1::TYPE_OF_RISK_UNSPECIFIED) {
      return Missing(Item("risks", i, "type"), "the type of risk (SAC SG2a)");
    }
    if (r.location() == cv1::LOCATION_OF_RISK_UNSPECIFIED) {
      return Missing(Item("risks", i, "location"), "the location of risk (SAC SG2b)");
    }
    if (r.source() == cv1::SOURCE_OF_RISK_UNSPECIFIED) {
      return Missing(Item("risks", i, "source"), "the source of risk (SAC SG2a)");
    }
  }
  // SAC SG2c/SG2e: the action and result, and the risk outcome only where risk was identified
  // and action taken.
  if (cmd.action_and_result == cv1::ACTION_AND_RESULT_UNSPECIFIED) {
    return Missing("action_and_result", "the action taken and its result (SAC SG2c)");
  }
  const bool risk_acted_on =
      cmd.action_and_result == cv1::ACTION_AND_RESULT_RISK_IDENTIFIED_ACTION_TAKEN;
  if (risk_acted_on && cmd.risk_outcome == cv1::RISK_OUTCOME_UNSPECIFIED) {
    return Missing("risk_outcome", "whether the risk remained, was reduced or removed (SAC SG2e)");
  }
  if (!risk_acted_on && cmd.risk_outcome != cv1::RISK_OUTCOME_UNSPECIFIED) {
    return Invalid("risk_outcome",
                   "only with \"Risk identified and action taken\" (SAC SG2e); leave it unset");
  }
  // SAC SG3a: every concluded enquiry carries a capacity answer.
  if (cmd.capacity == cv1::CAPACITY_ANSWER_UNSPECIFIED) {
    return Missing("capacity", "did the adult lack capacity (SAC SG3a)");
  }
  if (cmd.supported_by_advocate_family_or_friend &&
      cmd.capacity != cv1::CAPACITY_ANSWER_LACKED_CAPACITY) {
    return Invalid("supported_by_advocate_family_or_friend",
                   "only where the adult lacked capacity (SAC SG3a)");
  }

  // Care Act s68: a s42 enquiry cannot conclude while the advocacy duty is unmet.
  if (state.opening.type() == cv1::ENQUIRY_TYPE_SECTION_42) {
    const AdvocacyDuty duty = ComputeAdvocacyDuty(state);
    if (!duty.met) return Refused(absl::StrCat("advocacy duty unmet: ", duty.explanation));
  }
  // MSP "doesn't mean walking away".
  if (cmd.action_and_result == cv1::ACTION_AND_RESULT_CEASED_AT_INDIVIDUALS_REQUEST) {
    HUB_RETURN_IF_ERROR(CheckNotWalkingAway(state, "cease the enquiry"));
  }

  ev1::Event event = NewEvent(cmd.ctx);
  ev1::EnquiryConcluded* c = event.mutable_enquiry_concluded();
  for (const cv1::ConcludedRisk& r : cmd.risks) *c->add_risks() = r;
  c->set_action_and_result(cmd.action_and_result);
  c->set_risk_outcome(cmd.risk_outcome);
  c->set_capacity(cmd.capacity);
  c->set_supported_by_advocate_family_or_friend(cmd.supported_by_advocate_family_or_friend);
  c->set_outcomes_asked(cmd.outcomes_asked);
  c->set_outcomes_not_asked_reason(cmd.outcomes_not_asked_reason);
  for (const cv1::OutcomeResult& r : cmd.outcome_results) *c->add_outcome_results() = r;
  *c->mutable_experience() = cmd.experience;
  c->set_summary(cmd.summary);
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const EnquiryState& state, const CloseEnquiry& cmd) {
  if (state.opened && state.closed()) {
    return Refused(absl::StrCat("enquiry already closed on ", Day(state.closed_at),
                                ": raise a new concern; it will link to this history"));
  }
  HUB_RETURN_IF_ERROR(CheckCanRecord(state, /*closure_step=*/true));
  // Closure is a manager's decision (5.7: formal closure by a team manager).
  if (!cmd.ctx.caller.HasRole(cv1::ROLE_SAFEGUARDING_MANAGER)) {
    return RoleRequired(Label(cv1::ROLE_SAFEGUARDING_MANAGER), "closing an enquiry");
  }
  // The conclusion (SAC SG2-SG4, the adult's outcomes) is recorded before the case closes.
  if (!state.concluded()) {
    return Refused(
        "enquiry not concluded: record its conclusion (risks, the adult's outcomes, capacity) "
        "before closing");
  }
  HUB_RETURN_IF_ERROR(CheckLeadOrResponsible(state, cmd.ctx.caller, "closing this enquiry"));
  if (cmd.reason == cv1::CLOSURE_REASON_UNSPECIFIED) {
    return Missing("reason", "why the enquiry closes");
  }
  // MSP / 5.7: the closure record notes the adult's view on closure.
  if (Blank(cmd.adults_view)) {
    return Missing("adults_view",
                   "the adult's view on closure; if it could not be obtained, say why");
  }
  // Care Act s44: the closure considers whether a safeguarding adults review is needed.
  if (!cmd.sar_considered) {
    return Refused(
        "a safeguarding adults review has not been considered (Care Act s44): consider whether "
        "the case meets the SAR criteria, then close");
  }
  // MSP "doesn't mean walking away".
  if (cmd.reason == cv1::CLOSURE_REASON_CEASED_AT_ADULTS_REQUEST) {
    HUB_RETURN_IF_ERROR(CheckNotWalkingAway(state, "close the enquiry"));
  }
  ev1::Event event = NewEvent(cmd.ctx);
  ev1::EnquiryClosed* c = event.mutable_enquiry_closed();
  c->set_reason(cmd.reason);
  c->set_adults_view(cmd.adults_view);
  c->set_referrer_informed(cmd.referrer_informed);
  c->set_others_informed(cmd.others_informed);
  c->set_sar_considered(cmd.sar_considered);
  c->set_sar_referred(cmd.sar_referred);
  c->set_notes(cmd.notes);
  return One(std::move(event));
}

}  // namespace hub::domain::enquiry
