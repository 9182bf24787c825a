#include "eventstore/event_log.h"

#include <future>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "eventstore/internal/sha256.h"

namespace hub::eventstore {
namespace {

// Status payload URL carrying the actual stream version of an expected-version mismatch.
constexpr char kActualVersionPayload[] = "type.hub/eventstore.actual_version";

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool IsUuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !IsLowerHex(s[i])) return false;
  }
  return true;
}

bool IsTypeName(const std::string& s, size_t max) {
  if (s.empty() || s.size() > max) return false;
  if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) return false;
  for (char c : s) {
    if (!IsAlnum(c) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

// Metadata and keys are identifiers, not prose: printable ASCII keeps them safe in logs.
bool IsPrintableAscii(const std::string& s) {
  for (char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

absl::Status CheckMetadataField(const std::string& value, const std::string& field,
                                const Limits& limits) {
  if (value.size() > limits.max_metadata_field_length) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": at most ", limits.max_metadata_field_length, " characters"));
  }
  if (!IsPrintableAscii(value)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must be printable ASCII"));
  }
  return absl::OkStatus();
}

}  // namespace

bool ExpectedVersion::Matches(StreamVersion actual) const {
  switch (kind_) {
    case Kind::kAny:
      return true;
    case Kind::kNoStream:
      return actual == kNoStreamVersion;
    case Kind::kStreamExists:
      return actual != kNoStreamVersion;
    case Kind::kExact:
      return actual == version_;
  }
  return false;
}

std::string ExpectedVersion::ToString() const {
  switch (kind_) {
    case Kind::kAny:
      return "any";
    case Kind::kNoStream:
      return "no stream";
    case Kind::kStreamExists:
      return "stream exists";
    case Kind::kExact:
      return absl::StrCat("version ", version_.value());
  }
  return "unknown";
}

absl::StatusOr<AppendResult> EventLog::Append(AppendRequest request) {
  std::promise<absl::StatusOr<AppendResult>> promise;
  auto future = promise.get_future();
  AppendAsync(std::move(request), [&promise](absl::StatusOr<AppendResult> result) mutable {
    promise.set_value(std::move(result));
  });
  return future.get();
}

std::optional<StreamVersion> ActualVersion(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kAborted) return std::nullopt;
  auto payload = status.GetPayload(kActualVersionPayload);
  int64_t v = 0;
  if (!payload || !absl::SimpleAtoi(std::string(*payload), &v)) return std::nullopt;
  return StreamVersion(v);
}

absl::Status WrongExpectedVersionError(const std::string& stream, const ExpectedVersion& expected,
                                       StreamVersion actual) {
  absl::Status s = absl::AbortedError(
      absl::StrCat("wrong expected version for stream '", stream, "': expected ",
                   expected.ToString(), ", actual version ", actual.value()));
  s.SetPayload(kActualVersionPayload, absl::Cord(absl::StrCat(actual.value())));
  return s;
}

absl::Status ValidateStreamName(const std::string& stream, const Limits& limits) {
  if (stream.empty()) return absl::InvalidArgumentError("stream: required");
  if (stream.size() > limits.max_stream_name_length) {
    return absl::InvalidArgumentError(
        absl::StrCat("stream: at most ", limits.max_stream_name_length, " characters"));
  }
  if (!IsAlnum(stream[0])) {
    return absl::InvalidArgumentError("stream: must start with a letter or digit");
  }
  for (char c : stream) {
    if (!IsAlnum(c) && c != '_' && c != '.' && c != ':' && c != '@' && c != '/' && c != '-') {
      return absl::InvalidArgumentError(
          "stream: may contain only letters, digits and _ . : @ / -");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateAppendRequest(const AppendRequest& request, const Limits& limits) {
  HUB_RETURN_IF_ERROR(ValidateStreamName(request.stream, limits));
  if (request.expected.kind() == ExpectedVersion::Kind::kExact &&
      request.expected.version().value() < 0) {
    return absl::InvalidArgumentError("expected_version.exact: must be >= 0");
  }
  if (request.events.empty()) {
    return absl::InvalidArgumentError("events: at least one event is required");
  }
  if (request.events.size() > limits.max_events_per_append) {
    return absl::InvalidArgumentError(absl::StrCat(
        "events: at most ", limits.max_events_per_append, " events per append"));
  }
  if (request.idempotency_key.size() > limits.max_idempotency_key_length) {
    return absl::InvalidArgumentError(absl::StrCat(
        "idempotency_key: at most ", limits.max_idempotency_key_length, " characters"));
  }
  if (!IsPrintableAscii(request.idempotency_key)) {
    return absl::InvalidArgumentError("idempotency_key: must be printable ASCII");
  }
  size_t total = 0;
  absl::flat_hash_set<std::string> ids;
  for (size_t i = 0; i < request.events.size(); ++i) {
    const NewEvent& e = request.events[i];
    const std::string field = absl::StrCat("events[", i, "]");
    if (!e.event_id.empty()) {
      if (!IsUuid(e.event_id)) {
        return absl::InvalidArgumentError(absl::StrCat(
            field, ".event_id: must be a lowercase UUID (8-4-4-4-12 hex digits) or empty"));
      }
      if (!ids.insert(e.event_id).second) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".event_id: repeats an earlier event of this append"));
      }
    }
    if (e.type.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ".type: required"));
    if (!IsTypeName(e.type, limits.max_type_length)) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".type: must start with a letter, contain only letters, digits and _ . -, "
                 "and be at most ",
          limits.max_type_length, " characters"));
    }
    if (e.schema_version == 0) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".schema_version: must be >= 1"));
    }
    HUB_RETURN_IF_ERROR(CheckMetadataField(e.metadata.actor_agency,
                                           field + ".metadata.actor_agency", limits));
    HUB_RETURN_IF_ERROR(
        CheckMetadataField(e.metadata.actor_user, field + ".metadata.actor_user", limits));
    HUB_RETURN_IF_ERROR(CheckMetadataField(e.metadata.correlation_id,
                                           field + ".metadata.correlation_id", limits));
    HUB_RETURN_IF_ERROR(CheckMetadataField(e.metadata.causation_id,
                                           field + ".metadata.causation_id", limits));
    const size_t size = e.payload.size() + e.type.size() + e.event_id.size() +
                        e.metadata.actor_agency.size() + e.metadata.actor_user.size() +
                        e.metadata.correlation_id.size() + e.metadata.causation_id.size();
    if (size > limits.max_event_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": event is ", size,
                                                     " bytes; at most ", limits.max_event_bytes));
    }
    total += size;
  }
  if (total > limits.max_append_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("events: append is ", total, " bytes; at most ",
                                                   limits.max_append_bytes));
  }
  return absl::OkStatus();
}

std::string LinkToHex(const std::string& link) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(link.size() * 2);
  for (unsigned char c : link) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

absl::StatusOr<std::string> LinkFromHex(const std::string& hex) {
  if (hex.size() != 2 * eventstore_internal::kDigestSize) {
    return absl::InvalidArgumentError("link: must be 64 hex digits");
  }
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    int v = 0;
    for (int k = 0; k < 2; ++k) {
      const char c = hex[i + k];
      int d = (c >= '0' && c <= '9')   ? c - '0'
              : (c >= 'a' && c <= 'f') ? c - 'a' + 10
              : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                       : -1;
      if (d < 0) return absl::InvalidArgumentError("link: must be 64 hex digits");
      v = v * 16 + d;
    }
    out.push_back(static_cast<char>(v));
  }
  return out;
}

Subscription::Subscription(EventLog& log, GlobalPosition from, Filter filter, int batch_size)
    : log_(log), next_(from), filter_(std::move(filter)), batch_size_(batch_size) {}

absl::StatusOr<std::vector<RecordedEvent>> Subscription::Next(absl::Time deadline) {
  while (true) {
    ReadAllOptions options;
    options.from = next_;
    options.limit = batch_size_;
    options.stream_prefix = filter_.stream_prefix;
    options.event_type = filter_.event_type;
    // No deadline on the read itself: max_scan bounds it, and an expired wait is not an error.
    HUB_ASSIGN_OR_RETURN(ReadAllResult result, log_.ReadAll(options));
    next_ = result.next;
    if (!result.events.empty()) return std::move(result.events);
    if (!result.end_of_log) continue;  // a filtered scan hit max_scan: keep going
    // Caught up: sleep until the next position is committed (no busy wait).
    if (!log_.WaitForPosition(next_, deadline)) return std::vector<RecordedEvent>{};
  }
}

}  // namespace hub::eventstore
