#include "services/common/command_rules.h"

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "domain/common/labels.h"

namespace hub::services {
namespace {

using common::v1::Role;
using Roles = std::vector<Role>;

constexpr Role kReferrer = common::v1::ROLE_REFERRER;
constexpr Role kTriage = common::v1::ROLE_MASH_TRIAGE;
constexpr Role kResearcher = common::v1::ROLE_MASH_RESEARCHER;
constexpr Role kOfficer = common::v1::ROLE_ENQUIRY_OFFICER;
constexpr Role kManager = common::v1::ROLE_SAFEGUARDING_MANAGER;
constexpr Role kAdvocate = common::v1::ROLE_ADVOCATE;
constexpr Role kAdministrator = common::v1::ROLE_ADMINISTRATOR;
constexpr Role kBoardAnalyst = common::v1::ROLE_BOARD_ANALYST;
constexpr Role kAuditor = common::v1::ROLE_AUDITOR;

// The table: RPC -> roles that may call it. Deny by default. Board analysts, auditors and
// administrators hold no case-writing rights: their reads arrive with the views.
const absl::flat_hash_map<std::string, Roles>& Table() {
  static const auto* table = new absl::flat_hash_map<std::string, Roles>{
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
      {"hub.api.v1.Mash/RecordThresholdDecision", {kManager}},
      {"hub.api.v1.Mash/RecordReferrerFeedback", {kTriage, kManager}},
      {"hub.api.v1.Mash/RecordSharingConsent", {kTriage, kOfficer, kManager}},
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
      {"hub.api.v1.Advocacy/RecordAdvocateViews", {kAdvocate}},
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
      {"hub.api.v1.ProjectionAdmin/GetProjectionStatus", {kAdministrator}},
      {"hub.api.v1.ProjectionAdmin/RebuildProjection", {kAdministrator}},
      // The raw log and its administration: operators only (enforced once these services
      // authenticate their callers).
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

std::vector<Role> RolesFor(std::string_view method) {
  auto it = Table().find(std::string(method));
  return it == Table().end() ? std::vector<Role>{} : it->second;
}

absl::Status AuthorizeCall(const domain::Caller& caller, std::string_view method) {
  const std::vector<Role> allowed = RolesFor(method);
  for (Role role : allowed) {
    if (caller.HasRole(role)) return absl::OkStatus();
  }
  if (allowed.empty()) {
    return absl::PermissionDeniedError(
        absl::StrCat(std::string(method), ": no authorisation rule; refused"));
  }
  std::vector<std::string> labels;
  for (Role role : allowed) labels.push_back(domain::Label(role));
  return absl::PermissionDeniedError(absl::StrCat(std::string(method), " needs one of the roles: ",
                                                  absl::StrJoin(labels, ", ")));
}

}  // namespace hub::services
