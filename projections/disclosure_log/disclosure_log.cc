#include "projections/disclosure_log/disclosure_log.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace hub::projections {
namespace {

std::string PositionKey(int64_t position) {
  char buffer[24];
  std::snprintf(buffer, sizeof(buffer), "%020lld", static_cast<long long>(position));
  return buffer;
}

// A break-glass grant is kept in the adult's log beside the reads it allowed: who asked, when,
// why and until when, even if the grant was never used.
void ApplyGrant(const eventstore::RecordedEvent& record, const events::v1::Event& event,
                Txn& txn) {
  const events::v1::EmergencyAccessGranted& g = event.emergency_access_granted();
  if (g.person_id().empty()) return;
  views::v1::DisclosureEntry entry;
  entry.set_disclosure_id(g.grant_id());
  *entry.mutable_at() = event.occurred_at();
  entry.set_kind(common::v1::DISCLOSURE_KIND_EMERGENCY_ACCESS_GRANTED);
  entry.set_agency_id(g.agency_id());
  entry.set_agency_kind(event.actor().agency_kind());
  entry.set_user_id(g.user_id());
  entry.mutable_roles()->CopyFrom(event.actor().roles());
  entry.set_concern_id(g.concern_id());
  entry.set_purpose(g.purpose());
  entry.set_relationship(common::v1::RELATIONSHIP_NONE);
  entry.set_position(record.position.value());
  entry.set_break_glass(true);
  entry.set_grant_id(g.grant_id());
  entry.set_break_glass_reason(g.reason());
  *entry.mutable_grant_expires_at() = g.expires_at();
  entry.set_restricted_by_agency_id(g.restricted_by_agency_id());
  txn.PutMessage(absl::StrCat("person/", g.person_id(), "/", PositionKey(record.position.value())),
                 entry);
}

}  // namespace

absl::Status DisclosureLogProjection::Apply(const eventstore::RecordedEvent& record,
                                            const events::v1::Event& event, Txn& txn) {
  if (event.has_emergency_access_granted()) {
    ApplyGrant(record, event, txn);
    return absl::OkStatus();
  }
  if (!event.has_disclosure_recorded()) return absl::OkStatus();
  const events::v1::DisclosureRecorded& d = event.disclosure_recorded();
  views::v1::DisclosureEntry entry;
  entry.set_disclosure_id(d.disclosure_id());
  *entry.mutable_at() = event.occurred_at();
  entry.set_kind(d.kind());
  entry.set_agency_id(event.actor().agency_id());
  entry.set_agency_kind(event.actor().agency_kind());
  entry.set_user_id(event.actor().user_id());
  entry.mutable_roles()->CopyFrom(event.actor().roles());
  entry.set_concern_id(d.concern_id());
  entry.set_purpose(d.purpose());
  entry.mutable_categories()->CopyFrom(d.categories());
  entry.mutable_withheld()->CopyFrom(d.withheld());
  entry.mutable_lawful_bases()->CopyFrom(d.lawful_bases());
  entry.set_relationship(d.relationship());
  entry.set_consent_to_share(d.consent_to_share());
  entry.mutable_override_grounds()->CopyFrom(d.override_grounds());
  entry.set_agreement_version(d.agreement_version());
  entry.set_position(record.position.value());
  entry.set_break_glass(d.break_glass());
  entry.set_grant_id(d.grant_id());
  entry.set_break_glass_reason(d.break_glass_reason());
  if (d.has_grant_expires_at()) *entry.mutable_grant_expires_at() = d.grant_expires_at();
  entry.set_restricted_by_agency_id(d.restricted_by_agency_id());
  const std::string key =
      d.person_id().empty()
          ? absl::StrCat("unmatched/", PositionKey(record.position.value()))
          : absl::StrCat("person/", d.person_id(), "/", PositionKey(record.position.value()));
  txn.PutMessage(key, entry);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<views::v1::DisclosureEntry>> ListDisclosures(
    eventstore::KvStore& store, const DisclosureQuery& query) {
  std::vector<views::v1::DisclosureEntry> out;
  const std::string prefix = DataKey(kDisclosureLogName, absl::StrCat("person/", query.person_id, "/"));
  HUB_RETURN_IF_ERROR(store.ScanBackward(
      prefix, eventstore::PrefixEnd(prefix), [&](std::string_view key, std::string_view value) {
        views::v1::DisclosureEntry entry;
        if (!ParseListEntry(kDisclosureLogName, key, value, entry)) return true;
        const bool lookup = entry.kind() == common::v1::DISCLOSURE_KIND_LOOKUP;
        if (query.lookups_only && !lookup) return true;
        if (!query.concern_id.empty() && !lookup && entry.concern_id() != query.concern_id) {
          return true;
        }
        out.push_back(std::move(entry));
        return static_cast<int>(out.size()) < query.limit;
      }));
  return out;
}

}  // namespace hub::projections
