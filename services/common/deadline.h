// Conversion of a gRPC call deadline into the absl::Time the event log takes, so that a call's
// deadline travels with its work (an append not written by then is not written at all).
// Thread-safe (no state).
#pragma once

#include <chrono>

#include "absl/time/time.h"

namespace hub::services {

// Returns `deadline` as an absl::Time; gRPC's "no deadline" (time_point::max()) becomes
// absl::InfiniteFuture(). Pass grpc::ServerContextBase::deadline().
absl::Time DeadlineFromGrpc(std::chrono::system_clock::time_point deadline);

}  // namespace hub::services
