// Conversions from eventstore results to hub.api.v1 wire messages, shared by the EventStore
// and LogAdmin services and by hubctl (which prints the same messages as JSON when it reads a
// data directory directly). Request translation and validation are not here: they live in
// services/eventstore/translate.h, the one place request fields are checked.
// Thread-safe (no state).
#pragma once

#include "eventstore/event_log.h"
#include "hub/api/v1/event_store_service.pb.h"

namespace hub::services {

// Fills `out` (cleared first) from a stored event.
void RecordedEventToProto(const eventstore::RecordedEvent& event, api::v1::RecordedEvent* out);

// Fills `out` (cleared first) with the head's position, raw link and hex link.
void HeadToProto(const eventstore::Head& head, api::v1::GetHeadResponse* out);

// Fills `out` (cleared first); first_bad_position is -1 when the report is ok.
void VerifyReportToProto(const eventstore::VerifyReport& report, api::v1::VerifyResponse* out);

}  // namespace hub::services
