#include "app/case_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "domain/common/envelope.h"
#include "app/command_request.h"

namespace hub::app {
namespace {

constexpr int kReadBatch = 500;

}  // namespace

eventstore::NewEvent EncodeEvent(const events::v1::Event& event,
                                 const std::string& causation_id) {
  eventstore::NewEvent record;
  record.type = domain::EventTypeName(event);
  record.payload = event.SerializeAsString();
  record.metadata.actor_agency = event.actor().agency_id();
  record.metadata.actor_user = event.actor().user_id();
  record.metadata.causation_id = causation_id;
  return record;
}

absl::StatusOr<LoadedStream> CaseStore::Load(const std::string& stream,
                                             absl::Time deadline) const {
  LoadedStream loaded;
  loaded.name = stream;
  eventstore::ReadStreamOptions options;
  options.from = StreamVersion(0);
  options.limit = kReadBatch;
  while (true) {
    HUB_ASSIGN_OR_RETURN(eventstore::ReadStreamResult batch, log_.ReadStream(stream, options));
    for (const eventstore::RecordedEvent& recorded : batch.events) {
      events::v1::Event event;
      if (!event.ParseFromString(recorded.payload)) {
        return absl::DataLossError(absl::StrCat("stream ", stream, " version ",
                                                recorded.stream_version.value(),
                                                ": payload is not a hub event"));
      }
      loaded.events.push_back(std::move(event));
      loaded.positions.push_back(recorded.position);
      loaded.version = recorded.stream_version;
    }
    if (batch.end_of_stream || batch.events.empty()) break;
    if (absl::Now() > deadline) return absl::DeadlineExceededError("reading " + stream);
    options.from = loaded.version.Next();
  }
  return loaded;
}

absl::StatusOr<CommandOutcome> CaseStore::Append(const std::string& stream,
                                                 eventstore::ExpectedVersion expected,
                                                 const std::vector<events::v1::Event>& events,
                                                 const domain::CommandContext& ctx,
                                                 absl::Time deadline) {
  eventstore::AppendRequest request;
  request.stream = stream;
  request.expected = expected;
  // The log bounds its keys; a key made long by a long user id is replaced by its digest.
  request.idempotency_key =
      ctx.command_key.size() <= eventstore::Limits().max_idempotency_key_length
          ? ctx.command_key
          : absl::StrCat("key:", DeriveId(ctx.command_key, "idempotency"));
  request.deadline = deadline;
  for (const events::v1::Event& event : events) {
    if (event.payload_case() == events::v1::Event::PAYLOAD_NOT_SET) {
      return absl::InternalError("an event without a payload");
    }
    request.events.push_back(EncodeEvent(event, ctx.command_key));
  }
  absl::StatusOr<eventstore::AppendResult> appended = log_.Append(std::move(request));
  if (appended.status().code() == absl::StatusCode::kAlreadyExists) {
    // The same command raced with itself (a retry while the original was in flight) and wrote
    // differently stamped events first: answer with what it wrote.
    HUB_ASSIGN_OR_RETURN(LoadedStream reloaded, Load(stream, deadline));
    if (std::optional<CommandOutcome> original = FindApplied(reloaded, ctx.command_key)) {
      return *original;
    }
  }
  if (!appended.ok()) return appended.status();
  CommandOutcome outcome;
  outcome.stream = stream;
  outcome.version = appended->last_version;
  outcome.position = appended->last_position;
  outcome.replayed = appended->duplicate;
  return outcome;
}

const events::v1::Event* FindAppliedEvent(const LoadedStream& stream,
                                          std::string_view command_key) {
  if (command_key.empty()) return nullptr;
  for (size_t i = stream.events.size(); i-- > 0;) {
    if (stream.events[i].command_id() == command_key) return &stream.events[i];
  }
  return nullptr;
}

std::optional<CommandOutcome> FindApplied(const LoadedStream& stream,
                                          std::string_view command_key) {
  const events::v1::Event* event = FindAppliedEvent(stream, command_key);
  if (event == nullptr) return std::nullopt;
  const size_t i = static_cast<size_t>(event - stream.events.data());
  CommandOutcome outcome;
  outcome.stream = stream.name;
  outcome.version = StreamVersion(static_cast<int64_t>(i));
  outcome.position = stream.positions[i];
  outcome.replayed = true;
  return outcome;
}

absl::StatusOr<CommandOutcome> RunCommand(CaseStore& store, const std::string& stream,
                                          std::string_view not_found_field,
                                          std::string_view what, int64_t expected_version,
                                          const domain::CommandContext& ctx,
                                          absl::Time deadline, AuthorizeFn authorize,
                                          DecideFn decide) {
  HUB_ASSIGN_OR_RETURN(LoadedStream loaded, store.Load(stream, deadline));
  // A retry is answered before anything else: the stream has moved on since, by design. The
  // key is the caller's own (agency, user, command id), so it reveals nothing new.
  if (std::optional<CommandOutcome> original = FindApplied(loaded, ctx.command_key)) {
    return *original;
  }
  // Who may act, before the stream's existence or version is told to anyone.
  HUB_RETURN_IF_ERROR(authorize(loaded));
  if (!loaded.exists()) {
    return absl::NotFoundError(absl::StrCat(std::string(not_found_field), ": no such ",
                                            std::string(what)));
  }
  const eventstore::ExpectedVersion expected =
      eventstore::ExpectedVersion::Exact(StreamVersion(expected_version));
  // Deciding against a state the client has not seen would defeat optimistic concurrency.
  if (loaded.version.value() != expected_version) {
    return eventstore::WrongExpectedVersionError(stream, expected, loaded.version);
  }
  HUB_ASSIGN_OR_RETURN(std::vector<events::v1::Event> events, decide(loaded));
  if (events.empty()) {
    CommandOutcome unchanged;
    unchanged.stream = stream;
    unchanged.version = loaded.version;
    unchanged.position = loaded.positions.back();
    return unchanged;
  }
  return store.Append(stream, expected, events, ctx, deadline);
}

void ToProto(const CommandOutcome& outcome, api::v1::CommandResult* result) {
  result->set_stream(outcome.stream);
  result->set_version(outcome.version.value());
  result->set_global_position(outcome.position.value());
  result->set_replayed(outcome.replayed);
}

}  // namespace hub::app
