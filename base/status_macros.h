// Status propagation macros. Debian 12's Abseil (20220623) has no ABSL_RETURN_IF_ERROR or
// ABSL_ASSIGN_OR_RETURN; these are the project's equivalents, named so an upgrade is a rename.
// Header-only; thread-safe (no state).
#pragma once

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"

#define HUB_STATUS_CONCAT_INNER_(a, b) a##b
#define HUB_STATUS_CONCAT_(a, b) HUB_STATUS_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` (an absl::Status) is not OK.
#define HUB_RETURN_IF_ERROR(expr)                         \
  do {                                                    \
    ::absl::Status hub_status_ = (expr);                  \
    if (!hub_status_.ok()) return hub_status_;            \
  } while (0)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status, otherwise
// assigns the value to `lhs` (which may be a declaration).
#define HUB_ASSIGN_OR_RETURN(lhs, rexpr) \
  HUB_ASSIGN_OR_RETURN_IMPL_(HUB_STATUS_CONCAT_(hub_statusor_, __LINE__), lhs, rexpr)

#define HUB_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                               \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

namespace hub {

// Prefixes `context` to a failed status's message, keeping its code and its payloads (what a
// caller learns from them, such as a stale version's actual version or whose failure it was,
// must survive the added words).
[[nodiscard]] inline absl::Status Annotate(const absl::Status& status, std::string_view context) {
  if (status.ok()) return status;
  absl::Status annotated(status.code(),
                         std::string(context) + ": " + std::string(status.message()));
  status.ForEachPayload([&](absl::string_view type_url, const absl::Cord& payload) {
    annotated.SetPayload(type_url, payload);
  });
  return annotated;
}

}  // namespace hub
