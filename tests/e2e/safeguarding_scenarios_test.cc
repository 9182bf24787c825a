// End-to-end scenarios from Making Safeguarding Personal practice, driven over gRPC against
// the real hubd binary (a child process on 127.0.0.1:0 over a fresh RocksDB directory), with
// the development identity from request metadata and the example partnership. Each scenario
// takes a concern from the referrer's agency through triage, research, decision, enquiry,
// conclusion and closure, and checks the rules that refuse on the way.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "hub/api/v1/advocacy_service.grpc.pb.h"
#include "hub/api/v1/enquiry_service.grpc.pb.h"
#include "hub/api/v1/event_store_service.grpc.pb.h"
#include "hub/api/v1/mash_service.grpc.pb.h"
#include "hub/api/v1/people_service.grpc.pb.h"
#include "hub/api/v1/referral_intake_service.grpc.pb.h"
#include "tests/e2e/scenario_fixture.h"

namespace hub {
namespace {

namespace api = ::hub::api::v1;
namespace cv1 = ::hub::common::v1;
using ::testing::HasSubstr;
using namespace ::hub::e2e;  // NOLINT: the shared fixture and builders

// (a) Self-neglect: an older woman living alone declines help. Her carer raises the concern
// without her consent (vital interests); no one else is at risk, so she may in the end ask for
// the enquiry to stop — and MSP means the hub records her view and a plan that keeps people
// involved, rather than walking away.
TEST_F(SafeguardingE2eTest, SelfNeglectOlderWomanWhoDeclinesHelp) {
  api::RaiseConcernRequest raise;
  *raise.mutable_header() = Header();
  *raise.mutable_adult() = Adult("Edith", "Marchbank", 1938, cv1::GENDER_FEMALE,
                                 cv1::PRIMARY_SUPPORT_REASON_PHYSICAL, "9434765919");
  raise.mutable_adult()->mutable_household()->set_lives_alone(true);
  cv1::ConcernDetails* d = raise.mutable_details();
  d->set_what_happened(
      "Home very cold, little food, several falls this month; declines meals and home care.");
  d->add_types_of_risk(cv1::TYPE_OF_RISK_SELF_NEGLECT);
  d->set_location_of_risk(cv1::LOCATION_OF_RISK_OWN_HOME);
  d->mutable_referrer()->set_name("Jo Carver");
  d->mutable_referrer()->set_organisation("Brightwater Care Homes (home care)");
  d->mutable_consent()->set_adult_aware(true);
  d->mutable_consent()->set_status(cv1::CONSENT_STATUS_DECLINED);
  *d->add_desired_outcomes() = Outcome("I want to stay in my own home.",
                                       cv1::DESIRED_OUTCOME_KIND_SOMETHING_ELSE);
  *d->add_desired_outcomes() = Outcome("I don't want strangers in my kitchen every day.",
                                       cv1::DESIRED_OUTCOME_KIND_INVOLVED_IN_NEXT_STEPS);
  api::RaiseConcernResponse raised;
  const int64_t head_before = Head();

  // Raising without consent needs an override ground and a justification.
  grpc::Status refused = Call(*intake_, &api::ReferralIntake::Stub::RaiseConcern, kCarer, raise, raised);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << refused.error_message();
  EXPECT_THAT(refused.error_message(), HasSubstr("override ground"));
  EXPECT_EQ(Head(), head_before);  // nothing written

  *raise.mutable_header() = Header();
  d->mutable_consent()->add_override_grounds(cv1::OVERRIDE_GROUND_VITAL_INTERESTS);
  d->mutable_consent()->set_override_justification(
      "Fourth fall in a month, no heating in November: risk to life.");
  d->mutable_consent()->set_adult_informed_note("Told Mrs Marchbank I would ask the council for help.");
  EXPECT_OK(Call(*intake_, &api::ReferralIntake::Stub::RaiseConcern, kCarer, raise, raised));
  EXPECT_EQ(raised.episode(), 1);
  EXPECT_FALSE(raised.linked_to_existing_person());
  int64_t concern_v = raised.result().version();

  // A retry of the same command returns the original result and writes nothing.
  const int64_t head_after_raise = Head();
  api::RaiseConcernResponse again;
  EXPECT_OK(Call(*intake_, &api::ReferralIntake::Stub::RaiseConcern, kCarer, raise, again));
  EXPECT_TRUE(again.result().replayed());
  EXPECT_EQ(again.concern_id(), raised.concern_id());
  EXPECT_EQ(again.result().global_position(), raised.result().global_position());
  EXPECT_EQ(Head(), head_after_raise);

  api::TriageConcernRequest triage;
  *triage.mutable_header() = Header(concern_v);
  triage.set_concern_id(raised.concern_id());
  triage.set_rating(cv1::RAG_RATING_AMBER);
  triage.set_rationale("Serious self-neglect, no immediate danger today; lives alone.");
  api::TriageConcernResponse triaged;
  EXPECT_OK(Call(*mash_, &api::Mash::Stub::TriageConcern, kTriage, triage, triaged));
  concern_v = triaged.result().version();
  EXPECT_GT(triaged.decision_due_at().seconds(), absl::ToUnixSeconds(absl::Now()));

  api::RequestResearchRequest research;
  *research.mutable_header() = Header(concern_v);
  research.set_concern_id(raised.concern_id());
  research.set_agency_id("gp-riverside");
  research.set_questions("Recent contact, health conditions, capacity concerns?");
  api::RequestResearchResponse requested;
  EXPECT_OK(Call(*mash_, &api::Mash::Stub::RequestResearch, kTriage, research, requested));
  concern_v = requested.result().version();

  api::AnswerResearchRequest answer;
  *answer.mutable_header() = Header(concern_v);
  answer.set_concern_id(raised.concern_id());
  answer.set_request_id(requested.request_id());
  answer.set_answer("Seen 3 weeks ago; COPD; no cognitive impairment noted; declined district nurse.");
  answer.add_markings(cv1::HANDLING_MARKING_OWNER_AGREEMENT_BEFORE_ONWARD_SHARING);
  api::AnswerResearchResponse answered;
  // Only the agency asked may answer: the police were not asked, so they may not act at all.
  grpc::Status wrong_agency =
      Call(*mash_, &api::Mash::Stub::AnswerResearch, kPoliceResearcher, answer, answered);
  EXPECT_EQ(wrong_agency.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << wrong_agency.error_message();
  *answer.mutable_header() = Header(concern_v);
  EXPECT_OK(Call(*mash_, &api::Mash::Stub::AnswerResearch, kGpResearcher, answer, answered));
  concern_v = answered.result().version();

  api::RecordThresholdDecisionRequest decision;
  *decision.mutable_header() = Header(concern_v);
  decision.set_concern_id(raised.concern_id());
  decision.set_has_care_and_support_needs(true);
  decision.set_experiencing_or_at_risk(true);
  decision.set_unable_to_protect_self(true);
  decision.set_route(cv1::THRESHOLD_ROUTE_S42_ENQUIRY);
  decision.set_rationale("Self-neglect with care needs; unable to protect herself from the risk.");
  decision.set_referrer_feedback_given(true);
  decision.set_referrer_feedback("s42 enquiry opened; social worker will visit this week.");
  api::RecordThresholdDecisionResponse decided;
  // The threshold decision belongs to a safeguarding manager.
  grpc::Status not_manager =
      Call(*mash_, &api::Mash::Stub::RecordThresholdDecision, kTriage, decision, decided);
  EXPECT_EQ(not_manager.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_OK(Call(*mash_, &api::Mash::Stub::RecordThresholdDecision, kManager, decision, decided));
  ASSERT_FALSE(decided.enquiry_id().empty());
  int64_t ev = decided.enquiry_result().version();
  const std::string enquiry_id = decided.enquiry_id();

  api::AssignLeadRequest lead;
  *lead.mutable_header() = Header(ev);
  lead.set_enquiry_id(enquiry_id);
  lead.set_lead_agency_id("asc-northshire");
  lead.set_officer_name("Priya Okafor");
  lead.set_officer_user_id("social.worker");
  api::AssignLeadResponse led;
  EXPECT_OK(Call(*enquiry_, &api::Enquiry::Stub::AssignLead, kManager, lead, led));
  ev = led.result().version();

  api::RecordSpokenToAloneRequest alone;
  *alone.mutable_header() = Header(ev);
  alone.set_enquiry_id(enquiry_id);
  alone.mutable_spoken()->set_spoken_to_alone(true);
  api::RecordSpokenToAloneResponse alone_done;
  EXPECT_OK(Call(*enquiry_, &api::Enquiry::Stub::RecordSpokenToAlone, kOfficer, alone, alone_done));
  ev = alone_done.result().version();

  api::RecordCapacityAssessmentRequest capacity;
  *capacity.mutable_header() = Header(ev);
  capacity.set_enquiry_id(enquiry_id);
  capacity.set_decision("whether to accept daily home care");
  *capacity.mutable_assessed_at() = In(absl::ZeroDuration());
  capacity.set_assessor("Priya Okafor");
  capacity.set_finding(cv1::CAPACITY_FINDING_HAS_CAPACITY);
  capacity.set_evidence("Understood, retained and weighed the risks of refusing; clear reasons.");
  api::RecordCapacityAssessmentResponse assessed;
  EXPECT_OK(Call(*enquiry_, &api::Enquiry::Stub::RecordCapacityAssessment, kOfficer, capacity, assessed));
  ev = assessed.result().version();

  // With capacity for the decision, nobody may decide in her "best interests" (MCA s1(4)).
  api::RecordBestInterestsDecisionRequest bi;
  *bi.mutable_header() = Header(ev);
  bi.set_enquiry_id(enquiry_id);
  bi.set_capacity_assessment_id(assessed.assessment_id());
  bi.set_decision("whether to accept daily home care");
  cv1::BestInterestsOption* option = bi.add_options();
  option->set_option("Daily home care");
  option->add_factors_for("Regular meals");
  option->add_factors_against("She refuses it");
  bi.add_people_consulted("Her niece");
  bi.set_adults_known_wishes("To be left alone in her own home");
  bi.set_chosen_option("Daily home care");
  api::RecordBestInterestsDecisionResponse bi_done;
  grpc::Status has_capacity =
      Call(*enquiry_, &api::Enquiry::Stub::RecordBestInterestsDecision, kOfficer, bi, bi_done);
  EXPECT_EQ(has_capacity.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << has_capacity.error_message();

  api::RecordProtectionPlanRequest plan;
  *plan.mutable_header() = Header(ev);
  plan.set_enquiry_id(enquiry_id);
  cv1::PlanItem* item = plan.add_items();
  item->set_risk("Falls and cold home");
  item->set_action("Fortnightly district nurse visit she has agreed to; heating repair grant");
  item->set_by_whom("District nursing team");
  item->set_by_agency_id("nhs-northshire-community");
  *item->mutable_by_when() = In(absl::Hours(24 * 14));
  plan.set_agreed_with_adult(true);
  api::RecordProtectionPlanResponse planned;
  EXPECT_OK(Call(*enquiry_, &api::Enquiry::Stub::RecordProtectionPlan, kOfficer, plan, planned));
  ev = planned.result().version();

  // She asks for the enquiry to stop. Nobody else is at risk, no coercion, no crime: her
  // choice is respected, with her outcomes answered in her own words.
  api::ConcludeEnquiryRequest conclude;
  *conclude.mutable_header() = Header(ev);
  conclude.set_enquiry_id(enquiry_id);
  cv1::ConcludedRisk* risk = conclude.add_risks();
  risk->set_type(cv1::TYPE_OF_RISK_SELF_NEGLECT);
  risk->set_location(cv1::LOCATION_OF_RISK_OWN_HOME);
  risk->set_source(cv1::SOURCE_OF_RISK_OTHER_KNOWN_TO_INDIVIDUAL);
  conclude.set_action_and_result(cv1::ACTION_AND_RESULT_CEASED_AT_INDIVIDUALS_REQUEST);
  conclude.set_capacity(cv1::CAPACITY_ANSWER_DID_NOT_LACK_CAPACITY);
  conclude.set_outcomes_asked(cv1::OUTCOMES_ASKED_YES_EXPRESSED);
  api::ConcludeEnquiryResponse concluded;
  // Every expressed outcome needs an answer: none given yet.
  grpc::Status unanswered =
      Call(*enquiry_, &api::Enquiry::Stub::ConcludeEnquiry, kOfficer, conclude, concluded);
  EXPECT_EQ(unanswered.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << unanswered.error_message();
  EXPECT_THAT(unanswered.error_message(), HasSubstr("stay in my own home"));
  // The outcome ids were assigned at intake and returned then.
  ASSERT_EQ(raised.desired_outcome_ids_size(), 2);
  for (int n = 1; n <= 2; ++n) {
    cv1::OutcomeResult* r = conclude.add_outcome_results();
    r->set_outcome_id(raised.desired_outcome_ids(n - 1));
    r->set_achievement(n == 1 ? cv1::OUTCOME_ACHIEVEMENT_FULLY : cv1::OUTCOME_ACHIEVEMENT_PARTIALLY);
    r->set_adults_view(n == 1 ? "I'm still here, aren't I." : "The nurse is fine. Fortnightly.");
  }
  *conclude.mutable_header() = Header(ev);
  EXPECT_OK(Call(*enquiry_, &api::Enquiry::Stub::ConcludeEnquiry, kOfficer, conclude, concluded));
  ev = concluded.result().version();

  api::CloseEnquiryRequest close;
  *close.mutable_header() = Header(ev);
  close.set_enquiry_id(enquiry_id);
  close.set_reason(cv1::CLOSURE_REASON_CEASED_AT_ADULTS_REQUEST);
  close.set_adults_view("Wants to be left in peace; agreed the nurse can keep coming.");
  close.set_referrer_informed(true);
  close.set_others_informed(true);
  close.set_sar_considered(true);
  api::CloseEnquiryResponse closed;
  // Closure is a safeguarding manager's decision.
  grpc::Status officer_close =
      Call(*enquiry_, &api::Enquiry::Stub::CloseEnquiry, kOfficer, close, closed);
  EXPECT_EQ(officer_close.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_OK(Call(*enquiry_, &api::Enquiry::Stub::CloseEnquiry, kManager, close, closed));

  // Keep an open door: a later concern about her links to this history as episode 2.
  api::RaiseConcernRequest later = raise;
  *later.mutable_header() = Header();
  later.mutable_details()->set_what_happened("Found on the floor by the district nurse.");
  api::RaiseConcernResponse later_raised;
  EXPECT_OK(Call(*intake_, &api::ReferralIntake::Stub::RaiseConcern, kCarer, later, later_raised));
  EXPECT_TRUE(later_raised.linked_to_existing_person());
  EXPECT_EQ(later_raised.person_id(), raised.person_id());
  EXPECT_EQ(later_raised.episode(), 2);
  EXPECT_THAT(later_raised.previous_concern_ids(), ::testing::ElementsAre(raised.concern_id()));

  // An operator reads the concern's history with hubctl, the events decoded, on the raw
  // log's address and with a reason (recorded).
  const std::string out = dir_.Sub("hubctl.out");
  auto hubctl = e2e::ChildProcess::Spawn(
      {HUBCTL_PATH, "--server=" + hubd_.admin_address(), "--agency=asc-northshire",
       "--user=operator", "--roles=administrator", "read",
       "--stream=concern-" + raised.concern_id(), "--reason=case review for the board"},
      out, dir_.Sub("hubctl.err"));
  ASSERT_TRUE(hubctl.ok());
  EXPECT_EQ((*hubctl)->WaitForExit(absl::Seconds(30)), 0);
  const std::string history = e2e::ReadFile(out);
  EXPECT_THAT(history, HasSubstr("\"concern_raised\""));
  EXPECT_THAT(history, HasSubstr("\"threshold_decision_made\""));
  EXPECT_THAT(history, HasSubstr("I want to stay in my own home."));
}

// (b) Financial abuse by a son, with suspected coercion, raised by police without consent;
// researched by health and police; a s42 enquiry with a strategy discussion and a protection
// plan. She asks for it to stop, but coercion is suspected and a crime ground was recorded:
// "ceased at her request" is refused. Outcomes end partially achieved.
TEST_F(SafeguardingE2eTest, FinancialAbuseWithCoercionRaisedByPolice) {
  api::RaiseConcernRequest raise;
  *raise.mutable_header() = Header();
  *raise.mutable_adult() = Adult("Margaret", "Ollerenshaw", 1946, cv1::GENDER_FEMALE,
                                 cv1::PRIMARY_SUPPORT_REASON_MEMORY_AND_COGNITION, "");
  cv1::Identifier* police_ref = raise.mutable_adult()->add_identifiers();
  police_ref->set_kind(cv1::IDENTIFIER_KIND_POLICE_REFERENCE);
  police_ref->set_value("NS-PPN-2026-118204");
  police_ref->set_issuer("police-northshire");
  cv1::ConcernDetails* d = raise.mutable_details();
  d->set_what_happened(
      "PPN: bank reported £14,000 withdrawn over 6 weeks; son present at every visit and "
      "answered for her; she seemed frightened to speak.");
  d->add_types_of_risk(cv1::TYPE_OF_RISK_FINANCIAL_OR_MATERIAL_ABUSE);
  d->add_types_of_risk(cv1::TYPE_OF_RISK_PSYCHOLOGICAL_ABUSE);
  d->set_location_of_risk(cv1::LOCATION_OF_RISK_OWN_HOME);
  cv1::SourceOfRiskDetails* source = d->add_sources_of_risk();
  source->set_category(cv1::SOURCE_OF_RISK_OTHER_KNOWN_TO_INDIVIDUAL);
  source->set_relationship("son");
  d->mutable_referrer()->set_name("PC 4471 Hale");
  d->mutable_referrer()->set_organisation("Northshire Police");
  d->mutable_consent()->set_adult_aware(false);
  d->mutable_consent()->set_status(cv1::CONSENT_STATUS_NOT_ASKED);
  d->mutable_consent()->set_not_asked_reason(cv1::CONSENT_NOT_ASKED_REASON_WOULD_INCREASE_RISK);
  d->mutable_consent()->add_override_grounds(cv1::OVERRIDE_GROUND_SERIOUS_CRIME);
  d->mutable_consent()->add_override_grounds(cv1::OVERRIDE_GROUND_COERCION_OR_DURESS);
  d->mutable_consent()->set_override_justification(
      "Asking in front of her son would increase the risk; suspected theft.");
  d->mutable_coercion()->set_suspected(true);
  d->mutable_coercion()->set_reasons("Son answers for her and controls her bank card.");
  d->set_external_reference("NS-PPN-2026-118204");
  *d->add_desired_outcomes() = Outcome("I want my money back.", cv1::DESIRED_OUTCOME_KIND_SOMETHING_ELSE);
  *d->add_desired_outcomes() =
      Outcome("I don't want my son in trouble.", cv1::DESIRED_OUTCOME_KIND_SOMETHING_ELSE);
  api::RaiseConcernResponse raised;
  EXPECT_OK(Call(*intake_, &api::ReferralIntake::Stub::RaiseConcern, kPolice, raise, raised));
  int64_t cv = raised.result().version();

  api::TriageConcernRequest triage;
  *triage.mutable_header() = Header(cv);
  triage.set_concern_id(raised.concern_id());
  triage.set_rating(cv1::RAG_RATING_AMBER);
  triage.set_rationale("Ongoing financial abuse");
  api::TriageConcernResponse triaged;
  EXPECT_OK(Call(*mash_, &api::Mash::Stub::TriageConcern, kTriage, triage, triaged));
  cv = triaged.result().version();
  // Re-rating needs a reason.
  *triage.mutable_header() = Header(cv);
  triage.set_rating(cv1::RAG_RATING_RED);
  grpc::Status no_reason = Call(*mash_, &api::Mash::Stub::TriageConcern, kTriage, triage, triaged);
  EXPECT_EQ(no_reason.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << no_reason.error_message();
  *triage.mutable_header() = Header(cv);
  triage.set_rerating_reason("Bank says a loan application is pending in her name today.");
  EXPECT_OK(Call(*mash_, &api::Mash::Stub::TriageConcern, kTriage, triage, triaged));
  cv = triaged.result().version();

  std::vector<std::pair<std::string, As>> partners = {{"gp-riverside", kGpResearcher},
                                                      {"police-northshire", kPoliceResearcher}};
  std::vector<std::string> request_ids;
  for (const auto& [agency, who] : partners) {
    api::RequestResearchRequest research;
    *research.mutable_header() = Header(cv);
    research.set_concern_id(raised.concern_id());
    research.set_agency_id(agency);
    research.set_questions("What do you hold on Mrs Ollerenshaw and her son?");
    api::RequestResearchResponse requested;
    EXPECT_OK(Call(*mash_, &api::Mash::Stub::RequestResearch, kTriage, research, requested));
    cv = requested.result().version();
    request_ids.push_back(requested.request_id());
  }
  for (size_t i = 0; i < partners.size(); ++i) {
    api::AnswerResearchRequest answer;
    *answer.mutable_header() = Header(cv);
    answer.set_concern_id(raised.concern_id());
    answer.set_request_id(request_ids[i]);
    answer.set_answer(i == 0 ? "Early dementia diagnosed 2025; son is named carer."
                             : "Son has two fraud convictions; intelligence on debts.");
    if (i == 1) answer.add_markings(cv1::HANDLING_MARKING_MASH_DECISION_MAKERS_ONLY);
    api::AnswerResearchResponse answered;
    EXPECT_OK(Call(*mash_, &api::Mash::Stub::AnswerResearch, partners[i].second, answer, answered));
    cv = answered.result().version();
  }

  api::RecordThresholdDecisionRequest decision;
  *decision.mutable_header() = Header(cv);
  decision.set_concern_id(raised.concern_id());
  decision.set_has_care_and_support_needs(true);
  decision.set_experiencing_or_at_risk(true);
  decision.set_unable_to_protect_self(false);
  decision.set_route(cv1::THRESHOLD_ROUTE_S42_ENQUIRY);
  decision.set_rationale("Dementia, coercive son, cannot protect her finances.");
  api::RecordThresholdDecisionResponse decided;
  // s42 needs all three criteria.
  grpc::Status two_of_three =
      Call(*mash_, &api::Mash::Stub::RecordThresholdDecision, kManager, decision, decided);
  EXPECT_EQ(two_of_three.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  *decision.mutable_header() = Header(cv);
  decision.set_unable_to_protect_self(true);
  EXPECT_OK(Call(*mash_, &api::Mash::Stub::RecordThresholdDecision, kManager, decision, decided));
  const std::string enquiry_id = decided.enquiry_id();
  int64_t ev = decided.enquiry_result().version();

  api::AssignLeadRequest lead;
  *lead.mutable_header() = Header(ev);
  lead.set_enquiry_id(enquiry_id);
  lead.set_lead_agency_id("asc-northshire");
  lead.set_officer_name("Sam Whitlock");
  api::AssignLeadResponse led;
  EXPECT_OK(Call(*enquiry_, &api::Enquiry::Stub::AssignLead, kManager, lead, led));
  ev = led.result().version();

  api::RecordStrategyDiscussionRequest strategy;
  *strategy.mutable_header() = Header(ev);
  strategy.set_enquiry_id(enquiry_id);
  *strategy.mutable_held_at() = In(absl::ZeroDuration());
  strategy.add_participants("Sam Whitlock (Adult Social Care)");
  strategy.add_participants("DC Rowe (Northshire Police)");
  strategy.add_participants("Dr Amin (Riverside Medical Practice)");
  strategy.add_decisions("Police to lead the criminal investigation; ASC leads the enquiry.");
  cv1::AgreedAction* action = strategy.add_actions();
  action->set_description("Visit bank with her, alone, to secure her account");
  action->set_owner_agency_id("asc-northshire");
  *action->mutable_due_at() = In(absl::Hours(48));
  api::RecordStrategyDiscussionResponse discussed;
  EXPECT_OK(Call(*enquiry_, &api::Enquiry::Stub::RecordStrategyDiscussion, kOfficer, strategy, discussed));
  ev = discussed.result().version();
  ASSERT_EQ(discussed.action_ids_size(), 1);

  api::CompleteActionRequest complete;
  *complete.mutable_header() = Header(ev);
  complete.set_enquiry_id(enquiry_id);
  complete.set_action_id(discussed.action_ids(0));
  complete.set_note("Account secured; new card to her only.");
  api::CompleteActionResponse completed;
  EXPECT_OK(Call(*enquiry_, &api::Enquiry::Stub::CompleteAction, kOfficer, complete, completed));
  ev = completed.result().version();

  api::RecordProtectionPlanRequest plan;
  *plan.mutable_header() = Header(ev);
  plan.set_enquiry_id(enquiry_id);
  cv1::PlanItem* item = plan.add_items();
  item->set_risk("Son's access to her money");
  item->set_action("Appointeeship via the council; bank flag on her account");
  item->set_by_whom("Sam Whitlock");
  item->set_by_agency_id("asc-northshire");
  *item->mutable_by_when() = In(absl::Hours(24 * 28));
  api::RecordProtectionPlanResponse planned;
  EXPECT_OK(Call(*enquiry_, &api::Enquiry::Stub::RecordProtectionPlan, kOfficer, plan, planned));
  ev = planned.result().version();

  // She asks for it all to stop. With coercion suspected and a serious-crime ground, MSP does
  // not mean walking away: ceasing at her request is refused.
  api::ConcludeEnquiryRequest conclude;
  *conclude.mutable_header() = Header(ev);
  conclude.set_enquiry_id(enquiry_id);
  for (cv1::TypeOfRisk type : {cv1::TYPE_OF_RISK_FINANCIAL_OR_MATERIAL_ABUSE,
                               cv1::TYPE_OF_RISK_PSYCHOLOGICAL_ABUSE}) {
    cv1::ConcludedRisk* r = conclude.add_risks();
    r->set_type(type);
    r->set_location(cv1::LOCATION_OF_RISK_OWN_HOME);
    r->set_source(cv1::SOURCE_OF_RISK_OTHER_KNOWN_TO_INDIVIDUAL);
  }
  conclude.set_action_and_result(cv1::ACTION_AND_RESULT_CEASED_AT_INDIVIDUALS_REQUEST);
  conclude.set_capacity(cv1::CAPACITY_ANSWER_DID_NOT_LACK_CAPACITY);
  conclude.set_outcomes_asked(cv1::OUTCOMES_ASKED_YES_EXPRESSED);
  for (int n = 1; n <= 2; ++n) {
    cv1::OutcomeResult* r = conclude.add_outcome_results();
    r->set_outcome_id(raised.desired_outcome_ids(n - 1));
    r->set_achievement(cv1::OUTCOME_ACHIEVEMENT_PARTIALLY);
    r->set_adults_view(n == 1 ? "Some of it came back." : "He's been interviewed. I didn't want that.");
  }
  api::ConcludeEnquiryResponse concluded;
  grpc::Status walk_away =
      Call(*enquiry_, &api::Enquiry::Stub::ConcludeEnquiry, kOfficer, conclude, concluded);
  EXPECT_EQ(walk_away.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << walk_away.error_message();
  EXPECT_THAT(walk_away.error_message(), HasSubstr("coercion"));

  // The enquiry continues and concludes: risk reduced, outcomes partially achieved.
  *conclude.mutable_header() = Header(ev);
  conclude.set_action_and_result(cv1::ACTION_AND_RESULT_RISK_IDENTIFIED_ACTION_TAKEN);
  conclude.set_risk_outcome(cv1::RISK_OUTCOME_REDUCED);
  EXPECT_OK(Call(*enquiry_, &api::Enquiry::Stub::ConcludeEnquiry, kOfficer, conclude, concluded));
  ev = concluded.result().version();

  api::CloseEnquiryRequest close;
  *close.mutable_header() = Header(ev);
  close.set_enquiry_id(enquiry_id);
  close.set_reason(cv1::CLOSURE_REASON_OUTCOMES_MET);
  close.set_adults_view("Glad the money is safe; sad about her son.");
  close.set_referrer_informed(true);
  close.set_sar_considered(true);
  api::CloseEnquiryResponse closed;
  EXPECT_OK(Call(*enquiry_, &api::Enquiry::Stub::CloseEnquiry, kManager, close, closed));
  // Nothing is recorded after closure.
  *close.mutable_header() = Header(closed.result().version());
  grpc::Status twice = Call(*enquiry_, &api::Enquiry::Stub::CloseEnquiry, kManager, close, closed);
  EXPECT_EQ(twice.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

// Bad input gets a clear status naming the field, and nothing is appended.
TEST_F(SafeguardingE2eTest, BadInputIsRefusedAndChangesNothing) {
  const int64_t head = Head();
  api::RaiseConcernRequest raise;
  *raise.mutable_header() = Header();
  api::RaiseConcernResponse raised;
  grpc::Status s = Call(*intake_, &api::ReferralIntake::Stub::RaiseConcern, kPolice, raise, raised);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();

  // Unknown enum value.
  *raise.mutable_adult() = Adult("Test", "Person", 1950, cv1::GENDER_MALE,
                                 cv1::PRIMARY_SUPPORT_REASON_PHYSICAL, "");
  raise.mutable_details()->set_what_happened("x");
  raise.mutable_details()->add_types_of_risk(static_cast<cv1::TypeOfRisk>(99));
  s = Call(*intake_, &api::ReferralIntake::Stub::RaiseConcern, kPolice, raise, raised);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("types_of_risk"));

  // Oversized text.
  raise.mutable_details()->set_types_of_risk(0, cv1::TYPE_OF_RISK_NEGLECT_AND_ACTS_OF_OMISSION);
  raise.mutable_details()->set_what_happened(std::string(100000, 'x'));
  s = Call(*intake_, &api::ReferralIntake::Stub::RaiseConcern, kPolice, raise, raised);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("what_happened"));

  // An NHS number that fails its check digit.
  raise.mutable_details()->set_what_happened("x");
  cv1::Identifier* nhs = raise.mutable_adult()->add_identifiers();
  nhs->set_kind(cv1::IDENTIFIER_KIND_NHS_NUMBER);
  nhs->set_value("9434765918");
  s = Call(*intake_, &api::ReferralIntake::Stub::RaiseConcern, kPolice, raise, raised);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("NHS number"));

  // Unknown concern id.
  api::TriageConcernRequest triage;
  *triage.mutable_header() = Header(0);
  triage.set_concern_id("00000000-0000-0000-0000-000000000000");
  triage.set_rating(cv1::RAG_RATING_RED);
  triage.set_rationale("x");
  api::TriageConcernResponse triaged;
  s = Call(*mash_, &api::Mash::Stub::TriageConcern, kTriage, triage, triaged);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("concern_id"));

  // Missing identity (a channel that adds none).
  grpc::ClientContext anonymous;
  s = api::ReferralIntake::NewStub(
          grpc::CreateChannel(hubd_.address(), grpc::InsecureChannelCredentials()))
          ->RaiseConcern(&anonymous, raise, &raised);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);

  EXPECT_EQ(Head(), head);
}

TEST_F(SafeguardingE2eTest, StaleExpectedVersionIsAbortedWithTheActualVersion) {
  api::RaiseConcernRequest raise;
  *raise.mutable_header() = Header();
  *raise.mutable_adult() = Adult("Arthur", "Penhallow", 1941, cv1::GENDER_MALE,
                                 cv1::PRIMARY_SUPPORT_REASON_PHYSICAL, "");
  cv1::ConcernDetails* d = raise.mutable_details();
  d->set_what_happened("Bruising on both arms noticed at the day centre.");
  d->add_types_of_risk(cv1::TYPE_OF_RISK_PHYSICAL_ABUSE);
  d->set_location_of_risk(cv1::LOCATION_OF_RISK_COMMUNITY_SERVICE);
  d->mutable_referrer()->set_name("Day centre manager");
  d->mutable_consent()->set_status(cv1::CONSENT_STATUS_GIVEN);
  d->mutable_consent()->set_adult_aware(true);
  api::RaiseConcernResponse raised;
  EXPECT_OK(Call(*intake_, &api::ReferralIntake::Stub::RaiseConcern, kCarer, raise, raised));
  const int64_t head = Head();

  api::TriageConcernRequest triage;
  *triage.mutable_header() = Header(raised.result().version() + 3);
  triage.set_concern_id(raised.concern_id());
  triage.set_rating(cv1::RAG_RATING_GREEN);
  triage.set_rationale("Explained by a fall, seen by GP.");
  api::TriageConcernResponse triaged;
  auto ctx = Ctx(kTriage);
  grpc::Status s = mash_->TriageConcern(ctx.get(), triage, &triaged);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED) << s.error_message();
  auto trailer = ctx->GetServerTrailingMetadata().find("hub-actual-version");
  ASSERT_NE(trailer, ctx->GetServerTrailingMetadata().end());
  EXPECT_EQ(std::string(trailer->second.data(), trailer->second.size()),
            std::to_string(raised.result().version()));
  EXPECT_EQ(Head(), head);
}

}  // namespace
}  // namespace hub
