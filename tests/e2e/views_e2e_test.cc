// End-to-end reads through the real hubd: one case seen by four agencies gives four different
// views, each read is in the disclosure log, "no wrong door" lookups, read-your-writes under
// concurrent writes, worklists, the SAC export, subject access, and projections that survive a
// kill -9 without counting anything twice.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tests/e2e/scenario_fixture.h"

namespace hub {
namespace {

namespace api = ::hub::api::v1;
namespace cv1 = ::hub::common::v1;
using ::testing::HasSubstr;
using namespace ::hub::e2e;  // NOLINT: the shared fixture and builders

const As kAdvocate{"advocacy-northshire", "advocate.lee", "advocate"};
const As kHousing{"housing-northshire", "housing.officer", "referrer"};
const As kAuditor{"asc-northshire", "ig.auditor", "auditor"};
const As kAnalyst{"asc-northshire", "sab.analyst", "board_analyst"};
const As kDoctor{"nhs-northshire-acute", "dr.okoro", "referrer"};
const As kOtherDoctor{"nhs-northshire-acute", "dr.adeyemi", "referrer"};
const As kPoliceManager{"police-northshire", "di.shaw", "safeguarding_manager"};
constexpr char kEmergencyReason[] =
    "Brought into A&E unconscious at 2am; need to know who is a risk to her before discharge.";

// Short names of the categories, so that expectations read as a line.
std::string Categories(const google::protobuf::RepeatedField<int>& categories) {
  std::vector<std::string> names;
  for (int c : categories) {
    std::string name = cv1::InformationCategory_Name(static_cast<cv1::InformationCategory>(c));
    names.push_back(absl::AsciiStrToLower(name.substr(std::string("INFORMATION_CATEGORY_").size())));
  }
  return absl::StrJoin(names, ",");
}

// The category messages actually present in a view, in the same short names.
std::string Present(const api::CaseView& v) {
  std::vector<std::string> names;
  if (v.has_identity()) names.push_back("identity");
  if (v.has_contact()) names.push_back("contact_routes");
  if (v.has_summary()) names.push_back("concern_summary");
  if (v.has_narrative()) names.push_back("narrative");
  if (v.has_health()) names.push_back("health");
  if (v.has_police()) names.push_back("police_information");
  if (v.has_capacity()) names.push_back("capacity_and_best_interests");
  if (v.has_voice()) names.push_back("voice_and_outcomes");
  if (v.has_risk()) names.push_back("risk_and_plan");
  if (v.has_advocacy()) names.push_back("advocacy");
  if (v.has_research()) names.push_back("research_answers");
  if (v.has_disclosure_log()) names.push_back("disclosure_log");
  return absl::StrJoin(names, ",");
}

class ViewsE2eTest : public SafeguardingE2eTest {
 protected:
  struct Case {
    std::string person_id, concern_id, enquiry_id;
    int64_t position = 0;  // the last command's global position
  };

  // A police PPN about Doreen Ashworth: researched by the GP and the police (whose answer only
  // MASH decision-makers may see), decided for a s42 enquiry led by adult social care, with an
  // independent advocate allocated by the advocacy provider.
  Case RaiseAndProgress() {
    Case c;
    api::RaiseConcernRequest raise;
    *raise.mutable_header() = Header();
    *raise.mutable_adult() = Adult("Doreen", "Ashworth", 1941, cv1::GENDER_FEMALE,
                                   cv1::PRIMARY_SUPPORT_REASON_LEARNING_DISABILITY, "4857773457");
    cv1::ConcernDetails* d = raise.mutable_details();
    d->set_what_happened("PPN: neighbour heard shouting; lodger takes her pension each week.");
    d->add_types_of_risk(cv1::TYPE_OF_RISK_FINANCIAL_OR_MATERIAL_ABUSE);
    d->set_location_of_risk(cv1::LOCATION_OF_RISK_OWN_HOME);
    d->mutable_referrer()->set_name("PC 2210 Nash");
    d->mutable_referrer()->set_organisation("Northshire Police");
    d->mutable_consent()->set_adult_aware(true);
    d->mutable_consent()->set_status(cv1::CONSENT_STATUS_DECLINED);
    d->mutable_consent()->add_override_grounds(cv1::OVERRIDE_GROUND_SERIOUS_CRIME);
    d->mutable_consent()->set_override_justification("Theft of her pension is a serious crime.");
    *d->add_desired_outcomes() =
        Outcome("I want him to leave.", cv1::DESIRED_OUTCOME_KIND_PERSON_TO_STAY_AWAY);
    api::RaiseConcernResponse raised;
    EXPECT_TRUE(Call(*intake_, &api::ReferralIntake::Stub::RaiseConcern, kPolice, raise, raised).ok());
    c.person_id = raised.person_id();
    c.concern_id = raised.concern_id();
    int64_t cv = raised.result().version();

    api::TriageConcernRequest triage;
    *triage.mutable_header() = Header(cv);
    triage.set_concern_id(c.concern_id);
    triage.set_rating(cv1::RAG_RATING_AMBER);
    triage.set_rationale("Ongoing financial abuse by a lodger");
    api::TriageConcernResponse triaged;
    EXPECT_TRUE(Call(*mash_, &api::Mash::Stub::TriageConcern, kTriage, triage, triaged).ok());
    cv = triaged.result().version();

    const std::vector<std::pair<std::string, As>> partners = {
        {"gp-riverside", kGpResearcher}, {"police-northshire", kPoliceResearcher}};
    std::vector<std::string> ids;
    for (const auto& [agency, who] : partners) {
      api::RequestResearchRequest research;
      *research.mutable_header() = Header(cv);
      research.set_concern_id(c.concern_id);
      research.set_agency_id(agency);
      research.set_questions("What do you hold on Mrs Ashworth and her lodger?");
      api::RequestResearchResponse requested;
      EXPECT_TRUE(Call(*mash_, &api::Mash::Stub::RequestResearch, kTriage, research, requested).ok());
      cv = requested.result().version();
      ids.push_back(requested.request_id());
    }
    for (size_t i = 0; i < partners.size(); ++i) {
      api::AnswerResearchRequest answer;
      *answer.mutable_header() = Header(cv);
      answer.set_concern_id(c.concern_id);
      answer.set_request_id(ids[i]);
      answer.set_answer(i == 0 ? "Moderate learning disability; missed two appointments."
                               : "Lodger known for theft from vulnerable adults.");
      if (i == 1) answer.add_markings(cv1::HANDLING_MARKING_MASH_DECISION_MAKERS_ONLY);
      api::AnswerResearchResponse answered;
      EXPECT_TRUE(Call(*mash_, &api::Mash::Stub::AnswerResearch, partners[i].second, answer, answered).ok());
      cv = answered.result().version();
    }

    api::RecordThresholdDecisionRequest decision;
    *decision.mutable_header() = Header(cv);
    decision.set_concern_id(c.concern_id);
    decision.set_has_care_and_support_needs(true);
    decision.set_experiencing_or_at_risk(true);
    decision.set_unable_to_protect_self(true);
    decision.set_route(cv1::THRESHOLD_ROUTE_S42_ENQUIRY);
    decision.set_rationale("Learning disability; cannot protect her money from the lodger.");
    api::RecordThresholdDecisionResponse decided;
    EXPECT_TRUE(Call(*mash_, &api::Mash::Stub::RecordThresholdDecision, kManager, decision, decided).ok());
    c.enquiry_id = decided.enquiry_id();
    int64_t ev = decided.enquiry_result().version();

    api::AssignLeadRequest lead;
    *lead.mutable_header() = Header(ev);
    lead.set_enquiry_id(c.enquiry_id);
    lead.set_lead_agency_id("asc-northshire");
    lead.set_officer_name("Priya Kaur");
    api::AssignLeadResponse led;
    EXPECT_TRUE(Call(*enquiry_, &api::Enquiry::Stub::AssignLead, kManager, lead, led).ok());
    ev = led.result().version();

    api::AssessSubstantialDifficultyRequest difficulty;
    *difficulty.mutable_header() = Header(ev);
    difficulty.set_enquiry_id(c.enquiry_id);
    difficulty.set_understanding(true);
    difficulty.set_communicating(true);
    api::AdvocacyResponse assessed;
    EXPECT_TRUE(Call(*advocacy_, &api::Advocacy::Stub::AssessSubstantialDifficulty, kOfficer,
                     difficulty, assessed).ok());
    ev = assessed.result().version();
    api::AssessAppropriateIndividualRequest individual;
    *individual.mutable_header() = Header(ev);
    individual.set_enquiry_id(c.enquiry_id);
    individual.set_exists(false);
    EXPECT_TRUE(Call(*advocacy_, &api::Advocacy::Stub::AssessAppropriateIndividual, kOfficer,
                     individual, assessed).ok());
    ev = assessed.result().version();
    api::ReferForAdvocacyRequest refer;
    *refer.mutable_header() = Header(ev);
    refer.set_enquiry_id(c.enquiry_id);
    refer.set_provider_agency_id("advocacy-northshire");
    refer.set_reason("s68: substantial difficulty and no appropriate individual");
    api::ReferForAdvocacyResponse referred;
    EXPECT_TRUE(Call(*advocacy_, &api::Advocacy::Stub::ReferForAdvocacy, kOfficer, refer, referred).ok());
    ev = referred.result().version();
    api::AcceptAdvocacyReferralRequest accept;
    *accept.mutable_header() = Header(ev);
    accept.set_enquiry_id(c.enquiry_id);
    accept.set_referral_id(referred.referral_id());
    EXPECT_TRUE(Call(*advocacy_, &api::Advocacy::Stub::AcceptAdvocacyReferral, kAdvocate, accept,
                     assessed).ok());
    ev = assessed.result().version();
    api::AllocateAdvocateRequest allocate;
    *allocate.mutable_header() = Header(ev);
    allocate.set_enquiry_id(c.enquiry_id);
    allocate.set_referral_id(referred.referral_id());
    allocate.set_advocate_name("Lee Okafor");
    allocate.set_contact("01632 960 111");
    EXPECT_TRUE(Call(*advocacy_, &api::Advocacy::Stub::AllocateAdvocate, kAdvocate, allocate,
                     assessed).ok());
    c.position = assessed.result().global_position();
    return c;
  }

  grpc::Status GetCase(const As& who, const std::string& concern_id, cv1::Purpose purpose,
                       int64_t min_position, api::GetCaseResponse& response) {
    api::GetCaseRequest request;
    request.mutable_header()->set_purpose(purpose);
    request.mutable_header()->set_min_position(min_position);
    request.set_concern_id(concern_id);
    return Call(*views_, &api::Views::Stub::GetCase, who, request, response);
  }
};

TEST_F(ViewsE2eTest, OneCaseFourAgenciesFourViewsEachReadLogged) {
  const Case c = RaiseAndProgress();

  struct Expected {
    const char* who_name;
    As who;
    cv1::Purpose purpose;
    cv1::Relationship relationship;
    const char* categories;
    int withheld_by_marking;
  };
  const std::vector<Expected> expected = {
      // The lead social worker: everything, less the police answer only MASH decision-makers
      // (triage, safeguarding managers) may see.
      {"lead social worker", kOfficer, cv1::PURPOSE_SAFEGUARDING_ENQUIRY, cv1::RELATIONSHIP_LEAD,
       "identity,contact_routes,concern_summary,narrative,health,police_information,"
       "capacity_and_best_interests,voice_and_outcomes,risk_and_plan,advocacy,research_answers,"
       "disclosure_log",
       1},
      // The police raised it (involved partner); she declined consent, but a serious-crime
      // ground is recorded, so the consent-reliant narrative and plan are shared too.
      {"police", kPolice, cv1::PURPOSE_SAFEGUARDING_ENQUIRY, cv1::RELATIONSHIP_INVOLVED_PARTNER,
       "identity,contact_routes,concern_summary,narrative,police_information,risk_and_plan", 0},
      // The GP was asked to research: enough to search its own records.
      {"GP", kGpResearcher, cv1::PURPOSE_RESEARCH, cv1::RELATIONSHIP_RESEARCH_PARTNER,
       "identity,concern_summary", 0},
      // The advocate speaks with her: her voice, capacity and the advocacy, never police data.
      {"advocate", kAdvocate, cv1::PURPOSE_SAFEGUARDING_ENQUIRY,
       cv1::RELATIONSHIP_INVOLVED_PARTNER,
       "identity,contact_routes,concern_summary,capacity_and_best_interests,voice_and_outcomes,"
       "advocacy",
       0},
  };
  std::vector<std::string> seen;
  int64_t last_disclosure = 0;
  for (const Expected& e : expected) {
    api::GetCaseResponse response;
    grpc::Status status = GetCase(e.who, c.concern_id, e.purpose, c.position, response);
    ASSERT_TRUE(status.ok()) << e.who_name << ": " << status.error_message();
    const api::CaseView& v = response.view();
    EXPECT_EQ(v.relationship(), e.relationship) << e.who_name;
    EXPECT_EQ(Categories(v.permitted()), e.categories) << e.who_name;
    // What is permitted is exactly what is present, and the rest is listed as withheld.
    EXPECT_EQ(Present(v), e.categories) << e.who_name;
    EXPECT_EQ(v.permitted_size() + v.withheld_size(), 12) << e.who_name;
    EXPECT_EQ(v.items_withheld_by_marking(), e.withheld_by_marking) << e.who_name;
    EXPECT_FALSE(v.disclosure_id().empty());
    last_disclosure = v.disclosure_position();
    seen.push_back(e.categories);
  }
  // Four different views of one case.
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::unique(seen.begin(), seen.end()), seen.end());

  // The lead's manager sees the disclosure log: each of the four reads, newest first.
  api::GetDisclosureLogRequest log_request;
  log_request.mutable_header()->set_purpose(cv1::PURPOSE_SAFEGUARDING_ENQUIRY);
  log_request.mutable_header()->set_min_position(last_disclosure);
  log_request.set_person_id(c.person_id);
  api::GetDisclosureLogResponse log;
  ASSERT_TRUE(Call(*views_, &api::Views::Stub::GetDisclosureLog, kManager, log_request, log).ok());
  ASSERT_GE(log.entries_size(), 4);
  std::vector<std::string> readers;
  for (int i = 3; i >= 0; --i) {
    const auto& entry = log.entries(i);
    EXPECT_EQ(entry.kind(), cv1::DISCLOSURE_KIND_CASE_VIEW);
    EXPECT_EQ(entry.concern_id(), c.concern_id);
    EXPECT_FALSE(entry.lawful_bases().empty());
    EXPECT_EQ(entry.agreement_version(), "2026.1");
    readers.push_back(absl::StrCat(entry.agency_id(), "/", entry.user_id()));
  }
  std::vector<std::string> want;
  for (const Expected& e : expected) want.push_back(absl::StrCat(e.who.agency, "/", e.who.user));
  EXPECT_EQ(readers, want);

  // The person record, case by case: the GP (research partner) sees who she is and the case's
  // summary, not who leads; the lead sees both; housing, with no part, sees nothing.
  api::GetPersonRequest person;
  person.mutable_header()->set_purpose(cv1::PURPOSE_RESEARCH);
  person.set_person_id(c.person_id);
  api::GetPersonResponse record;
  ASSERT_TRUE(Call(*views_, &api::Views::Stub::GetPerson, kGpResearcher, person, record).ok());
  EXPECT_EQ(record.identity().details().name().family(), "Ashworth");
  ASSERT_EQ(record.cases_size(), 1);
  EXPECT_TRUE(record.cases(0).has_summary());
  EXPECT_FALSE(record.cases(0).has_contact());
  EXPECT_EQ(Categories(record.permitted()), "identity,concern_summary");
  person.mutable_header()->set_purpose(cv1::PURPOSE_SAFEGUARDING_ENQUIRY);
  ASSERT_TRUE(Call(*views_, &api::Views::Stub::GetPerson, kManager, person, record).ok());
  EXPECT_EQ(record.cases(0).contact().officer_name(), "Priya Kaur");
  EXPECT_FALSE(record.cases(0).contact().duty_out_of_hours().empty());
  EXPECT_EQ(Call(*views_, &api::Views::Stub::GetPerson, kHousing, person, record).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(ViewsE2eTest, NoWrongDoorLookupSaysWhoLeadsAndTheLeadSeesWhoLooked) {
  const Case c = RaiseAndProgress();
  // Housing has no part in the case: the case itself is refused, with where to go instead.
  api::GetCaseResponse refused;
  grpc::Status status = GetCase(kHousing, c.concern_id, cv1::PURPOSE_SAFEGUARDING_ENQUIRY,
                                c.position, refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("LookupPerson"));

  api::LookupPersonRequest lookup;
  lookup.mutable_header()->set_purpose(cv1::PURPOSE_CARE_PROVISION);
  lookup.set_nhs_number("485 777 3457");
  api::LookupPersonResponse found;
  ASSERT_TRUE(Call(*views_, &api::Views::Stub::LookupPerson, kHousing, lookup, found).ok());
  EXPECT_TRUE(found.known());
  EXPECT_FALSE(found.ambiguous());
  ASSERT_EQ(found.open_cases_size(), 1);
  EXPECT_TRUE(found.open_cases(0).enquiry());
  EXPECT_FALSE(found.open_cases(0).lead_agency_name().empty());
  EXPECT_FALSE(found.open_cases(0).duty_office_hours().empty());
  EXPECT_TRUE(found.open_cases(0).concern_id().empty());  // housing is not connected to it
  EXPECT_FALSE(found.how_to_raise_a_concern().empty());

  // By name and date of birth, with and without the postcode; an unknown adult is not known.
  lookup.mutable_name_and_birth()->set_given("doreen");
  lookup.mutable_name_and_birth()->set_family("ASHWORTH");
  lookup.mutable_name_and_birth()->mutable_date_of_birth()->set_year(1941);
  lookup.mutable_name_and_birth()->mutable_date_of_birth()->set_month(3);
  lookup.mutable_name_and_birth()->mutable_date_of_birth()->set_day(14);
  ASSERT_TRUE(Call(*views_, &api::Views::Stub::LookupPerson, kHousing, lookup, found).ok());
  EXPECT_TRUE(found.known());
  lookup.mutable_name_and_birth()->set_postcode("ZZ9 9ZZ");
  api::LookupPersonResponse not_found;
  ASSERT_TRUE(Call(*views_, &api::Views::Stub::LookupPerson, kHousing, lookup, not_found).ok());
  EXPECT_FALSE(not_found.known());
  EXPECT_GT(not_found.disclosure_position(), found.disclosure_position());
  EXPECT_TRUE(not_found.open_cases().empty());

  // Bad input names the field; statistics is not a purpose for a lookup.
  lookup.set_nhs_number("12345");
  status = Call(*views_, &api::Views::Stub::LookupPerson, kHousing, lookup, found);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("nhs_number"));
  // A mistyped number (last digit wrong) is said to be mistyped, as raising a concern says,
  // not answered "not known".
  lookup.set_nhs_number("485 777 3458");
  status = Call(*views_, &api::Views::Stub::LookupPerson, kHousing, lookup, found);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("nhs_number: the check digit"));
  lookup.mutable_header()->set_purpose(cv1::PURPOSE_STATISTICS);
  lookup.set_nhs_number("4857773457");
  status = Call(*views_, &api::Views::Stub::LookupPerson, kHousing, lookup, found);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);

  // The lead lists who looked: housing, twice (the unmatched postcode search found no one).
  api::ListLookupsRequest list;
  list.mutable_header()->set_purpose(cv1::PURPOSE_SAFEGUARDING_ENQUIRY);
  list.mutable_header()->set_min_position(not_found.disclosure_position());
  list.set_person_id(c.person_id);
  api::ListLookupsResponse looked;
  ASSERT_TRUE(Call(*views_, &api::Views::Stub::ListLookups, kManager, list, looked).ok());
  ASSERT_EQ(looked.lookups_size(), 2);
  for (const auto& entry : looked.lookups()) {
    EXPECT_EQ(entry.agency_id(), "housing-northshire");
    EXPECT_EQ(entry.purpose(), cv1::PURPOSE_CARE_PROVISION);
  }
  // Housing itself may not list who looked.
  status = Call(*views_, &api::Views::Stub::ListLookups, kHousing, list, looked);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(ViewsE2eTest, ConsentWithdrawnNarrowsPartnersButNotTheLead) {
  const Case c = RaiseAndProgress();
  api::GetCaseResponse before;
  ASSERT_TRUE(GetCase(kPolice, c.concern_id, cv1::PURPOSE_SAFEGUARDING_ENQUIRY, c.position, before).ok());

  // She withdraws consent and the override ground is withdrawn with it (recorded: none).
  api::RecordSharingConsentRequest consent;
  consent.set_concern_id(c.concern_id);
  consent.set_consent_given(false);
  consent.set_adults_words("I don't want the police told anything else.");
  // The concern stream's version: raise, triage, 2 requests, 2 answers, decision = 6.
  *consent.mutable_header() = Header(6);
  api::RecordSharingConsentResponse recorded;
  grpc::Status status = Call(*mash_, &api::Mash::Stub::RecordSharingConsent, kManager, consent, recorded);
  ASSERT_TRUE(status.ok()) << status.error_message();

  api::GetCaseResponse after;
  ASSERT_TRUE(GetCase(kPolice, c.concern_id, cv1::PURPOSE_SAFEGUARDING_ENQUIRY,
                      recorded.result().global_position(), after).ok());
  EXPECT_LT(after.view().permitted_size(), before.view().permitted_size());
  EXPECT_FALSE(after.view().has_narrative());
  api::GetCaseResponse lead_view;
  ASSERT_TRUE(GetCase(kOfficer, c.concern_id, cv1::PURPOSE_SAFEGUARDING_ENQUIRY,
                      recorded.result().global_position(), lead_view).ok());
  EXPECT_TRUE(lead_view.view().has_narrative());
  EXPECT_FALSE(lead_view.view().voice().consent_to_share());
}

TEST_F(ViewsE2eTest, ReadYourWritesUnderConcurrentWrites) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 6;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        api::RaiseConcernRequest raise;
        *raise.mutable_header() = Header();
        *raise.mutable_adult() = Adult(absl::StrCat("Adult", t, "x", i), "Concurrent", 1950,
                                       cv1::GENDER_MALE, cv1::PRIMARY_SUPPORT_REASON_PHYSICAL, "");
        cv1::ConcernDetails* d = raise.mutable_details();
        d->set_what_happened(absl::StrCat("thread ", t, " concern ", i));
        d->add_types_of_risk(cv1::TYPE_OF_RISK_NEGLECT_AND_ACTS_OF_OMISSION);
        d->set_location_of_risk(cv1::LOCATION_OF_RISK_CARE_HOME_RESIDENTIAL);
        d->mutable_referrer()->set_name("Carer");
        d->mutable_consent()->set_adult_aware(true);
        d->mutable_consent()->set_status(cv1::CONSENT_STATUS_GIVEN);
        api::RaiseConcernResponse raised;
        if (!Call(*intake_, &api::ReferralIntake::Stub::RaiseConcern, kCarer, raise, raised).ok()) {
          ++failures;
          continue;
        }
        // Immediately after the write, the MASH reads it: the read waits until it is folded.
        api::GetCaseResponse read;
        grpc::Status status = GetCase(kTriage, raised.concern_id(), cv1::PURPOSE_TRIAGE,
                                      raised.result().global_position(), read);
        if (!status.ok() || read.view().narrative().what_happened() !=
                                absl::StrCat("thread ", t, " concern ", i)) {
          ++failures;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);

  // Every one of them is on the MASH queue.
  api::GetMashQueueRequest queue_request;
  api::GetMashQueueResponse queue;
  ASSERT_TRUE(Call(*views_, &api::Views::Stub::GetMashQueue, kTriage, queue_request, queue).ok());
  EXPECT_EQ(queue.items_size(), kThreads * kPerThread);
  // A position far beyond the log's head is waited for until the call's deadline, then refused.
  api::GetCaseRequest far;
  far.mutable_header()->set_purpose(cv1::PURPOSE_TRIAGE);
  far.mutable_header()->set_min_position(1000000);
  far.set_concern_id(queue.items(0).concern_id());
  auto ctx = Ctx(kTriage);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
  api::GetCaseResponse read;
  grpc::Status late = views_->GetCase(ctx.get(), far, &read);
  EXPECT_EQ(late.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
}

TEST_F(ViewsE2eTest, SubjectAccessExportHoldsTheRecordAndTheDisclosureLog) {
  const Case c = RaiseAndProgress();
  api::GetCaseResponse viewed;
  ASSERT_TRUE(GetCase(kOfficer, c.concern_id, cv1::PURPOSE_SAFEGUARDING_ENQUIRY, c.position, viewed).ok());
  api::ExportSubjectAccessRequest request;
  request.mutable_header()->set_purpose(cv1::PURPOSE_SUBJECT_ACCESS);
  request.mutable_header()->set_min_position(viewed.view().disclosure_position());
  request.set_person_id(c.person_id);
  api::ExportSubjectAccessResponse exported;
  // The lead authority's safeguarding manager produces it; a social worker may not.
  EXPECT_EQ(Call(*views_, &api::Views::Stub::ExportSubjectAccess, kOfficer, request, exported)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  grpc::Status status =
      Call(*views_, &api::Views::Stub::ExportSubjectAccess, kManager, request, exported);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(exported.person().person_id(), c.person_id);
  ASSERT_EQ(exported.cases_size(), 1);
  EXPECT_EQ(exported.cases(0).identity().details().name().family(), "Ashworth");
  EXPECT_TRUE(exported.cases(0).has_narrative());
  EXPECT_TRUE(exported.cases(0).has_voice());
  // Health and police information are released outside the hub, by their owners.
  EXPECT_FALSE(exported.cases(0).has_health());
  EXPECT_FALSE(exported.cases(0).has_police());
  ASSERT_GE(exported.disclosure_log_size(), 1);
  EXPECT_EQ(exported.disclosure_log(0).agency_id(), "asc-northshire");
  EXPECT_EQ(exported.disclosure_log(0).user_id(), kOfficer.user);
}

TEST_F(ViewsE2eTest, SacCsvComesOutOfTheLogWithTheNationalLabels) {
  RaiseAndProgress();
  api::GetSafeguardingAdultsCollectionRequest request;
  request.mutable_header()->set_purpose(cv1::PURPOSE_STATISTICS);
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::LocalTimeZone());
  request.set_reporting_year(today.month() >= 4 ? today.year() : today.year() - 1);
  api::GetSafeguardingAdultsCollectionResponse sac;
  grpc::Status status =
      Call(*views_, &api::Views::Stub::GetSafeguardingAdultsCollection, kAnalyst, request, sac);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(sac.csv(), HasSubstr("TABLE_REFERENCE,ENQUIRY_TYPE,CATEGORY,SUBCATEGORY,VALUE"));
  bool concerns = false, s42 = false;
  for (const auto& row : sac.rows()) {
    if (row.table_reference() == "SG1f" &&
        row.category() == "Total Number of Safeguarding Concerns") {
      EXPECT_EQ(row.value(), 1);
      concerns = true;
    }
    if (row.table_reference() == "SG1f" &&
        row.category() == "Total Number of Section 42 Safeguarding Enquiries") {
      EXPECT_EQ(row.value(), 1);
      s42 = true;
    }
  }
  EXPECT_TRUE(concerns && s42);
  // A practitioner without the analyst's role is refused.
  EXPECT_EQ(Call(*views_, &api::Views::Stub::GetSafeguardingAdultsCollection, kOfficer, request, sac)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

// Break-glass through the real hubd: an A&E doctor the agreement shows nothing of the case
// asks for emergency access with a reason; the grant and each use are in the disclosure log and
// the subject access export, and the lead agency is told of both by ListNotifications and by a
// WatchNotifications stream; the grant is the doctor's alone and ends at its expiry (asked for
// as 5 seconds here: hubd's own grant time, 3 hours by default, is tested in process with a
// manual clock in services/views/views_service_test.cc).
TEST_F(ViewsE2eTest, BreakGlassIsGrantedUsedLoggedNotifiedAndExpires) {
  const Case c = RaiseAndProgress();
  api::GetCaseResponse view;
  grpc::Status status = GetCase(kDoctor, c.concern_id, cv1::PURPOSE_CARE_PROVISION, c.position, view);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("RequestEmergencyAccess"));

  // The lead's MASH watches its notifications from the start: nothing yet.
  auto watch_context = Ctx(kTriage);
  watch_context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  auto watch = views_->WatchNotifications(watch_context.get(), api::WatchNotificationsRequest());
  api::WatchNotificationsResponse watched;
  ASSERT_TRUE(watch->Read(&watched));
  EXPECT_TRUE(watched.caught_up());
  EXPECT_EQ(watched.notifications_size(), 0);

  // Bad requests name the field and record nothing.
  const int64_t head = Head();
  api::RequestEmergencyAccessRequest request;
  *request.mutable_header() = Header();
  request.set_concern_id(c.concern_id);
  request.set_purpose(cv1::PURPOSE_CARE_PROVISION);
  api::RequestEmergencyAccessResponse grant;
  status = Call(*views_, &api::Views::Stub::RequestEmergencyAccess, kDoctor, request, grant);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("reason: required"));
  request.set_reason(kEmergencyReason);
  request.set_concern_id("c-unknown");
  status = Call(*views_, &api::Views::Stub::RequestEmergencyAccess, kDoctor, request, grant);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("concern_id"));
  request.set_concern_id(c.concern_id);
  status = Call(*views_, &api::Views::Stub::RequestEmergencyAccess, kAnalyst, request, grant);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Head(), head);

  request.mutable_duration()->set_seconds(5);
  const absl::Time asked_at = absl::Now();
  status = Call(*views_, &api::Views::Stub::RequestEmergencyAccess, kDoctor, request, grant);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const absl::Time expires_at =
      absl::FromUnixSeconds(grant.expires_at().seconds()) + absl::Nanoseconds(grant.expires_at().nanos());
  EXPECT_GE(expires_at, asked_at + absl::Seconds(5) - absl::Milliseconds(1));
  EXPECT_LE(expires_at, absl::Now() + absl::Seconds(5));

  // At once: the case as the lead's case worker sees it, less the disclosure log.
  status = GetCase(kDoctor, c.concern_id, cv1::PURPOSE_CARE_PROVISION, 0, view);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(view.view().break_glass());
  EXPECT_EQ(view.view().grant_id(), grant.grant_id());
  EXPECT_EQ(view.view().narrative().what_happened(),
            "PPN: neighbour heard shouting; lodger takes her pension each week.");
  EXPECT_EQ(view.view().contact().officer_name(), "Priya Kaur");
  EXPECT_TRUE(view.view().has_health());
  EXPECT_FALSE(view.view().has_disclosure_log());
  // The police answer is for MASH decision-makers only: an emergency does not override that.
  EXPECT_EQ(view.view().police().answers_size(), 0);
  EXPECT_EQ(view.view().items_withheld_by_marking(), 1);
  const int64_t used_at = view.view().disclosure_position();
  // Another doctor of the same hospital is still refused.
  EXPECT_EQ(GetCase(kOtherDoctor, c.concern_id, cv1::PURPOSE_CARE_PROVISION, 0, view).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // The lead's stream gets the grant, then the use.
  std::vector<std::pair<int, int64_t>> kinds;
  while (kinds.size() < 2 && watch->Read(&watched)) {
    for (const auto& n : watched.notifications()) kinds.emplace_back(n.kind(), n.position());
  }
  ASSERT_EQ(kinds.size(), 2u);
  EXPECT_EQ(kinds[0], std::make_pair(static_cast<int>(views::v1::NOTIFICATION_KIND_EMERGENCY_ACCESS_GRANTED),
                                     grant.position()));
  EXPECT_EQ(kinds[1], std::make_pair(static_cast<int>(views::v1::NOTIFICATION_KIND_EMERGENCY_ACCESS_USED),
                                     used_at));
  watch_context->TryCancel();
  while (watch->Read(&watched)) {
  }
  EXPECT_EQ(watch->Finish().error_code(), grpc::StatusCode::CANCELLED);

  // ... and so does its polling system's list, with who, why and until when.
  api::ListNotificationsRequest list;
  list.mutable_header()->set_min_position(used_at);
  api::ListNotificationsResponse notifications;
  status = Call(*views_, &api::Views::Stub::ListNotifications, kManager, list, notifications);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(notifications.notifications_size(), 2);
  for (const auto& n : notifications.notifications()) {
    EXPECT_EQ(n.concern_id(), c.concern_id);
    EXPECT_EQ(n.by_agency_id(), kDoctor.agency);
    EXPECT_EQ(n.by_user_id(), kDoctor.user);
    EXPECT_EQ(n.grant_id(), grant.grant_id());
    EXPECT_EQ(n.reason(), kEmergencyReason);
    EXPECT_EQ(n.expires_at().seconds(), grant.expires_at().seconds());
  }
  EXPECT_EQ(notifications.last_position(), used_at);
  // The doctor's own hospital is told nothing; it may not read the lead's notifications.
  status = Call(*views_, &api::Views::Stub::ListNotifications,
                As{kDoctor.agency, "safeguarding.lead", "safeguarding_manager"}, list, notifications);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(notifications.notifications_size(), 0);

  // The disclosure log and the subject access export say break-glass, with the grant and reason.
  api::GetDisclosureLogRequest log_request;
  log_request.mutable_header()->set_purpose(cv1::PURPOSE_SAFEGUARDING_ENQUIRY);
  log_request.mutable_header()->set_min_position(used_at);
  log_request.set_person_id(c.person_id);
  api::GetDisclosureLogResponse log;
  ASSERT_TRUE(Call(*views_, &api::Views::Stub::GetDisclosureLog, kManager, log_request, log).ok());
  ASSERT_GE(log.entries_size(), 2);
  EXPECT_EQ(log.entries(0).kind(), cv1::DISCLOSURE_KIND_CASE_VIEW);
  EXPECT_EQ(log.entries(0).position(), used_at);
  EXPECT_EQ(log.entries(1).kind(), cv1::DISCLOSURE_KIND_EMERGENCY_ACCESS_GRANTED);
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(log.entries(i).break_glass());
    EXPECT_EQ(log.entries(i).grant_id(), grant.grant_id());
    EXPECT_EQ(log.entries(i).break_glass_reason(), kEmergencyReason);
    EXPECT_EQ(log.entries(i).user_id(), kDoctor.user);
  }
  api::ExportSubjectAccessRequest export_request;
  export_request.mutable_header()->set_purpose(cv1::PURPOSE_SUBJECT_ACCESS);
  export_request.mutable_header()->set_min_position(used_at);
  export_request.set_person_id(c.person_id);
  api::ExportSubjectAccessResponse exported;
  ASSERT_TRUE(Call(*views_, &api::Views::Stub::ExportSubjectAccess, kManager, export_request,
                   exported).ok());
  int break_glass_entries = 0;
  for (const auto& entry : exported.disclosure_log()) {
    if (entry.break_glass() && entry.grant_id() == grant.grant_id()) ++break_glass_entries;
  }
  EXPECT_EQ(break_glass_entries, 2);

  // After the grant's expiry (hubd's clock), the doctor is refused again, told why.
  std::this_thread::sleep_for(absl::ToChronoNanoseconds(expires_at - absl::Now() + absl::Milliseconds(50)));
  status = GetCase(kDoctor, c.concern_id, cv1::PURPOSE_CARE_PROVISION, 0, view);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("expired at"));
}

// A restricted case: the police (who raised it) restrict it; the lead's reads are told to the
// police, the police's own reads are not.
TEST_F(ViewsE2eTest, ReadsOfARestrictedCaseByOthersAreToldToItsOwner) {
  const Case c = RaiseAndProgress();
  api::RestrictCaseRequest restrict;
  // The concern stream: raise, triage, 2 requests, 2 answers, decision = version 6.
  *restrict.mutable_header() = Header(6);
  restrict.set_concern_id(c.concern_id);
  restrict.set_reason_kind(cv1::RESTRICTION_REASON_POLICE_INVESTIGATION);
  restrict.set_reason("The lodger is a suspect in an ongoing fraud investigation.");
  api::RestrictCaseResponse restricted;
  // A referrer may not restrict; nor may an agency with no part in the case.
  EXPECT_EQ(Call(*mash_, &api::Mash::Stub::RestrictCase, kPolice, restrict, restricted).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Call(*mash_, &api::Mash::Stub::RestrictCase,
                 As{"housing-northshire", "h.manager", "safeguarding_manager"}, restrict, restricted)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  grpc::Status status =
      Call(*mash_, &api::Mash::Stub::RestrictCase, kPoliceManager, restrict, restricted);
  ASSERT_TRUE(status.ok()) << status.error_message();

  api::GetCaseResponse view;
  ASSERT_TRUE(GetCase(kOfficer, c.concern_id, cv1::PURPOSE_SAFEGUARDING_ENQUIRY,
                      restricted.result().global_position(), view).ok());
  EXPECT_EQ(view.view().restricted_by_agency_id(), "police-northshire");
  const int64_t lead_read = view.view().disclosure_position();
  ASSERT_TRUE(GetCase(kPolice, c.concern_id, cv1::PURPOSE_SAFEGUARDING_ENQUIRY, 0, view).ok());
  const int64_t own_read = view.view().disclosure_position();

  api::ListNotificationsRequest list;
  list.mutable_header()->set_min_position(own_read);
  api::ListNotificationsResponse notifications;
  status = Call(*views_, &api::Views::Stub::ListNotifications, kPoliceManager, list, notifications);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(notifications.notifications_size(), 1);
  const auto& n = notifications.notifications(0);
  EXPECT_EQ(n.kind(), views::v1::NOTIFICATION_KIND_RESTRICTED_CASE_ACCESSED);
  EXPECT_EQ(n.position(), lead_read);
  EXPECT_EQ(n.by_agency_id(), "asc-northshire");
  EXPECT_EQ(n.by_user_id(), kOfficer.user);
  EXPECT_EQ(n.concern_id(), c.concern_id);
}

}  // namespace
}  // namespace hub
