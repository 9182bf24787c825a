// The Enquiry and Advocacy services end to end: an in-process gRPC server on 127.0.0.1:0 over a
// real RocksDB event log in a fresh temp dir, a manual clock, an inline partnership and the
// metadata authenticator, driven by the generated stubs exactly as a remote client would.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "domain/common/envelope.h"
#include "domain/common/streams.h"
#include "eventstore/event_log.h"
#include "eventstore/rocksdb/rocksdb_event_log.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "hub/api/v1/advocacy_service.grpc.pb.h"
#include "hub/api/v1/enquiry_service.grpc.pb.h"
#include "services/common/authenticator.h"
#include "app/case_store.h"
#include "services/common/grpc_status.h"
#include "config/partnership.h"
#include "services/common/service_deps.h"
#include "services/enquiry/advocacy_service.h"
#include "services/enquiry/enquiry_service.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hub {
namespace {

namespace api = ::hub::api::v1;
namespace cv1 = ::hub::common::v1;
namespace ev1 = ::hub::events::v1;
using ::hub::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr char kPartnership[] = R"pb(
  name: "Northshire"
  host_local_authority_code: "E06000999"
  agencies { agency_id: "asc-northshire" name: "ASC" kind: AGENCY_KIND_ADULT_SOCIAL_CARE }
  agencies { agency_id: "police-northshire" name: "Police" kind: AGENCY_KIND_POLICE }
  agencies { agency_id: "voiceability" name: "Advocacy" kind: AGENCY_KIND_ADVOCACY_PROVIDER }
  agencies { agency_id: "housing-northshire" name: "Housing" kind: AGENCY_KIND_HOUSING }
)pb";
constexpr char kEnquiry[] = "e-1";
constexpr char kOutcome[] = "c-1-o-1";

const absl::Time kStart = absl::FromUnixSeconds(1717236000);  // 2024-06-01 10:00 UTC

std::chrono::system_clock::time_point CallDeadline() {
  return std::chrono::system_clock::now() + std::chrono::seconds(30);
}

// Who calls: the metadata the development authenticator trusts.
struct Who {
  std::string agency;
  std::string user;
  std::string roles;
};
const Who kOfficer{"asc-northshire", "u-officer", "enquiry_officer"};
const Who kManager{"asc-northshire", "u-manager", "safeguarding_manager"};
const Who kAdvocate{"voiceability", "u-alex", "advocate"};
const Who kReferrer{"police-northshire", "u-pc", "referrer"};
const Who kPoliceOfficer{"police-northshire", "u-dc", "enquiry_officer"};
const Who kPoliceManager{"police-northshire", "u-dci", "safeguarding_manager"};
const Who kHousingOfficer{"housing-northshire", "u-h", "enquiry_officer"};

void SetCaller(grpc::ClientContext& context, const Who& who) {
  context.set_deadline(CallDeadline());
  if (!who.agency.empty()) context.AddMetadata("x-hub-agency", who.agency);
  if (!who.user.empty()) context.AddMetadata("x-hub-user", who.user);
  if (!who.roles.empty()) context.AddMetadata("x-hub-roles", who.roles);
}

class EnquiryServicesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<config::Partnership> partnership =
        config::Partnership::FromText(kPartnership, "test");
    ASSERT_THAT(partnership, IsOk());
    partnership_ = std::make_unique<config::Partnership>(*std::move(partnership));
    eventstore::RocksDbOptions options;
    options.clock = &clock_;
    options.sync = false;  // nothing here measures durability
    absl::StatusOr<std::unique_ptr<eventstore::EventLog>> log =
        eventstore::OpenRocksDbEventLog(dir_.Sub("data"), options);
    ASSERT_THAT(log, IsOk());
    log_ = *std::move(log);
    authenticator_ = services::NewMetadataAuthenticator(*partnership_);
    const services::ServiceDeps deps{*log_, *partnership_, clock_, *authenticator_};
    enquiry_service_ = std::make_unique<services::EnquiryService>(deps);
    advocacy_service_ = std::make_unique<services::AdvocacyService>(deps);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(enquiry_service_.get());
    builder.RegisterService(advocacy_service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    auto channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
    enquiry_ = api::Enquiry::NewStub(channel);
    advocacy_ = api::Advocacy::NewStub(channel);
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(CallDeadline());
    if (log_ != nullptr) log_->Close();
  }

  // Opens the enquiry as the MASH threshold decision would: an EnquiryOpened envelope written
  // straight through the CaseStore (the Mash service is not under test here).
  void OpenEnquiry(cv1::EnquiryType type = cv1::ENQUIRY_TYPE_SECTION_42) {
    domain::CommandContext ctx;
    ctx.caller = domain::Caller{"asc-northshire",
                                cv1::AGENCY_KIND_ADULT_SOCIAL_CARE,
                                "u-manager",
                                {cv1::ROLE_SAFEGUARDING_MANAGER}};
    ctx.now = clock_.Now();
    ctx.command_key = "asc-northshire/threshold-1";
    ev1::Event event = domain::NewEvent(ctx);
    ev1::EnquiryOpened* opened = event.mutable_enquiry_opened();
    opened->set_enquiry_id(kEnquiry);
    opened->set_concern_id("c-1");
    opened->set_person_id("p-1");
    opened->set_type(type);
    cv1::DesiredOutcome* outcome = opened->add_desired_outcomes();
    outcome->set_outcome_id(kOutcome);
    outcome->set_text("I want to feel safe at home");
    outcome->set_expressed_by(cv1::EXPRESSED_BY_ADULT);
    app::CaseStore store(*log_);
    // The concern it comes from, raised by the police (a partner connected to the case).
    domain::CommandContext raiser;
    raiser.caller = domain::Caller{"police-northshire", cv1::AGENCY_KIND_POLICE, "pc-1",
                                   {cv1::ROLE_REFERRER}};
    raiser.now = clock_.Now();
    raiser.command_key = "police-northshire/pc-1/raise-1";
    ev1::Event raised = domain::NewEvent(raiser);
    raised.mutable_concern_raised()->set_concern_id("c-1");
    raised.mutable_concern_raised()->set_person_id("p-1");
    ASSERT_THAT(store.Append(domain::ConcernStream("c-1"), eventstore::ExpectedVersion::NoStream(),
                             {raised}, raiser, absl::InfiniteFuture()),
                IsOk());
    absl::StatusOr<app::CommandOutcome> appended =
        store.Append(domain::EnquiryStream(kEnquiry), eventstore::ExpectedVersion::NoStream(),
                     {event}, ctx, absl::InfiniteFuture());
    ASSERT_THAT(appended, IsOk());
    version_ = appended->version.value();
  }

  // A header for the next command: a fresh command id at the version last seen.
  api::CommandHeader Header(const std::string& command_id) {
    api::CommandHeader header;
    header.set_command_id(command_id);
    header.set_expected_version(version_);
    return header;
  }

  template <typename Stub, typename Request, typename Response>
  grpc::Status Call(Stub& stub,
                    grpc::Status (Stub::StubInterface::*rpc)(grpc::ClientContext*, const Request&,
                                                             Response*),
                    const Who& who, const Request& request, Response* response) {
    grpc::ClientContext context;
    SetCaller(context, who);
    return (stub.*rpc)(&context, request, response);
  }

  // Calls an Enquiry RPC that must succeed, and remembers the version it left.
  template <typename Request, typename Response>
  Response Must(grpc::Status (api::Enquiry::StubInterface::*rpc)(grpc::ClientContext*,
                                                                 const Request&, Response*),
                const Who& who, const Request& request) {
    Response response;
    const grpc::Status status = Call(*enquiry_, rpc, who, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
    if (status.ok()) version_ = response.result().version();
    return response;
  }
  template <typename Request, typename Response>
  Response MustAdvocacy(grpc::Status (api::Advocacy::StubInterface::*rpc)(grpc::ClientContext*,
                                                                          const Request&,
                                                                          Response*),
                        const Who& who, const Request& request) {
    Response response;
    const grpc::Status status = Call(*advocacy_, rpc, who, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
    if (status.ok()) version_ = response.result().version();
    return response;
  }

  int64_t Head() { return log_->GetHead().position.value(); }

  std::vector<std::string> StreamTypes() {
    app::CaseStore store(*log_);
    absl::StatusOr<app::LoadedStream> loaded =
        store.Load(domain::EnquiryStream(kEnquiry), absl::InfiniteFuture());
    EXPECT_THAT(loaded, IsOk());
    std::vector<std::string> types;
    if (loaded.ok()) {
      for (const ev1::Event& e : loaded->events) types.push_back(domain::EventTypeName(e));
    }
    return types;
  }

  // ---- Requests ----

  api::AssignLeadRequest AssignLead(const std::string& command_id) {
    api::AssignLeadRequest r;
    *r.mutable_header() = Header(command_id);
    r.set_enquiry_id(kEnquiry);
    r.set_lead_agency_id("asc-northshire");
    r.set_officer_name("Sam Patel");
    r.set_officer_user_id("u-officer");
    return r;
  }

  api::ConcludeEnquiryRequest Conclusion(const std::string& command_id,
                                         const std::string& added_outcome) {
    api::ConcludeEnquiryRequest r;
    *r.mutable_header() = Header(command_id);
    r.set_enquiry_id(kEnquiry);
    cv1::ConcludedRisk* risk = r.add_risks();
    risk->set_type(cv1::TYPE_OF_RISK_FINANCIAL_OR_MATERIAL_ABUSE);
    risk->set_location(cv1::LOCATION_OF_RISK_OWN_HOME);
    risk->set_source(cv1::SOURCE_OF_RISK_OTHER_KNOWN_TO_INDIVIDUAL);
    r.set_action_and_result(cv1::ACTION_AND_RESULT_RISK_IDENTIFIED_ACTION_TAKEN);
    r.set_risk_outcome(cv1::RISK_OUTCOME_REDUCED);
    r.set_capacity(cv1::CAPACITY_ANSWER_LACKED_CAPACITY);
    r.set_supported_by_advocate_family_or_friend(true);
    r.set_outcomes_asked(cv1::OUTCOMES_ASKED_YES_EXPRESSED);
    for (const std::string& id : {std::string(kOutcome), added_outcome}) {
      cv1::OutcomeResult* result = r.add_outcome_results();
      result->set_outcome_id(id);
      result->set_achievement(cv1::OUTCOME_ACHIEVEMENT_FULLY);
      result->set_adults_view("I feel safer now");
    }
    r.mutable_experience()->set_answered_by(cv1::EXPRESSED_BY_ADVOCATE);
    r.mutable_experience()->set_feel_safe(cv1::EXPERIENCE_ANSWER_YES);
    r.set_summary("pension redirected; son no longer has a key");
    return r;
  }

  testing::TempDir dir_;
  ManualClock clock_{kStart};
  std::unique_ptr<config::Partnership> partnership_;
  std::unique_ptr<eventstore::EventLog> log_;
  std::unique_ptr<services::Authenticator> authenticator_;
  std::unique_ptr<services::EnquiryService> enquiry_service_;
  std::unique_ptr<services::AdvocacyService> advocacy_service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<api::Enquiry::Stub> enquiry_;
  std::unique_ptr<api::Advocacy::Stub> advocacy_;
  int64_t version_ = -1;
};

using E = api::Enquiry::StubInterface;
using A = api::Advocacy::StubInterface;

TEST_F(EnquiryServicesTest, AnEnquiryFromLeadToClosure) {
  OpenEnquiry();
  Must(&E::AssignLead, kManager, AssignLead("lead-1"));

  clock_.Advance(absl::Hours(24));
  api::RecordStrategyDiscussionRequest discussion;
  *discussion.mutable_header() = Header("strategy-1");
  discussion.set_enquiry_id(kEnquiry);
  *discussion.mutable_held_at() = domain::ToTimestamp(clock_.Now() - absl::Hours(2));
  discussion.add_participants("Sam Patel (ASC)");
  discussion.add_participants("DC Green (police)");
  cv1::AgreedAction* action = discussion.add_actions();
  action->set_description("Check the bank statements with her");
  action->set_owner_agency_id("police-northshire");
  *action->mutable_due_at() = domain::ToTimestamp(clock_.Now() + absl::Hours(72));
  const api::RecordStrategyDiscussionResponse strategy =
      Must(&E::RecordStrategyDiscussion, kOfficer, discussion);
  ASSERT_THAT(strategy.action_ids(), SizeIs(1));
  EXPECT_EQ(strategy.action_ids(0), absl::StrCat(strategy.discussion_id(), "-1"));

  api::CompleteActionRequest complete;
  *complete.mutable_header() = Header("action-1");
  complete.set_enquiry_id(kEnquiry);
  complete.set_action_id(strategy.action_ids(0));
  Must(&E::CompleteAction, kOfficer, complete);

  api::ReviseDesiredOutcomesRequest revise;
  *revise.mutable_header() = Header("outcomes-1");
  revise.set_enquiry_id(kEnquiry);
  revise.add_added()->set_text("I want to keep seeing my grandson");
  revise.set_reason("said at the home visit");
  const api::ReviseDesiredOutcomesResponse revised =
      Must(&E::ReviseDesiredOutcomes, kOfficer, revise);
  ASSERT_THAT(revised.added_outcome_ids(), SizeIs(1));

  api::RecordCapacityAssessmentRequest capacity;
  *capacity.mutable_header() = Header("capacity-1");
  capacity.set_enquiry_id(kEnquiry);
  capacity.set_decision("Who manages her pension");
  *capacity.mutable_assessed_at() = domain::ToTimestamp(clock_.Now() - absl::Hours(1));
  capacity.set_assessor("Dr Jones");
  capacity.set_finding(cv1::CAPACITY_FINDING_LACKS_CAPACITY);
  const api::RecordCapacityAssessmentResponse assessed =
      Must(&E::RecordCapacityAssessment, kOfficer, capacity);
  EXPECT_FALSE(assessed.assessment_id().empty());

  api::RecordBestInterestsDecisionRequest best;
  *best.mutable_header() = Header("best-1");
  best.set_enquiry_id(kEnquiry);
  best.set_capacity_assessment_id(assessed.assessment_id());
  best.set_decision("who manages her pension");
  cv1::BestInterestsOption* option = best.add_options();
  option->set_option("Appointeeship by the council");
  option->add_factors_for("stops the son's access");
  best.add_people_consulted("daughter");
  best.set_adults_known_wishes("has always kept her own money");
  best.set_chosen_option("Appointeeship by the council");
  EXPECT_FALSE(Must(&E::RecordBestInterestsDecision, kOfficer, best).decision_id().empty());

  api::RecordRiskAssessmentRequest risk;
  *risk.mutable_header() = Header("risk-1");
  risk.set_enquiry_id(kEnquiry);
  risk.set_dangers("son takes the pension");
  Must(&E::RecordRiskAssessment, kOfficer, risk);

  api::RecordProtectionPlanRequest plan;
  *plan.mutable_header() = Header("plan-1");
  plan.set_enquiry_id(kEnquiry);
  cv1::PlanItem* item = plan.add_items();
  item->set_risk("son takes the pension");
  item->set_action("pension to a new account");
  item->set_by_whom("Sam Patel");
  *item->mutable_by_when() = domain::ToTimestamp(clock_.Now() + absl::Hours(48));
  EXPECT_THAT(Must(&E::RecordProtectionPlan, kOfficer, plan).item_ids(), SizeIs(1));

  api::ReviewProtectionPlanRequest review;
  *review.mutable_header() = Header("review-1");
  review.set_enquiry_id(kEnquiry);
  review.set_notes("account moved");
  Must(&E::ReviewProtectionPlan, kOfficer, review);

  // s68: substantial difficulty and no appropriate individual: the duty applies.
  api::AssessSubstantialDifficultyRequest difficulty;
  *difficulty.mutable_header() = Header("difficulty-1");
  difficulty.set_enquiry_id(kEnquiry);
  difficulty.set_retaining(true);
  api::AdvocacyResponse duty = MustAdvocacy(&A::AssessSubstantialDifficulty, kOfficer, difficulty);
  EXPECT_TRUE(duty.duty().applies());
  EXPECT_FALSE(duty.duty().met());
  EXPECT_THAT(duty.duty().explanation(), HasSubstr("refer to an advocacy provider"));

  api::AssessAppropriateIndividualRequest individual;
  *individual.mutable_header() = Header("individual-1");
  individual.set_enquiry_id(kEnquiry);
  individual.set_exists(true);
  individual.set_name("Tom");
  individual.set_relationship("son");
  individual.set_unpaid(true);
  individual.set_adult_consents(true);  // but implicated: not_source_of_risk is false
  duty = MustAdvocacy(&A::AssessAppropriateIndividual, kOfficer, individual);
  EXPECT_THAT(duty.duty().explanation(), HasSubstr("implicated as a source of risk"));

  // The duty blocks conclusion, and a refusal writes nothing.
  const int64_t head = Head();
  api::ConcludeEnquiryResponse concluded;
  grpc::Status status = Call(*enquiry_, &E::ConcludeEnquiry, kOfficer,
                             Conclusion("conclude-1", revised.added_outcome_ids(0)), &concluded);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("advocacy duty unmet"));
  EXPECT_EQ(Head(), head);

  api::ReferForAdvocacyRequest refer;
  *refer.mutable_header() = Header("refer-1");
  refer.set_enquiry_id(kEnquiry);
  refer.set_provider_agency_id("voiceability");
  refer.set_reason("retaining information; son implicated");
  const api::ReferForAdvocacyResponse referred =
      MustAdvocacy(&A::ReferForAdvocacy, kOfficer, refer);
  EXPECT_FALSE(referred.referral_id().empty());
  EXPECT_THAT(referred.duty().explanation(), HasSubstr("awaits the provider's acceptance"));

  api::AcceptAdvocacyReferralRequest accept;
  *accept.mutable_header() = Header("accept-1");
  accept.set_enquiry_id(kEnquiry);
  accept.set_referral_id(referred.referral_id());
  MustAdvocacy(&A::AcceptAdvocacyReferral, kAdvocate, accept);

  api::AllocateAdvocateRequest allocate;
  *allocate.mutable_header() = Header("allocate-1");
  allocate.set_enquiry_id(kEnquiry);
  allocate.set_referral_id(referred.referral_id());
  allocate.set_advocate_name("Alex Rowe");
  duty = MustAdvocacy(&A::AllocateAdvocate, kAdvocate, allocate);
  EXPECT_FALSE(duty.duty().met());
  EXPECT_THAT(duty.duty().explanation(), HasSubstr("record the advocate's views"));

  // Allocated is not enough: the advocate's views are recorded before conclusion.
  status = Call(*enquiry_, &E::ConcludeEnquiry, kOfficer,
                Conclusion("conclude-2", revised.added_outcome_ids(0)), &concluded);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  api::RecordAdvocateViewsRequest views;
  *views.mutable_header() = Header("views-1");
  views.set_enquiry_id(kEnquiry);
  views.set_referral_id(referred.referral_id());
  views.set_views("She wants the council to look after her pension for now.");
  duty = MustAdvocacy(&A::RecordAdvocateViews, kAdvocate, views);
  EXPECT_TRUE(duty.duty().applies());
  EXPECT_TRUE(duty.duty().met());

  api::GetAdvocacyDutyRequest get;
  get.set_enquiry_id(kEnquiry);
  api::GetAdvocacyDutyResponse got;
  ASSERT_TRUE(Call(*advocacy_, &A::GetAdvocacyDuty, kOfficer, get, &got).ok());
  EXPECT_TRUE(got.duty().met());
  EXPECT_EQ(got.version(), version_);

  Must(&E::ConcludeEnquiry, kOfficer, Conclusion("conclude-3", revised.added_outcome_ids(0)));

  api::CloseEnquiryRequest close;
  *close.mutable_header() = Header("close-1");
  close.set_enquiry_id(kEnquiry);
  close.set_reason(cv1::CLOSURE_REASON_OUTCOMES_MET);
  close.set_adults_view("Glad it is sorted; she knows who to call.");
  close.set_referrer_informed(true);
  close.set_sar_considered(true);
  Must(&E::CloseEnquiry, kManager, close);

  // Nothing after closure.
  *risk.mutable_header() = Header("risk-2");
  api::RecordRiskAssessmentResponse late;
  status = Call(*enquiry_, &E::RecordRiskAssessment, kOfficer, risk, &late);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("enquiry closed: raise a new concern"));

  EXPECT_THAT(StreamTypes(),
              ElementsAre("EnquiryOpened", "EnquiryLeadAssigned", "StrategyDiscussionRecorded",
                          "ActionCompleted", "DesiredOutcomesRevised", "CapacityAssessed",
                          "BestInterestsDecided", "RiskAssessed", "ProtectionPlanRecorded",
                          "ProtectionPlanReviewed", "SubstantialDifficultyAssessed",
                          "AppropriateIndividualAssessed", "AdvocacyReferred",
                          "AdvocacyReferralAccepted", "AdvocateAllocated", "AdvocateViewsRecorded",
                          "EnquiryConcluded", "EnquiryClosed"));
}

TEST_F(EnquiryServicesTest, RetryReplaysWithoutAppending) {
  OpenEnquiry();
  api::RecordStrategyDiscussionRequest discussion;
  *discussion.mutable_header() = Header("strategy-1");
  discussion.set_enquiry_id(kEnquiry);
  *discussion.mutable_held_at() = domain::ToTimestamp(kStart);
  discussion.add_participants("Sam Patel (ASC)");
  cv1::AgreedAction* action = discussion.add_actions();
  action->set_description("Visit");
  action->set_owner_agency_id("asc-northshire");
  *action->mutable_due_at() = domain::ToTimestamp(kStart + absl::Hours(24));
  const api::RecordStrategyDiscussionResponse first =
      Must(&E::RecordStrategyDiscussion, kOfficer, discussion);
  EXPECT_FALSE(first.result().replayed());
  const int64_t head = Head();

  clock_.Advance(absl::Minutes(5));
  api::RecordStrategyDiscussionResponse again;
  ASSERT_TRUE(Call(*enquiry_, &E::RecordStrategyDiscussion, kOfficer, discussion, &again).ok());
  EXPECT_TRUE(again.result().replayed());
  EXPECT_EQ(again.result().version(), first.result().version());
  EXPECT_EQ(again.result().global_position(), first.result().global_position());
  EXPECT_EQ(again.discussion_id(), first.discussion_id());
  EXPECT_THAT(again.action_ids(), ElementsAre(first.action_ids(0)));
  EXPECT_EQ(Head(), head);

  // An advocacy retry answers with the duty as the original command left it.
  api::AssessSubstantialDifficultyRequest difficulty;
  *difficulty.mutable_header() = Header("difficulty-1");
  difficulty.set_enquiry_id(kEnquiry);
  difficulty.set_communicating(true);
  const api::AdvocacyResponse original =
      MustAdvocacy(&A::AssessSubstantialDifficulty, kOfficer, difficulty);
  api::AssessSubstantialDifficultyRequest later;
  *later.mutable_header() = Header("difficulty-2");
  later.set_enquiry_id(kEnquiry);
  MustAdvocacy(&A::AssessSubstantialDifficulty, kOfficer, later);  // no difficulty now
  const int64_t head_after = Head();
  api::AdvocacyResponse replayed;
  ASSERT_TRUE(
      Call(*advocacy_, &A::AssessSubstantialDifficulty, kOfficer, difficulty, &replayed).ok());
  EXPECT_TRUE(replayed.result().replayed());
  EXPECT_EQ(replayed.result().version(), original.result().version());
  EXPECT_TRUE(replayed.duty().applies());
  EXPECT_EQ(replayed.duty().explanation(), original.duty().explanation());
  EXPECT_EQ(Head(), head_after);
}

TEST_F(EnquiryServicesTest, StaleVersionIsAbortedAndWritesNothing) {
  OpenEnquiry();
  Must(&E::AssignLead, kManager, AssignLead("lead-1"));
  const int64_t head = Head();
  api::AssignLeadRequest stale = AssignLead("lead-2");
  stale.mutable_header()->set_expected_version(0);
  grpc::ClientContext context;
  SetCaller(context, kManager);
  api::AssignLeadResponse response;
  const grpc::Status status = enquiry_->AssignLead(&context, stale, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find(services::kActualVersionTrailer);
  ASSERT_NE(it, trailers.end());
  EXPECT_EQ(std::string(it->second.data(), it->second.size()), "1");
  EXPECT_EQ(Head(), head);
}

TEST_F(EnquiryServicesTest, UnknownEnquiryIsNotFound) {
  OpenEnquiry();
  api::AssignLeadRequest request = AssignLead("lead-1");
  request.set_enquiry_id("e-404");
  api::AssignLeadResponse response;
  const grpc::Status status = Call(*enquiry_, &E::AssignLead, kManager, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), "enquiry_id: no such enquiry");

  api::GetAdvocacyDutyRequest get;
  get.set_enquiry_id("e-404");
  api::GetAdvocacyDutyResponse got;
  EXPECT_EQ(Call(*advocacy_, &A::GetAdvocacyDuty, kOfficer, get, &got).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(EnquiryServicesTest, MissingRoleIsPermissionDeniedAndWritesNothing) {
  OpenEnquiry();
  const int64_t head = Head();
  api::AssignLeadResponse response;
  grpc::Status status = Call(*enquiry_, &E::AssignLead, kReferrer, AssignLead("lead-1"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("Safeguarding manager"));

  // The domain's own check: concluding belongs to the lead agency (or the authority).
  Must(&E::AssignLead, kManager, AssignLead("lead-2"));
  const int64_t after_lead = Head();
  api::ConcludeEnquiryResponse concluded;
  status = Call(*enquiry_, &E::ConcludeEnquiry, kPoliceOfficer, Conclusion("conclude-1", kOutcome),
                &concluded);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(),
              HasSubstr("ConcludeEnquiry on this case is for the lead agency; police-northshire "
                        "is the agency that raised it"));
  EXPECT_EQ(Head(), after_lead);
  EXPECT_GT(after_lead, head);
}

TEST_F(EnquiryServicesTest, OtherAgenciesCannotActOnAnEnquiryTheyDoNotLead) {
  OpenEnquiry();
  Must(&E::AssignLead, kManager, AssignLead("lead-1"));
  const int64_t head = Head();

  // s42(2): the lead is the local authority's to assign, not a partner's.
  api::AssignLeadResponse lead;
  grpc::Status status =
      Call(*enquiry_, &E::AssignLead, kPoliceManager, AssignLead("lead-2"), &lead);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(),
              HasSubstr("AssignLead on this case is for the local authority responsible; "
                        "police-northshire is the agency that raised it"));

  // A partner with the right role still does not record on an enquiry it does not lead.
  api::RecordCapacityAssessmentRequest capacity;
  *capacity.mutable_header() = Header("capacity-1");
  capacity.set_enquiry_id(kEnquiry);
  capacity.set_decision("Where to live");
  *capacity.mutable_assessed_at() = domain::ToTimestamp(kStart);
  capacity.set_assessor("DC Green");
  capacity.set_finding(cv1::CAPACITY_FINDING_LACKS_CAPACITY);
  api::RecordCapacityAssessmentResponse assessed;
  status =
      Call(*enquiry_, &E::RecordCapacityAssessment, kPoliceOfficer, capacity, &assessed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(),
              HasSubstr("RecordCapacityAssessment on this case is for the lead agency; "
                        "police-northshire is the agency that raised it"));
  // An agency with no part in it at all hears nothing of whether it exists.
  status = Call(*enquiry_, &E::RecordCapacityAssessment, kHousingOfficer, capacity, &assessed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  capacity.set_enquiry_id("no-such-enquiry");
  const grpc::Status unknown =
      Call(*enquiry_, &E::RecordCapacityAssessment, kHousingOfficer, capacity, &assessed);
  EXPECT_EQ(unknown.error_code(), status.error_code());
  EXPECT_EQ(absl::StrReplaceAll(unknown.error_message(), {{"no-such-enquiry", kEnquiry}}),
            status.error_message());
  capacity.set_enquiry_id(kEnquiry);

  // Nor does an advocate with no referral read the advocacy duty.
  api::GetAdvocacyDutyRequest get;
  get.set_enquiry_id(kEnquiry);
  api::GetAdvocacyDutyResponse got;
  EXPECT_EQ(Call(*advocacy_, &A::GetAdvocacyDuty, kAdvocate, get, &got).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(Call(*advocacy_, &A::GetAdvocacyDuty, kOfficer, get, &got).ok());

  EXPECT_EQ(Head(), head);
  EXPECT_THAT(StreamTypes(), ElementsAre("EnquiryOpened", "EnquiryLeadAssigned"));
}

TEST_F(EnquiryServicesTest, UnknownCallerIsUnauthenticated) {
  OpenEnquiry();
  api::AssignLeadResponse response;
  const grpc::Status status =
      Call(*enquiry_, &E::AssignLead, Who{"", "", ""}, AssignLead("lead-1"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(EnquiryServicesTest, BadInputIsInvalidAndWritesNothing) {
  OpenEnquiry();
  const int64_t head = Head();

  // Shape (translate): oversized text.
  api::RecordRiskAssessmentRequest risk;
  *risk.mutable_header() = Header("risk-1");
  risk.set_enquiry_id(kEnquiry);
  risk.set_dangers(std::string(20001, 'x'));
  api::RecordRiskAssessmentResponse risk_response;
  grpc::Status status = Call(*enquiry_, &E::RecordRiskAssessment, kOfficer, risk, &risk_response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("dangers: at most 20000"));

  // Content (domain): a capacity assessment names its decision.
  api::RecordCapacityAssessmentRequest capacity;
  *capacity.mutable_header() = Header("capacity-1");
  capacity.set_enquiry_id(kEnquiry);
  *capacity.mutable_assessed_at() = domain::ToTimestamp(kStart);
  capacity.set_assessor("Dr Jones");
  capacity.set_finding(cv1::CAPACITY_FINDING_HAS_CAPACITY);
  api::RecordCapacityAssessmentResponse capacity_response;
  status = Call(*enquiry_, &E::RecordCapacityAssessment, kOfficer, capacity, &capacity_response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("decision: required"));

  // An unknown enum value.
  api::CloseEnquiryRequest close;
  *close.mutable_header() = Header("close-1");
  close.set_enquiry_id(kEnquiry);
  close.set_reason(static_cast<cv1::ClosureReason>(99));
  api::CloseEnquiryResponse close_response;
  status = Call(*enquiry_, &E::CloseEnquiry, kManager, close, &close_response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("reason: unknown value 99"));

  // An agency not in the partnership.
  api::ReferForAdvocacyRequest refer;
  *refer.mutable_header() = Header("refer-1");
  refer.set_enquiry_id(kEnquiry);
  refer.set_provider_agency_id("nowhere");
  api::ReferForAdvocacyResponse refer_response;
  status = Call(*advocacy_, &A::ReferForAdvocacy, kOfficer, refer, &refer_response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), "provider_agency_id: not a participating agency");

  // A referral to an agency that is not an advocacy provider is refused by the rule.
  refer.set_provider_agency_id("police-northshire");
  status = Call(*advocacy_, &A::ReferForAdvocacy, kOfficer, refer, &refer_response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  EXPECT_EQ(Head(), head);
  EXPECT_THAT(StreamTypes(), ElementsAre("EnquiryOpened"));
}

}  // namespace
}  // namespace hub
