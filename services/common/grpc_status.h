// ToGrpcStatus: the one place an absl::Status becomes a grpc::Status (the gRPC boundary).
//
// Used by every service handler under services/. Both sides use the google.rpc.Code numbers,
// so the code is carried over unchanged; the only work is the message. Errors that describe
// the server's insides (kDataLoss, kInternal, kUnknown) are logged in full here and reach the
// client only as a generic message, so that paths, keys and record bytes never leak.
// Thread-safe (no state).
#pragma once

#include "absl/status/status.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"

namespace hub::services {

// Converts `status` for a gRPC client: same code, same message, except that kDataLoss,
// kInternal and kUnknown are logged with HUB_LOG(ERROR) and answered with a generic message.
grpc::Status ToGrpcStatus(const absl::Status& status);

// The trailer that carries a stream's actual version on ABORTED ("-1" = no stream), so that a
// client can re-read from there.
inline constexpr char kActualVersionTrailer[] = "hub-actual-version";

// ToGrpcStatus, plus the kActualVersionTrailer trailer when `status` is an expected-version
// mismatch. Every command handler ends with it.
grpc::Status FinishCall(grpc::ServerContextBase& context, const absl::Status& status);

}  // namespace hub::services
