#include "services/eventstore/log_admin_service.h"

#include <filesystem>
#include <string>
#include <system_error>

#include "absl/strings/str_cat.h"

#include "base/log.h"
#include "base/status_macros.h"
#include "services/common/eventstore_proto.h"
#include "app/command_rules.h"
#include "services/common/grpc_status.h"
#include "services/eventstore/raw_access.h"
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
  return ToGrpcStatus(BackupImpl(*caller, *request, *response));
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

absl::Status LogAdminService::BackupImpl(const domain::Caller& caller,
                                         const api::v1::BackupRequest& request,
                                         api::v1::BackupResponse& response) {
  HUB_ASSIGN_OR_RETURN(std::string directory,
                       BackupDirectoryFromProto(request, options_.backup_dir));
  // Nothing may stand at the name, not even a dangling symbolic link the checkpoint would
  // follow out of the backup directory.
  std::error_code ec;
  if (std::filesystem::symlink_status(directory, ec).type() !=
      std::filesystem::file_type::not_found) {
    return absl::AlreadyExistsError(absl::StrCat("directory: ", directory, " already exists"));
  }
  // Recorded before the checkpoint, which therefore holds at least this head and the record.
  const eventstore::Head head = log_.GetHead();
  HUB_RETURN_IF_ERROR(RecordRawAccess(log_, caller, options_.clock->Now(),
                                      RawAccessOf(request, directory, head))
                          .status());
  HUB_RETURN_IF_ERROR(Annotate(log_.Checkpoint(directory), "backup to " + directory));
  HUB_LOG(INFO) << "backup by " << caller.agency_id << "/" << caller.user_id << " written to "
                << directory << " (head " << head.position << ")";
  HeadToProto(head, response.mutable_head());
  return absl::OkStatus();
}

}  // namespace hub::services
