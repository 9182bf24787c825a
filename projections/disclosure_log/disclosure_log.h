// DisclosureLogProjection ("disclosure_log"): per person, every read of their data and every
// lookup that found them — who (agency, user, roles), when, what categories, for what purpose,
// under which lawful basis, with the consent status or override ground relied on.
//
// Break-glass: a case view under an emergency access grant says so, with the grant and its
// reason; the grant itself (EmergencyAccessGranted) is an entry of kind
// EMERGENCY_ACCESS_GRANTED, so the log shows a grant even if it was never used.
//
// Keys: "person/<person_id>/<position, 20 digits>" -> hub.views.v1.DisclosureEntry, in log
// order; lookups that found no one are kept under "unmatched/<position>" (no person, no query:
// only its hash). Thread-compatible; the query functions are thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "eventstore/kv_store.h"
#include "hub/views/v1/case_file.pb.h"
#include "projections/engine/projection.h"

namespace hub::projections {

inline constexpr char kDisclosureLogName[] = "disclosure_log";

class DisclosureLogProjection final : public Projection {
 public:
  std::string_view name() const override { return kDisclosureLogName; }
  [[nodiscard]] absl::Status Apply(const eventstore::RecordedEvent& record,
                                   const events::v1::Event& event, Txn& txn) override;
};

struct DisclosureQuery {
  std::string person_id;
  std::string concern_id;  // only entries for this case (lookups always included); "" = all
  bool lookups_only = false;
  int limit = 1000;        // newest first
};

// The person's disclosure log, newest first.
[[nodiscard]] absl::StatusOr<std::vector<views::v1::DisclosureEntry>> ListDisclosures(
    eventstore::KvStore& store, const DisclosureQuery& query);

}  // namespace hub::projections
