#include "identity/rate_limiter.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace hub::identity {

RateLimiter::RateLimiter(const Options& options, const Clock& clock)
    : options_(options), clock_(clock) {}

absl::Status RateLimiter::Admit(std::string_view caller) {
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  auto it = buckets_.find(std::string(caller));
  if (it == buckets_.end()) {
    if (buckets_.size() >= options_.max_callers) SweepLocked(now);
    it = buckets_.emplace(std::string(caller), Bucket{static_cast<double>(options_.burst), now})
             .first;
  }
  Bucket& bucket = it->second;
  const double elapsed = std::max(0.0, absl::ToDoubleSeconds(now - bucket.updated));
  bucket.tokens = std::min(static_cast<double>(options_.burst),
                           bucket.tokens + elapsed * options_.per_second);
  bucket.updated = now;
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return absl::OkStatus();
  }
  const double wait_ms = std::ceil((1.0 - bucket.tokens) / options_.per_second * 1000.0);
  return absl::ResourceExhaustedError(
      absl::StrCat("rate limit: more than ", options_.per_second, " requests per second (burst ",
                   options_.burst, ") from this caller; retry after ",
                   static_cast<int64_t>(wait_ms), " ms"));
}

void RateLimiter::SweepLocked(absl::Time now) {
  // A bucket that has had time to refill completely is indistinguishable from a new one.
  const absl::Duration refill = absl::Seconds(options_.burst / options_.per_second);
  absl::erase_if(buckets_, [&](const auto& entry) { return now - entry.second.updated >= refill; });
  if (buckets_.size() >= options_.max_callers) {
    // Still full of active callers: forget all rather than grow without bound; the cost is
    // at most one extra burst per caller.
    buckets_.clear();
  }
}

size_t RateLimiter::tracked_callers() const {
  absl::MutexLock lock(&mu_);
  return buckets_.size();
}

}  // namespace hub::identity
