#include "projections/engine/projection.h"

#include <openssl/evp.h>

#include <algorithm>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/log.h"
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

// True when the record's type names one of the hub's event payloads.
bool IsHubEventType(const std::string& type) {
  static const auto* names = [] {
    auto* set = new absl::flat_hash_map<std::string, bool>();
    const auto* oneof = events::v1::Event::descriptor()->FindOneofByName("payload");
    for (int i = 0; i < oneof->field_count(); ++i) {
      (*set)[oneof->field(i)->message_type()->name()] = true;
    }
    return set;
  }();
  return names->contains(type);
}

// Decodes a record into a hub event; nullopt for records that are not hub events.
absl::StatusOr<std::optional<events::v1::Event>> Decode(const RecordedEvent& record) {
  if (!IsHubEventType(record.type)) return std::nullopt;
  events::v1::Event event;
  if (!event.ParseFromString(record.payload)) {
    return absl::DataLossError(absl::StrCat("event at position ", record.position.value(),
                                            " (", record.type, ") cannot be decoded"));
  }
  return event;
}

// Folds `events` into one batch for `projection`, including the new checkpoint.
absl::Status FoldInto(KvStore& store, Projection& projection,
                      const std::vector<RecordedEvent>& events, int64_t next_position,
                      int64_t& skipped) {
  Txn txn(store, projection.name());
  for (const RecordedEvent& record : events) {
    HUB_ASSIGN_OR_RETURN(std::optional<events::v1::Event> event, Decode(record));
    if (!event) {
      ++skipped;
      continue;
    }
    absl::Status applied = projection.Apply(record, *event, txn);
    if (!applied.ok()) {
      return Annotate(applied, absl::StrCat("projection ", A(projection.name()), " at position ",
                                            record.position.value()));
    }
  }
  HUB_RETURN_IF_ERROR(projection.Flush(txn));
  KvBatch batch;
  txn.CommitTo(batch);
  batch.Put(CheckpointKey(projection.name()), EncodeCheckpoint(next_position));
  return store.Write(batch);
}

absl::Status DropKeys(KvStore& store, Projection& projection) {
  KvBatch batch;
  const std::string prefix = DataPrefix(projection.name());
  batch.DeleteRange(prefix, eventstore::PrefixEnd(prefix));
  batch.Put(CheckpointKey(projection.name()), EncodeCheckpoint(0));
  projection.Reset();
  return store.Write(batch);
}

}  // namespace

std::string DataKey(std::string_view name, std::string_view key) {
  return absl::StrCat("p/", A(name), "/", A(key));
}

std::string CheckpointKey(std::string_view name) { return absl::StrCat("c/", A(name)); }

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
  return store_.Get(absl::StrCat(prefix_, A(key)));
}

namespace {

// Parses a stored record; kDataLoss names the key.
absl::StatusOr<bool> ParseStored(const std::optional<std::string>& value, std::string_view key,
                                 google::protobuf::MessageLite* out) {
  if (!value) return false;
  if (!out->ParseFromString(*value)) {
    return absl::DataLossError(absl::StrCat("read model key ", A(key), " cannot be parsed"));
  }
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
  return ParseStored(value, full, out);
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
  int64_t skipped = 0;
  while (true) {
    eventstore::ReadAllOptions options;
    options.from = GlobalPosition(next);
    options.limit = batch_size;
    HUB_ASSIGN_OR_RETURN(eventstore::ReadAllResult result, log.ReadAll(options));
    if (!result.events.empty()) {
      absl::Status folded = FoldInto(store, projection, result.events, result.next.value(), skipped);
      if (!folded.ok()) {
        projection.Reset();  // what the failed batch cached must not outlive it
        return folded;
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
  absl::Status status =
      store.Scan(prefix, eventstore::PrefixEnd(prefix), [&](std::string_view k, std::string_view v) {
        update_framed(k);
        update_framed(v);
        return true;
      });
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
  std::string error ABSL_GUARDED_BY(mu);
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
    {
      absl::MutexLock lock(&worker->mu);
      worker->position = checkpoint;
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
        w.error.clear();
      }
    }
    eventstore::ReadAllOptions options;
    options.from = GlobalPosition(next);
    options.limit = options_.batch_size;
    absl::StatusOr<eventstore::ReadAllResult> result = log_.ReadAll(options);
    absl::Status status = result.status();
    if (status.ok() && !result->events.empty()) {
      int64_t skipped = 0;
      status = FoldInto(store_, *w.projection, result->events, result->next.value(), skipped);
      if (status.ok()) {
        next = result->next.value();
        absl::MutexLock lock(&w.mu);
        w.position = next;
        w.folded += static_cast<int64_t>(result->events.size()) - skipped;
        w.skipped += skipped;
        if (w.rebuilding && next > w.rebuild_target) w.rebuilding = false;
        w.error.clear();
        backoff_ms = 100;
        continue;
      }
    }
    if (!status.ok()) {
      // Stay at the checkpoint and try again later: a view that is behind is visible in status
      // and to waiting readers; skipping an event would silently lose it. What the failed batch
      // cached is forgotten, so that the retry folds from the stored state.
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
