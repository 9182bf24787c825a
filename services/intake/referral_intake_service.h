// ReferralIntakeService: the hub.api.v1.ReferralIntake gRPC service. One call raises a
// concern about a known person or a described adult, linking the adult deterministically to
// one person record and the concern to their history (episode, previous concerns). The
// multi-stream write sequence is in services/intake/README.md.
//
// Thread-safe: handlers share only the EventLog (thread-safe) and read-only configuration.
#pragma once

#include "absl/status/status.h"
#include "grpcpp/server_context.h"
#include "hub/api/v1/referral_intake_service.grpc.pb.h"
#include "app/case_store.h"
#include "services/common/service_deps.h"

namespace hub::services {

using app::CaseStore;

class ReferralIntakeService final : public api::v1::ReferralIntake::Service {
 public:
  explicit ReferralIntakeService(const ServiceDeps& deps);

  // hub::api::v1::ReferralIntake
  grpc::Status RaiseConcern(grpc::ServerContext* context,
                            const api::v1::RaiseConcernRequest* request,
                            api::v1::RaiseConcernResponse* response) override;

 private:
  [[nodiscard]] absl::Status RaiseConcernImpl(const grpc::ServerContextBase& context,
                                              const api::v1::RaiseConcernRequest& request,
                                              api::v1::RaiseConcernResponse& response);

  const ServiceDeps deps_;
  CaseStore store_;
};

}  // namespace hub::services
