#include "services/views/views_service.h"

#include <algorithm>
#include <atomic>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "domain/access/case_standing.h"
#include "domain/common/envelope.h"
#include "domain/common/labels.h"
#include "domain/common/streams.h"
#include "domain/people/person.h"
#include "projections/case_file/case_file.h"
#include "projections/disclosure_log/disclosure_log.h"
#include "projections/notifications/notifications.h"
#include "projections/person_index/person_index.h"
#include "projections/sac/sac.h"
#include "projections/sac/sac_report.h"
#include "projections/worklists/worklists.h"
#include "app/case_store.h"
#include "app/command_request.h"
#include "app/command_rules.h"
#include "services/common/deadline.h"
#include "services/common/grpc_status.h"

namespace hub::services {

using app::CaseStore;
using app::LoadedStream;
using app::CommandOutcome;
using app::EncodeEvent;
using app::FindApplied;
using app::FindAppliedEvent;
using app::AuthorizeCall;
using app::MakeCommandContext;
using app::DeriveId;
using app::KeyedDigest;
using app::RandomKey;
using app::CheckId;
using app::CheckText;
using app::CheckShortText;
using app::CheckEnum;
namespace {

using common::v1::InformationCategory;
using common::v1::Purpose;
using common::v1::Relationship;
using views::v1::CaseFile;

constexpr char kCaseFile[] = "case_file";
constexpr char kPersonIndex[] = "person_index";
constexpr char kWorklists[] = "worklists";
constexpr char kSac[] = "sac";
constexpr char kNotifications[] = "notifications";

// Notifications: a page when none is asked for, the most a page may hold, and how many a
// watch sends per message.
constexpr int kDefaultNotificationLimit = 100;
constexpr int kMaxNotificationLimit = 1000;
constexpr int kWatchBatch = 100;
// A grant request decided against a stream another grant just moved is decided again.
constexpr int kGrantAttempts = 3;

// A read waits at most this long for the views to catch up when the caller set no deadline.
constexpr absl::Duration kDefaultReadWait = absl::Seconds(10);

bool IsAdultSocialCare(const domain::Caller& caller) {
  return caller.agency_kind == common::v1::AGENCY_KIND_ADULT_SOCIAL_CARE;
}

policy::Viewer ViewerOf(const domain::Caller& caller) {
  return policy::Viewer{caller.agency_id, caller.agency_kind, caller.roles};
}

// The strongest of two relationships (LEAD < INVOLVED < RESEARCH < NONE in enum order).
Relationship Stronger(Relationship a, Relationship b) {
  if (a == common::v1::RELATIONSHIP_UNSPECIFIED) return b;
  if (b == common::v1::RELATIONSHIP_UNSPECIFIED) return a;
  return a < b ? a : b;
}

// Keeps the research answers the viewer may receive under their owners' handling markings.
int FilterMarked(google::protobuf::RepeatedPtrField<views::v1::ResearchItem>* items,
                 const policy::Viewer& viewer, Relationship relationship, Purpose purpose) {
  int withheld = 0;
  google::protobuf::RepeatedPtrField<views::v1::ResearchItem> kept;
  for (views::v1::ResearchItem& item : *items) {
    std::vector<common::v1::HandlingMarking> markings;
    for (int m : item.markings()) markings.push_back(static_cast<common::v1::HandlingMarking>(m));
    if (policy::MayReceiveItem(markings, item.agency_id(), viewer, relationship, purpose)) {
      *kept.Add() = std::move(item);
    } else {
      ++withheld;
    }
  }
  items->Swap(&kept);
  return withheld;
}

}  // namespace

struct ViewsService::Read {
  domain::Caller caller;
  Purpose purpose = common::v1::PURPOSE_UNSPECIFIED;
  absl::Time now;
  absl::Time deadline;
};

ViewsService::ViewsService(ServiceDeps deps, projections::ProjectionEngine& engine,
                           const policy::Agreement& agreement, ViewsOptions options)
    : deps_(deps),
      engine_(engine),
      agreement_(agreement),
      options_(options),
      host_asc_agency_ids_(deps_.partnership.host_asc_agency_ids()),
      lookup_key_(options_.lookup_key.empty() ? RandomKey() : options_.lookup_key) {}

void ViewsService::Shutdown() { shutting_down_.store(true); }

absl::StatusOr<ViewsService::Read> ViewsService::BeginRead(const grpc::ServerContextBase& context,
                                                           const api::v1::ReadHeader& header,
                                                           std::string_view method,
                                                           bool purpose_required,
                                                           bool system_callers) {
  Read read;
  HUB_ASSIGN_OR_RETURN(read.caller, deps_.authenticator.Authenticate(context));
  // Who may call, before anything about the request is said back.
  if (!(system_callers && read.caller.kind == domain::CallerKind::kSystem)) {
    HUB_RETURN_IF_ERROR(AuthorizeCall(read.caller, method));
  }
  HUB_RETURN_IF_ERROR(CheckEnum("header.purpose", header.purpose(), purpose_required));
  if (header.has_min_position() && header.min_position() < 0) {
    return absl::InvalidArgumentError("header.min_position: must be >= 0");
  }
  read.purpose = header.purpose();
  read.now = deps_.clock.Now();
  const absl::Time call_deadline = DeadlineFromGrpc(context.deadline());
  read.deadline = std::min(call_deadline, read.now + kDefaultReadWait);
  if (header.has_min_position() &&
      !engine_.WaitFor(GlobalPosition(header.min_position()), read.deadline)) {
    return absl::DeadlineExceededError(absl::StrCat(
        "header.min_position: the views have not yet reached position ", header.min_position(),
        "; try again"));
  }
  return read;
}

struct Recorded {
  std::string id;
  int64_t position = -1;
};

common::v1::Relationship ViewsService::RelationshipOf(const views::v1::CaseFile& file,
                                                      const domain::Caller& caller) const {
  return policy::RelationshipTo(file.parties(), caller.agency_id, host_asc_agency_ids_);
}

policy::Decision ViewsService::Decide(const views::v1::CaseFile& file, const Read& read,
                                      common::v1::Relationship relationship) const {
  return agreement_.Evaluate(
      ViewerOf(read.caller), read.purpose,
      policy::CaseAccess{relationship, file.consent_to_share(), file.override_grounds_size() > 0});
}

std::string ViewsService::LeadAgencyOf(const views::v1::CaseFile& file) const {
  if (!file.parties().lead_agency_id().empty()) return file.parties().lead_agency_id();
  if (!file.parties().mash_agency_id().empty()) return file.parties().mash_agency_id();
  return host_asc_agency_ids_.empty() ? std::string() : host_asc_agency_ids_.front();
}

policy::Decision ViewsService::BreakGlassDecision(const views::v1::CaseFile& file) const {
  policy::Viewer lead;
  lead.agency_id = LeadAgencyOf(file);
  const config::v1::Agency* agency = deps_.partnership.FindAgency(lead.agency_id);
  lead.kind = agency != nullptr ? agency->kind() : common::v1::AGENCY_KIND_ADULT_SOCIAL_CARE;
  lead.roles = {common::v1::ROLE_ENQUIRY_OFFICER};
  policy::Decision decision = agreement_.Evaluate(
      lead, common::v1::PURPOSE_SAFEGUARDING_ENQUIRY,
      policy::CaseAccess{common::v1::RELATIONSHIP_LEAD, file.consent_to_share(),
                         file.override_grounds_size() > 0});
  // Who else looked is the lead's and the auditors' business, not an emergency's.
  auto log = std::find(decision.permitted.begin(), decision.permitted.end(),
                       common::v1::INFORMATION_CATEGORY_DISCLOSURE_LOG);
  if (log != decision.permitted.end()) {
    decision.permitted.erase(log);
    decision.withheld.push_back(common::v1::INFORMATION_CATEGORY_DISCLOSURE_LOG);
    std::sort(decision.withheld.begin(), decision.withheld.end());
  }
  return decision;
}

// Appends the disclosure record and waits until it is durable: no answer without it.
static absl::StatusOr<Recorded> RecordDisclosure(eventstore::EventLog& log,
                                                    const domain::Caller& caller, absl::Time now,
                                                    absl::Time deadline,
                                                    events::v1::DisclosureRecorded record) {
  static std::atomic<uint64_t> counter{0};
  record.set_disclosure_id(DeriveId(
      absl::StrCat(caller.agency_id, "/", caller.user_id, "/", absl::ToUnixNanos(now), "/",
                   counter.fetch_add(1)),
      "disclosure"));
  domain::CommandContext ctx;
  ctx.caller = caller;
  ctx.now = now;
  events::v1::Event event = domain::NewEvent(ctx);
  *event.mutable_disclosure_recorded() = record;
  eventstore::AppendRequest append;
  append.stream = domain::DisclosureStream(record.person_id());
  append.expected = eventstore::ExpectedVersion::Any();
  append.deadline = deadline;
  append.events.push_back(EncodeEvent(event));
  absl::StatusOr<eventstore::AppendResult> appended = log.Append(std::move(append));
  if (!appended.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "the disclosure could not be recorded, so nothing is shown: ", appended.status().message()));
  }
  return Recorded{record.disclosure_id(), appended->last_position.value()};
}

// A subject access request for an adult whose record this authority does not hold.
static absl::Status NotTheirs() {
  return absl::PermissionDeniedError(
      "subject access is answered by the local authority that holds the adult's record (the "
      "lead of their cases, or the host authority's MASH): refer the request to it");
}

static absl::Status NothingOfPerson() {
  return absl::PermissionDeniedError(
      "the information sharing agreement lets you see nothing of this person's record; "
      "LookupPerson says who leads and how to reach them");
}

absl::Status ViewsService::NothingToSee(const Read& read, Relationship relationship) const {
  return absl::PermissionDeniedError(absl::StrCat(
      "the information sharing agreement (version ", agreement_.version(), ") lets ",
      domain::Label(read.caller.agency_kind), " with relationship '", domain::Label(relationship),
      "' see nothing of this case for purpose '", domain::Label(read.purpose),
      "'; LookupPerson says who leads and how to reach them (in an emergency: "
      "RequestEmergencyAccess)"));
}

absl::Status ViewsService::UnknownCase(const Read& read, std::string_view what,
                                       absl::Status refusal) const {
  // The MASH sees every concern, and a caller the agreement shows cases it has no part in
  // (auditors) could tell existence apart anyway: they may hear "not known". Everyone else
  // gets the words a known case they may not see gets, so that ids cannot be probed.
  const bool mash = domain::access::StandingOf({}, read.caller.agency_id,
                                                deps_.partnership.host_asc_agency_ids())
                        .connected();
  const policy::Decision unconnected =
      agreement_.Evaluate(ViewerOf(read.caller), read.purpose,
                          policy::CaseAccess{common::v1::RELATIONSHIP_NONE, true, true});
  if (mash || unconnected.any()) return absl::NotFoundError(absl::StrCat(std::string(what), " is not known"));
  return refusal.ok() ? NothingToSee(read, common::v1::RELATIONSHIP_NONE) : refusal;
}

// ---- GetCase ----

grpc::Status ViewsService::GetCase(grpc::ServerContext* context,
                                   const api::v1::GetCaseRequest* request,
                                   api::v1::GetCaseResponse* response) {
  return FinishCall(*context, GetCaseImpl(*context, *request, *response));
}

namespace {

// Who leads the case and how to reach them: the lead agency (or the MASH before a lead is
// named) with its duty numbers from the partnership.
void FillContactRoutes(const CaseFile& file, const config::Partnership& partnership,
                       views::v1::ContactRoutes& contact) {
  contact = file.contact();
  if (contact.lead_agency_id().empty()) contact.set_lead_agency_id(file.parties().mash_agency_id());
  if (const config::v1::Agency* agency = partnership.FindAgency(contact.lead_agency_id())) {
    contact.set_lead_agency_name(agency->name());
    contact.set_duty_office_hours(agency->duty_office_hours());
    contact.set_duty_out_of_hours(agency->duty_out_of_hours());
  }
}

// Whether the viewer's identity category shows the person record the concern is linked to.
// A concern raised with an identifier the hub knows is linked at once, but the link is the
// MASH's to confirm: until it has triaged the concern, only the lead sees the record, and other
// viewers see the adult as the referrer described them, so that quoting an NHS number never
// reveals whom the hub knows by it.
bool ShowsLinkedRecord(const CaseFile& file, Relationship relationship) {
  return relationship == common::v1::RELATIONSHIP_LEAD || !file.parties().mash_agency_id().empty();
}

// Copies into `view` the categories `decision` permits, filling contact routes from the
// partnership and identity from the person index.
struct Redaction {
  int withheld_by_marking = 0;
};

void CopyPermitted(const CaseFile& file, const views::v1::PersonEntry* person,
                   const config::Partnership& partnership, const policy::Decision& decision,
                   const policy::Viewer& viewer, Relationship relationship, Purpose purpose,
                   api::v1::CaseView& view, Redaction& redaction) {
  using namespace common::v1;  // NOLINT: the category names read better unqualified
  if (decision.Permits(INFORMATION_CATEGORY_IDENTITY)) {
    views::v1::IdentityInfo* identity = view.mutable_identity();
    if (ShowsLinkedRecord(file, relationship)) {
      identity->set_person_id(file.person_id());
      if (person != nullptr) {
        *identity->mutable_details() = person->details();
        identity->mutable_representatives()->CopyFrom(person->representatives());
      }
    } else {
      *identity->mutable_details() = file.raised_adult();
    }
  }
  if (decision.Permits(INFORMATION_CATEGORY_CONTACT_ROUTES)) {
    FillContactRoutes(file, partnership, *view.mutable_contact());
  }
  if (decision.Permits(INFORMATION_CATEGORY_CONCERN_SUMMARY)) {
    *view.mutable_summary() = file.summary();
    // The adult's earlier concerns are the lead's to know, not every partner's.
    if (relationship != common::v1::RELATIONSHIP_LEAD) {
      view.mutable_summary()->clear_previous_concern_ids();
      view.mutable_summary()->clear_episode();
    }
  }
  if (decision.Permits(INFORMATION_CATEGORY_NARRATIVE)) *view.mutable_narrative() = file.narrative();
  if (decision.Permits(INFORMATION_CATEGORY_HEALTH)) {
    *view.mutable_health() = file.health();
    redaction.withheld_by_marking +=
        FilterMarked(view.mutable_health()->mutable_answers(), viewer, relationship, purpose);
  }
  if (decision.Permits(INFORMATION_CATEGORY_POLICE_INFORMATION)) {
    *view.mutable_police() = file.police();
    redaction.withheld_by_marking +=
        FilterMarked(view.mutable_police()->mutable_answers(), viewer, relationship, purpose);
  }
  if (decision.Permits(INFORMATION_CATEGORY_CAPACITY_AND_BEST_INTERESTS)) {
    *view.mutable_capacity() = file.capacity();
  }
  if (decision.Permits(INFORMATION_CATEGORY_VOICE_AND_OUTCOMES)) *view.mutable_voice() = file.voice();
  if (decision.Permits(INFORMATION_CATEGORY_RISK_AND_PLAN)) *view.mutable_risk() = file.risk();
  if (decision.Permits(INFORMATION_CATEGORY_ADVOCACY)) *view.mutable_advocacy() = file.advocacy();
  if (decision.Permits(INFORMATION_CATEGORY_RESEARCH_ANSWERS)) {
    *view.mutable_research() = file.research();
    redaction.withheld_by_marking +=
        FilterMarked(view.mutable_research()->mutable_answers(), viewer, relationship, purpose);
  }
  view.set_items_withheld_by_marking(redaction.withheld_by_marking);
}

events::v1::DisclosureRecorded DisclosureFor(const api::v1::CaseView& view,
                                             const std::string& person_id,
                                             common::v1::DisclosureKind kind, const CaseFile& file,
                                             const policy::Agreement& agreement) {
  events::v1::DisclosureRecorded record;
  record.set_kind(kind);
  record.set_person_id(person_id);
  record.set_concern_id(view.concern_id());
  record.set_purpose(view.purpose());
  record.mutable_categories()->CopyFrom(view.permitted());
  record.mutable_withheld()->CopyFrom(view.withheld());
  record.mutable_lawful_bases()->CopyFrom(view.lawful_bases());
  record.set_relationship(view.relationship());
  record.set_consent_to_share(file.consent_to_share());
  record.mutable_override_grounds()->CopyFrom(file.override_grounds());
  record.set_agreement_version(agreement.version());
  record.set_agreement_hash(agreement.hash());
  record.set_items_withheld_by_marking(view.items_withheld_by_marking());
  return record;
}

}  // namespace

absl::Status ViewsService::GetCaseImpl(const grpc::ServerContextBase& context,
                                       const api::v1::GetCaseRequest& request,
                                       api::v1::GetCaseResponse& response) {
  HUB_ASSIGN_OR_RETURN(Read read, BeginRead(context, request.header(), "hub.api.v1.Views/GetCase",
                                            /*purpose_required=*/true));
  eventstore::KvStore& store = engine_.store();
  std::string concern_id;
  switch (request.case_ref_case()) {
    case api::v1::GetCaseRequest::kConcernId:
      HUB_RETURN_IF_ERROR(CheckId("concern_id", request.concern_id()));
      concern_id = request.concern_id();
      break;
    case api::v1::GetCaseRequest::kEnquiryId: {
      HUB_RETURN_IF_ERROR(CheckId("enquiry_id", request.enquiry_id()));
      HUB_ASSIGN_OR_RETURN(std::optional<std::string> found,
                           projections::ConcernForEnquiry(store, request.enquiry_id()));
      if (!found) return UnknownCase(read, absl::StrCat("enquiry ", request.enquiry_id()));
      concern_id = *found;
      break;
    }
    default:
      return absl::InvalidArgumentError("case_ref: give concern_id or enquiry_id");
  }
  HUB_ASSIGN_OR_RETURN(std::optional<CaseFile> file, projections::LoadCaseFile(store, concern_id));
  if (!file) return UnknownCase(read, absl::StrCat("concern ", concern_id));

  const policy::Viewer viewer = ViewerOf(read.caller);
  const Relationship relationship = RelationshipOf(*file, read.caller);
  policy::Decision decision = Decide(*file, read, relationship);
  // Break-glass only where the agreement shows nothing: a grant never narrows or widens a view
  // the agreement already gives.
  const views::v1::EmergencyGrant* grant = nullptr;
  if (!decision.any()) {
    const projections::EmergencyGrants grants = projections::FindEmergencyGrants(
        *file, read.caller.agency_id, read.caller.user_id, read.now);
    if (grants.active != nullptr && grants.active->purpose() == read.purpose) {
      grant = grants.active;
      decision = BreakGlassDecision(*file);
    } else if (grants.active != nullptr) {
      return absl::PermissionDeniedError(absl::StrCat(
          "your emergency access to this case (grant ", grants.active->grant_id(),
          ") is for purpose '", domain::Label(grants.active->purpose()),
          "': read it with that purpose"));
    } else if (grants.expired != nullptr) {
      return absl::PermissionDeniedError(absl::StrCat(
          "your emergency access to this case (grant ", grants.expired->grant_id(),
          ") expired at ",
          absl::FormatTime("%Y-%m-%d %H:%M:%S UTC",
                           domain::FromTimestamp(grants.expired->expires_at()),
                           absl::UTCTimeZone()),
          "; the information sharing agreement (version ", agreement_.version(),
          ") lets you see nothing of it for purpose '", domain::Label(read.purpose),
          "': ask the lead agency, or request emergency access again if the emergency goes on"));
    } else {
      return NothingToSee(read, relationship);
    }
  }
  std::optional<views::v1::PersonEntry> person;
  if (decision.Permits(common::v1::INFORMATION_CATEGORY_IDENTITY)) {
    HUB_ASSIGN_OR_RETURN(person, projections::LoadPerson(store, file->person_id()));
  }
  api::v1::CaseView& view = *response.mutable_view();
  view.set_concern_id(file->concern_id());
  view.set_enquiry_id(file->enquiry_id());
  view.set_relationship(relationship);
  view.set_purpose(read.purpose);
  for (InformationCategory c : decision.permitted) view.add_permitted(c);
  for (InformationCategory c : decision.withheld) view.add_withheld(c);
  for (common::v1::LawfulBasis b : decision.lawful_bases) view.add_lawful_bases(b);
  view.set_agreement_version(agreement_.version());
  view.set_restricted_by_agency_id(file->access().restricted_by_agency_id());
  if (grant != nullptr) {
    view.set_break_glass(true);
    view.set_grant_id(grant->grant_id());
    *view.mutable_grant_expires_at() = grant->expires_at();
  }
  Redaction redaction;
  // Handling markings are judged for the caller as they are (no relationship under
  // break-glass): an owner's instruction is never overridden by an emergency.
  CopyPermitted(*file, person ? &*person : nullptr, deps_.partnership, decision, viewer,
                relationship, read.purpose, view, redaction);
  if (decision.Permits(common::v1::INFORMATION_CATEGORY_DISCLOSURE_LOG)) {
    HUB_ASSIGN_OR_RETURN(auto entries, projections::ListDisclosures(
                                           store, {.person_id = file->person_id(),
                                                   .concern_id = file->concern_id()}));
    views::v1::DisclosureLogInfo* log = view.mutable_disclosure_log();  // present even if empty
    for (auto& entry : entries) *log->add_entries() = std::move(entry);
  }
  events::v1::DisclosureRecorded record = DisclosureFor(
      view, file->person_id(), common::v1::DISCLOSURE_KIND_CASE_VIEW, *file, agreement_);
  // Who is told of this read: the lead (of a break-glass read) and the restriction's owner.
  record.set_lead_agency_id(LeadAgencyOf(*file));
  record.set_restricted_by_agency_id(file->access().restricted_by_agency_id());
  if (grant != nullptr) {
    record.set_break_glass(true);
    record.set_grant_id(grant->grant_id());
    record.set_break_glass_reason(grant->reason());
    *record.mutable_grant_expires_at() = grant->expires_at();
  }
  HUB_ASSIGN_OR_RETURN(Recorded recorded, RecordDisclosure(deps_.log, read.caller, read.now,
                                                           read.deadline, std::move(record)));
  view.set_disclosure_id(recorded.id);
  view.set_disclosure_position(recorded.position);
  return absl::OkStatus();
}

// ---- LookupPerson ----

grpc::Status ViewsService::LookupPerson(grpc::ServerContext* context,
                                        const api::v1::LookupPersonRequest* request,
                                        api::v1::LookupPersonResponse* response) {
  return FinishCall(*context, LookupPersonImpl(*context, *request, *response));
}

absl::Status ViewsService::LookupPersonImpl(const grpc::ServerContextBase& context,
                                            const api::v1::LookupPersonRequest& request,
                                            api::v1::LookupPersonResponse& response) {
  HUB_ASSIGN_OR_RETURN(Read read, BeginRead(context, request.header(),
                                            "hub.api.v1.Views/LookupPerson", true));
  if (!agreement_.LookupPermitted(read.purpose)) {
    return absl::PermissionDeniedError(absl::StrCat("header.purpose: '", domain::Label(read.purpose),
                                                    "' is not a purpose the agreement allows for a lookup"));
  }
  eventstore::KvStore& store = engine_.store();
  std::vector<std::string> matches;
  std::string normalised_query;
  switch (request.query_case()) {
    case api::v1::LookupPersonRequest::kNhsNumber: {
      const std::string nhs = domain::people::NormaliseNhsNumber(request.nhs_number());
      if (nhs.size() != 10 || !std::all_of(nhs.begin(), nhs.end(), absl::ascii_isdigit)) {
        return absl::InvalidArgumentError("nhs_number: must be 10 digits");
      }
      // The same check as raising a concern: a mistyped number is said to be mistyped, not
      // answered "not known".
      if (!domain::people::IsValidNhsNumber(nhs)) {
        return absl::InvalidArgumentError(
            "nhs_number: the check digit does not match (mod 11): check the number");
      }
      normalised_query = absl::StrCat("nhs:", nhs);
      HUB_ASSIGN_OR_RETURN(auto found, projections::FindByIdentifier(
                                           store, common::v1::IDENTIFIER_KIND_NHS_NUMBER, nhs));
      if (found) matches.push_back(*found);
      break;
    }
    case api::v1::LookupPersonRequest::kIdentifier: {
      const auto& id = request.identifier();
      HUB_RETURN_IF_ERROR(CheckEnum("identifier.kind", id.kind(), true));
      HUB_RETURN_IF_ERROR(CheckShortText("identifier.value", id.value(), true));
      normalised_query = absl::StrCat("id:", id.kind(), ":", id.value());
      HUB_ASSIGN_OR_RETURN(auto found, projections::FindByIdentifier(store, id.kind(), id.value()));
      if (found) matches.push_back(*found);
      break;
    }
    case api::v1::LookupPersonRequest::kNameAndBirth: {
      const auto& q = request.name_and_birth();
      HUB_RETURN_IF_ERROR(CheckShortText("name_and_birth.family", q.family(), true));
      HUB_RETURN_IF_ERROR(CheckShortText("name_and_birth.given", q.given(), true));
      HUB_RETURN_IF_ERROR(CheckShortText("name_and_birth.postcode", q.postcode(), false));
      const auto& dob = q.date_of_birth();
      if (dob.year() < 1900 || dob.year() > 2100 || dob.month() < 1 || dob.month() > 12 ||
          dob.day() < 1 || dob.day() > 31) {
        return absl::InvalidArgumentError("name_and_birth.date_of_birth: required, a real date");
      }
      normalised_query = absl::StrCat("name:", absl::AsciiStrToLower(q.family()), ":",
                                      absl::AsciiStrToLower(q.given()), ":", dob.year(), "-",
                                      dob.month(), "-", dob.day(), ":",
                                      absl::AsciiStrToUpper(q.postcode()));
      HUB_ASSIGN_OR_RETURN(matches, projections::FindByNameAndBirth(store, q.family(), q.given(),
                                                                    dob, q.postcode()));
      break;
    }
    default:
      return absl::InvalidArgumentError("query: give nhs_number, identifier or name_and_birth");
  }
  response.set_how_to_raise_a_concern(agreement_.how_to_raise_a_concern());
  events::v1::DisclosureRecorded record;
  record.set_kind(common::v1::DISCLOSURE_KIND_LOOKUP);
  record.set_purpose(read.purpose);
  record.set_agreement_version(agreement_.version());
  record.set_agreement_hash(agreement_.hash());
  // The lookup's lawful basis: the public task of safeguarding adults at risk.
  record.add_lawful_bases(common::v1::LAWFUL_BASIS_UK_GDPR_6_1_E_PUBLIC_TASK);
  record.add_lawful_bases(common::v1::LAWFUL_BASIS_DPA_SCH1_PARA18_SAFEGUARDING);
  if (matches.empty()) {
    // Nothing about anyone is disclosed, but the search is kept (as a hash, not the query).
    record.set_lookup_query_hash(KeyedDigest(lookup_key_, "lookup", normalised_query));
    HUB_ASSIGN_OR_RETURN(Recorded recorded, RecordDisclosure(deps_.log, read.caller, read.now,
                                                             read.deadline, record));
    response.set_disclosure_id(recorded.id);
    response.set_disclosure_position(recorded.position);
    return absl::OkStatus();
  }
  response.set_known(true);
  if (matches.size() > 1) {
    // More than one adult: say so and nothing else, and record that each was matched.
    response.set_ambiguous(true);
    for (const std::string& person_id : matches) {
      record.set_person_id(person_id);
      HUB_ASSIGN_OR_RETURN(Recorded recorded, RecordDisclosure(deps_.log, read.caller, read.now,
                                                               read.deadline, record));
      response.set_disclosure_id(recorded.id);
      response.set_disclosure_position(recorded.position);
    }
    return absl::OkStatus();
  }
  HUB_ASSIGN_OR_RETURN(std::optional<views::v1::PersonEntry> person,
                       projections::LoadPerson(store, matches[0]));
  if (person) {
    for (const views::v1::PersonCase& c : person->cases()) {
      if (!c.open()) continue;
      api::v1::OpenCase* open = response.add_open_cases();
      open->set_enquiry(!c.enquiry_id().empty());
      std::string lead = !c.lead_agency_id().empty() ? c.lead_agency_id() : c.mash_agency_id();
      if (lead.empty() && !host_asc_agency_ids_.empty()) lead = host_asc_agency_ids_.front();
      if (const config::v1::Agency* agency = deps_.partnership.FindAgency(lead)) {
        open->set_lead_agency_name(agency->name());
        open->set_duty_office_hours(agency->duty_office_hours());
        open->set_duty_out_of_hours(agency->duty_out_of_hours());
      }
      HUB_ASSIGN_OR_RETURN(std::optional<CaseFile> file,
                           projections::LoadCaseFile(store, c.concern_id()));
      if (file && RelationshipOf(*file, read.caller) != common::v1::RELATIONSHIP_NONE) {
        open->set_concern_id(c.concern_id());
      }
    }
  }
  record.set_person_id(matches[0]);
  record.add_categories(common::v1::INFORMATION_CATEGORY_CONTACT_ROUTES);
  HUB_ASSIGN_OR_RETURN(Recorded recorded, RecordDisclosure(deps_.log, read.caller, read.now,
                                                           read.deadline, record));
  response.set_disclosure_id(recorded.id);
  response.set_disclosure_position(recorded.position);
  return absl::OkStatus();
}

// ---- GetPerson ----

grpc::Status ViewsService::GetPerson(grpc::ServerContext* context,
                                     const api::v1::GetPersonRequest* request,
                                     api::v1::GetPersonResponse* response) {
  return FinishCall(*context, GetPersonImpl(*context, *request, *response));
}

absl::Status ViewsService::GetPersonImpl(const grpc::ServerContextBase& context,
                                         const api::v1::GetPersonRequest& request,
                                         api::v1::GetPersonResponse& response) {
  HUB_ASSIGN_OR_RETURN(Read read, BeginRead(context, request.header(),
                                            "hub.api.v1.Views/GetPerson", true));
  HUB_RETURN_IF_ERROR(CheckId("person_id", request.person_id()));
  eventstore::KvStore& store = engine_.store();
  HUB_ASSIGN_OR_RETURN(std::optional<views::v1::PersonEntry> person,
                       projections::LoadPerson(store, request.person_id()));
  if (!person) {
    return UnknownCase(read, absl::StrCat("person ", request.person_id()), NothingOfPerson());
  }
  const policy::Viewer viewer = ViewerOf(read.caller);
  // Each case is decided on its own: a partner on one episode sees nothing of another.
  std::vector<InformationCategory> disclosed;
  std::vector<common::v1::LawfulBasis> bases;
  Relationship strongest = common::v1::RELATIONSHIP_NONE;
  bool identity = false;
  for (const views::v1::PersonCase& c : person->cases()) {
    HUB_ASSIGN_OR_RETURN(std::optional<CaseFile> file, projections::LoadCaseFile(store, c.concern_id()));
    if (!file) continue;
    const Relationship relationship = RelationshipOf(*file, read.caller);
    const policy::Decision decision = Decide(*file, read, relationship);
    const bool summary = decision.Permits(common::v1::INFORMATION_CATEGORY_CONCERN_SUMMARY);
    const bool contact = decision.Permits(common::v1::INFORMATION_CATEGORY_CONTACT_ROUTES);
    identity = identity || (decision.Permits(common::v1::INFORMATION_CATEGORY_IDENTITY) &&
                            ShowsLinkedRecord(*file, relationship));
    if (!decision.any()) {
      response.set_cases_withheld(response.cases_withheld() + 1);
      continue;
    }
    strongest = Stronger(strongest, relationship);
    api::v1::PersonCaseView* view = response.add_cases();
    view->set_concern_id(c.concern_id());
    view->set_relationship(relationship);
    if (summary) {
      *view->mutable_summary() = c;
      disclosed.push_back(common::v1::INFORMATION_CATEGORY_CONCERN_SUMMARY);
    }
    if (contact) {
      FillContactRoutes(*file, deps_.partnership, *view->mutable_contact());
      disclosed.push_back(common::v1::INFORMATION_CATEGORY_CONTACT_ROUTES);
    }
    bases.insert(bases.end(), decision.lawful_bases.begin(), decision.lawful_bases.end());
  }
  if (identity) {
    views::v1::IdentityInfo* info = response.mutable_identity();
    info->set_person_id(person->person_id());
    *info->mutable_details() = person->details();
    info->mutable_representatives()->CopyFrom(person->representatives());
    disclosed.push_back(common::v1::INFORMATION_CATEGORY_IDENTITY);
  }
  if (disclosed.empty()) return NothingOfPerson();
  std::sort(disclosed.begin(), disclosed.end());
  disclosed.erase(std::unique(disclosed.begin(), disclosed.end()), disclosed.end());
  std::sort(bases.begin(), bases.end());
  bases.erase(std::unique(bases.begin(), bases.end()), bases.end());
  response.set_person_id(person->person_id());
  events::v1::DisclosureRecorded record;
  record.set_kind(common::v1::DISCLOSURE_KIND_PERSON_RECORD);
  record.set_person_id(person->person_id());
  record.set_purpose(read.purpose);
  for (InformationCategory c : disclosed) {
    response.add_permitted(c);
    record.add_categories(c);
  }
  for (common::v1::LawfulBasis b : bases) record.add_lawful_bases(b);
  record.set_relationship(strongest);
  record.set_agreement_version(agreement_.version());
  record.set_agreement_hash(agreement_.hash());
  HUB_ASSIGN_OR_RETURN(Recorded recorded, RecordDisclosure(deps_.log, read.caller, read.now,
                                                           read.deadline, record));
  response.set_disclosure_id(recorded.id);
  response.set_disclosure_position(recorded.position);
  return absl::OkStatus();
}

// ---- ListLookups / GetDisclosureLog ----

grpc::Status ViewsService::ListLookups(grpc::ServerContext* context,
                                       const api::v1::ListLookupsRequest* request,
                                       api::v1::ListLookupsResponse* response) {
  return FinishCall(*context, PersonLogImpl(*context, request->header(), request->person_id(),
                                            true, "hub.api.v1.Views/ListLookups",
                                            response->mutable_lookups()));
}

grpc::Status ViewsService::GetDisclosureLog(grpc::ServerContext* context,
                                            const api::v1::GetDisclosureLogRequest* request,
                                            api::v1::GetDisclosureLogResponse* response) {
  return FinishCall(*context, PersonLogImpl(*context, request->header(), request->person_id(),
                                            false, "hub.api.v1.Views/GetDisclosureLog",
                                            response->mutable_entries()));
}

absl::Status ViewsService::PersonLogImpl(
    const grpc::ServerContextBase& context, const api::v1::ReadHeader& header,
    const std::string& person_id, bool lookups_only, std::string_view method,
    google::protobuf::RepeatedPtrField<views::v1::DisclosureEntry>* out) {
  HUB_ASSIGN_OR_RETURN(Read read, BeginRead(context, header, method, true));
  HUB_RETURN_IF_ERROR(CheckId("person_id", person_id));
  eventstore::KvStore& store = engine_.store();
  HUB_ASSIGN_OR_RETURN(std::optional<views::v1::PersonEntry> person,
                       projections::LoadPerson(store, person_id));
  if (!person) return absl::NotFoundError(absl::StrCat("person ", person_id, " is not known"));
  // The caller's strongest relationship to any of the person's cases decides, through the
  // agreement's disclosure-log category: the lead sees who looked; auditors per the agreement.
  Relationship relationship = common::v1::RELATIONSHIP_NONE;
  bool consent = true;
  bool override_recorded = false;
  for (const views::v1::PersonCase& c : person->cases()) {
    HUB_ASSIGN_OR_RETURN(std::optional<CaseFile> file, projections::LoadCaseFile(store, c.concern_id()));
    if (!file) continue;
    relationship = Stronger(relationship, RelationshipOf(*file, read.caller));
    consent = consent && file->consent_to_share();
    override_recorded = override_recorded || file->override_grounds_size() > 0;
  }
  const policy::Decision decision = agreement_.Evaluate(
      ViewerOf(read.caller), read.purpose, policy::CaseAccess{relationship, consent, override_recorded});
  if (!decision.Permits(common::v1::INFORMATION_CATEGORY_DISCLOSURE_LOG)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "the information sharing agreement does not let ", domain::Label(read.caller.agency_kind),
        " with relationship '", domain::Label(relationship), "' see this person's disclosure log"));
  }
  HUB_ASSIGN_OR_RETURN(auto entries, projections::ListDisclosures(
                                         store, {.person_id = person_id, .lookups_only = lookups_only}));
  events::v1::DisclosureRecorded record;
  record.set_kind(common::v1::DISCLOSURE_KIND_DISCLOSURE_LOG);
  record.set_person_id(person_id);
  record.set_purpose(read.purpose);
  record.add_categories(common::v1::INFORMATION_CATEGORY_DISCLOSURE_LOG);
  for (common::v1::LawfulBasis b : decision.lawful_bases) record.add_lawful_bases(b);
  record.set_relationship(relationship);
  record.set_consent_to_share(consent);
  record.set_agreement_version(agreement_.version());
  record.set_agreement_hash(agreement_.hash());
  HUB_RETURN_IF_ERROR(
      RecordDisclosure(deps_.log, read.caller, read.now, read.deadline, record).status());
  for (auto& entry : entries) *out->Add() = std::move(entry);
  return absl::OkStatus();
}

// ---- ExportSubjectAccess ----

grpc::Status ViewsService::ExportSubjectAccess(grpc::ServerContext* context,
                                               const api::v1::ExportSubjectAccessRequest* request,
                                               api::v1::ExportSubjectAccessResponse* response) {
  return FinishCall(*context, ExportSubjectAccessImpl(*context, *request, *response));
}

absl::Status ViewsService::ExportSubjectAccessImpl(
    const grpc::ServerContextBase& context, const api::v1::ExportSubjectAccessRequest& request,
    api::v1::ExportSubjectAccessResponse& response) {
  HUB_ASSIGN_OR_RETURN(Read read, BeginRead(context, request.header(),
                                            "hub.api.v1.Views/ExportSubjectAccess", true));
  if (read.purpose != common::v1::PURPOSE_SUBJECT_ACCESS) {
    return absl::InvalidArgumentError("header.purpose: must be PURPOSE_SUBJECT_ACCESS");
  }
  HUB_RETURN_IF_ERROR(CheckId("person_id", request.person_id()));
  eventstore::KvStore& store = engine_.store();
  HUB_ASSIGN_OR_RETURN(std::optional<views::v1::PersonEntry> person,
                       projections::LoadPerson(store, request.person_id()));
  if (!person) return UnknownCase(read, absl::StrCat("person ", request.person_id()), NotTheirs());
  // The adult's record is released by the authority that holds it: the lead of one of their
  // cases (checked per case below), or for an adult with no case, the host authority's MASH.
  if (person->cases().empty() &&
      !domain::access::StandingOf({}, read.caller.agency_id,
                                  deps_.partnership.host_asc_agency_ids())
           .connected()) {
    return NotTheirs();
  }
  *response.mutable_person() = *person;
  const policy::Viewer viewer = ViewerOf(read.caller);
  // Each case as the agreement lets the local authority release it to the adult (purpose
  // SUBJECT_ACCESS); items exempt under their owners' markings are counted, not shown.
  int exempt = 0;
  std::vector<InformationCategory> released;
  std::vector<common::v1::LawfulBasis> bases;
  for (const views::v1::PersonCase& c : person->cases()) {
    HUB_ASSIGN_OR_RETURN(std::optional<CaseFile> file, projections::LoadCaseFile(store, c.concern_id()));
    if (!file) continue;
    const Relationship relationship = RelationshipOf(*file, read.caller);
    const policy::Decision decision = agreement_.Evaluate(
        viewer, read.purpose, policy::CaseAccess{relationship, true, false});
    if (!decision.any()) {
      return absl::PermissionDeniedError(absl::StrCat(
          "the information sharing agreement does not let ", domain::Label(read.caller.agency_kind),
          " with relationship '", domain::Label(relationship),
          "' release concern ", c.concern_id(), " to the adult; the lead local authority answers"));
    }
    api::v1::CaseView& view = *response.add_cases();
    view.set_concern_id(file->concern_id());
    view.set_enquiry_id(file->enquiry_id());
    view.set_relationship(relationship);
    view.set_purpose(read.purpose);
    for (InformationCategory cat : decision.permitted) view.add_permitted(cat);
    for (InformationCategory cat : decision.withheld) view.add_withheld(cat);
    for (common::v1::LawfulBasis b : decision.lawful_bases) view.add_lawful_bases(b);
    view.set_agreement_version(agreement_.version());
    Redaction redaction;
    CopyPermitted(*file, &*person, deps_.partnership, decision, viewer, relationship, read.purpose,
                  view, redaction);
    exempt += redaction.withheld_by_marking;
    released.insert(released.end(), decision.permitted.begin(), decision.permitted.end());
    bases.insert(bases.end(), decision.lawful_bases.begin(), decision.lawful_bases.end());
  }
  std::sort(released.begin(), released.end());
  released.erase(std::unique(released.begin(), released.end()), released.end());
  std::sort(bases.begin(), bases.end());
  bases.erase(std::unique(bases.begin(), bases.end()), bases.end());
  HUB_ASSIGN_OR_RETURN(auto entries,
                       projections::ListDisclosures(store, {.person_id = request.person_id()}));
  for (auto& entry : entries) *response.add_disclosure_log() = std::move(entry);
  response.set_items_exempt(exempt);
  *response.mutable_produced_at() = domain::ToTimestamp(read.now);
  events::v1::DisclosureRecorded record;
  record.set_kind(common::v1::DISCLOSURE_KIND_SUBJECT_ACCESS_EXPORT);
  record.set_person_id(request.person_id());
  record.set_purpose(read.purpose);
  for (InformationCategory c : released) record.add_categories(c);
  for (common::v1::LawfulBasis b : bases) record.add_lawful_bases(b);
  record.set_agreement_version(agreement_.version());
  record.set_agreement_hash(agreement_.hash());
  record.set_items_withheld_by_marking(exempt);
  return RecordDisclosure(deps_.log, read.caller, read.now, read.deadline, record).status();
}

// ---- worklists ----

grpc::Status ViewsService::GetMashQueue(grpc::ServerContext* context,
                                        const api::v1::GetMashQueueRequest* request,
                                        api::v1::GetMashQueueResponse* response) {
  return FinishCall(*context, GetMashQueueImpl(*context, *request, *response));
}

absl::Status ViewsService::GetMashQueueImpl(const grpc::ServerContextBase& context,
                                            const api::v1::GetMashQueueRequest& request,
                                            api::v1::GetMashQueueResponse& response) {
  HUB_ASSIGN_OR_RETURN(Read read, BeginRead(context, request.header(),
                                            "hub.api.v1.Views/GetMashQueue", false));
  if (!IsAdultSocialCare(read.caller)) {
    return absl::PermissionDeniedError("the MASH queue is worked by adult social care");
  }
  HUB_ASSIGN_OR_RETURN(auto items, projections::ListMashQueue(engine_.store(), read.now));
  for (auto& item : items) *response.add_items() = std::move(item);
  return absl::OkStatus();
}

grpc::Status ViewsService::ListResearchRequests(grpc::ServerContext* context,
                                                const api::v1::ListResearchRequestsRequest* request,
                                                api::v1::ListResearchRequestsResponse* response) {
  return FinishCall(*context, ListResearchRequestsImpl(*context, *request, *response));
}

absl::Status ViewsService::ListResearchRequestsImpl(
    const grpc::ServerContextBase& context, const api::v1::ListResearchRequestsRequest& request,
    api::v1::ListResearchRequestsResponse& response) {
  HUB_ASSIGN_OR_RETURN(Read read, BeginRead(context, request.header(),
                                            "hub.api.v1.Views/ListResearchRequests", false));
  HUB_ASSIGN_OR_RETURN(auto items, projections::ListResearchRequests(
                                       engine_.store(), read.caller.agency_id, read.now));
  for (auto& item : items) *response.add_items() = std::move(item);
  return absl::OkStatus();
}

grpc::Status ViewsService::ListActions(grpc::ServerContext* context,
                                       const api::v1::ListActionsRequest* request,
                                       api::v1::ListActionsResponse* response) {
  return FinishCall(*context, ListActionsImpl(*context, *request, *response));
}

absl::Status ViewsService::ListActionsImpl(const grpc::ServerContextBase& context,
                                           const api::v1::ListActionsRequest& request,
                                           api::v1::ListActionsResponse& response) {
  HUB_ASSIGN_OR_RETURN(Read read, BeginRead(context, request.header(),
                                            "hub.api.v1.Views/ListActions", false));
  HUB_ASSIGN_OR_RETURN(auto items,
                       projections::ListActions(engine_.store(), read.caller.agency_id, read.now));
  for (auto& item : items) *response.add_items() = std::move(item);
  return absl::OkStatus();
}

grpc::Status ViewsService::ListAwaitingAdvocacy(grpc::ServerContext* context,
                                                const api::v1::ListAwaitingAdvocacyRequest* request,
                                                api::v1::ListAwaitingAdvocacyResponse* response) {
  return FinishCall(*context, ListAwaitingAdvocacyImpl(*context, *request, *response));
}

absl::Status ViewsService::ListAwaitingAdvocacyImpl(
    const grpc::ServerContextBase& context, const api::v1::ListAwaitingAdvocacyRequest& request,
    api::v1::ListAwaitingAdvocacyResponse& response) {
  HUB_ASSIGN_OR_RETURN(Read read, BeginRead(context, request.header(),
                                            "hub.api.v1.Views/ListAwaitingAdvocacy", false));
  const bool provider = read.caller.agency_kind == common::v1::AGENCY_KIND_ADVOCACY_PROVIDER;
  if (!IsAdultSocialCare(read.caller) && !provider) {
    return absl::PermissionDeniedError(
        "enquiries awaiting advocacy are for adult social care and advocacy providers");
  }
  HUB_ASSIGN_OR_RETURN(auto items, projections::ListAwaitingAdvocacy(engine_.store()));
  for (auto& item : items) {
    // A provider sees the referrals sent to it, not the local authority's whole list.
    if (provider && item.provider_agency_id() != read.caller.agency_id) continue;
    *response.add_items() = std::move(item);
  }
  return absl::OkStatus();
}

// ---- SAC ----

grpc::Status ViewsService::GetSafeguardingAdultsCollection(
    grpc::ServerContext* context, const api::v1::GetSafeguardingAdultsCollectionRequest* request,
    api::v1::GetSafeguardingAdultsCollectionResponse* response) {
  return FinishCall(*context, GetSacImpl(*context, *request, *response));
}

absl::Status ViewsService::GetSacImpl(
    const grpc::ServerContextBase& context,
    const api::v1::GetSafeguardingAdultsCollectionRequest& request,
    api::v1::GetSafeguardingAdultsCollectionResponse& response) {
  HUB_ASSIGN_OR_RETURN(Read read, BeginRead(context, request.header(),
                                            "hub.api.v1.Views/GetSafeguardingAdultsCollection",
                                            false));
  if (request.reporting_year() < 2015 || request.reporting_year() > 2100) {
    return absl::InvalidArgumentError(
        "reporting_year: the year the reporting period starts (2025 = 2025-26), 2015 or later");
  }
  HUB_RETURN_IF_ERROR(CheckShortText("local_authority_code", request.local_authority_code()));
  const config::v1::Partnership& config = deps_.partnership.config();
  const std::string la = request.local_authority_code().empty()
                             ? config.host_local_authority_code()
                             : request.local_authority_code();
  std::string la_name = config.name();
  for (const config::v1::Agency& agency : config.agencies()) {
    if (agency.kind() == common::v1::AGENCY_KIND_ADULT_SOCIAL_CARE &&
        agency.local_authority_code() == la) {
      la_name = agency.name();
    }
  }
  HUB_ASSIGN_OR_RETURN(std::vector<projections::SacRow> rows,
                       projections::ComputeSacReturn(engine_.store(), request.reporting_year(), la,
                                                     config.host_local_authority_code()));
  response.set_local_authority_code(la);
  response.set_local_authority_name(la_name);
  for (const projections::SacRow& row : rows) {
    api::v1::SacRow* out = response.add_rows();
    out->set_table_reference(row.table);
    out->set_enquiry_type(row.enquiry_type);
    out->set_category(row.category);
    out->set_subcategory(row.subcategory);
    out->set_value(row.value);
  }
  response.set_csv(projections::SacCsv(rows, la, la_name));
  return absl::OkStatus();
}

// ---- break-glass ----

grpc::Status ViewsService::RequestEmergencyAccess(
    grpc::ServerContext* context, const api::v1::RequestEmergencyAccessRequest* request,
    api::v1::RequestEmergencyAccessResponse* response) {
  return FinishCall(*context, RequestEmergencyAccessImpl(*context, *request, *response));
}

namespace {

void GrantToProto(const events::v1::EmergencyAccessGranted& granted, int64_t position,
                  bool replayed, api::v1::RequestEmergencyAccessResponse& response) {
  response.set_grant_id(granted.grant_id());
  *response.mutable_expires_at() = granted.expires_at();
  response.set_position(position);
  response.set_replayed(replayed);
}

// Validates the request into the domain command (INVALID_ARGUMENT naming the field).
absl::StatusOr<domain::access::RequestEmergencyAccess> EmergencyAccessFromProto(
    const domain::Caller& caller, const api::v1::RequestEmergencyAccessRequest& request,
    absl::Time now, absl::Duration max_duration) {
  domain::access::RequestEmergencyAccess command;
  int64_t no_version = -1;  // a grant does not change the case: no expected version
  HUB_ASSIGN_OR_RETURN(command.ctx, MakeCommandContext(caller, request.header(), now,
                                                       /*creates=*/true, &no_version));
  HUB_RETURN_IF_ERROR(CheckId("concern_id", request.concern_id()));
  HUB_RETURN_IF_ERROR(
      CheckText("reason", request.reason(), domain::access::kMaxReasonBytes, /*required=*/true));
  HUB_RETURN_IF_ERROR(domain::access::CheckEmergencyReason(request.reason()));
  HUB_RETURN_IF_ERROR(CheckEnum("purpose", request.purpose(), /*required=*/true));
  if (request.has_duration()) {
    const google::protobuf::Duration& d = request.duration();
    const absl::Duration asked = absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
    if (asked < absl::Seconds(1) || asked > max_duration) {
      return absl::InvalidArgumentError(absl::StrCat(
          "duration: at least 1 second and at most the hub's grant time (",
          absl::FormatDuration(max_duration), "); leave unset for it"));
    }
    command.duration = asked;
  }
  command.concern_id = request.concern_id();
  command.reason = request.reason();
  command.purpose = request.purpose();
  command.max_duration = max_duration;
  return command;
}

}  // namespace

domain::access::EmergencyAccessFacts ViewsService::EmergencyFacts(
    const std::optional<CaseFile>& file, const domain::Caller& caller, Purpose purpose) const {
  domain::access::EmergencyAccessFacts facts;
  if (!file) return facts;
  facts.case_known = true;
  facts.concern_id = file->concern_id();
  facts.person_id = file->person_id();
  facts.lead_agency_id = LeadAgencyOf(*file);
  facts.restricted_by_agency_id = file->access().restricted_by_agency_id();
  Read as_declared;
  as_declared.caller = caller;
  as_declared.purpose = purpose;
  facts.agreement_permits_caller = Decide(*file, as_declared, RelationshipOf(*file, caller)).any();
  return facts;
}

absl::Status ViewsService::RequestEmergencyAccessImpl(
    const grpc::ServerContextBase& context, const api::v1::RequestEmergencyAccessRequest& request,
    api::v1::RequestEmergencyAccessResponse& response) {
  HUB_ASSIGN_OR_RETURN(domain::Caller caller, deps_.authenticator.Authenticate(context));
  HUB_RETURN_IF_ERROR(AuthorizeCall(caller, "hub.api.v1.Views/RequestEmergencyAccess"));
  HUB_ASSIGN_OR_RETURN(domain::access::RequestEmergencyAccess command,
                       EmergencyAccessFromProto(caller, request, deps_.clock.Now(),
                                                options_.emergency_access_duration));
  // Waits are in real time, whatever the clock that stamps events says.
  const absl::Time deadline =
      std::min(DeadlineFromGrpc(context.deadline()), absl::Now() + kDefaultReadWait);
  // The case file as the log stood when the request came: a concern raised a moment ago is known.
  const int64_t head = deps_.log.GetHead().position.value();
  if (head >= 0 && !engine_.WaitFor(GlobalPosition(head), deadline, {kCaseFile})) {
    return absl::DeadlineExceededError("the views have not caught up with the log; try again");
  }
  CaseStore store(deps_.log);
  const std::string stream = domain::EmergencyAccessStream(command.concern_id);
  for (int attempt = 1;; ++attempt) {
    HUB_ASSIGN_OR_RETURN(LoadedStream loaded, store.Load(stream, deadline));
    // A retry gets the grant its first attempt recorded, however the case has moved since.
    if (std::optional<CommandOutcome> original = FindApplied(loaded, command.ctx.command_key)) {
      const events::v1::Event* event = FindAppliedEvent(loaded, command.ctx.command_key);
      GrantToProto(event->emergency_access_granted(), original->position.value(), true, response);
      return absl::OkStatus();
    }
    HUB_ASSIGN_OR_RETURN(std::optional<CaseFile> file,
                         projections::LoadCaseFile(engine_.store(), command.concern_id));
    domain::access::EmergencyAccessFacts facts = EmergencyFacts(file, caller, command.purpose);
    domain::access::FindActiveGrant(loaded.events, caller, command.ctx.now, facts);
    HUB_ASSIGN_OR_RETURN(events::v1::Event event, domain::access::Decide(facts, command));
    absl::StatusOr<CommandOutcome> appended = store.Append(
        stream,
        loaded.exists() ? eventstore::ExpectedVersion::Exact(loaded.version)
                        : eventstore::ExpectedVersion::NoStream(),
        {event}, command.ctx, deadline);
    // Another practitioner's grant landed first: decide again on the stream as it now is.
    if (absl::IsAborted(appended.status()) && attempt < kGrantAttempts) continue;
    HUB_RETURN_IF_ERROR(appended.status());
    // Let the case file and the notifications fold the grant, so that the practitioner's next
    // GetCase sees it without a min_position; if they are slow, the grant still stands.
    engine_.WaitFor(appended->position, deadline, {kCaseFile, kNotifications});
    GrantToProto(event.emergency_access_granted(), appended->position.value(), appended->replayed,
                 response);
    return absl::OkStatus();
  }
}

// ---- notifications ----

namespace {

absl::StatusOr<std::optional<int64_t>> AfterPosition(bool has, int64_t value) {
  if (!has) return std::optional<int64_t>();
  if (value < 0) {
    return absl::InvalidArgumentError(
        "after_position: must be >= 0 (leave it unset to start from the beginning)");
  }
  return std::optional<int64_t>(value);
}

}  // namespace

grpc::Status ViewsService::ListNotifications(grpc::ServerContext* context,
                                             const api::v1::ListNotificationsRequest* request,
                                             api::v1::ListNotificationsResponse* response) {
  return FinishCall(*context, ListNotificationsImpl(*context, *request, *response));
}

absl::Status ViewsService::ListNotificationsImpl(const grpc::ServerContextBase& context,
                                                 const api::v1::ListNotificationsRequest& request,
                                                 api::v1::ListNotificationsResponse& response) {
  HUB_ASSIGN_OR_RETURN(Read read, BeginRead(context, request.header(),
                                            "hub.api.v1.Views/ListNotifications", false,
                                            /*system_callers=*/true));
  HUB_ASSIGN_OR_RETURN(std::optional<int64_t> after,
                       AfterPosition(request.has_after_position(), request.after_position()));
  if (request.limit() < 0 || request.limit() > kMaxNotificationLimit) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit: 0 (default ", kDefaultNotificationLimit, ") to ",
                     kMaxNotificationLimit));
  }
  const int limit = request.limit() == 0 ? kDefaultNotificationLimit : request.limit();
  // Only the caller's own agency's notifications: the agency is the recipient, never a field.
  HUB_ASSIGN_OR_RETURN(auto items,
                       projections::ListNotifications(
                           engine_.store(), {read.caller.agency_id, after, limit + 1}));
  response.set_more(static_cast<int>(items.size()) > limit);
  if (response.more()) items.resize(limit);
  response.set_last_position(items.empty() ? after.value_or(-1) : items.back().position());
  for (auto& item : items) *response.add_notifications() = std::move(item);
  return absl::OkStatus();
}

grpc::Status ViewsService::WatchNotifications(
    grpc::ServerContext* context, const api::v1::WatchNotificationsRequest* request,
    grpc::ServerWriter<api::v1::WatchNotificationsResponse>* writer) {
  return FinishCall(*context, WatchNotificationsImpl(*context, *request, *writer));
}

absl::Status ViewsService::WatchNotificationsImpl(
    grpc::ServerContext& context, const api::v1::WatchNotificationsRequest& request,
    grpc::ServerWriterInterface<api::v1::WatchNotificationsResponse>& writer) {
  HUB_ASSIGN_OR_RETURN(Read read, BeginRead(context, request.header(),
                                            "hub.api.v1.Views/WatchNotifications", false,
                                            /*system_callers=*/true));
  HUB_ASSIGN_OR_RETURN(std::optional<int64_t> cursor,
                       AfterPosition(request.has_after_position(), request.after_position()));
  // A watch holds a server thread while it is open: bounded in all and per caller.
  const std::string watcher = absl::StrCat(read.caller.agency_id, "/", read.caller.user_id);
  {
    absl::MutexLock lock(&watches_mu_);
    int& mine = watches_by_caller_[watcher];
    if (open_watches_ >= options_.max_watches || mine >= options_.max_watches_per_caller) {
      if (mine == 0) watches_by_caller_.erase(watcher);
      return absl::ResourceExhaustedError(absl::StrCat(
          "too many notification watches open (at most ", options_.max_watches_per_caller,
          " per caller and ", options_.max_watches,
          " in all): close one, or use ListNotifications with after_position"));
    }
    ++mine;
    ++open_watches_;
  }
  absl::Cleanup release = [this, &watcher] {
    absl::MutexLock lock(&watches_mu_);
    --open_watches_;
    if (--watches_by_caller_[watcher] == 0) watches_by_caller_.erase(watcher);
  };
  const auto shutting_down = [] {
    return absl::UnavailableError(
        "server shutting down: reconnect and watch from the last position received");
  };
  eventstore::KvStore& store = engine_.store();
  bool caught_up = false;
  while (true) {
    if (context.IsCancelled()) return absl::CancelledError("the watch was cancelled");
    if (shutting_down_.load()) return shutting_down();
    // A watch outlives no token: it ends when the credentials that opened it do.
    if (absl::Now() >= read.caller.expires_at) {
      return absl::UnauthenticatedError(absl::StrCat(
          "the caller's credentials expired at ", absl::FormatTime(read.caller.expires_at),
          ": watch again with fresh ones from the last position received"));
    }
    // Read the checkpoint before the keys: everything folded before it is then in the list,
    // and the wait below starts exactly where the list may end.
    HUB_ASSIGN_OR_RETURN(int64_t folded, projections::ReadCheckpoint(store, kNotifications));
    HUB_ASSIGN_OR_RETURN(auto items,
                         projections::ListNotifications(
                             store, {read.caller.agency_id, cursor, kWatchBatch}));
    const bool full = static_cast<int>(items.size()) == kWatchBatch;
    if (!items.empty() || (!caught_up && !full)) {
      api::v1::WatchNotificationsResponse message;
      if (!items.empty()) cursor = items.back().position();
      message.set_last_position(cursor.value_or(-1));
      message.set_caught_up(!caught_up && !full);
      caught_up = caught_up || message.caught_up();
      for (auto& item : items) *message.add_notifications() = std::move(item);
      if (!writer.Write(message)) return absl::CancelledError("the watcher went away");
    }
    if (full) continue;  // more of the backlog to send
    // Wait for the next event to be folded, on the engine's condition; a bounded slice, so
    // that a cancelled call or a shutdown is noticed while nothing happens.
    engine_.WaitFor(GlobalPosition(folded), absl::Now() + options_.watch_poll, {kNotifications});
  }
}

// ---- ProjectionAdmin ----

grpc::Status ProjectionAdminService::GetProjectionStatus(
    grpc::ServerContext* context, const api::v1::GetProjectionStatusRequest* request,
    api::v1::GetProjectionStatusResponse* response) {
  absl::Status status = [&]() -> absl::Status {
    HUB_ASSIGN_OR_RETURN(domain::Caller caller, deps_.authenticator.Authenticate(*context));
    HUB_RETURN_IF_ERROR(AuthorizeCall(caller, "hub.api.v1.ProjectionAdmin/GetProjectionStatus"));
    for (const projections::ProjectionStatus& s : engine_.status()) {
      api::v1::ProjectionStatus* out = response->add_projections();
      out->set_name(s.name);
      out->set_position(s.position);
      out->set_head(s.head);
      out->set_lag(s.lag);
      out->set_rebuilding(s.rebuilding);
      out->set_rebuild_target(s.rebuild_target);
      out->set_events_folded(s.events_folded);
      out->set_events_skipped(s.events_skipped);
      out->set_error(s.error);
      out->set_events_quarantined(s.events_quarantined);
      out->set_unreadable_entries(s.unreadable_entries);
      for (const projections::QuarantinedEvent& q : s.quarantined) {
        api::v1::QuarantinedEvent* listed = out->add_quarantined();
        listed->set_position(q.position);
        listed->set_stream(q.stream);
        listed->set_type(q.type);
        listed->set_reason(q.reason);
      }
    }
    return absl::OkStatus();
  }();
  return FinishCall(*context, status);
}

grpc::Status ProjectionAdminService::RebuildProjection(
    grpc::ServerContext* context, const api::v1::RebuildProjectionRequest* request,
    api::v1::RebuildProjectionResponse* response) {
  absl::Status status = [&]() -> absl::Status {
    HUB_ASSIGN_OR_RETURN(domain::Caller caller, deps_.authenticator.Authenticate(*context));
    HUB_RETURN_IF_ERROR(CheckShortText("name", request->name(), true));
    HUB_RETURN_IF_ERROR(AuthorizeCall(caller, "hub.api.v1.ProjectionAdmin/RebuildProjection"));
    absl::Status rebuilt = engine_.Rebuild(request->name());
    if (absl::IsNotFound(rebuilt)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "name: no projection '", request->name(), "' (", absl::StrJoin(engine_.names(), ", "), ")"));
    }
    return rebuilt;
  }();
  return FinishCall(*context, status);
}

// ---- wiring helpers ----

std::vector<std::unique_ptr<projections::Projection>> HubProjections() {
  std::vector<std::unique_ptr<projections::Projection>> out;
  out.push_back(std::make_unique<projections::CaseFileProjection>());
  out.push_back(std::make_unique<projections::PersonIndexProjection>());
  out.push_back(std::make_unique<projections::WorklistsProjection>());
  out.push_back(std::make_unique<projections::SacProjection>());
  out.push_back(std::make_unique<projections::DisclosureLogProjection>());
  out.push_back(std::make_unique<projections::NotificationsProjection>());
  return out;
}

absl::StatusOr<bool> RecordAgreementInForce(eventstore::EventLog& log,
                                            const policy::Agreement& agreement,
                                            const std::string& loaded_from, const std::string& host,
                                            absl::Time now) {
  eventstore::ReadStreamOptions options;
  options.from = StreamVersion(-1);
  options.direction = eventstore::Direction::kBackward;
  options.limit = 1;
  HUB_ASSIGN_OR_RETURN(eventstore::ReadStreamResult last, log.ReadStream(domain::kAgreementStream, options));
  if (!last.events.empty()) {
    events::v1::Event previous;
    if (previous.ParseFromString(last.events[0].payload) &&
        previous.agreement_took_effect().hash() == agreement.hash()) {
      return false;
    }
  }
  domain::CommandContext ctx;
  ctx.caller.agency_id = "hub";
  ctx.caller.user_id = absl::StrCat("hubd@", host);
  ctx.now = now;
  events::v1::Event event = domain::NewEvent(ctx);
  events::v1::AgreementTookEffect* took = event.mutable_agreement_took_effect();
  took->set_version(agreement.version());
  took->set_hash(agreement.hash());
  took->set_title(agreement.config().title());
  took->set_loaded_from(loaded_from);
  took->set_host(host);
  eventstore::AppendRequest append;
  append.stream = domain::kAgreementStream;
  // Two hubd starting together record the change once: the second sees a moved stream.
  append.expected = last.last_version == kNoStreamVersion
                        ? eventstore::ExpectedVersion::NoStream()
                        : eventstore::ExpectedVersion::Exact(last.last_version);
  append.events.push_back(EncodeEvent(event));
  absl::StatusOr<eventstore::AppendResult> appended = log.Append(std::move(append));
  if (absl::IsAborted(appended.status())) return false;
  HUB_RETURN_IF_ERROR(appended.status());
  return true;
}

}  // namespace hub::services
