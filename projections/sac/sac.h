// SacProjection: the facts the Safeguarding Adults Collection (SAC), the annual statutory
// return, is computed from (hub/views/v1/sac.proto). The return itself is computed at query
// time by range scans (sac_report.h), so demographics are read as the person record stands.
//
//   person/<person_id>                 SacDemographics, as the person record now stands
//   concern/<concern_id>               SacConcern
//   enquiry/<enquiry_id>               SacEnquiry (opening, then conclusion)
//   raised/<utc>/<concern_id>          empty: concerns by the time they were raised
//   opened/<utc>/<enquiry_id>          empty: enquiries by the time they commenced
//   concluded/<utc>/<enquiry_id>       empty: enquiries by the time they concluded
//
// <utc> is SacTimeKey(occurred_at): fixed width, so key order is time order and a reporting
// year is one range scan. Only counted fields are kept (no names, addresses or narrative).
//
// Driven by one engine worker (not thread-safe). It keeps no cache: every event touches one
// record once, and the Txn answers reads of the batch's own writes.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "projections/engine/projection.h"

namespace hub::projections {

class SacProjection final : public Projection {
 public:
  static constexpr std::string_view kName = "sac";

  std::string_view name() const override { return kName; }
  [[nodiscard]] absl::Status Apply(const eventstore::RecordedEvent& record,
                                   const events::v1::Event& event, Txn& txn) override;
};

// "2025-03-31T23:00:00.000000000Z": the instant in UTC, fixed width (years 1000-9999).
std::string SacTimeKey(absl::Time t);

}  // namespace hub::projections
