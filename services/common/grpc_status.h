// ToGrpcStatus: the one place an absl::Status becomes a grpc::Status (the gRPC boundary).
//
// Used by every service handler under services/. Both sides use the google.rpc.Code numbers,
// so the code is carried over unchanged; the only work is the message. Errors that describe
// the server's insides (kDataLoss, kInternal, kUnknown) are logged in full here and reach the
// client only as a generic message, so that paths, keys and record bytes never leak.
// Thread-safe (no state).
#pragma once

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace hub::services {

// Converts `status` for a gRPC client: same code, same message, except that kDataLoss,
// kInternal and kUnknown are logged with HUB_LOG(ERROR) and answered with a generic message.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace hub::services
