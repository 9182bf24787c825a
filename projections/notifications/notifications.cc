#include "projections/notifications/notifications.h"

#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace hub::projections {
namespace {

namespace cv1 = ::hub::common::v1;
namespace vv1 = ::hub::views::v1;

std::string PositionKey(int64_t position) {
  char buffer[24];
  std::snprintf(buffer, sizeof(buffer), "%020lld", static_cast<long long>(position));
  return buffer;
}

std::string AgencyPrefix(const std::string& agency_id) {
  return absl::StrCat("agency/", agency_id, "/");
}

// Writes `notification` to the lead and to the restriction's owner (once when they are one).
void NotifyLeadAndOwner(Txn& txn, int64_t position, vv1::Notification notification,
                        const std::string& lead, const std::string& owner) {
  auto put = [&](const std::string& recipient, vv1::NotifiedAs as) {
    notification.set_recipient_agency_id(recipient);
    notification.set_notified_as(as);
    txn.PutMessage(absl::StrCat(AgencyPrefix(recipient), PositionKey(position)), notification);
  };
  if (!lead.empty() && lead == owner) {
    put(lead, vv1::NOTIFIED_AS_LEAD_AND_OWNER);
    return;
  }
  if (!lead.empty()) put(lead, vv1::NOTIFIED_AS_LEAD);
  if (!owner.empty()) put(owner, vv1::NOTIFIED_AS_RESTRICTION_OWNER);
}

}  // namespace

absl::Status NotificationsProjection::Apply(const eventstore::RecordedEvent& record,
                                            const events::v1::Event& event, Txn& txn) {
  const int64_t position = record.position.value();
  vv1::Notification n;
  n.set_position(position);
  n.set_by_agency_id(event.actor().agency_id());
  n.set_by_agency_kind(event.actor().agency_kind());
  n.set_by_user_id(event.actor().user_id());
  *n.mutable_at() = event.occurred_at();
  if (event.has_emergency_access_granted()) {
    const events::v1::EmergencyAccessGranted& g = event.emergency_access_granted();
    n.set_kind(vv1::NOTIFICATION_KIND_EMERGENCY_ACCESS_GRANTED);
    n.set_concern_id(g.concern_id());
    // The grant names its practitioner; the envelope's actor is the same caller.
    if (!g.agency_id().empty()) n.set_by_agency_id(g.agency_id());
    if (!g.user_id().empty()) n.set_by_user_id(g.user_id());
    n.set_grant_id(g.grant_id());
    n.set_reason(g.reason());
    *n.mutable_expires_at() = g.expires_at();
    NotifyLeadAndOwner(txn, position, std::move(n), g.lead_agency_id(),
                       g.restricted_by_agency_id());
    return absl::OkStatus();
  }
  if (!event.has_disclosure_recorded()) return absl::OkStatus();
  const events::v1::DisclosureRecorded& d = event.disclosure_recorded();
  if (d.kind() != cv1::DISCLOSURE_KIND_CASE_VIEW) return absl::OkStatus();
  n.set_concern_id(d.concern_id());
  n.set_disclosure_id(d.disclosure_id());
  n.mutable_categories()->CopyFrom(d.categories());
  const std::string& owner = d.restricted_by_agency_id();
  if (d.break_glass()) {
    // Every use of a grant is told, not only the grant: the lead sees what was looked at.
    n.set_kind(vv1::NOTIFICATION_KIND_EMERGENCY_ACCESS_USED);
    n.set_grant_id(d.grant_id());
    n.set_reason(d.break_glass_reason());
    *n.mutable_expires_at() = d.grant_expires_at();
    NotifyLeadAndOwner(txn, position, std::move(n), d.lead_agency_id(), owner);
    return absl::OkStatus();
  }
  // The owner's own reads of its restricted case are no news to it.
  if (owner.empty() || owner == event.actor().agency_id()) return absl::OkStatus();
  n.set_kind(vv1::NOTIFICATION_KIND_RESTRICTED_CASE_ACCESSED);
  NotifyLeadAndOwner(txn, position, std::move(n), "", owner);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<vv1::Notification>> ListNotifications(eventstore::KvStore& store,
                                                                 const NotificationQuery& query) {
  std::vector<vv1::Notification> out;
  if (query.agency_id.empty() || query.limit <= 0) return out;
  const std::string prefix = DataKey(kNotificationsName, AgencyPrefix(query.agency_id));
  const std::string begin =
      query.after_position && *query.after_position >= 0
          ? absl::StrCat(prefix, PositionKey(*query.after_position + 1))
          : prefix;
  HUB_RETURN_IF_ERROR(store.Scan(
      begin, eventstore::PrefixEnd(prefix), [&](std::string_view key, std::string_view value) {
        vv1::Notification n;
        if (!ParseListEntry(kNotificationsName, key, value, n)) return true;
        out.push_back(std::move(n));
        return static_cast<int>(out.size()) < query.limit;
      }));
  return out;
}

}  // namespace hub::projections
