#include "identity/rate_limiter.h"

#include "absl/time/time.h"
#include "base/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hub::identity {
namespace {

using ::hub::testing::StatusIs;
using ::testing::HasSubstr;

RateLimiter::Options Limits(double per_second, int burst, size_t max_callers = 1000) {
  RateLimiter::Options options;
  options.per_second = per_second;
  options.burst = burst;
  options.max_callers = max_callers;
  return options;
}

TEST(RateLimiterTest, AllowsTheBurstThenRefusesWithWhenToRetry) {
  ManualClock clock(absl::FromUnixSeconds(1'800'000'000));
  RateLimiter limiter(Limits(2, 5), clock);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.Admit("police/pc1").ok()) << i;
  const absl::Status refused = limiter.Admit("police/pc1");
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(std::string(refused.message()), HasSubstr("retry after 500 ms"));
}

TEST(RateLimiterTest, RefillsAtTheSustainedRate) {
  ManualClock clock(absl::FromUnixSeconds(1'800'000'000));
  RateLimiter limiter(Limits(2, 5), clock);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(limiter.Admit("a/u").ok());
  EXPECT_FALSE(limiter.Admit("a/u").ok());
  clock.Advance(absl::Milliseconds(499));
  EXPECT_FALSE(limiter.Admit("a/u").ok());
  clock.Advance(absl::Milliseconds(2));
  EXPECT_TRUE(limiter.Admit("a/u").ok());
  EXPECT_FALSE(limiter.Admit("a/u").ok());
  // A long idle period refills only up to the burst.
  clock.Advance(absl::Hours(1));
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.Admit("a/u").ok()) << i;
  EXPECT_FALSE(limiter.Admit("a/u").ok());
}

TEST(RateLimiterTest, CallersHaveTheirOwnBuckets) {
  ManualClock clock(absl::FromUnixSeconds(1'800'000'000));
  RateLimiter limiter(Limits(1, 1), clock);
  EXPECT_TRUE(limiter.Admit("police/pc1").ok());
  EXPECT_FALSE(limiter.Admit("police/pc1").ok());
  EXPECT_TRUE(limiter.Admit("police/pc2").ok());
  EXPECT_TRUE(limiter.Admit("asc/sw1").ok());
}

TEST(RateLimiterTest, ForgetsIdleCallersToStayBounded) {
  ManualClock clock(absl::FromUnixSeconds(1'800'000'000));
  RateLimiter limiter(Limits(10, 10, /*max_callers=*/3), clock);
  ASSERT_TRUE(limiter.Admit("a").ok());
  ASSERT_TRUE(limiter.Admit("b").ok());
  ASSERT_TRUE(limiter.Admit("c").ok());
  EXPECT_EQ(limiter.tracked_callers(), 3u);
  clock.Advance(absl::Seconds(2));  // a, b and c have refilled: nothing is lost by forgetting
  ASSERT_TRUE(limiter.Admit("d").ok());
  EXPECT_EQ(limiter.tracked_callers(), 1u);
}

}  // namespace
}  // namespace hub::identity
