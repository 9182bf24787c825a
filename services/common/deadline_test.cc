#include "services/common/deadline.h"

#include <chrono>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace hub::services {
namespace {

TEST(DeadlineFromGrpcTest, NoDeadlineIsInfiniteFuture) {
  EXPECT_EQ(DeadlineFromGrpc(std::chrono::system_clock::time_point::max()),
            absl::InfiniteFuture());
}

TEST(DeadlineFromGrpcTest, FiniteDeadlineIsKept) {
  const auto now = std::chrono::system_clock::now();
  const auto deadline = now + std::chrono::milliseconds(1500);
  EXPECT_EQ(DeadlineFromGrpc(deadline), absl::FromChrono(deadline));
  EXPECT_LT(DeadlineFromGrpc(now - std::chrono::seconds(1)), absl::FromChrono(now));
}

}  // namespace
}  // namespace hub::services
