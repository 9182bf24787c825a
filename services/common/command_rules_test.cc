#include "services/common/command_rules.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/server_context.h"
#include "gtest/gtest.h"
#include "hub/api/v1/advocacy_service.pb.h"
#include "hub/api/v1/enquiry_service.pb.h"
#include "hub/api/v1/event_store_service.pb.h"
#include "hub/api/v1/mash_service.pb.h"
#include "hub/api/v1/people_service.pb.h"
#include "hub/api/v1/referral_intake_service.pb.h"
#include "hub/api/v1/views_service.pb.h"
#include "tests/testing/status_matchers.h"

namespace hub::services {
namespace {

using ::hub::testing::StatusIs;

// Every service file of the API, reached through one of its messages so it is linked in.
std::vector<const google::protobuf::FileDescriptor*> ApiFiles() {
  return {api::v1::RaiseConcernRequest::descriptor()->file(),
          api::v1::RegisterPersonRequest::descriptor()->file(),
          api::v1::TriageConcernRequest::descriptor()->file(),
          api::v1::AssignLeadRequest::descriptor()->file(),
          api::v1::ReferForAdvocacyRequest::descriptor()->file(),
          api::v1::AppendRequest::descriptor()->file(),
          api::v1::GetCaseRequest::descriptor()->file()};
}

TEST(CommandRulesTest, EveryServiceMethodHasARule) {
  int methods = 0;
  for (const google::protobuf::FileDescriptor* file : ApiFiles()) {
    for (int s = 0; s < file->service_count(); ++s) {
      const google::protobuf::ServiceDescriptor* service = file->service(s);
      for (int m = 0; m < service->method_count(); ++m) {
        const std::string method = absl::StrCat(service->full_name(), "/", service->method(m)->name());
        EXPECT_FALSE(RolesFor(method).empty()) << method << " has no authorisation rule";
        ++methods;
      }
    }
  }
  EXPECT_GE(methods, 39);  // the descriptors were all found
}

TEST(CommandRulesTest, MethodWithoutRuleIsRefused) {
  domain::Caller caller{"asc", common::v1::AGENCY_KIND_ADULT_SOCIAL_CARE, "u",
                        {common::v1::ROLE_SAFEGUARDING_MANAGER}};
  EXPECT_THAT(AuthorizeCall(caller, "hub.api.v1.Mash/Unknown"),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(CommandRulesTest, ThresholdDecisionNeedsSafeguardingManager) {
  domain::Caller triage{"asc", common::v1::AGENCY_KIND_ADULT_SOCIAL_CARE, "u",
                        {common::v1::ROLE_MASH_TRIAGE}};
  domain::Caller manager = triage;
  manager.roles = {common::v1::ROLE_SAFEGUARDING_MANAGER};
  const absl::Status refused = AuthorizeCall(triage, "hub.api.v1.Mash/RecordThresholdDecision");
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(std::string(refused.message()), ::testing::HasSubstr("Safeguarding manager"));
  EXPECT_TRUE(AuthorizeCall(manager, "hub.api.v1.Mash/RecordThresholdDecision").ok());
}

// Where the law gives a decision to one kind of agency, the right role elsewhere is not enough.
TEST(CommandRulesTest, DecisionsReservedToAnAgencyKindCheckIt) {
  domain::Caller trust_manager{"nhs", common::v1::AGENCY_KIND_ACUTE_HEALTH, "u",
                               {common::v1::ROLE_SAFEGUARDING_MANAGER}};
  const absl::Status refused =
      AuthorizeCall(trust_manager, "hub.api.v1.Mash/RecordThresholdDecision");
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(std::string(refused.message()), ::testing::HasSubstr("Adult social care only"));
  // Other calls of the same role stay open to any agency.
  EXPECT_TRUE(AuthorizeCall(trust_manager, "hub.api.v1.Enquiry/RecordRiskAssessment").ok());
  domain::Caller social_care_advocate{"asc", common::v1::AGENCY_KIND_ADULT_SOCIAL_CARE, "u",
                                      {common::v1::ROLE_ADVOCATE}};
  EXPECT_THAT(AuthorizeCall(social_care_advocate, "hub.api.v1.Advocacy/RecordAdvocateViews"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(AgencyKindsFor("hub.api.v1.Mash/RecordThresholdDecision"),
              ::testing::ElementsAre(common::v1::AGENCY_KIND_ADULT_SOCIAL_CARE));
  EXPECT_TRUE(AgencyKindsFor("hub.api.v1.Mash/TriageConcern").empty());
}

TEST(CommandRulesTest, NoAuthenticatorMeansNoCall) {
  grpc::ServerContext context;
  EXPECT_THAT(AuthorizeCaller(nullptr, context, "hub.api.v1.LogAdmin/GetHead"),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(CommandRulesTest, BoardAnalystCannotWriteCases) {
  domain::Caller analyst{"asc", common::v1::AGENCY_KIND_ADULT_SOCIAL_CARE, "u",
                         {common::v1::ROLE_BOARD_ANALYST}};
  EXPECT_THAT(AuthorizeCall(analyst, "hub.api.v1.ReferralIntake/RaiseConcern"),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

}  // namespace
}  // namespace hub::services
