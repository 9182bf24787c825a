// AdvocacyService: the hub.api.v1.Advocacy gRPC service: independent advocacy for an adult in
// an enquiry (Care Act 2014 s68), on the enquiry's own stream (enquiry-<id>) so that the duty
// and the enquiry's conclusion are decided on one consistent stream. Every response carries the
// s68 duty as the command left it, computed (domain/enquiry/advocacy.h), never typed in.
//
// Lifecycle: construct over dependencies that outlive it and register with a
// grpc::ServerBuilder. Uses the sync API. Thread-safe.
#pragma once

#include "absl/status/status.h"
#include "grpcpp/grpcpp.h"
#include "hub/api/v1/advocacy_service.grpc.pb.h"
#include "app/case_store.h"
#include "services/common/service_deps.h"

namespace hub::services {

using app::CaseStore;

class AdvocacyService final : public api::v1::Advocacy::Service {
 public:
  explicit AdvocacyService(const ServiceDeps& deps);

  // hub::api::v1::Advocacy::Service
  grpc::Status AssessSubstantialDifficulty(
      grpc::ServerContext* context, const api::v1::AssessSubstantialDifficultyRequest* request,
      api::v1::AdvocacyResponse* response) override;
  grpc::Status AssessAppropriateIndividual(
      grpc::ServerContext* context, const api::v1::AssessAppropriateIndividualRequest* request,
      api::v1::AdvocacyResponse* response) override;
  grpc::Status RecordAdvocacyExceptions(grpc::ServerContext* context,
                                        const api::v1::RecordAdvocacyExceptionsRequest* request,
                                        api::v1::AdvocacyResponse* response) override;
  grpc::Status ReferForAdvocacy(grpc::ServerContext* context,
                                const api::v1::ReferForAdvocacyRequest* request,
                                api::v1::ReferForAdvocacyResponse* response) override;
  grpc::Status AcceptAdvocacyReferral(grpc::ServerContext* context,
                                      const api::v1::AcceptAdvocacyReferralRequest* request,
                                      api::v1::AdvocacyResponse* response) override;
  grpc::Status DeclineAdvocacyReferral(grpc::ServerContext* context,
                                       const api::v1::DeclineAdvocacyReferralRequest* request,
                                       api::v1::AdvocacyResponse* response) override;
  grpc::Status AllocateAdvocate(grpc::ServerContext* context,
                                const api::v1::AllocateAdvocateRequest* request,
                                api::v1::AdvocacyResponse* response) override;
  grpc::Status RecordAdvocateViews(grpc::ServerContext* context,
                                   const api::v1::RecordAdvocateViewsRequest* request,
                                   api::v1::AdvocacyResponse* response) override;
  grpc::Status GetAdvocacyDuty(grpc::ServerContext* context,
                               const api::v1::GetAdvocacyDutyRequest* request,
                               api::v1::GetAdvocacyDutyResponse* response) override;

 private:
  [[nodiscard]] absl::Status AssessSubstantialDifficultyImpl(
      const grpc::ServerContextBase& context,
      const api::v1::AssessSubstantialDifficultyRequest& request,
      api::v1::AdvocacyResponse& response);
  [[nodiscard]] absl::Status AssessAppropriateIndividualImpl(
      const grpc::ServerContextBase& context,
      const api::v1::AssessAppropriateIndividualRequest& request,
      api::v1::AdvocacyResponse& response);
  [[nodiscard]] absl::Status RecordAdvocacyExceptionsImpl(
      const grpc::ServerContextBase& context,
      const api::v1::RecordAdvocacyExceptionsRequest& request, api::v1::AdvocacyResponse& response);
  [[nodiscard]] absl::Status ReferForAdvocacyImpl(const grpc::ServerContextBase& context,
                                                  const api::v1::ReferForAdvocacyRequest& request,
                                                  api::v1::ReferForAdvocacyResponse& response);
  [[nodiscard]] absl::Status AcceptAdvocacyReferralImpl(
      const grpc::ServerContextBase& context, const api::v1::AcceptAdvocacyReferralRequest& request,
      api::v1::AdvocacyResponse& response);
  [[nodiscard]] absl::Status DeclineAdvocacyReferralImpl(
      const grpc::ServerContextBase& context,
      const api::v1::DeclineAdvocacyReferralRequest& request, api::v1::AdvocacyResponse& response);
  [[nodiscard]] absl::Status AllocateAdvocateImpl(const grpc::ServerContextBase& context,
                                                  const api::v1::AllocateAdvocateRequest& request,
                                                  api::v1::AdvocacyResponse& response);
  [[nodiscard]] absl::Status RecordAdvocateViewsImpl(
      const grpc::ServerContextBase& context, const api::v1::RecordAdvocateViewsRequest& request,
      api::v1::AdvocacyResponse& response);
  [[nodiscard]] absl::Status GetAdvocacyDutyImpl(const grpc::ServerContextBase& context,
                                                 const api::v1::GetAdvocacyDutyRequest& request,
                                                 api::v1::GetAdvocacyDutyResponse& response);

  const ServiceDeps deps_;
  CaseStore store_;
};

}  // namespace hub::services
