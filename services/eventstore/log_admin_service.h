// LogAdminService: the hub.api.v1.LogAdmin gRPC service (head, verify, backup) over an
// EventLog, for hubctl --server against a running hubd.
//
// Uses gRPC's synchronous API on purpose: Verify walks the whole log and Backup copies it, so
// each may take minutes; the sync API gives them threads of their own instead of holding a
// callback thread that other calls need. Operator calls are rare, so the thread cost is nil.
// Backup writes a copy of every event, personal data included, so every call needs an operator
// (the administrator role in command_rules.cc); the copy goes only into the configured backup
// directory, and each backup is recorded as a RawLogAccessed event before it is written.
// Thread-safe; the log must outlive the service.
#pragma once

#include <string>
#include <utility>

#include "base/clock.h"
#include "eventstore/event_log.h"
#include "grpcpp/grpcpp.h"
#include "hub/api/v1/event_store_service.grpc.pb.h"
#include "services/common/authenticator.h"

namespace hub::services {

class LogAdminService final : public api::v1::LogAdmin::Service {
 public:
  struct Options {
    // Where backups go: an absolute path without symbolic links (hubd canonicalises
    // --backup_dir). Empty: Backup is refused (FAILED_PRECONDITION).
    std::string backup_dir;
    // Stamps the RawLogAccessed record of each backup.
    const Clock* clock = &SystemClock::Get();
  };

  // Without an `authenticator` every call is refused.
  LogAdminService(eventstore::EventLog& log, const Authenticator* authenticator,
                  Options options)
      : log_(log), authenticator_(authenticator), options_(std::move(options)) {}
  // Backups refused (no backup directory).
  LogAdminService(eventstore::EventLog& log, const Authenticator* authenticator)
      : LogAdminService(log, authenticator, Options()) {}

  // hub::api::v1::LogAdmin::Service
  grpc::Status GetHead(grpc::ServerContext* context, const api::v1::GetHeadRequest* request,
                       api::v1::GetHeadResponse* response) override;
  grpc::Status Verify(grpc::ServerContext* context, const api::v1::VerifyRequest* request,
                      api::v1::VerifyResponse* response) override;
  grpc::Status Backup(grpc::ServerContext* context, const api::v1::BackupRequest* request,
                      api::v1::BackupResponse* response) override;

 private:
  [[nodiscard]] absl::Status VerifyImpl(const api::v1::VerifyRequest& request,
                                        api::v1::VerifyResponse& response);
  [[nodiscard]] absl::Status BackupImpl(const domain::Caller& caller,
                                        const api::v1::BackupRequest& request,
                                        api::v1::BackupResponse& response);

  eventstore::EventLog& log_;
  const Authenticator* const authenticator_;
  const Options options_;
};

}  // namespace hub::services
