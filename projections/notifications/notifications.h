// NotificationsProjection ("notifications"): per recipient agency, what it must be told about
// access to the cases it leads or has restricted:
//   - EmergencyAccessGranted  -> EMERGENCY_ACCESS_GRANTED to the lead and the restriction owner;
//   - a break-glass case view -> EMERGENCY_ACCESS_USED to the lead and the restriction owner;
//   - any other case view of a restricted case by an agency other than the owner
//                             -> RESTRICTED_CASE_ACCESSED to the owner.
// The recipients come from the events themselves (the lead and owner as the case stood when the
// grant or read was recorded), never from another read model, so the fold is deterministic and
// rebuilds byte for byte. One event notifies an agency at most once (lead and owner combined).
//
// Keys (under "p/notifications/"):
//   agency/<agency_id>/<position, 20 digits> -> hub.views.v1.Notification
// so an agency's notifications are one ordered range and a cursor is a global position.
//
// Thread-compatible; the query function is thread-safe (KvStore is).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "eventstore/kv_store.h"
#include "hub/views/v1/notifications.pb.h"
#include "projections/engine/projection.h"

namespace hub::projections {

inline constexpr char kNotificationsName[] = "notifications";

class NotificationsProjection final : public Projection {
 public:
  std::string_view name() const override { return kNotificationsName; }
  [[nodiscard]] absl::Status Apply(const eventstore::RecordedEvent& record,
                                   const events::v1::Event& event, Txn& txn) override;
};

struct NotificationQuery {
  std::string agency_id;
  std::optional<int64_t> after_position;  // only positions after it; nullopt = from the start
  int limit = 100;
};

// The agency's notifications after the cursor, oldest first, at most `limit`.
[[nodiscard]] absl::StatusOr<std::vector<views::v1::Notification>> ListNotifications(
    eventstore::KvStore& store, const NotificationQuery& query);

}  // namespace hub::projections
