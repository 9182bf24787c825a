#include "services/enquiry/enquiry_service.h"

#include "base/status_macros.h"
#include "domain/common/context.h"
#include "services/common/grpc_status.h"
#include "services/enquiry/enquiry_command.h"

namespace hub::services {

EnquiryService::EnquiryService(const ServiceDeps& deps) : deps_(deps), store_(deps.log) {}

// ---- hub::api::v1::Enquiry::Service ----

grpc::Status EnquiryService::AssignLead(grpc::ServerContext* context,
                                        const api::v1::AssignLeadRequest* request,
                                        api::v1::AssignLeadResponse* response) {
  return FinishCall(*context, AssignLeadImpl(*context, *request, *response));
}

grpc::Status EnquiryService::RecordStrategyDiscussion(
    grpc::ServerContext* context, const api::v1::RecordStrategyDiscussionRequest* request,
    api::v1::RecordStrategyDiscussionResponse* response) {
  return FinishCall(*context, RecordStrategyDiscussionImpl(*context, *request, *response));
}

grpc::Status EnquiryService::CompleteAction(grpc::ServerContext* context,
                                            const api::v1::CompleteActionRequest* request,
                                            api::v1::CompleteActionResponse* response) {
  return FinishCall(*context, CompleteActionImpl(*context, *request, *response));
}

grpc::Status EnquiryService::ReviseDesiredOutcomes(
    grpc::ServerContext* context, const api::v1::ReviseDesiredOutcomesRequest* request,
    api::v1::ReviseDesiredOutcomesResponse* response) {
  return FinishCall(*context, ReviseDesiredOutcomesImpl(*context, *request, *response));
}

grpc::Status EnquiryService::RecordCapacityAssessment(
    grpc::ServerContext* context, const api::v1::RecordCapacityAssessmentRequest* request,
    api::v1::RecordCapacityAssessmentResponse* response) {
  return FinishCall(*context, RecordCapacityAssessmentImpl(*context, *request, *response));
}

grpc::Status EnquiryService::RecordBestInterestsDecision(
    grpc::ServerContext* context, const api::v1::RecordBestInterestsDecisionRequest* request,
    api::v1::RecordBestInterestsDecisionResponse* response) {
  return FinishCall(*context, RecordBestInterestsDecisionImpl(*context, *request, *response));
}

grpc::Status EnquiryService::RecordRiskAssessment(
    grpc::ServerContext* context, const api::v1::RecordRiskAssessmentRequest* request,
    api::v1::RecordRiskAssessmentResponse* response) {
  return FinishCall(*context, RecordRiskAssessmentImpl(*context, *request, *response));
}

grpc::Status EnquiryService::RecordProtectionPlan(
    grpc::ServerContext* context, const api::v1::RecordProtectionPlanRequest* request,
    api::v1::RecordProtectionPlanResponse* response) {
  return FinishCall(*context, RecordProtectionPlanImpl(*context, *request, *response));
}

grpc::Status EnquiryService::ReviewProtectionPlan(
    grpc::ServerContext* context, const api::v1::ReviewProtectionPlanRequest* request,
    api::v1::ReviewProtectionPlanResponse* response) {
  return FinishCall(*context, ReviewProtectionPlanImpl(*context, *request, *response));
}

grpc::Status EnquiryService::RecordCoercionConcern(
    grpc::ServerContext* context, const api::v1::RecordCoercionConcernRequest* request,
    api::v1::RecordCoercionConcernResponse* response) {
  return FinishCall(*context, RecordCoercionConcernImpl(*context, *request, *response));
}

grpc::Status EnquiryService::RecordSpokenToAlone(grpc::ServerContext* context,
                                                 const api::v1::RecordSpokenToAloneRequest* request,
                                                 api::v1::RecordSpokenToAloneResponse* response) {
  return FinishCall(*context, RecordSpokenToAloneImpl(*context, *request, *response));
}

grpc::Status EnquiryService::RecordDutyOfCareDecision(
    grpc::ServerContext* context, const api::v1::RecordDutyOfCareDecisionRequest* request,
    api::v1::RecordDutyOfCareDecisionResponse* response) {
  return FinishCall(*context, RecordDutyOfCareDecisionImpl(*context, *request, *response));
}

grpc::Status EnquiryService::ConcludeEnquiry(grpc::ServerContext* context,
                                             const api::v1::ConcludeEnquiryRequest* request,
                                             api::v1::ConcludeEnquiryResponse* response) {
  return FinishCall(*context, ConcludeEnquiryImpl(*context, *request, *response));
}

grpc::Status EnquiryService::CloseEnquiry(grpc::ServerContext* context,
                                          const api::v1::CloseEnquiryRequest* request,
                                          api::v1::CloseEnquiryResponse* response) {
  return FinishCall(*context, CloseEnquiryImpl(*context, *request, *response));
}

// ---- Handlers: ids of what a command created derive from its new_id, so a retry answers
// with the same ones. ----

absl::Status EnquiryService::AssignLeadImpl(const grpc::ServerContextBase& context,
                                            const api::v1::AssignLeadRequest& request,
                                            api::v1::AssignLeadResponse& response) {
  HUB_ASSIGN_OR_RETURN(
      EnquiryCommandRun run,
      RunEnquiryCommand(deps_, store_, context, "hub.api.v1.Enquiry/AssignLead", request));
  ToProto(run.outcome, response.mutable_result());
  return absl::OkStatus();
}

absl::Status EnquiryService::RecordStrategyDiscussionImpl(
    const grpc::ServerContextBase& context, const api::v1::RecordStrategyDiscussionRequest& request,
    api::v1::RecordStrategyDiscussionResponse& response) {
  HUB_ASSIGN_OR_RETURN(EnquiryCommandRun run,
                       RunEnquiryCommand(deps_, store_, context,
                                         "hub.api.v1.Enquiry/RecordStrategyDiscussion", request));
  ToProto(run.outcome, response.mutable_result());
  response.set_discussion_id(run.new_id);
  for (int i = 0; i < request.actions_size(); ++i) {
    response.add_action_ids(domain::SubId(run.new_id, i + 1));
  }
  return absl::OkStatus();
}

absl::Status EnquiryService::CompleteActionImpl(const grpc::ServerContextBase& context,
                                                const api::v1::CompleteActionRequest& request,
                                                api::v1::CompleteActionResponse& response) {
  HUB_ASSIGN_OR_RETURN(
      EnquiryCommandRun run,
      RunEnquiryCommand(deps_, store_, context, "hub.api.v1.Enquiry/CompleteAction", request));
  ToProto(run.outcome, response.mutable_result());
  return absl::OkStatus();
}

absl::Status EnquiryService::ReviseDesiredOutcomesImpl(
    const grpc::ServerContextBase& context, const api::v1::ReviseDesiredOutcomesRequest& request,
    api::v1::ReviseDesiredOutcomesResponse& response) {
  HUB_ASSIGN_OR_RETURN(EnquiryCommandRun run,
                       RunEnquiryCommand(deps_, store_, context,
                                         "hub.api.v1.Enquiry/ReviseDesiredOutcomes", request));
  ToProto(run.outcome, response.mutable_result());
  for (int i = 0; i < request.added_size(); ++i) {
    response.add_added_outcome_ids(domain::SubId(run.new_id, i + 1));
  }
  return absl::OkStatus();
}

absl::Status EnquiryService::RecordCapacityAssessmentImpl(
    const grpc::ServerContextBase& context, const api::v1::RecordCapacityAssessmentRequest& request,
    api::v1::RecordCapacityAssessmentResponse& response) {
  HUB_ASSIGN_OR_RETURN(EnquiryCommandRun run,
                       RunEnquiryCommand(deps_, store_, context,
                                         "hub.api.v1.Enquiry/RecordCapacityAssessment", request));
  ToProto(run.outcome, response.mutable_result());
  response.set_assessment_id(run.new_id);
  return absl::OkStatus();
}

absl::Status EnquiryService::RecordBestInterestsDecisionImpl(
    const grpc::ServerContextBase& context,
    const api::v1::RecordBestInterestsDecisionRequest& request,
    api::v1::RecordBestInterestsDecisionResponse& response) {
  HUB_ASSIGN_OR_RETURN(
      EnquiryCommandRun run,
      RunEnquiryCommand(deps_, store_, context, "hub.api.v1.Enquiry/RecordBestInterestsDecision",
                        request));
  ToProto(run.outcome, response.mutable_result());
  response.set_decision_id(run.new_id);
  return absl::OkStatus();
}

absl::Status EnquiryService::RecordRiskAssessmentImpl(
    const grpc::ServerContextBase& context, const api::v1::RecordRiskAssessmentRequest& request,
    api::v1::RecordRiskAssessmentResponse& response) {
  HUB_ASSIGN_OR_RETURN(EnquiryCommandRun run,
                       RunEnquiryCommand(deps_, store_, context,
                                         "hub.api.v1.Enquiry/RecordRiskAssessment", request));
  ToProto(run.outcome, response.mutable_result());
  return absl::OkStatus();
}

absl::Status EnquiryService::RecordProtectionPlanImpl(
    const grpc::ServerContextBase& context, const api::v1::RecordProtectionPlanRequest& request,
    api::v1::RecordProtectionPlanResponse& response) {
  HUB_ASSIGN_OR_RETURN(EnquiryCommandRun run,
                       RunEnquiryCommand(deps_, store_, context,
                                         "hub.api.v1.Enquiry/RecordProtectionPlan", request));
  ToProto(run.outcome, response.mutable_result());
  for (int i = 0; i < request.items_size(); ++i) {
    response.add_item_ids(domain::SubId(run.new_id, i + 1));
  }
  return absl::OkStatus();
}

absl::Status EnquiryService::ReviewProtectionPlanImpl(
    const grpc::ServerContextBase& context, const api::v1::ReviewProtectionPlanRequest& request,
    api::v1::ReviewProtectionPlanResponse& response) {
  HUB_ASSIGN_OR_RETURN(EnquiryCommandRun run,
                       RunEnquiryCommand(deps_, store_, context,
                                         "hub.api.v1.Enquiry/ReviewProtectionPlan", request));
  ToProto(run.outcome, response.mutable_result());
  return absl::OkStatus();
}

absl::Status EnquiryService::RecordCoercionConcernImpl(
    const grpc::ServerContextBase& context, const api::v1::RecordCoercionConcernRequest& request,
    api::v1::RecordCoercionConcernResponse& response) {
  HUB_ASSIGN_OR_RETURN(EnquiryCommandRun run,
                       RunEnquiryCommand(deps_, store_, context,
                                         "hub.api.v1.Enquiry/RecordCoercionConcern", request));
  ToProto(run.outcome, response.mutable_result());
  return absl::OkStatus();
}

absl::Status EnquiryService::RecordSpokenToAloneImpl(
    const grpc::ServerContextBase& context, const api::v1::RecordSpokenToAloneRequest& request,
    api::v1::RecordSpokenToAloneResponse& response) {
  HUB_ASSIGN_OR_RETURN(
      EnquiryCommandRun run,
      RunEnquiryCommand(deps_, store_, context, "hub.api.v1.Enquiry/RecordSpokenToAlone", request));
  ToProto(run.outcome, response.mutable_result());
  return absl::OkStatus();
}

absl::Status EnquiryService::RecordDutyOfCareDecisionImpl(
    const grpc::ServerContextBase& context, const api::v1::RecordDutyOfCareDecisionRequest& request,
    api::v1::RecordDutyOfCareDecisionResponse& response) {
  HUB_ASSIGN_OR_RETURN(EnquiryCommandRun run,
                       RunEnquiryCommand(deps_, store_, context,
                                         "hub.api.v1.Enquiry/RecordDutyOfCareDecision", request));
  ToProto(run.outcome, response.mutable_result());
  return absl::OkStatus();
}

absl::Status EnquiryService::ConcludeEnquiryImpl(const grpc::ServerContextBase& context,
                                                 const api::v1::ConcludeEnquiryRequest& request,
                                                 api::v1::ConcludeEnquiryResponse& response) {
  HUB_ASSIGN_OR_RETURN(
      EnquiryCommandRun run,
      RunEnquiryCommand(deps_, store_, context, "hub.api.v1.Enquiry/ConcludeEnquiry", request));
  ToProto(run.outcome, response.mutable_result());
  return absl::OkStatus();
}

absl::Status EnquiryService::CloseEnquiryImpl(const grpc::ServerContextBase& context,
                                              const api::v1::CloseEnquiryRequest& request,
                                              api::v1::CloseEnquiryResponse& response) {
  HUB_ASSIGN_OR_RETURN(
      EnquiryCommandRun run,
      RunEnquiryCommand(deps_, store_, context, "hub.api.v1.Enquiry/CloseEnquiry", request));
  ToProto(run.outcome, response.mutable_result());
  return absl::OkStatus();
}

}  // namespace hub::services
