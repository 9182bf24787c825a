#include "projections/engine/projection.h"

#include <openssl/evp.h>

#include <algorithm>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/cord.h"
#include "absl/synchronization/mutex.h"
#include "base/log.h"
#include "domain/common/envelope.h"
#include "base/status_macros.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace hub::projections {
namespace {

// Debian's Abseil has its own string_view: convert explicitly.
absl::string_view A(std::string_view v) { return absl::string_view(v.data(), v.size()); }

using eventstore::KvBatch;
using eventstore::KvStore;
using eventstore::RecordedEvent;

std::string DataPrefix(std::string_view name) { return absl::StrCat("p/", A(name), "/"); }

std::string EncodeCheckpoint(int64_t position) { return absl::StrCat(position); }


// Decodes a record into a hub event; nullopt for records that are not hub events. A hub type
// whose payload does not parse is kDataLoss: the event itself is poisoned.
absl::StatusOr<std::optional<events::v1::Event>> Decode(const RecordedEvent& record) {
  if (!domain::IsHubEventType(record.type)) return std::nullopt;
  // Projections take aggregate ids from the stream name, and the log accepts only names of its
  // own alphabet: a name outside it was damaged on disk, and an id made of it would be written
  // into read models that could not then be read back (proto3 strings must be UTF-8).
  if (!eventstore::ValidateStreamName(record.stream, eventstore::Limits()).ok()) {
    return absl::DataLossError(absl::StrCat(record.type, " on a stream whose name the log ",
                                            "would never accept: the record is damaged"));
  }
  events::v1::Event event;
  if (!event.ParseFromString(record.payload)) {
    return absl::DataLossError(absl::StrCat("payload of ", record.type, " cannot be decoded"));
  }
  return event;
}

// Marks a status as the read-model store's (ReadModelError); the value is unused.
constexpr char kReadModelPayload[] = "type.hub/projections.ReadModelError";

std::string QuarantinePrefix(std::string_view name) { return absl::StrCat("q/", A(name), "/"); }

// Quarantine record value: stream and type (neither can hold a newline: the log validates
// them), then the reason.
std::string EncodeQuarantined(const QuarantinedEvent& q) {
  return absl::StrCat(q.stream, "\n", q.type, "\n", q.reason);
}

QuarantinedEvent Quarantine(const RecordedEvent& record, const absl::Status& why) {
  // Escaped: a damaged stream name may hold anything, a newline included.
  return {record.position.value(), absl::CHexEscape(record.stream), absl::CHexEscape(record.type),
          std::string(why.message())};
}

// Applies events[from, to) to `txn`, counting into `folded` and `skipped`. Stops at the first
// event that fails: `poisoned` then says which (when its failure is the event's own), and
// decoding failures are quarantined without stopping (nothing of them reached the txn).
absl::Status ApplyRange(Projection& projection, const std::vector<RecordedEvent>& events,
                        size_t from, size_t to, Txn& txn, int64_t& folded, int64_t& skipped,
                        std::vector<QuarantinedEvent>& quarantined,
                        std::optional<size_t>& poisoned) {
  for (size_t i = from; i < to; ++i) {
    const RecordedEvent& record = events[i];
    absl::StatusOr<std::optional<events::v1::Event>> event = Decode(record);
    if (!event.ok()) {
      quarantined.push_back(Quarantine(record, event.status()));
      continue;
    }
    if (!*event) {
      ++skipped;
      continue;
    }
    absl::Status applied = projection.Apply(record, **event, txn);
    if (!applied.ok()) {
      if (IsPoisonedEvent(applied)) poisoned = i;
      return Annotate(applied, absl::StrCat("projection ", A(projection.name()), " at position ",
                                            record.position.value()));
    }
    ++folded;
  }
  return absl::OkStatus();
}

// Flushes `txn` and writes it with `quarantined` and the checkpoint `next`, in one batch.
absl::Status Commit(KvStore& store, Projection& projection, Txn& txn,
                    const std::vector<QuarantinedEvent>& quarantined, int64_t next) {
  HUB_RETURN_IF_ERROR(projection.Flush(txn));
  KvBatch batch;
  txn.CommitTo(batch);
  for (const QuarantinedEvent& q : quarantined) {
    batch.Put(QuarantineKey(projection.name(), q.position), EncodeQuarantined(q));
  }
  batch.Put(CheckpointKey(projection.name()), EncodeCheckpoint(next));
  return store.Write(batch);
}

absl::Status FoldRecordsOrFail(KvStore& store, Projection& projection,
                               const std::vector<RecordedEvent>& events, int64_t next_position,
                               FoldOutcome& outcome) {
  size_t begin = 0;
  while (begin < events.size()) {
    Txn txn(store, projection.name());
    int64_t folded = 0, skipped = 0;
    std::vector<QuarantinedEvent> quarantined;
    std::optional<size_t> poisoned;
    absl::Status status = ApplyRange(projection, events, begin, events.size(), txn, folded,
                                     skipped, quarantined, poisoned);
    int64_t next = next_position;
    if (!status.ok()) {
      if (!poisoned) return status;
      // Apply may have left part of the poisoned event in the txn and in the projection's
      // cache: drop both and fold the events before it again, from the store.
      const size_t bad = *poisoned;
      projection.Reset();
      Txn clean(store, projection.name());
      folded = skipped = 0;
      quarantined.clear();
      std::optional<size_t> again;
      HUB_RETURN_IF_ERROR(ApplyRange(projection, events, begin, bad, clean, folded, skipped,
                                     quarantined, again));
      quarantined.push_back(Quarantine(events[bad], status));
      next = bad + 1 < events.size() ? events[bad + 1].position.value() : next_position;
      HUB_RETURN_IF_ERROR(Commit(store, projection, clean, quarantined, next));
      begin = bad + 1;
    } else {
      HUB_RETURN_IF_ERROR(Commit(store, projection, txn, quarantined, next));
      begin = events.size();
    }
    outcome.next = next;
    outcome.folded += folded;
    outcome.skipped += skipped;
    for (QuarantinedEvent& q : quarantined) outcome.quarantined.push_back(std::move(q));
  }
  return absl::OkStatus();
}

absl::Status DropKeys(KvStore& store, Projection& projection) {
  KvBatch batch;
  const std::string prefix = DataPrefix(projection.name());
  batch.DeleteRange(prefix, eventstore::PrefixEnd(prefix));
  const std::string quarantine = QuarantinePrefix(projection.name());
  batch.DeleteRange(quarantine, eventstore::PrefixEnd(quarantine));
  batch.Put(CheckpointKey(projection.name()), EncodeCheckpoint(0));
  projection.Reset();
  return store.Write(batch);
}

}  // namespace

std::string DataKey(std::string_view name, std::string_view key) {
  return absl::StrCat("p/", A(name), "/", A(key));
}

std::string CheckpointKey(std::string_view name) { return absl::StrCat("c/", A(name)); }

std::string QuarantineKey(std::string_view name, int64_t position) {
  return absl::StrCat(QuarantinePrefix(name), absl::Dec(position, absl::kZeroPad20));
}

absl::Status ReadModelError(absl::Status status) {
  if (!status.ok()) status.SetPayload(kReadModelPayload, absl::Cord("1"));
  return status;
}

absl::Status ReadModelCorruptError(std::string_view key) {
  return ReadModelError(
      absl::DataLossError(absl::StrCat("read model key ", A(key), " cannot be parsed")));
}

bool IsPoisonedEvent(const absl::Status& status) {
  return (status.code() == absl::StatusCode::kDataLoss ||
          status.code() == absl::StatusCode::kInvalidArgument) &&
         !status.GetPayload(kReadModelPayload).has_value();
}

absl::Status FoldRecords(KvStore& store, Projection& projection,
                         const std::vector<RecordedEvent>& events, int64_t next_position,
                         FoldOutcome& outcome) {
  absl::Status status = FoldRecordsOrFail(store, projection, events, next_position, outcome);
  if (!status.ok()) projection.Reset();  // what the failed batch cached must not outlive it
  return status;
}

absl::StatusOr<std::vector<QuarantinedEvent>> ListQuarantined(KvStore& store,
                                                              std::string_view name) {
  std::vector<QuarantinedEvent> out;
  const std::string prefix = QuarantinePrefix(name);
  absl::Status parse_error;
  HUB_RETURN_IF_ERROR(store.Scan(
      prefix, eventstore::PrefixEnd(prefix), [&](std::string_view key, std::string_view value) {
        QuarantinedEvent q;
        std::vector<absl::string_view> parts = absl::StrSplit(A(value), absl::MaxSplits('\n', 2));
        if (parts.size() != 3 || !absl::SimpleAtoi(A(key.substr(prefix.size())), &q.position)) {
          parse_error = absl::DataLossError(absl::StrCat("quarantine record ", A(key), " is unreadable"));
          return false;
        }
        q.stream = std::string(parts[0]);
        q.type = std::string(parts[1]);
        q.reason = std::string(parts[2]);
        out.push_back(std::move(q));
        return true;
      }));
  HUB_RETURN_IF_ERROR(parse_error);
  return out;
}

std::string SerializeDeterministic(const google::protobuf::MessageLite& message) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream raw(&out);
    google::protobuf::io::CodedOutputStream coded(&raw);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return out;
}

// ---- Txn ----

Txn::Txn(KvStore& store, std::string_view name) : store_(store), prefix_(DataPrefix(name)) {}

absl::StatusOr<std::optional<std::string>> Txn::Get(std::string_view key) {
  auto it = pending_.find(A(key));
  if (it != pending_.end()) return it->second;
  absl::StatusOr<std::optional<std::string>> value = store_.Get(absl::StrCat(prefix_, A(key)));
  if (!value.ok()) return ReadModelError(value.status());  // the store's failure, not the event's
  return value;
}

namespace {

// Parses a stored record; kDataLoss names the key.
absl::StatusOr<bool> ParseStored(const std::optional<std::string>& value, std::string_view key,
                                 google::protobuf::MessageLite* out) {
  if (!value) return false;
  if (!out->ParseFromString(*value)) return ReadModelCorruptError(key);
  return true;
}

}  // namespace

absl::StatusOr<bool> Txn::GetMessage(std::string_view key, google::protobuf::MessageLite* out) {
  HUB_ASSIGN_OR_RETURN(std::optional<std::string> value, Get(key));
  return ParseStored(value, absl::StrCat(prefix_, A(key)), out);
}

absl::StatusOr<bool> ReadMessage(KvStore& store, std::string_view name, std::string_view key,
                                 google::protobuf::MessageLite* out) {
  const std::string full = DataKey(name, key);
  HUB_ASSIGN_OR_RETURN(std::optional<std::string> value, store.Get(full));
  absl::StatusOr<bool> parsed = ParseStored(value, full, out);
  if (!parsed.ok()) ReportUnreadableEntry(name, key);
  return parsed;
}

namespace {

struct UnreadableCounts {
  absl::Mutex mu;
  absl::flat_hash_map<std::string, int64_t> by_projection ABSL_GUARDED_BY(mu);
  int64_t total ABSL_GUARDED_BY(mu) = 0;
};

UnreadableCounts& Unreadable() {
  static auto* counts = new UnreadableCounts();
  return *counts;
}

}  // namespace

void ReportUnreadableEntry(std::string_view projection, std::string_view key) {
  UnreadableCounts& counts = Unreadable();
  int64_t total = 0;
  {
    absl::MutexLock lock(&counts.mu);
    ++counts.by_projection[std::string(projection)];
    total = ++counts.total;
  }
  if (total <= 100 || total % 1000 == 0) {
    HUB_LOG(ERROR) << "read model " << A(projection) << ": entry " << A(key)
                   << " cannot be parsed; left out of answers until a rebuild (`hubctl rebuild "
                   << A(projection) << "`); " << total << " so far";
  }
}

int64_t UnreadableEntries(std::string_view projection) {
  UnreadableCounts& counts = Unreadable();
  absl::MutexLock lock(&counts.mu);
  auto it = counts.by_projection.find(std::string(projection));
  return it == counts.by_projection.end() ? 0 : it->second;
}

bool ParseListEntry(std::string_view projection, std::string_view key, std::string_view value,
                    google::protobuf::MessageLite& out) {
  if (out.ParseFromArray(value.data(), static_cast<int>(value.size()))) return true;
  ReportUnreadableEntry(projection, key);
  return false;
}

void Txn::Put(std::string_view key, std::string value) {
  pending_[std::string(key)] = std::move(value);
}

void Txn::PutMessage(std::string_view key, const google::protobuf::MessageLite& message) {
  Put(key, SerializeDeterministic(message));
}

void Txn::Delete(std::string_view key) { pending_[std::string(key)] = std::nullopt; }

void Txn::CommitTo(KvBatch& batch) {
  std::vector<std::string> keys;
  keys.reserve(pending_.size());
  for (const auto& [key, value] : pending_) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  for (const std::string& key : keys) {
    std::optional<std::string>& value = pending_[key];
    if (value) {
      batch.Put(absl::StrCat(prefix_, key), std::move(*value));
    } else {
      batch.Delete(absl::StrCat(prefix_, key));
    }
  }
  pending_.clear();
}

// ---- free functions ----

absl::StatusOr<int64_t> ReadCheckpoint(KvStore& store, std::string_view name) {
  HUB_ASSIGN_OR_RETURN(std::optional<std::string> value, store.Get(CheckpointKey(name)));
  if (!value) return 0;
  int64_t position = 0;
  if (!absl::SimpleAtoi(*value, &position) || position < 0) {
    return absl::DataLossError(absl::StrCat("checkpoint of ", A(name), " is unreadable"));
  }
  return position;
}

absl::Status CatchUp(eventstore::EventLog& log, KvStore& store, Projection& projection,
                     bool from_scratch, const std::function<void(int64_t)>& progress,
                     int batch_size) {
  if (from_scratch) HUB_RETURN_IF_ERROR(DropKeys(store, projection));
  HUB_ASSIGN_OR_RETURN(int64_t next, ReadCheckpoint(store, projection.name()));
  while (true) {
    eventstore::ReadAllOptions options;
    options.from = GlobalPosition(next);
    options.limit = batch_size;
    HUB_ASSIGN_OR_RETURN(eventstore::ReadAllResult result, log.ReadAll(options));
    if (!result.events.empty()) {
      FoldOutcome outcome;
      HUB_RETURN_IF_ERROR(
          FoldRecords(store, projection, result.events, result.next.value(), outcome));
      for (const QuarantinedEvent& q : outcome.quarantined) {
        HUB_LOG(ERROR) << "projection " << projection.name() << " quarantined the event at position "
                       << q.position << " (" << q.stream << ", " << q.type << "): " << q.reason;
      }
      next = result.next.value();
      if (progress) progress(next);
    }
    if (result.end_of_log) return absl::OkStatus();
  }
}

absl::StatusOr<std::string> Digest(KvStore& store, std::string_view name) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  const std::string prefix = DataPrefix(name);
  auto update_framed = [ctx](std::string_view bytes) {
    const std::string length = absl::StrCat(bytes.size(), ":");
    EVP_DigestUpdate(ctx, length.data(), length.size());
    EVP_DigestUpdate(ctx, bytes.data(), bytes.size());
  };
  auto hash = [&](std::string_view k, std::string_view v) {
    update_framed(k);
    update_framed(v);
    return true;
  };
  absl::Status status = store.Scan(prefix, eventstore::PrefixEnd(prefix), hash);
  if (status.ok()) {
    const std::string quarantine = QuarantinePrefix(name);
    status = store.Scan(quarantine, eventstore::PrefixEnd(quarantine), hash);
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx, digest, &length);
  EVP_MD_CTX_free(ctx);
  HUB_RETURN_IF_ERROR(status);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), length));
}

// ---- ProjectionEngine ----

// Wakes a waiting worker; shared with the log's notification so it outlives a late callback.
struct Wake {
  absl::Mutex mu;
  bool signalled ABSL_GUARDED_BY(mu) = false;
};

struct ProjectionEngine::Worker {
  std::unique_ptr<Projection> projection;
  std::shared_ptr<Wake> wake = std::make_shared<Wake>();
  std::thread thread;

  mutable absl::Mutex mu;
  int64_t position ABSL_GUARDED_BY(mu) = 0;
  bool stop ABSL_GUARDED_BY(mu) = false;
  bool rebuild_requested ABSL_GUARDED_BY(mu) = false;
  bool rebuilding ABSL_GUARDED_BY(mu) = false;
  int64_t rebuild_target ABSL_GUARDED_BY(mu) = -1;
  int64_t folded ABSL_GUARDED_BY(mu) = 0;
  int64_t skipped ABSL_GUARDED_BY(mu) = 0;
  int64_t quarantined_count ABSL_GUARDED_BY(mu) = 0;  // as stored, so across restarts
  std::vector<QuarantinedEvent> quarantined ABSL_GUARDED_BY(mu);  // the first kQuarantineListed
  std::string error ABSL_GUARDED_BY(mu);

  // Counts and lists newly quarantined events.
  void AddQuarantined(std::vector<QuarantinedEvent> added) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    quarantined_count += static_cast<int64_t>(added.size());
    for (QuarantinedEvent& q : added) {
      if (quarantined.size() < kQuarantineListed) quarantined.push_back(std::move(q));
    }
  }
};

ProjectionEngine::ProjectionEngine(eventstore::EventLog& log, KvStore& store,
                                   std::vector<std::unique_ptr<Projection>> projections,
                                   EngineOptions options)
    : log_(log), store_(store), options_(options) {
  for (auto& projection : projections) {
    auto worker = std::make_unique<Worker>();
    worker->projection = std::move(projection);
    workers_.push_back(std::move(worker));
  }
}

ProjectionEngine::~ProjectionEngine() { Stop(); }

absl::Status ProjectionEngine::Start() {
  for (auto& worker : workers_) {
    HUB_ASSIGN_OR_RETURN(int64_t checkpoint, ReadCheckpoint(store_, worker->projection->name()));
    HUB_ASSIGN_OR_RETURN(std::vector<QuarantinedEvent> quarantined,
                         ListQuarantined(store_, worker->projection->name()));
    {
      absl::MutexLock lock(&worker->mu);
      worker->position = checkpoint;
      worker->quarantined_count = 0;
      worker->quarantined.clear();
      worker->AddQuarantined(std::move(quarantined));
    }
  }
  for (auto& worker : workers_) {
    Worker* w = worker.get();
    w->thread = std::thread([this, w] { Run(*w); });
  }
  return absl::OkStatus();
}

void ProjectionEngine::Stop() {
  for (auto& worker : workers_) {
    {
      absl::MutexLock lock(&worker->mu);
      worker->stop = true;
    }
    absl::MutexLock lock(&worker->wake->mu);
    worker->wake->signalled = true;
  }
  for (auto& worker : workers_) {
    if (worker->thread.joinable()) worker->thread.join();
  }
}

void ProjectionEngine::Run(Worker& w) {
  int64_t next;
  {
    absl::MutexLock lock(&w.mu);
    next = w.position;
  }
  int backoff_ms = 100;
  while (true) {
    bool rebuild = false;
    {
      absl::MutexLock lock(&w.mu);
      if (w.stop) return;
      rebuild = w.rebuild_requested;
      w.rebuild_requested = false;
    }
    if (rebuild) {
      const int64_t target = log_.GetHead().position.value();
      absl::Status dropped = DropKeys(store_, *w.projection);
      absl::MutexLock lock(&w.mu);
      if (!dropped.ok()) {
        w.error = dropped.ToString();
      } else {
        next = 0;
        w.position = 0;
        w.rebuilding = target >= 0;
        w.rebuild_target = target;
        w.folded = 0;
        w.skipped = 0;
        w.quarantined_count = 0;
        w.quarantined.clear();
        w.error.clear();
      }
    }
    eventstore::ReadAllOptions options;
    options.from = GlobalPosition(next);
    options.limit = options_.batch_size;
    absl::StatusOr<eventstore::ReadAllResult> result = log_.ReadAll(options);
    absl::Status status = result.status();
    if (status.ok() && !result->events.empty()) {
      FoldOutcome outcome;
      outcome.next = next;
      status = FoldRecords(store_, *w.projection, result->events, result->next.value(), outcome);
      for (const QuarantinedEvent& q : outcome.quarantined) {
        // Once per event: it is behind the checkpoint now (a rebuild reports it again).
        HUB_LOG(ERROR) << "projection " << w.projection->name()
                       << " quarantined the event at position " << q.position << " (" << q.stream
                       << ", " << q.type << ") and folds on; it shows in hubctl status: "
                       << q.reason;
      }
      // What was written stands even if a later part of the batch failed.
      next = outcome.next;
      absl::MutexLock lock(&w.mu);
      w.position = next;
      w.folded += outcome.folded;
      w.skipped += outcome.skipped;
      w.AddQuarantined(std::move(outcome.quarantined));
      if (w.rebuilding && next > w.rebuild_target) w.rebuilding = false;
      if (status.ok()) {
        w.error.clear();
        backoff_ms = 100;
        continue;
      }
    }
    if (!status.ok()) {
      // Stay at the checkpoint and try again later: the failure is not the event's own (the
      // store, or a damaged read model), so skipping the event would lose it; a view that is
      // behind is visible in status and to waiting readers. FoldRecords has dropped what the
      // failed batch cached, so the retry folds from the stored state.
      w.projection->Reset();
      HUB_LOG(ERROR) << "projection " << w.projection->name() << ": " << status;
      {
        absl::MutexLock lock(&w.mu);
        w.error = status.ToString();
      }
      absl::MutexLock lock(&w.wake->mu);
      w.wake->mu.AwaitWithTimeout(absl::Condition(&w.wake->signalled),
                                  absl::Milliseconds(backoff_ms));
      w.wake->signalled = false;
      backoff_ms = std::min(backoff_ms * 2, 10000);
      continue;
    }
    // Caught up: sleep until the next event is committed, a stop or a rebuild.
    std::shared_ptr<Wake> wake = w.wake;
    eventstore::EventLog::WaitId id = log_.NotifyWhenAvailable(GlobalPosition(next), [wake] {
      absl::MutexLock lock(&wake->mu);
      wake->signalled = true;
    });
    {
      absl::MutexLock lock(&wake->mu);
      wake->mu.AwaitWithTimeout(absl::Condition(&wake->signalled), options_.idle_poll);
      wake->signalled = false;
    }
    log_.CancelWait(id);
  }
}

bool ProjectionEngine::WaitFor(GlobalPosition position, absl::Time deadline,
                               const std::vector<std::string_view>& names) {
  for (auto& worker : workers_) {
    if (!names.empty() &&
        std::find(names.begin(), names.end(), worker->projection->name()) == names.end()) {
      continue;
    }
    const int64_t wanted = position.value() + 1;
    Worker* w = worker.get();
    auto reached = [w, wanted]() ABSL_SHARED_LOCKS_REQUIRED(w->mu) {
      return w->position >= wanted || w->stop;
    };
    absl::MutexLock lock(&w->mu);
    if (!w->mu.AwaitWithDeadline(absl::Condition(&reached), deadline)) return false;
    if (w->position < wanted) return false;  // stopped first
  }
  return true;
}

absl::Status ProjectionEngine::Rebuild(std::string_view name) {
  for (auto& worker : workers_) {
    if (worker->projection->name() != name) continue;
    {
      absl::MutexLock lock(&worker->mu);
      worker->rebuild_requested = true;
      worker->rebuilding = true;
    }
    absl::MutexLock lock(&worker->wake->mu);
    worker->wake->signalled = true;
    return absl::OkStatus();
  }
  return absl::NotFoundError(absl::StrCat("no projection named '", A(name), "'"));
}

std::vector<ProjectionStatus> ProjectionEngine::status() const {
  const int64_t head = log_.GetHead().position.value();
  std::vector<ProjectionStatus> out;
  for (const auto& worker : workers_) {
    absl::MutexLock lock(&worker->mu);
    ProjectionStatus s;
    s.name = std::string(worker->projection->name());
    s.position = worker->position;
    s.head = head;
    s.lag = std::max<int64_t>(0, head + 1 - worker->position);
    s.rebuilding = worker->rebuilding;
    s.rebuild_target = worker->rebuild_target;
    s.events_folded = worker->folded;
    s.events_skipped = worker->skipped;
    s.events_quarantined = worker->quarantined_count;
    s.unreadable_entries = UnreadableEntries(s.name);
    s.quarantined = worker->quarantined;
    s.error = worker->error;
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<std::string> ProjectionEngine::names() const {
  std::vector<std::string> out;
  for (const auto& worker : workers_) out.emplace_back(worker->projection->name());
  return out;
}

}  // namespace hub::projections
