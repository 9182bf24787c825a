#include "services/eventstore/log_admin_service.h"

#include <string>

#include "base/log.h"
#include "base/status_macros.h"
#include "services/common/eventstore_proto.h"
#include "services/common/command_rules.h"
#include "services/common/grpc_status.h"
#include "services/eventstore/translate.h"

namespace hub::services {

grpc::Status LogAdminService::GetHead(grpc::ServerContext* context,
                                      const api::v1::GetHeadRequest* request,
                                      api::v1::GetHeadResponse* response) {
  absl::StatusOr<domain::Caller> caller =
      AuthorizeCaller(authenticator_, *context, "hub.api.v1.LogAdmin/GetHead");
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  HeadToProto(log_.GetHead(), response);
  return grpc::Status::OK;
}

grpc::Status LogAdminService::Verify(grpc::ServerContext* context,
                                     const api::v1::VerifyRequest* request,
                                     api::v1::VerifyResponse* response) {
  absl::StatusOr<domain::Caller> caller =
      AuthorizeCaller(authenticator_, *context, "hub.api.v1.LogAdmin/Verify");
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  return ToGrpcStatus(VerifyImpl(*request, *response));
}

grpc::Status LogAdminService::Backup(grpc::ServerContext* context,
                                     const api::v1::BackupRequest* request,
                                     api::v1::BackupResponse* response) {
  absl::StatusOr<domain::Caller> caller =
      AuthorizeCaller(authenticator_, *context, "hub.api.v1.LogAdmin/Backup");
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  HUB_LOG(INFO) << "backup requested by " << caller->agency_id << "/" << caller->user_id;
  return ToGrpcStatus(BackupImpl(*request, *response));
}

absl::Status LogAdminService::VerifyImpl(const api::v1::VerifyRequest& request,
                                         api::v1::VerifyResponse& response) {
  HUB_ASSIGN_OR_RETURN(eventstore::VerifyOptions options, VerifyOptionsFromProto(request));
  HUB_ASSIGN_OR_RETURN(eventstore::VerifyReport report, log_.Verify(options));
  // A failed check is an answer, not an error; it is also worth a line in the server log.
  if (!report.ok) {
    HUB_LOG(ERROR) << "verify found a problem at position "
                   << (report.first_bad_position ? report.first_bad_position->value() : -1)
                   << ": " << report.problem;
  }
  VerifyReportToProto(report, &response);
  return absl::OkStatus();
}

absl::Status LogAdminService::BackupImpl(const api::v1::BackupRequest& request,
                                         api::v1::BackupResponse& response) {
  HUB_ASSIGN_OR_RETURN(std::string directory, BackupDirectoryFromProto(request));
  // Taken before the checkpoint, which therefore holds at least this head.
  const eventstore::Head head = log_.GetHead();
  HUB_RETURN_IF_ERROR(Annotate(log_.Checkpoint(directory), "backup to " + directory));
  HUB_LOG(INFO) << "backup written to " << directory << " (head " << head.position << ")";
  HeadToProto(head, response.mutable_head());
  return absl::OkStatus();
}

}  // namespace hub::services
