// CaseStore: loading a case's stream of hub events and appending a command's events to it,
// and RunCommand, the load -> replay check -> expected version -> decide -> append sequence
// that every command handler shares. Thread-safe (the EventLog is).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/ids.h"
#include "domain/common/context.h"
#include "eventstore/event_log.h"
#include "hub/api/v1/command.pb.h"
#include "hub/events/v1/events.pb.h"

namespace hub::app {

// A stream as read: its decoded events in order, with their log positions.
struct LoadedStream {
  std::string name;
  StreamVersion version = kNoStreamVersion;  // last version; -1 if the stream does not exist
  std::vector<events::v1::Event> events;
  std::vector<GlobalPosition> positions;  // positions[i] is events[i]'s global position
  bool exists() const { return version != kNoStreamVersion; }
};

// Where a command left a stream.
struct CommandOutcome {
  std::string stream;
  StreamVersion version = kNoStreamVersion;
  GlobalPosition position{-1};
  bool replayed = false;  // a retry of a command already applied: nothing was written
};

// A hub event as the log stores it: its payload's name as the type, the serialised event, and
// the actor (from the event's envelope) and `causation_id` in the metadata. The one encoding
// of hub events into log records.
eventstore::NewEvent EncodeEvent(const events::v1::Event& event,
                                 const std::string& causation_id = "");

class CaseStore {
 public:
  explicit CaseStore(eventstore::EventLog& log) : log_(log) {}

  // Reads the whole stream. A stream that does not exist loads empty. kDataLoss if an event
  // cannot be decoded (logged in full by the gRPC boundary, not sent to the client).
  [[nodiscard]] absl::StatusOr<LoadedStream> Load(const std::string& stream,
                                                  absl::Time deadline) const;

  // Appends `events` (all stamped with ctx.command_key) atomically with `expected`, using the
  // command key as the log's idempotency key. kAborted carries the actual version; a repeat
  // of the same command returns the original outcome with replayed = true.
  [[nodiscard]] absl::StatusOr<CommandOutcome> Append(const std::string& stream,
                                                      eventstore::ExpectedVersion expected,
                                                      const std::vector<events::v1::Event>& events,
                                                      const domain::CommandContext& ctx,
                                                      absl::Time deadline);

  eventstore::EventLog& log() { return log_; }

 private:
  eventstore::EventLog& log_;
};

// The original outcome if `command_key` already wrote to `stream` (its last event).
std::optional<CommandOutcome> FindApplied(const LoadedStream& stream,
                                          std::string_view command_key);
// The last event `command_key` wrote to `stream`, or nullptr: what a retry answers from.
const events::v1::Event* FindAppliedEvent(const LoadedStream& stream,
                                          std::string_view command_key);

using DecideFn =
    absl::FunctionRef<absl::StatusOr<std::vector<events::v1::Event>>(const LoadedStream&)>;
// Decides whether the caller may act on the stream as loaded (AuthorizeOnCase with the
// caller's standing): runs before the stream's existence or version is revealed.
using AuthorizeFn = absl::FunctionRef<absl::Status(const LoadedStream&)>;

// Runs one command on an existing stream:
//   load; if the command was already applied, return its original outcome (replayed);
//   authorize (kPermissionDenied passes through; it sees a missing stream as empty, so that an
//   unconnected caller learns nothing of whether it exists);
//   kNotFound "<not_found_field>: no such <what>" if the stream does not exist;
//   kAborted (with the actual version) if expected_version differs from the stream's;
//   decide (domain errors pass through unchanged); append with Exact(expected_version).
// `expected_version` must be set (translation refuses a missing one).
[[nodiscard]] absl::StatusOr<CommandOutcome> RunCommand(
    CaseStore& store, const std::string& stream, std::string_view not_found_field,
    std::string_view what, int64_t expected_version, const domain::CommandContext& ctx,
    absl::Time deadline, AuthorizeFn authorize, DecideFn decide);

void ToProto(const CommandOutcome& outcome, api::v1::CommandResult* result);

}  // namespace hub::app
