#include "projections/case_file/case_file.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "domain/common/envelope.h"
#include "domain/common/streams.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/case_log.h"
#include "projections/engine/record_cache.h"
#include "projections/person_index/person_index.h"
#include "tests/testing/status_matchers.h"

namespace hub::projections {
namespace {

using case_log_testing::CaseLog;
using ::testing::ElementsAre;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;
using ::testing::IsEmpty;
namespace cv1 = ::hub::common::v1;
namespace ev1 = ::hub::events::v1;
namespace vv1 = ::hub::views::v1;
namespace clt = ::hub::projections::case_log_testing;

constexpr char kConcern[] = "c-1";
constexpr char kEnquiry[] = "e-1";
constexpr char kPerson[] = "p-1";

vv1::CaseFile Load(CaseLog& log, const std::string& concern_id) {
  auto file = LoadCaseFile(log.store(), concern_id);
  EXPECT_TRUE(file.ok()) << file.status();
  EXPECT_TRUE(file.ok() && file->has_value()) << "no case file for " << concern_id;
  return file.ok() && file->has_value() ? **file : vv1::CaseFile();
}

std::string EnquiryStream() { return domain::EnquiryStream(kEnquiry); }

// Raising, triage and research (police, GP and housing answer; acute health does not).
void WriteIntake(CaseLog& log) {
  clt::Register(log, clt::kPolice, kPerson,
                clt::Adult("Mary", "O'Brien", 1941, 5, 17, "NE1 4XY",
                           {clt::Id(cv1::IDENTIFIER_KIND_NHS_NUMBER, "9434765919")}));
  clt::RaiseConcern(log, clt::kPolice, {.concern_id = kConcern, .person_id = kPerson});
  clt::Triage(log, kConcern);
  clt::RequestResearch(log, kConcern, "r-police", clt::kPolice);
  clt::RequestResearch(log, kConcern, "r-gp", clt::kGp);
  clt::RequestResearch(log, kConcern, "r-housing", clt::kHousing);
  clt::RequestResearch(log, kConcern, "r-acute", clt::kAcute);
  clt::AnswerResearch(log, kConcern, "r-police", clt::kPolice, "son cautioned for theft 2019");
  clt::AnswerResearch(log, kConcern, "r-gp", clt::kGp, "early dementia diagnosed 2022");
  clt::AnswerResearch(log, kConcern, "r-housing", clt::kHousing, "", /*nothing_known=*/true);
}

// The enquiry's work up to its conclusion, without advocacy.
void WriteEnquiryWork(CaseLog& log) {
  clt::AssignLead(log, kEnquiry, clt::kCareHome, clt::kAsc.id);
  clt::Strategy(log, kEnquiry, {clt::kPolice, clt::kHousing});

  ev1::Event done = log.By(clt::kPolice);
  done.mutable_action_completed()->set_action_id("e-1-a1");
  done.mutable_action_completed()->set_note("son interviewed");
  log.Append(EnquiryStream(), done);

  ev1::Event capacity = log.By(clt::kAsc);
  ev1::CapacityAssessed* c = capacity.mutable_capacity_assessed();
  c->set_assessment_id("cap-1");
  c->set_decision("managing her pension");
  c->set_assessor("Dr Lee");
  c->set_finding(cv1::CAPACITY_FINDING_LACKS_CAPACITY);
  c->set_evidence("could not retain the information");
  log.Append(EnquiryStream(), capacity);

  ev1::Event best = log.By(clt::kAsc);
  ev1::BestInterestsDecided* b = best.mutable_best_interests_decided();
  b->set_decision_id("bi-1");
  b->set_capacity_assessment_id("cap-1");
  b->set_decision("managing her pension");
  b->add_options()->set_option("appointee");
  b->add_people_consulted("sister");
  b->set_adults_known_wishes("always paid her own way");
  b->set_chosen_option("appointee");
  b->set_rationale("least restrictive");
  log.Append(EnquiryStream(), best);

  ev1::Event risk = log.By(clt::kAsc);
  risk.mutable_risk_assessed()->set_dangers("son visits on pension day");
  risk.mutable_risk_assessed()->set_safety("sister visits");
  risk.mutable_risk_assessed()->set_strengths("she knows what she wants");
  log.Append(EnquiryStream(), risk);

  clt::Plan(log, kEnquiry, clt::kCareHome);
  ev1::Event review = log.By(clt::kAsc);
  review.mutable_protection_plan_reviewed()->set_notes("working; keep it");
  log.Append(EnquiryStream(), review);

  ev1::Event alone = log.By(clt::kAsc);
  alone.mutable_spoken_to_alone_recorded()->mutable_spoken()->set_spoken_to_alone(true);
  log.Append(EnquiryStream(), alone);

  // "Not suspected" later is a note: coercion once suspected stays a reason not to walk away.
  ev1::Event coercion = log.By(clt::kAsc);
  coercion.mutable_coercion_concern_recorded()->mutable_coercion()->set_reasons(
      "son no longer visits alone");
  log.Append(EnquiryStream(), coercion);

  ev1::Event duty = log.By(clt::kAsc, cv1::ROLE_SAFEGUARDING_MANAGER);
  duty.mutable_duty_of_care_decision_recorded()->set_decision("share with the bank");
  duty.mutable_duty_of_care_decision_recorded()->set_reasons("vital interests");
  log.Append(EnquiryStream(), duty);
}

void Fold(CaseLog& log, CaseFileProjection& projection) {
  HUB_ASSERT_OK(log.Fold(projection));
}

TEST(CaseFileProjectionTest, FoldsAWholeCaseFromRaisingToClosure) {
  CaseLog log;
  CaseFileProjection projection;
  WriteIntake(log);
  Fold(log, projection);
  vv1::CaseFile file = Load(log, kConcern);
  EXPECT_EQ(file.summary().status(), vv1::CASE_STATUS_TRIAGED);

  clt::DecideEnquiry(log, kConcern, kEnquiry, kPerson);
  WriteEnquiryWork(log);

  // Advocacy, step by step: the duty applies, an advocate is allocated, then it is met.
  ev1::Event difficulty = log.By(clt::kAsc);
  difficulty.mutable_substantial_difficulty_assessed()->set_retaining(true);
  difficulty.mutable_substantial_difficulty_assessed()->set_notes("forgets within minutes");
  log.Append(EnquiryStream(), difficulty);
  ev1::Event individual = log.By(clt::kAsc);
  ev1::AppropriateIndividualAssessed* ai = individual.mutable_appropriate_individual_assessed();
  ai->set_exists(true);
  ai->set_name("Tom O'Brien");
  ai->set_unpaid(true);
  ai->set_not_source_of_risk(false);  // the son: implicated
  ai->set_in_best_interests(true);
  log.Append(EnquiryStream(), individual);
  clt::Refer(log, kEnquiry, "ref-1");
  Fold(log, projection);
  file = Load(log, kConcern);
  EXPECT_TRUE(file.advocacy().substantial_difficulty());
  EXPECT_TRUE(file.advocacy().appropriate_individual_assessed());
  EXPECT_FALSE(file.advocacy().appropriate_individual_found());
  EXPECT_TRUE(file.advocacy().duty_applies());
  EXPECT_FALSE(file.advocacy().duty_met());

  ev1::Event accepted = log.By(clt::kAdvocacy, cv1::ROLE_ADVOCATE);
  accepted.mutable_advocacy_referral_accepted()->set_referral_id("ref-1");
  log.Append(EnquiryStream(), accepted);
  ev1::Event allocated = log.By(clt::kAdvocacy, cv1::ROLE_ADVOCATE);
  allocated.mutable_advocate_allocated()->set_referral_id("ref-1");
  allocated.mutable_advocate_allocated()->set_advocate_name("Ann Advocate");
  allocated.mutable_advocate_allocated()->set_contact("0191 000 0000");
  log.Append(EnquiryStream(), allocated);
  Fold(log, projection);
  file = Load(log, kConcern);
  // The enquiry's rule: met once the allocated advocate's views are recorded.
  EXPECT_TRUE(file.advocacy().duty_applies());
  EXPECT_FALSE(file.advocacy().duty_met());
  ASSERT_EQ(file.advocacy().referrals_size(), 1);
  EXPECT_EQ(file.advocacy().referrals(0).advocate_name(), "Ann Advocate");

  ev1::Event views = log.By(clt::kAdvocacy, cv1::ROLE_ADVOCATE);
  views.mutable_advocate_views_recorded()->set_referral_id("ref-1");
  views.mutable_advocate_views_recorded()->set_views("she wants the money kept safe");
  log.Append(EnquiryStream(), views);
  clt::Conclude(log, kEnquiry);
  const int64_t last = clt::Close(log, kEnquiry);
  Fold(log, projection);
  file = Load(log, kConcern);

  EXPECT_EQ(file.concern_id(), kConcern);
  EXPECT_EQ(file.enquiry_id(), kEnquiry);
  EXPECT_EQ(file.person_id(), kPerson);
  EXPECT_EQ(file.last_position(), last);
  EXPECT_TRUE(file.consent_to_share());

  const vv1::ConcernSummary& s = file.summary();
  EXPECT_EQ(s.status(), vv1::CASE_STATUS_ENQUIRY_CLOSED);
  EXPECT_EQ(s.concern_id(), kConcern);
  EXPECT_EQ(s.enquiry_id(), kEnquiry);
  EXPECT_EQ(s.episode(), 1);
  EXPECT_THAT(s.types_of_risk(), ElementsAre(cv1::TYPE_OF_RISK_FINANCIAL_OR_MATERIAL_ABUSE));
  EXPECT_EQ(s.location_of_risk(), cv1::LOCATION_OF_RISK_OWN_HOME);
  EXPECT_THAT(s.themes(), ElementsAre("cuckooing"));
  EXPECT_TRUE(s.has_raised_at());
  EXPECT_TRUE(s.has_incident_started_at());
  EXPECT_TRUE(s.ongoing());
  EXPECT_TRUE(s.immediate_risk());
  EXPECT_EQ(s.rating(), cv1::RAG_RATING_AMBER);
  EXPECT_GT(s.decision_due_at().seconds(), s.raised_at().seconds());
  EXPECT_EQ(s.route(), cv1::THRESHOLD_ROUTE_S42_ENQUIRY);
  EXPECT_EQ(s.enquiry_type(), cv1::ENQUIRY_TYPE_SECTION_42);
  EXPECT_GT(s.enquiry_opened_at().seconds(), s.raised_at().seconds());
  EXPECT_GT(s.concluded_at().seconds(), s.enquiry_opened_at().seconds());
  EXPECT_GT(s.closed_at().seconds(), s.concluded_at().seconds());
  EXPECT_EQ(s.local_authority_code(), "E06000999");
  EXPECT_EQ(s.external_reference(), "PPN-c-1");

  const vv1::CaseParties& p = file.parties();
  EXPECT_EQ(p.raised_by_agency_id(), clt::kPolice.id);
  EXPECT_EQ(p.mash_agency_id(), clt::kAsc.id);
  EXPECT_EQ(p.lead_agency_id(), clt::kCareHome.id);
  EXPECT_EQ(p.responsible_agency_id(), clt::kAsc.id);
  EXPECT_THAT(p.research_agency_ids(),
              ElementsAre(clt::kGp.id, clt::kHousing.id, clt::kPolice.id, clt::kAcute.id));
  EXPECT_THAT(p.involved_agency_ids(), ElementsAre(clt::kHousing.id, clt::kCareHome.id,
                                                   clt::kPolice.id, clt::kAdvocacy.id));

  const vv1::ContactRoutes& c = file.contact();
  EXPECT_EQ(c.lead_agency_id(), clt::kCareHome.id);
  EXPECT_EQ(c.officer_name(), "Sam Patel");
  EXPECT_EQ(c.responsible_agency_id(), clt::kAsc.id);
  EXPECT_EQ(c.raised_by_agency_id(), clt::kPolice.id);

  const vv1::Narrative& n = file.narrative();
  EXPECT_EQ(n.what_happened(), "Son takes her pension every week and she has no food");
  EXPECT_EQ(n.location_details(), "ground-floor flat");
  EXPECT_EQ(n.immediate_risk_details(), "no food in the flat");
  EXPECT_EQ(n.immediate_actions_taken(), "food parcel delivered");
  EXPECT_EQ(n.referrer().name(), "PC Jones");
  ASSERT_EQ(n.sources_of_risk_size(), 1);
  EXPECT_EQ(n.sources_of_risk(0).relationship(), "son");
  ASSERT_EQ(n.triage_size(), 1);
  EXPECT_EQ(n.triage(0).rating(), cv1::RAG_RATING_AMBER);
  EXPECT_EQ(n.triage(0).by_agency_id(), clt::kAsc.id);
  EXPECT_TRUE(n.triage(0).has_at());
  EXPECT_EQ(n.threshold_rationale(), "all three s42(1) conditions met");
  EXPECT_THAT(n.referrer_feedback(), ElementsAre("Thank you; the MASH has decided"));
  EXPECT_EQ(n.lead_scope(), "the care home's records");
  ASSERT_EQ(n.discussions_size(), 1);
  EXPECT_EQ(n.discussions(0).participants_size(), 2);
  EXPECT_THAT(n.discussions(0).decisions(), ElementsAre("bank to be contacted"));
  ASSERT_EQ(n.actions_size(), 2);
  EXPECT_EQ(n.actions(0).action().owner_agency_id(), clt::kPolice.id);
  EXPECT_TRUE(n.actions(0).completed());
  EXPECT_TRUE(n.actions(0).has_completed_at());
  EXPECT_EQ(n.actions(0).completion_note(), "son interviewed");
  EXPECT_FALSE(n.actions(1).completed());
  EXPECT_EQ(n.conclusion_summary(), "pension protected; son warned by police");
  EXPECT_EQ(n.closure_reason(), cv1::CLOSURE_REASON_OUTCOMES_MET);
  EXPECT_EQ(n.closure_notes(), "closed after review");

  // Research: police to police, GP to health, housing to research; every request listed
  // without its answer.
  ASSERT_EQ(file.police().answers_size(), 1);
  EXPECT_EQ(file.police().answers(0).answer(), "son cautioned for theft 2019");
  EXPECT_EQ(file.police().answers(0).agency_kind(), cv1::AGENCY_KIND_POLICE);
  EXPECT_THAT(file.police().answers(0).markings(),
              ElementsAre(cv1::HANDLING_MARKING_NOT_TO_ADULT_OR_FAMILY));
  EXPECT_EQ(file.police().answers(0).questions(), "What does police-north know?");
  EXPECT_TRUE(file.police().answers(0).has_answered_at());
  ASSERT_EQ(file.health().answers_size(), 1);
  EXPECT_EQ(file.health().answers(0).agency_id(), clt::kGp.id);
  EXPECT_EQ(file.health().answers(0).answer(), "early dementia diagnosed 2022");
  ASSERT_EQ(file.research().answers_size(), 1);
  EXPECT_EQ(file.research().answers(0).agency_id(), clt::kHousing.id);
  EXPECT_TRUE(file.research().answers(0).nothing_known());
  ASSERT_EQ(file.research().requests_size(), 4);
  for (const vv1::ResearchItem& request : file.research().requests()) {
    EXPECT_TRUE(request.answer().empty()) << request.request_id();
    EXPECT_EQ(request.markings_size(), 0) << request.request_id();
    EXPECT_FALSE(request.questions().empty());
    EXPECT_TRUE(request.has_due_at());
    EXPECT_EQ(request.answered(), request.request_id() != "r-acute") << request.request_id();
  }

  const vv1::CapacityInfo& cap = file.capacity();
  ASSERT_EQ(cap.assessments_size(), 1);
  EXPECT_EQ(cap.assessments(0).finding(), cv1::CAPACITY_FINDING_LACKS_CAPACITY);
  EXPECT_EQ(cap.assessments(0).decision(), "managing her pension");
  ASSERT_EQ(cap.best_interests_size(), 1);
  EXPECT_EQ(cap.best_interests(0).chosen_option(), "appointee");
  EXPECT_EQ(cap.concluded_capacity(), cv1::CAPACITY_ANSWER_LACKED_CAPACITY);
  EXPECT_TRUE(cap.supported_by_advocate_family_or_friend());

  const vv1::VoiceAndOutcomes& v = file.voice();
  EXPECT_EQ(v.consent().status(), cv1::CONSENT_STATUS_GIVEN);
  EXPECT_TRUE(v.consent_to_share());
  EXPECT_EQ(v.adults_views(), "He is my son, I don't want him in trouble");
  ASSERT_EQ(v.desired_outcomes_size(), 1);
  EXPECT_EQ(v.desired_outcomes(0).outcome_id(), "c-1-o1");
  EXPECT_TRUE(v.spoken_to_alone().spoken_to_alone());
  EXPECT_THAT(v.views_at_discussions(), ElementsAre("I just want it to stop"));
  EXPECT_EQ(v.outcomes_asked(), cv1::OUTCOMES_ASKED_YES_EXPRESSED);
  ASSERT_EQ(v.outcome_results_size(), 1);
  EXPECT_EQ(v.outcome_results(0).achievement(), cv1::OUTCOME_ACHIEVEMENT_PARTIALLY);
  EXPECT_EQ(v.experience().feel_safe(), cv1::EXPERIENCE_ANSWER_YES);
  EXPECT_EQ(v.adults_view_at_closure(), "I feel safer now");

  const vv1::RiskAndPlan& r = file.risk();
  EXPECT_TRUE(r.others_at_risk().adults_at_risk());
  EXPECT_TRUE(r.coercion().suspected());
  EXPECT_EQ(r.coercion().reasons(), "son no longer visits alone");
  ASSERT_EQ(r.risk_assessments_size(), 1);
  EXPECT_EQ(r.risk_assessments(0).dangers(), "son visits on pension day");
  ASSERT_EQ(r.plan_items_size(), 1);
  EXPECT_EQ(r.plan_items(0).by_agency_id(), clt::kCareHome.id);
  EXPECT_TRUE(r.has_plan_next_review_at());
  EXPECT_TRUE(r.plan_agreed_with_adult());
  EXPECT_THAT(r.plan_reviews(), ElementsAre("working; keep it"));
  EXPECT_THAT(r.duty_of_care_decisions(), ElementsAre("share with the bank: vital interests"));
  ASSERT_EQ(r.concluded_risks_size(), 1);
  EXPECT_EQ(r.action_and_result(), cv1::ACTION_AND_RESULT_RISK_IDENTIFIED_ACTION_TAKEN);
  EXPECT_EQ(r.risk_outcome(), cv1::RISK_OUTCOME_REDUCED);

  const vv1::AdvocacyInfo& a = file.advocacy();
  EXPECT_TRUE(a.substantial_difficulty_assessed());
  EXPECT_EQ(a.substantial_difficulty_notes(), "forgets within minutes");
  EXPECT_EQ(a.appropriate_individual_name(), "Tom O'Brien");
  EXPECT_TRUE(a.duty_applies());
  EXPECT_TRUE(a.duty_met());
  ASSERT_EQ(a.referrals_size(), 1);
  EXPECT_EQ(a.referrals(0).provider_agency_id(), clt::kAdvocacy.id);
  EXPECT_TRUE(a.referrals(0).accepted());
  EXPECT_EQ(a.referrals(0).advocate_contact(), "0191 000 0000");
  EXPECT_THAT(a.referrals(0).views(), ElementsAre("she wants the money kept safe"));

  auto concern = ConcernForEnquiry(log.store(), kEnquiry);
  ASSERT_TRUE(concern.ok()) << concern.status();
  EXPECT_EQ(*concern, std::optional<std::string>(kConcern));
}

// The duty follows the s68 facts in both directions, as the enquiry computes it.
TEST(CaseFileProjectionTest, AdvocacyDutyFollowsTheRecordedFacts) {
  CaseLog log;
  CaseFileProjection projection;
  clt::RaiseConcern(log, clt::kPolice, {.concern_id = kConcern, .person_id = kPerson});
  clt::DecideEnquiry(log, kConcern, kEnquiry, kPerson);
  Fold(log, projection);
  // Nothing assessed: no duty (and so nothing unmet).
  EXPECT_FALSE(Load(log, kConcern).advocacy().duty_applies());
  EXPECT_TRUE(Load(log, kConcern).advocacy().duty_met());

  struct Step {
    const char* what;
    std::function<void(ev1::Event&)> payload;
    bool applies;
    bool met;
  };
  const std::vector<Step> steps = {
      {"difficulty", [](ev1::Event& e) {
         e.mutable_substantial_difficulty_assessed()->set_communicating(true);
       }, true, false},
      {"a suitable appropriate individual", [](ev1::Event& e) {
         auto* ai = e.mutable_appropriate_individual_assessed();
         ai->set_exists(true);
         ai->set_name("Jo");
         ai->set_unpaid(true);
         ai->set_not_source_of_risk(true);
         ai->set_adult_consents(true);
       }, false, true},
      {"an exception", [](ev1::Event& e) {
         e.mutable_advocacy_exceptions_recorded()->set_hospital_28_days_or_more(true);
       }, true, false},
      {"no difficulty after all", [](ev1::Event& e) {
         e.mutable_substantial_difficulty_assessed()->set_notes("reassessed");
       }, false, true},
  };
  for (const Step& step : steps) {
    ev1::Event event = log.By(clt::kAsc);
    step.payload(event);
    log.Append(EnquiryStream(), event);
    Fold(log, projection);
    const vv1::AdvocacyInfo a = Load(log, kConcern).advocacy();
    EXPECT_EQ(a.duty_applies(), step.applies) << step.what;
    EXPECT_EQ(a.duty_met(), step.met) << step.what;
  }
  EXPECT_TRUE(Load(log, kConcern).advocacy().appropriate_individual_found());
  EXPECT_TRUE(Load(log, kConcern).advocacy().exception_applies());
}

TEST(CaseFileProjectionTest, DesiredOutcomesAsTheyNowStand) {
  CaseLog log;
  CaseFileProjection projection;
  clt::RaiseConcern(log, clt::kPolice, {.concern_id = kConcern, .person_id = kPerson});
  clt::DecideEnquiry(log, kConcern, kEnquiry, kPerson);
  ev1::Event added = log.By(clt::kAsc);
  cv1::DesiredOutcome* o = added.mutable_desired_outcomes_revised()->add_added();
  o->set_outcome_id("c-1-o2");
  o->set_text("I want to see my grandson");
  o = added.mutable_desired_outcomes_revised()->add_added();
  o->set_outcome_id("c-1-o3");
  o->set_text("I want him prosecuted");
  log.Append(EnquiryStream(), added);
  ev1::Event revised = log.By(clt::kAsc);
  o = revised.mutable_desired_outcomes_revised()->add_changed();
  o->set_outcome_id("c-1-o1");
  o->set_text("I want the bank to stop him");
  revised.mutable_desired_outcomes_revised()->add_withdrawn_outcome_ids("c-1-o3");
  revised.mutable_desired_outcomes_revised()->set_reason("she changed her mind");
  log.Append(EnquiryStream(), revised);
  Fold(log, projection);

  const vv1::VoiceAndOutcomes v = Load(log, kConcern).voice();
  ASSERT_EQ(v.desired_outcomes_size(), 2);
  EXPECT_EQ(v.desired_outcomes(0).outcome_id(), "c-1-o1");
  EXPECT_EQ(v.desired_outcomes(0).text(), "I want the bank to stop him");
  EXPECT_EQ(v.desired_outcomes(1).outcome_id(), "c-1-o2");
  EXPECT_THAT(v.withdrawn_outcome_ids(), ElementsAre("c-1-o3"));
}

TEST(CaseFileProjectionTest, SharingConsentRecordedReplacesTheConsentState) {
  CaseLog log;
  CaseFileProjection projection;
  clt::RaiseConcern(log, clt::kPolice, {.concern_id = kConcern, .person_id = kPerson});
  Fold(log, projection);
  EXPECT_TRUE(Load(log, kConcern).consent_to_share());

  ev1::Event withdrawn = log.By(clt::kAsc);
  withdrawn.mutable_sharing_consent_recorded()->set_consent_given(false);
  withdrawn.mutable_sharing_consent_recorded()->set_adults_words("I don't want the GP told");
  log.Append(domain::ConcernStream(kConcern), withdrawn);
  Fold(log, projection);
  vv1::CaseFile file = Load(log, kConcern);
  EXPECT_FALSE(file.consent_to_share());
  EXPECT_THAT(file.override_grounds(), IsEmpty());
  EXPECT_FALSE(file.voice().consent_to_share());
  // The consent given at raising stays as recorded then.
  EXPECT_EQ(file.voice().consent().status(), cv1::CONSENT_STATUS_GIVEN);

  ev1::Event overridden = log.By(clt::kAsc);
  overridden.mutable_sharing_consent_recorded()->set_consent_given(false);
  overridden.mutable_sharing_consent_recorded()->add_override_grounds(
      cv1::OVERRIDE_GROUND_RISK_TO_OTHERS);
  overridden.mutable_sharing_consent_recorded()->set_justification("sister at risk too");
  log.Append(domain::ConcernStream(kConcern), overridden);
  Fold(log, projection);
  file = Load(log, kConcern);
  EXPECT_FALSE(file.consent_to_share());
  EXPECT_THAT(file.override_grounds(), ElementsAre(cv1::OVERRIDE_GROUND_RISK_TO_OTHERS));
  EXPECT_THAT(file.voice().sharing_override_grounds(),
              ElementsAre(cv1::OVERRIDE_GROUND_RISK_TO_OTHERS));
}

TEST(CaseFileProjectionTest, RaisedWithoutConsentRecordsTheOverrideGrounds) {
  CaseLog log;
  CaseFileProjection projection;
  clt::RaiseConcern(log, clt::kPolice,
                    {.concern_id = kConcern,
                     .person_id = kPerson,
                     .consent = cv1::CONSENT_STATUS_DECLINED,
                     .override_grounds = {cv1::OVERRIDE_GROUND_SERIOUS_CRIME}});
  Fold(log, projection);
  const vv1::CaseFile file = Load(log, kConcern);
  EXPECT_FALSE(file.consent_to_share());
  EXPECT_THAT(file.override_grounds(), ElementsAre(cv1::OVERRIDE_GROUND_SERIOUS_CRIME));
  EXPECT_THAT(file.risk().override_grounds(), ElementsAre(cv1::OVERRIDE_GROUND_SERIOUS_CRIME));
  EXPECT_EQ(file.voice().consent().status(), cv1::CONSENT_STATUS_DECLINED);
}

// The opening may be folded before the decision that caused it, even in an earlier batch.
TEST(CaseFileProjectionTest, EnquiryEventsBeforeTheDecisionStillReachTheCase) {
  for (int batch_size : {1, 1000}) {
    CaseLog log;
    CaseFileProjection projection;
    clt::RaiseConcern(log, clt::kPolice, {.concern_id = kConcern, .person_id = kPerson});
    clt::Triage(log, kConcern);
    log.Append(EnquiryStream(), clt::Opened(log, kEnquiry, kConcern, kPerson));
    clt::AssignLead(log, kEnquiry, clt::kAsc);
    HUB_ASSERT_OK(log.Fold(projection, batch_size));
    const int64_t last = log.Append(domain::ConcernStream(kConcern), clt::Decision(log, kEnquiry));
    HUB_ASSERT_OK(log.Fold(projection, batch_size));

    const vv1::CaseFile file = Load(log, kConcern);
    EXPECT_EQ(file.enquiry_id(), kEnquiry) << batch_size;
    EXPECT_EQ(file.summary().status(), vv1::CASE_STATUS_ENQUIRY_OPEN) << batch_size;
    EXPECT_EQ(file.summary().route(), cv1::THRESHOLD_ROUTE_S42_ENQUIRY) << batch_size;
    EXPECT_EQ(file.parties().lead_agency_id(), clt::kAsc.id) << batch_size;
    EXPECT_EQ(file.contact().officer_name(), "Sam Patel") << batch_size;
    EXPECT_EQ(file.last_position(), last) << batch_size;
    EXPECT_EQ(*ConcernForEnquiry(log.store(), kEnquiry), std::optional<std::string>(kConcern));
  }
}

TEST(CaseFileProjectionTest, DecisionWithoutEnquiryAndUnknownIds) {
  CaseLog log;
  CaseFileProjection projection;
  clt::RaiseConcern(log, clt::kPolice, {.concern_id = kConcern, .person_id = kPerson});
  clt::Triage(log, kConcern);
  log.Append(domain::ConcernStream(kConcern), clt::Decision(log, ""));
  // An enquiry event whose opening the log never held has no case to go to.
  clt::AssignLead(log, "e-unopened", clt::kAsc);
  Fold(log, projection);

  const vv1::CaseFile file = Load(log, kConcern);
  EXPECT_EQ(file.summary().status(), vv1::CASE_STATUS_DECIDED_NO_ENQUIRY);
  EXPECT_EQ(file.summary().route(), cv1::THRESHOLD_ROUTE_ADVICE_SIGNPOSTING);
  EXPECT_TRUE(file.enquiry_id().empty());
  EXPECT_TRUE(file.parties().lead_agency_id().empty());
  auto none = LoadCaseFile(log.store(), "c-unknown");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto no_enquiry = ConcernForEnquiry(log.store(), "e-unopened");
  ASSERT_TRUE(no_enquiry.ok());
  EXPECT_FALSE(no_enquiry->has_value());
}

ev1::Event Restricted(CaseLog& log, const clt::Agency& owner) {
  ev1::Event event = log.By(owner, cv1::ROLE_SAFEGUARDING_MANAGER);
  event.mutable_case_restricted()->set_reason_kind(cv1::RESTRICTION_REASON_MEMBER_OF_STAFF);
  event.mutable_case_restricted()->set_reason("She works in our MASH.");
  event.mutable_case_restricted()->set_owner_agency_id(owner.id);
  return event;
}

// Appends a break-glass grant to `concern` for `agency`'s user, lasting `hours` from now.
int64_t Grant(CaseLog& log, const std::string& concern, const clt::Agency& agency,
              const std::string& grant_id, int hours) {
  ev1::Event event = log.By(agency, cv1::ROLE_REFERRER);
  ev1::EmergencyAccessGranted* g = event.mutable_emergency_access_granted();
  g->set_grant_id(grant_id);
  g->set_concern_id(concern);
  g->set_person_id(kPerson);
  g->set_agency_id(agency.id);
  g->set_user_id(event.actor().user_id());
  g->set_reason("Collapsed in A&E, need history of the risk now.");
  *g->mutable_granted_at() = event.occurred_at();
  *g->mutable_expires_at() = domain::ToTimestamp(log.now() + absl::Hours(hours));
  g->set_lead_agency_id(clt::kAsc.id);
  return log.Append(absl::StrCat("emergency-access-", concern), event);
}

TEST(CaseFileProjectionTest, RestrictionAndEmergencyGrantsAreFoldedForTheViews) {
  CaseLog log;
  CaseFileProjection projection;
  clt::RaiseConcern(log, clt::kPolice, {.concern_id = kConcern, .person_id = kPerson});
  log.Append(domain::ConcernStream(kConcern), Restricted(log, clt::kPolice));
  const int64_t first = Grant(log, kConcern, clt::kAcute, "g-1", 1);
  const absl::Time first_granted = log.now();
  Grant(log, kConcern, clt::kAcute, "g-2", 3);
  Grant(log, kConcern, clt::kHousing, "g-3", 3);
  Fold(log, projection);

  vv1::CaseFile file = Load(log, kConcern);
  EXPECT_TRUE(file.access().restricted());
  EXPECT_EQ(file.access().restricted_by_agency_id(), clt::kPolice.id);
  EXPECT_EQ(file.access().restriction_reason_kind(), cv1::RESTRICTION_REASON_MEMBER_OF_STAFF);
  EXPECT_EQ(file.access().restriction_reason(), "She works in our MASH.");
  ASSERT_EQ(file.access().grants_size(), 3);
  EXPECT_EQ(file.access().grants(0).grant_id(), "g-1");
  EXPECT_EQ(file.access().grants(0).position(), first);
  EXPECT_EQ(file.access().grants(0).user_id(), "u-trust-acute");
  // The case itself is untouched by a grant: the views decide with it.
  EXPECT_EQ(file.summary().status(), vv1::CASE_STATUS_AWAITING_TRIAGE);

  // Judged at read time, per practitioner: the live grant lasting longest, else the last expired.
  EmergencyGrants grants = FindEmergencyGrants(file, clt::kAcute.id, "u-trust-acute", log.now());
  ASSERT_NE(grants.active, nullptr);
  EXPECT_EQ(grants.active->grant_id(), "g-2");
  grants = FindEmergencyGrants(file, clt::kAcute.id, "u-trust-acute",
                               first_granted + absl::Hours(2));
  ASSERT_NE(grants.active, nullptr);
  EXPECT_EQ(grants.active->grant_id(), "g-2");
  grants = FindEmergencyGrants(file, clt::kAcute.id, "u-trust-acute", log.now() + absl::Hours(4));
  EXPECT_EQ(grants.active, nullptr);
  ASSERT_NE(grants.expired, nullptr);
  EXPECT_EQ(grants.expired->grant_id(), "g-2");
  // Another user of the same agency holds nothing.
  grants = FindEmergencyGrants(file, clt::kAcute.id, "someone-else", log.now());
  EXPECT_EQ(grants.active, nullptr);
  EXPECT_EQ(grants.expired, nullptr);
  EXPECT_EQ(FindEmergencyGrants(file, clt::kAcute.id, "", log.now()).active, nullptr);

  ev1::Event lifted = log.By(clt::kPolice, cv1::ROLE_SAFEGUARDING_MANAGER);
  lifted.mutable_case_restriction_lifted()->set_reason("Investigation closed.");
  lifted.mutable_case_restriction_lifted()->set_owner_agency_id(clt::kPolice.id);
  log.Append(domain::ConcernStream(kConcern), lifted);
  Fold(log, projection);
  file = Load(log, kConcern);
  EXPECT_FALSE(file.access().restricted());
  EXPECT_TRUE(file.access().restricted_by_agency_id().empty());
  EXPECT_EQ(file.access().grants_size(), 3);
}

// A log of several people and cases, interleaved, with every kind of event the two
// projections fold.
void WriteMixedLog(CaseLog& log) {
  WriteIntake(log);
  clt::Register(log, clt::kAsc, "p-2",
                clt::Adult("Ken", "Smith", 1950, 1, 2, "NE2 1AA",
                           {clt::Id(cv1::IDENTIFIER_KIND_POLICE_REFERENCE, "PR/77")}));
  clt::RaiseConcern(log, clt::kGp, {.concern_id = "c-2", .person_id = "p-2"});
  clt::DecideEnquiry(log, kConcern, kEnquiry, kPerson);
  clt::Triage(log, "c-2", cv1::RAG_RATING_RED);
  WriteEnquiryWork(log);
  log.Append(domain::ConcernStream("c-2"), clt::Decision(log, ""));
  clt::RaiseConcern(log, clt::kHousing,
                    {.concern_id = "c-3", .person_id = kPerson, .episode = 2, .previous = {kConcern}});
  clt::Refer(log, kEnquiry, "ref-1");
  ev1::Event corrected = log.By(clt::kAsc);
  corrected.mutable_person_details_corrected()->set_person_id("p-2");
  *corrected.mutable_person_details_corrected()->mutable_details() =
      clt::Adult("Kenneth", "Smith", 1950, 1, 2, "NE2 1AA");
  log.Append(domain::PersonStream("p-2"), corrected);
  log.Append(domain::ConcernStream("c-2"), Restricted(log, clt::kGp));
  Grant(log, "c-3", clt::kAcute, "g-1", 3);
  clt::Conclude(log, kEnquiry);
  Grant(log, kConcern, clt::kHousing, "g-2", 3);
  clt::Close(log, kEnquiry);
}

struct Digests {
  std::string cases;
  std::string persons;
};

// Folds the whole log with both projections into a fresh store named `name`.
Digests FoldBoth(CaseLog& log, const std::string& name, int batch_size, CacheLimits limits) {
  auto store = log.OpenStore(name);
  EXPECT_NE(store, nullptr);
  if (store == nullptr) return {};
  CaseFileProjection cases(limits);
  PersonIndexProjection persons(limits);
  EXPECT_TRUE(log.Fold(cases, batch_size, store.get()).ok());
  EXPECT_TRUE(log.Fold(persons, batch_size, store.get()).ok());
  auto case_digest = Digest(*store, kCaseFileName);
  auto person_digest = Digest(*store, kPersonIndexName);
  EXPECT_TRUE(case_digest.ok() && person_digest.ok());
  // Not vacuous: the read models hold the cases and people.
  auto file = LoadCaseFile(*store, "c-3");
  EXPECT_TRUE(file.ok() && file->has_value());
  auto person = LoadPerson(*store, kPerson);
  EXPECT_TRUE(person.ok() && person->has_value() && (*person)->cases_size() == 2);
  if (!case_digest.ok() || !person_digest.ok()) return {};
  return {*case_digest, *person_digest};
}

// Neither where batches end nor what the projections keep cached changes a byte: a cache of
// one record evicts on every batch, so records are parsed back from the store.
TEST(CaseFileProjectionTest, ReadModelsDoNotDependOnBatchBoundariesOrTheCache) {
  CaseLog log;
  WriteMixedLog(log);
  const Digests expected = FoldBoth(log, "kv-reference", 1, CacheLimits{});
  ASSERT_FALSE(expected.cases.empty());
  EXPECT_NE(expected.cases, expected.persons);
  const struct {
    int batch_size;
    CacheLimits limits;
  } cases[] = {
      {7, CacheLimits{}},
      {1000, CacheLimits{}},
      {1, CacheLimits{.records = 1, .bytes = 1}},
      {7, CacheLimits{.records = 1, .bytes = 1}},
      {1000, CacheLimits{.records = 1, .bytes = 1}},
      {7, CacheLimits{.records = 3, .bytes = 1 << 20}},
      {7, CacheLimits{.records = 1000, .bytes = 600}},
  };
  for (const auto& c : cases) {
    const std::string name =
        absl::StrCat("kv-", c.batch_size, "-", c.limits.records, "-", c.limits.bytes);
    const Digests got = FoldBoth(log, name, c.batch_size, c.limits);
    EXPECT_EQ(got.cases, expected.cases) << name;
    EXPECT_EQ(got.persons, expected.persons) << name;
  }
}

// A read-model store whose `fail_at`th write fails (counting from 1).
class FailingStore final : public eventstore::KvStore {
 public:
  FailingStore(eventstore::KvStore& store, int fail_at) : store_(store), fail_at_(fail_at) {}
  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) override {
    return store_.Get(key);
  }
  absl::Status Write(const eventstore::KvBatch& batch) override {
    if (++writes_ == fail_at_) return absl::UnavailableError("disk full");
    return store_.Write(batch);
  }
  absl::Status Scan(std::string_view begin, std::string_view end,
                    const eventstore::KvVisitor& visit) override {
    return store_.Scan(begin, end, visit);
  }
  absl::Status ScanBackward(std::string_view begin, std::string_view end,
                            const eventstore::KvVisitor& visit) override {
    return store_.ScanBackward(begin, end, visit);
  }

 private:
  eventstore::KvStore& store_;
  const int fail_at_;
  int writes_ = 0;
};

// A batch whose write failed is folded again from the checkpoint: what the projections cached
// while folding it must not leak into the retry (CatchUp does not call Reset; the engine does).
TEST(CaseFileProjectionTest, AFailedWriteIsFoldedAgainFromTheStore) {
  CaseLog log;
  WriteMixedLog(log);
  const Digests expected = FoldBoth(log, "kv-reference", 7, CacheLimits{});
  ASSERT_FALSE(expected.cases.empty());
  for (int fail_at : {1, 2, 4}) {
    auto store = log.OpenStore(absl::StrCat("kv-fail-", fail_at));
    ASSERT_NE(store, nullptr);
    FailingStore case_store(*store, fail_at);
    FailingStore person_store(*store, fail_at);
    CaseFileProjection cases;
    PersonIndexProjection persons;
    EXPECT_FALSE(log.Fold(cases, 7, &case_store).ok());
    HUB_ASSERT_OK(log.Fold(cases, 7, &case_store));
    EXPECT_FALSE(log.Fold(persons, 7, &person_store).ok());
    HUB_ASSERT_OK(log.Fold(persons, 7, &person_store));
    EXPECT_EQ(*Digest(*store, kCaseFileName), expected.cases) << fail_at;
    EXPECT_EQ(*Digest(*store, kPersonIndexName), expected.persons) << fail_at;
  }
}

// ---- RecordCache ----

using Written = std::vector<std::pair<std::string, std::string>>;

// Flushes `cache`, each value's stored size being `size` (its length when 0); what was written.
Written FlushAll(RecordCache<std::string>& cache, size_t size = 0) {
  Written written;
  cache.Flush([&](const std::string& key, const std::string& value) {
    written.emplace_back(key, value);
    return size != 0 ? size : value.size();
  });
  return written;
}

TEST(RecordCacheTest, FlushWritesWhatChangedOnceAndMarksItClean) {
  RecordCache<std::string> cache(CacheLimits{});
  cache.Insert("a", "1", 1, /*dirty=*/false);  // as read from the store
  cache.Insert("b", "2", 0, /*dirty=*/true);   // new
  *cache.Find("a", /*dirty=*/true) = "1b";
  cache.Find("a", /*dirty=*/true);  // twice in one batch, written once
  EXPECT_THAT(FlushAll(cache), UnorderedElementsAre(Pair("a", "1b"), Pair("b", "2")));
  EXPECT_THAT(FlushAll(cache), IsEmpty());
  ASSERT_NE(cache.Find("b", /*dirty=*/false), nullptr);
  EXPECT_EQ(*cache.Find("b", /*dirty=*/false), "2");
  EXPECT_THAT(FlushAll(cache), IsEmpty());  // read only: nothing to write
  EXPECT_EQ(cache.Find("c", /*dirty=*/true), nullptr);
}

TEST(RecordCacheTest, EvictsTheLeastRecentlyUsedBeyondTheRecordLimit) {
  RecordCache<std::string> cache(CacheLimits{.records = 2, .bytes = 1 << 20});
  cache.Insert("a", "1", 0, /*dirty=*/true);
  cache.Insert("b", "2", 0, /*dirty=*/true);
  cache.Insert("c", "3", 0, /*dirty=*/true);
  // Over the limit, but nothing is evicted before it is written.
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_THAT(FlushAll(cache), UnorderedElementsAre(Pair("a", "1"), Pair("b", "2"), Pair("c", "3")));
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.Find("a", /*dirty=*/false), nullptr);
  ASSERT_NE(cache.Find("b", /*dirty=*/false), nullptr);  // b is now used after c
  cache.Insert("d", "4", 1, /*dirty=*/false);
  EXPECT_THAT(FlushAll(cache), IsEmpty());
  EXPECT_EQ(cache.Find("c", /*dirty=*/false), nullptr);
  EXPECT_NE(cache.Find("b", /*dirty=*/false), nullptr);
  EXPECT_NE(cache.Find("d", /*dirty=*/false), nullptr);
}

TEST(RecordCacheTest, EvictsBeyondTheByteLimitBySizeAsLastWritten) {
  RecordCache<std::string> cache(CacheLimits{.records = 100, .bytes = 10});
  cache.Insert("a", "1", 0, /*dirty=*/true);
  cache.Insert("b", "2", 0, /*dirty=*/true);
  FlushAll(cache, /*size=*/4);
  EXPECT_EQ(cache.size(), 2u);  // 8 bytes
  *cache.Find("a", /*dirty=*/true) = "1b";
  FlushAll(cache, /*size=*/7);  // a grows: 11 bytes, b goes
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_NE(cache.Find("a", /*dirty=*/false), nullptr);
  EXPECT_EQ(cache.Find("b", /*dirty=*/false), nullptr);
}

TEST(RecordCacheTest, ClearForgetsUnwrittenChanges) {
  RecordCache<std::string> cache(CacheLimits{});
  cache.Insert("a", "1", 0, /*dirty=*/true);
  cache.Clear();
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.Find("a", /*dirty=*/false), nullptr);
  EXPECT_THAT(FlushAll(cache), IsEmpty());
}

TEST(RecordCacheTest, SerializeRecordMatchesSerializeDeterministic) {
  CaseLog log;
  WriteMixedLog(log);
  CaseFileProjection projection;
  HUB_ASSERT_OK(log.Fold(projection));
  const vv1::CaseFile file = Load(log, kConcern);
  ASSERT_GT(file.narrative().triage_size(), 0);
  EXPECT_EQ(SerializeRecord(file), SerializeDeterministic(file));
  EXPECT_EQ(SerializeRecord(vv1::CaseFile()), "");
}

}  // namespace
}  // namespace hub::projections
