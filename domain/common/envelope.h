// Building and reading event envelopes (hub.events.v1.Event): every event a command causes
// carries the same time, actor and command key. Thread-safe (no state).
#pragma once

#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "domain/common/context.h"
#include "google/protobuf/timestamp.pb.h"
#include "hub/events/v1/events.pb.h"

namespace hub::domain {

// An empty envelope stamped with the context's time, caller and command key; the caller sets
// one payload.
events::v1::Event NewEvent(const CommandContext& ctx);

// The payload's message name, used as the log record's type ("ConcernRaised"); "" if unset.
std::string EventTypeName(const events::v1::Event& event);

// True when `type` names one of Event's payload messages ("EmergencyAccessGranted"): the
// records the projections fold as hub events.
bool IsHubEventType(std::string_view type);

google::protobuf::Timestamp ToTimestamp(absl::Time t);
absl::Time FromTimestamp(const google::protobuf::Timestamp& t);

}  // namespace hub::domain
