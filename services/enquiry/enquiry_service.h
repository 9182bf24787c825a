// EnquiryService: the hub.api.v1.Enquiry gRPC service: an enquiry's lead, strategy, the adult's
// outcomes, capacity and best interests, risk and protection, conclusion and closure, on the
// enquiry's stream (enquiry-<id>). The rules are in domain/enquiry; each handler authenticates,
// translates (translate.h), authorises, and runs the domain decision through the CaseStore
// (enquiry_command.h). The enquiry is opened by the MASH threshold decision, not here.
//
// Lifecycle: construct over dependencies that outlive it and register with a
// grpc::ServerBuilder. Uses the sync API (unary calls at safeguarding volumes). Thread-safe.
#pragma once

#include "absl/status/status.h"
#include "grpcpp/grpcpp.h"
#include "hub/api/v1/enquiry_service.grpc.pb.h"
#include "app/case_store.h"
#include "services/common/service_deps.h"

namespace hub::services {

using app::CaseStore;

class EnquiryService final : public api::v1::Enquiry::Service {
 public:
  explicit EnquiryService(const ServiceDeps& deps);

  // hub::api::v1::Enquiry::Service
  grpc::Status AssignLead(grpc::ServerContext* context, const api::v1::AssignLeadRequest* request,
                          api::v1::AssignLeadResponse* response) override;
  grpc::Status RecordStrategyDiscussion(
      grpc::ServerContext* context, const api::v1::RecordStrategyDiscussionRequest* request,
      api::v1::RecordStrategyDiscussionResponse* response) override;
  grpc::Status CompleteAction(grpc::ServerContext* context,
                              const api::v1::CompleteActionRequest* request,
                              api::v1::CompleteActionResponse* response) override;
  grpc::Status ReviseDesiredOutcomes(grpc::ServerContext* context,
                                     const api::v1::ReviseDesiredOutcomesRequest* request,
                                     api::v1::ReviseDesiredOutcomesResponse* response) override;
  grpc::Status RecordCapacityAssessment(
      grpc::ServerContext* context, const api::v1::RecordCapacityAssessmentRequest* request,
      api::v1::RecordCapacityAssessmentResponse* response) override;
  grpc::Status RecordBestInterestsDecision(
      grpc::ServerContext* context, const api::v1::RecordBestInterestsDecisionRequest* request,
      api::v1::RecordBestInterestsDecisionResponse* response) override;
  grpc::Status RecordRiskAssessment(grpc::ServerContext* context,
                                    const api::v1::RecordRiskAssessmentRequest* request,
                                    api::v1::RecordRiskAssessmentResponse* response) override;
  grpc::Status RecordProtectionPlan(grpc::ServerContext* context,
                                    const api::v1::RecordProtectionPlanRequest* request,
                                    api::v1::RecordProtectionPlanResponse* response) override;
  grpc::Status ReviewProtectionPlan(grpc::ServerContext* context,
                                    const api::v1::ReviewProtectionPlanRequest* request,
                                    api::v1::ReviewProtectionPlanResponse* response) override;
  grpc::Status RecordCoercionConcern(grpc::ServerContext* context,
                                     const api::v1::RecordCoercionConcernRequest* request,
                                     api::v1::RecordCoercionConcernResponse* response) override;
  grpc::Status RecordSpokenToAlone(grpc::ServerContext* context,
                                   const api::v1::RecordSpokenToAloneRequest* request,
                                   api::v1::RecordSpokenToAloneResponse* response) override;
  grpc::Status RecordDutyOfCareDecision(
      grpc::ServerContext* context, const api::v1::RecordDutyOfCareDecisionRequest* request,
      api::v1::RecordDutyOfCareDecisionResponse* response) override;
  grpc::Status ConcludeEnquiry(grpc::ServerContext* context,
                               const api::v1::ConcludeEnquiryRequest* request,
                               api::v1::ConcludeEnquiryResponse* response) override;
  grpc::Status CloseEnquiry(grpc::ServerContext* context,
                            const api::v1::CloseEnquiryRequest* request,
                            api::v1::CloseEnquiryResponse* response) override;

 private:
  [[nodiscard]] absl::Status AssignLeadImpl(const grpc::ServerContextBase& context,
                                            const api::v1::AssignLeadRequest& request,
                                            api::v1::AssignLeadResponse& response);
  [[nodiscard]] absl::Status RecordStrategyDiscussionImpl(
      const grpc::ServerContextBase& context,
      const api::v1::RecordStrategyDiscussionRequest& request,
      api::v1::RecordStrategyDiscussionResponse& response);
  [[nodiscard]] absl::Status CompleteActionImpl(const grpc::ServerContextBase& context,
                                                const api::v1::CompleteActionRequest& request,
                                                api::v1::CompleteActionResponse& response);
  [[nodiscard]] absl::Status ReviseDesiredOutcomesImpl(
      const grpc::ServerContextBase& context, const api::v1::ReviseDesiredOutcomesRequest& request,
      api::v1::ReviseDesiredOutcomesResponse& response);
  [[nodiscard]] absl::Status RecordCapacityAssessmentImpl(
      const grpc::ServerContextBase& context,
      const api::v1::RecordCapacityAssessmentRequest& request,
      api::v1::RecordCapacityAssessmentResponse& response);
  [[nodiscard]] absl::Status RecordBestInterestsDecisionImpl(
      const grpc::ServerContextBase& context,
      const api::v1::RecordBestInterestsDecisionRequest& request,
      api::v1::RecordBestInterestsDecisionResponse& response);
  [[nodiscard]] absl::Status RecordRiskAssessmentImpl(
      const grpc::ServerContextBase& context, const api::v1::RecordRiskAssessmentRequest& request,
      api::v1::RecordRiskAssessmentResponse& response);
  [[nodiscard]] absl::Status RecordProtectionPlanImpl(
      const grpc::ServerContextBase& context, const api::v1::RecordProtectionPlanRequest& request,
      api::v1::RecordProtectionPlanResponse& response);
  [[nodiscard]] absl::Status ReviewProtectionPlanImpl(
      const grpc::ServerContextBase& context, const api::v1::ReviewProtectionPlanRequest& request,
      api::v1::ReviewProtectionPlanResponse& response);
  [[nodiscard]] absl::Status RecordCoercionConcernImpl(
      const grpc::ServerContextBase& context, const api::v1::RecordCoercionConcernRequest& request,
      api::v1::RecordCoercionConcernResponse& response);
  [[nodiscard]] absl::Status RecordSpokenToAloneImpl(
      const grpc::ServerContextBase& context, const api::v1::RecordSpokenToAloneRequest& request,
      api::v1::RecordSpokenToAloneResponse& response);
  [[nodiscard]] absl::Status RecordDutyOfCareDecisionImpl(
      const grpc::ServerContextBase& context,
      const api::v1::RecordDutyOfCareDecisionRequest& request,
      api::v1::RecordDutyOfCareDecisionResponse& response);
  [[nodiscard]] absl::Status ConcludeEnquiryImpl(const grpc::ServerContextBase& context,
                                                 const api::v1::ConcludeEnquiryRequest& request,
                                                 api::v1::ConcludeEnquiryResponse& response);
  [[nodiscard]] absl::Status CloseEnquiryImpl(const grpc::ServerContextBase& context,
                                              const api::v1::CloseEnquiryRequest& request,
                                              api::v1::CloseEnquiryResponse& response);

  const ServiceDeps deps_;
  CaseStore store_;
};

}  // namespace hub::services
