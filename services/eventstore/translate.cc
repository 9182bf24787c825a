#include "services/eventstore/translate.h"

#include <algorithm>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "domain/common/envelope.h"
#include "domain/common/streams.h"
#include "services/common/eventstore_proto.h"
#include "services/eventstore/raw_access.h"

namespace hub::services {
namespace {

absl::StatusOr<eventstore::ExpectedVersion> ExpectedVersionFromProto(
    const api::v1::AppendRequest& request) {
  const api::v1::ExpectedVersion& expected = request.expected_version();
  // A oneof bool that is present but false says nothing; refuse it rather than guess.
  switch (expected.kind_case()) {
    case api::v1::ExpectedVersion::kAny:
      if (!expected.any()) return absl::InvalidArgumentError("expected_version.any: must be true");
      return eventstore::ExpectedVersion::Any();
    case api::v1::ExpectedVersion::kNoStream:
      if (!expected.no_stream()) {
        return absl::InvalidArgumentError("expected_version.no_stream: must be true");
      }
      return eventstore::ExpectedVersion::NoStream();
    case api::v1::ExpectedVersion::kStreamExists:
      if (!expected.stream_exists()) {
        return absl::InvalidArgumentError("expected_version.stream_exists: must be true");
      }
      return eventstore::ExpectedVersion::StreamExists();
    case api::v1::ExpectedVersion::kExact:
      if (expected.exact() < 0) {
        return absl::InvalidArgumentError(
            "expected_version.exact: must be >= 0 (use no_stream for a new stream)");
      }
      return eventstore::ExpectedVersion::Exact(StreamVersion(expected.exact()));
    case api::v1::ExpectedVersion::KIND_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError(
      "expected_version: required (one of any, no_stream, stream_exists, exact)");
}

absl::StatusOr<int> LimitFromProto(int32_t limit) {
  if (limit == 0) return kDefaultReadLimit;
  if (limit < 1 || limit > kMaxReadLimit) {
    return absl::InvalidArgumentError(absl::StrCat("limit: must be between 1 and ", kMaxReadLimit,
                                                   " (0 means ", kDefaultReadLimit, "), got ",
                                                   limit));
  }
  return limit;
}

absl::Status ValidateFilter(const std::string& stream_prefix, const std::string& event_type,
                            const eventstore::Limits& limits) {
  if (stream_prefix.size() > limits.max_stream_name_length) {
    return absl::InvalidArgumentError(absl::StrCat(
        "stream_prefix: at most ", limits.max_stream_name_length, " characters"));
  }
  if (event_type.size() > limits.max_type_length) {
    return absl::InvalidArgumentError(
        absl::StrCat("event_type: at most ", limits.max_type_length, " characters"));
  }
  return absl::OkStatus();
}

absl::StatusOr<GlobalPosition> FromPositionFromProto(int64_t from_position) {
  if (from_position < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("from_position: must be >= 0, got ", from_position));
  }
  return GlobalPosition(from_position);
}

// Appends events to `out` while their encoded size stays within `max_bytes`, always at least
// one; returns how many were added.
size_t AddEvents(const std::vector<eventstore::RecordedEvent>& events, size_t max_bytes,
                 google::protobuf::RepeatedPtrField<api::v1::RecordedEvent>& out) {
  size_t bytes = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    api::v1::RecordedEvent* event = out.Add();
    RecordedEventToProto(events[i], event);
    bytes += event->ByteSizeLong();
    if (bytes > max_bytes && i > 0) {
      out.RemoveLast();
      return i;
    }
  }
  return events.size();
}

}  // namespace

absl::StatusOr<eventstore::AppendRequest> AppendRequestFromProto(
    const api::v1::AppendRequest& request, absl::Time deadline, const eventstore::Limits& limits) {
  eventstore::AppendRequest out;
  HUB_ASSIGN_OR_RETURN(out.expected, ExpectedVersionFromProto(request));
  out.stream = request.stream();
  out.events.reserve(request.events_size());
  for (const api::v1::NewEvent& in : request.events()) {
    eventstore::NewEvent& event = out.events.emplace_back();
    event.event_id = in.event_id();
    event.type = in.type();
    // proto3 cannot tell 0 from unset; the API documents 0 as "1".
    event.schema_version = in.schema_version() == 0 ? 1 : in.schema_version();
    event.payload = in.payload();
    event.metadata.actor_agency = in.metadata().actor_agency();
    event.metadata.actor_user = in.metadata().actor_user();
    event.metadata.correlation_id = in.metadata().correlation_id();
    event.metadata.causation_id = in.metadata().causation_id();
  }
  out.idempotency_key = request.idempotency_key();
  out.deadline = deadline;
  // The log's own validator already names fields as the API does (stream, events[i].*,
  // idempotency_key); checking here means bad input is refused before it is queued.
  HUB_RETURN_IF_ERROR(eventstore::ValidateAppendRequest(out, limits));
  return out;
}

void AppendResultToProto(const eventstore::AppendResult& result, api::v1::AppendResponse* out) {
  out->set_first_stream_version(result.first_version.value());
  out->set_last_stream_version(result.last_version.value());
  out->set_first_global_position(result.first_position.value());
  out->set_last_global_position(result.last_position.value());
  out->set_duplicate(result.duplicate);
}

absl::StatusOr<ReadStreamQuery> ReadStreamQueryFromProto(const api::v1::ReadStreamRequest& request,
                                                         const eventstore::Limits& limits) {
  ReadStreamQuery query;
  HUB_RETURN_IF_ERROR(eventstore::ValidateStreamName(request.stream(), limits));
  query.stream = request.stream();
  HUB_ASSIGN_OR_RETURN(query.options.limit, LimitFromProto(request.limit()));
  HUB_RETURN_IF_ERROR(CheckRawAccessReason(request.reason(), "reason"));
  switch (request.direction()) {
    case api::v1::READ_DIRECTION_UNSPECIFIED:
    case api::v1::READ_DIRECTION_FORWARD:
      if (request.from_version() < 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "from_version: must be >= 0 when reading forward, got ", request.from_version()));
      }
      query.options.direction = eventstore::Direction::kForward;
      break;
    case api::v1::READ_DIRECTION_BACKWARD:
      if (request.from_version() < -1) {
        return absl::InvalidArgumentError(
            absl::StrCat("from_version: must be >= 0, or -1 for the end, when reading "
                         "backward, got ",
                         request.from_version()));
      }
      query.options.direction = eventstore::Direction::kBackward;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("direction: unknown value ", static_cast<int>(request.direction())));
  }
  query.options.from = StreamVersion(request.from_version());
  return query;
}

void ReadStreamResultToProto(const eventstore::ReadStreamResult& result, size_t max_bytes,
                             api::v1::ReadStreamResponse* out) {
  const size_t kept = AddEvents(result.events, max_bytes, *out->mutable_events());
  out->set_last_stream_version(result.last_version.value());
  out->set_end_of_stream(result.end_of_stream && kept == result.events.size());
}

absl::StatusOr<eventstore::ReadAllOptions> ReadAllOptionsFromProto(
    const api::v1::ReadAllRequest& request, absl::Time deadline, const eventstore::Limits& limits) {
  eventstore::ReadAllOptions options;
  HUB_ASSIGN_OR_RETURN(options.from, FromPositionFromProto(request.from_position()));
  HUB_ASSIGN_OR_RETURN(options.limit, LimitFromProto(request.limit()));
  HUB_RETURN_IF_ERROR(ValidateFilter(request.stream_prefix(), request.event_type(), limits));
  HUB_RETURN_IF_ERROR(CheckRawAccessReason(request.reason(), "reason"));
  options.stream_prefix = request.stream_prefix();
  options.event_type = request.event_type();
  options.deadline = deadline;
  return options;
}

void ReadAllResultToProto(const eventstore::ReadAllResult& result, size_t max_bytes,
                          api::v1::ReadAllResponse* out) {
  const size_t kept = AddEvents(result.events, max_bytes, *out->mutable_events());
  if (kept < result.events.size()) {
    out->set_next_position(result.events[kept].position.value());
    out->set_end_of_log(false);
  } else {
    out->set_next_position(result.next.value());
    out->set_end_of_log(result.end_of_log);
  }
}

absl::StatusOr<SubscribeQuery> SubscribeQueryFromProto(const api::v1::SubscribeRequest& request,
                                                       const eventstore::Limits& limits) {
  SubscribeQuery query;
  HUB_ASSIGN_OR_RETURN(query.from, FromPositionFromProto(request.from_position()));
  HUB_RETURN_IF_ERROR(ValidateFilter(request.stream_prefix(), request.event_type(), limits));
  HUB_RETURN_IF_ERROR(CheckRawAccessReason(request.reason(), "reason"));
  query.filter.stream_prefix = request.stream_prefix();
  query.filter.event_type = request.event_type();
  return query;
}

absl::StatusOr<eventstore::VerifyOptions> VerifyOptionsFromProto(
    const api::v1::VerifyRequest& request) {
  eventstore::VerifyOptions options;
  if (!request.check_expected()) return options;
  if (request.expected_position() < 0) {
    return absl::InvalidArgumentError(absl::StrCat("expected_position: must be >= 0, got ",
                                                   request.expected_position()));
  }
  absl::StatusOr<std::string> link = eventstore::LinkFromHex(request.expected_link_hex());
  if (!link.ok()) {
    return absl::InvalidArgumentError("expected_link_hex: must be 64 hex digits");
  }
  options.expected_position = GlobalPosition(request.expected_position());
  options.expected_link = *std::move(link);
  return options;
}

absl::StatusOr<std::string> BackupDirectoryFromProto(const api::v1::BackupRequest& request,
                                                     const std::string& backup_dir) {
  if (backup_dir.empty()) {
    return absl::FailedPreconditionError(
        "backups are not configured on this hub: start hubd with --backup_dir");
  }
  HUB_RETURN_IF_ERROR(CheckRawAccessReason(request.reason(), "reason"));
  const std::string& directory = request.directory();
  if (directory.empty()) return absl::InvalidArgumentError("directory: required");
  std::string name = directory;
  if (directory.front() == '/') {
    // An absolute path is accepted only when it names an entry directly in the backup
    // directory once "." and ".." are resolved; symbolic links cannot lead out, because the
    // entry must not exist and the backup directory has none.
    const std::filesystem::path normal = std::filesystem::path(directory).lexically_normal();
    if (normal.parent_path() != std::filesystem::path(backup_dir)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "directory: must be a name in the backup directory ", backup_dir, ", got '", directory,
          "'"));
    }
    name = normal.filename().string();
  }
  constexpr size_t kMaxNameLength = 128;
  const bool valid =
      !name.empty() && name.size() <= kMaxNameLength && absl::ascii_isalnum(name.front()) &&
      std::all_of(name.begin(), name.end(), [](char c) {
        return absl::ascii_isalnum(c) || c == '.' || c == '_' || c == '-';
      });
  if (!valid) {
    return absl::InvalidArgumentError(absl::StrCat(
        "directory: must be a name of letters, digits, '.', '_' and '-' (at most ",
        kMaxNameLength, ", starting with a letter or digit) in the backup directory; got '",
        directory, "'"));
  }
  return (std::filesystem::path(backup_dir) / name).string();
}

absl::Status CheckRawAppend(const eventstore::AppendRequest& request) {
  for (size_t i = 0; i < request.events.size(); ++i) {
    if (domain::IsHubEventType(request.events[i].type)) {
      return absl::PermissionDeniedError(absl::StrCat(
          "events[", i, "].type: '", request.events[i].type,
          "' is a hub event; hub events enter the log only through the domain's commands "
          "(the People, ReferralIntake, Mash, Enquiry, Advocacy and Views services)"));
    }
  }
  if (domain::IsHubStream(request.stream)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "stream: '", request.stream,
        "' is one of the hub's own streams; hub events enter the log only through the "
        "domain's commands, so raw appends may not write to it"));
  }
  return absl::OkStatus();
}

events::v1::RawLogAccessed RawAccessOf(const api::v1::ReadStreamRequest& request) {
  events::v1::RawLogAccessed access;
  access.set_method("EventStore.ReadStream");
  access.set_stream(request.stream());
  access.set_from(request.from_version());
  access.set_limit(request.limit() == 0 ? kDefaultReadLimit : request.limit());
  access.set_backward(request.direction() == api::v1::READ_DIRECTION_BACKWARD);
  access.set_reason(request.reason());
  return access;
}

events::v1::RawLogAccessed RawAccessOf(const api::v1::ReadAllRequest& request) {
  events::v1::RawLogAccessed access;
  access.set_method("EventStore.ReadAll");
  access.set_from(request.from_position());
  access.set_limit(request.limit() == 0 ? kDefaultReadLimit : request.limit());
  access.set_stream_prefix(request.stream_prefix());
  access.set_event_type(request.event_type());
  access.set_reason(request.reason());
  return access;
}

events::v1::RawLogAccessed RawAccessOf(const api::v1::SubscribeRequest& request) {
  events::v1::RawLogAccessed access;
  access.set_method("EventStore.Subscribe");
  access.set_from(request.from_position());
  access.set_stream_prefix(request.stream_prefix());
  access.set_event_type(request.event_type());
  access.set_reason(request.reason());
  return access;
}

events::v1::RawLogAccessed RawAccessOf(const api::v1::BackupRequest& request,
                                       const std::string& target, const eventstore::Head& head) {
  events::v1::RawLogAccessed access;
  access.set_method("LogAdmin.Backup");
  access.set_backup_target(target);
  access.set_head_position(head.position.value());
  access.set_head_link(eventstore::LinkToHex(head.link));
  access.set_reason(request.reason());
  return access;
}

}  // namespace hub::services
