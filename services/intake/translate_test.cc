// Translation of intake requests: each kind of bad input is INVALID_ARGUMENT naming the field;
// good input becomes the domain command, normalised.
#include "services/intake/translate.h"

#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "app/command_request.h"
#include "tests/testing/status_matchers.h"

namespace hub::services {

using app::DeriveId;
namespace {

namespace api = ::hub::api::v1;
using ::hub::testing::IsOk;
using ::hub::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kNow =
    absl::FromCivil(absl::CivilSecond(2024, 6, 3, 9, 0, 0), absl::UTCTimeZone());

domain::Caller Caller() {
  domain::Caller caller;
  caller.agency_id = "nhs-acute";
  caller.agency_kind = common::v1::AGENCY_KIND_ACUTE_HEALTH;
  caller.user_id = "nurse-1";
  caller.roles = {common::v1::ROLE_REFERRER};
  return caller;
}

api::RaiseConcernRequest ValidRaise() {
  api::RaiseConcernRequest request;
  request.mutable_header()->set_command_id("cmd-1");
  common::v1::AdultDetails* adult = request.mutable_adult();
  common::v1::Identifier* nhs = adult->add_identifiers();
  nhs->set_kind(common::v1::IDENTIFIER_KIND_NHS_NUMBER);
  nhs->set_value("943 476 5919");
  adult->mutable_name()->set_given("Mary");
  adult->mutable_name()->set_family("Jones");
  adult->mutable_date_of_birth()->set_year(1941);
  adult->mutable_date_of_birth()->set_month(2);
  adult->mutable_date_of_birth()->set_day(28);
  adult->mutable_address()->set_postcode("ns1  1aa");
  common::v1::ConcernDetails* details = request.mutable_details();
  details->set_what_happened("Bruising on both arms.");
  details->add_types_of_risk(common::v1::TYPE_OF_RISK_PHYSICAL_ABUSE);
  details->set_location_of_risk(common::v1::LOCATION_OF_RISK_OWN_HOME);
  details->mutable_referrer()->set_name("Nurse Patel");
  details->mutable_consent()->set_status(common::v1::CONSENT_STATUS_GIVEN);
  details->add_desired_outcomes()->set_text("to feel safe at home");
  return request;
}

absl::Status RaiseStatus(const api::RaiseConcernRequest& request) {
  return RaiseConcernFromProto(Caller(), request, kNow).status();
}

::testing::Matcher<absl::Status> InvalidNaming(const std::string& fragment) {
  return StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(fragment));
}

TEST(IntakeTranslateTest, ValidRaiseConcernBecomesTheCommandNormalised) {
  absl::StatusOr<domain::intake::RaiseConcern> command =
      RaiseConcernFromProto(Caller(), ValidRaise(), kNow);
  ASSERT_THAT(command, IsOk());
  EXPECT_EQ(command->ctx.command_key, "nhs-acute/nurse-1/cmd-1");
  EXPECT_EQ(command->ctx.new_id, DeriveId("nhs-acute/nurse-1/cmd-1", "new"));
  EXPECT_EQ(command->ctx.now, kNow);
  EXPECT_EQ(command->person_id, "");
  EXPECT_EQ(command->adult.identifiers(0).value(), "9434765919");
  EXPECT_EQ(command->adult.address().postcode(), "NS1 1AA");
  EXPECT_EQ(command->details.what_happened(), "Bruising on both arms.");
}

TEST(IntakeTranslateTest, HeaderErrorsNameTheHeaderField) {
  api::RaiseConcernRequest request = ValidRaise();
  request.mutable_header()->clear_command_id();
  EXPECT_THAT(RaiseStatus(request), InvalidNaming("header.command_id: required"));
  request = ValidRaise();
  request.mutable_header()->set_expected_version(3);
  EXPECT_THAT(RaiseStatus(request), InvalidNaming("header.expected_version"));

  api::TriageConcernRequest triage;
  triage.mutable_header()->set_command_id("t-1");
  triage.set_concern_id("c-1");
  triage.set_rating(common::v1::RAG_RATING_RED);
  triage.set_rationale("x");
  EXPECT_THAT(TriageConcernFromProto(Caller(), triage, kNow).status(),
              InvalidNaming("header.expected_version: required"));
  triage.mutable_header()->set_expected_version(2);
  absl::StatusOr<IntakeStreamCommand<domain::intake::TriageConcern>> ok =
      TriageConcernFromProto(Caller(), triage, kNow);
  ASSERT_THAT(ok, IsOk());
  EXPECT_EQ(ok->id, "c-1");
  EXPECT_EQ(ok->expected_version, 2);
  EXPECT_EQ(ok->command.rating, common::v1::RAG_RATING_RED);
}

TEST(IntakeTranslateTest, BadIdsAreRefused) {
  api::TriageConcernRequest triage;
  triage.mutable_header()->set_command_id("t-1");
  triage.mutable_header()->set_expected_version(0);
  triage.set_rating(common::v1::RAG_RATING_RED);
  triage.set_rationale("x");
  EXPECT_THAT(TriageConcernFromProto(Caller(), triage, kNow).status(),
              InvalidNaming("concern_id: required"));
  triage.set_concern_id("../etc/passwd");
  EXPECT_THAT(TriageConcernFromProto(Caller(), triage, kNow).status(),
              InvalidNaming("concern_id: may contain only"));

  api::RaiseConcernRequest request = ValidRaise();
  request.set_person_id("p 1");
  EXPECT_THAT(RaiseStatus(request), InvalidNaming("person_id:"));

  api::AnswerResearchRequest answer;
  answer.mutable_header()->set_command_id("a-1");
  answer.mutable_header()->set_expected_version(0);
  answer.set_concern_id("c-1");
  answer.set_nothing_known(true);
  EXPECT_THAT(AnswerResearchFromProto(Caller(), answer, kNow).status(),
              InvalidNaming("request_id: required"));
}

TEST(IntakeTranslateTest, MissingSubjectIsRefused) {
  api::RaiseConcernRequest request = ValidRaise();
  request.clear_adult();
  EXPECT_THAT(RaiseStatus(request), InvalidNaming("subject: required"));
}

TEST(IntakeTranslateTest, NhsNumberWithABadCheckDigitIsRefused) {
  api::RaiseConcernRequest request = ValidRaise();
  request.mutable_adult()->mutable_identifiers(0)->set_value("9434765918");
  EXPECT_THAT(RaiseStatus(request),
              InvalidNaming("adult.identifiers[0].value: not a valid NHS number (check digit)"));

  api::RegisterPersonRequest registration;
  registration.mutable_header()->set_command_id("r-1");
  *registration.mutable_details() = ValidRaise().adult();
  common::v1::Identifier* police = registration.mutable_details()->add_identifiers();
  police->set_kind(common::v1::IDENTIFIER_KIND_POLICE_REFERENCE);
  police->set_value("NS/24/1234");
  ASSERT_THAT(RegisterPersonFromProto(Caller(), registration, kNow), IsOk());
  registration.mutable_details()->mutable_identifiers(0)->set_value("123");
  EXPECT_THAT(RegisterPersonFromProto(Caller(), registration, kNow).status(),
              InvalidNaming("details.identifiers[0].value: not a valid NHS number (check digit)"));
}

TEST(IntakeTranslateTest, IdentifierKindAndValueAreRequired) {
  api::RaiseConcernRequest request = ValidRaise();
  request.mutable_adult()->add_identifiers()->set_value("x");
  EXPECT_THAT(RaiseStatus(request), InvalidNaming("adult.identifiers[1].kind: required"));
  request = ValidRaise();
  request.mutable_adult()->add_identifiers()->set_kind(common::v1::IDENTIFIER_KIND_LA_CLIENT_ID);
  EXPECT_THAT(RaiseStatus(request), InvalidNaming("adult.identifiers[1].value: required"));
}

TEST(IntakeTranslateTest, UnknownEnumValuesAreRefused) {
  api::RaiseConcernRequest request = ValidRaise();
  request.mutable_details()->add_types_of_risk(static_cast<common::v1::TypeOfRisk>(42));
  EXPECT_THAT(RaiseStatus(request), InvalidNaming("details.types_of_risk[1]: unknown value 42"));
  request = ValidRaise();
  request.mutable_details()->set_location_of_risk(static_cast<common::v1::LocationOfRisk>(99));
  EXPECT_THAT(RaiseStatus(request), InvalidNaming("details.location_of_risk: unknown value"));
  request = ValidRaise();
  request.mutable_adult()->set_gender(static_cast<common::v1::Gender>(7));
  EXPECT_THAT(RaiseStatus(request), InvalidNaming("adult.gender: unknown value"));
  request = ValidRaise();
  request.mutable_details()->mutable_consent()->add_override_grounds(
      static_cast<common::v1::OverrideGround>(77));
  EXPECT_THAT(RaiseStatus(request),
              InvalidNaming("details.consent.override_grounds[0]: unknown value"));

  api::AnswerResearchRequest answer;
  answer.mutable_header()->set_command_id("a-1");
  answer.mutable_header()->set_expected_version(0);
  answer.set_concern_id("c-1");
  answer.set_request_id("r-1");
  answer.set_answer("known to us");
  answer.add_markings(static_cast<common::v1::HandlingMarking>(9));
  EXPECT_THAT(AnswerResearchFromProto(Caller(), answer, kNow).status(),
              InvalidNaming("markings[0]: unknown value"));

  api::TriageConcernRequest triage;
  triage.mutable_header()->set_command_id("t-1");
  triage.mutable_header()->set_expected_version(0);
  triage.set_concern_id("c-1");
  triage.set_rationale("x");
  triage.set_rating(static_cast<common::v1::RagRating>(4));
  EXPECT_THAT(TriageConcernFromProto(Caller(), triage, kNow).status(),
              InvalidNaming("rating: unknown value"));
}

TEST(IntakeTranslateTest, OversizedTextIsRefused) {
  api::RaiseConcernRequest request = ValidRaise();
  request.mutable_details()->set_what_happened(std::string(identity::kDefaultMaxLongText + 1, 'x'));
  EXPECT_THAT(RaiseStatus(request), InvalidNaming("details.what_happened: at most 20000 bytes"));
  request = ValidRaise();
  request.mutable_adult()->mutable_name()->set_given(std::string(identity::kDefaultMaxShortText + 1, 'x'));
  EXPECT_THAT(RaiseStatus(request), InvalidNaming("adult.name.given: at most 200 bytes"));
  request = ValidRaise();
  request.mutable_details()->mutable_desired_outcomes(0)->set_text(
      std::string(identity::kDefaultMaxLongText + 1, 'x'));
  EXPECT_THAT(RaiseStatus(request), InvalidNaming("details.desired_outcomes[0].text: at most"));
  request = ValidRaise();
  request.mutable_details()->mutable_referrer()->set_name("\xff\xfe");
  EXPECT_THAT(RaiseStatus(request), InvalidNaming("details.referrer.name: not valid UTF-8"));
}

TEST(IntakeTranslateTest, TooLongListsAreRefused) {
  api::RaiseConcernRequest request = ValidRaise();
  for (size_t i = 0; i <= identity::kDefaultMaxListLength; ++i) request.mutable_details()->add_themes("cuckooing");
  EXPECT_THAT(RaiseStatus(request), InvalidNaming("details.themes: at most 100 entries"));
  request = ValidRaise();
  for (size_t i = 0; i <= identity::kDefaultMaxListLength; ++i) {
    request.mutable_details()->add_desired_outcomes()->set_text("x");
  }
  EXPECT_THAT(RaiseStatus(request), InvalidNaming("details.desired_outcomes: at most"));
}

TEST(IntakeTranslateTest, MissingRequiredFieldsAreRefused) {
  api::RaiseConcernRequest request = ValidRaise();
  request.mutable_details()->clear_what_happened();
  EXPECT_THAT(RaiseStatus(request), InvalidNaming("details.what_happened: required"));
  request = ValidRaise();
  request.mutable_details()->clear_types_of_risk();
  EXPECT_THAT(RaiseStatus(request), InvalidNaming("details.types_of_risk: at least one"));
  request = ValidRaise();
  request.mutable_details()->clear_location_of_risk();
  EXPECT_THAT(RaiseStatus(request), InvalidNaming("details.location_of_risk: required"));
  request = ValidRaise();
  request.mutable_details()->mutable_consent()->clear_status();
  EXPECT_THAT(RaiseStatus(request), InvalidNaming("details.consent.status: required"));

  api::RecordThresholdDecisionRequest decision;
  decision.mutable_header()->set_command_id("d-1");
  decision.mutable_header()->set_expected_version(1);
  decision.set_concern_id("c-1");
  decision.set_rationale("r");
  EXPECT_THAT(RecordThresholdDecisionFromProto(Caller(), decision, kNow).status(),
              InvalidNaming("route: required"));
  decision.set_route(common::v1::THRESHOLD_ROUTE_S42_ENQUIRY);
  decision.clear_rationale();
  EXPECT_THAT(RecordThresholdDecisionFromProto(Caller(), decision, kNow).status(),
              InvalidNaming("rationale: required"));

  api::RecordReferrerFeedbackRequest feedback;
  feedback.mutable_header()->set_command_id("f-1");
  feedback.mutable_header()->set_expected_version(1);
  feedback.set_concern_id("c-1");
  EXPECT_THAT(RecordReferrerFeedbackFromProto(Caller(), feedback, kNow).status(),
              InvalidNaming("feedback: required"));

  api::RequestResearchRequest research;
  research.mutable_header()->set_command_id("q-1");
  research.mutable_header()->set_expected_version(1);
  research.set_concern_id("c-1");
  research.set_questions("anything?");
  EXPECT_THAT(RequestResearchFromProto(Caller(), research, kNow).status(),
              InvalidNaming("agency_id: required"));

  api::CorrectPersonDetailsRequest correction;
  correction.mutable_header()->set_command_id("k-1");
  correction.mutable_header()->set_expected_version(0);
  correction.set_person_id("p-1");
  *correction.mutable_details() = ValidRaise().adult();
  EXPECT_THAT(CorrectPersonDetailsFromProto(Caller(), correction, kNow).status(),
              InvalidNaming("reason: required"));

  api::RecordRepresentativeRequest representative;
  representative.mutable_header()->set_command_id("k-2");
  representative.mutable_header()->set_expected_version(0);
  representative.set_person_id("p-1");
  representative.mutable_representative()->set_name("Ann");
  EXPECT_THAT(RecordRepresentativeFromProto(Caller(), representative, kNow).status(),
              InvalidNaming("representative.kind: required"));
  representative.mutable_representative()->set_kind(common::v1::REPRESENTATIVE_KIND_DEPUTY);
  representative.mutable_representative()->clear_name();
  EXPECT_THAT(RecordRepresentativeFromProto(Caller(), representative, kNow).status(),
              InvalidNaming("representative.name: required"));
}

TEST(IntakeTranslateTest, BadDatesTimesPostcodesAndAreaCodesAreRefused) {
  api::RaiseConcernRequest request = ValidRaise();
  request.mutable_adult()->mutable_date_of_birth()->set_day(30);  // 30 February
  EXPECT_THAT(RaiseStatus(request), InvalidNaming("adult.date_of_birth: not a valid date"));
  request = ValidRaise();
  request.mutable_adult()->mutable_date_of_birth()->set_year(2030);
  EXPECT_THAT(RaiseStatus(request), InvalidNaming("adult.date_of_birth: in the future"));
  request = ValidRaise();
  request.mutable_adult()->mutable_address()->set_postcode("NOT A POSTCODE");
  EXPECT_THAT(RaiseStatus(request), InvalidNaming("adult.address.postcode: not a UK postcode"));
  request = ValidRaise();
  request.mutable_details()->set_local_authority_code("Northshire");
  EXPECT_THAT(RaiseStatus(request), InvalidNaming("details.local_authority_code: not an ONS"));
  request = ValidRaise();
  request.mutable_details()->mutable_incident_started_at()->set_nanos(-1);
  EXPECT_THAT(RaiseStatus(request), InvalidNaming("details.incident_started_at: out of range"));

  api::RequestResearchRequest research;
  research.mutable_header()->set_command_id("q-1");
  research.mutable_header()->set_expected_version(1);
  research.set_concern_id("c-1");
  research.set_agency_id("police-northshire");
  research.set_questions("anything?");
  research.mutable_due_at()->set_seconds(-99999999999);
  EXPECT_THAT(RequestResearchFromProto(Caller(), research, kNow).status(),
              InvalidNaming("due_at: out of range"));
  research.mutable_due_at()->set_seconds(absl::ToUnixSeconds(kNow) + 3600);
  absl::StatusOr<IntakeStreamCommand<domain::intake::RequestResearch>> ok =
      RequestResearchFromProto(Caller(), research, kNow);
  ASSERT_THAT(ok, IsOk());
  ASSERT_TRUE(ok->command.due_at.has_value());
  EXPECT_EQ(*ok->command.due_at, kNow + absl::Hours(1));
}

TEST(IntakeTranslateTest, AnswerKeepsMarkingsInOrder) {
  api::AnswerResearchRequest answer;
  answer.mutable_header()->set_command_id("a-1");
  answer.mutable_header()->set_expected_version(2);
  answer.set_concern_id("c-1");
  answer.set_request_id("r-1");
  answer.set_answer("Two callouts in 2023.");
  answer.add_markings(common::v1::HANDLING_MARKING_NOT_TO_ADULT_OR_FAMILY);
  answer.add_markings(common::v1::HANDLING_MARKING_MASH_DECISION_MAKERS_ONLY);
  absl::StatusOr<IntakeStreamCommand<domain::intake::AnswerResearch>> command =
      AnswerResearchFromProto(Caller(), answer, kNow);
  ASSERT_THAT(command, IsOk());
  EXPECT_THAT(command->command.markings,
              ElementsAre(common::v1::HANDLING_MARKING_NOT_TO_ADULT_OR_FAMILY,
                          common::v1::HANDLING_MARKING_MASH_DECISION_MAKERS_ONLY));
}

TEST(IntakeTranslateTest, RepresentativeIdIsAssignedByTheHub) {
  api::RecordRepresentativeRequest representative;
  representative.mutable_header()->set_command_id("k-2");
  representative.mutable_header()->set_expected_version(0);
  representative.set_person_id("p-1");
  representative.mutable_representative()->set_kind(common::v1::REPRESENTATIVE_KIND_DEPUTY);
  representative.mutable_representative()->set_name("Ann");
  representative.mutable_representative()->set_representative_id("chosen-by-client");
  absl::StatusOr<IntakeStreamCommand<domain::people::RecordRepresentative>> command =
      RecordRepresentativeFromProto(Caller(), representative, kNow);
  ASSERT_THAT(command, IsOk());
  EXPECT_EQ(command->command.representative.representative_id(), "");
}

}  // namespace
}  // namespace hub::services
