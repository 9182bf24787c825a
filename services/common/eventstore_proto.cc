#include "services/common/eventstore_proto.h"

#include <cstdint>

#include "absl/time/time.h"

namespace hub::services {
namespace {

void TimeToProto(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t seconds = absl::ToUnixSeconds(t);
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>((t - absl::FromUnixSeconds(seconds)) /
                                      absl::Nanoseconds(1)));
}

}  // namespace

void RecordedEventToProto(const eventstore::RecordedEvent& event, api::v1::RecordedEvent* out) {
  out->Clear();
  out->set_event_id(event.event_id);
  out->set_type(event.type);
  out->set_schema_version(event.schema_version);
  out->set_payload(event.payload);
  api::v1::EventMetadata* metadata = out->mutable_metadata();
  metadata->set_actor_agency(event.metadata.actor_agency);
  metadata->set_actor_user(event.metadata.actor_user);
  metadata->set_correlation_id(event.metadata.correlation_id);
  metadata->set_causation_id(event.metadata.causation_id);
  out->set_stream(event.stream);
  out->set_stream_version(event.stream_version.value());
  out->set_global_position(event.position.value());
  TimeToProto(event.recorded_at, out->mutable_recorded_at());
  out->set_link(event.link);
}

void HeadToProto(const eventstore::Head& head, api::v1::GetHeadResponse* out) {
  out->Clear();
  out->set_position(head.position.value());
  out->set_link(head.link);
  out->set_link_hex(eventstore::LinkToHex(head.link));
}

void VerifyReportToProto(const eventstore::VerifyReport& report, api::v1::VerifyResponse* out) {
  out->Clear();
  out->set_ok(report.ok);
  out->set_events_checked(report.events_checked);
  out->set_first_bad_position(
      report.first_bad_position.has_value() ? report.first_bad_position->value() : -1);
  out->set_problem(report.problem);
  HeadToProto(report.head, out->mutable_head());
}

}  // namespace hub::services
