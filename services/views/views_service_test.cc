// Break-glass, restricted cases and notifications in one process: ReferralIntake, Mash and
// Views on an in-process gRPC server on 127.0.0.1:0, over a real RocksDB log and read-model
// store in a fresh temp dir, the example partnership and agreement, a manual clock (so that a
// grant's expiry is tested without waiting for it) and an authenticator that, like the TLS
// one, lets an agency's system call without a user.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "domain/common/envelope.h"
#include "eventstore/rocksdb/rocksdb_event_log.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "hub/api/v1/mash_service.grpc.pb.h"
#include "hub/api/v1/referral_intake_service.grpc.pb.h"
#include "hub/api/v1/views_service.grpc.pb.h"
#include "policy/agreement.h"
#include "projections/engine/projection.h"
#include "services/common/authenticator.h"
#include "config/partnership.h"
#include "services/common/service_deps.h"
#include "services/intake/mash_service.h"
#include "services/intake/referral_intake_service.h"
#include "services/views/views_service.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hub {
namespace {

namespace api = ::hub::api::v1;
namespace cv1 = ::hub::common::v1;
namespace vv1 = ::hub::views::v1;
using ::testing::HasSubstr;

// Who calls. An empty user is an agency's system (as the TLS authenticator reports one).
struct Who {
  std::string agency;
  std::string user;
  std::string roles;
};
const Who kPolice{"police-northshire", "pc.4471", "referrer"};
const Who kPoliceManager{"police-northshire", "di.shaw", "safeguarding_manager"};
const Who kTriage{"asc-northshire", "mash.triage", "mash_triage"};
const Who kAscManager{"asc-northshire", "sg.manager", "safeguarding_manager"};
const Who kAscAuditor{"asc-northshire", "ig.auditor", "auditor"};
const Who kAscSystem{"asc-northshire", "", "referrer"};
const Who kAscAnalyst{"asc-northshire", "sab.analyst", "board_analyst"};
const Who kDoctor{"nhs-northshire-acute", "dr.okoro", "referrer"};
const Who kOtherDoctor{"nhs-northshire-acute", "dr.adeyemi", "referrer"};
const Who kAcuteSystem{"nhs-northshire-acute", "", "referrer"};
const Who kHousingManager{"housing-northshire", "h.manager", "safeguarding_manager"};

constexpr char kReason[] = "Brought in unconscious at 2am; need to know who is a risk to her.";

// Trusts the same metadata as the development authenticator, but a missing user is a system.
class TestAuthenticator final : public services::Authenticator {
 public:
  explicit TestAuthenticator(const config::Partnership& partnership) : partnership_(partnership) {}
  absl::StatusOr<domain::Caller> Authenticate(
      const grpc::ServerContextBase& context) const override {
    auto value = [&](const char* key) {
      auto it = context.client_metadata().find(key);
      return it == context.client_metadata().end()
                 ? std::string()
                 : std::string(it->second.data(), it->second.size());
    };
    domain::Caller caller;
    caller.agency_id = value("x-hub-agency");
    const config::v1::Agency* agency = partnership_.FindAgency(caller.agency_id);
    if (agency == nullptr) return absl::UnauthenticatedError("unknown agency");
    caller.agency_kind = agency->kind();
    caller.user_id = value("x-hub-user");
    if (caller.user_id.empty()) caller.kind = domain::CallerKind::kSystem;
    for (absl::string_view name : absl::StrSplit(value("x-hub-roles"), ',', absl::SkipEmpty())) {
      cv1::Role role;
      if (!cv1::Role_Parse(absl::StrCat("ROLE_", absl::AsciiStrToUpper(name)), &role)) {
        return absl::UnauthenticatedError("unknown role");
      }
      caller.roles.push_back(role);
    }
    return caller;
  }

 private:
  const config::Partnership& partnership_;
};

std::unique_ptr<grpc::ClientContext> As(const Who& who) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  context->AddMetadata("x-hub-agency", who.agency);
  if (!who.user.empty()) context->AddMetadata("x-hub-user", who.user);
  context->AddMetadata("x-hub-roles", who.roles);
  return context;
}

int commands = 0;
api::CommandHeader Header(std::optional<int64_t> expected = std::nullopt) {
  api::CommandHeader header;
  header.set_command_id(absl::StrCat("cmd-", ++commands));
  if (expected) header.set_expected_version(*expected);
  return header;
}

class ViewsServiceTest : public ::testing::Test {
 protected:
  // A grant of 30 minutes, to show that the duration is the service's option.
  static constexpr absl::Duration kGrant = absl::Minutes(30);

  // Real time (waits on the views are in real time), to the second (timestamps keep micros).
  ViewsServiceTest() : clock_(absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()))) {}

  void SetUp() override {
    absl::StatusOr<config::Partnership> partnership = config::Partnership::Load(
        HUB_SOURCE_DIR "/deploy/partnership.example.textproto");
    ASSERT_THAT(partnership, testing::IsOk());
    partnership_ = std::make_unique<config::Partnership>(*std::move(partnership));
    absl::StatusOr<policy::Agreement> agreement =
        policy::Agreement::Load(HUB_SOURCE_DIR "/deploy/agreement.example.textproto");
    ASSERT_THAT(agreement, testing::IsOk());
    agreement_ = std::make_unique<policy::Agreement>(*std::move(agreement));
    // The log keeps the system clock: it judges append deadlines, which are real time, while
    // the services stamp events and judge grants with the manual clock.
    eventstore::RocksDbOptions options;
    options.sync = false;  // nothing here measures durability
    auto log = eventstore::OpenRocksDbEventLog(dir_.Sub("data"), options);
    ASSERT_THAT(log, testing::IsOk());
    log_ = *std::move(log);
    auto store = eventstore::OpenRocksDbKvStore(dir_.Sub("views"), {});
    ASSERT_THAT(store, testing::IsOk());
    store_ = *std::move(store);
    engine_ = std::make_unique<projections::ProjectionEngine>(*log_, *store_,
                                                              services::HubProjections());
    HUB_ASSERT_OK(engine_->Start());
    authenticator_ = std::make_unique<TestAuthenticator>(*partnership_);
    const services::ServiceDeps deps{*log_, *partnership_, clock_, *authenticator_};
    intake_ = std::make_unique<services::ReferralIntakeService>(deps);
    mash_ = std::make_unique<services::MashService>(deps);
    services::ViewsOptions views_options;
    views_options.emergency_access_duration = kGrant;
    views_ = std::make_unique<services::ViewsService>(deps, *engine_, *agreement_, views_options);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(intake_.get());
    builder.RegisterService(mash_.get());
    builder.RegisterService(views_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    auto channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
    intake_stub_ = api::ReferralIntake::NewStub(channel);
    mash_stub_ = api::Mash::NewStub(channel);
    views_stub_ = api::Views::NewStub(channel);
  }

  void TearDown() override {
    if (views_ != nullptr) views_->Shutdown();
    if (server_ != nullptr) server_->Shutdown(std::chrono::system_clock::now());
    if (engine_ != nullptr) engine_->Stop();
    if (log_ != nullptr) log_->Close();
  }

  int64_t Head() { return log_->GetHead().position.value(); }

  struct Case {
    std::string person_id, concern_id;
    int64_t version = 0, position = 0;
  };

  // The police raise a concern (involved partner); the MASH triages it (adult social care leads).
  Case RaiseAndTriage() {
    Case c;
    api::RaiseConcernRequest raise;
    *raise.mutable_header() = Header();
    raise.mutable_adult()->mutable_name()->set_given("Doreen");
    raise.mutable_adult()->mutable_name()->set_family("Ashworth");
    cv1::ConcernDetails* d = raise.mutable_details();
    d->set_what_happened("PPN: the lodger takes her pension each week.");
    d->add_types_of_risk(cv1::TYPE_OF_RISK_FINANCIAL_OR_MATERIAL_ABUSE);
    d->set_location_of_risk(cv1::LOCATION_OF_RISK_OWN_HOME);
    d->mutable_referrer()->set_name("PC Nash");
    d->mutable_consent()->set_adult_aware(true);
    d->mutable_consent()->set_status(cv1::CONSENT_STATUS_GIVEN);
    api::RaiseConcernResponse raised;
    grpc::Status status = intake_stub_->RaiseConcern(As(kPolice).get(), raise, &raised);
    EXPECT_TRUE(status.ok()) << status.error_message();
    c.person_id = raised.person_id();
    c.concern_id = raised.concern_id();
    api::TriageConcernRequest triage;
    *triage.mutable_header() = Header(raised.result().version());
    triage.set_concern_id(c.concern_id);
    triage.set_rating(cv1::RAG_RATING_AMBER);
    triage.set_rationale("Ongoing financial abuse");
    api::TriageConcernResponse triaged;
    status = mash_stub_->TriageConcern(As(kTriage).get(), triage, &triaged);
    EXPECT_TRUE(status.ok()) << status.error_message();
    c.version = triaged.result().version();
    c.position = triaged.result().global_position();
    return c;
  }

  grpc::Status GetCase(const Who& who, const std::string& concern_id, cv1::Purpose purpose,
                       int64_t min_position, api::GetCaseResponse* response) {
    api::GetCaseRequest request;
    request.mutable_header()->set_purpose(purpose);
    request.mutable_header()->set_min_position(min_position);
    request.set_concern_id(concern_id);
    return views_stub_->GetCase(As(who).get(), request, response);
  }

  api::RequestEmergencyAccessRequest BreakGlass(const std::string& concern_id,
                                                cv1::Purpose purpose = cv1::PURPOSE_CARE_PROVISION) {
    api::RequestEmergencyAccessRequest request;
    *request.mutable_header() = Header();
    request.set_concern_id(concern_id);
    request.set_reason(kReason);
    request.set_purpose(purpose);
    return request;
  }

  grpc::Status RequestAccess(const Who& who, const api::RequestEmergencyAccessRequest& request,
                             api::RequestEmergencyAccessResponse* response) {
    return views_stub_->RequestEmergencyAccess(As(who).get(), request, response);
  }

  std::vector<vv1::Notification> Notifications(const Who& who, int64_t min_position,
                                               std::optional<int64_t> after = std::nullopt,
                                               grpc::Status* status_out = nullptr) {
    api::ListNotificationsRequest request;
    request.mutable_header()->set_min_position(min_position);
    if (after) request.set_after_position(*after);
    api::ListNotificationsResponse response;
    grpc::Status status = views_stub_->ListNotifications(As(who).get(), request, &response);
    if (status_out != nullptr) *status_out = status;
    if (status_out == nullptr) {
      EXPECT_TRUE(status.ok()) << status.error_message();
    }
    return {response.notifications().begin(), response.notifications().end()};
  }

  grpc::Status Restrict(const Who& who, const Case& c, int64_t version,
                        api::RestrictCaseResponse* response) {
    api::RestrictCaseRequest request;
    *request.mutable_header() = Header(version);
    request.set_concern_id(c.concern_id);
    request.set_reason_kind(cv1::RESTRICTION_REASON_POLICE_INVESTIGATION);
    request.set_reason("Her son, a serving officer, is under investigation.");
    return mash_stub_->RestrictCase(As(who).get(), request, response);
  }

  ManualClock clock_;
  hub::testing::TempDir dir_;
  std::unique_ptr<config::Partnership> partnership_;
  std::unique_ptr<policy::Agreement> agreement_;
  std::unique_ptr<eventstore::EventLog> log_;
  std::unique_ptr<eventstore::KvStore> store_;
  std::unique_ptr<projections::ProjectionEngine> engine_;
  std::unique_ptr<services::Authenticator> authenticator_;
  std::unique_ptr<services::ReferralIntakeService> intake_;
  std::unique_ptr<services::MashService> mash_;
  std::unique_ptr<services::ViewsService> views_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<api::ReferralIntake::Stub> intake_stub_;
  std::unique_ptr<api::Mash::Stub> mash_stub_;
  std::unique_ptr<api::Views::Stub> views_stub_;
};

TEST_F(ViewsServiceTest, BreakGlassGivesTheNamedPractitionerTheLeadViewUntilTheGrantExpires) {
  const Case c = RaiseAndTriage();
  api::GetCaseResponse view;
  grpc::Status status = GetCase(kDoctor, c.concern_id, cv1::PURPOSE_CARE_PROVISION, c.position, &view);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("RequestEmergencyAccess"));

  const absl::Time granted_at = clock_.Now();
  api::RequestEmergencyAccessResponse grant;
  status = RequestAccess(kDoctor, BreakGlass(c.concern_id), &grant);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(grant.grant_id().empty());
  EXPECT_FALSE(grant.replayed());
  // The grant lasts the service's configured time.
  EXPECT_EQ(domain::FromTimestamp(grant.expires_at()), granted_at + kGrant);
  EXPECT_EQ(grant.position(), Head());

  // At once (no min_position): the case as the lead's case worker sees it, less who looked.
  status = GetCase(kDoctor, c.concern_id, cv1::PURPOSE_CARE_PROVISION, 0, &view);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const api::CaseView& v = view.view();
  EXPECT_TRUE(v.break_glass());
  EXPECT_EQ(v.grant_id(), grant.grant_id());
  EXPECT_EQ(v.relationship(), cv1::RELATIONSHIP_NONE);
  EXPECT_EQ(v.narrative().what_happened(), "PPN: the lodger takes her pension each week.");
  EXPECT_TRUE(v.has_identity());
  EXPECT_TRUE(v.has_risk());
  EXPECT_FALSE(v.has_disclosure_log());
  EXPECT_THAT(v.withheld(), ::testing::Contains(cv1::INFORMATION_CATEGORY_DISCLOSURE_LOG));
  EXPECT_TRUE(v.restricted_by_agency_id().empty());

  // The grant is the practitioner's alone, and for the purpose declared.
  EXPECT_EQ(GetCase(kOtherDoctor, c.concern_id, cv1::PURPOSE_CARE_PROVISION, 0, &view).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  status = GetCase(kDoctor, c.concern_id, cv1::PURPOSE_TRIAGE, 0, &view);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("is for purpose 'Care provision'"));

  // One second before expiry it still stands; after it, refused, naming the expiry.
  clock_.Advance(kGrant - absl::Seconds(1));
  status = GetCase(kDoctor, c.concern_id, cv1::PURPOSE_CARE_PROVISION, 0, &view);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const int64_t last_use = view.view().disclosure_position();
  clock_.Advance(absl::Seconds(1));
  const int64_t head = Head();
  status = GetCase(kDoctor, c.concern_id, cv1::PURPOSE_CARE_PROVISION, 0, &view);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr(absl::StrCat("(grant ", grant.grant_id(), ") expired at")));
  EXPECT_EQ(Head(), head);  // a refused read records nothing

  // The disclosure log: the grant and the two break-glass reads, with the grant and reason.
  api::GetDisclosureLogRequest log_request;
  log_request.mutable_header()->set_purpose(cv1::PURPOSE_SAFEGUARDING_ENQUIRY);
  log_request.mutable_header()->set_min_position(last_use);
  log_request.set_person_id(c.person_id);
  api::GetDisclosureLogResponse log;
  status = views_stub_->GetDisclosureLog(As(kAscManager).get(), log_request, &log);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(log.entries_size(), 3);
  for (const vv1::DisclosureEntry& entry : log.entries()) {
    EXPECT_TRUE(entry.break_glass());
    EXPECT_EQ(entry.grant_id(), grant.grant_id());
    EXPECT_EQ(entry.break_glass_reason(), kReason);
    EXPECT_EQ(entry.user_id(), kDoctor.user);
    EXPECT_EQ(domain::FromTimestamp(entry.grant_expires_at()), granted_at + kGrant);
  }
  EXPECT_EQ(log.entries(0).kind(), cv1::DISCLOSURE_KIND_CASE_VIEW);
  EXPECT_EQ(log.entries(0).position(), last_use);
  EXPECT_FALSE(log.entries(0).categories().empty());
  EXPECT_EQ(log.entries(2).kind(), cv1::DISCLOSURE_KIND_EMERGENCY_ACCESS_GRANTED);

  // The lead is told of the grant and of each use; the doctor's own agency is told nothing.
  const std::vector<vv1::Notification> told = Notifications(kTriage, last_use);
  ASSERT_EQ(told.size(), 3u);
  EXPECT_EQ(told[0].kind(), vv1::NOTIFICATION_KIND_EMERGENCY_ACCESS_GRANTED);
  EXPECT_EQ(told[0].position(), grant.position());
  EXPECT_EQ(told[0].by_user_id(), kDoctor.user);
  EXPECT_EQ(told[0].reason(), kReason);
  EXPECT_EQ(told[0].notified_as(), vv1::NOTIFIED_AS_LEAD);
  EXPECT_EQ(told[1].kind(), vv1::NOTIFICATION_KIND_EMERGENCY_ACCESS_USED);
  EXPECT_EQ(told[2].kind(), vv1::NOTIFICATION_KIND_EMERGENCY_ACCESS_USED);
  EXPECT_EQ(told[2].position(), last_use);
  EXPECT_TRUE(Notifications(kAcuteSystem, last_use).empty());

  // After expiry, a new grant may be asked for.
  ASSERT_TRUE(RequestAccess(kDoctor, BreakGlass(c.concern_id), &grant).ok());
  EXPECT_TRUE(GetCase(kDoctor, c.concern_id, cv1::PURPOSE_CARE_PROVISION, 0, &view).ok());
}

TEST_F(ViewsServiceTest, ARetriedRequestReturnsTheOriginalGrantAndRecordsNothing) {
  const Case c = RaiseAndTriage();
  const api::RequestEmergencyAccessRequest request = BreakGlass(c.concern_id);
  api::RequestEmergencyAccessResponse first, again;
  ASSERT_TRUE(RequestAccess(kDoctor, request, &first).ok());
  const int64_t head = Head();
  clock_.Advance(absl::Minutes(5));
  ASSERT_TRUE(RequestAccess(kDoctor, request, &again).ok());
  EXPECT_TRUE(again.replayed());
  EXPECT_EQ(again.grant_id(), first.grant_id());
  EXPECT_EQ(again.position(), first.position());
  EXPECT_EQ(again.expires_at().seconds(), first.expires_at().seconds());
  EXPECT_EQ(Head(), head);
}

TEST_F(ViewsServiceTest, BadEmergencyRequestsAreRefusedAndRecordNothing) {
  const Case c = RaiseAndTriage();
  struct Bad {
    const char* name;
    Who who;
    std::function<void(api::RequestEmergencyAccessRequest&)> change;
    grpc::StatusCode code;
    const char* message;
  };
  const std::vector<Bad> cases = {
      {"missing reason", kDoctor, [](auto& r) { r.clear_reason(); },
       grpc::StatusCode::INVALID_ARGUMENT, "reason: required"},
      {"blank reason", kDoctor, [](auto& r) { r.set_reason("   \t "); },
       grpc::StatusCode::INVALID_ARGUMENT, "reason: required"},
      {"meaningless reason", kDoctor, [](auto& r) { r.set_reason("urgent"); },
       grpc::StatusCode::INVALID_ARGUMENT, "reason:"},
      {"reason too long", kDoctor,
       [](auto& r) {
         std::string long_reason;
         for (int i = 0; i < 300; ++i) long_reason += "word ";
         r.set_reason(long_reason);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "reason: at most"},
      {"no purpose", kDoctor, [](auto& r) { r.clear_purpose(); },
       grpc::StatusCode::INVALID_ARGUMENT, "purpose"},
      {"not an emergency purpose", kDoctor,
       [](auto& r) { r.set_purpose(cv1::PURPOSE_STATISTICS); },
       grpc::StatusCode::INVALID_ARGUMENT, "purpose: 'Statistics'"},
      {"longer than the hub's grant time", kDoctor,
       [](auto& r) { r.mutable_duration()->set_seconds(absl::ToInt64Seconds(kGrant) + 1); },
       grpc::StatusCode::INVALID_ARGUMENT, "duration:"},
      {"an expected version", kDoctor, [](auto& r) { r.mutable_header()->set_expected_version(0); },
       grpc::StatusCode::INVALID_ARGUMENT, "expected_version"},
      {"no command id", kDoctor, [](auto& r) { r.mutable_header()->clear_command_id(); },
       grpc::StatusCode::INVALID_ARGUMENT, "command_id"},
      {"bad concern id", kDoctor, [](auto& r) { r.set_concern_id("no/such"); },
       grpc::StatusCode::INVALID_ARGUMENT, "concern_id"},
      {"unknown concern", kDoctor, [](auto& r) { r.set_concern_id("c-unknown"); },
       grpc::StatusCode::NOT_FOUND, "concern_id: no such concern"},
      {"a system caller without a user", kAcuteSystem, nullptr,
       grpc::StatusCode::PERMISSION_DENIED, "system caller"},
      {"a board analyst", kAscAnalyst, nullptr, grpc::StatusCode::PERMISSION_DENIED,
       "RequestEmergencyAccess needs one of the roles"},
      {"an auditor", kAscAuditor, nullptr, grpc::StatusCode::PERMISSION_DENIED,
       "RequestEmergencyAccess needs one of the roles"},
      // The police raised it: the agreement already shows them the case for an enquiry.
      {"already permitted", kPolice,
       [](auto& r) { r.set_purpose(cv1::PURPOSE_SAFEGUARDING_ENQUIRY); },
       grpc::StatusCode::FAILED_PRECONDITION, "already lets you see this case"},
  };
  for (const Bad& bad : cases) {
    SCOPED_TRACE(bad.name);
    api::RequestEmergencyAccessRequest request = BreakGlass(c.concern_id);
    if (bad.change) bad.change(request);
    const int64_t head = Head();
    api::RequestEmergencyAccessResponse response;
    const grpc::Status status = RequestAccess(bad.who, request, &response);
    EXPECT_EQ(status.error_code(), bad.code) << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr(bad.message));
    EXPECT_EQ(Head(), head);  // nothing appended
  }
}

TEST_F(ViewsServiceTest, RestrictedCaseReadsByOthersAreToldToTheOwner) {
  const Case c = RaiseAndTriage();
  api::RestrictCaseResponse restricted;
  // Housing has no part in the case; a triage worker is not a manager.
  grpc::Status status = Restrict(kHousingManager, c, c.version, &restricted);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("not connected to this case"));
  EXPECT_EQ(Restrict(kTriage, c, c.version, &restricted).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Restrict(kPoliceManager, c, c.version - 1, &restricted).error_code(),
            grpc::StatusCode::ABORTED);
  // The police raised it (involved partner): their manager restricts it and owns it.
  status = Restrict(kPoliceManager, c, c.version, &restricted);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(restricted.result().version(), c.version + 1);

  // The lead reads it: the owner is told. The view says it is restricted.
  api::GetCaseResponse view;
  ASSERT_TRUE(GetCase(kTriage, c.concern_id, cv1::PURPOSE_TRIAGE,
                      restricted.result().global_position(), &view).ok());
  EXPECT_EQ(view.view().restricted_by_agency_id(), "police-northshire");
  EXPECT_FALSE(view.view().break_glass());
  const int64_t lead_read = view.view().disclosure_position();
  // The owner reads it: nobody is told.
  ASSERT_TRUE(GetCase(kPolice, c.concern_id, cv1::PURPOSE_SAFEGUARDING_ENQUIRY, 0, &view).ok());
  const int64_t owner_read = view.view().disclosure_position();
  std::vector<vv1::Notification> told = Notifications(kPoliceManager, owner_read);
  ASSERT_EQ(told.size(), 1u);
  EXPECT_EQ(told[0].kind(), vv1::NOTIFICATION_KIND_RESTRICTED_CASE_ACCESSED);
  EXPECT_EQ(told[0].position(), lead_read);
  EXPECT_EQ(told[0].by_agency_id(), "asc-northshire");
  EXPECT_EQ(told[0].by_user_id(), kTriage.user);
  EXPECT_EQ(told[0].notified_as(), vv1::NOTIFIED_AS_RESTRICTION_OWNER);
  EXPECT_TRUE(Notifications(kTriage, owner_read).empty());  // the lead is not told of reads

  // Break-glass on a restricted case: the lead and the owner are both told, of grant and use.
  api::RequestEmergencyAccessResponse grant;
  ASSERT_TRUE(RequestAccess(kDoctor, BreakGlass(c.concern_id), &grant).ok());
  ASSERT_TRUE(GetCase(kDoctor, c.concern_id, cv1::PURPOSE_CARE_PROVISION, 0, &view).ok());
  const int64_t use = view.view().disclosure_position();
  told = Notifications(kPoliceManager, use, owner_read);
  ASSERT_EQ(told.size(), 2u);
  EXPECT_EQ(told[0].kind(), vv1::NOTIFICATION_KIND_EMERGENCY_ACCESS_GRANTED);
  EXPECT_EQ(told[1].kind(), vv1::NOTIFICATION_KIND_EMERGENCY_ACCESS_USED);
  EXPECT_EQ(told[1].notified_as(), vv1::NOTIFIED_AS_RESTRICTION_OWNER);
  told = Notifications(kTriage, use);
  ASSERT_EQ(told.size(), 2u);
  EXPECT_EQ(told[1].notified_as(), vv1::NOTIFIED_AS_LEAD);

  // Lifted by the owner (not by the lead): reads are no longer told.
  api::LiftCaseRestrictionRequest lift;
  *lift.mutable_header() = Header(restricted.result().version());
  lift.set_concern_id(c.concern_id);
  lift.set_reason("The investigation has closed.");
  api::LiftCaseRestrictionResponse lifted;
  EXPECT_EQ(mash_stub_->LiftCaseRestriction(As(kAscManager).get(), lift, &lifted).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(mash_stub_->LiftCaseRestriction(As(kPoliceManager).get(), lift, &lifted).ok());
  ASSERT_TRUE(GetCase(kTriage, c.concern_id, cv1::PURPOSE_TRIAGE,
                      lifted.result().global_position(), &view).ok());
  EXPECT_TRUE(view.view().restricted_by_agency_id().empty());
  EXPECT_TRUE(Notifications(kPoliceManager, view.view().disclosure_position(), use).empty());
}

TEST_F(ViewsServiceTest, NotificationsAreTheRecipientAgencysOwn) {
  const Case c = RaiseAndTriage();
  api::RequestEmergencyAccessResponse grant;
  ASSERT_TRUE(RequestAccess(kDoctor, BreakGlass(c.concern_id), &grant).ok());
  // The agency's system (no user), its auditors and managers may list them; a referrer may not.
  EXPECT_EQ(Notifications(kAscSystem, grant.position()).size(), 1u);
  EXPECT_EQ(Notifications(kAscAuditor, grant.position()).size(), 1u);
  EXPECT_EQ(Notifications(kAscManager, grant.position()).size(), 1u);
  grpc::Status status;
  Notifications({"asc-northshire", "sw", "referrer"}, grant.position(), std::nullopt, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // Another agency sees its own (none), never the lead's.
  EXPECT_TRUE(Notifications(kPoliceManager, grant.position()).empty());
  // The cursor: nothing after the grant; bad cursors and limits name the field.
  EXPECT_TRUE(Notifications(kTriage, grant.position(), grant.position()).empty());
  Notifications(kTriage, grant.position(), -5, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("after_position"));
  api::ListNotificationsRequest request;
  request.set_limit(5000);
  api::ListNotificationsResponse response;
  status = views_stub_->ListNotifications(As(kTriage).get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("limit"));
  // Paging: limit 1 says there is more and where to go on from.
  api::GetCaseResponse view;
  ASSERT_TRUE(GetCase(kDoctor, c.concern_id, cv1::PURPOSE_CARE_PROVISION, 0, &view).ok());
  request.set_limit(1);
  request.mutable_header()->set_min_position(view.view().disclosure_position());
  ASSERT_TRUE(views_stub_->ListNotifications(As(kTriage).get(), request, &response).ok());
  ASSERT_EQ(response.notifications_size(), 1);
  EXPECT_TRUE(response.more());
  EXPECT_EQ(response.last_position(), grant.position());
  request.set_after_position(response.last_position());
  ASSERT_TRUE(views_stub_->ListNotifications(As(kTriage).get(), request, &response).ok());
  ASSERT_EQ(response.notifications_size(), 1);
  EXPECT_FALSE(response.more());
  EXPECT_EQ(response.notifications(0).kind(), vv1::NOTIFICATION_KIND_EMERGENCY_ACCESS_USED);
}

TEST_F(ViewsServiceTest, WatchSendsTheBacklogThenEachNewNotificationUntilCancelledOrShutDown) {
  const Case c = RaiseAndTriage();
  api::RequestEmergencyAccessResponse grant;
  ASSERT_TRUE(RequestAccess(kDoctor, BreakGlass(c.concern_id), &grant).ok());

  auto context = As(kAscSystem);
  api::WatchNotificationsRequest request;
  auto reader = views_stub_->WatchNotifications(context.get(), request);
  api::WatchNotificationsResponse message;
  ASSERT_TRUE(reader->Read(&message));
  ASSERT_EQ(message.notifications_size(), 1);  // the backlog: the grant
  EXPECT_EQ(message.notifications(0).kind(), vv1::NOTIFICATION_KIND_EMERGENCY_ACCESS_GRANTED);
  if (!message.caught_up()) {
    ASSERT_TRUE(reader->Read(&message));
    EXPECT_TRUE(message.caught_up());
  }
  EXPECT_EQ(message.last_position(), grant.position());
  // A new use arrives as it is folded.
  api::GetCaseResponse view;
  ASSERT_TRUE(GetCase(kDoctor, c.concern_id, cv1::PURPOSE_CARE_PROVISION, 0, &view).ok());
  ASSERT_TRUE(reader->Read(&message));
  ASSERT_EQ(message.notifications_size(), 1);
  EXPECT_EQ(message.notifications(0).kind(), vv1::NOTIFICATION_KIND_EMERGENCY_ACCESS_USED);
  EXPECT_EQ(message.notifications(0).position(), view.view().disclosure_position());
  EXPECT_FALSE(message.caught_up());
  // The client cancels: the watch ends.
  context->TryCancel();
  while (reader->Read(&message)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);

  // Resuming from a cursor sends only what came after it; a shutdown ends the watch.
  auto resumed = As(kTriage);
  request.set_after_position(grant.position());
  auto second = views_stub_->WatchNotifications(resumed.get(), request);
  ASSERT_TRUE(second->Read(&message));
  ASSERT_EQ(message.notifications_size(), 1);
  EXPECT_EQ(message.notifications(0).kind(), vv1::NOTIFICATION_KIND_EMERGENCY_ACCESS_USED);
  views_->Shutdown();
  while (second->Read(&message)) {
  }
  const grpc::Status ended = second->Finish();
  EXPECT_EQ(ended.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(ended.error_message(), HasSubstr("shutting down"));
  // A referrer may not watch (the role is checked before anything is sent).
  auto refused = As({"asc-northshire", "sw", "referrer"});
  auto third = views_stub_->WatchNotifications(refused.get(), api::WatchNotificationsRequest());
  while (third->Read(&message)) {
  }
  EXPECT_EQ(third->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace hub
