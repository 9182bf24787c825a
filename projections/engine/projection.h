// Projection: one read model folded from the log, and the engine that keeps every projection
// up to date.
//
// Each projection owns the keys under "p/<name>/" in the read-model store (eventstore::KvStore)
// and its checkpoint under "c/<name>". A worker thread per projection subscribes to the log
// from the checkpoint, folds a batch of events through Apply, and writes the batch's changes and
// the new checkpoint in one atomic KvBatch: after a crash the projection resumes from the
// checkpoint with nothing counted twice and nothing lost. Projections must be deterministic
// functions of the events (no clock, no randomness, deterministic serialisation), so that a
// rebuild from position 0 gives byte-identical keys and values.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "eventstore/event_log.h"
#include "eventstore/kv_store.h"
#include "google/protobuf/message_lite.h"
#include "hub/events/v1/events.pb.h"

namespace hub::projections {

// The key under which projection `name` stores its `key` ("p/<name>/<key>").
std::string DataKey(std::string_view name, std::string_view key);
// The key of projection `name`'s checkpoint ("c/<name>").
std::string CheckpointKey(std::string_view name);

// The key of projection `name`'s quarantine record for the event at `position`
// ("q/<name>/<position, 20 digits>"). Outside "p/<name>/", so no query of the read model meets it.
std::string QuarantineKey(std::string_view name, int64_t position);

// An event a projection could not fold because the event itself is bad: its payload does not
// decode, or Apply rejected it as corrupt (kDataLoss or kInvalidArgument not from the store).
// Recorded with the checkpoint that moves past it, so that a rebuild records it again.
struct QuarantinedEvent {
  int64_t position = 0;
  std::string stream;
  std::string type;
  std::string reason;
  bool operator==(const QuarantinedEvent&) const = default;
};

// Marks `status` as a failure of the read-model store (reading or parsing what a projection
// stored), never the event's: the engine then retries instead of quarantining the event, because
// skipping it would drop a good event (a damaged read model is repaired by a rebuild).
[[nodiscard]] absl::Status ReadModelError(absl::Status status);
// kDataLoss for a stored read-model record at `key` that cannot be parsed (a ReadModelError).
[[nodiscard]] absl::Status ReadModelCorruptError(std::string_view key);
// True when a fold failure is the event's own (see QuarantinedEvent): quarantine, not retry.
bool IsPoisonedEvent(const absl::Status& status);

// Serialises deterministically (the same message always gives the same bytes).
std::string SerializeDeterministic(const google::protobuf::MessageLite& message);

// The changes one batch makes to one projection's keys. Reads see the batch's own writes.
// Keys are relative to the projection's prefix. Not thread-safe.
class Txn {
 public:
  Txn(eventstore::KvStore& store, std::string_view name);
  [[nodiscard]] absl::StatusOr<std::optional<std::string>> Get(std::string_view key);
  // False when absent; kDataLoss when present but not parseable.
  [[nodiscard]] absl::StatusOr<bool> GetMessage(std::string_view key,
                                                google::protobuf::MessageLite* out);
  void Put(std::string_view key, std::string value);
  void PutMessage(std::string_view key, const google::protobuf::MessageLite& message);
  void Delete(std::string_view key);
  // Moves every change into `batch` (prefixed keys), in key order.
  void CommitTo(eventstore::KvBatch& batch);
  // Reads of keys not yet written in this batch go straight to the store.
  eventstore::KvStore& store() { return store_; }

 private:
  eventstore::KvStore& store_;
  std::string prefix_;
  absl::flat_hash_map<std::string, std::optional<std::string>> pending_;
};

class Projection {
 public:
  virtual ~Projection() = default;
  // Stable, lowercase, e.g. "case_file"; names the key prefix and `hubctl rebuild NAME`.
  virtual std::string_view name() const = 0;
  // Folds one hub event (already decoded from `record.payload`). Events the projection does
  // not use are ignored. kDataLoss or kInvalidArgument (unless a ReadModelError) rejects the
  // event as corrupt: the engine quarantines it and folds on. Any other error stops the
  // projection at its checkpoint (status shows it) and the batch is retried.
  [[nodiscard]] virtual absl::Status Apply(const eventstore::RecordedEvent& record,
                                           const events::v1::Event& event, Txn& txn) = 0;
  // Called once per batch before it is written: write out anything cached during Apply.
  [[nodiscard]] virtual absl::Status Flush(Txn& txn) { return absl::OkStatus(); }
  // Forget any cached state: the projection is being dropped for a rebuild, or a batch failed
  // and will be folded again from the stored read model. A projection may keep decoded records
  // cached across batches (it is the only writer of its keys) as long as Reset drops them.
  virtual void Reset() {}
};

struct ProjectionStatus {
  std::string name;
  int64_t position = 0;        // next global position to fold (= events folded so far)
  int64_t head = -1;           // the log's last committed position
  int64_t lag = 0;             // events committed but not yet folded
  bool rebuilding = false;
  int64_t rebuild_target = -1; // head when the rebuild began
  int64_t events_folded = 0;   // since start (or since the rebuild began)
  int64_t events_skipped = 0;  // records that are not hub events (e.g. raw EventStore appends)
  int64_t events_quarantined = 0;  // poisoned events skipped and recorded (all, as stored)
  int64_t unreadable_entries = 0;  // entries queries could not parse since start (rebuild)
  std::vector<QuarantinedEvent> quarantined;  // the first kQuarantineListed of them, by position
  std::string error;           // last error, empty when running normally
};

// How many quarantined events status() lists (the count covers them all).
inline constexpr size_t kQuarantineListed = 100;

struct EngineOptions {
  // Events read per atomic batch at most. Live, a batch holds what has arrived since the last
  // one; catching up, large batches let a projection's cache absorb many events per record
  // written (measured: 1,024 -> ~70k events/s, 8,192 -> ~130k for case file + person index).
  int batch_size = 8192;
  absl::Duration idle_poll = absl::Seconds(1);   // how often an idle worker checks for stop
};

// Runs every projection on its own worker thread. Thread-safe.
class ProjectionEngine {
 public:
  ProjectionEngine(eventstore::EventLog& log, eventstore::KvStore& store,
                   std::vector<std::unique_ptr<Projection>> projections,
                   EngineOptions options = {});
  ~ProjectionEngine();
  ProjectionEngine(const ProjectionEngine&) = delete;
  ProjectionEngine& operator=(const ProjectionEngine&) = delete;

  // Reads the checkpoints and starts the workers.
  [[nodiscard]] absl::Status Start();
  // Stops the workers after their current batch. Idempotent.
  void Stop();

  // Blocks (without spinning) until every projection named (all when empty) has folded the
  // event at `position`; false when `deadline` passes first or the engine stops.
  bool WaitFor(GlobalPosition position, absl::Time deadline,
               const std::vector<std::string_view>& names = {});

  // Drops the projection's keys and folds it again from position 0, in the background;
  // progress shows in status(). kNotFound for an unknown name.
  [[nodiscard]] absl::Status Rebuild(std::string_view name);

  std::vector<ProjectionStatus> status() const;
  std::vector<std::string> names() const;
  eventstore::KvStore& store() { return store_; }

 private:
  struct Worker;
  void Run(Worker& worker);

  eventstore::EventLog& log_;
  eventstore::KvStore& store_;
  EngineOptions options_;
  std::vector<std::unique_ptr<Worker>> workers_;
};

// What FoldRecords did, also when it failed part-way.
struct FoldOutcome {
  int64_t next = 0;     // the checkpoint written last (unchanged when nothing was written)
  int64_t folded = 0;   // hub events folded into written batches
  int64_t skipped = 0;  // records that are not hub events, in written batches
  std::vector<QuarantinedEvent> quarantined;  // recorded in written batches
};

// Folds `events` (read from the log in order, ending before `next_position`) into
// `projection`: the changes, quarantine records and the checkpoint `next_position` in one
// atomic batch. A poisoned event whose Apply failed may have left part of itself in the batch
// and the projection's cache, so the events before it are folded again from the store and
// written with its quarantine record and a checkpoint just past it; folding then goes on from
// the next event. Any other error returns at once with the projection Reset and `outcome`
// saying what was already written.
[[nodiscard]] absl::Status FoldRecords(eventstore::KvStore& store, Projection& projection,
                                       const std::vector<eventstore::RecordedEvent>& events,
                                       int64_t next_position, FoldOutcome& outcome);

// Every event projection `name` has quarantined, by position.
[[nodiscard]] absl::StatusOr<std::vector<QuarantinedEvent>> ListQuarantined(
    eventstore::KvStore& store, std::string_view name);

// Folds `projection` from its checkpoint to the log's head on the calling thread (hubctl's
// offline rebuild, tests and benchmarks). With `from_scratch`, drops its keys first.
// `progress` is called after every batch with the position reached.
[[nodiscard]] absl::Status CatchUp(eventstore::EventLog& log, eventstore::KvStore& store,
                                   Projection& projection, bool from_scratch,
                                   const std::function<void(int64_t)>& progress = nullptr,
                                   int batch_size = 8192);

// SHA-256 (hex) over the projection's keys and values in order, then its quarantine records:
// two stores hold byte-identical read models exactly when their digests match.
[[nodiscard]] absl::StatusOr<std::string> Digest(eventstore::KvStore& store,
                                                 std::string_view name);

// A read-model entry a query could not parse: lists skip it (one damaged entry must not take
// a whole MASH queue down), single reads refuse it; both count it here, per projection, for
// status() and `hubctl status`, and log it (the first 100, then every 1,000th). A rebuild
// writes it again. Thread-safe.
void ReportUnreadableEntry(std::string_view projection, std::string_view key);
int64_t UnreadableEntries(std::string_view projection);

// Parses a list entry of `projection` read at `key`: false, reported, when it cannot be parsed.
[[nodiscard]] bool ParseListEntry(std::string_view projection, std::string_view key,
                                  std::string_view value, google::protobuf::MessageLite& out);

// Reads projection `name`'s `key` into `out`: false when absent, kDataLoss when unparseable.
// The one way queries read a record, as Txn::GetMessage is for folds.
[[nodiscard]] absl::StatusOr<bool> ReadMessage(eventstore::KvStore& store, std::string_view name,
                                               std::string_view key,
                                               google::protobuf::MessageLite* out);

// The checkpoint stored for `name` (0 when none).
[[nodiscard]] absl::StatusOr<int64_t> ReadCheckpoint(eventstore::KvStore& store,
                                                     std::string_view name);

}  // namespace hub::projections
