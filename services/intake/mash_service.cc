#include "services/intake/mash_service.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status_macros.h"
#include "domain/common/refusal.h"
#include "domain/common/streams.h"
#include "domain/enquiry/enquiry.h"
#include "domain/intake/concern.h"
#include "hub/views/v1/case_file.pb.h"
#include "policy/agreement.h"
#include "app/case_standing.h"
#include "app/command_request.h"
#include "app/command_rules.h"
#include "services/common/deadline.h"
#include "services/common/grpc_status.h"
#include "services/intake/translate.h"

namespace hub::services {

using app::CaseStore;
using app::LoadedStream;
using app::CommandOutcome;
using app::FindApplied;
using app::FindAppliedEvent;
using app::RunCommand;
using app::ToProto;
using app::AuthorizeCall;
using app::AuthorizeOnCase;
using app::LoadCaseParties;
using app::StandingOnCase;
using app::DeriveId;
namespace {

using events::v1::Event;

constexpr char kTriageConcern[] = "hub.api.v1.Mash/TriageConcern";
constexpr char kRequestResearch[] = "hub.api.v1.Mash/RequestResearch";
constexpr char kAnswerResearch[] = "hub.api.v1.Mash/AnswerResearch";
constexpr char kRecordThresholdDecision[] = "hub.api.v1.Mash/RecordThresholdDecision";
constexpr char kRecordReferrerFeedback[] = "hub.api.v1.Mash/RecordReferrerFeedback";
constexpr char kRecordSharingConsent[] = "hub.api.v1.Mash/RecordSharingConsent";
constexpr char kRestrictCase[] = "hub.api.v1.Mash/RestrictCase";
constexpr char kLiftCaseRestriction[] = "hub.api.v1.Mash/LiftCaseRestriction";

// A command applied to a concern stream: where it left the stream and the last event it
// wrote (read back from the stream when the command was a retry).
struct Applied {
  CommandOutcome outcome;
  Event event;
};

// The step every concern command takes before deciding: how the caller's agency stands to the
// case, checked against the rule for `method` (command_rules.cc).
auto OnConcern(CaseStore& store, const domain::Caller& caller, std::string_view method,
                      const config::Partnership& partnership, absl::Time deadline) {
  return [&store, &caller, method, &partnership, deadline](const LoadedStream& loaded) -> absl::Status {
    absl::StatusOr<domain::access::CaseStanding> standing = StandingOnCase(
        store, loaded, caller.agency_id, partnership.host_asc_agency_ids(), deadline);
    if (!standing.ok()) return standing.status();
    return AuthorizeOnCase(caller, method, *standing, "concern_id");
  };
}

// Load -> replay check -> who may act -> expected version -> domain::intake::Decide -> append,
// on the concern named by `in`.
template <typename Command>
absl::StatusOr<Applied> RunOnConcern(CaseStore& store, const domain::Caller& caller,
                                     std::string_view method, const config::Partnership& partnership,
                                     const IntakeStreamCommand<Command>& in, absl::Time deadline) {
  Applied applied;
  HUB_ASSIGN_OR_RETURN(
      applied.outcome,
      RunCommand(store, domain::ConcernStream(in.id), "concern_id", "concern", in.expected_version,
                 in.command.ctx, deadline, OnConcern(store, caller, method, partnership, deadline),
                 [&](const LoadedStream& stream) -> absl::StatusOr<std::vector<Event>> {
                   HUB_ASSIGN_OR_RETURN(
                       std::vector<Event> events,
                       domain::intake::Decide(domain::intake::Fold(stream.events), in.command));
                   if (!events.empty()) applied.event = events.back();
                   return events;
                 }));
  if (applied.outcome.replayed) {
    HUB_ASSIGN_OR_RETURN(LoadedStream stream, store.Load(applied.outcome.stream, deadline));
    if (const Event* event = FindAppliedEvent(stream, in.command.ctx.command_key))
      applied.event = *event;
  }
  return applied;
}

// Writes the EnquiryOpened event to its new stream, or finds it written by this command.
absl::StatusOr<CommandOutcome> OpenEnquiry(CaseStore& store, const Event& opened,
                                           const domain::CommandContext& ctx, absl::Time deadline) {
  const std::string stream = domain::EnquiryStream(opened.enquiry_opened().enquiry_id());
  HUB_ASSIGN_OR_RETURN(LoadedStream existing, store.Load(stream, deadline));
  if (std::optional<CommandOutcome> original = FindApplied(existing, ctx.command_key)) {
    return *original;
  }
  absl::StatusOr<CommandOutcome> appended =
      store.Append(stream, eventstore::ExpectedVersion::NoStream(), {opened}, ctx, deadline);
  if (appended.status().code() == absl::StatusCode::kAborted) {
    // The same command, retried while the original was in flight, opened it first.
    HUB_ASSIGN_OR_RETURN(LoadedStream written, store.Load(stream, deadline));
    if (std::optional<CommandOutcome> original = FindApplied(written, ctx.command_key)) {
      return *original;
    }
  }
  return appended;
}

// The case's parties in the form the agreement's relationship rule reads them.
views::v1::CaseParties ToViewParties(const domain::access::CaseParties& from) {
  views::v1::CaseParties parties;
  parties.set_raised_by_agency_id(from.raised_by_agency_id);
  parties.set_mash_agency_id(from.mash_agency_id);
  parties.set_lead_agency_id(from.lead_agency_id);
  parties.set_responsible_agency_id(from.responsible_agency_id);
  std::vector<std::string> involved = from.action_owner_agency_ids;
  involved.insert(involved.end(), from.advocacy_provider_agency_ids.begin(),
                  from.advocacy_provider_agency_ids.end());
  std::sort(involved.begin(), involved.end());
  involved.erase(std::unique(involved.begin(), involved.end()), involved.end());
  std::vector<std::string> research = from.research_agency_ids;
  std::sort(research.begin(), research.end());
  for (const std::string& id : research) parties.add_research_agency_ids(id);
  for (const std::string& id : involved) parties.add_involved_agency_ids(id);
  return parties;
}

}  // namespace

MashService::MashService(const ServiceDeps& deps)
    : deps_(deps),
      store_(deps.log),
      calendar_(deps.partnership.config().calendar(), deps.partnership.time_zone()) {}

grpc::Status MashService::TriageConcern(grpc::ServerContext* context,
                                        const api::v1::TriageConcernRequest* request,
                                        api::v1::TriageConcernResponse* response) {
  return FinishCall(*context, TriageConcernImpl(*context, *request, *response));
}

grpc::Status MashService::RequestResearch(grpc::ServerContext* context,
                                          const api::v1::RequestResearchRequest* request,
                                          api::v1::RequestResearchResponse* response) {
  return FinishCall(*context, RequestResearchImpl(*context, *request, *response));
}

grpc::Status MashService::AnswerResearch(grpc::ServerContext* context,
                                         const api::v1::AnswerResearchRequest* request,
                                         api::v1::AnswerResearchResponse* response) {
  return FinishCall(*context, AnswerResearchImpl(*context, *request, *response));
}

grpc::Status MashService::RecordThresholdDecision(
    grpc::ServerContext* context, const api::v1::RecordThresholdDecisionRequest* request,
    api::v1::RecordThresholdDecisionResponse* response) {
  return FinishCall(*context, RecordThresholdDecisionImpl(*context, *request, *response));
}

grpc::Status MashService::RecordSharingConsent(
    grpc::ServerContext* context, const api::v1::RecordSharingConsentRequest* request,
    api::v1::RecordSharingConsentResponse* response) {
  return FinishCall(*context, RecordSharingConsentImpl(*context, *request, *response));
}

grpc::Status MashService::RecordReferrerFeedback(
    grpc::ServerContext* context, const api::v1::RecordReferrerFeedbackRequest* request,
    api::v1::RecordReferrerFeedbackResponse* response) {
  return FinishCall(*context, RecordReferrerFeedbackImpl(*context, *request, *response));
}

absl::Status MashService::TriageConcernImpl(const grpc::ServerContextBase& context,
                                            const api::v1::TriageConcernRequest& request,
                                            api::v1::TriageConcernResponse& response) {
  HUB_ASSIGN_OR_RETURN(domain::Caller caller, deps_.authenticator.Authenticate(context));
  HUB_RETURN_IF_ERROR(AuthorizeCall(caller, kTriageConcern));
  HUB_ASSIGN_OR_RETURN(auto in, TriageConcernFromProto(caller, request, deps_.clock.Now()));
  in.command.timescales = deps_.partnership.config().timescales();
  in.command.calendar = calendar_;
  HUB_ASSIGN_OR_RETURN(Applied applied,
                       RunOnConcern(store_, caller, kTriageConcern, deps_.partnership, in, DeadlineFromGrpc(context.deadline())));
  ToProto(applied.outcome, response.mutable_result());
  *response.mutable_decision_due_at() = applied.event.concern_triaged().decision_due_at();
  return absl::OkStatus();
}

absl::Status MashService::RequestResearchImpl(const grpc::ServerContextBase& context,
                                              const api::v1::RequestResearchRequest& request,
                                              api::v1::RequestResearchResponse& response) {
  HUB_ASSIGN_OR_RETURN(domain::Caller caller, deps_.authenticator.Authenticate(context));
  HUB_RETURN_IF_ERROR(AuthorizeCall(caller, kRequestResearch));
  HUB_ASSIGN_OR_RETURN(auto in, RequestResearchFromProto(caller, request, deps_.clock.Now()));
  const config::v1::Agency* agency = deps_.partnership.FindAgency(in.command.agency_id);
  if (agency == nullptr) return domain::UnknownItem("agency_id", "not a participating agency");
  in.command.agency_kind = agency->kind();
  HUB_ASSIGN_OR_RETURN(Applied applied,
                       RunOnConcern(store_, caller, kRequestResearch, deps_.partnership, in, DeadlineFromGrpc(context.deadline())));
  ToProto(applied.outcome, response.mutable_result());
  response.set_request_id(applied.event.research_requested().request_id());
  *response.mutable_due_at() = applied.event.research_requested().due_at();
  return absl::OkStatus();
}

absl::Status MashService::AnswerResearchImpl(const grpc::ServerContextBase& context,
                                             const api::v1::AnswerResearchRequest& request,
                                             api::v1::AnswerResearchResponse& response) {
  HUB_ASSIGN_OR_RETURN(domain::Caller caller, deps_.authenticator.Authenticate(context));
  HUB_RETURN_IF_ERROR(AuthorizeCall(caller, kAnswerResearch));
  HUB_ASSIGN_OR_RETURN(auto in, AnswerResearchFromProto(caller, request, deps_.clock.Now()));
  HUB_ASSIGN_OR_RETURN(Applied applied,
                       RunOnConcern(store_, caller, kAnswerResearch, deps_.partnership, in, DeadlineFromGrpc(context.deadline())));
  ToProto(applied.outcome, response.mutable_result());
  return absl::OkStatus();
}

absl::Status MashService::RecordThresholdDecisionImpl(
    const grpc::ServerContextBase& context, const api::v1::RecordThresholdDecisionRequest& request,
    api::v1::RecordThresholdDecisionResponse& response) {
  HUB_ASSIGN_OR_RETURN(domain::Caller caller, deps_.authenticator.Authenticate(context));
  HUB_RETURN_IF_ERROR(AuthorizeCall(caller, kRecordThresholdDecision));
  HUB_ASSIGN_OR_RETURN(auto in,
                       RecordThresholdDecisionFromProto(caller, request, deps_.clock.Now()));
  const absl::Time deadline = DeadlineFromGrpc(context.deadline());
  const domain::CommandContext& ctx = in.command.ctx;
  in.command.enquiry_id = DeriveId(ctx.command_key, "enquiry");
  std::optional<Event> opened;
  HUB_ASSIGN_OR_RETURN(
      CommandOutcome outcome,
      RunCommand(
          store_, domain::ConcernStream(in.id), "concern_id", "concern", in.expected_version, ctx,
          deadline,
          OnConcern(store_, caller, kRecordThresholdDecision, deps_.partnership, deadline),
          [&](const LoadedStream& stream) -> absl::StatusOr<std::vector<Event>> {
            HUB_ASSIGN_OR_RETURN(
                domain::intake::ThresholdDecisionEvents decided,
                domain::intake::DecideThreshold(domain::intake::Fold(stream.events), in.command));
            opened = std::move(decided.enquiry_opened);
            return std::move(decided.concern_events);
          }));
  ToProto(outcome, response.mutable_result());
  if (outcome.replayed) {
    // A retry: the enquiry this decision opened (if any) is rebuilt from the concern stream,
    // in case the original stopped between the two appends.
    HUB_ASSIGN_OR_RETURN(LoadedStream stream, store_.Load(outcome.stream, deadline));
    const domain::intake::ConcernState state = domain::intake::Fold(stream.events);
    opened = state.enquiry_id == in.command.enquiry_id
                 ? domain::intake::EnquiryOpenedFor(state, ctx)
                 : std::nullopt;
  }
  if (!opened.has_value()) return absl::OkStatus();
  HUB_ASSIGN_OR_RETURN(CommandOutcome enquiry, OpenEnquiry(store_, *opened, ctx, deadline));
  response.set_enquiry_id(opened->enquiry_opened().enquiry_id());
  ToProto(enquiry, response.mutable_enquiry_result());
  return absl::OkStatus();
}

absl::Status MashService::RecordReferrerFeedbackImpl(
    const grpc::ServerContextBase& context, const api::v1::RecordReferrerFeedbackRequest& request,
    api::v1::RecordReferrerFeedbackResponse& response) {
  HUB_ASSIGN_OR_RETURN(domain::Caller caller, deps_.authenticator.Authenticate(context));
  HUB_RETURN_IF_ERROR(AuthorizeCall(caller, kRecordReferrerFeedback));
  HUB_ASSIGN_OR_RETURN(auto in,
                       RecordReferrerFeedbackFromProto(caller, request, deps_.clock.Now()));
  HUB_ASSIGN_OR_RETURN(Applied applied,
                       RunOnConcern(store_, caller, kRecordReferrerFeedback, deps_.partnership, in, DeadlineFromGrpc(context.deadline())));
  ToProto(applied.outcome, response.mutable_result());
  return absl::OkStatus();
}

absl::Status MashService::RecordSharingConsentImpl(
    const grpc::ServerContextBase& context, const api::v1::RecordSharingConsentRequest& request,
    api::v1::RecordSharingConsentResponse& response) {
  HUB_ASSIGN_OR_RETURN(domain::Caller caller, deps_.authenticator.Authenticate(context));
  HUB_RETURN_IF_ERROR(AuthorizeCall(caller, kRecordSharingConsent));
  HUB_ASSIGN_OR_RETURN(auto in, RecordSharingConsentFromProto(caller, request, deps_.clock.Now()));
  HUB_ASSIGN_OR_RETURN(Applied applied,
                       RunOnConcern(store_, caller, kRecordSharingConsent, deps_.partnership, in, DeadlineFromGrpc(context.deadline())));
  ToProto(applied.outcome, response.mutable_result());
  return absl::OkStatus();
}

grpc::Status MashService::RestrictCase(grpc::ServerContext* context,
                                       const api::v1::RestrictCaseRequest* request,
                                       api::v1::RestrictCaseResponse* response) {
  return FinishCall(*context, RestrictCaseImpl(*context, *request, *response));
}

grpc::Status MashService::LiftCaseRestriction(grpc::ServerContext* context,
                                              const api::v1::LiftCaseRestrictionRequest* request,
                                              api::v1::LiftCaseRestrictionResponse* response) {
  return FinishCall(*context, LiftCaseRestrictionImpl(*context, *request, *response));
}

absl::Status MashService::RestrictCaseImpl(const grpc::ServerContextBase& context,
                                           const api::v1::RestrictCaseRequest& request,
                                           api::v1::RestrictCaseResponse& response) {
  HUB_ASSIGN_OR_RETURN(domain::Caller caller, deps_.authenticator.Authenticate(context));
  HUB_RETURN_IF_ERROR(AuthorizeCall(caller, kRestrictCase));
  HUB_ASSIGN_OR_RETURN(auto in, RestrictCaseFromProto(caller, request, deps_.clock.Now()));
  const absl::Time deadline = DeadlineFromGrpc(context.deadline());
  HUB_ASSIGN_OR_RETURN(
      CommandOutcome outcome,
      RunCommand(store_, domain::ConcernStream(in.id), "concern_id", "concern",
                 in.expected_version, in.command.ctx, deadline,
                 OnConcern(store_, caller, kRestrictCase, deps_.partnership, deadline),
                 [&](const LoadedStream& stream) -> absl::StatusOr<std::vector<Event>> {
                   HUB_ASSIGN_OR_RETURN(domain::access::CaseParties parties,
                                        LoadCaseParties(store_, stream, deadline));
                   domain::intake::RestrictCase command = in.command;
                   // The domain checks the relationship again, as the agreement names it.
                   command.relationship =
                       policy::RelationshipTo(ToViewParties(parties), caller.agency_id,
                                              deps_.partnership.host_asc_agency_ids());
                   return domain::intake::Decide(domain::intake::Fold(stream.events), command);
                 }));
  ToProto(outcome, response.mutable_result());
  return absl::OkStatus();
}

absl::Status MashService::LiftCaseRestrictionImpl(
    const grpc::ServerContextBase& context, const api::v1::LiftCaseRestrictionRequest& request,
    api::v1::LiftCaseRestrictionResponse& response) {
  HUB_ASSIGN_OR_RETURN(domain::Caller caller, deps_.authenticator.Authenticate(context));
  HUB_RETURN_IF_ERROR(AuthorizeCall(caller, kLiftCaseRestriction));
  HUB_ASSIGN_OR_RETURN(auto in, LiftCaseRestrictionFromProto(caller, request, deps_.clock.Now()));
  HUB_ASSIGN_OR_RETURN(Applied applied,
                       RunOnConcern(store_, caller, kLiftCaseRestriction, deps_.partnership, in, DeadlineFromGrpc(context.deadline())));
  ToProto(applied.outcome, response.mutable_result());
  return absl::OkStatus();
}

}  // namespace hub::services
