// GoogleTest matchers for absl::Status / absl::StatusOr, with Abseil's names (IsOk,
// IsOkAndHolds, StatusIs) so that a later Abseil upgrade is a `using` change.
#pragma once

#include <ostream>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace hub::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

MATCHER(IsOk, "is OK") {
  const absl::Status& s = ::hub::testing::GetStatus(arg);
  if (!s.ok()) *result_listener << "status is " << s;
  return s.ok();
}

MATCHER_P(IsOkAndHolds, inner, "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(inner, *arg, result_listener);
}

MATCHER_P(StatusIs, code, "has status code " + ::testing::PrintToString(code)) {
  const absl::Status& s = ::hub::testing::GetStatus(arg);
  if (s.code() != code) *result_listener << "status is " << s;
  return s.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher, "has status code and matching message") {
  const absl::Status& s = ::hub::testing::GetStatus(arg);
  if (s.code() != code) {
    *result_listener << "status is " << s;
    return false;
  }
  return ::testing::ExplainMatchResult(message_matcher, std::string(s.message()),
                                       result_listener);
}

}  // namespace hub::testing

#define HUB_ASSERT_OK(expr) ASSERT_THAT((expr), ::hub::testing::IsOk())
#define HUB_EXPECT_OK(expr) EXPECT_THAT((expr), ::hub::testing::IsOk())
