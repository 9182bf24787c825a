// Validation shared by every command's translation (services/<context>/translate.cc): the
// command header, ids, free text and enum values. Errors are kInvalidArgument naming the
// field and the reason ("details.what_happened: required"). Thread-safe (no state).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "domain/common/context.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/generated_enum_reflection.h"
#include "google/protobuf/timestamp.pb.h"
#include "hub/api/v1/command.pb.h"
#include "identity/access.h"

namespace hub::app {

inline constexpr size_t kMaxCommandIdLength = 64;

// The limits in force (identity::RequestLimits, from the access file). Process-wide because every translation function checks them; set at
// start-up, before any request, and read-only after (tests may set and restore them).
const identity::RequestLimits& CurrentRequestLimits();
void SetRequestLimits(const identity::RequestLimits& limits);

// Validates `header` and builds the command context. `creates` commands must not set
// expected_version; others must (returned through `expected_version`). The command key is
// "<agency_id>/<command_id>"; new_id is derived from it (DeriveId(key, "new")).
[[nodiscard]] absl::StatusOr<domain::CommandContext> MakeCommandContext(
    const domain::Caller& caller, const api::v1::CommandHeader& header, absl::Time now,
    bool creates, int64_t* expected_version);

// A stable id in UUID form derived from a command key and a purpose (SHA-256), so that a
// retried command derives the same ids and a different command different ones.
std::string DeriveId(std::string_view command_key, std::string_view purpose);

// HMAC-SHA-256 of `purpose` and `data` under `key`, lowercase hex: a digest that records what
// was asked without letting anyone who reads it try every NHS number (a bare hash would).
std::string KeyedDigest(std::string_view key, std::string_view purpose, std::string_view data);

// A fresh random key of `bytes` bytes (OpenSSL's RAND_bytes), for KeyedDigest.
std::string RandomKey(size_t bytes = 32);

// An id the hub issued (concern, enquiry, person, request ...): required, 1..64 of
// [A-Za-z0-9-].
[[nodiscard]] absl::Status CheckId(std::string_view field, std::string_view value);

// Free text: at most `max` bytes of valid UTF-8; if `required`, not blank.
[[nodiscard]] absl::Status CheckText(std::string_view field, std::string_view value, size_t max,
                                     bool required);

// CheckText with the short (names, labels) and long (narratives) limits.
[[nodiscard]] inline absl::Status CheckShortText(std::string_view field, std::string_view value,
                                                 bool required = false) {
  return CheckText(field, value, CurrentRequestLimits().max_short_text, required);
}
[[nodiscard]] inline absl::Status CheckLongText(std::string_view field, std::string_view value,
                                                bool required = false) {
  return CheckText(field, value, CurrentRequestLimits().max_long_text, required);
}

// A list's length: at most the max_list_length in force (and at least `min`).
[[nodiscard]] absl::Status CheckListSize(std::string_view field, int size, int min = 0);

// An enum value known to this build; if `required`, not the _UNSPECIFIED zero.
[[nodiscard]] absl::Status CheckEnum(std::string_view field,
                                     const google::protobuf::EnumDescriptor* descriptor,
                                     int value, bool required);
template <typename E>
[[nodiscard]] absl::Status CheckEnum(std::string_view field, E value, bool required) {
  return CheckEnum(field, google::protobuf::GetEnumDescriptor<E>(), static_cast<int>(value),
                   required);
}

// A timestamp within the representable range (0001..9999) with valid nanos.
[[nodiscard]] absl::Status CheckTimestamp(std::string_view field,
                                          const google::protobuf::Timestamp& value,
                                          bool required);

// "field[i]" and "parent.child" for error messages.
std::string Field(std::string_view parent, std::string_view child);
std::string Field(std::string_view parent, int index);

}  // namespace hub::app
