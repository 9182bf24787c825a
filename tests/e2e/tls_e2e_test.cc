// Mutual TLS and practitioners' tokens through the real hubd: a hub with its own CA, server
// certificate, agencies' client certificates and an identity provider's signing key, all made
// by the test with OpenSSL. The right certificate and token pass; every kind of bad credential
// is refused with its status before any service runs, and nothing is appended or disclosed.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "hub/api/v1/event_store_service.grpc.pb.h"
#include "hub/api/v1/mash_service.grpc.pb.h"
#include "hub/api/v1/referral_intake_service.grpc.pb.h"
#include "hub/api/v1/views_service.grpc.pb.h"
#include "hub/events/v1/events.pb.h"
#include "identity/token_signer.h"
#include "tests/e2e/hub_process.h"
#include "tests/e2e/scenario_fixture.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_pki.h"

namespace hub::e2e {
namespace {

using ::testing::HasSubstr;
using testing::KeyAndCert;

constexpr char kIssuer[] = "https://idp.test/northshire";
constexpr char kAudience[] = "hub-under-test";

// A client's credentials: a certificate (or none) and a token (or none).
struct Credentials {
  std::string cert_pem;  // "" = no client certificate
  std::string key_pem;
  std::string token;  // "" = no authorization metadata
};

class TlsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const absl::Time now = absl::Now();
    ca_ = testing::MakeCa("Northshire hub test CA");
    server_ = testing::IssueCert(ca_, "localhost", {"localhost"}, {}, {"127.0.0.1"},
                                 now - absl::Hours(1), now + absl::Hours(24), /*server=*/true);
    asc_ = Agency("asc-northshire");
    police_ = Agency("police-northshire");
    care_ = Agency("care-brightwater");
    gp_ = Agency("gp-riverside");
    operator_ = testing::IssueCert(ca_, "hub-operator", {}, {"urn:hub:operator:test"}, {},
                                   now - absl::Hours(1), now + absl::Hours(24), false);
    signing_key_ = testing::MakeEcSigningKey();
    testing::WriteFile(dir_.Sub("ca.pem"), ca_.cert_pem);
    testing::WriteFile(dir_.Sub("server.pem"), server_.cert_pem);
    testing::WriteFile(dir_.Sub("server.key"), server_.key_pem);
    WriteJwks({{signing_key_, "k1"}});
  }

  void TearDown() override {
    if (hubd_.process) {
      hubd_.process->Signal(SIGTERM);
      EXPECT_EQ(hubd_.process->WaitForExit(absl::Seconds(10)), 0) << hubd_.log();
    }
  }

  KeyAndCert Agency(const std::string& id, absl::Duration valid_for = absl::Hours(24),
                    const KeyAndCert* issuer = nullptr) {
    const absl::Time now = absl::Now();
    return testing::IssueCert(issuer ? *issuer : ca_, id, {}, {"urn:hub:agency:" + id}, {},
                              now - absl::Hours(48), now + valid_for, /*server=*/false);
  }

  void WriteJwks(const std::vector<std::pair<std::string, std::string>>& keys) {
    absl::StatusOr<std::string> jwks = identity::PublicJwks(keys);
    ASSERT_TRUE(jwks.ok()) << jwks.status();
    // Written aside and renamed, as an identity provider's key publisher would.
    testing::WriteFile(dir_.Sub("jwks.json.new"), *jwks);
    std::filesystem::rename(dir_.Sub("jwks.json.new"), dir_.Sub("jwks.json"));
  }

  // Starts hubd serving mutual TLS with `limits` in its access file.
  void StartHubd(const std::string& limits = "") {
    std::ofstream(dir_.Sub("access.textproto"))
        << "agency_certificates { agency_id: \"asc-northshire\" match: "
           "\"URI:urn:hub:agency:asc-northshire\" }\n"
        << "agency_certificates { agency_id: \"police-northshire\" match: "
           "\"URI:urn:hub:agency:police-northshire\" system_roles: ROLE_REFERRER }\n"
        << "agency_certificates { agency_id: \"care-brightwater\" match: "
           "\"URI:urn:hub:agency:care-brightwater\" }\n"
        << "agency_certificates { agency_id: \"gp-riverside\" match: "
           "\"URI:urn:hub:agency:gp-riverside\" }\n"
        << "agency_certificates { agency_id: \"asc-northshire\" match: "
           "\"URI:urn:hub:operator:test\" operators: true }\n"
        << "token_issuer { issuer: \"" << kIssuer << "\" audience: \"" << kAudience << "\" }\n"
        << limits << "\n";
    const std::string port_file = dir_.Sub("port");
    absl::StatusOr<Hubd> hubd = SpawnHubd(
        {HUBD_PATH, "--listen=127.0.0.1:0", "--port_file=" + port_file,
         "--data_dir=" + dir_.Sub("data"), std::string("--partnership=") + kPartnership,
         std::string("--agreement=") + kAgreement, "--tls_cert=" + dir_.Sub("server.pem"),
         "--tls_key=" + dir_.Sub("server.key"), "--tls_client_ca=" + dir_.Sub("ca.pem"),
         "--jwks=" + dir_.Sub("jwks.json"), "--access=" + dir_.Sub("access.textproto")},
        port_file, dir_.Sub("hubd.stdout"), dir_.Sub("hubd.stderr"));
    ASSERT_TRUE(hubd.ok()) << hubd.status();
    hubd_ = std::move(*hubd);
  }

  // A mutual-TLS channel to the safeguarding services, or with `admin` to the raw log.
  std::shared_ptr<grpc::Channel> Channel(const Credentials& who, bool admin = false) const {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ca_.cert_pem;
    ssl.pem_cert_chain = who.cert_pem;
    ssl.pem_private_key = who.key_pem;
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    args.SetMaxReceiveMessageSize(64 << 20);
    return grpc::CreateCustomChannel(admin ? hubd_.admin_address() : hubd_.address(),
                                     grpc::SslCredentials(ssl), args);
  }
  std::shared_ptr<grpc::Channel> AdminChannel(const Credentials& who) const {
    return Channel(who, /*admin=*/true);
  }
  Credentials Operator() const { return {operator_.cert_pem, operator_.key_pem, ""}; }

  std::string Token(const std::string& agency, const std::string& roles,
                    const std::string& user = "sw.0042", absl::Duration expires_in = absl::Hours(1),
                    std::string audience = kAudience, const std::string* key = nullptr,
                    const std::string& kid = "k1", absl::Duration not_before = absl::ZeroDuration()) {
    identity::TokenToSign token;
    token.issuer = kIssuer;
    token.audience = {std::move(audience)};
    token.subject = user;
    token.agency_id = agency;
    token.roles = absl::StrSplit(roles, ',', absl::SkipEmpty());
    const absl::Time now = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
    token.issued_at = now - absl::Minutes(5);
    token.not_before = now + not_before;
    token.expires_at = now + expires_in;
    absl::StatusOr<std::string> signed_token =
        identity::SignToken(key ? *key : signing_key_, kid, token);
    EXPECT_TRUE(signed_token.ok()) << signed_token.status();
    return signed_token.value_or("");
  }

  Credentials Practitioner(const KeyAndCert& cert, const std::string& agency,
                           const std::string& roles, const std::string& user = "sw.0042") {
    return {cert.cert_pem, cert.key_pem, Token(agency, roles, user)};
  }

  static std::unique_ptr<grpc::ClientContext> Ctx(const Credentials& who) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    if (!who.token.empty()) ctx->AddMetadata("authorization", "Bearer " + who.token);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return ctx;
  }

  static api::RaiseConcernRequest Raise(const std::string& what) {
    api::RaiseConcernRequest raise;
    *raise.mutable_header() = Header();
    *raise.mutable_adult() = Adult("Doreen", "Ashworth", 1941, cv1::GENDER_FEMALE,
                                   cv1::PRIMARY_SUPPORT_REASON_LEARNING_DISABILITY, "4857773457");
    cv1::ConcernDetails* d = raise.mutable_details();
    d->set_what_happened(what);
    d->add_types_of_risk(cv1::TYPE_OF_RISK_FINANCIAL_OR_MATERIAL_ABUSE);
    d->set_location_of_risk(cv1::LOCATION_OF_RISK_OWN_HOME);
    d->mutable_referrer()->set_name("PC 2210 Nash");
    d->mutable_consent()->set_adult_aware(true);
    d->mutable_consent()->set_status(cv1::CONSENT_STATUS_GIVEN);
    return raise;
  }

  grpc::Status RaiseAs(const Credentials& who, api::RaiseConcernResponse* raised = nullptr) {
    api::RaiseConcernResponse response;
    auto stub = api::ReferralIntake::NewStub(Channel(who));
    return stub->RaiseConcern(Ctx(who).get(), Raise("Lodger takes her pension each week."),
                              raised ? raised : &response);
  }

  grpc::Status GetCaseAs(const Credentials& who, const std::string& concern_id) {
    api::GetCaseRequest request;
    request.mutable_header()->set_purpose(cv1::PURPOSE_TRIAGE);
    request.set_concern_id(concern_id);
    api::GetCaseResponse response;
    return api::Views::NewStub(Channel(who))->GetCase(Ctx(who).get(), request, &response);
  }

  // The log's head as the hub's operator sees it.
  int64_t Head() {
    const Credentials op{operator_.cert_pem, operator_.key_pem, ""};
    api::GetHeadResponse head;
    const grpc::Status status =
        api::LogAdmin::NewStub(AdminChannel(op))->GetHead(Ctx(op).get(), api::GetHeadRequest(), &head);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return head.position();
  }

  // The events of `stream`, read by the operator.
  std::vector<events::v1::Event> ReadStream(const std::string& stream) {
    const Credentials op{operator_.cert_pem, operator_.key_pem, ""};
    api::ReadStreamRequest request;
    request.set_stream(stream);
    api::ReadStreamResponse response;
    const grpc::Status status =
        api::EventStore::NewStub(AdminChannel(op))->ReadStream(Ctx(op).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<events::v1::Event> out;
    for (const api::RecordedEvent& recorded : response.events()) {
      events::v1::Event event;
      EXPECT_TRUE(event.ParseFromString(recorded.payload()));
      out.push_back(event);
    }
    return out;
  }

  hub::testing::TempDir dir_;
  KeyAndCert ca_, server_, asc_, police_, care_, gp_, operator_;
  std::string signing_key_;
  Hubd hubd_;
};

TEST_F(TlsE2eTest, ThePractitionersTokenAndTheAgencysCertificateTogetherPass) {
  StartHubd();
  EXPECT_THAT(hubd_.log(), HasSubstr("mutual TLS"));
  const Credentials triage = Practitioner(asc_, "asc-northshire", "mash_triage");
  api::RaiseConcernResponse raised;
  const grpc::Status raisedStatus = RaiseAs(triage, &raised);
  ASSERT_TRUE(raisedStatus.ok()) << raisedStatus.error_message();
  const grpc::Status read = GetCaseAs(triage, raised.concern_id());
  EXPECT_TRUE(read.ok()) << read.error_message();
  // A police system posting a Public Protection Notice: its certificate, no practitioner.
  const Credentials ppn_system{police_.cert_pem, police_.key_pem, ""};
  EXPECT_TRUE(RaiseAs(ppn_system).ok());
  // Who did it is recorded as the certificate and the token said.
  const std::vector<events::v1::Event> concern =
      ReadStream(absl::StrCat("concern-", raised.concern_id()));
  ASSERT_FALSE(concern.empty());
  EXPECT_EQ(concern[0].actor().agency_id(), "asc-northshire");
  EXPECT_EQ(concern[0].actor().user_id(), "sw.0042");
}

TEST_F(TlsE2eTest, EachBadCredentialIsRefusedAndChangesNothing) {
  StartHubd();
  const Credentials triage = Practitioner(asc_, "asc-northshire", "mash_triage");
  api::RaiseConcernResponse raised;
  ASSERT_TRUE(RaiseAs(triage, &raised).ok());
  const int64_t head = Head();

  const KeyAndCert other_ca = testing::MakeCa("Not the partnership's CA");
  const KeyAndCert foreign = Agency("asc-northshire", absl::Hours(24), &other_ca);
  const KeyAndCert expired = Agency("asc-northshire", -absl::Hours(1));
  const KeyAndCert unregistered = Agency("housing-northshire");
  const std::string other_key = testing::MakeEcSigningKey();
  const std::string good = Token("asc-northshire", "mash_triage");
  const struct {
    const char* name;
    Credentials who;
    const char* reason;
  } cases[] = {
      {"no client certificate", {"", "", good}, "no client certificate"},
      {"certificate from another CA", {foreign.cert_pem, foreign.key_pem, good}, "trusted"},
      {"expired certificate", {expired.cert_pem, expired.key_pem, good}, "expired"},
      {"unregistered certificate", {unregistered.cert_pem, unregistered.key_pem, good},
       "not registered"},
      {"no token where the agency has no system roles", {asc_.cert_pem, asc_.key_pem, ""},
       "practitioner"},
      {"expired token",
       {asc_.cert_pem, asc_.key_pem,
        Token("asc-northshire", "mash_triage", "sw.0042", -absl::Minutes(10))},
       "expired"},
      {"token not yet valid",
       {asc_.cert_pem, asc_.key_pem,
        Token("asc-northshire", "mash_triage", "sw.0042", absl::Hours(2), kAudience, nullptr,
              "k1", absl::Hours(1))},
       "not"},
      {"wrongly signed token",
       {asc_.cert_pem, asc_.key_pem,
        Token("asc-northshire", "mash_triage", "sw.0042", absl::Hours(1), kAudience, &other_key)},
       "signature"},
      {"wrong audience",
       {asc_.cert_pem, asc_.key_pem,
        Token("asc-northshire", "mash_triage", "sw.0042", absl::Hours(1), "another-service")},
       "audience"},
      {"token of another agency",
       {asc_.cert_pem, asc_.key_pem, Token("police-northshire", "mash_triage")},
       "token is for agency 'police-northshire'"},
      {"garbage token", {asc_.cert_pem, asc_.key_pem, "not.a.token"}, "malformed"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const grpc::Status raise = RaiseAs(c.who);
    EXPECT_EQ(raise.error_code(), grpc::UNAUTHENTICATED) << raise.error_message();
    EXPECT_THAT(raise.error_message(), HasSubstr(c.reason));
    const grpc::Status read = GetCaseAs(c.who, raised.concern_id());
    EXPECT_EQ(read.error_code(), grpc::UNAUTHENTICATED) << read.error_message();
  }
  // Nothing was appended, and no disclosure was recorded (disclosures are events).
  EXPECT_EQ(Head(), head);
  EXPECT_THAT(hubd_.log(), HasSubstr("call refused"));
}

TEST_F(TlsE2eTest, DevelopmentMetadataIsIgnoredOverTls) {
  StartHubd();
  auto stub = api::ReferralIntake::NewStub(Channel({asc_.cert_pem, asc_.key_pem, ""}));
  grpc::ClientContext ctx;
  ctx.AddMetadata("x-hub-agency", "asc-northshire");
  ctx.AddMetadata("x-hub-user", "someone");
  ctx.AddMetadata("x-hub-roles", "safeguarding_manager");
  api::RaiseConcernResponse response;
  EXPECT_EQ(stub->RaiseConcern(&ctx, Raise("x"), &response).error_code(), grpc::UNAUTHENTICATED);
}

// Calls multiplexed on one connection each carry their own practitioner.
TEST_F(TlsE2eTest, TwoPractitionersOnOneConnectionAreTwoCallers) {
  StartHubd();
  auto stub = api::ReferralIntake::NewStub(Channel({asc_.cert_pem, asc_.key_pem, ""}));
  std::vector<std::string> concerns;
  for (const char* user : {"first.worker", "second.worker", "first.worker"}) {
    const Credentials who{asc_.cert_pem, asc_.key_pem, Token("asc-northshire", "referrer", user)};
    api::RaiseConcernResponse raised;
    ASSERT_TRUE(stub->RaiseConcern(Ctx(who).get(), Raise(user), &raised).ok());
    concerns.push_back(raised.concern_id());
  }
  EXPECT_EQ(ReadStream("concern-" + concerns[0])[0].actor().user_id(), "first.worker");
  EXPECT_EQ(ReadStream("concern-" + concerns[1])[0].actor().user_id(), "second.worker");
  EXPECT_EQ(ReadStream("concern-" + concerns[2])[0].actor().user_id(), "first.worker");
}

TEST_F(TlsE2eTest, RolesStillDecideWhatAnAuthenticatedCallerMayDo) {
  StartHubd();
  // A practitioner cannot reach the raw log; the operator's certificate can.
  const Credentials triage = Practitioner(asc_, "asc-northshire", "mash_triage");
  api::GetHeadResponse head;
  EXPECT_EQ(api::LogAdmin::NewStub(AdminChannel(triage))
                ->GetHead(Ctx(triage).get(), api::GetHeadRequest(), &head)
                .error_code(),
            grpc::PERMISSION_DENIED);
  EXPECT_GE(Head(), -1);
  // The police system may raise, not triage.
  const Credentials ppn_system{police_.cert_pem, police_.key_pem, ""};
  api::RaiseConcernResponse raised;
  ASSERT_TRUE(RaiseAs(ppn_system, &raised).ok());
  api::TriageConcernRequest triage_request;
  *triage_request.mutable_header() = Header(raised.result().version());
  triage_request.set_concern_id(raised.concern_id());
  triage_request.set_rating(cv1::RAG_RATING_RED);
  triage_request.set_rationale("Pension taken weekly; she is frightened of him.");
  api::TriageConcernResponse triaged;
  const grpc::Status refused = api::Mash::NewStub(Channel(ppn_system))
                                   ->TriageConcern(Ctx(ppn_system).get(), triage_request, &triaged);
  EXPECT_EQ(refused.error_code(), grpc::PERMISSION_DENIED) << refused.error_message();
}

TEST_F(TlsE2eTest, ANewSigningKeyIsPickedUpWithoutARestart) {
  StartHubd();
  const std::string new_key = testing::MakeEcSigningKey();
  const Credentials rotated{asc_.cert_pem, asc_.key_pem,
                            Token("asc-northshire", "referrer", "sw.1", absl::Hours(1), kAudience,
                                  &new_key, "k2")};
  EXPECT_EQ(RaiseAs(rotated).error_code(), grpc::UNAUTHENTICATED);
  WriteJwks({{signing_key_, "k1"}, {new_key, "k2"}});
  // The unknown key id makes the verifier look at the file again (at most once a second).
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  grpc::Status status = RaiseAs(rotated);
  while (!status.ok() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(200));
    status = RaiseAs(rotated);
  }
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(RaiseAs(Practitioner(asc_, "asc-northshire", "referrer")).ok());  // k1 still good
}

TEST_F(TlsE2eTest, ACallerOverItsRateIsToldToWait) {
  StartHubd("limits { requests_per_second: 1 burst: 3 }");
  const Credentials worker = Practitioner(asc_, "asc-northshire", "referrer");
  auto stub = api::ReferralIntake::NewStub(Channel(worker));
  int exhausted = 0;
  for (int i = 0; i < 6; ++i) {
    api::RaiseConcernResponse raised;
    const grpc::Status status = stub->RaiseConcern(Ctx(worker).get(), Raise("x"), &raised);
    if (status.error_code() == grpc::RESOURCE_EXHAUSTED) {
      ++exhausted;
      EXPECT_THAT(status.error_message(), HasSubstr("retry after"));
    }
  }
  EXPECT_GE(exhausted, 2);
  // Another practitioner of the same agency has a bucket of their own.
  EXPECT_TRUE(RaiseAs(Practitioner(asc_, "asc-northshire", "referrer", "other.worker")).ok());
}

TEST_F(TlsE2eTest, OversizeMessagesAndFieldsAreRefused) {
  StartHubd("limits { max_message_bytes: 65536 max_long_text: 1000 }");
  const Credentials worker = Practitioner(asc_, "asc-northshire", "referrer");
  auto stub = api::ReferralIntake::NewStub(Channel(worker));
  const int64_t head = Head();
  api::RaiseConcernResponse raised;
  grpc::Status status = stub->RaiseConcern(
      Ctx(worker).get(), Raise(std::string(70000, 'x')), &raised);
  EXPECT_EQ(status.error_code(), grpc::RESOURCE_EXHAUSTED) << status.error_message();
  status = stub->RaiseConcern(Ctx(worker).get(), Raise(std::string(1001, 'x')), &raised);
  EXPECT_EQ(status.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("details.what_happened"));
  EXPECT_EQ(Head(), head);
}

// An operator's raw append cannot forge what the hub's commands write: a hub event type, or
// any event on a case's own streams, is refused before anything is appended.
TEST_F(TlsE2eTest, ForgedHubEventsThroughTheRawLogAreRefused) {
  StartHubd();
  const Credentials triage = Practitioner(asc_, "asc-northshire", "mash_triage");
  api::RaiseConcernResponse raised;
  ASSERT_TRUE(RaiseAs(triage, &raised).ok());
  const int64_t head = Head();
  const Credentials op = Operator();
  auto stub = api::EventStore::NewStub(AdminChannel(op));
  events::v1::Event forged;
  forged.mutable_actor()->set_agency_id("asc-northshire");
  forged.mutable_actor()->set_user_id("sw.0042");
  forged.mutable_emergency_access_granted()->set_concern_id(raised.concern_id());
  forged.mutable_emergency_access_granted()->set_agency_id("asc-northshire");
  forged.mutable_emergency_access_granted()->set_user_id("sw.0042");
  const struct {
    std::string stream;
    std::string type;
    std::string says;
  } cases[] = {
      {"emergency-access-" + raised.concern_id(), "EmergencyAccessGranted",
       "'EmergencyAccessGranted' is a hub event"},
      {"ops-notes", "EmergencyAccessGranted", "'EmergencyAccessGranted' is a hub event"},
      {"concern-" + raised.concern_id(), "NoteAdded", "hub's own streams"},
      {"operator-access", "NoteAdded", "hub's own streams"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.stream + " " + c.type);
    api::AppendRequest request;
    request.set_stream(c.stream);
    request.mutable_expected_version()->set_any(true);
    api::NewEvent* event = request.add_events();
    event->set_type(c.type);
    event->set_payload(forged.SerializeAsString());
    api::AppendResponse response;
    const grpc::Status status = stub->Append(Ctx(op).get(), request, &response);
    EXPECT_EQ(status.error_code(), grpc::PERMISSION_DENIED) << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr(c.says));
    EXPECT_THAT(status.error_message(), HasSubstr("only through the domain's commands"));
  }
  EXPECT_EQ(Head(), head);
  // Other systems' own events still go through the raw log.
  api::AppendRequest note;
  note.set_stream("ops-notes");
  note.mutable_expected_version()->set_any(true);
  note.add_events()->set_type("NoteAdded");
  api::AppendResponse appended;
  EXPECT_TRUE(stub->Append(Ctx(op).get(), note, &appended).ok());
}

// A raw read is recorded as the operator whose certificate made it, before it is answered.
TEST_F(TlsE2eTest, RawReadsAreRecordedAsTheOperatorWhoMadeThem) {
  StartHubd();
  const Credentials triage = Practitioner(asc_, "asc-northshire", "mash_triage");
  api::RaiseConcernResponse raised;
  ASSERT_TRUE(RaiseAs(triage, &raised).ok());
  const Credentials op = Operator();
  api::ReadAllRequest request;
  request.set_reason("investigating incident 77");
  api::ReadAllResponse all;
  ASSERT_TRUE(
      api::EventStore::NewStub(AdminChannel(op))->ReadAll(Ctx(op).get(), request, &all).ok());
  const std::vector<events::v1::Event> audit = ReadStream("operator-access");
  ASSERT_EQ(audit.size(), 2u);  // the ReadAll, then this ReadStream
  EXPECT_EQ(audit[0].actor().agency_id(), "asc-northshire");
  EXPECT_EQ(audit[0].actor().user_id(), "operator:hub-operator");
  EXPECT_EQ(audit[0].raw_log_accessed().method(), "EventStore.ReadAll");
  EXPECT_EQ(audit[0].raw_log_accessed().reason(), "investigating incident 77");
  EXPECT_EQ(audit[1].raw_log_accessed().method(), "EventStore.ReadStream");
  EXPECT_EQ(audit[1].raw_log_accessed().stream(), "operator-access");
  // The ReadAll already showed its own record: nothing leaves before it is written.
  ASSERT_GT(all.events_size(), 0);
  EXPECT_EQ(all.events(all.events_size() - 1).type(), "RawLogAccessed");
}

// A long-lived call opened with short-lived credentials ends when they expire: an operator's
// subscription to the raw log (operators have a certificate, no token), and a practitioner's
// notification watch (their token).
TEST_F(TlsE2eTest, ASubscriptionEndsWhenItsTokenOrCertificateExpires) {
  StartHubd();
  const absl::Time now = absl::Now();
  const KeyAndCert short_cert =
      testing::IssueCert(ca_, "hub-operator", {}, {"urn:hub:operator:test"}, {},
                         now - absl::Hours(1), now + absl::Seconds(4), false);
  {
    const Credentials who{short_cert.cert_pem, short_cert.key_pem, ""};
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    auto reader = api::EventStore::NewStub(AdminChannel(who))
                      ->Subscribe(&context, api::SubscribeRequest());
    api::SubscribeResponse message;
    bool caught_up = false;
    while (!caught_up && reader->Read(&message)) caught_up = message.has_caught_up_at();
    EXPECT_TRUE(caught_up);
    EXPECT_FALSE(reader->Read(&message));  // nothing more is written; the stream ends
    const grpc::Status ended = reader->Finish();
    EXPECT_EQ(ended.error_code(), grpc::UNAUTHENTICATED) << ended.error_message();
    EXPECT_THAT(ended.error_message(), HasSubstr("credentials expired"));
    EXPECT_LT(absl::Now(), now + absl::Seconds(20));  // at the expiry, not the deadline
  }
  {
    const Credentials who{asc_.cert_pem, asc_.key_pem,
                          Token("asc-northshire", "mash_triage", "ops.1", absl::Seconds(3))};
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + who.token);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    auto reader = api::Views::NewStub(Channel(who))
                      ->WatchNotifications(&context, api::WatchNotificationsRequest());
    api::WatchNotificationsResponse message;
    EXPECT_TRUE(reader->Read(&message));  // caught up
    EXPECT_FALSE(reader->Read(&message));
    const grpc::Status ended = reader->Finish();
    EXPECT_EQ(ended.error_code(), grpc::UNAUTHENTICATED) << ended.error_message();
    EXPECT_THAT(ended.error_message(), HasSubstr("credentials expired"));
    EXPECT_LT(absl::Now(), now + absl::Seconds(20));
  }
}

// Once a data directory has been served over TLS it may hold real people's data: hubd
// refuses to serve it with the development identity, in which a caller is whoever it claims.
TEST_F(TlsE2eTest, ADirectoryServedOverTlsIsNeverServedWithTheDevelopmentIdentity) {
  StartHubd();
  ASSERT_TRUE(RaiseAs(Practitioner(asc_, "asc-northshire", "referrer")).ok());
  hubd_.process->Signal(SIGTERM);
  ASSERT_EQ(hubd_.process->WaitForExit(absl::Seconds(10)), 0) << hubd_.log();
  hubd_ = Hubd();
  const std::string err = dir_.Sub("dev.stderr");
  absl::StatusOr<std::unique_ptr<ChildProcess>> dev = ChildProcess::Spawn(
      {HUBD_PATH, "--listen=127.0.0.1:0", "--admin_listen=127.0.0.1:0",
       "--data_dir=" + dir_.Sub("data"), std::string("--partnership=") + kPartnership,
       std::string("--agreement=") + kAgreement, "--dev_identity_from_metadata"},
      dir_.Sub("dev.stdout"), err);
  ASSERT_TRUE(dev.ok());
  const std::optional<int> code = (*dev)->WaitForExit(kStartTimeout);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 1);
  EXPECT_THAT(ReadFile(err), HasSubstr("has been served over mutual TLS"));
}

// The safeguarding services take messages of 4 MiB; the raw log, on its own address, takes
// the larger appends it is made for.
TEST_F(TlsE2eTest, EachAddressHasItsOwnReceiveLimit) {
  StartHubd();
  const Credentials worker = Practitioner(asc_, "asc-northshire", "referrer");
  api::RaiseConcernResponse raised;
  const grpc::Status oversize = api::ReferralIntake::NewStub(Channel(worker))
                                    ->RaiseConcern(Ctx(worker).get(),
                                                   Raise(std::string(5 << 20, 'x')), &raised);
  EXPECT_EQ(oversize.error_code(), grpc::RESOURCE_EXHAUSTED) << oversize.error_message();
  const Credentials op = Operator();
  api::AppendRequest big;
  big.set_stream("ops-archive");
  big.mutable_expected_version()->set_any(true);
  for (int i = 0; i < 6; ++i) {
    api::NewEvent* event = big.add_events();
    event->set_type("ArchiveChunk");
    event->set_payload(std::string(900 << 10, 'x'));
  }
  api::AppendResponse appended;
  const grpc::Status status =
      api::EventStore::NewStub(AdminChannel(op))->Append(Ctx(op).get(), big, &appended);
  EXPECT_TRUE(status.ok()) << status.error_message();
}


// ---- Who may act on a case, over mutual TLS with real tokens ----

// A unary call on `stub` as `who`.
template <typename Stub, typename Request, typename Response>
grpc::Status CallAs(const std::unique_ptr<Stub>& stub,
                    grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                    const std::unique_ptr<grpc::ClientContext>& ctx, const Request& request) {
  Response response;
  return ((*stub).*method)(ctx.get(), request, &response);
}

api::TriageConcernRequest TriageRequest(const api::RaiseConcernResponse& raised) {
  api::TriageConcernRequest request;
  *request.mutable_header() = Header(raised.result().version());
  request.set_concern_id(raised.concern_id());
  request.set_rating(cv1::RAG_RATING_RED);
  request.set_rationale("Pension taken weekly; she is frightened of him.");
  return request;
}

TEST_F(TlsE2eTest, AnotherAgencyCannotTakeOverAConcern) {
  StartHubd();
  const Credentials ppn_system{police_.cert_pem, police_.key_pem, ""};
  api::RaiseConcernResponse raised;
  ASSERT_TRUE(RaiseAs(ppn_system, &raised).ok());
  const int64_t head = Head();
  // A care home's safeguarding manager tries the MASH's steps on a police-raised concern.
  const Credentials care_manager = Practitioner(care_, "care-brightwater", "safeguarding_manager");
  auto mash = api::Mash::NewStub(Channel(care_manager));
  const grpc::Status triage =
      CallAs(mash, &api::Mash::Stub::TriageConcern, Ctx(care_manager), TriageRequest(raised));
  EXPECT_EQ(triage.error_code(), grpc::PERMISSION_DENIED) << triage.error_message();
  api::RequestResearchRequest research;
  *research.mutable_header() = Header(raised.result().version());
  research.set_concern_id(raised.concern_id());
  research.set_agency_id("gp-riverside");
  research.set_questions("Is she known to the practice?");
  EXPECT_EQ(CallAs(mash, &api::Mash::Stub::RequestResearch, Ctx(care_manager), research)
                .error_code(),
            grpc::PERMISSION_DENIED);
  api::RecordReferrerFeedbackRequest feedback;
  *feedback.mutable_header() = Header(raised.result().version());
  feedback.set_concern_id(raised.concern_id());
  feedback.set_feedback("We have it in hand.");
  EXPECT_EQ(CallAs(mash, &api::Mash::Stub::RecordReferrerFeedback, Ctx(care_manager), feedback)
                .error_code(),
            grpc::PERMISSION_DENIED);
  // The police who raised it do not triage it either: that is the MASH's.
  const Credentials police_manager =
      Practitioner(police_, "police-northshire", "safeguarding_manager", "di.7");
  const grpc::Status by_police = CallAs(api::Mash::NewStub(Channel(police_manager)),
                                        &api::Mash::Stub::TriageConcern, Ctx(police_manager),
                                        TriageRequest(raised));
  EXPECT_EQ(by_police.error_code(), grpc::PERMISSION_DENIED);
  EXPECT_THAT(by_police.error_message(), HasSubstr("TriageConcern on this case is for the MASH"));
  EXPECT_EQ(Head(), head) << "a refused command writes nothing";
  // The host council's MASH triages it.
  const Credentials triage_officer = Practitioner(asc_, "asc-northshire", "mash_triage");
  const grpc::Status by_mash = CallAs(api::Mash::NewStub(Channel(triage_officer)),
                                      &api::Mash::Stub::TriageConcern, Ctx(triage_officer),
                                      TriageRequest(raised));
  EXPECT_TRUE(by_mash.ok()) << by_mash.error_message();
}

TEST_F(TlsE2eTest, ConsentIsRecordedByTheLeadOnceTriaged) {
  StartHubd();
  const Credentials ppn_system{police_.cert_pem, police_.key_pem, ""};
  api::RaiseConcernResponse raised;
  ASSERT_TRUE(RaiseAs(ppn_system, &raised).ok());
  const Credentials mash = Practitioner(asc_, "asc-northshire", "mash_triage");
  api::TriageConcernResponse triaged;
  ASSERT_TRUE(api::Mash::NewStub(Channel(mash))
                  ->TriageConcern(Ctx(mash).get(), TriageRequest(raised), &triaged)
                  .ok());
  api::RecordSharingConsentRequest consent;
  *consent.mutable_header() = Header(triaged.result().version());
  consent.set_concern_id(raised.concern_id());
  consent.set_consent_given(false);
  consent.add_override_grounds(cv1::OVERRIDE_GROUND_SERIOUS_CRIME);
  consent.set_justification("Fraud by the lodger is under investigation.");
  const Credentials police_triage =
      Practitioner(police_, "police-northshire", "mash_triage", "ppd.1");
  const Credentials care_officer = Practitioner(care_, "care-brightwater", "enquiry_officer");
  const int64_t head = Head();
  for (const Credentials& who : {police_triage, care_officer}) {
    const grpc::Status refused = CallAs(api::Mash::NewStub(Channel(who)),
                                        &api::Mash::Stub::RecordSharingConsent, Ctx(who), consent);
    EXPECT_EQ(refused.error_code(), grpc::PERMISSION_DENIED) << refused.error_message();
  }
  EXPECT_EQ(Head(), head);
  const grpc::Status recorded = CallAs(api::Mash::NewStub(Channel(mash)),
                                       &api::Mash::Stub::RecordSharingConsent, Ctx(mash), consent);
  EXPECT_TRUE(recorded.ok()) << recorded.error_message();
}

TEST_F(TlsE2eTest, AnIdentityProviderCannotMintAnOperator) {
  StartHubd();
  const Credentials forged = Practitioner(police_, "police-northshire", "administrator", "pc.1");
  api::ReadAllRequest read_all;
  api::ReadAllResponse all;
  const grpc::Status read = api::EventStore::NewStub(Channel(forged))
                                ->ReadAll(Ctx(forged).get(), read_all, &all);
  EXPECT_EQ(read.error_code(), grpc::UNAUTHENTICATED) << read.error_message();
  EXPECT_THAT(read.error_message(), HasSubstr("administrator"));
  api::BackupRequest backup;
  backup.set_directory(dir_.Sub("stolen"));
  api::BackupResponse backed_up;
  EXPECT_EQ(api::LogAdmin::NewStub(Channel(forged))
                ->Backup(Ctx(forged).get(), backup, &backed_up)
                .error_code(),
            grpc::UNAUTHENTICATED);
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("stolen")));
  // Nor does a practitioner's token ride on the operators' certificate.
  const Credentials operator_with_token{operator_.cert_pem, operator_.key_pem,
                                        Token("asc-northshire", "mash_triage")};
  EXPECT_EQ(api::EventStore::NewStub(Channel(operator_with_token))
                ->ReadAll(Ctx(operator_with_token).get(), read_all, &all)
                .error_code(),
            grpc::UNAUTHENTICATED);
  // The operators' certificate alone is the operator.
  EXPECT_GE(Head(), -1);
}

TEST_F(TlsE2eTest, BreakGlassIsANamedPractitionersOnceUntilItExpires) {
  StartHubd();
  const Credentials ppn_system{police_.cert_pem, police_.key_pem, ""};
  api::RaiseConcernResponse raised;
  ASSERT_TRUE(RaiseAs(ppn_system, &raised).ok());
  api::RequestEmergencyAccessRequest request;
  *request.mutable_header() = Header();
  request.set_concern_id(raised.concern_id());
  request.set_reason("Found collapsed at the care home at 3am; need her risks and contacts.");
  request.set_purpose(cv1::PURPOSE_CARE_PROVISION);
  api::RequestEmergencyAccessResponse granted;
  // An agency's system, with no practitioner named, may not break the glass.
  const Credentials care_system_like{police_.cert_pem, police_.key_pem, ""};
  grpc::Status status = api::Views::NewStub(Channel(care_system_like))
                            ->RequestEmergencyAccess(Ctx(care_system_like).get(), request, &granted);
  EXPECT_EQ(status.error_code(), grpc::PERMISSION_DENIED) << status.error_message();
  // A named care home worker may, once while the grant runs.
  const Credentials carer = Practitioner(care_, "care-brightwater", "referrer", "night.nurse");
  auto views = api::Views::NewStub(Channel(carer));
  status = views->RequestEmergencyAccess(Ctx(carer).get(), request, &granted);
  ASSERT_TRUE(status.ok()) << status.error_message();
  *request.mutable_header() = Header();
  status = views->RequestEmergencyAccess(Ctx(carer).get(), request, &granted);
  EXPECT_EQ(status.error_code(), grpc::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("already hold emergency access"));
}

TEST_F(TlsE2eTest, QuotingAnNhsNumberDisclosesNothingOfTheAdultItBelongsTo) {
  StartHubd();
  // The MASH knows Doreen (NHS 4857773457) from an earlier concern.
  const Credentials mash = Practitioner(asc_, "asc-northshire", "mash_triage");
  api::RaiseConcernResponse first;
  ASSERT_TRUE(RaiseAs(mash, &first).ok());
  // A care home raises a concern quoting the same NHS number with made-up other details.
  api::RaiseConcernRequest probe = Raise("Is this anyone you know?");
  probe.mutable_adult()->mutable_name()->set_given("Xavier");
  probe.mutable_adult()->mutable_name()->set_family("Probe");
  probe.mutable_adult()->mutable_address()->set_postcode("ZZ9 9ZZ");
  const Credentials carer = Practitioner(care_, "care-brightwater", "referrer", "carer.1");
  api::RaiseConcernResponse raised;
  grpc::Status status = api::ReferralIntake::NewStub(Channel(carer))
                            ->RaiseConcern(Ctx(carer).get(), probe, &raised);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(raised.concern_id().empty());
  EXPECT_FALSE(raised.linked_to_existing_person());
  EXPECT_TRUE(raised.person_id().empty());
  EXPECT_EQ(raised.episode(), 0);
  EXPECT_THAT(raised.previous_concern_ids(), ::testing::IsEmpty());
  // Its own view of the concern shows the adult as it described her, not the MASH's record.
  api::GetCaseRequest get;
  get.mutable_header()->set_purpose(cv1::PURPOSE_CARE_PROVISION);
  get.set_concern_id(raised.concern_id());
  api::GetCaseResponse view;
  status = api::Views::NewStub(Channel(carer))->GetCase(Ctx(carer).get(), get, &view);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_NE(view.view().identity().details().name().given(), "Doreen");
  EXPECT_TRUE(view.view().identity().person_id().empty());
  EXPECT_TRUE(view.view().summary().previous_concern_ids().empty());
  // Nor can it raise about the person by id, or export her record.
  api::RaiseConcernRequest by_id = Raise("about her again");
  by_id.set_person_id(first.person_id());
  status = api::ReferralIntake::NewStub(Channel(carer))->RaiseConcern(Ctx(carer).get(), by_id, &raised);
  EXPECT_EQ(status.error_code(), grpc::PERMISSION_DENIED) << status.error_message();
  // The MASH sees the link in its own view.
  get.mutable_header()->set_purpose(cv1::PURPOSE_TRIAGE);
  status = api::Views::NewStub(Channel(mash))->GetCase(Ctx(mash).get(), get, &view);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(view.view().identity().details().name().given(), "Doreen");
  EXPECT_EQ(view.view().identity().person_id(), first.person_id());
}

TEST_F(TlsE2eTest, SubjectAccessIsTheRecordHoldersOnly) {
  StartHubd();
  const Credentials mash = Practitioner(asc_, "asc-northshire", "mash_triage");
  api::RaiseConcernResponse raised;
  ASSERT_TRUE(RaiseAs(mash, &raised).ok());
  api::ExportSubjectAccessRequest sar;
  sar.mutable_header()->set_purpose(cv1::PURPOSE_SUBJECT_ACCESS);
  sar.set_person_id(raised.person_id());
  api::ExportSubjectAccessResponse exported;
  const Credentials police_manager =
      Practitioner(police_, "police-northshire", "safeguarding_manager", "di.7");
  const grpc::Status refused = api::Views::NewStub(Channel(police_manager))
                                   ->ExportSubjectAccess(Ctx(police_manager).get(), sar, &exported);
  EXPECT_EQ(refused.error_code(), grpc::PERMISSION_DENIED);
  EXPECT_FALSE(exported.has_person());
}

TEST_F(TlsE2eTest, AnUnknownCaseAndAnotherAgencysCaseAnswerAlike) {
  StartHubd();
  const Credentials ppn_system{police_.cert_pem, police_.key_pem, ""};
  api::RaiseConcernResponse raised;
  ASSERT_TRUE(RaiseAs(ppn_system, &raised).ok());
  const Credentials carer = Practitioner(care_, "care-brightwater", "referrer", "carer.2");
  const grpc::Status known = GetCaseAs(carer, raised.concern_id());
  const grpc::Status unknown = GetCaseAs(carer, "00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(known.error_code(), grpc::PERMISSION_DENIED);
  EXPECT_EQ(unknown.error_code(), known.error_code());
  EXPECT_EQ(unknown.error_message(), known.error_message());
  // And a command on either.
  const Credentials care_manager = Practitioner(care_, "care-brightwater", "safeguarding_manager");
  auto mash = api::Mash::NewStub(Channel(care_manager));
  api::TriageConcernRequest on_known = TriageRequest(raised);
  api::TriageConcernRequest on_unknown = on_known;
  on_unknown.set_concern_id("00000000-0000-4000-8000-000000000000");
  const grpc::Status known_cmd =
      CallAs(mash, &api::Mash::Stub::TriageConcern, Ctx(care_manager), on_known);
  const grpc::Status unknown_cmd =
      CallAs(mash, &api::Mash::Stub::TriageConcern, Ctx(care_manager), on_unknown);
  EXPECT_EQ(known_cmd.error_code(), grpc::PERMISSION_DENIED);
  EXPECT_EQ(unknown_cmd.error_code(), known_cmd.error_code());
  EXPECT_EQ(absl::StrReplaceAll(unknown_cmd.error_message(), {{on_unknown.concern_id(), "ID"}}),
            absl::StrReplaceAll(known_cmd.error_message(), {{raised.concern_id(), "ID"}}));
}

TEST_F(TlsE2eTest, WatchesAreBoundedPerCaller) {
  StartHubd();
  const Credentials mash = Practitioner(asc_, "asc-northshire", "mash_triage");
  auto views = api::Views::NewStub(Channel(mash));
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReader<api::WatchNotificationsResponse>>> readers;
  api::WatchNotificationsRequest request;
  for (int i = 0; i < 4; ++i) {
    contexts.push_back(Ctx(mash));
    readers.push_back(views->WatchNotifications(contexts.back().get(), request));
    api::WatchNotificationsResponse first;
    ASSERT_TRUE(readers.back()->Read(&first)) << "watch " << i << " opens";
  }
  auto fifth_ctx = Ctx(mash);
  auto fifth = views->WatchNotifications(fifth_ctx.get(), request);
  api::WatchNotificationsResponse message;
  EXPECT_FALSE(fifth->Read(&message));
  const grpc::Status refused = fifth->Finish();
  EXPECT_EQ(refused.error_code(), grpc::RESOURCE_EXHAUSTED) << refused.error_message();
  // Another practitioner still has room of their own.
  const Credentials colleague = Practitioner(asc_, "asc-northshire", "mash_triage", "sw.other");
  auto other_ctx = Ctx(colleague);
  auto other = api::Views::NewStub(Channel(colleague))->WatchNotifications(other_ctx.get(), request);
  EXPECT_TRUE(other->Read(&message));
  other_ctx->TryCancel();
  for (auto& ctx : contexts) ctx->TryCancel();
}

TEST_F(TlsE2eTest, APoliceSystemReadsItsOwnNotifications) {
  StartHubd();
  const Credentials ppn_system{police_.cert_pem, police_.key_pem, ""};
  api::ListNotificationsRequest request;
  api::ListNotificationsResponse response;
  const grpc::Status status = api::Views::NewStub(Channel(ppn_system))
                                  ->ListNotifications(Ctx(ppn_system).get(), request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(TlsE2eTest, TwoPractitionersMayPickTheSameCommandId) {
  StartHubd();
  api::RaiseConcernRequest raise = Raise("Same id, two people.");
  raise.mutable_header()->set_command_id("shared-id-1");
  std::vector<std::string> concerns;
  for (const char* user : {"worker.a", "worker.b"}) {
    const Credentials who = Practitioner(asc_, "asc-northshire", "referrer", user);
    api::RaiseConcernResponse raised;
    const grpc::Status status =
        api::ReferralIntake::NewStub(Channel(who))->RaiseConcern(Ctx(who).get(), raise, &raised);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_FALSE(raised.result().replayed());
    concerns.push_back(raised.concern_id());
  }
  EXPECT_NE(concerns[0], concerns[1]);
}

TEST_F(TlsE2eTest, ControlAndBidirectionalCharactersAreRefused) {
  StartHubd();
  const Credentials worker = Practitioner(asc_, "asc-northshire", "referrer");
  const int64_t head = Head();
  for (const std::string& bad : {std::string("Bruising\x1b[2J seen"),
                                 std::string("Paid \xE2\x80\xAE" "0001\xE2\x80\xAC pounds")}) {
    api::RaiseConcernResponse raised;
    const grpc::Status status = api::ReferralIntake::NewStub(Channel(worker))
                                    ->RaiseConcern(Ctx(worker).get(), Raise(bad), &raised);
    EXPECT_EQ(status.error_code(), grpc::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("details.what_happened"));
  }
  EXPECT_EQ(Head(), head);
}

}  // namespace
}  // namespace hub::e2e
