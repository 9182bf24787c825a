#include "app/command_rules.h"

#include <algorithm>
#include <initializer_list>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "domain/common/labels.h"

namespace hub::app {
namespace {

using common::v1::AgencyKind;
using domain::access::Party;
using common::v1::Role;
using Roles = std::vector<Role>;

// One rule: the roles that may call, the kinds of agency they must work for (any, when none
// are named), and for a command on an existing case or person, how the caller's agency must
// stand to it (kAnyParty: not a command on a case).
struct Rule {
  Rule(std::initializer_list<Role> r, uint32_t p = kAnyParty,
       std::initializer_list<AgencyKind> k = {})
      : roles(r), agency_kinds(k), parties(p) {}
  Roles roles;
  std::vector<AgencyKind> agency_kinds;
  uint32_t parties;
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

constexpr uint32_t P(Party party) { return static_cast<uint32_t>(party); }
constexpr uint32_t kMash = P(Party::kHostMash);
constexpr uint32_t kLead = P(Party::kLead);
constexpr uint32_t kRaisedIt = P(Party::kRaisedIt);
constexpr uint32_t kResearch = P(Party::kResearchPartner);
constexpr uint32_t kActionOwner = P(Party::kActionOwner);
constexpr uint32_t kProvider = P(Party::kAdvocacyProvider);
constexpr uint32_t kOwner = P(Party::kRestrictionOwner);
constexpr uint32_t kResponsible = P(Party::kResponsible);
constexpr uint32_t kRaiserBeforeTriage = P(Party::kRaiserAwaitingTriage);
// Connected in any way.
constexpr uint32_t kConnected = kMash | kLead | kResponsible | kRaisedIt | kRaiserBeforeTriage |
                                kResearch | kActionOwner | kProvider | kOwner;

// The table: RPC -> roles that may call it; where the law gives a decision to one kind of
// agency, that kind; and for commands on an existing case or person, how the caller's agency
// must stand to it (the case's streams decide, domain/access/case_standing.h). Deny by default.
// Board analysts, auditors and administrators hold no case-writing rights: their reads arrive
// with the views. Reads name no parties: the information sharing agreement decides what they
// show (policy/).
const absl::flat_hash_map<std::string, Rule>& Table() {
  static const auto* table = new absl::flat_hash_map<std::string, Rule>{
      // Anyone working with adults may raise a concern ("safeguarding is everyone's business");
      // raising about a person by id copies their record into the concern, so it needs a part
      // in one of their cases beyond having raised one (a raiser describes the adult, and
      // linking by identifier does the rest).
      {"hub.api.v1.ReferralIntake/RaiseConcern",
       {{kReferrer, kTriage, kResearcher, kOfficer, kManager, kAdvocate},
        kConnected & ~(kRaisedIt | kRaiserBeforeTriage)}},
      // The person record is kept by the MASH and the agencies leading the person's cases.
      {"hub.api.v1.People/RegisterPerson", {{kReferrer, kTriage, kOfficer, kManager}, kMash}},
      {"hub.api.v1.People/CorrectPersonDetails", {{kTriage, kOfficer, kManager}, kMash | kLead}},
      {"hub.api.v1.People/RecordRepresentative", {{kTriage, kOfficer, kManager}, kMash | kLead}},
      // Triage, research requests and the threshold decision are the MASH's.
      {"hub.api.v1.Mash/TriageConcern", {{kTriage, kManager}, kMash}},
      {"hub.api.v1.Mash/RequestResearch", {{kTriage, kManager}, kMash}},
      // Only an agency asked answers (the domain checks it is that request's agency).
      {"hub.api.v1.Mash/AnswerResearch", {{kResearcher}, kResearch}},
      // s42(1) is the local authority's decision, taken by a safeguarding manager.
      {"hub.api.v1.Mash/RecordThresholdDecision", {{kManager}, kMash, {kAdultSocialCare}}},
      {"hub.api.v1.Mash/RecordReferrerFeedback", {{kTriage, kManager}, kMash}},
      // Consent, and any ground to share without it, decide what every partner sees: the
      // lead's record (the MASH's before a lead is named), and the raiser's for its own concern
      // until the MASH has triaged it.
      {"hub.api.v1.Mash/RecordSharingConsent",
       {{kTriage, kOfficer, kManager}, kLead | kRaiserBeforeTriage}},
      // Restricting a case decides who is told of every read: a manager of the lead or an
      // involved partner (the domain checks the same); only the owner lifts it.
      {"hub.api.v1.Mash/RestrictCase",
       {{kManager}, kMash | kLead | kRaisedIt | kActionOwner | kProvider}},
      {"hub.api.v1.Mash/LiftCaseRestriction", {{kManager}, kOwner}},
      // The enquiry is the lead's (or the responsible authority's, s42(2)); who leads is the
      // responsible authority's decision, and so is closing.
      {"hub.api.v1.Enquiry/AssignLead", {{kManager}, kResponsible}},
      {"hub.api.v1.Enquiry/RecordStrategyDiscussion", {{kOfficer, kManager}, kLead}},
      // An action's owner reports its completion.
      {"hub.api.v1.Enquiry/CompleteAction", {{kOfficer, kManager, kResearcher}, kLead | kActionOwner}},
      // The allocated advocate may record the adult's revised outcomes.
      {"hub.api.v1.Enquiry/ReviseDesiredOutcomes", {{kOfficer, kManager, kAdvocate}, kLead | kProvider}},
      {"hub.api.v1.Enquiry/RecordCapacityAssessment", {{kOfficer, kManager}, kLead}},
      {"hub.api.v1.Enquiry/RecordBestInterestsDecision", {{kOfficer, kManager}, kLead}},
      {"hub.api.v1.Enquiry/RecordRiskAssessment", {{kOfficer, kManager}, kLead}},
      {"hub.api.v1.Enquiry/RecordProtectionPlan", {{kOfficer, kManager}, kLead}},
      {"hub.api.v1.Enquiry/ReviewProtectionPlan", {{kOfficer, kManager}, kLead}},
      {"hub.api.v1.Enquiry/RecordCoercionConcern", {{kOfficer, kManager}, kLead}},
      {"hub.api.v1.Enquiry/RecordSpokenToAlone", {{kOfficer, kManager}, kLead}},
      {"hub.api.v1.Enquiry/RecordDutyOfCareDecision", {{kManager}, kLead}},
      {"hub.api.v1.Enquiry/ConcludeEnquiry", {{kOfficer, kManager}, kLead}},
      {"hub.api.v1.Enquiry/CloseEnquiry", {{kManager}, kResponsible}},
      {"hub.api.v1.Advocacy/AssessSubstantialDifficulty", {{kOfficer, kManager}, kLead}},
      {"hub.api.v1.Advocacy/AssessAppropriateIndividual", {{kOfficer, kManager}, kLead}},
      {"hub.api.v1.Advocacy/RecordAdvocacyExceptions", {{kOfficer, kManager}, kLead}},
      {"hub.api.v1.Advocacy/ReferForAdvocacy", {{kOfficer, kManager}, kLead}},
      // The provider a referral went to answers it (the domain checks it is that referral's).
      {"hub.api.v1.Advocacy/AcceptAdvocacyReferral", {{kAdvocate, kManager}, kProvider}},
      {"hub.api.v1.Advocacy/DeclineAdvocacyReferral", {{kAdvocate, kManager}, kProvider}},
      {"hub.api.v1.Advocacy/AllocateAdvocate", {{kAdvocate, kManager}, kProvider}},
      // Only an independent advocate speaks for the adult under s67/s68.
      {"hub.api.v1.Advocacy/RecordAdvocateViews", {{kAdvocate}, kProvider, {kAdvocacyProvider}}},
      {"hub.api.v1.Advocacy/GetAdvocacyDuty", {{kOfficer, kManager, kAdvocate}, kLead | kProvider}},
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
      {"hub.api.v1.Views/ExportSubjectAccess", {{kManager}, kAnyParty, {kAdultSocialCare}}},
      {"hub.api.v1.Views/GetMashQueue", {kTriage, kManager}},
      {"hub.api.v1.Views/ListResearchRequests", {kResearcher, kTriage, kManager}},
      {"hub.api.v1.Views/ListActions", {kResearcher, kTriage, kOfficer, kManager, kAdvocate}},
      {"hub.api.v1.Views/ListAwaitingAdvocacy", {kTriage, kOfficer, kManager, kAdvocate}},
      {"hub.api.v1.Views/GetSafeguardingAdultsCollection", {kBoardAnalyst, kManager}},
      // Break-glass: practitioners who work with adults (the domain also refuses a system).
      {"hub.api.v1.Views/RequestEmergencyAccess",
       {kReferrer, kTriage, kResearcher, kOfficer, kManager, kAdvocate}},
      // An agency's own notifications: its MASH, managers and auditors; the Views service also
      // lets the agency's systems (certificates without a token) read their own agency's.
      {"hub.api.v1.Views/ListNotifications", {kTriage, kManager, kAuditor}},
      {"hub.api.v1.Views/WatchNotifications", {kTriage, kManager, kAuditor}},
      // The hub's operators (the operators' certificate; never a token's role).
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

const Rule* Find(std::string_view method) {
  auto it = Table().find(std::string(method));
  return it == Table().end() ? nullptr : &it->second;
}

// "the MASH or the lead agency".
std::string PartyLabels(uint32_t mask) {
  std::vector<std::string> labels;
  for (Party party : domain::access::kAllParties) {
    if ((mask & P(party)) != 0) labels.push_back(domain::access::PartyLabel(party));
  }
  return absl::StrJoin(labels, " or ");
}

// "TriageConcern" of "hub.api.v1.Mash/TriageConcern".
std::string_view ShortName(std::string_view method) {
  const size_t slash = method.rfind('/');
  return slash == std::string_view::npos ? method : method.substr(slash + 1);
}

}  // namespace

std::vector<Role> RolesFor(std::string_view method) {
  const Rule* rule = Find(method);
  return rule == nullptr ? std::vector<Role>{} : rule->roles;
}

std::vector<AgencyKind> AgencyKindsFor(std::string_view method) {
  const Rule* rule = Find(method);
  return rule == nullptr ? std::vector<AgencyKind>{} : rule->agency_kinds;
}

uint32_t PartiesFor(std::string_view method) {
  const Rule* rule = Find(method);
  return rule == nullptr ? 0 : rule->parties;
}

absl::Status AuthorizeCall(const domain::Caller& caller, std::string_view method) {
  const Rule* rule = Find(method);
  if (rule == nullptr || rule->roles.empty()) {
    return absl::PermissionDeniedError(
        absl::StrCat(std::string(method), ": no authorisation rule; refused"));
  }
  bool role_ok = false;
  for (Role role : rule->roles) {
    // The administrator role counts only for the hub's operators (their certificate), and an
    // operator does nothing else.
    if ((role == kAdministrator) != (caller.kind == domain::CallerKind::kOperator)) continue;
    role_ok = role_ok || caller.HasRole(role);
  }
  if (!role_ok) {
    std::vector<std::string> labels;
    for (Role role : rule->roles) labels.push_back(domain::Label(role));
    return absl::PermissionDeniedError(absl::StrCat(
        std::string(method), " needs one of the roles: ", absl::StrJoin(labels, ", ")));
  }
  if (!rule->agency_kinds.empty() &&
      std::find(rule->agency_kinds.begin(), rule->agency_kinds.end(), caller.agency_kind) ==
          rule->agency_kinds.end()) {
    std::vector<std::string> labels;
    for (AgencyKind kind : rule->agency_kinds) labels.push_back(domain::Label(kind));
    return absl::PermissionDeniedError(absl::StrCat(
        std::string(method), " is for ", absl::StrJoin(labels, ", "), " only"));
  }
  return absl::OkStatus();
}

absl::Status AuthorizeOnCase(const domain::Caller& caller, std::string_view method,
                             const domain::access::CaseStanding& standing,
                             std::string_view case_field) {
  const Rule* rule = Find(method);
  if (rule == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat(std::string(method), ": no authorisation rule; refused"));
  }
  if (rule->parties == kAnyParty || standing.HasAnyOf(rule->parties)) return absl::OkStatus();
  if (!standing.connected()) {
    // Unknown and unconnected read the same, so that ids cannot be probed for existence.
    return absl::PermissionDeniedError(absl::StrCat(
        std::string(case_field), ": not known to the hub, or ", caller.agency_id,
        " is not connected to this case; LookupPerson says who leads and how to reach them"));
  }
  return absl::PermissionDeniedError(absl::StrCat(
      std::string(ShortName(method)), " on this case is for ", PartyLabels(rule->parties), "; ",
      caller.agency_id, " is ", standing.Describe()));
}

}  // namespace hub::app
