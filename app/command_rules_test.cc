#include "app/command_rules.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "hub/api/v1/advocacy_service.pb.h"
#include "hub/api/v1/enquiry_service.pb.h"
#include "hub/api/v1/event_store_service.pb.h"
#include "hub/api/v1/mash_service.pb.h"
#include "hub/api/v1/people_service.pb.h"
#include "hub/api/v1/referral_intake_service.pb.h"
#include "hub/api/v1/views_service.pb.h"
#include "tests/testing/status_matchers.h"

namespace hub::app {
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

using common::v1::AgencyKind;
using common::v1::Role;
using domain::access::CaseStanding;
using domain::access::Party;

constexpr Role kReferrer = common::v1::ROLE_REFERRER;
constexpr Role kTriage = common::v1::ROLE_MASH_TRIAGE;
constexpr Role kResearcher = common::v1::ROLE_MASH_RESEARCHER;
constexpr Role kOfficer = common::v1::ROLE_ENQUIRY_OFFICER;
constexpr Role kManager = common::v1::ROLE_SAFEGUARDING_MANAGER;
constexpr Role kAdvocate = common::v1::ROLE_ADVOCATE;
constexpr Role kAdmin = common::v1::ROLE_ADMINISTRATOR;
constexpr Role kAnalyst = common::v1::ROLE_BOARD_ANALYST;
constexpr Role kAuditor = common::v1::ROLE_AUDITOR;
constexpr AgencyKind kAsc = common::v1::AGENCY_KIND_ADULT_SOCIAL_CARE;
constexpr AgencyKind kAdvocacyProvider = common::v1::AGENCY_KIND_ADVOCACY_PROVIDER;
constexpr Party kMash = Party::kHostMash;
constexpr Party kLead = Party::kLead;
constexpr Party kRaisedIt = Party::kRaisedIt;
constexpr Party kResearch = Party::kResearchPartner;
constexpr Party kActionOwner = Party::kActionOwner;
constexpr Party kProvider = Party::kAdvocacyProvider;
constexpr Party kOwner = Party::kRestrictionOwner;
constexpr Party kResponsible = Party::kResponsible;
constexpr Party kRaiserBeforeTriage = Party::kRaiserAwaitingTriage;
const std::vector<Party> kAnyConnection = {kMash,      kLead,        kResponsible,
                                           kRaisedIt,  kRaiserBeforeTriage, kResearch,
                                           kActionOwner, kProvider,  kOwner};

// Who may act, written out a second time, in the words of DOMAIN.md's "who may act": every
// method of the API has a row (a new method without one fails), and the table in
// command_rules.cc must agree with it for every agency kind, role and standing to the case.
struct Expected {
  std::string method;
  std::vector<Role> roles;
  std::vector<AgencyKind> kinds;  // empty: any kind of agency
  std::vector<Party> parties;     // empty: not a command on an existing case or person
};

const std::vector<Expected>& ExpectedRules() {
  static const auto* rules = new std::vector<Expected>{
      {"hub.api.v1.ReferralIntake/RaiseConcern",
       {kReferrer, kTriage, kResearcher, kOfficer, kManager, kAdvocate}, {},
       {kMash, kLead, kResponsible, kResearch, kActionOwner, kProvider, kOwner}},
      {"hub.api.v1.People/RegisterPerson", {kReferrer, kTriage, kOfficer, kManager}, {}, {kMash}},
      {"hub.api.v1.People/CorrectPersonDetails", {kTriage, kOfficer, kManager}, {}, {kMash, kLead}},
      {"hub.api.v1.People/RecordRepresentative", {kTriage, kOfficer, kManager}, {}, {kMash, kLead}},
      {"hub.api.v1.Mash/TriageConcern", {kTriage, kManager}, {}, {kMash}},
      {"hub.api.v1.Mash/RequestResearch", {kTriage, kManager}, {}, {kMash}},
      {"hub.api.v1.Mash/AnswerResearch", {kResearcher}, {}, {kResearch}},
      {"hub.api.v1.Mash/RecordThresholdDecision", {kManager}, {kAsc}, {kMash}},
      {"hub.api.v1.Mash/RecordReferrerFeedback", {kTriage, kManager}, {}, {kMash}},
      {"hub.api.v1.Mash/RecordSharingConsent",
       {kTriage, kOfficer, kManager}, {}, {kLead, kRaiserBeforeTriage}},
      {"hub.api.v1.Mash/RestrictCase",
       {kManager}, {}, {kMash, kLead, kRaisedIt, kActionOwner, kProvider}},
      {"hub.api.v1.Mash/LiftCaseRestriction", {kManager}, {}, {kOwner}},
      {"hub.api.v1.Enquiry/AssignLead", {kManager}, {}, {kResponsible}},
      {"hub.api.v1.Enquiry/RecordStrategyDiscussion", {kOfficer, kManager}, {}, {kLead}},
      {"hub.api.v1.Enquiry/CompleteAction",
       {kOfficer, kManager, kResearcher}, {}, {kLead, kActionOwner}},
      {"hub.api.v1.Enquiry/ReviseDesiredOutcomes",
       {kOfficer, kManager, kAdvocate}, {}, {kLead, kProvider}},
      {"hub.api.v1.Enquiry/RecordCapacityAssessment", {kOfficer, kManager}, {}, {kLead}},
      {"hub.api.v1.Enquiry/RecordBestInterestsDecision", {kOfficer, kManager}, {}, {kLead}},
      {"hub.api.v1.Enquiry/RecordRiskAssessment", {kOfficer, kManager}, {}, {kLead}},
      {"hub.api.v1.Enquiry/RecordProtectionPlan", {kOfficer, kManager}, {}, {kLead}},
      {"hub.api.v1.Enquiry/ReviewProtectionPlan", {kOfficer, kManager}, {}, {kLead}},
      {"hub.api.v1.Enquiry/RecordCoercionConcern", {kOfficer, kManager}, {}, {kLead}},
      {"hub.api.v1.Enquiry/RecordSpokenToAlone", {kOfficer, kManager}, {}, {kLead}},
      {"hub.api.v1.Enquiry/RecordDutyOfCareDecision", {kManager}, {}, {kLead}},
      {"hub.api.v1.Enquiry/ConcludeEnquiry", {kOfficer, kManager}, {}, {kLead}},
      {"hub.api.v1.Enquiry/CloseEnquiry", {kManager}, {}, {kResponsible}},
      {"hub.api.v1.Advocacy/AssessSubstantialDifficulty", {kOfficer, kManager}, {}, {kLead}},
      {"hub.api.v1.Advocacy/AssessAppropriateIndividual", {kOfficer, kManager}, {}, {kLead}},
      {"hub.api.v1.Advocacy/RecordAdvocacyExceptions", {kOfficer, kManager}, {}, {kLead}},
      {"hub.api.v1.Advocacy/ReferForAdvocacy", {kOfficer, kManager}, {}, {kLead}},
      {"hub.api.v1.Advocacy/AcceptAdvocacyReferral", {kAdvocate, kManager}, {}, {kProvider}},
      {"hub.api.v1.Advocacy/DeclineAdvocacyReferral", {kAdvocate, kManager}, {}, {kProvider}},
      {"hub.api.v1.Advocacy/AllocateAdvocate", {kAdvocate, kManager}, {}, {kProvider}},
      {"hub.api.v1.Advocacy/RecordAdvocateViews", {kAdvocate}, {kAdvocacyProvider}, {kProvider}},
      {"hub.api.v1.Advocacy/GetAdvocacyDuty", {kOfficer, kManager, kAdvocate}, {}, {kLead, kProvider}},
      {"hub.api.v1.Views/GetCase",
       {kReferrer, kTriage, kResearcher, kOfficer, kManager, kAdvocate, kAuditor}},
      {"hub.api.v1.Views/LookupPerson",
       {kReferrer, kTriage, kResearcher, kOfficer, kManager, kAdvocate}},
      {"hub.api.v1.Views/GetPerson",
       {kReferrer, kTriage, kResearcher, kOfficer, kManager, kAdvocate, kAuditor}},
      {"hub.api.v1.Views/ListLookups", {kTriage, kOfficer, kManager, kAuditor}},
      {"hub.api.v1.Views/GetDisclosureLog", {kTriage, kOfficer, kManager, kAuditor}},
      {"hub.api.v1.Views/ExportSubjectAccess", {kManager}, {kAsc}},
      {"hub.api.v1.Views/GetMashQueue", {kTriage, kManager}},
      {"hub.api.v1.Views/ListResearchRequests", {kResearcher, kTriage, kManager}},
      {"hub.api.v1.Views/ListActions", {kResearcher, kTriage, kOfficer, kManager, kAdvocate}},
      {"hub.api.v1.Views/ListAwaitingAdvocacy", {kTriage, kOfficer, kManager, kAdvocate}},
      {"hub.api.v1.Views/GetSafeguardingAdultsCollection", {kAnalyst, kManager}},
      {"hub.api.v1.Views/RequestEmergencyAccess",
       {kReferrer, kTriage, kResearcher, kOfficer, kManager, kAdvocate}},
      {"hub.api.v1.Views/ListNotifications", {kTriage, kManager, kAuditor}},
      {"hub.api.v1.Views/WatchNotifications", {kTriage, kManager, kAuditor}},
      {"hub.api.v1.ProjectionAdmin/GetProjectionStatus", {kAdmin}},
      {"hub.api.v1.ProjectionAdmin/RebuildProjection", {kAdmin}},
      {"hub.api.v1.EventStore/Append", {kAdmin}},
      {"hub.api.v1.EventStore/ReadStream", {kAdmin}},
      {"hub.api.v1.EventStore/ReadAll", {kAdmin}},
      {"hub.api.v1.EventStore/Subscribe", {kAdmin}},
      {"hub.api.v1.LogAdmin/GetHead", {kAdmin}},
      {"hub.api.v1.LogAdmin/Verify", {kAdmin}},
      {"hub.api.v1.LogAdmin/Backup", {kAdmin}},
  };
  return *rules;
}

template <typename T>
bool Has(const std::vector<T>& values, T value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

std::vector<std::string> ApiMethods() {
  std::vector<std::string> methods;
  for (const google::protobuf::FileDescriptor* file : ApiFiles()) {
    for (int s = 0; s < file->service_count(); ++s) {
      const google::protobuf::ServiceDescriptor* service = file->service(s);
      for (int m = 0; m < service->method_count(); ++m) {
        methods.push_back(absl::StrCat(service->full_name(), "/", service->method(m)->name()));
      }
    }
  }
  return methods;
}

TEST(CommandAuthorisationMatrixTest, EveryMethodHasAnExpectedRow) {
  std::vector<std::string> expected;
  for (const Expected& row : ExpectedRules()) expected.push_back(row.method);
  for (const std::string& method : ApiMethods()) {
    EXPECT_TRUE(Has(expected, method)) << method << ": say who may act in ExpectedRules()";
  }
  for (const std::string& method : expected) {
    EXPECT_TRUE(Has(ApiMethods(), method)) << method << " is not a method of the API";
  }
}

// Every method x every agency kind (and one this build does not know) x each role alone x
// no standing, each party alone and every party, for practitioners, systems and operators.
TEST(CommandAuthorisationMatrixTest, TheTableAllowsExactlyTheExpectedCallers) {
  std::vector<AgencyKind> kinds;
  for (int k = common::v1::AgencyKind_MIN; k <= common::v1::AgencyKind_MAX; ++k) {
    kinds.push_back(static_cast<AgencyKind>(k));
  }
  kinds.push_back(static_cast<AgencyKind>(99));
  std::vector<std::vector<Role>> role_sets = {{}};
  for (int r = common::v1::Role_MIN; r <= common::v1::Role_MAX; ++r) {
    role_sets.push_back({static_cast<Role>(r)});
  }
  std::vector<CaseStanding> standings = {CaseStanding{}};
  CaseStanding every;
  for (Party party : kAnyConnection) {
    CaseStanding one;
    one.Add(party);
    standings.push_back(one);
    every.Add(party);
  }
  standings.push_back(every);
  const std::vector<domain::CallerKind> caller_kinds = {domain::CallerKind::kPractitioner,
                                                        domain::CallerKind::kSystem,
                                                        domain::CallerKind::kOperator};

  std::vector<std::string> failures;
  int combinations = 0;
  int allowed = 0;
  for (const Expected& row : ExpectedRules()) {
    for (AgencyKind kind : kinds) {
      for (const std::vector<Role>& roles : role_sets) {
        for (const CaseStanding& standing : standings) {
          for (domain::CallerKind caller_kind : caller_kinds) {
            ++combinations;
            domain::Caller caller{"agency-x", kind, "user-1", roles, caller_kind};
            // Administration is the operators' alone; an operator does nothing else.
            bool role_ok = false;
            for (Role role : roles) {
              if (!Has(row.roles, role)) continue;
              role_ok = role_ok || (role == kAdmin) == (caller_kind == domain::CallerKind::kOperator);
            }
            const bool want = role_ok && (row.kinds.empty() || Has(row.kinds, kind)) &&
                              (row.parties.empty() ||
                               std::any_of(row.parties.begin(), row.parties.end(),
                                           [&](Party p) { return standing.Has(p); }));
            const bool got = AuthorizeCall(caller, row.method).ok() &&
                             AuthorizeOnCase(caller, row.method, standing, "id").ok();
            if (want) ++allowed;
            if (want != got) {
              failures.push_back(absl::StrCat(row.method, " kind=", AgencyKind_Name(kind),
                                              " roles=", roles.empty() ? "" : Role_Name(roles[0]),
                                              " standing=", standing.Describe(),
                                              " caller_kind=", static_cast<int>(caller_kind),
                                              ": expected ", want, " got ", got));
            }
          }
        }
      }
    }
  }
  EXPECT_GT(allowed, 0);
  EXPECT_EQ(combinations, static_cast<int>(ExpectedRules().size() * kinds.size() *
                                           role_sets.size() * standings.size() * 3));
  for (size_t i = 0; i < failures.size() && i < 40; ++i) ADD_FAILURE() << failures[i];
  EXPECT_EQ(failures.size(), 0u);
}

TEST(CommandAuthorisationMatrixTest, RefusalsSayWhoMayAndNeverWhetherACaseExists) {
  domain::Caller police{"police-northshire", common::v1::AGENCY_KIND_POLICE, "pc-1", {kManager}};
  CaseStanding raised;
  raised.Add(kRaisedIt);
  raised.Add(kRaiserBeforeTriage);
  const absl::Status wrong_party =
      AuthorizeOnCase(police, "hub.api.v1.Mash/TriageConcern", raised, "concern_id");
  EXPECT_THAT(wrong_party, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(wrong_party.message(),
            "TriageConcern on this case is for the MASH; police-northshire is the agency that "
            "raised it, the raiser (before triage)");
  const absl::Status unconnected =
      AuthorizeOnCase(police, "hub.api.v1.Mash/TriageConcern", CaseStanding{}, "concern_id");
  EXPECT_THAT(unconnected, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(std::string(unconnected.message()),
              ::testing::StartsWith("concern_id: not known to the hub, or police-northshire is "
                                    "not connected to this case"));
}

TEST(CommandRulesTest, BoardAnalystCannotWriteCases) {
  domain::Caller analyst{"asc", common::v1::AGENCY_KIND_ADULT_SOCIAL_CARE, "u",
                         {common::v1::ROLE_BOARD_ANALYST}};
  EXPECT_THAT(AuthorizeCall(analyst, "hub.api.v1.ReferralIntake/RaiseConcern"),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

}  // namespace
}  // namespace hub::app
