// The intake services end to end in one process: People, ReferralIntake and Mash on an
// in-process gRPC server on 127.0.0.1:0, over a real RocksDB event log in a fresh temp dir,
// with a manual clock, an inline partnership and the metadata authenticator, driven by the
// generated client stubs exactly as a remote client would.
#include <algorithm>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "domain/common/envelope.h"
#include "domain/common/streams.h"
#include "eventstore/event_log.h"
#include "eventstore/rocksdb/rocksdb_event_log.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "hub/api/v1/mash_service.grpc.pb.h"
#include "hub/api/v1/people_service.grpc.pb.h"
#include "hub/api/v1/referral_intake_service.grpc.pb.h"
#include "hub/events/v1/events.pb.h"
#include "services/common/authenticator.h"
#include "app/command_request.h"
#include "config/partnership.h"
#include "services/common/service_deps.h"
#include "services/intake/mash_service.h"
#include "services/intake/people_service.h"
#include "services/intake/referral_intake_service.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hub {
namespace {

namespace api = ::hub::api::v1;
using events::v1::Event;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr char kPartnership[] = R"pb(
  name: "Northshire Safeguarding Adults Partnership"
  host_local_authority_code: "E06000999"
  agencies {
    agency_id: "asc-northshire"
    name: "Northshire Adult Social Care"
    kind: AGENCY_KIND_ADULT_SOCIAL_CARE
    local_authority_code: "E06000999"
  }
  agencies { agency_id: "police-northshire" name: "Northshire Police" kind: AGENCY_KIND_POLICE }
  agencies { agency_id: "nhs-acute" name: "Northshire Hospitals" kind: AGENCY_KIND_ACUTE_HEALTH }
  calendar {
    time_zone: "Europe/London"
    holidays { year: 2024 month: 8 day: 26 }
  }
)pb";

constexpr char kNhsNumber[] = "9434765919";

// Who calls: the metadata the development authenticator trusts.
struct Who {
  std::string agency;
  std::string user;
  std::string roles;
};
const Who kNurse{"nhs-acute", "nurse-1", "referrer"};
const Who kTriager{"asc-northshire", "mash-1", "mash_triage"};
const Who kManager{"asc-northshire", "manager-1", "safeguarding_manager"};
const Who kPoliceResearcher{"police-northshire", "pc-1", "mash_researcher"};
const Who kPoliceManager{"police-northshire", "di-1", "safeguarding_manager"};

std::unique_ptr<grpc::ClientContext> As(const Who& who) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  if (!who.agency.empty()) context->AddMetadata("x-hub-agency", who.agency);
  if (!who.user.empty()) context->AddMetadata("x-hub-user", who.user);
  if (!who.roles.empty()) context->AddMetadata("x-hub-roles", who.roles);
  return context;
}

api::CommandHeader Header(const std::string& command_id, int64_t expected_version = -2) {
  api::CommandHeader header;
  header.set_command_id(command_id);
  if (expected_version != -2) header.set_expected_version(expected_version);
  return header;
}

common::v1::AdultDetails Adult(const std::string& nhs_number = kNhsNumber) {
  common::v1::AdultDetails adult;
  if (!nhs_number.empty()) {
    common::v1::Identifier* id = adult.add_identifiers();
    id->set_kind(common::v1::IDENTIFIER_KIND_NHS_NUMBER);
    id->set_value(nhs_number);
  }
  adult.mutable_name()->set_given("Mary");
  adult.mutable_name()->set_family("Jones");
  adult.mutable_address()->set_postcode("NS1 1AA");
  return adult;
}

api::RaiseConcernRequest Raise(const std::string& command_id,
                               const common::v1::AdultDetails& adult = Adult()) {
  api::RaiseConcernRequest request;
  *request.mutable_header() = Header(command_id);
  *request.mutable_adult() = adult;
  common::v1::ConcernDetails* details = request.mutable_details();
  details->set_what_happened("Bruising on both arms; says her son grabbed her.");
  details->add_types_of_risk(common::v1::TYPE_OF_RISK_PHYSICAL_ABUSE);
  details->set_location_of_risk(common::v1::LOCATION_OF_RISK_OWN_HOME);
  details->mutable_referrer()->set_name("Nurse Patel");
  details->mutable_consent()->set_status(common::v1::CONSENT_STATUS_GIVEN);
  details->add_desired_outcomes()->set_text("I want it to stop");
  details->mutable_others_at_risk()->set_children_at_risk(true);
  return request;
}

class IntakeServicesTest : public ::testing::Test {
 protected:
  // Monday 2024-06-03 10:00 BST.
  IntakeServicesTest()
      : clock_(absl::FromCivil(absl::CivilSecond(2024, 6, 3, 9, 0, 0), absl::UTCTimeZone())) {}

  void SetUp() override {
    absl::StatusOr<config::Partnership> partnership =
        config::Partnership::FromText(kPartnership, "inline");
    ASSERT_THAT(partnership, testing::IsOk());
    partnership_ = std::make_unique<config::Partnership>(*std::move(partnership));
    eventstore::RocksDbOptions options;
    options.clock = &clock_;
    options.sync = false;  // nothing here measures durability
    absl::StatusOr<std::unique_ptr<eventstore::EventLog>> log =
        eventstore::OpenRocksDbEventLog(dir_.Sub("data"), options);
    ASSERT_THAT(log, testing::IsOk());
    log_ = *std::move(log);
    authenticator_ = services::NewMetadataAuthenticator(*partnership_);
    const services::ServiceDeps deps{*log_, *partnership_, clock_, *authenticator_};
    people_ = std::make_unique<services::PeopleService>(deps);
    intake_ = std::make_unique<services::ReferralIntakeService>(deps);
    mash_ = std::make_unique<services::MashService>(deps);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(people_.get());
    builder.RegisterService(intake_.get());
    builder.RegisterService(mash_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    auto channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
    people_stub_ = api::People::NewStub(channel);
    intake_stub_ = api::ReferralIntake::NewStub(channel);
    mash_stub_ = api::Mash::NewStub(channel);
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(std::chrono::system_clock::now());
    if (log_ != nullptr) log_->Close();
  }

  int64_t Head() { return log_->GetHead().position.value(); }

  std::vector<Event> ReadStream(const std::string& stream) {
    eventstore::ReadStreamOptions options;
    options.limit = 1000;
    absl::StatusOr<eventstore::ReadStreamResult> read = log_->ReadStream(stream, options);
    EXPECT_THAT(read, testing::IsOk());
    std::vector<Event> out;
    if (!read.ok()) return out;
    for (const eventstore::RecordedEvent& recorded : read->events) {
      Event event;
      EXPECT_TRUE(event.ParseFromString(recorded.payload));
      out.push_back(event);
    }
    return out;
  }

  grpc::Status RaiseConcern(const api::RaiseConcernRequest& request,
                            api::RaiseConcernResponse* response, const Who& who = kNurse) {
    return intake_stub_->RaiseConcern(As(who).get(), request, response);
  }

  api::RaiseConcernResponse MustRaise(const std::string& command_id,
                                      const common::v1::AdultDetails& adult = Adult()) {
    api::RaiseConcernResponse response;
    const grpc::Status status = RaiseConcern(Raise(command_id, adult), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  grpc::Status Triage(const std::string& command_id, const std::string& concern_id,
                      int64_t expected_version, api::TriageConcernResponse* response,
                      const Who& who = kTriager) {
    api::TriageConcernRequest request;
    *request.mutable_header() = Header(command_id, expected_version);
    request.set_concern_id(concern_id);
    request.set_rating(common::v1::RAG_RATING_AMBER);
    request.set_rationale("Physical abuse by a family member; not in immediate danger.");
    return mash_stub_->TriageConcern(As(who).get(), request, response);
  }

  api::RecordThresholdDecisionRequest S42Decision(const std::string& command_id,
                                                  const std::string& concern_id,
                                                  int64_t expected_version) {
    api::RecordThresholdDecisionRequest request;
    *request.mutable_header() = Header(command_id, expected_version);
    request.set_concern_id(concern_id);
    request.set_has_care_and_support_needs(true);
    request.set_experiencing_or_at_risk(true);
    request.set_unable_to_protect_self(true);
    request.set_route(common::v1::THRESHOLD_ROUTE_S42_ENQUIRY);
    request.set_rationale("All three s42(1) criteria are met.");
    return request;
  }

  grpc::Status Decide(const api::RecordThresholdDecisionRequest& request,
                      api::RecordThresholdDecisionResponse* response, const Who& who = kManager) {
    return mash_stub_->RecordThresholdDecision(As(who).get(), request, response);
  }

  absl::Time London(int y, int m, int d, int hh) {
    return absl::FromCivil(absl::CivilSecond(y, m, d, hh, 0, 0), partnership_->time_zone());
  }

  ManualClock clock_;
  hub::testing::TempDir dir_;
  std::unique_ptr<config::Partnership> partnership_;
  std::unique_ptr<eventstore::EventLog> log_;
  std::unique_ptr<services::Authenticator> authenticator_;
  std::unique_ptr<services::PeopleService> people_;
  std::unique_ptr<services::ReferralIntakeService> intake_;
  std::unique_ptr<services::MashService> mash_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<api::People::Stub> people_stub_;
  std::unique_ptr<api::ReferralIntake::Stub> intake_stub_;
  std::unique_ptr<api::Mash::Stub> mash_stub_;
};

TEST_F(IntakeServicesTest, RaiseTriageResearchAnswerAndDecideOpensAnEnquiry) {
  const api::RaiseConcernResponse raised = MustRaise("raise-1");
  EXPECT_EQ(raised.concern_id(), app::DeriveId("nhs-acute/nurse-1/raise-1", "concern"));
  EXPECT_EQ(raised.person_id(), app::DeriveId("nhs-acute/nurse-1/raise-1", "person"));
  EXPECT_FALSE(raised.linked_to_existing_person());
  EXPECT_EQ(raised.episode(), 1);
  EXPECT_THAT(raised.previous_concern_ids(), IsEmpty());
  EXPECT_EQ(raised.result().stream(), domain::ConcernStream(raised.concern_id()));
  EXPECT_EQ(raised.result().version(), 0);
  EXPECT_FALSE(raised.result().replayed());
  const std::string concern = raised.concern_id();

  api::TriageConcernResponse triaged;
  ASSERT_TRUE(Triage("triage-1", concern, 0, &triaged).ok());
  EXPECT_EQ(triaged.result().version(), 1);
  // Amber: 24 working hours from Monday 10:00 = Thursday 10:00 (BST).
  EXPECT_EQ(domain::FromTimestamp(triaged.decision_due_at()), London(2024, 6, 6, 10));

  clock_.Advance(absl::Hours(1));
  api::RequestResearchRequest ask;
  *ask.mutable_header() = Header("ask-1", 1);
  ask.set_concern_id(concern);
  ask.set_agency_id("police-northshire");
  ask.set_questions("Any callouts to the address? Is the son known?");
  api::RequestResearchResponse asked;
  grpc::Status status = mash_stub_->RequestResearch(As(kTriager).get(), ask, &asked);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(asked.result().version(), 2);
  EXPECT_FALSE(asked.request_id().empty());
  // Halfway between now (11:00 BST Monday) and the deadline (10:00 BST Thursday), in clock time.
  EXPECT_EQ(domain::FromTimestamp(asked.due_at()),
            London(2024, 6, 3, 11) + (London(2024, 6, 6, 10) - London(2024, 6, 3, 11)) / 2);

  api::AnswerResearchRequest answer;
  *answer.mutable_header() = Header("answer-1", 2);
  answer.set_concern_id(concern);
  answer.set_request_id(asked.request_id());
  answer.set_answer("Two domestic callouts in 2023; the son has a caution for assault.");
  answer.add_markings(common::v1::HANDLING_MARKING_MASH_DECISION_MAKERS_ONLY);
  api::AnswerResearchResponse answered;
  status = mash_stub_->AnswerResearch(As(kPoliceResearcher).get(), answer, &answered);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(answered.result().version(), 3);

  api::RecordThresholdDecisionRequest decision = S42Decision("decide-1", concern, 3);
  decision.set_referrer_feedback_given(true);
  decision.set_referrer_feedback("Told Nurse Patel an enquiry has started.");
  api::RecordThresholdDecisionResponse decided;
  status = Decide(decision, &decided);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(decided.result().version(), 4);
  EXPECT_EQ(decided.enquiry_id(), app::DeriveId("asc-northshire/manager-1/decide-1", "enquiry"));
  EXPECT_EQ(decided.enquiry_result().stream(), domain::EnquiryStream(decided.enquiry_id()));
  EXPECT_EQ(decided.enquiry_result().version(), 0);
  EXPECT_GT(decided.enquiry_result().global_position(), decided.result().global_position());

  const std::vector<Event> enquiry = ReadStream(domain::EnquiryStream(decided.enquiry_id()));
  ASSERT_EQ(enquiry.size(), 1u);
  const events::v1::EnquiryOpened& opened = enquiry[0].enquiry_opened();
  EXPECT_EQ(opened.concern_id(), concern);
  EXPECT_EQ(opened.person_id(), raised.person_id());
  EXPECT_EQ(opened.type(), common::v1::ENQUIRY_TYPE_SECTION_42);
  ASSERT_EQ(opened.desired_outcomes_size(), 1);
  EXPECT_EQ(opened.desired_outcomes(0).outcome_id(), concern + "-1");
  EXPECT_TRUE(opened.others_at_risk().children_at_risk());
  EXPECT_EQ(opened.local_authority_code(), "E06000999");
  EXPECT_EQ(enquiry[0].actor().agency_id(), "asc-northshire");

  api::RecordReferrerFeedbackRequest feedback;
  *feedback.mutable_header() = Header("feedback-1", 4);
  feedback.set_concern_id(concern);
  feedback.set_feedback("Phoned again with the enquiry officer's name.");
  api::RecordReferrerFeedbackResponse fed_back;
  status = mash_stub_->RecordReferrerFeedback(As(kTriager).get(), feedback, &fed_back);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(fed_back.result().version(), 5);
}

TEST_F(IntakeServicesTest, ASecondConcernWithTheSameNhsNumberAttachesToTheSamePerson) {
  const api::RaiseConcernResponse first = MustRaise("raise-1");
  const api::RaiseConcernResponse second = MustRaise("raise-2", Adult("943 476 5919"));
  EXPECT_EQ(second.person_id(), first.person_id());
  EXPECT_TRUE(second.linked_to_existing_person());
  EXPECT_EQ(second.episode(), 2);
  EXPECT_THAT(second.previous_concern_ids(), ElementsAre(first.concern_id()));

  // A concern the MASH raises against the known person id continues the same history; the
  // nurse, who only raised concerns about her, describes her instead.
  api::RaiseConcernRequest by_id = Raise("raise-3");
  by_id.set_person_id(first.person_id());
  api::RaiseConcernResponse third;
  EXPECT_EQ(RaiseConcern(by_id, &third).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(RaiseConcern(by_id, &third, kTriager).ok());
  EXPECT_EQ(third.person_id(), first.person_id());
  EXPECT_TRUE(third.linked_to_existing_person());
  EXPECT_EQ(third.episode(), 3);
  EXPECT_THAT(third.previous_concern_ids(), ElementsAre(first.concern_id(), second.concern_id()));
  const std::vector<Event> concern = ReadStream(domain::ConcernStream(third.concern_id()));
  ASSERT_EQ(concern.size(), 1u);
  EXPECT_EQ(concern[0].concern_raised().adult().name().family(), "Jones");  // from the record

  const std::vector<Event> person = ReadStream(domain::PersonStream(first.person_id()));
  ASSERT_EQ(person.size(), 4u);  // registered + three links
  EXPECT_TRUE(person[0].has_person_registered());
  EXPECT_EQ(person[3].person_concern_linked().episode(), 3);
  common::v1::Identifier nhs;
  nhs.set_kind(common::v1::IDENTIFIER_KIND_NHS_NUMBER);
  nhs.set_value(kNhsNumber);
  EXPECT_EQ(ReadStream(domain::IdentifierStream(nhs)).size(), 1u);
}

TEST_F(IntakeServicesTest, RegisteredPersonIsFoundByAnyIdentifierAndClaimsNewOnes) {
  common::v1::AdultDetails details = Adult("");
  common::v1::Identifier* la = details.add_identifiers();
  la->set_kind(common::v1::IDENTIFIER_KIND_LA_CLIENT_ID);
  la->set_value("ASC-000123");
  la->set_issuer("E06000999");
  api::RegisterPersonRequest registration;
  *registration.mutable_header() = Header("register-1");
  *registration.mutable_details() = details;
  api::RegisterPersonResponse registered;
  grpc::Status status = people_stub_->RegisterPerson(As(kTriager).get(), registration, &registered);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(registered.linked_to_existing_person());
  EXPECT_EQ(registered.result().version(), 0);

  // The police know her by LA client id and NHS number: same person, and the NHS number is
  // now claimed for her.
  common::v1::AdultDetails police_view = Adult();
  *police_view.add_identifiers() = *la;
  const api::RaiseConcernResponse raised = MustRaise("raise-1", police_view);
  const std::vector<Event> concern = ReadStream(domain::ConcernStream(raised.concern_id()));
  ASSERT_EQ(concern.size(), 1u);
  EXPECT_EQ(concern[0].concern_raised().person_id(), registered.person_id());
  EXPECT_TRUE(concern[0].concern_raised().linked_to_existing_person());
  EXPECT_EQ(concern[0].concern_raised().episode(), 1);
  // The raiser is told nothing of the record the MASH keeps: no id, no link, no episode.
  EXPECT_EQ(raised.person_id(), "");
  EXPECT_FALSE(raised.linked_to_existing_person());
  EXPECT_EQ(raised.episode(), 0);
  // Its next concern about her follows its own first: that history is its own.
  const api::RaiseConcernResponse by_nhs = MustRaise("raise-2");
  EXPECT_EQ(by_nhs.person_id(), registered.person_id());
  EXPECT_EQ(by_nhs.episode(), 2);

  // Registering again links instead of duplicating; a retry replays.
  api::RegisterPersonResponse again;
  *registration.mutable_header() = Header("register-2");
  ASSERT_TRUE(people_stub_->RegisterPerson(As(kTriager).get(), registration, &again).ok());
  EXPECT_EQ(again.person_id(), registered.person_id());
  EXPECT_TRUE(again.linked_to_existing_person());
  *registration.mutable_header() = Header("register-1");
  const int64_t head = Head();
  ASSERT_TRUE(people_stub_->RegisterPerson(As(kTriager).get(), registration, &again).ok());
  EXPECT_TRUE(again.result().replayed());
  EXPECT_EQ(again.result().version(), 0);
  EXPECT_EQ(Head(), head);
}

TEST_F(IntakeServicesTest, ConcurrentConcernsForTheSameNewNhsNumberMakeOnePerson) {
  constexpr int kThreads = 4;
  std::vector<api::RaiseConcernResponse> responses(kThreads);
  std::vector<grpc::Status> statuses(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back(
        [&, i] { statuses[i] = RaiseConcern(Raise(absl::StrCat("raise-", i)), &responses[i]); });
  }
  for (std::thread& t : threads) t.join();
  std::set<std::string> people;
  std::set<int> episodes;
  for (int i = 0; i < kThreads; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << statuses[i].error_message();
    people.insert(responses[i].person_id());
    episodes.insert(responses[i].episode());
  }
  ASSERT_EQ(people.size(), 1u);
  EXPECT_THAT(episodes, UnorderedElementsAre(1, 2, 3, 4));
  const std::vector<Event> person = ReadStream(domain::PersonStream(*people.begin()));
  EXPECT_EQ(std::count_if(person.begin(), person.end(),
                          [](const Event& e) { return e.has_person_registered(); }),
            1);
  EXPECT_EQ(std::count_if(person.begin(), person.end(),
                          [](const Event& e) { return e.has_person_concern_linked(); }),
            kThreads);
  common::v1::Identifier nhs;
  nhs.set_kind(common::v1::IDENTIFIER_KIND_NHS_NUMBER);
  nhs.set_value(kNhsNumber);
  const std::vector<Event> claims = ReadStream(domain::IdentifierStream(nhs));
  ASSERT_EQ(claims.size(), 1u);
  EXPECT_EQ(claims[0].identifier_claimed().person_id(), *people.begin());
}

TEST_F(IntakeServicesTest, RetriedCommandsReplayTheOriginalResultAndAppendNothing) {
  const api::RaiseConcernResponse raised = MustRaise("raise-1");
  int64_t head = Head();
  const api::RaiseConcernResponse again = MustRaise("raise-1");
  EXPECT_TRUE(again.result().replayed());
  EXPECT_EQ(again.concern_id(), raised.concern_id());
  EXPECT_EQ(again.person_id(), raised.person_id());
  EXPECT_EQ(again.episode(), 1);
  EXPECT_EQ(again.result().version(), raised.result().version());
  EXPECT_EQ(again.result().global_position(), raised.result().global_position());
  EXPECT_EQ(Head(), head);

  api::TriageConcernResponse triaged, triaged_again;
  ASSERT_TRUE(Triage("triage-1", raised.concern_id(), 0, &triaged).ok());
  head = Head();
  clock_.Advance(absl::Minutes(5));
  // The retry states the version the client saw before: the original answer still comes back.
  ASSERT_TRUE(Triage("triage-1", raised.concern_id(), 0, &triaged_again).ok());
  EXPECT_TRUE(triaged_again.result().replayed());
  EXPECT_EQ(triaged_again.result().version(), 1);
  EXPECT_EQ(domain::FromTimestamp(triaged_again.decision_due_at()),
            domain::FromTimestamp(triaged.decision_due_at()));
  EXPECT_EQ(Head(), head);

  api::RecordThresholdDecisionResponse decided, decided_again;
  ASSERT_TRUE(Decide(S42Decision("decide-1", raised.concern_id(), 1), &decided).ok());
  head = Head();
  ASSERT_TRUE(Decide(S42Decision("decide-1", raised.concern_id(), 1), &decided_again).ok());
  EXPECT_TRUE(decided_again.result().replayed());
  EXPECT_EQ(decided_again.result().version(), decided.result().version());
  EXPECT_EQ(decided_again.enquiry_id(), decided.enquiry_id());
  EXPECT_TRUE(decided_again.enquiry_result().replayed());
  EXPECT_EQ(decided_again.enquiry_result().global_position(),
            decided.enquiry_result().global_position());
  EXPECT_EQ(Head(), head);
}

TEST_F(IntakeServicesTest, ARetryCompletesADecisionWhoseEnquiryWasNeverWritten) {
  const api::RaiseConcernResponse raised = MustRaise("raise-1");
  api::TriageConcernResponse triaged;
  ASSERT_TRUE(Triage("triage-1", raised.concern_id(), 0, &triaged).ok());
  // As if the server stopped between the decision and the enquiry: only the decision is in
  // the log.
  const std::string key = "asc-northshire/manager-1/decide-1";
  const std::string enquiry_id = app::DeriveId(key, "enquiry");
  domain::CommandContext ctx;
  ctx.caller.agency_id = "asc-northshire";
  ctx.caller.agency_kind = common::v1::AGENCY_KIND_ADULT_SOCIAL_CARE;
  ctx.caller.user_id = "manager-1";
  ctx.now = clock_.Now();
  ctx.command_key = key;
  Event decision = domain::NewEvent(ctx);
  decision.mutable_threshold_decision_made()->set_route(common::v1::THRESHOLD_ROUTE_S42_ENQUIRY);
  decision.mutable_threshold_decision_made()->set_enquiry_id(enquiry_id);
  decision.mutable_threshold_decision_made()->set_rationale("met");
  eventstore::AppendRequest append;
  append.stream = domain::ConcernStream(raised.concern_id());
  append.expected = eventstore::ExpectedVersion::Exact(StreamVersion(1));
  append.idempotency_key = key;
  append.events.push_back({"", "ThresholdDecisionMade", 1, decision.SerializeAsString(), {}});
  ASSERT_THAT(log_->Append(append), testing::IsOk());

  api::RecordThresholdDecisionResponse decided;
  const grpc::Status status = Decide(S42Decision("decide-1", raised.concern_id(), 1), &decided);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(decided.result().replayed());
  EXPECT_EQ(decided.enquiry_id(), enquiry_id);
  EXPECT_FALSE(decided.enquiry_result().replayed());
  const std::vector<Event> enquiry = ReadStream(domain::EnquiryStream(enquiry_id));
  ASSERT_EQ(enquiry.size(), 1u);
  EXPECT_EQ(enquiry[0].enquiry_opened().concern_id(), raised.concern_id());
  EXPECT_EQ(enquiry[0].command_id(), key);
}

TEST_F(IntakeServicesTest, AClaimWhosePersonWasNeverRegisteredIsCompleted) {
  // As if the server stopped between claiming the NHS number and registering the person.
  domain::CommandContext ctx;
  ctx.caller.agency_id = "police-northshire";
  ctx.now = clock_.Now();
  ctx.command_key = "police-northshire/lost-1";
  Event claim = domain::NewEvent(ctx);
  claim.mutable_identifier_claimed()->mutable_identifier()->set_kind(
      common::v1::IDENTIFIER_KIND_NHS_NUMBER);
  claim.mutable_identifier_claimed()->mutable_identifier()->set_value(kNhsNumber);
  claim.mutable_identifier_claimed()->set_person_id("orphan-1");
  eventstore::AppendRequest append;
  append.stream = domain::IdentifierStream(claim.identifier_claimed().identifier());
  append.expected = eventstore::ExpectedVersion::NoStream();
  append.events.push_back({"", "IdentifierClaimed", 1, claim.SerializeAsString(), {}});
  ASSERT_THAT(log_->Append(append), testing::IsOk());

  const api::RaiseConcernResponse raised = MustRaise("raise-1");
  EXPECT_EQ(raised.person_id(), "orphan-1");
  EXPECT_TRUE(raised.linked_to_existing_person());
  EXPECT_EQ(raised.episode(), 1);
  const std::vector<Event> person = ReadStream(domain::PersonStream("orphan-1"));
  ASSERT_EQ(person.size(), 2u);
  EXPECT_EQ(person[0].person_registered().details().name().given(), "Mary");
  EXPECT_TRUE(person[1].has_person_concern_linked());
}

TEST_F(IntakeServicesTest, AStaleExpectedVersionIsAbortedAndAppendsNothing) {
  const api::RaiseConcernResponse raised = MustRaise("raise-1");
  const int64_t head = Head();
  grpc::ClientContext context;
  context.AddMetadata("x-hub-agency", kTriager.agency);
  context.AddMetadata("x-hub-user", kTriager.user);
  context.AddMetadata("x-hub-roles", kTriager.roles);
  api::TriageConcernRequest request;
  *request.mutable_header() = Header("triage-1", 5);
  request.set_concern_id(raised.concern_id());
  request.set_rating(common::v1::RAG_RATING_RED);
  request.set_rationale("x");
  api::TriageConcernResponse response;
  const grpc::Status status = mash_stub_->TriageConcern(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find("hub-actual-version");
  ASSERT_NE(it, trailers.end());
  EXPECT_EQ(std::string(it->second.data(), it->second.size()), "0");
  EXPECT_EQ(Head(), head);
}

TEST_F(IntakeServicesTest, AnUnknownConcernOrPersonIsNotFound) {
  api::TriageConcernResponse triaged;
  grpc::Status status = Triage("triage-1", "no-such-concern", 0, &triaged);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("concern_id: no such concern"));

  api::RaiseConcernRequest request = Raise("raise-1");
  request.set_person_id("no-such-person");
  api::RaiseConcernResponse raised;
  // The MASH, which keeps every person record, hears that there is none.
  status = RaiseConcern(request, &raised, kTriager);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("person_id: no such person"));
  // Any other agency hears what it would of a person it is not connected to.
  status = RaiseConcern(request, &raised);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(),
              HasSubstr("person_id: not known to the hub, or nhs-acute is not connected"));
  EXPECT_EQ(Head(), -1);

  const api::RaiseConcernResponse concern = MustRaise("raise-2");
  ASSERT_TRUE(Triage("triage-2", concern.concern_id(), 0, &triaged).ok());
  api::RequestResearchRequest ask;
  *ask.mutable_header() = Header("ask-1", 1);
  ask.set_concern_id(concern.concern_id());
  ask.set_agency_id("fire-service");
  ask.set_questions("Any visits?");
  api::RequestResearchResponse asked;
  status = mash_stub_->RequestResearch(As(kTriager).get(), ask, &asked);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("agency_id: not a participating agency"));
}

TEST_F(IntakeServicesTest, AMissingRoleIsPermissionDenied) {
  const api::RaiseConcernResponse raised = MustRaise("raise-1");
  const int64_t head = Head();
  api::TriageConcernResponse triaged;
  grpc::Status status = Triage("triage-1", raised.concern_id(), 0, &triaged, kNurse);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Triage("triage-2", raised.concern_id(), 0, &triaged).ok());

  api::RecordThresholdDecisionResponse decided;
  status = Decide(S42Decision("decide-1", raised.concern_id(), 1), &decided, kTriager);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // A safeguarding manager outside the local authority: s42 is the LA's decision.
  status = Decide(S42Decision("decide-2", raised.concern_id(), 1), &decided, kPoliceManager);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("Adult social care only"));
  EXPECT_EQ(Head(), head + 1);  // only the triage

  api::RaiseConcernResponse anonymous;
  status = intake_stub_->RaiseConcern(As(Who{}).get(), Raise("raise-9"), &anonymous);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(IntakeServicesTest, BadInputIsInvalidArgumentAndAppendsNothing) {
  api::RaiseConcernRequest request = Raise("raise-1", Adult("9434765918"));
  api::RaiseConcernResponse response;
  grpc::Status status = RaiseConcern(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(),
              HasSubstr("adult.identifiers[0].value: not a valid NHS number (check digit)"));
  request = Raise("raise-1");
  request.mutable_details()->set_what_happened(std::string(identity::kDefaultMaxLongText + 1, 'x'));
  status = RaiseConcern(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("details.what_happened"));
  EXPECT_EQ(Head(), -1);
}

TEST_F(IntakeServicesTest, ARefusedConcernWritesNoPersonEither) {
  api::RaiseConcernRequest request = Raise("raise-1");
  request.mutable_details()->mutable_consent()->set_status(common::v1::CONSENT_STATUS_DECLINED);
  api::RaiseConcernResponse response;
  const grpc::Status status = RaiseConcern(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(),
              HasSubstr("raised without consent: record at least one override ground and a "
                        "justification"));
  EXPECT_EQ(Head(), -1);  // no identifier claim, no person, no concern
}

TEST_F(IntakeServicesTest, SharingConsentWithdrawnIsRecordedWithItsOverrideGround) {
  const api::RaiseConcernResponse raised = MustRaise("raise-1");
  api::RecordSharingConsentRequest request;
  *request.mutable_header() = Header("consent-1", raised.result().version());
  request.set_concern_id(raised.concern_id());
  request.set_consent_given(false);
  request.add_override_grounds(common::v1::OVERRIDE_GROUND_RISK_TO_OTHERS);
  api::RecordSharingConsentResponse response;
  const int64_t head = Head();

  // An override ground needs its reasons in words; nothing is written without them.
  grpc::Status status = mash_stub_->RecordSharingConsent(As(kTriager).get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("explain why the override ground"));
  // A bad ground names the field.
  request.add_override_grounds(static_cast<common::v1::OverrideGround>(99));
  status = mash_stub_->RecordSharingConsent(As(kTriager).get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("override_grounds[1]"));
  // A referrer may not record it.
  request.mutable_override_grounds()->RemoveLast();
  request.set_justification("Her grandson visits daily and is named as the source of harm.");
  status = mash_stub_->RecordSharingConsent(As(kNurse).get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Head(), head);

  request.set_adults_words("I don't want the doctors told any more.");
  status = mash_stub_->RecordSharingConsent(As(kTriager).get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const std::vector<Event> concern = ReadStream(domain::ConcernStream(raised.concern_id()));
  ASSERT_TRUE(concern.back().has_sharing_consent_recorded());
  const events::v1::SharingConsentRecorded& recorded = concern.back().sharing_consent_recorded();
  EXPECT_FALSE(recorded.consent_given());
  EXPECT_THAT(recorded.override_grounds(), ElementsAre(common::v1::OVERRIDE_GROUND_RISK_TO_OTHERS));
  EXPECT_EQ(recorded.adults_words(), "I don't want the doctors told any more.");

  // Consent given again needs no ground, and a ground with consent is refused.
  request.set_consent_given(true);
  *request.mutable_header() = Header("consent-2", response.result().version());
  status = mash_stub_->RecordSharingConsent(As(kTriager).get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("consent is given: record no override ground"));
}

TEST_F(IntakeServicesTest, CorrectionsAndRepresentativesGoOnThePersonStream) {
  const api::RaiseConcernResponse raised = MustRaise("raise-1");
  api::CorrectPersonDetailsRequest correction;
  *correction.mutable_header() = Header("correct-1", 1);
  correction.set_person_id(raised.person_id());
  *correction.mutable_details() = Adult();
  correction.mutable_details()->mutable_address()->set_postcode("ns2 2bb");
  common::v1::Identifier* police = correction.mutable_details()->add_identifiers();
  police->set_kind(common::v1::IDENTIFIER_KIND_POLICE_REFERENCE);
  police->set_value("NS/24/1234");
  correction.set_reason("Moved house; police reference added.");
  api::CorrectPersonDetailsResponse corrected;
  grpc::Status status =
      people_stub_->CorrectPersonDetails(As(kTriager).get(), correction, &corrected);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(corrected.fields_changed(), ElementsAre("identifiers", "address.postcode"));
  EXPECT_EQ(corrected.result().version(), 2);
  // The police reference now links to her.
  common::v1::AdultDetails by_police = Adult("");
  *by_police.add_identifiers() = *police;
  EXPECT_EQ(MustRaise("raise-2", by_police).person_id(), raised.person_id());

  api::RecordRepresentativeRequest lpa;
  *lpa.mutable_header() = Header("lpa-1", 3);
  lpa.set_person_id(raised.person_id());
  lpa.mutable_representative()->set_kind(common::v1::REPRESENTATIVE_KIND_LPA_HEALTH_AND_WELFARE);
  lpa.mutable_representative()->set_name("Ann Jones");
  api::RecordRepresentativeResponse recorded;
  status = people_stub_->RecordRepresentative(As(kTriager).get(), lpa, &recorded);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("no legal effect"));
  lpa.mutable_representative()->set_registered_with_opg(true);
  status = people_stub_->RecordRepresentative(As(kTriager).get(), lpa, &recorded);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(recorded.representative_id(), app::DeriveId("asc-northshire/mash-1/lpa-1", "new"));
  EXPECT_EQ(recorded.result().version(), 4);
}

}  // namespace
}  // namespace hub
