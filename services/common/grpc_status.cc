#include "services/common/grpc_status.h"

#include <string>

#include "base/log.h"
#include "eventstore/event_log.h"

namespace hub::services {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl::StatusCode and grpc::StatusCode are both google.rpc.Code.
  const auto code = static_cast<grpc::StatusCode>(static_cast<int>(status.code()));
  switch (status.code()) {
    case absl::StatusCode::kDataLoss:
      HUB_LOG(ERROR) << "returning DATA_LOSS to a client: " << status;
      return grpc::Status(code, "stored data could not be read back; details are in the server log");
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
      HUB_LOG(ERROR) << "returning " << absl::StatusCodeToString(status.code())
                     << " to a client: " << status;
      return grpc::Status(code, "internal error; details are in the server log");
    default:
      return grpc::Status(code, std::string(status.message()));
  }
}

grpc::Status FinishCall(grpc::ServerContextBase& context, const absl::Status& status) {
  if (std::optional<StreamVersion> actual = eventstore::ActualVersion(status)) {
    context.AddTrailingMetadata(kActualVersionTrailer, std::to_string(actual->value()));
  }
  return ToGrpcStatus(status);
}

}  // namespace hub::services
