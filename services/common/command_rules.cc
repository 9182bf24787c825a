#include "services/common/command_rules.h"

#include <algorithm>
#include <initializer_list>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "domain/common/labels.h"

namespace hub::services {
namespace {

using common::v1::AgencyKind;
using common::v1::Role;
using Roles = std::vector<Role>;

// One rule: the roles that may call, and the kinds of agency they must work for (any, when
// none are named).
struct Rule {
  Rule(std::initializer_list<Role> r, std::initializer_list<AgencyKind> k = {})
      : roles(r), agency_kinds(k) {}
  Roles roles;
  std::vector<AgencyKind> agency_kinds;
};

constexpr AgencyKind kAdultSocialCare = common::v1::AGENCY_KIND_ADULT_SOCIAL_CARE;
constexpr AgencyKind kAdvocacyProvider = common::v1::AGENCY_KIND_ADVOCACY_PROVIDER;

constexpr Role kReferrer = common::v1::ROLE_REFERRER;
constexpr Role kTriage = common::v1::ROLE_MASH_TRIAGE;
constexpr Role kResearcher = common::v1::ROLE_MASH_RESEARCHER;
constexpr Role kOfficer = common::v1::ROLE_ENQUIRY_OFFICER;
constexpr Role kManager = common::v1::ROLE_SAFEGUARDING_MANAGER;
constexpr Role kAdvocate = common::v1::ROLE_ADVOCATE;
constexpr Role kAdministrator = common::v1::ROLE_ADMINISTRATOR;
constexpr Role kBoardAnalyst = common::v1::ROLE_BOARD_ANALYST;
constexpr Role kAuditor = common::v1::ROLE_AUDITOR;

// The table: RPC -> roles that may call it, and where the law gives a decision to one kind of
// agency, that kind. Deny by default. Board analysts, auditors and administrators hold no
// case-writing rights: their reads arrive with the views.
const absl::flat_hash_map<std::string, Rule>& Table() {
  static const auto* table = new absl::flat_hash_map<std::string, Rule>{
      // Anyone working with adults may raise a concern ("safeguarding is everyone's business").
      {"hub.api.v1.ReferralIntake/RaiseConcern",
       {kReferrer, kTriage, kResearcher, kOfficer, kManager, kAdvocate}},
      {"hub.api.v1.People/RegisterPerson", {kReferrer, kTriage, kOfficer, kManager}},
      {"hub.api.v1.People/CorrectPersonDetails", {kTriage, kOfficer, kManager}},
      {"hub.api.v1.People/RecordRepresentative", {kTriage, kOfficer, kManager}},
      {"hub.api.v1.Mash/TriageConcern", {kTriage, kManager}},
      {"hub.api.v1.Mash/RequestResearch", {kTriage, kManager}},
      {"hub.api.v1.Mash/AnswerResearch", {kResearcher}},
      // s42(1) is the local authority's decision, taken by a safeguarding manager.
      {"hub.api.v1.Mash/RecordThresholdDecision", Rule({kManager}, {kAdultSocialCare})},
      {"hub.api.v1.Mash/RecordReferrerFeedback", {kTriage, kManager}},
      {"hub.api.v1.Mash/RecordSharingConsent", {kTriage, kOfficer, kManager}},
      // Restricting a case decides who is told of every read: a manager's decision (the domain
      // also requires the agency to be the lead or an involved partner).
      {"hub.api.v1.Mash/RestrictCase", {kManager}},
      {"hub.api.v1.Mash/LiftCaseRestriction", {kManager}},
      // Who may assign (the local authority responsible, s42(2)) is the domain's rule: it
      // names the authority in its refusal.
      {"hub.api.v1.Enquiry/AssignLead", {kManager}},
      {"hub.api.v1.Enquiry/RecordStrategyDiscussion", {kOfficer, kManager}},
      {"hub.api.v1.Enquiry/CompleteAction", {kOfficer, kManager, kResearcher}},
      {"hub.api.v1.Enquiry/ReviseDesiredOutcomes", {kOfficer, kManager, kAdvocate}},
      {"hub.api.v1.Enquiry/RecordCapacityAssessment", {kOfficer, kManager}},
      {"hub.api.v1.Enquiry/RecordBestInterestsDecision", {kOfficer, kManager}},
      {"hub.api.v1.Enquiry/RecordRiskAssessment", {kOfficer, kManager}},
      {"hub.api.v1.Enquiry/RecordProtectionPlan", {kOfficer, kManager}},
      {"hub.api.v1.Enquiry/ReviewProtectionPlan", {kOfficer, kManager}},
      {"hub.api.v1.Enquiry/RecordCoercionConcern", {kOfficer, kManager}},
      {"hub.api.v1.Enquiry/RecordSpokenToAlone", {kOfficer, kManager}},
      {"hub.api.v1.Enquiry/RecordDutyOfCareDecision", {kManager}},
      {"hub.api.v1.Enquiry/ConcludeEnquiry", {kOfficer, kManager}},
      {"hub.api.v1.Enquiry/CloseEnquiry", {kManager}},
      {"hub.api.v1.Advocacy/AssessSubstantialDifficulty", {kOfficer, kManager}},
      {"hub.api.v1.Advocacy/AssessAppropriateIndividual", {kOfficer, kManager}},
      {"hub.api.v1.Advocacy/RecordAdvocacyExceptions", {kOfficer, kManager}},
      {"hub.api.v1.Advocacy/ReferForAdvocacy", {kOfficer, kManager}},
      {"hub.api.v1.Advocacy/AcceptAdvocacyReferral", {kAdvocate, kManager}},
      {"hub.api.v1.Advocacy/DeclineAdvocacyReferral", {kAdvocate, kManager}},
      {"hub.api.v1.Advocacy/AllocateAdvocate", {kAdvocate, kManager}},
      // Only an independent advocate speaks for the adult under s67/s68.
      {"hub.api.v1.Advocacy/RecordAdvocateViews", Rule({kAdvocate}, {kAdvocacyProvider})},
      {"hub.api.v1.Advocacy/GetAdvocacyDuty", {kOfficer, kManager, kAdvocate}},
      // Reads: the role opens the door; the information sharing agreement decides what is
      // seen (policy/), and every read of personal data is recorded.
      {"hub.api.v1.Views/GetCase",
       {kReferrer, kTriage, kResearcher, kOfficer, kManager, kAdvocate, kAuditor}},
      {"hub.api.v1.Views/LookupPerson",
       {kReferrer, kTriage, kResearcher, kOfficer, kManager, kAdvocate}},
      {"hub.api.v1.Views/GetPerson",
       {kReferrer, kTriage, kResearcher, kOfficer, kManager, kAdvocate, kAuditor}},
      {"hub.api.v1.Views/ListLookups", {kTriage, kOfficer, kManager, kAuditor}},
      {"hub.api.v1.Views/GetDisclosureLog", {kTriage, kOfficer, kManager, kAuditor}},
      // Subject access is answered by the lead local authority's safeguarding manager, within
      // what the agreement releases for PURPOSE_SUBJECT_ACCESS.
      {"hub.api.v1.Views/ExportSubjectAccess", {kManager}},
      {"hub.api.v1.Views/GetMashQueue", {kTriage, kManager}},
      {"hub.api.v1.Views/ListResearchRequests", {kResearcher, kTriage, kManager}},
      {"hub.api.v1.Views/ListActions", {kResearcher, kTriage, kOfficer, kManager, kAdvocate}},
      {"hub.api.v1.Views/ListAwaitingAdvocacy", {kTriage, kOfficer, kManager, kAdvocate}},
      {"hub.api.v1.Views/GetSafeguardingAdultsCollection", {kBoardAnalyst, kManager}},
      // Break-glass: practitioners who work with adults (the domain also refuses a system).
      {"hub.api.v1.Views/RequestEmergencyAccess",
       {kReferrer, kTriage, kResearcher, kOfficer, kManager, kAdvocate}},
      // An agency's own notifications: its MASH, managers and auditors; the Views service also
      // lets the agency's systems (callers without a user) read their own agency's.
      {"hub.api.v1.Views/ListNotifications", {kTriage, kManager, kAuditor}},
      {"hub.api.v1.Views/WatchNotifications", {kTriage, kManager, kAuditor}},
      {"hub.api.v1.ProjectionAdmin/GetProjectionStatus", {kAdministrator}},
      {"hub.api.v1.ProjectionAdmin/RebuildProjection", {kAdministrator}},
      // The raw log and its administration: the hub's operators only.
      {"hub.api.v1.EventStore/Append", {kAdministrator}},
      {"hub.api.v1.EventStore/ReadStream", {kAdministrator}},
      {"hub.api.v1.EventStore/ReadAll", {kAdministrator}},
      {"hub.api.v1.EventStore/Subscribe", {kAdministrator}},
      {"hub.api.v1.LogAdmin/GetHead", {kAdministrator}},
      {"hub.api.v1.LogAdmin/Verify", {kAdministrator}},
      {"hub.api.v1.LogAdmin/Backup", {kAdministrator}},
  };
  return *table;
}

}  // namespace

absl::StatusOr<domain::Caller> AuthorizeCaller(const Authenticator* authenticator,
                                               const grpc::ServerContextBase& context,
                                               std::string_view method) {
  if (authenticator == nullptr) {
    return absl::UnauthenticatedError("no caller identity is configured; calls are refused");
  }
  absl::StatusOr<domain::Caller> caller = authenticator->Authenticate(context);
  if (!caller.ok()) return caller.status();
  if (absl::Status allowed = AuthorizeCall(*caller, method); !allowed.ok()) return allowed;
  return caller;
}

std::vector<Role> RolesFor(std::string_view method) {
  auto it = Table().find(std::string(method));
  return it == Table().end() ? std::vector<Role>{} : it->second.roles;
}

std::vector<AgencyKind> AgencyKindsFor(std::string_view method) {
  auto it = Table().find(std::string(method));
  return it == Table().end() ? std::vector<AgencyKind>{} : it->second.agency_kinds;
}

absl::Status AuthorizeCall(const domain::Caller& caller, std::string_view method) {
  auto it = Table().find(std::string(method));
  if (it == Table().end() || it->second.roles.empty()) {
    return absl::PermissionDeniedError(
        absl::StrCat(std::string(method), ": no authorisation rule; refused"));
  }
  const Rule& rule = it->second;
  bool role_ok = false;
  for (Role role : rule.roles) role_ok = role_ok || caller.HasRole(role);
  if (!role_ok) {
    std::vector<std::string> labels;
    for (Role role : rule.roles) labels.push_back(domain::Label(role));
    return absl::PermissionDeniedError(absl::StrCat(
        std::string(method), " needs one of the roles: ", absl::StrJoin(labels, ", ")));
  }
  if (!rule.agency_kinds.empty() &&
      std::find(rule.agency_kinds.begin(), rule.agency_kinds.end(), caller.agency_kind) ==
          rule.agency_kinds.end()) {
    std::vector<std::string> labels;
    for (AgencyKind kind : rule.agency_kinds) labels.push_back(domain::Label(kind));
    return absl::PermissionDeniedError(absl::StrCat(
        std::string(method), " is for ", absl::StrJoin(labels, ", "), " only"));
  }
  return absl::OkStatus();
}

}  // namespace hub::services
