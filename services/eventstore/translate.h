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
absl::StatusOr<eventstore::AppendRequest> AppendRequestFromProto(
    const api::v1::AppendRequest& request, absl::Time deadline, const eventstore::Limits& limits);
void AppendResultToProto(const eventstore::AppendResult& result, api::v1::AppendResponse* out);

struct ReadStreamQuery {
  std::string stream;
  eventstore::ReadStreamOptions options;
};
// INVALID_ARGUMENT for a bad stream name, limit or from_version.
absl::StatusOr<ReadStreamQuery> ReadStreamQueryFromProto(const api::v1::ReadStreamRequest& request,
                                                         const eventstore::Limits& limits);
// Fills `out` with at most `max_bytes` of events (at least one); if events are left out,
// end_of_stream is false and the caller continues after the last event returned.
void ReadStreamResultToProto(const eventstore::ReadStreamResult& result, size_t max_bytes,
                             api::v1::ReadStreamResponse* out);

// INVALID_ARGUMENT for a negative from_position, a bad limit or an over-long filter.
absl::StatusOr<eventstore::ReadAllOptions> ReadAllOptionsFromProto(
    const api::v1::ReadAllRequest& request, absl::Time deadline, const eventstore::Limits& limits);
// Fills `out` with at most `max_bytes` of events (at least one); if events are left out,
// next_position is the first of them and end_of_log is false.
void ReadAllResultToProto(const eventstore::ReadAllResult& result, size_t max_bytes,
                          api::v1::ReadAllResponse* out);

struct SubscribeQuery {
  GlobalPosition from;
  eventstore::Subscription::Filter filter;
};
// INVALID_ARGUMENT for a negative from_position or an over-long filter.
absl::StatusOr<SubscribeQuery> SubscribeQueryFromProto(const api::v1::SubscribeRequest& request,
                                                       const eventstore::Limits& limits);

// INVALID_ARGUMENT for a negative expected_position or a link that is not 64 hex digits.
absl::StatusOr<eventstore::VerifyOptions> VerifyOptionsFromProto(
    const api::v1::VerifyRequest& request);

// Returns the checkpoint directory; INVALID_ARGUMENT unless it is a non-empty absolute path.
absl::StatusOr<std::string> BackupDirectoryFromProto(const api::v1::BackupRequest& request);

}  // namespace hub::services
