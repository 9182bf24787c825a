// MashService: the hub.api.v1.Mash gRPC service: triage, research with partner agencies, the
// s42(1) threshold decision (which may open an enquiry) and feedback to the referrer. The
// threshold decision's two-stream write sequence is in services/intake/README.md. Restricting a
// case (RestrictCase / LiftCaseRestriction) is decided on the concern stream, with the caller's
// relationship to the case computed from the concern and enquiry streams.
//
// Thread-safe: handlers share only the EventLog (thread-safe) and read-only configuration.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "domain/intake/working_calendar.h"
#include "grpcpp/server_context.h"
#include "hub/api/v1/mash_service.grpc.pb.h"
#include "app/case_store.h"
#include "services/common/service_deps.h"

namespace hub::services {

using app::CaseStore;

class MashService final : public api::v1::Mash::Service {
 public:
  explicit MashService(const ServiceDeps& deps);

  // hub::api::v1::Mash
  grpc::Status TriageConcern(grpc::ServerContext* context,
                             const api::v1::TriageConcernRequest* request,
                             api::v1::TriageConcernResponse* response) override;
  grpc::Status RequestResearch(grpc::ServerContext* context,
                               const api::v1::RequestResearchRequest* request,
                               api::v1::RequestResearchResponse* response) override;
  grpc::Status AnswerResearch(grpc::ServerContext* context,
                              const api::v1::AnswerResearchRequest* request,
                              api::v1::AnswerResearchResponse* response) override;
  grpc::Status RecordThresholdDecision(grpc::ServerContext* context,
                                       const api::v1::RecordThresholdDecisionRequest* request,
                                       api::v1::RecordThresholdDecisionResponse* response) override;
  grpc::Status RecordSharingConsent(grpc::ServerContext* context,
                                    const api::v1::RecordSharingConsentRequest* request,
                                    api::v1::RecordSharingConsentResponse* response) override;
  grpc::Status RecordReferrerFeedback(grpc::ServerContext* context,
                                      const api::v1::RecordReferrerFeedbackRequest* request,
                                      api::v1::RecordReferrerFeedbackResponse* response) override;
  grpc::Status RestrictCase(grpc::ServerContext* context,
                            const api::v1::RestrictCaseRequest* request,
                            api::v1::RestrictCaseResponse* response) override;
  grpc::Status LiftCaseRestriction(grpc::ServerContext* context,
                                   const api::v1::LiftCaseRestrictionRequest* request,
                                   api::v1::LiftCaseRestrictionResponse* response) override;

 private:
  [[nodiscard]] absl::Status TriageConcernImpl(const grpc::ServerContextBase& context,
                                               const api::v1::TriageConcernRequest& request,
                                               api::v1::TriageConcernResponse& response);
  [[nodiscard]] absl::Status RequestResearchImpl(const grpc::ServerContextBase& context,
                                                 const api::v1::RequestResearchRequest& request,
                                                 api::v1::RequestResearchResponse& response);
  [[nodiscard]] absl::Status AnswerResearchImpl(const grpc::ServerContextBase& context,
                                                const api::v1::AnswerResearchRequest& request,
                                                api::v1::AnswerResearchResponse& response);
  [[nodiscard]] absl::Status RecordThresholdDecisionImpl(
      const grpc::ServerContextBase& context,
      const api::v1::RecordThresholdDecisionRequest& request,
      api::v1::RecordThresholdDecisionResponse& response);
  [[nodiscard]] absl::Status RecordSharingConsentImpl(
      const grpc::ServerContextBase& context, const api::v1::RecordSharingConsentRequest& request,
      api::v1::RecordSharingConsentResponse& response);
  [[nodiscard]] absl::Status RecordReferrerFeedbackImpl(
      const grpc::ServerContextBase& context, const api::v1::RecordReferrerFeedbackRequest& request,
      api::v1::RecordReferrerFeedbackResponse& response);
  [[nodiscard]] absl::Status RestrictCaseImpl(const grpc::ServerContextBase& context,
                                              const api::v1::RestrictCaseRequest& request,
                                              api::v1::RestrictCaseResponse& response);
  [[nodiscard]] absl::Status LiftCaseRestrictionImpl(
      const grpc::ServerContextBase& context, const api::v1::LiftCaseRestrictionRequest& request,
      api::v1::LiftCaseRestrictionResponse& response);

  const ServiceDeps deps_;
  CaseStore store_;
  const domain::intake::WorkingCalendar calendar_;  // the partnership's, in its time zone
};

}  // namespace hub::services
