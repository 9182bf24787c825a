// Request translation for the Enquiry and Advocacy services: each kind of bad input is
// INVALID_ARGUMENT naming the field (an unknown agency NOT_FOUND), and a good request becomes
// the domain command with its context.
#include "services/enquiry/translate.h"

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "domain/common/envelope.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "app/command_request.h"
#include "tests/testing/status_matchers.h"

namespace hub::services {

using app::DeriveId;
namespace {

namespace api = ::hub::api::v1;
namespace cv1 = ::hub::common::v1;
using ::hub::testing::IsOk;
using ::hub::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kPartnership[] = R"pb(
  name: "Northshire"
  host_local_authority_code: "E06000999"
  agencies { agency_id: "asc-northshire" name: "ASC" kind: AGENCY_KIND_ADULT_SOCIAL_CARE }
  agencies { agency_id: "police-northshire" name: "Police" kind: AGENCY_KIND_POLICE }
  agencies { agency_id: "voiceability" name: "Advocacy" kind: AGENCY_KIND_ADVOCACY_PROVIDER }
)pb";

const absl::Time kNow = absl::FromUnixSeconds(1717236000);

class TranslateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<config::Partnership> p = config::Partnership::FromText(kPartnership, "test");
    ASSERT_THAT(p, IsOk());
    partnership_ = *std::move(p);
    caller_.agency_id = "asc-northshire";
    caller_.agency_kind = cv1::AGENCY_KIND_ADULT_SOCIAL_CARE;
    caller_.user_id = "u1";
    caller_.roles = {cv1::ROLE_SAFEGUARDING_MANAGER};
  }

  template <typename Request>
  static void Header(Request& request) {
    request.mutable_header()->set_command_id("cmd-1");
    request.mutable_header()->set_expected_version(3);
    request.set_enquiry_id("e-1");
  }

  template <typename Request>
  absl::Status Translate(const Request& request) {
    return FromProto(request, caller_, kNow, partnership_).status();
  }

  config::Partnership partnership_;
  domain::Caller caller_;
};

// ---- The header and ids every command carries ----

TEST_F(TranslateTest, GoodRequestBecomesTheCommand) {
  api::AssignLeadRequest request;
  Header(request);
  request.set_lead_agency_id("police-northshire");
  request.set_officer_name("DC Green");
  request.set_caused(true);
  request.set_scope("criminal lines");
  auto command = FromProto(request, caller_, kNow, partnership_);
  ASSERT_THAT(command, IsOk());
  EXPECT_EQ(command->enquiry_id, "e-1");
  EXPECT_EQ(command->expected_version, 3);
  EXPECT_EQ(command->command.ctx.command_key, "asc-northshire/u1/cmd-1");
  EXPECT_EQ(command->command.ctx.now, kNow);
  EXPECT_EQ(command->command.ctx.new_id, DeriveId("asc-northshire/u1/cmd-1", "new"));
  EXPECT_EQ(command->command.lead_agency_kind, cv1::AGENCY_KIND_POLICE);
  EXPECT_EQ(command->command.responsible_agency_id, "asc-northshire");
  EXPECT_EQ(command->command.responsible_agency_kind, cv1::AGENCY_KIND_ADULT_SOCIAL_CARE);
}

TEST_F(TranslateTest, MissingEnquiryIdIsNamed) {
  api::RecordRiskAssessmentRequest request;
  Header(request);
  request.clear_enquiry_id();
  EXPECT_THAT(Translate(request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("enquiry_id: required")));
}

TEST_F(TranslateTest, BadEnquiryIdIsNamed) {
  api::RecordRiskAssessmentRequest request;
  Header(request);
  request.set_enquiry_id("e 1/../x");
  EXPECT_THAT(Translate(request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("enquiry_id:")));
}

TEST_F(TranslateTest, MissingCommandIdIsNamed) {
  api::RecordRiskAssessmentRequest request;
  Header(request);
  request.mutable_header()->clear_command_id();
  EXPECT_THAT(Translate(request), StatusIs(absl::StatusCode::kInvalidArgument,
                                           HasSubstr("header.command_id: required")));
}

TEST_F(TranslateTest, MissingExpectedVersionIsNamed) {
  api::RecordRiskAssessmentRequest request;
  Header(request);
  request.mutable_header()->clear_expected_version();
  EXPECT_THAT(Translate(request), StatusIs(absl::StatusCode::kInvalidArgument,
                                           HasSubstr("header.expected_version: required")));
}

TEST_F(TranslateTest, BadItemIdsAreNamed) {
  api::CompleteActionRequest complete;
  Header(complete);
  EXPECT_THAT(Translate(complete),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("action_id: required")));
  api::AcceptAdvocacyReferralRequest accept;
  Header(accept);
  accept.set_referral_id("r 1");
  EXPECT_THAT(Translate(accept),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("referral_id:")));
  api::ReviseDesiredOutcomesRequest revise;
  Header(revise);
  revise.add_withdrawn_outcome_ids("o-1");
  revise.add_withdrawn_outcome_ids("");
  EXPECT_THAT(Translate(revise), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("withdrawn_outcome_ids[1]: required")));
  api::RecordBestInterestsDecisionRequest best;
  Header(best);
  EXPECT_THAT(Translate(best), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("capacity_assessment_id: required")));
}

// ---- Agencies ----

TEST_F(TranslateTest, UnknownLeadAgencyIsNotFound) {
  api::AssignLeadRequest request;
  Header(request);
  request.set_lead_agency_id("nowhere");
  EXPECT_THAT(Translate(request),
              StatusIs(absl::StatusCode::kNotFound, "lead_agency_id: not a participating agency"));
}

TEST_F(TranslateTest, MissingLeadAgencyIsNamed) {
  api::AssignLeadRequest request;
  Header(request);
  EXPECT_THAT(Translate(request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("lead_agency_id: required")));
}

TEST_F(TranslateTest, UnknownActionOwnerIsNotFound) {
  api::RecordStrategyDiscussionRequest request;
  Header(request);
  request.add_participants("Sam");
  request.add_actions()->set_owner_agency_id("asc-northshire");
  request.add_actions()->set_owner_agency_id("nowhere");
  EXPECT_THAT(Translate(request),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("actions[1].owner_agency_id")));
}

TEST_F(TranslateTest, ProviderKindIsResolved) {
  api::ReferForAdvocacyRequest request;
  Header(request);
  request.set_provider_agency_id("voiceability");
  auto command = FromProto(request, caller_, kNow, partnership_);
  ASSERT_THAT(command, IsOk());
  EXPECT_EQ(command->command.provider_agency_kind, cv1::AGENCY_KIND_ADVOCACY_PROVIDER);
  request.set_provider_agency_id("nowhere");
  EXPECT_THAT(Translate(request), StatusIs(absl::StatusCode::kNotFound,
                                           HasSubstr("provider_agency_id: not a participating")));
}

// ---- Enum values ----

TEST_F(TranslateTest, UnknownEnumValuesAreNamed) {
  api::ConcludeEnquiryRequest conclude;
  Header(conclude);
  conclude.set_outcomes_asked(static_cast<cv1::OutcomesAsked>(42));
  EXPECT_THAT(Translate(conclude), StatusIs(absl::StatusCode::kInvalidArgument,
                                            HasSubstr("outcomes_asked: unknown value 42")));
  conclude.set_outcomes_asked(cv1::OUTCOMES_ASKED_YES_EXPRESSED);
  conclude.add_risks()->set_source(static_cast<cv1::SourceOfRisk>(9));
  EXPECT_THAT(Translate(conclude),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("risks[0].source")));
  conclude.clear_risks();
  conclude.mutable_experience()->set_feel_safe(static_cast<cv1::ExperienceAnswer>(99));
  EXPECT_THAT(Translate(conclude),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("experience.feel_safe")));

  api::RecordCapacityAssessmentRequest capacity;
  Header(capacity);
  capacity.set_finding(static_cast<cv1::CapacityFinding>(7));
  EXPECT_THAT(Translate(capacity),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("finding: unknown value")));

  api::CloseEnquiryRequest close;
  Header(close);
  close.set_reason(static_cast<cv1::ClosureReason>(77));
  EXPECT_THAT(Translate(close),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reason: unknown value")));

  api::ReviseDesiredOutcomesRequest revise;
  Header(revise);
  revise.add_added()->set_kind(static_cast<cv1::DesiredOutcomeKind>(50));
  EXPECT_THAT(Translate(revise),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("added[0].kind")));
}

// ---- Sizes ----

TEST_F(TranslateTest, OversizedTextIsNamed) {
  api::RecordCapacityAssessmentRequest capacity;
  Header(capacity);
  capacity.set_decision(std::string(identity::kDefaultMaxShortText + 1, 'x'));
  EXPECT_THAT(Translate(capacity),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("decision: at most 200")));

  api::RecordAdvocateViewsRequest views;
  Header(views);
  views.set_referral_id("r-1");
  views.set_views(std::string(identity::kDefaultMaxLongText + 1, 'x'));
  EXPECT_THAT(Translate(views),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("views: at most 20000")));

  api::RecordProtectionPlanRequest plan;
  Header(plan);
  plan.add_items()->set_by_whom(std::string(identity::kDefaultMaxShortText + 1, 'x'));
  EXPECT_THAT(Translate(plan),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("items[0].by_whom")));
}

TEST_F(TranslateTest, InvalidUtf8IsNamed) {
  api::RecordDutyOfCareDecisionRequest request;
  Header(request);
  request.set_reasons("bad \xC3\x28 bytes");
  EXPECT_THAT(Translate(request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reasons: not valid UTF-8")));
}

TEST_F(TranslateTest, TooLongListsAreNamed) {
  api::RecordStrategyDiscussionRequest discussion;
  Header(discussion);
  for (size_t i = 0; i <= identity::kDefaultMaxListLength; ++i) discussion.add_participants("someone");
  EXPECT_THAT(Translate(discussion),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("participants: at most")));

  api::RecordBestInterestsDecisionRequest best;
  Header(best);
  best.set_capacity_assessment_id("ca-1");
  api::RecordBestInterestsDecisionRequest many = best;
  cv1::BestInterestsOption* option = many.add_options();
  const std::string factor = "a factor";
  for (size_t i = 0; i <= identity::kDefaultMaxListLength; ++i) *option->add_factors_for() = factor;
  EXPECT_THAT(Translate(many), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("options[0].factors_for: at most")));
}

// ---- Times and hub-assigned ids ----

TEST_F(TranslateTest, OutOfRangeTimesAreNamed) {
  api::RecordStrategyDiscussionRequest discussion;
  Header(discussion);
  discussion.mutable_held_at()->set_seconds(-99999999999);
  EXPECT_THAT(Translate(discussion),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("held_at: out of range")));

  api::RecordStrategyDiscussionRequest action;
  Header(action);
  action.add_actions()->mutable_due_at()->set_nanos(-1);
  EXPECT_THAT(Translate(action), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("actions[0].due_at: out of range")));
}

TEST_F(TranslateTest, UnsetTimesReachTheDomainUnset) {
  api::RecordCapacityAssessmentRequest request;
  Header(request);
  auto command = FromProto(request, caller_, kNow, partnership_);
  ASSERT_THAT(command, IsOk());
  EXPECT_EQ(command->command.assessed_at, absl::InfinitePast());
  request.mutable_assessed_at()->set_seconds(1717236000);
  command = FromProto(request, caller_, kNow, partnership_);
  ASSERT_THAT(command, IsOk());
  EXPECT_EQ(command->command.assessed_at, kNow);
}

TEST_F(TranslateTest, HubAssignedIdsMustBeEmpty) {
  api::RecordStrategyDiscussionRequest discussion;
  Header(discussion);
  discussion.add_actions()->set_action_id("mine");
  EXPECT_THAT(Translate(discussion),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("actions[0].action_id: assigned by the hub")));
  api::ReviseDesiredOutcomesRequest revise;
  Header(revise);
  revise.add_added()->set_outcome_id("mine");
  EXPECT_THAT(Translate(revise), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("added[0].outcome_id: assigned by the hub")));
  api::RecordProtectionPlanRequest plan;
  Header(plan);
  plan.add_items()->set_item_id("mine");
  EXPECT_THAT(Translate(plan), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("items[0].item_id: assigned by the hub")));
}

TEST_F(TranslateTest, DutyToProto) {
  api::AdvocacyDuty out;
  out.set_explanation("stale");
  ToProto(domain::enquiry::AdvocacyDuty{true, false, "refer"}, &out);
  EXPECT_TRUE(out.applies());
  EXPECT_FALSE(out.met());
  EXPECT_EQ(out.explanation(), "refer");
}

}  // namespace
}  // namespace hub::services
