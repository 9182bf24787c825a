#include "services/common/deadline.h"

namespace hub::services {

absl::Time DeadlineFromGrpc(std::chrono::system_clock::time_point deadline) {
  // gRPC reports "no deadline" as the largest time_point; anything past year 2200 is treated
  // the same, which also keeps the conversion far from overflow.
  constexpr auto kFarFuture = std::chrono::hours(24 * 365 * 230);
  if (deadline.time_since_epoch() >= kFarFuture) return absl::InfiniteFuture();
  return absl::FromChrono(deadline);
}

}  // namespace hub::services
