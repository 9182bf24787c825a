// The fixture the end-to-end scenario tests share: the real hubd (a child process on
// 127.0.0.1:0 over a fresh RocksDB directory) with the example partnership and agreement and the
// development identity from request metadata, a stub per service, and builders for requests.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
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
#include "hub/api/v1/views_service.grpc.pb.h"
#include "tests/e2e/hub_process.h"
#include "tests/testing/temp_dir.h"

namespace hub::e2e {

namespace api = ::hub::api::v1;
namespace cv1 = ::hub::common::v1;

inline constexpr char kPartnership[] = HUB_SOURCE_DIR "/deploy/partnership.example.textproto";
inline constexpr char kAgreement[] = HUB_SOURCE_DIR "/deploy/agreement.example.textproto";

// Who is calling, as the development identity metadata says.
struct As {
  std::string agency;
  std::string user;
  std::string roles;
};
inline const As kCarer{"care-brightwater", "carer.jo", "referrer"};
inline const As kPolice{"police-northshire", "pc.4471", "referrer"};
inline const As kPoliceResearcher{"police-northshire", "ppd.researcher", "mash_researcher"};
inline const As kGpResearcher{"gp-riverside", "gp.safeguarding.lead", "mash_researcher"};
inline const As kTriage{"asc-northshire", "mash.triage", "mash_triage"};
inline const As kManager{"asc-northshire", "sg.manager", "safeguarding_manager"};
inline const As kOfficer{"asc-northshire", "social.worker", "enquiry_officer"};

inline int commands = 0;
inline api::CommandHeader Header(std::optional<int64_t> expected = std::nullopt) {
  api::CommandHeader h;
  h.set_command_id(absl::StrCat("e2e-", ++commands, "-", absl::ToUnixNanos(absl::Now())));
  if (expected) h.set_expected_version(*expected);
  return h;
}

inline google::protobuf::Timestamp In(absl::Duration d) {
  google::protobuf::Timestamp t;
  t.set_seconds(absl::ToUnixSeconds(absl::Now() + d));
  return t;
}

class SafeguardingE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string port_file = dir_.Sub("port");
    absl::StatusOr<Hubd> hubd = SpawnHubd(
        {HUBD_PATH, "--listen=127.0.0.1:0", "--port_file=" + port_file,
         "--data_dir=" + dir_.Sub("data"), std::string("--partnership=") + kPartnership,
         std::string("--agreement=") + kAgreement,
         "--dev_identity_from_metadata"},
        port_file, dir_.Sub("hubd.stdout"), dir_.Sub("hubd.stderr"));
    ASSERT_TRUE(hubd.ok()) << hubd.status();
    hubd_ = std::move(*hubd);
    auto channel = hubd_.Channel();
    intake_ = api::ReferralIntake::NewStub(channel);
    mash_ = api::Mash::NewStub(channel);
    enquiry_ = api::Enquiry::NewStub(channel);
    advocacy_ = api::Advocacy::NewStub(channel);
    people_ = api::People::NewStub(channel);
    admin_ = api::LogAdmin::NewStub(hubd_.AdminChannel());
    views_ = api::Views::NewStub(channel);
    projection_admin_ = api::ProjectionAdmin::NewStub(channel);
  }

  void TearDown() override {
    if (hubd_.process) {
      hubd_.process->Signal(SIGTERM);
      EXPECT_EQ(hubd_.process->WaitForExit(absl::Seconds(10)), 0) << hubd_.log();
    }
  }

  // A client context carrying `who` and a deadline.
  static std::unique_ptr<grpc::ClientContext> Ctx(const As& who) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("x-hub-agency", who.agency);
    ctx->AddMetadata("x-hub-user", who.user);
    ctx->AddMetadata("x-hub-roles", who.roles);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return ctx;
  }

  // Calls `method` on `stub` as `who` and returns the status; the response lands in `response`.
  template <typename Stub, typename Req, typename Resp>
  grpc::Status Call(Stub& stub,
                    grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                    const As& who, const Req& request, Resp& response) {
    auto ctx = Ctx(who);
    return (stub.*method)(ctx.get(), request, &response);
  }

  int64_t Head() {
    grpc::ClientContext ctx;
    api::GetHeadResponse head;
    EXPECT_TRUE(admin_->GetHead(&ctx, api::GetHeadRequest(), &head).ok());
    return head.position();
  }

  hub::testing::TempDir dir_;
  Hubd hubd_;
  std::unique_ptr<api::ReferralIntake::Stub> intake_;
  std::unique_ptr<api::Mash::Stub> mash_;
  std::unique_ptr<api::Enquiry::Stub> enquiry_;
  std::unique_ptr<api::Advocacy::Stub> advocacy_;
  std::unique_ptr<api::People::Stub> people_;
  std::unique_ptr<api::LogAdmin::Stub> admin_;
  std::unique_ptr<api::Views::Stub> views_;
  std::unique_ptr<api::ProjectionAdmin::Stub> projection_admin_;
};

#define EXPECT_OK(expr)                                                        \
  do {                                                                         \
    const grpc::Status _s = (expr);                                            \
    ASSERT_TRUE(_s.ok()) << #expr << ": " << _s.error_code() << " " << _s.error_message(); \
  } while (0)

inline cv1::AdultDetails Adult(const std::string& given, const std::string& family, int year,
                        cv1::Gender gender, cv1::PrimarySupportReason psr,
                        const std::string& nhs) {
  cv1::AdultDetails a;
  a.mutable_name()->set_given(given);
  a.mutable_name()->set_family(family);
  a.mutable_date_of_birth()->set_year(year);
  a.mutable_date_of_birth()->set_month(3);
  a.mutable_date_of_birth()->set_day(14);
  a.set_gender(gender);
  a.set_ethnicity_group(cv1::ETHNICITY_GROUP_WHITE);
  a.set_primary_support_reason(psr);
  a.mutable_address()->add_lines("12 Larkspur Row");
  a.mutable_address()->set_postcode("NS1 4QT");
  if (!nhs.empty()) {
    cv1::Identifier* id = a.add_identifiers();
    id->set_kind(cv1::IDENTIFIER_KIND_NHS_NUMBER);
    id->set_value(nhs);
  }
  return a;
}

inline cv1::DesiredOutcome Outcome(const std::string& words, cv1::DesiredOutcomeKind kind) {
  cv1::DesiredOutcome o;
  o.set_text(words);
  o.set_kind(kind);
  o.set_expressed_by(cv1::EXPRESSED_BY_ADULT);
  return o;
}

}  // namespace hub::e2e
