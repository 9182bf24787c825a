#include "projections/case_file/case_file.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "domain/common/envelope.h"
#include "domain/common/streams.h"
#include "domain/enquiry/advocacy.h"

namespace hub::projections {
namespace {

namespace cv1 = ::hub::common::v1;
namespace ev1 = ::hub::events::v1;
namespace vv1 = ::hub::views::v1;

using google::protobuf::RepeatedPtrField;

std::string CaseKey(const std::string& concern_id) { return absl::StrCat("case/", concern_id); }
std::string EnquiryKey(const std::string& enquiry_id) {
  return absl::StrCat("enquiry/", enquiry_id);
}

// Keeps `ids` sorted and unique (the agreement's relationship test reads them).
void InsertSorted(RepeatedPtrField<std::string>* ids, const std::string& id) {
  if (id.empty()) return;
  auto it = std::lower_bound(ids->begin(), ids->end(), id);
  if (it != ids->end() && *it == id) return;
  const int index = static_cast<int>(it - ids->begin());
  ids->Add(std::string(id));
  std::rotate(ids->begin() + index, ids->end() - 1, ids->end());
}

// Moves the status forward only: the enquiry's opening may be folded before the concern's
// threshold decision, and a late decision must not take the case back.
void Advance(vv1::CaseFile& file, vv1::CaseStatus status) {
  if (status > file.summary().status()) file.mutable_summary()->set_status(status);
}

// Which category a research answer belongs to, by the answering agency's kind.
enum class ResearchBucket { kPolice, kHealth, kOther };

ResearchBucket BucketOf(cv1::AgencyKind kind) {
  switch (kind) {
    case cv1::AGENCY_KIND_POLICE:
      return ResearchBucket::kPolice;
    case cv1::AGENCY_KIND_ACUTE_HEALTH:
    case cv1::AGENCY_KIND_COMMUNITY_HEALTH:
    case cv1::AGENCY_KIND_MENTAL_HEALTH:
    case cv1::AGENCY_KIND_GP:
    case cv1::AGENCY_KIND_AMBULANCE:
      return ResearchBucket::kHealth;
    default:
      return ResearchBucket::kOther;
  }
}

void RemoveAnswer(RepeatedPtrField<vv1::ResearchItem>* items, const std::string& request_id) {
  for (int i = items->size() - 1; i >= 0; --i) {
    if (items->Get(i).request_id() == request_id) items->DeleteSubrange(i, 1);
  }
}

// The s68 duty from the recorded facts, by the enquiry's own rule (domain/enquiry/advocacy.h).
void UpdateDuty(vv1::AdvocacyInfo* advocacy) {
  domain::enquiry::AdvocacyFacts facts;
  facts.substantial_difficulty = advocacy->substantial_difficulty();
  facts.appropriate_individual_found = advocacy->appropriate_individual_found();
  facts.exception_applies = advocacy->exception_applies();
  for (const vv1::AdvocacyReferralItem& r : advocacy->referrals()) {
    if (r.accepted() && !r.advocate_name().empty() && r.views_size() > 0) {
      facts.advocate_allocated_with_views = true;
    }
  }
  const domain::enquiry::AdvocacyDuty duty = domain::enquiry::ComputeAdvocacyDuty(facts);
  advocacy->set_duty_applies(duty.applies);
  advocacy->set_duty_met(duty.met);
}

vv1::AdvocacyReferralItem* FindReferral(vv1::AdvocacyInfo* advocacy, const std::string& id) {
  for (vv1::AdvocacyReferralItem& r : *advocacy->mutable_referrals()) {
    if (r.referral_id() == id) return &r;
  }
  return nullptr;
}

// ---- concern-<id> ----

void OnConcernRaised(vv1::CaseFile& file, const ev1::Event& event) {
  const ev1::ConcernRaised& raised = event.concern_raised();
  const cv1::ConcernDetails& d = raised.details();
  const std::string& agency = event.actor().agency_id();
  file.set_person_id(raised.person_id());
  *file.mutable_raised_adult() = raised.adult();
  file.mutable_parties()->set_raised_by_agency_id(agency);
  file.mutable_contact()->set_raised_by_agency_id(agency);

  vv1::ConcernSummary* s = file.mutable_summary();
  s->set_concern_id(file.concern_id());
  s->set_episode(raised.episode());
  s->mutable_types_of_risk()->CopyFrom(d.types_of_risk());
  s->set_location_of_risk(d.location_of_risk());
  s->mutable_themes()->CopyFrom(d.themes());
  *s->mutable_raised_at() = event.occurred_at();
  if (d.has_incident_started_at()) *s->mutable_incident_started_at() = d.incident_started_at();
  if (d.has_incident_ended_at()) *s->mutable_incident_ended_at() = d.incident_ended_at();
  s->set_ongoing(d.ongoing());
  s->set_immediate_risk(d.immediate_risk());
  s->set_local_authority_code(d.local_authority_code());
  s->set_external_reference(d.external_reference());
  s->mutable_previous_concern_ids()->CopyFrom(raised.previous_concern_ids());
  Advance(file, vv1::CASE_STATUS_AWAITING_TRIAGE);

  vv1::Narrative* n = file.mutable_narrative();
  n->set_what_happened(d.what_happened());
  n->set_location_details(d.location_details());
  n->set_immediate_risk_details(d.immediate_risk_details());
  n->set_immediate_actions_taken(d.immediate_actions_taken());
  *n->mutable_referrer() = d.referrer();
  n->mutable_sources_of_risk()->CopyFrom(d.sources_of_risk());

  // Consent to share as given when raised; without it, the override grounds recorded.
  const bool consent = d.consent().status() == cv1::CONSENT_STATUS_GIVEN;
  vv1::VoiceAndOutcomes* v = file.mutable_voice();
  *v->mutable_consent() = d.consent();
  v->set_consent_to_share(consent);
  v->mutable_sharing_override_grounds()->CopyFrom(d.consent().override_grounds());
  v->set_adults_views(d.adults_views());
  v->mutable_desired_outcomes()->CopyFrom(d.desired_outcomes());
  file.set_consent_to_share(consent);
  file.mutable_override_grounds()->CopyFrom(d.consent().override_grounds());

  vv1::RiskAndPlan* r = file.mutable_risk();
  *r->mutable_others_at_risk() = d.others_at_risk();
  *r->mutable_coercion() = d.coercion();
  r->mutable_override_grounds()->CopyFrom(d.consent().override_grounds());
}

void OnConcernTriaged(vv1::CaseFile& file, const ev1::Event& event) {
  const ev1::ConcernTriaged& t = event.concern_triaged();
  vv1::ConcernSummary* s = file.mutable_summary();
  s->set_rating(t.rating());
  if (t.has_decision_due_at()) *s->mutable_decision_due_at() = t.decision_due_at();
  Advance(file, vv1::CASE_STATUS_TRIAGED);
  vv1::Triage* entry = file.mutable_narrative()->add_triage();
  entry->set_rating(t.rating());
  entry->set_rationale(t.rationale());
  entry->set_rerating_reason(t.rerating_reason());
  *entry->mutable_at() = event.occurred_at();
  entry->set_by_agency_id(event.actor().agency_id());
  file.mutable_parties()->set_mash_agency_id(event.actor().agency_id());
}

void OnResearchRequested(vv1::CaseFile& file, const ev1::Event& event) {
  const ev1::ResearchRequested& r = event.research_requested();
  // Every request, answered or not, without answer text (ResearchInfo.requests).
  vv1::ResearchItem* item = file.mutable_research()->add_requests();
  item->set_request_id(r.request_id());
  item->set_agency_id(r.agency_id());
  item->set_questions(r.questions());
  *item->mutable_requested_at() = event.occurred_at();
  if (r.has_due_at()) *item->mutable_due_at() = r.due_at();
  InsertSorted(file.mutable_parties()->mutable_research_agency_ids(), r.agency_id());
}

void OnResearchAnswered(vv1::CaseFile& file, const ev1::Event& event) {
  const ev1::ResearchAnswered& a = event.research_answered();
  vv1::ResearchItem answer;
  for (vv1::ResearchItem& request : *file.mutable_research()->mutable_requests()) {
    if (request.request_id() != a.request_id()) continue;
    request.set_answered(true);
    answer = request;
    break;
  }
  answer.set_request_id(a.request_id());
  answer.set_agency_id(a.agency_id().empty() ? event.actor().agency_id() : a.agency_id());
  answer.set_agency_kind(event.actor().agency_kind());
  answer.set_answered(true);
  *answer.mutable_answered_at() = event.occurred_at();
  answer.set_answer(a.answer());
  answer.set_nothing_known(a.nothing_known());
  answer.mutable_markings()->CopyFrom(a.markings());
  // A later answer to the same request replaces the earlier one, wherever it was filed.
  RemoveAnswer(file.mutable_police()->mutable_answers(), a.request_id());
  RemoveAnswer(file.mutable_health()->mutable_answers(), a.request_id());
  RemoveAnswer(file.mutable_research()->mutable_answers(), a.request_id());
  switch (BucketOf(answer.agency_kind())) {
    case ResearchBucket::kPolice:
      *file.mutable_police()->add_answers() = std::move(answer);
      break;
    case ResearchBucket::kHealth:
      *file.mutable_health()->add_answers() = std::move(answer);
      break;
    case ResearchBucket::kOther:
      *file.mutable_research()->add_answers() = std::move(answer);
      break;
  }
}

void OnThresholdDecision(vv1::CaseFile& file, const ev1::Event& event) {
  const ev1::ThresholdDecisionMade& d = event.threshold_decision_made();
  file.mutable_summary()->set_route(d.route());
  file.mutable_narrative()->set_threshold_rationale(d.rationale());
  file.mutable_narrative()->set_refer_elsewhere_to(d.refer_elsewhere_to());
  if (d.referrer_feedback_given() && !d.referrer_feedback().empty()) {
    file.mutable_narrative()->add_referrer_feedback(d.referrer_feedback());
  }
  if (d.enquiry_id().empty()) {
    Advance(file, vv1::CASE_STATUS_DECIDED_NO_ENQUIRY);
    return;
  }
  file.set_enquiry_id(d.enquiry_id());
  file.mutable_summary()->set_enquiry_id(d.enquiry_id());
  Advance(file, vv1::CASE_STATUS_ENQUIRY_OPEN);
}

void OnSharingConsent(vv1::CaseFile& file, const ev1::Event& event) {
  // The latest record states consent as it now stands, replacing the earlier state.
  const ev1::SharingConsentRecorded& c = event.sharing_consent_recorded();
  file.set_consent_to_share(c.consent_given());
  file.mutable_override_grounds()->CopyFrom(c.override_grounds());
  file.mutable_voice()->set_consent_to_share(c.consent_given());
  file.mutable_voice()->mutable_sharing_override_grounds()->CopyFrom(c.override_grounds());
}

// ---- enquiry-<id> ----

void OnEnquiryOpened(vv1::CaseFile& file, const ev1::Event& event) {
  const ev1::EnquiryOpened& o = event.enquiry_opened();
  file.set_enquiry_id(o.enquiry_id());
  if (file.person_id().empty()) file.set_person_id(o.person_id());
  vv1::ConcernSummary* s = file.mutable_summary();
  s->set_concern_id(file.concern_id());
  s->set_enquiry_id(o.enquiry_id());
  s->set_enquiry_type(o.type());
  *s->mutable_enquiry_opened_at() = event.occurred_at();
  if (s->local_authority_code().empty()) s->set_local_authority_code(o.local_authority_code());
  Advance(file, vv1::CASE_STATUS_ENQUIRY_OPEN);
  // The outcomes the enquiry starts from (the concern's, with their ids).
  file.mutable_voice()->mutable_desired_outcomes()->CopyFrom(o.desired_outcomes());
  UpdateDuty(file.mutable_advocacy());
}

void OnLeadAssigned(vv1::CaseFile& file, const ev1::Event& event) {
  const ev1::EnquiryLeadAssigned& l = event.enquiry_lead_assigned();
  vv1::ContactRoutes* c = file.mutable_contact();
  c->set_lead_agency_id(l.lead_agency_id());
  c->set_officer_name(l.officer_name());
  c->set_responsible_agency_id(l.responsible_agency_id());
  file.mutable_parties()->set_lead_agency_id(l.lead_agency_id());
  file.mutable_parties()->set_responsible_agency_id(l.responsible_agency_id());
  file.mutable_narrative()->set_lead_scope(l.scope());
}

void OnStrategyDiscussion(vv1::CaseFile& file, const ev1::Event& event) {
  const ev1::StrategyDiscussionRecorded& d = event.strategy_discussion_recorded();
  vv1::StrategyDiscussion* out = file.mutable_narrative()->add_discussions();
  out->set_discussion_id(d.discussion_id());
  if (d.has_held_at()) *out->mutable_held_at() = d.held_at();
  out->mutable_participants()->CopyFrom(d.participants());
  out->mutable_decisions()->CopyFrom(d.decisions());
  for (const cv1::AgreedAction& action : d.actions()) {
    *file.mutable_narrative()->add_actions()->mutable_action() = action;
    InsertSorted(file.mutable_parties()->mutable_involved_agency_ids(), action.owner_agency_id());
  }
  if (!d.adults_views().empty()) file.mutable_voice()->add_views_at_discussions(d.adults_views());
}

void OnActionCompleted(vv1::CaseFile& file, const ev1::Event& event) {
  const ev1::ActionCompleted& c = event.action_completed();
  for (vv1::ActionItem& item : *file.mutable_narrative()->mutable_actions()) {
    if (item.action().action_id() != c.action_id()) continue;
    item.set_completed(true);
    *item.mutable_completed_at() = c.has_completed_at() ? c.completed_at() : event.occurred_at();
    item.set_completion_note(c.note());
  }
}

void OnDesiredOutcomesRevised(vv1::CaseFile& file, const ev1::Event& event) {
  const ev1::DesiredOutcomesRevised& r = event.desired_outcomes_revised();
  vv1::VoiceAndOutcomes* v = file.mutable_voice();
  for (const cv1::DesiredOutcome& o : r.added()) *v->add_desired_outcomes() = o;
  for (const cv1::DesiredOutcome& o : r.changed()) {
    for (cv1::DesiredOutcome& current : *v->mutable_desired_outcomes()) {
      if (current.outcome_id() == o.outcome_id()) current = o;
    }
  }
  for (const std::string& id : r.withdrawn_outcome_ids()) {
    auto* outcomes = v->mutable_desired_outcomes();
    for (int i = outcomes->size() - 1; i >= 0; --i) {
      if (outcomes->Get(i).outcome_id() == id) outcomes->DeleteSubrange(i, 1);
    }
    v->add_withdrawn_outcome_ids(id);
  }
}

void OnCapacityAssessed(vv1::CaseFile& file, const ev1::Event& event) {
  const ev1::CapacityAssessed& c = event.capacity_assessed();
  vv1::CapacityAssessment* out = file.mutable_capacity()->add_assessments();
  out->set_assessment_id(c.assessment_id());
  out->set_decision(c.decision());
  *out->mutable_assessed_at() = c.has_assessed_at() ? c.assessed_at() : event.occurred_at();
  out->set_assessor(c.assessor());
  out->set_finding(c.finding());
  out->set_evidence(c.evidence());
}

void OnBestInterests(vv1::CaseFile& file, const ev1::Event& event) {
  const ev1::BestInterestsDecided& b = event.best_interests_decided();
  vv1::BestInterestsRecord* out = file.mutable_capacity()->add_best_interests();
  out->set_decision_id(b.decision_id());
  out->set_capacity_assessment_id(b.capacity_assessment_id());
  out->set_decision(b.decision());
  out->mutable_options()->CopyFrom(b.options());
  out->mutable_people_consulted()->CopyFrom(b.people_consulted());
  out->set_adults_known_wishes(b.adults_known_wishes());
  out->set_chosen_option(b.chosen_option());
  out->set_rationale(b.rationale());
}

void OnRiskAssessed(vv1::CaseFile& file, const ev1::Event& event) {
  const ev1::RiskAssessed& r = event.risk_assessed();
  vv1::RiskAssessmentRecord* out = file.mutable_risk()->add_risk_assessments();
  *out->mutable_at() = event.occurred_at();
  out->set_dangers(r.dangers());
  out->set_safety(r.safety());
  out->set_strengths(r.strengths());
}

void OnPlanRecorded(vv1::CaseFile& file, const ev1::Event& event) {
  // A new plan replaces the last; agencies given items stay involved (they hold the case).
  const ev1::ProtectionPlanRecorded& p = event.protection_plan_recorded();
  vv1::RiskAndPlan* r = file.mutable_risk();
  r->mutable_plan_items()->CopyFrom(p.items());
  if (p.has_next_review_at()) {
    *r->mutable_plan_next_review_at() = p.next_review_at();
  } else {
    r->clear_plan_next_review_at();
  }
  r->set_plan_agreed_with_adult(p.agreed_with_adult());
  for (const cv1::PlanItem& item : p.items()) {
    InsertSorted(file.mutable_parties()->mutable_involved_agency_ids(), item.by_agency_id());
  }
}

void OnPlanReviewed(vv1::CaseFile& file, const ev1::Event& event) {
  const ev1::ProtectionPlanReviewed& p = event.protection_plan_reviewed();
  vv1::RiskAndPlan* r = file.mutable_risk();
  r->add_plan_reviews(p.notes());
  if (p.has_next_review_at()) *r->mutable_plan_next_review_at() = p.next_review_at();
}

void OnCoercion(vv1::CaseFile& file, const ev1::Event& event) {
  // Once suspected it stays suspected (MSP: "doesn't mean walking away"); the latest reasons.
  const cv1::CoercionConcern& c = event.coercion_concern_recorded().coercion();
  cv1::CoercionConcern* current = file.mutable_risk()->mutable_coercion();
  const bool suspected = current->suspected() || c.suspected();
  if (!c.reasons().empty()) current->set_reasons(c.reasons());
  current->set_suspected(suspected);
}

void OnConcluded(vv1::CaseFile& file, const ev1::Event& event) {
  const ev1::EnquiryConcluded& c = event.enquiry_concluded();
  vv1::RiskAndPlan* r = file.mutable_risk();
  r->mutable_concluded_risks()->CopyFrom(c.risks());
  r->set_action_and_result(c.action_and_result());
  r->set_risk_outcome(c.risk_outcome());
  file.mutable_capacity()->set_concluded_capacity(c.capacity());
  file.mutable_capacity()->set_supported_by_advocate_family_or_friend(
      c.supported_by_advocate_family_or_friend());
  vv1::VoiceAndOutcomes* v = file.mutable_voice();
  v->set_outcomes_asked(c.outcomes_asked());
  v->set_outcomes_not_asked_reason(c.outcomes_not_asked_reason());
  v->mutable_outcome_results()->CopyFrom(c.outcome_results());
  *v->mutable_experience() = c.experience();
  file.mutable_narrative()->set_conclusion_summary(c.summary());
  *file.mutable_summary()->mutable_concluded_at() = event.occurred_at();
  Advance(file, vv1::CASE_STATUS_ENQUIRY_CONCLUDED);
}

void OnClosed(vv1::CaseFile& file, const ev1::Event& event) {
  const ev1::EnquiryClosed& c = event.enquiry_closed();
  file.mutable_narrative()->set_closure_reason(c.reason());
  file.mutable_narrative()->set_closure_notes(c.notes());
  file.mutable_voice()->set_adults_view_at_closure(c.adults_view());
  *file.mutable_summary()->mutable_closed_at() = event.occurred_at();
  Advance(file, vv1::CASE_STATUS_ENQUIRY_CLOSED);
}

// Advocacy (Care Act s68); true when the event was an advocacy event.
bool OnAdvocacy(vv1::CaseFile& file, const ev1::Event& event) {
  vv1::AdvocacyInfo* a = file.mutable_advocacy();
  switch (event.payload_case()) {
    case ev1::Event::kSubstantialDifficultyAssessed: {
      const ev1::SubstantialDifficultyAssessed& d = event.substantial_difficulty_assessed();
      a->set_substantial_difficulty_assessed(true);
      a->set_substantial_difficulty(d.understanding() || d.retaining() ||
                                    d.using_or_weighing() || d.communicating());
      a->set_substantial_difficulty_notes(d.notes());
      break;
    }
    case ev1::Event::kAppropriateIndividualAssessed: {
      const ev1::AppropriateIndividualAssessed& ai = event.appropriate_individual_assessed();
      a->set_appropriate_individual_assessed(true);
      a->set_appropriate_individual_found(domain::enquiry::IsAppropriateIndividual(ai));
      a->set_appropriate_individual_name(ai.exists() ? ai.name() : "");
      break;
    }
    case ev1::Event::kAdvocacyExceptionsRecorded: {
      const ev1::AdvocacyExceptionsRecorded& e = event.advocacy_exceptions_recorded();
      a->set_exception_applies(e.hospital_28_days_or_more() || e.care_home_8_weeks_or_more() ||
                               e.disagreement_with_appropriate_individual());
      break;
    }
    case ev1::Event::kAdvocacyReferred: {
      const ev1::AdvocacyReferred& r = event.advocacy_referred();
      vv1::AdvocacyReferralItem* item = a->add_referrals();
      item->set_referral_id(r.referral_id());
      item->set_provider_agency_id(r.provider_agency_id());
      item->set_reason(r.reason());
      InsertSorted(file.mutable_parties()->mutable_involved_agency_ids(), r.provider_agency_id());
      break;
    }
    case ev1::Event::kAdvocacyReferralAccepted:
      if (auto* r = FindReferral(a, event.advocacy_referral_accepted().referral_id())) {
        r->set_accepted(true);
      }
      break;
    case ev1::Event::kAdvocacyReferralDeclined:
      if (auto* r = FindReferral(a, event.advocacy_referral_declined().referral_id())) {
        r->set_declined(true);
        r->set_declined_reason(event.advocacy_referral_declined().reason());
      }
      break;
    case ev1::Event::kAdvocateAllocated:
      if (auto* r = FindReferral(a, event.advocate_allocated().referral_id())) {
        r->set_advocate_name(event.advocate_allocated().advocate_name());
        r->set_advocate_contact(event.advocate_allocated().contact());
      }
      break;
    case ev1::Event::kAdvocateViewsRecorded:
      if (auto* r = FindReferral(a, event.advocate_views_recorded().referral_id())) {
        r->add_views(event.advocate_views_recorded().views());
      }
      break;
    default:
      return false;
  }
  UpdateDuty(a);
  return true;
}

// Folds one enquiry-stream event (other than the opening); false when it is not one.
bool OnEnquiryEvent(vv1::CaseFile& file, const ev1::Event& event) {
  switch (event.payload_case()) {
    case ev1::Event::kEnquiryLeadAssigned:
      OnLeadAssigned(file, event);
      return true;
    case ev1::Event::kStrategyDiscussionRecorded:
      OnStrategyDiscussion(file, event);
      return true;
    case ev1::Event::kActionCompleted:
      OnActionCompleted(file, event);
      return true;
    case ev1::Event::kDesiredOutcomesRevised:
      OnDesiredOutcomesRevised(file, event);
      return true;
    case ev1::Event::kCapacityAssessed:
      OnCapacityAssessed(file, event);
      return true;
    case ev1::Event::kBestInterestsDecided:
      OnBestInterests(file, event);
      return true;
    case ev1::Event::kRiskAssessed:
      OnRiskAssessed(file, event);
      return true;
    case ev1::Event::kProtectionPlanRecorded:
      OnPlanRecorded(file, event);
      return true;
    case ev1::Event::kProtectionPlanReviewed:
      OnPlanReviewed(file, event);
      return true;
    case ev1::Event::kCoercionConcernRecorded:
      OnCoercion(file, event);
      return true;
    case ev1::Event::kSpokenToAloneRecorded:
      *file.mutable_voice()->mutable_spoken_to_alone() = event.spoken_to_alone_recorded().spoken();
      return true;
    case ev1::Event::kDutyOfCareDecisionRecorded: {
      const ev1::DutyOfCareDecisionRecorded& d = event.duty_of_care_decision_recorded();
      file.mutable_risk()->add_duty_of_care_decisions(
          d.reasons().empty() ? d.decision() : absl::StrCat(d.decision(), ": ", d.reasons()));
      return true;
    }
    case ev1::Event::kEnquiryConcluded:
      OnConcluded(file, event);
      return true;
    case ev1::Event::kEnquiryClosed:
      OnClosed(file, event);
      return true;
    default:
      return OnAdvocacy(file, event);
  }
}

// ---- access: restriction (concern-<id>) and break-glass grants (emergency-access-<id>) ----

void OnRestriction(vv1::CaseFile& file, const ev1::Event& event) {
  vv1::CaseAccessControls* access = file.mutable_access();
  if (event.has_case_restricted()) {
    const ev1::CaseRestricted& r = event.case_restricted();
    access->set_restricted(true);
    access->set_restricted_by_agency_id(r.owner_agency_id().empty() ? event.actor().agency_id()
                                                                    : r.owner_agency_id());
    access->set_restriction_reason_kind(r.reason_kind());
    access->set_restriction_reason(r.reason());
    *access->mutable_restricted_at() = event.occurred_at();
    return;
  }
  access->set_restricted(false);
  access->clear_restricted_by_agency_id();
  access->clear_restriction_reason_kind();
  access->clear_restriction_reason();
  access->clear_restricted_at();
}

void OnEmergencyAccessGranted(vv1::CaseFile& file, const ev1::Event& event, int64_t position) {
  const ev1::EmergencyAccessGranted& g = event.emergency_access_granted();
  vv1::EmergencyGrant* grant = file.mutable_access()->add_grants();
  grant->set_grant_id(g.grant_id());
  grant->set_agency_id(g.agency_id());
  grant->set_user_id(g.user_id());
  grant->set_reason(g.reason());
  *grant->mutable_granted_at() = g.granted_at();
  *grant->mutable_expires_at() = g.expires_at();
  grant->set_position(position);
  grant->set_purpose(g.purpose());
}

bool IsEnquiryEvent(const ev1::Event& event) {
  const int field = static_cast<int>(event.payload_case());
  // enquiry-<id> payloads are numbered 50..99 in events.proto.
  return field >= ev1::Event::kEnquiryOpened && field < 100;
}

}  // namespace

CaseFileProjection::CaseFileProjection(CacheLimits limits)
    : cases_(limits), enquiry_concerns_({limits.records, limits.records * 64}) {}

absl::StatusOr<vv1::CaseFile*> CaseFileProjection::CaseFor(Txn& txn,
                                                           const std::string& concern_id) {
  if (vv1::CaseFile* file = cases_.Find(concern_id, /*dirty=*/true)) return file;
  const std::string key = CaseKey(concern_id);
  HUB_ASSIGN_OR_RETURN(std::optional<std::string> bytes, txn.Get(key));
  vv1::CaseFile file;
  if (!bytes) {
    file.set_concern_id(concern_id);
  } else if (!file.ParseFromString(*bytes)) {
    return ReadModelCorruptError(key);  // the store's damage: retried, never quarantined
  }
  return cases_.Insert(concern_id, std::move(file), bytes ? bytes->size() : 0, /*dirty=*/true);
}

absl::StatusOr<std::string> CaseFileProjection::ConcernOf(Txn& txn,
                                                          const std::string& enquiry_id) {
  if (const std::string* concern = enquiry_concerns_.Find(enquiry_id, /*dirty=*/false)) {
    return *concern;
  }
  HUB_ASSIGN_OR_RETURN(std::optional<std::string> concern, txn.Get(EnquiryKey(enquiry_id)));
  if (!concern) return std::string();
  const size_t bytes = enquiry_id.size() + concern->size();
  return *enquiry_concerns_.Insert(enquiry_id, *std::move(concern), bytes, /*dirty=*/false);
}

void CaseFileProjection::LinkEnquiry(const std::string& enquiry_id,
                                     const std::string& concern_id) {
  std::string* current = enquiry_concerns_.Find(enquiry_id, /*dirty=*/false);
  if (current == nullptr) {
    enquiry_concerns_.Insert(enquiry_id, concern_id, 0, /*dirty=*/true);
  } else if (*current != concern_id) {
    *current = concern_id;
    enquiry_concerns_.Find(enquiry_id, /*dirty=*/true);
  }
}

absl::Status CaseFileProjection::Apply(const eventstore::RecordedEvent& record,
                                       const ev1::Event& event, Txn& txn) {
  // CatchUp, unlike the engine, does not Reset after a failed write: notice the refold here.
  if (record.position.value() < next_position_) Reset();
  next_position_ = record.position.value() + 1;
  std::string concern_id;
  if (event.has_concern_raised()) {
    concern_id = event.concern_raised().concern_id();
    if (concern_id.empty()) concern_id = domain::ConcernIdOf(record.stream);
  } else if (event.has_enquiry_opened()) {
    concern_id = event.enquiry_opened().concern_id();
    if (concern_id.empty()) return absl::OkStatus();
    LinkEnquiry(event.enquiry_opened().enquiry_id(), concern_id);
  } else if (IsEnquiryEvent(event)) {
    const std::string enquiry_id = domain::EnquiryIdOf(record.stream);
    if (enquiry_id.empty()) return absl::OkStatus();
    HUB_ASSIGN_OR_RETURN(concern_id, ConcernOf(txn, enquiry_id));
  } else {
    switch (event.payload_case()) {
      case ev1::Event::kConcernTriaged:
      case ev1::Event::kResearchRequested:
      case ev1::Event::kResearchAnswered:
      case ev1::Event::kThresholdDecisionMade:
      case ev1::Event::kReferrerFeedbackRecorded:
      case ev1::Event::kSharingConsentRecorded:
      case ev1::Event::kCaseRestricted:
      case ev1::Event::kCaseRestrictionLifted:
        concern_id = domain::ConcernIdOf(record.stream);
        break;
      case ev1::Event::kEmergencyAccessGranted:
        concern_id = event.emergency_access_granted().concern_id();
        break;
      default:
        return absl::OkStatus();  // person, identifier, disclosure and agreement events
    }
  }
  // An enquiry event whose opening was never folded has no case to go to.
  if (concern_id.empty()) return absl::OkStatus();
  HUB_ASSIGN_OR_RETURN(vv1::CaseFile * file, CaseFor(txn, concern_id));

  switch (event.payload_case()) {
    case ev1::Event::kConcernRaised:
      OnConcernRaised(*file, event);
      break;
    case ev1::Event::kConcernTriaged:
      OnConcernTriaged(*file, event);
      break;
    case ev1::Event::kResearchRequested:
      OnResearchRequested(*file, event);
      break;
    case ev1::Event::kResearchAnswered:
      OnResearchAnswered(*file, event);
      break;
    case ev1::Event::kThresholdDecisionMade:
      OnThresholdDecision(*file, event);
      if (!event.threshold_decision_made().enquiry_id().empty()) {
        LinkEnquiry(event.threshold_decision_made().enquiry_id(), concern_id);
      }
      break;
    case ev1::Event::kReferrerFeedbackRecorded:
      file->mutable_narrative()->add_referrer_feedback(
          event.referrer_feedback_recorded().feedback());
      break;
    case ev1::Event::kSharingConsentRecorded:
      OnSharingConsent(*file, event);
      break;
    case ev1::Event::kCaseRestricted:
    case ev1::Event::kCaseRestrictionLifted:
      OnRestriction(*file, event);
      break;
    case ev1::Event::kEmergencyAccessGranted:
      OnEmergencyAccessGranted(*file, event, record.position.value());
      break;
    case ev1::Event::kEnquiryOpened:
      OnEnquiryOpened(*file, event);
      break;
    default:
      OnEnquiryEvent(*file, event);
      break;
  }
  file->set_last_position(record.position.value());
  return absl::OkStatus();
}

absl::Status CaseFileProjection::Flush(Txn& txn) {
  cases_.Flush([&txn](const std::string& concern_id, const vv1::CaseFile& file) {
    std::string bytes = SerializeRecord(file);
    const size_t size = bytes.size();
    txn.Put(CaseKey(concern_id), std::move(bytes));
    return size;
  });
  enquiry_concerns_.Flush([&txn](const std::string& enquiry_id, const std::string& concern_id) {
    txn.Put(EnquiryKey(enquiry_id), concern_id);
    return enquiry_id.size() + concern_id.size();
  });
  return absl::OkStatus();
}

void CaseFileProjection::Reset() {
  cases_.Clear();
  enquiry_concerns_.Clear();
  next_position_ = 0;
}

absl::StatusOr<std::optional<vv1::CaseFile>> LoadCaseFile(eventstore::KvStore& store,
                                                          const std::string& concern_id) {
  vv1::CaseFile file;
  HUB_ASSIGN_OR_RETURN(bool found, ReadMessage(store, kCaseFileName, CaseKey(concern_id), &file));
  if (!found) return std::nullopt;
  return file;
}

absl::StatusOr<std::optional<std::string>> ConcernForEnquiry(eventstore::KvStore& store,
                                                             const std::string& enquiry_id) {
  return store.Get(DataKey(kCaseFileName, EnquiryKey(enquiry_id)));
}

EmergencyGrants FindEmergencyGrants(const vv1::CaseFile& file, const std::string& agency_id,
                                    const std::string& user_id, absl::Time now) {
  EmergencyGrants found;
  if (agency_id.empty() || user_id.empty()) return found;
  for (const vv1::EmergencyGrant& grant : file.access().grants()) {
    if (grant.agency_id() != agency_id || grant.user_id() != user_id) continue;
    const absl::Time expires = domain::FromTimestamp(grant.expires_at());
    if (now < expires) {
      // Of several live grants, the one lasting longest answers.
      if (found.active == nullptr ||
          expires > domain::FromTimestamp(found.active->expires_at())) {
        found.active = &grant;
      }
    } else if (found.expired == nullptr ||
               expires > domain::FromTimestamp(found.expired->expires_at())) {
      found.expired = &grant;
    }
  }
  return found;
}

}  // namespace hub::projections
