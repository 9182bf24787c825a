// RateLimiter: a token bucket per caller, so that one agency's runaway integration (or a
// stolen credential) cannot starve the MASH of the hub. Buckets of callers idle long enough
// to have refilled are forgotten, which bounds memory by the callers active in that time.
// Thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/clock.h"

namespace hub::identity {

class RateLimiter {
 public:
  struct Options {
    double per_second = 20;  // sustained rate per caller
    int burst = 100;         // requests a caller may make at once after being idle
    size_t max_callers = 100000;  // beyond this, idle buckets are swept first
  };
  RateLimiter(const Options& options, const Clock& clock);

  // Takes one request from `caller`'s bucket: OK, or kResourceExhausted saying when to retry.
  [[nodiscard]] absl::Status Admit(std::string_view caller);

  size_t tracked_callers() const;

 private:
  struct Bucket {
    double tokens;
    absl::Time updated;
  };
  void SweepLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  const Clock& clock_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hub::identity
