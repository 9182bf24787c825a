// The audit of raw log access. The raw log (EventStore reads and subscriptions, LogAdmin
// backups, hubctl read on a data directory) hands out every event, personal data included,
// outside the information sharing agreement: each access appends a RawLogAccessed event to
// the operator-access stream, durably, before anything is returned. Used by the EventStore
// and LogAdmin services and by hubctl. Thread-safe (no state but a counter).
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "domain/common/context.h"
#include "eventstore/event_log.h"
#include "hub/events/v1/events.pb.h"

namespace hub::services {

// A reason longer than this is refused (INVALID_ARGUMENT naming the field).
inline constexpr size_t kMaxRawAccessReasonBytes = 1000;

// INVALID_ARGUMENT "<field>: ..." unless `reason` is valid UTF-8 of at most
// kMaxRawAccessReasonBytes; empty is allowed here (hubctl requires one of its users).
[[nodiscard]] absl::Status CheckRawAccessReason(const std::string& reason,
                                                const std::string& field);

// The append of one RawLogAccessed event by `caller` at `now` to the operator-access stream,
// with a fresh access_id and this host's name; `access` says what was accessed.
eventstore::AppendRequest RawAccessAppend(const domain::Caller& caller, absl::Time now,
                                          events::v1::RawLogAccessed access);

// The status to answer when the audit record could not be written: UNAVAILABLE, saying that
// nothing was handed out, with the log's reason.
[[nodiscard]] absl::Status RawAccessNotRecorded(const absl::Status& append_status);

// Appends the record (RawAccessAppend) and waits until it is durable. OK with the position of
// the record, or RawAccessNotRecorded's status: the caller must then hand out nothing.
[[nodiscard]] absl::StatusOr<int64_t> RecordRawAccess(eventstore::EventLog& log,
                                                      const domain::Caller& caller, absl::Time now,
                                                      events::v1::RawLogAccessed access);

}  // namespace hub::services
