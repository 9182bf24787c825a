#include "services/enquiry/advocacy_service.h"

#include "base/status_macros.h"
#include "domain/common/streams.h"
#include "domain/enquiry/advocacy.h"
#include "app/command_request.h"
#include "app/command_rules.h"
#include "services/common/deadline.h"
#include "services/common/grpc_status.h"
#include "services/enquiry/enquiry_command.h"
#include "services/enquiry/translate.h"

namespace hub::services {

using app::LoadedStream;
using app::ToProto;
using app::AuthorizeCall;
using app::AuthorizeOnCase;
using app::StandingOnCase;
using app::CheckId;

AdvocacyService::AdvocacyService(const ServiceDeps& deps) : deps_(deps), store_(deps.log) {}

// ---- hub::api::v1::Advocacy::Service ----

grpc::Status AdvocacyService::AssessSubstantialDifficulty(
    grpc::ServerContext* context, const api::v1::AssessSubstantialDifficultyRequest* request,
    api::v1::AdvocacyResponse* response) {
  return FinishCall(*context, AssessSubstantialDifficultyImpl(*context, *request, *response));
}

grpc::Status AdvocacyService::AssessAppropriateIndividual(
    grpc::ServerContext* context, const api::v1::AssessAppropriateIndividualRequest* request,
    api::v1::AdvocacyResponse* response) {
  return FinishCall(*context, AssessAppropriateIndividualImpl(*context, *request, *response));
}

grpc::Status AdvocacyService::RecordAdvocacyExceptions(
    grpc::ServerContext* context, const api::v1::RecordAdvocacyExceptionsRequest* request,
    api::v1::AdvocacyResponse* response) {
  return FinishCall(*context, RecordAdvocacyExceptionsImpl(*context, *request, *response));
}

grpc::Status AdvocacyService::ReferForAdvocacy(grpc::ServerContext* context,
                                               const api::v1::ReferForAdvocacyRequest* request,
                                               api::v1::ReferForAdvocacyResponse* response) {
  return FinishCall(*context, ReferForAdvocacyImpl(*context, *request, *response));
}

grpc::Status AdvocacyService::AcceptAdvocacyReferral(
    grpc::ServerContext* context, const api::v1::AcceptAdvocacyReferralRequest* request,
    api::v1::AdvocacyResponse* response) {
  return FinishCall(*context, AcceptAdvocacyReferralImpl(*context, *request, *response));
}

grpc::Status AdvocacyService::DeclineAdvocacyReferral(
    grpc::ServerContext* context, const api::v1::DeclineAdvocacyReferralRequest* request,
    api::v1::AdvocacyResponse* response) {
  return FinishCall(*context, DeclineAdvocacyReferralImpl(*context, *request, *response));
}

grpc::Status AdvocacyService::AllocateAdvocate(grpc::ServerContext* context,
                                               const api::v1::AllocateAdvocateRequest* request,
                                               api::v1::AdvocacyResponse* response) {
  return FinishCall(*context, AllocateAdvocateImpl(*context, *request, *response));
}

grpc::Status AdvocacyService::RecordAdvocateViews(
    grpc::ServerContext* context, const api::v1::RecordAdvocateViewsRequest* request,
    api::v1::AdvocacyResponse* response) {
  return FinishCall(*context, RecordAdvocateViewsImpl(*context, *request, *response));
}

grpc::Status AdvocacyService::GetAdvocacyDuty(grpc::ServerContext* context,
                                              const api::v1::GetAdvocacyDutyRequest* request,
                                              api::v1::GetAdvocacyDutyResponse* response) {
  return FinishCall(*context, GetAdvocacyDutyImpl(*context, *request, *response));
}

// ---- Handlers: each answers with the duty as the command left it (for a retry, as the
// original command left it). ----

absl::Status AdvocacyService::AssessSubstantialDifficultyImpl(
    const grpc::ServerContextBase& context,
    const api::v1::AssessSubstantialDifficultyRequest& request,
    api::v1::AdvocacyResponse& response) {
  HUB_ASSIGN_OR_RETURN(EnquiryCommandRun run,
                       RunEnquiryCommand(deps_, store_, context,
                                         "hub.api.v1.Advocacy/AssessSubstantialDifficulty", request,
                                         /*want_state=*/true));
  ToProto(run.outcome, response.mutable_result());
  ToProto(domain::enquiry::ComputeAdvocacyDuty(run.state), response.mutable_duty());
  return absl::OkStatus();
}

absl::Status AdvocacyService::AssessAppropriateIndividualImpl(
    const grpc::ServerContextBase& context,
    const api::v1::AssessAppropriateIndividualRequest& request,
    api::v1::AdvocacyResponse& response) {
  HUB_ASSIGN_OR_RETURN(EnquiryCommandRun run,
                       RunEnquiryCommand(deps_, store_, context,
                                         "hub.api.v1.Advocacy/AssessAppropriateIndividual", request,
                                         /*want_state=*/true));
  ToProto(run.outcome, response.mutable_result());
  ToProto(domain::enquiry::ComputeAdvocacyDuty(run.state), response.mutable_duty());
  return absl::OkStatus();
}

absl::Status AdvocacyService::RecordAdvocacyExceptionsImpl(
    const grpc::ServerContextBase& context, const api::v1::RecordAdvocacyExceptionsRequest& request,
    api::v1::AdvocacyResponse& response) {
  HUB_ASSIGN_OR_RETURN(EnquiryCommandRun run,
                       RunEnquiryCommand(deps_, store_, context,
                                         "hub.api.v1.Advocacy/RecordAdvocacyExceptions", request,
                                         /*want_state=*/true));
  ToProto(run.outcome, response.mutable_result());
  ToProto(domain::enquiry::ComputeAdvocacyDuty(run.state), response.mutable_duty());
  return absl::OkStatus();
}

absl::Status AdvocacyService::ReferForAdvocacyImpl(const grpc::ServerContextBase& context,
                                                   const api::v1::ReferForAdvocacyRequest& request,
                                                   api::v1::ReferForAdvocacyResponse& response) {
  HUB_ASSIGN_OR_RETURN(
      EnquiryCommandRun run,
      RunEnquiryCommand(deps_, store_, context, "hub.api.v1.Advocacy/ReferForAdvocacy", request,
                        /*want_state=*/true));
  ToProto(run.outcome, response.mutable_result());
  response.set_referral_id(run.new_id);
  ToProto(domain::enquiry::ComputeAdvocacyDuty(run.state), response.mutable_duty());
  return absl::OkStatus();
}

absl::Status AdvocacyService::AcceptAdvocacyReferralImpl(
    const grpc::ServerContextBase& context, const api::v1::AcceptAdvocacyReferralRequest& request,
    api::v1::AdvocacyResponse& response) {
  HUB_ASSIGN_OR_RETURN(EnquiryCommandRun run,
                       RunEnquiryCommand(deps_, store_, context,
                                         "hub.api.v1.Advocacy/AcceptAdvocacyReferral", request,
                                         /*want_state=*/true));
  ToProto(run.outcome, response.mutable_result());
  ToProto(domain::enquiry::ComputeAdvocacyDuty(run.state), response.mutable_duty());
  return absl::OkStatus();
}

absl::Status AdvocacyService::DeclineAdvocacyReferralImpl(
    const grpc::ServerContextBase& context, const api::v1::DeclineAdvocacyReferralRequest& request,
    api::v1::AdvocacyResponse& response) {
  HUB_ASSIGN_OR_RETURN(EnquiryCommandRun run,
                       RunEnquiryCommand(deps_, store_, context,
                                         "hub.api.v1.Advocacy/DeclineAdvocacyReferral", request,
                                         /*want_state=*/true));
  ToProto(run.outcome, response.mutable_result());
  ToProto(domain::enquiry::ComputeAdvocacyDuty(run.state), response.mutable_duty());
  return absl::OkStatus();
}

absl::Status AdvocacyService::AllocateAdvocateImpl(const grpc::ServerContextBase& context,
                                                   const api::v1::AllocateAdvocateRequest& request,
                                                   api::v1::AdvocacyResponse& response) {
  HUB_ASSIGN_OR_RETURN(
      EnquiryCommandRun run,
      RunEnquiryCommand(deps_, store_, context, "hub.api.v1.Advocacy/AllocateAdvocate", request,
                        /*want_state=*/true));
  ToProto(run.outcome, response.mutable_result());
  ToProto(domain::enquiry::ComputeAdvocacyDuty(run.state), response.mutable_duty());
  return absl::OkStatus();
}

absl::Status AdvocacyService::RecordAdvocateViewsImpl(
    const grpc::ServerContextBase& context, const api::v1::RecordAdvocateViewsRequest& request,
    api::v1::AdvocacyResponse& response) {
  HUB_ASSIGN_OR_RETURN(
      EnquiryCommandRun run,
      RunEnquiryCommand(deps_, store_, context, "hub.api.v1.Advocacy/RecordAdvocateViews", request,
                        /*want_state=*/true));
  ToProto(run.outcome, response.mutable_result());
  ToProto(domain::enquiry::ComputeAdvocacyDuty(run.state), response.mutable_duty());
  return absl::OkStatus();
}

absl::Status AdvocacyService::GetAdvocacyDutyImpl(const grpc::ServerContextBase& context,
                                                  const api::v1::GetAdvocacyDutyRequest& request,
                                                  api::v1::GetAdvocacyDutyResponse& response) {
  constexpr char kMethod[] = "hub.api.v1.Advocacy/GetAdvocacyDuty";
  HUB_ASSIGN_OR_RETURN(domain::Caller caller, deps_.authenticator.Authenticate(context));
  HUB_RETURN_IF_ERROR(AuthorizeCall(caller, kMethod));
  HUB_RETURN_IF_ERROR(CheckId("enquiry_id", request.enquiry_id()));
  const absl::Time deadline = DeadlineFromGrpc(context.deadline());
  HUB_ASSIGN_OR_RETURN(LoadedStream stream,
                       store_.Load(domain::EnquiryStream(request.enquiry_id()), deadline));
  HUB_ASSIGN_OR_RETURN(domain::access::CaseStanding standing,
                       StandingOnCase(store_, stream, caller.agency_id,
                                      deps_.partnership.host_asc_agency_ids(), deadline));
  HUB_RETURN_IF_ERROR(AuthorizeOnCase(caller, kMethod, standing, "enquiry_id"));
  const domain::enquiry::EnquiryState state = domain::enquiry::Fold(stream.events);
  if (!state.opened) return absl::NotFoundError("enquiry_id: no such enquiry");
  // Read by those on the case: the lead, the local authority responsible, a referred provider.
  HUB_RETURN_IF_ERROR(domain::enquiry::CheckMayReadAdvocacy(state, caller));
  ToProto(domain::enquiry::ComputeAdvocacyDuty(state), response.mutable_duty());
  response.set_version(stream.version.value());
  return absl::OkStatus();
}

}  // namespace hub::services
