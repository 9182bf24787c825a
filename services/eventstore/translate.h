// Translation between hub.api.v1 EventStore/LogAdmin messages and eventstore structs.
//
// The one place request fields are validated: every INVALID_ARGUMENT produced here names the
// proto field ("expected_version: required", "limit: must be between 1 and 1000"). Append
// validation reuses eventstore::ValidateAppendRequest, whose messages already use the API's
// field names ("events[1].event_id: ..."), so a rejected request never reaches the log.
// Thread-safe (no state).
#pragma once

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "eventstore/event_log.h"
#include "hub/api/v1/event_store_service.pb.h"
#include "hub/events/v1/events.pb.h"

namespace hub::services {

// Read limits: 0 in a request means kDefaultReadLimit; above kMaxReadLimit is refused.
inline constexpr int kDefaultReadLimit = 100;
inline constexpr int kMaxReadLimit = 1000;
// A read response stops adding events past this size (but always holds at least one), so a
// page of large events never exceeds a client's default 4 MiB receive limit; the response then
// says where to continue.
inline constexpr size_t kMaxReadResponseBytes = 3 << 20;

// Returns the log request for `request`, carrying `deadline`, or INVALID_ARGUMENT naming the
// first bad field (checked against `limits`, the same limits the log enforces).
[[nodiscard]] absl::StatusOr<eventstore::AppendRequest> AppendRequestFromProto(
    const api::v1::AppendRequest& request, absl::Time deadline, const eventstore::Limits& limits);
void AppendResultToProto(const eventstore::AppendResult& result, api::v1::AppendResponse* out);

struct ReadStreamQuery {
  std::string stream;
  eventstore::ReadStreamOptions options;
};
// INVALID_ARGUMENT for a bad stream name, limit, from_version or reason.
[[nodiscard]] absl::StatusOr<ReadStreamQuery> ReadStreamQueryFromProto(
    const api::v1::ReadStreamRequest& request, const eventstore::Limits& limits);
// Fills `out` with at most `max_bytes` of events (at least one); if events are left out,
// end_of_stream is false and the caller continues after the last event returned.
void ReadStreamResultToProto(const eventstore::ReadStreamResult& result, size_t max_bytes,
                             api::v1::ReadStreamResponse* out);

// INVALID_ARGUMENT for a negative from_position, a bad limit, an over-long filter or a bad
// reason.
[[nodiscard]] absl::StatusOr<eventstore::ReadAllOptions> ReadAllOptionsFromProto(
    const api::v1::ReadAllRequest& request, absl::Time deadline, const eventstore::Limits& limits);
// Fills `out` with at most `max_bytes` of events (at least one); if events are left out,
// next_position is the first of them and end_of_log is false.
void ReadAllResultToProto(const eventstore::ReadAllResult& result, size_t max_bytes,
                          api::v1::ReadAllResponse* out);

struct SubscribeQuery {
  GlobalPosition from;
  eventstore::Subscription::Filter filter;
};
// INVALID_ARGUMENT for a negative from_position, an over-long filter or a bad reason.
[[nodiscard]] absl::StatusOr<SubscribeQuery> SubscribeQueryFromProto(
    const api::v1::SubscribeRequest& request, const eventstore::Limits& limits);

// INVALID_ARGUMENT for a negative expected_position or a link that is not 64 hex digits.
[[nodiscard]] absl::StatusOr<eventstore::VerifyOptions> VerifyOptionsFromProto(
    const api::v1::VerifyRequest& request);

// Returns the checkpoint directory inside `backup_dir` (an absolute, normalised path without
// symbolic links: hubd canonicalises --backup_dir at start). `directory` is a plain name
// ([A-Za-z0-9][A-Za-z0-9._-]*, at most 128 characters) or an absolute path that is, once
// normalised, such a name directly inside `backup_dir`. INVALID_ARGUMENT "directory: ..."
// otherwise (empty, "..", a relative path, a path elsewhere), or for a bad reason;
// FAILED_PRECONDITION when `backup_dir` is empty (backups are not configured).
[[nodiscard]] absl::StatusOr<std::string> BackupDirectoryFromProto(
    const api::v1::BackupRequest& request, const std::string& backup_dir);

// PERMISSION_DENIED unless `request` may be appended through the raw EventStore: no event may
// be of a hub event type (domain::IsHubEventType) and the stream may not be one of the hub's
// own (domain::IsHubStream). Hub events enter the log only through the domain's commands, so
// that a raw append can neither forge one nor move a case's version.
[[nodiscard]] absl::Status CheckRawAppend(const eventstore::AppendRequest& request);

// What each raw read or backup touched, for its RawLogAccessed record (raw_access.h). The
// requests must have been validated by the *FromProto functions above (reason included).
events::v1::RawLogAccessed RawAccessOf(const api::v1::ReadStreamRequest& request);
events::v1::RawLogAccessed RawAccessOf(const api::v1::ReadAllRequest& request);
events::v1::RawLogAccessed RawAccessOf(const api::v1::SubscribeRequest& request);
events::v1::RawLogAccessed RawAccessOf(const api::v1::BackupRequest& request,
                                       const std::string& target, const eventstore::Head& head);

}  // namespace hub::services
