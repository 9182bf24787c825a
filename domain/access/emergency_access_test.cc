// Break-glass rules, table-driven: the facts the service gathered, a request, then the grant or
// the refusal. Every rule has a passing and a refusing case.
#include "domain/access/emergency_access.h"

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "domain/common/envelope.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hub::domain::access {
namespace {

namespace cv1 = ::hub::common::v1;
using ::hub::testing::IsOk;
using ::hub::testing::StatusIs;
using ::testing::HasSubstr;

const absl::Time kNow = absl::FromCivil(absl::CivilSecond(2024, 6, 8, 2, 30, 0), absl::UTCTimeZone());

EmergencyAccessFacts Facts() {
  EmergencyAccessFacts facts;
  facts.case_known = true;
  facts.concern_id = "c-1";
  facts.person_id = "p-1";
  facts.lead_agency_id = "asc-northshire";
  return facts;
}

RequestEmergencyAccess Request() {
  RequestEmergencyAccess request;
  request.ctx.caller = {"nhs-acute", cv1::AGENCY_KIND_ACUTE_HEALTH, "dr.okoro", {cv1::ROLE_REFERRER}};
  request.ctx.now = kNow;
  request.ctx.command_key = "nhs-acute/bg-1";
  request.ctx.new_id = "grant-1";
  request.concern_id = "c-1";
  request.reason = "Unconscious in A&E at 2am; need to know who is a risk to her.";
  request.purpose = cv1::PURPOSE_CARE_PROVISION;
  return request;
}

struct Case {
  std::string name;
  std::function<void(EmergencyAccessFacts&, RequestEmergencyAccess&)> when;
  absl::StatusCode code = absl::StatusCode::kOk;
  std::string message;
};

TEST(EmergencyAccessTest, GrantsForTheNamedPractitionerUntilTheHubsGrantTime) {
  EmergencyAccessFacts facts = Facts();
  facts.restricted_by_agency_id = "police-northshire";
  absl::StatusOr<events::v1::Event> event = Decide(facts, Request());
  ASSERT_THAT(event, IsOk());
  const events::v1::EmergencyAccessGranted& g = event->emergency_access_granted();
  EXPECT_EQ(g.grant_id(), "grant-1");
  EXPECT_EQ(g.concern_id(), "c-1");
  EXPECT_EQ(g.person_id(), "p-1");
  EXPECT_EQ(g.agency_id(), "nhs-acute");
  EXPECT_EQ(g.user_id(), "dr.okoro");
  EXPECT_EQ(g.reason(), "Unconscious in A&E at 2am; need to know who is a risk to her.");
  EXPECT_EQ(FromTimestamp(g.granted_at()), kNow);
  EXPECT_EQ(FromTimestamp(g.expires_at()), kNow + kDefaultEmergencyAccessDuration);
  EXPECT_EQ(g.purpose(), cv1::PURPOSE_CARE_PROVISION);
  EXPECT_EQ(g.lead_agency_id(), "asc-northshire");
  EXPECT_EQ(g.restricted_by_agency_id(), "police-northshire");
  EXPECT_EQ(event->command_id(), "nhs-acute/bg-1");
  EXPECT_EQ(event->actor().user_id(), "dr.okoro");
}

TEST(EmergencyAccessTest, ConfiguredAndRequestedDurations) {
  RequestEmergencyAccess request = Request();
  request.max_duration = absl::Minutes(90);
  absl::StatusOr<events::v1::Event> event = Decide(Facts(), request);
  ASSERT_THAT(event, IsOk());
  EXPECT_EQ(FromTimestamp(event->emergency_access_granted().expires_at()), kNow + absl::Minutes(90));
  request.duration = absl::Minutes(20);  // asking for less is data minimisation
  event = Decide(Facts(), request);
  ASSERT_THAT(event, IsOk());
  EXPECT_EQ(FromTimestamp(event->emergency_access_granted().expires_at()), kNow + absl::Minutes(20));
  request.duration = absl::Minutes(91);
  EXPECT_THAT(Decide(Facts(), request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duration")));
}

TEST(EmergencyAccessTest, Rules) {
  const std::vector<Case> cases = {
      {"every practitioner role may ask",
       [](EmergencyAccessFacts&, RequestEmergencyAccess& r) {
         r.ctx.caller.roles = {cv1::ROLE_ADVOCATE};
       }},
      {"a practitioner role among others is enough",
       [](EmergencyAccessFacts&, RequestEmergencyAccess& r) {
         r.ctx.caller.roles = {cv1::ROLE_AUDITOR, cv1::ROLE_MASH_RESEARCHER};
       }},
      {"a system caller (no user) may not",
       [](EmergencyAccessFacts&, RequestEmergencyAccess& r) { r.ctx.caller.user_id = ""; },
       absl::StatusCode::kPermissionDenied, "system caller"},
      {"an agency's system certificate (user system:<CN>) may not",
       [](EmergencyAccessFacts&, RequestEmergencyAccess& r) {
         r.ctx.caller.user_id = "system:ppn-gateway";
         r.ctx.caller.kind = CallerKind::kSystem;
       },
       absl::StatusCode::kPermissionDenied, "system caller"},
      {"the hub's operators may not",
       [](EmergencyAccessFacts&, RequestEmergencyAccess& r) {
         r.ctx.caller.user_id = "operator:service-desk";
         r.ctx.caller.kind = CallerKind::kOperator;
       },
       absl::StatusCode::kPermissionDenied, "system caller"},
      {"a board analyst may not",
       [](EmergencyAccessFacts&, RequestEmergencyAccess& r) {
         r.ctx.caller.roles = {cv1::ROLE_BOARD_ANALYST};
       },
       absl::StatusCode::kPermissionDenied, "practitioner role"},
      {"an auditor may not",
       [](EmergencyAccessFacts&, RequestEmergencyAccess& r) {
         r.ctx.caller.roles = {cv1::ROLE_AUDITOR};
       },
       absl::StatusCode::kPermissionDenied, "practitioner role"},
      {"an administrator may not",
       [](EmergencyAccessFacts&, RequestEmergencyAccess& r) {
         r.ctx.caller.roles = {cv1::ROLE_ADMINISTRATOR};
       },
       absl::StatusCode::kPermissionDenied, "practitioner role"},
      {"no role at all may not",
       [](EmergencyAccessFacts&, RequestEmergencyAccess& r) { r.ctx.caller.roles = {}; },
       absl::StatusCode::kPermissionDenied, "practitioner role"},
      {"a blank reason",
       [](EmergencyAccessFacts&, RequestEmergencyAccess& r) { r.reason = " \n "; },
       absl::StatusCode::kInvalidArgument, "reason: required"},
      {"a reason that says nothing",
       [](EmergencyAccessFacts&, RequestEmergencyAccess& r) { r.reason = "urgent!!!!!!!!!!!!!!!!!!"; },
       absl::StatusCode::kInvalidArgument, "reason: say what the emergency is"},
      {"a reason of too few words",
       [](EmergencyAccessFacts&, RequestEmergencyAccess& r) { r.reason = "emergency admission"; },
       absl::StatusCode::kInvalidArgument, "reason:"},
      {"a reason too long",
       [](EmergencyAccessFacts&, RequestEmergencyAccess& r) {
         r.reason = std::string(kMaxReasonBytes / 5 + 1, ' ');
         for (size_t i = 0; i < kMaxReasonBytes / 5 + 1; ++i) r.reason += "word ";
       },
       absl::StatusCode::kInvalidArgument, "reason: at most 1000 bytes"},
      {"no purpose",
       [](EmergencyAccessFacts&, RequestEmergencyAccess& r) {
         r.purpose = cv1::PURPOSE_UNSPECIFIED;
       },
       absl::StatusCode::kInvalidArgument, "purpose: required"},
      {"statistics is never an emergency",
       [](EmergencyAccessFacts&, RequestEmergencyAccess& r) { r.purpose = cv1::PURPOSE_STATISTICS; },
       absl::StatusCode::kInvalidArgument, "purpose: 'Statistics' cannot justify"},
      {"nor is research",
       [](EmergencyAccessFacts&, RequestEmergencyAccess& r) { r.purpose = cv1::PURPOSE_RESEARCH; },
       absl::StatusCode::kInvalidArgument, "purpose:"},
      {"triage may be an emergency",
       [](EmergencyAccessFacts&, RequestEmergencyAccess& r) { r.purpose = cv1::PURPOSE_TRIAGE; }},
      {"a negative duration",
       [](EmergencyAccessFacts&, RequestEmergencyAccess& r) { r.duration = -absl::Seconds(1); },
       absl::StatusCode::kInvalidArgument, "duration"},
      {"an unknown case",
       [](EmergencyAccessFacts& f, RequestEmergencyAccess&) { f.case_known = false; },
       absl::StatusCode::kNotFound, "concern_id: no such concern"},
      {"not needed when the agreement already shows the case",
       [](EmergencyAccessFacts& f, RequestEmergencyAccess&) { f.agreement_permits_caller = true; },
       absl::StatusCode::kFailedPrecondition, "already lets you see this case for 'Care provision'"},
      {"not again while the caller's own grant runs",
       [](EmergencyAccessFacts& f, RequestEmergencyAccess&) {
         f.active_grant_id = "grant-0";
         f.active_grant_expires_at = kNow + absl::Hours(1);
       },
       absl::StatusCode::kFailedPrecondition, "already hold emergency access to this case (grant grant-0)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EmergencyAccessFacts facts = Facts();
    RequestEmergencyAccess request = Request();
    c.when(facts, request);
    absl::StatusOr<events::v1::Event> event = Decide(facts, request);
    if (c.code == absl::StatusCode::kOk) {
      ASSERT_THAT(event, IsOk());
      EXPECT_EQ(event->emergency_access_granted().user_id(), request.ctx.caller.user_id);
    } else {
      EXPECT_THAT(event, StatusIs(c.code, HasSubstr(c.message)));
    }
  }
}

TEST(EmergencyAccessTest, ActiveGrantIsTheCallersOwnRunningGrantExpiringLast) {
  auto grant = [](const std::string& id, const std::string& agency, const std::string& user,
                  absl::Time expires) {
    events::v1::Event event;
    events::v1::EmergencyAccessGranted* g = event.mutable_emergency_access_granted();
    g->set_grant_id(id);
    g->set_agency_id(agency);
    g->set_user_id(user);
    *g->mutable_expires_at() = ToTimestamp(expires);
    return event;
  };
  const Caller caller = Request().ctx.caller;
  const std::vector<events::v1::Event> stream = {
      grant("expired", "nhs-acute", "dr.okoro", kNow - absl::Seconds(1)),
      grant("running", "nhs-acute", "dr.okoro", kNow + absl::Hours(1)),
      grant("longer", "nhs-acute", "dr.okoro", kNow + absl::Hours(2)),
      grant("colleague", "nhs-acute", "dr.ahmed", kNow + absl::Hours(3)),
      grant("same-user-other-agency", "gp-riverside", "dr.okoro", kNow + absl::Hours(3)),
  };
  EmergencyAccessFacts facts = Facts();
  FindActiveGrant(stream, caller, kNow, facts);
  EXPECT_EQ(facts.active_grant_id, "longer");
  EXPECT_EQ(facts.active_grant_expires_at, kNow + absl::Hours(2));

  EmergencyAccessFacts later = Facts();
  FindActiveGrant(stream, caller, kNow + absl::Hours(2), later);
  EXPECT_EQ(later.active_grant_id, "") << "a grant has ended at its expiry";
  EXPECT_THAT(Decide(later, Request()), IsOk());
}

TEST(EmergencyAccessTest, PractitionerRolesAreExactlyThoseThatWorkWithAdults) {
  std::vector<cv1::Role> practitioners;
  for (int r = 0; r < cv1::Role_descriptor()->value_count(); ++r) {
    const auto role = static_cast<cv1::Role>(cv1::Role_descriptor()->value(r)->number());
    if (IsPractitionerRole(role)) practitioners.push_back(role);
  }
  EXPECT_THAT(practitioners,
              ::testing::UnorderedElementsAre(cv1::ROLE_REFERRER, cv1::ROLE_MASH_TRIAGE,
                                              cv1::ROLE_MASH_RESEARCHER, cv1::ROLE_ENQUIRY_OFFICER,
                                              cv1::ROLE_SAFEGUARDING_MANAGER, cv1::ROLE_ADVOCATE));
}

TEST(EmergencyAccessTest, ReasonCheckAcceptsMeaningfulTextInAnyScript) {
  EXPECT_THAT(CheckEmergencyReason("Collapsed at home, paramedics on scene now."), IsOk());
  EXPECT_THAT(CheckEmergencyReason("Dŵr yn y tŷ, mae hi'n sâl iawn heno."), IsOk());
  EXPECT_THAT(CheckEmergencyReason("1234567890 1234567890 12345"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace hub::domain::access
