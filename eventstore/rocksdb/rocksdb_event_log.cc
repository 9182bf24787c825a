#include "eventstore/rocksdb/rocksdb_event_log.h"

#include <algorithm>
#include <deque>
#include <filesystem>
#include <map>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/log.h"
#include "base/status_macros.h"
#include "eventstore/internal/record_codec.h"
#include "eventstore/internal/sha256.h"
#include "eventstore/rocksdb/rocksdb_event_log_on_env.h"
#include "eventstore/rocksdb/info_logger.h"
#include "eventstore/rocksdb/status_util.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/checkpoint.h"
#include "rocksdb/write_batch.h"

namespace hub::eventstore {
namespace {

namespace ei = ::eventstore_internal;

constexpr char kLogCf[] = "log";
constexpr char kStreamsCf[] = "streams";
constexpr char kIdempotencyCf[] = "idempotency";
constexpr char kFormatKey[] = "format";
constexpr char kFormatValue[] = "hub-eventlog/1";

// Closing wakes waiters with this position so that "wait for position" never blocks shutdown.
const std::string kZeroLink(ei::kDigestSize, '\0');

class RocksDbEventLog final : public EventLog {
 public:
  RocksDbEventLog(std::string path, RocksDbOptions options, rocksdb::Env* env)
      : path_(std::move(path)),
        options_(std::move(options)),
        clock_(options_.clock ? *options_.clock : SystemClock::Get()),
        env_(env) {}

  ~RocksDbEventLog() override { Close(); }

  absl::Status Init();

  // hub::eventstore::EventLog
  void AppendAsync(AppendRequest request, AppendCallback done) override;
  absl::StatusOr<ReadStreamResult> ReadStream(const std::string& stream,
                                              const ReadStreamOptions& options) override;
  absl::StatusOr<ReadAllResult> ReadAll(const ReadAllOptions& options) override;
  Head GetHead() override {
    absl::MutexLock lock(&head_mu_);
    return committed_;
  }
  WaitId NotifyWhenAvailable(GlobalPosition position, absl::AnyInvocable<void()> fn) override;
  bool CancelWait(WaitId id) override;
  bool WaitForPosition(GlobalPosition position, absl::Time deadline) override;
  bool closing() const override {
    absl::MutexLock lock(&head_mu_);
    return closing_;
  }
  LogStats stats() const override {
    absl::MutexLock lock(&head_mu_);
    return stats_;
  }
  LogHealth health() const override {
    absl::MutexLock lock(&health_mu_);
    return health_;
  }
  void SetHealthListener(absl::AnyInvocable<void(const LogHealth&)> fn) override {
    absl::MutexLock lock(&health_mu_);
    health_listener_ = std::move(fn);
  }
  absl::StatusOr<VerifyReport> Verify(const VerifyOptions& options) override;
  absl::Status Checkpoint(const std::string& dir) override;
  void Close() override;

 private:
  struct PendingAppend {
    AppendRequest request;
    AppendCallback done;
  };
  struct IdempotencyEntry {
    std::string digest;
    AppendResult result;
  };

  // What the writer hands to the completer after a synced write: callers to answer and
  // waiters to wake, in order.
  struct Completion {
    std::vector<AppendCallback> done;
    std::vector<absl::StatusOr<AppendResult>> results;
    std::vector<absl::AnyInvocable<void()>> ready;
  };

  // Why the writer refuses appends (owned by the writer thread).
  enum class WriteState {
    kOk,
    kNoSpace,  // a write failed for lack of disk space: resumed by the writer when space returns
    kFailed,   // any other write failure: fenced until reopened
  };

  void WriterLoop();
  void CompleterLoop();
  void ProcessBatch(std::vector<PendingAppend>& batch);
  // Fences the log after a failed write (writer thread).
  void Fence(const rocksdb::Status& s);
  // While fenced for lack of space, asks RocksDB to resume writing (at most once per
  // no_space_retry) and, when it does, checks the log's tail against what was acknowledged.
  void TryResume();
  // After a resume: the last record on disk must be at or after the last acknowledged one; a
  // write whose outcome was unknown and did land is checked link by link and adopted.
  absl::Status AdoptTail();
  void SetHealth(LogHealth health);
  // The last version of `stream` as stored (kNoStreamVersion if absent).
  absl::StatusOr<StreamVersion> LoadStreamVersion(const std::string& stream,
                                                  const rocksdb::Snapshot* snapshot = nullptr);
  absl::StatusOr<RecordedEvent> ReadAt(int64_t position);
  // Moves waiters at or below `position` (all of them if closing) out for firing.
  std::vector<absl::AnyInvocable<void()>> TakeReadyWaiters() ABSL_EXCLUSIVE_LOCKS_REQUIRED(head_mu_);

  const std::string path_;
  const RocksDbOptions options_;
  Clock& clock_;
  rocksdb::Env* const env_;  // nullptr = RocksDB's default (tests inject faults)

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* log_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* streams_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* idempotency_cf_ = nullptr;

  absl::Mutex queue_mu_;
  std::deque<PendingAppend> queue_ ABSL_GUARDED_BY(queue_mu_);
  bool accepting_ ABSL_GUARDED_BY(queue_mu_) = true;
  std::thread writer_;
  // Answering gRPC calls costs as much CPU as the write itself; a second thread does it so
  // that the writer starts the next synced write at once.
  absl::Mutex completion_mu_;
  std::deque<Completion> completions_ ABSL_GUARDED_BY(completion_mu_);
  bool completer_stop_ ABSL_GUARDED_BY(completion_mu_) = false;
  std::thread completer_;

  // Owned by the writer thread (and Init before it starts).
  int64_t next_position_ = 0;
  std::string last_link_ = kZeroLink;
  WriteState write_state_ = WriteState::kOk;
  absl::Time next_resume_ = absl::InfinitePast();  // kNoSpace: when to try resuming next
  // Last versions of recently written streams. Only the writer appends, so an entry is exact
  // for as long as it exists; it spares a RocksDB iterator per append to a hot stream.
  absl::flat_hash_map<std::string, StreamVersion> version_cache_;
  static constexpr size_t kVersionCacheEntries = 100000;

  mutable absl::Mutex head_mu_;
  Head committed_ ABSL_GUARDED_BY(head_mu_);
  bool closing_ ABSL_GUARDED_BY(head_mu_) = false;
  std::map<std::pair<int64_t, WaitId>, absl::AnyInvocable<void()>> waiters_
      ABSL_GUARDED_BY(head_mu_);
  absl::flat_hash_map<WaitId, int64_t> waiter_positions_ ABSL_GUARDED_BY(head_mu_);
  WaitId next_wait_id_ ABSL_GUARDED_BY(head_mu_) = 1;
  LogStats stats_ ABSL_GUARDED_BY(head_mu_);

  mutable absl::Mutex health_mu_;
  LogHealth health_ ABSL_GUARDED_BY(health_mu_);
  absl::AnyInvocable<void(const LogHealth&)> health_listener_ ABSL_GUARDED_BY(health_mu_);

  absl::Mutex close_mu_;
  bool closed_ ABSL_GUARDED_BY(close_mu_) = false;
  // Held shared by every read and exclusively while Close tears the database down, so a read
  // racing a shutdown gets kUnavailable instead of touching a closed database.
  absl::Mutex db_mu_;
  bool db_open_ ABSL_GUARDED_BY(db_mu_) = true;
};

constexpr char kClosedMessage[] = "event log is closed";
constexpr char kNoSpaceMessage[] =
    "no space left on the log's disk: appends are refused until space is freed, then the log "
    "resumes by itself; retry with the same idempotency key";

rocksdb::Options MakeDbOptions(const RocksDbOptions& options, rocksdb::Env* env) {
  rocksdb::Options db;
  if (env != nullptr) db.env = env;
  db.create_if_missing = options.create_if_missing;
  db.create_missing_column_families = true;
  db.max_background_jobs = 2;
  db.keep_log_file_num = 5;
  db.info_log_level = rocksdb::InfoLogLevel::ERROR_LEVEL;
  // Never a LOG file on the data's disk: a full disk must not abort the process.
  db.info_log = eventstore_internal::NewHubInfoLogger("event log");
  // Caps memtable memory across all column families (keeps hubd's footprint predictable).
  db.db_write_buffer_size = 96 << 20;
  return db;
}

rocksdb::ColumnFamilyOptions MakeCfOptions(const std::shared_ptr<rocksdb::Cache>& cache,
                                           size_t write_buffer) {
  rocksdb::ColumnFamilyOptions cf;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf.write_buffer_size = write_buffer;
  cf.max_write_buffer_number = 2;
  return cf;
}

absl::Status RocksDbEventLog::Init() {
  const rocksdb::Options db_options = MakeDbOptions(options_, env_);
  auto cache = rocksdb::NewLRUCache(options_.block_cache_bytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, MakeCfOptions(cache, 4 << 20)},
      {kLogCf, MakeCfOptions(cache, 32 << 20)},
      {kStreamsCf, MakeCfOptions(cache, 16 << 20)},
      {kIdempotencyCf, MakeCfOptions(cache, 8 << 20)},
  };
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s;
  if (options_.read_only) {
    if (!std::filesystem::exists(path_ + "/CURRENT")) {
      return absl::NotFoundError(absl::StrCat("no event log in ", path_));
    }
    s = rocksdb::DB::OpenForReadOnly(db_options, path_, cfs, &handles_, &raw);
  } else {
    std::error_code ec;
    if (!options_.create_if_missing && !std::filesystem::exists(path_ + "/CURRENT")) {
      return absl::NotFoundError(absl::StrCat("no event log in ", path_));
    }
    std::filesystem::create_directories(path_, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("cannot create data directory ", path_, ": ", ec.message()));
    }
    s = rocksdb::DB::Open(db_options, path_, cfs, &handles_, &raw);
  }
  if (!s.ok()) {
    if (s.IsIOError() && absl::StrContains(absl::AsciiStrToLower(s.ToString()), "lock")) {
      return absl::FailedPreconditionError(
          absl::StrCat("data directory ", path_,
                       " is locked by another process (is another hubd running on it?)"));
    }
    return ei::FromRocksDb(s, absl::StrCat("opening event log in ", path_));
  }
  db_.reset(raw);
  log_cf_ = handles_[1];
  streams_cf_ = handles_[2];
  idempotency_cf_ = handles_[3];

  std::string format;
  s = db_->Get(rocksdb::ReadOptions(), kFormatKey, &format);
  if (s.IsNotFound()) {
    if (!options_.read_only) {
      rocksdb::WriteOptions wo;
      wo.sync = true;
      HUB_RETURN_IF_ERROR(ei::FromRocksDb(db_->Put(wo, kFormatKey, kFormatValue), "format"));
    }
  } else if (!s.ok()) {
    return ei::FromRocksDb(s, "reading format marker");
  } else if (format != kFormatValue) {
    return absl::FailedPreconditionError(
        absl::StrCat("data directory ", path_, " holds format '", format,
                     "'; this build reads '", kFormatValue, "'"));
  }

  // The head is the last record of the log column family.
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), log_cf_));
  it->SeekToLast();
  if (it->Valid()) {
    HUB_ASSIGN_OR_RETURN(int64_t position, ei::DecodePositionKey(it->key().ToStringView()));
    HUB_ASSIGN_OR_RETURN(RecordedEvent last, ei::DecodeStoredRecord(it->value().ToStringView()));
    if (last.position.value() != position) {
      return absl::DataLossError(absl::StrCat("last record's key says position ", position,
                                              " but the record says ", last.position.value()));
    }
    next_position_ = position + 1;
    last_link_ = last.link;
  }
  HUB_RETURN_IF_ERROR(ei::FromRocksDb(it->status(), "reading log head"));
  {
    absl::MutexLock lock(&head_mu_);
    committed_.position = GlobalPosition(next_position_ - 1);
    committed_.link = last_link_;
  }
  if (!options_.read_only) {
    completer_ = std::thread([this] { CompleterLoop(); });
    writer_ = std::thread([this] { WriterLoop(); });
  }
  return absl::OkStatus();
}

void RocksDbEventLog::AppendAsync(AppendRequest request, AppendCallback done) {
  if (options_.read_only) {
    std::move(done)(absl::FailedPreconditionError("event log is open read-only"));
    return;
  }
  if (absl::Status s = ValidateAppendRequest(request, options_.limits); !s.ok()) {
    std::move(done)(std::move(s));
    return;
  }
  if (clock_.Now() > request.deadline) {
    std::move(done)(absl::DeadlineExceededError("deadline passed before the append was queued"));
    return;
  }
  {
    absl::MutexLock lock(&queue_mu_);
    if (accepting_) {
      queue_.push_back(PendingAppend{std::move(request), std::move(done)});
      return;
    }
  }
  std::move(done)(absl::UnavailableError("event log is closing"));
}

void RocksDbEventLog::WriterLoop() {
  std::vector<PendingAppend> batch;
  while (true) {
    bool woke = true;
    {
      absl::MutexLock lock(&queue_mu_);
      const absl::Condition work(
          +[](RocksDbEventLog* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->queue_mu_) {
            return !self->queue_.empty() || !self->accepting_;
          },
          this);
      if (write_state_ == WriteState::kNoSpace) {
        // Fenced for lack of space: wake to try resuming even if no append arrives, so that
        // health turns writable again when space returns.
        woke = queue_mu_.AwaitWithTimeout(work, options_.no_space_retry);
      } else {
        queue_mu_.Await(work);
      }
      if (woke && queue_.empty()) return;  // closing and drained
      while (!queue_.empty() && batch.size() < options_.max_batch_appends) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (!woke) {
      TryResume();
      continue;
    }
    ProcessBatch(batch);
    batch.clear();
  }
}

void RocksDbEventLog::CompleterLoop() {
  while (true) {
    Completion c;
    {
      absl::MutexLock lock(&completion_mu_);
      completion_mu_.Await(absl::Condition(
          +[](RocksDbEventLog* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->completion_mu_) {
            return !self->completions_.empty() || self->completer_stop_;
          },
          this));
      if (completions_.empty()) return;  // stopping and drained
      c = std::move(completions_.front());
      completions_.pop_front();
    }
    for (size_t i = 0; i < c.done.size(); ++i) std::move(c.done[i])(std::move(c.results[i]));
    for (auto& fn : c.ready) fn();
  }
}

void RocksDbEventLog::ProcessBatch(std::vector<PendingAppend>& batch) {
  Completion completion;
  std::vector<absl::StatusOr<AppendResult>> results(
      batch.size(), absl::UnavailableError("event log is unavailable"));
  if (write_state_ == WriteState::kNoSpace) TryResume();
  if (write_state_ == WriteState::kNoSpace) {
    for (auto& r : results) r = absl::UnavailableError(kNoSpaceMessage);
  } else if (write_state_ == WriteState::kFailed) {
    for (auto& r : results) {
      r = absl::UnavailableError("event log failed an earlier write; reopen it to recover");
    }
  } else {
    const absl::Time now = clock_.Now();
    rocksdb::WriteBatch wb;
    absl::flat_hash_map<std::string, StreamVersion> versions;  // streams touched in this batch
    absl::flat_hash_map<std::string, IdempotencyEntry> keys;   // keys claimed in this batch
    int64_t next = next_position_;
    std::string link = last_link_;
    int64_t appends = 0;

    for (size_t i = 0; i < batch.size(); ++i) {
      AppendRequest& req = batch[i].request;
      if (now > req.deadline) {
        results[i] = absl::DeadlineExceededError(
            "deadline passed before the append was written; nothing was written");
        continue;
      }
      std::string key, digest;
      if (!req.idempotency_key.empty()) {
        key = ei::EncodeIdempotencyKey(req.stream, req.idempotency_key);
        digest = ei::AppendDigest(req);
        std::optional<IdempotencyEntry> prior;
        if (auto it = keys.find(key); it != keys.end()) {
          prior = it->second;
        } else {
          std::string value;
          rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), idempotency_cf_, key, &value);
          if (s.ok()) {
            prior.emplace();
            auto decoded = ei::DecodeIdempotencyValue(value, &prior->digest);
            if (!decoded.ok()) {
              results[i] = decoded.status();
              continue;
            }
            prior->result = *decoded;
          } else if (!s.IsNotFound()) {
            results[i] = ei::FromRocksDb(s, "reading idempotency key");
            continue;
          }
        }
        if (prior) {
          if (prior->digest == digest) {
            AppendResult original = prior->result;
            original.duplicate = true;
            results[i] = original;
          } else {
            results[i] = absl::AlreadyExistsError(absl::StrCat(
                "idempotency_key: '", req.idempotency_key, "' was already used on stream '",
                req.stream, "' for a different append"));
          }
          continue;
        }
      }
      StreamVersion current;
      if (auto it = versions.find(req.stream); it != versions.end()) {
        current = it->second;
      } else if (auto cached = version_cache_.find(req.stream); cached != version_cache_.end()) {
        current = cached->second;
      } else {
        auto loaded = LoadStreamVersion(req.stream);
        if (!loaded.ok()) {
          results[i] = loaded.status();
          continue;
        }
        current = *loaded;
      }
      if (!req.expected.Matches(current)) {
        results[i] = WrongExpectedVersionError(req.stream, req.expected, current);
        continue;
      }
      AppendResult r;
      r.first_version = current.Next();
      r.first_position = GlobalPosition(next);
      RecordedEvent rec;
      rec.stream = req.stream;
      rec.recorded_at = now;
      for (NewEvent& e : req.events) {
        rec.event_id = e.event_id.empty() ? ei::NewUuid() : std::move(e.event_id);
        rec.type = std::move(e.type);
        rec.schema_version = e.schema_version;
        rec.payload = std::move(e.payload);
        rec.metadata = std::move(e.metadata);
        current = current.Next();
        rec.stream_version = current;
        rec.position = GlobalPosition(next);
        std::string value = ei::EncodeCanonicalRecord(rec);
        link = ei::ChainLink(link, value);
        value.append(link);
        const std::string position_key = ei::EncodePositionKey(next);
        wb.Put(log_cf_, position_key, value);
        wb.Put(streams_cf_, ei::EncodeStreamKey(req.stream, current.value()), position_key);
        ++next;
      }
      r.last_version = current;
      r.last_position = GlobalPosition(next - 1);
      versions[req.stream] = current;
      if (!key.empty()) {
        wb.Put(idempotency_cf_, key, ei::EncodeIdempotencyValue(digest, r));
        keys[key] = IdempotencyEntry{digest, r};
      }
      results[i] = r;
      ++appends;
    }

    if (wb.Count() > 0) {
      rocksdb::WriteOptions wo;
      wo.sync = options_.sync;
      rocksdb::Status s = db_->Write(wo, &wb);
      if (!s.ok()) {
        // The write may or may not be on disk: refuse everything until the log's own content
        // decides (when space returns, or at reopen); clients retry with their idempotency keys.
        Fence(s);
        for (auto& r : results) {
          if (!r.ok()) continue;
          r = absl::UnavailableError(
              write_state_ == WriteState::kNoSpace
                  ? "no space left on the log's disk: this append's outcome is decided when "
                    "space returns; retry with the same idempotency key"
                  : "event log write failed; retry with the same idempotency key once it is "
                    "reopened");
        }
      } else {
        const int64_t next_position_before = next_position_;
        next_position_ = next;
        last_link_ = link;
        if (version_cache_.size() + versions.size() > kVersionCacheEntries) version_cache_.clear();
        for (auto& [stream, version] : versions) version_cache_[stream] = version;
        {
          absl::MutexLock lock(&head_mu_);
          committed_.position = GlobalPosition(next - 1);
          committed_.link = link;
          stats_.appends += appends;
          stats_.events += next - next_position_before;
          ++stats_.synced_writes;
          completion.ready = TakeReadyWaiters();
        }
      }
    }
  }
  completion.done.reserve(batch.size());
  for (auto& pending : batch) completion.done.push_back(std::move(pending.done));
  completion.results = std::move(results);
  absl::MutexLock lock(&completion_mu_);
  completions_.push_back(std::move(completion));
}

void RocksDbEventLog::Fence(const rocksdb::Status& s) {
  if (s.IsNoSpace()) {
    write_state_ = WriteState::kNoSpace;
    next_resume_ = absl::Now() + options_.no_space_retry;
    HUB_LOG(ERROR) << "event log write failed for lack of disk space; appends are refused "
                      "until space is freed: "
                   << s.ToString();
    SetHealth({false, "no space left on the log's disk"});
  } else {
    write_state_ = WriteState::kFailed;
    HUB_LOG(ERROR) << "event log write failed; appends are refused until hubd is restarted: "
                   << s.ToString();
    SetHealth({false, absl::StrCat("a write failed (", s.ToString(), "); restart to recover")});
  }
}

void RocksDbEventLog::TryResume() {
  if (write_state_ != WriteState::kNoSpace || absl::Now() < next_resume_) return;
  next_resume_ = absl::Now() + options_.no_space_retry;
  // RocksDB flushes its memtables and starts a new WAL; with the disk still full that fails
  // and the log stays fenced.
  if (rocksdb::Status s = db_->Resume(); !s.ok()) return;
  if (absl::Status adopted = AdoptTail(); !adopted.ok()) {
    write_state_ = WriteState::kFailed;
    HUB_LOG(ERROR) << "event log resumed after lack of space, but its tail does not check out; "
                      "appends are refused until hubd is restarted: "
                   << adopted;
    SetHealth({false, absl::StrCat("tail check after lack of space failed: ", adopted.message())});
    return;
  }
  write_state_ = WriteState::kOk;
  version_cache_.clear();  // the unknown write may have moved streams
  HUB_LOG(INFO) << "event log writable again (disk space returned); head at position "
                << next_position_ - 1;
  SetHealth({true, ""});
}

absl::Status RocksDbEventLog::AdoptTail() {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), log_cf_));
  it->SeekToLast();
  int64_t last = -1;
  if (it->Valid()) {
    HUB_ASSIGN_OR_RETURN(last, ei::DecodePositionKey(it->key().ToStringView()));
  }
  HUB_RETURN_IF_ERROR(ei::FromRocksDb(it->status(), "reading log tail"));
  if (last < next_position_ - 1) {
    return absl::DataLossError(absl::StrCat("the log ends at position ", last,
                                            " but appends were acknowledged up to ",
                                            next_position_ - 1));
  }
  if (last == next_position_ - 1) return absl::OkStatus();  // the unknown write did not land
  std::string link = last_link_;
  for (int64_t position = next_position_; position <= last; ++position) {
    HUB_ASSIGN_OR_RETURN(RecordedEvent e, ReadAt(position));
    std::string value = ei::EncodeCanonicalRecord(e);
    link = ei::ChainLink(link, value);
    if (link != e.link) {
      return absl::DataLossError(absl::StrCat("hash chain broken at position ", position));
    }
  }
  HUB_LOG(WARNING) << "the write that failed for lack of space did land: positions "
                   << next_position_ << ".." << last << " adopted";
  Completion completion;
  {
    absl::MutexLock lock(&head_mu_);
    stats_.events += last + 1 - next_position_;
    committed_.position = GlobalPosition(last);
    committed_.link = link;
    completion.ready = TakeReadyWaiters();
  }
  next_position_ = last + 1;
  last_link_ = link;
  absl::MutexLock lock(&completion_mu_);
  completions_.push_back(std::move(completion));
  return absl::OkStatus();
}

void RocksDbEventLog::SetHealth(LogHealth health) {
  absl::MutexLock lock(&health_mu_);
  if (health == health_) return;
  health_ = std::move(health);
  if (health_listener_) health_listener_(health_);
}

std::vector<absl::AnyInvocable<void()>> RocksDbEventLog::TakeReadyWaiters() {
  std::vector<absl::AnyInvocable<void()>> ready;
  auto end = closing_ ? waiters_.end()
                      : waiters_.lower_bound({committed_.position.value() + 1, 0});
  for (auto it = waiters_.begin(); it != end;) {
    waiter_positions_.erase(it->first.second);
    ready.push_back(std::move(it->second));
    it = waiters_.erase(it);
  }
  return ready;
}

EventLog::WaitId RocksDbEventLog::NotifyWhenAvailable(GlobalPosition position,
                                                      absl::AnyInvocable<void()> fn) {
  WaitId id;
  {
    absl::MutexLock lock(&head_mu_);
    id = next_wait_id_++;
    if (!closing_ && position > committed_.position) {
      waiters_.emplace(std::make_pair(position.value(), id), std::move(fn));
      waiter_positions_[id] = position.value();
      return id;
    }
  }
  fn();
  return id;
}

bool RocksDbEventLog::CancelWait(WaitId id) {
  absl::MutexLock lock(&head_mu_);
  auto it = waiter_positions_.find(id);
  if (it == waiter_positions_.end()) return false;
  waiters_.erase({it->second, id});
  waiter_positions_.erase(it);
  return true;
}

bool RocksDbEventLog::WaitForPosition(GlobalPosition position, absl::Time deadline) {
  absl::MutexLock lock(&head_mu_);
  struct Args {
    RocksDbEventLog* self;
    GlobalPosition position;
  } args{this, position};
  head_mu_.AwaitWithDeadline(
      absl::Condition(
          +[](Args* a) ABSL_NO_THREAD_SAFETY_ANALYSIS {
            return a->self->closing_ || a->self->committed_.position >= a->position;
          },
          &args),
      deadline);
  return committed_.position >= position;
}

absl::StatusOr<StreamVersion> RocksDbEventLog::LoadStreamVersion(
    const std::string& stream, const rocksdb::Snapshot* snapshot) {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  const std::string prefix = ei::StreamKeyPrefix(stream);
  const std::string upper = ei::EncodeStreamKey(stream, -1);  // prefix || 0xff..ff
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, streams_cf_));
  it->SeekForPrev(upper);
  if (it->Valid() && it->key().starts_with(prefix)) {
    const auto key = it->key();
    if (key.size() != prefix.size() + 8) return absl::DataLossError("malformed stream index key");
    return StreamVersion(static_cast<int64_t>(ei::ReadBigEndian64(key.data() + prefix.size())));
  }
  HUB_RETURN_IF_ERROR(ei::FromRocksDb(it->status(), "reading stream index"));
  return kNoStreamVersion;
}

absl::StatusOr<RecordedEvent> RocksDbEventLog::ReadAt(int64_t position) {
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), log_cf_, ei::EncodePositionKey(position), &value);
  if (s.IsNotFound()) {
    return absl::DataLossError(absl::StrCat("stream index points at missing position ", position));
  }
  HUB_RETURN_IF_ERROR(ei::FromRocksDb(s, "reading log record"));
  HUB_ASSIGN_OR_RETURN(RecordedEvent e, ei::DecodeStoredRecord(value));
  if (e.position.value() != position) {
    return absl::DataLossError(absl::StrCat("record at position ", position, " says position ",
                                            e.position.value()));
  }
  return e;
}

absl::StatusOr<ReadStreamResult> RocksDbEventLog::ReadStream(const std::string& stream,
                                                             const ReadStreamOptions& options) {
  absl::ReaderMutexLock db_lock(&db_mu_);
  if (!db_open_) return absl::UnavailableError(kClosedMessage);
  HUB_RETURN_IF_ERROR(ValidateStreamName(stream, options_.limits));
  if (options.limit < 1) return absl::InvalidArgumentError("limit: must be >= 1");
  const bool forward = options.direction == Direction::kForward;
  if (forward && options.from.value() < 0) {
    return absl::InvalidArgumentError("from_version: must be >= 0 when reading forward");
  }
  if (!forward && options.from.value() < -1) {
    return absl::InvalidArgumentError("from_version: must be >= -1 when reading backward");
  }
  ReadStreamResult result;
  HUB_ASSIGN_OR_RETURN(result.last_version, LoadStreamVersion(stream));
  const int64_t last = result.last_version.value();
  const std::string prefix = ei::StreamKeyPrefix(stream);
  std::vector<std::string> position_keys;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), streams_cf_));
  int64_t version = 0;
  if (forward) {
    for (it->Seek(ei::EncodeStreamKey(stream, options.from.value()));
         it->Valid() && it->key().starts_with(prefix) &&
         static_cast<int>(position_keys.size()) < options.limit;
         it->Next()) {
      position_keys.push_back(it->value().ToString());
      version = static_cast<int64_t>(ei::ReadBigEndian64(it->key().data() + prefix.size()));
    }
    result.end_of_stream = position_keys.empty() || version >= last;
  } else {
    const int64_t start = (options.from.value() == -1 || options.from.value() > last)
                              ? last
                              : options.from.value();
    if (start >= 0) {
      for (it->SeekForPrev(ei::EncodeStreamKey(stream, start));
           it->Valid() && it->key().starts_with(prefix) &&
           static_cast<int>(position_keys.size()) < options.limit;
           it->Prev()) {
        position_keys.push_back(it->value().ToString());
        version = static_cast<int64_t>(ei::ReadBigEndian64(it->key().data() + prefix.size()));
      }
    }
    result.end_of_stream = position_keys.empty() || version == 0;
  }
  HUB_RETURN_IF_ERROR(ei::FromRocksDb(it->status(), "reading stream index"));
  result.events.reserve(position_keys.size());
  for (const std::string& key : position_keys) {
    HUB_ASSIGN_OR_RETURN(int64_t position, ei::DecodePositionKey(key));
    HUB_ASSIGN_OR_RETURN(RecordedEvent e, ReadAt(position));
    if (e.stream != stream) {
      return absl::DataLossError(absl::StrCat("stream index for '", stream,
                                              "' points at an event of '", e.stream, "'"));
    }
    result.events.push_back(std::move(e));
  }
  return result;
}

absl::StatusOr<ReadAllResult> RocksDbEventLog::ReadAll(const ReadAllOptions& options) {
  absl::ReaderMutexLock db_lock(&db_mu_);
  if (!db_open_) return absl::UnavailableError(kClosedMessage);
  if (options.from.value() < 0) return absl::InvalidArgumentError("from_position: must be >= 0");
  if (options.limit < 1) return absl::InvalidArgumentError("limit: must be >= 1");
  ReadAllResult result;
  result.next = options.from;
  // Only committed events: a reader never sees an append before it is acknowledged.
  const int64_t head = GetHead().position.value();
  if (options.from.value() > head) {
    result.end_of_log = true;
    return result;
  }
  const std::string upper = ei::EncodePositionKey(head + 1);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  ro.readahead_size = 2 << 20;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, log_cf_));
  int64_t expected = options.from.value();
  int64_t scanned = 0;
  const bool filtered = !options.stream_prefix.empty() || !options.event_type.empty();
  for (it->Seek(ei::EncodePositionKey(expected));
       it->Valid() && static_cast<int>(result.events.size()) < options.limit &&
       scanned < options.max_scan;
       it->Next(), ++expected, ++scanned) {
    HUB_ASSIGN_OR_RETURN(int64_t position, ei::DecodePositionKey(it->key().ToStringView()));
    if (position != expected) {
      return absl::DataLossError(absl::StrCat("log has a gap at position ", expected));
    }
    HUB_ASSIGN_OR_RETURN(RecordedEvent e, ei::DecodeStoredRecord(it->value().ToStringView()));
    if (e.position.value() != position) {
      return absl::DataLossError(absl::StrCat("record at position ", position,
                                              " says position ", e.position.value()));
    }
    if (filtered && ((!options.stream_prefix.empty() &&
                      !absl::StartsWith(e.stream, options.stream_prefix)) ||
                     (!options.event_type.empty() && e.type != options.event_type))) {
      if ((scanned & 1023) == 1023 && clock_.Now() > options.deadline) {
        return absl::DeadlineExceededError("deadline passed while scanning the log");
      }
      continue;
    }
    result.events.push_back(std::move(e));
  }
  HUB_RETURN_IF_ERROR(ei::FromRocksDb(it->status(), "reading log"));
  if (expected <= head && static_cast<int>(result.events.size()) < options.limit &&
      scanned < options.max_scan) {
    return absl::DataLossError(absl::StrCat("log ends at position ", expected - 1,
                                            " but its head is ", head));
  }
  result.next = GlobalPosition(expected);
  result.end_of_log = expected > head;
  return result;
}

absl::StatusOr<VerifyReport> RocksDbEventLog::Verify(const VerifyOptions& options) {
  absl::ReaderMutexLock db_lock(&db_mu_);
  if (!db_open_) return absl::UnavailableError(kClosedMessage);
  VerifyReport report;
  report.head = GetHead();
  const int64_t head = report.head.position.value();
  const rocksdb::Snapshot* snapshot = db_->GetSnapshot();
  auto release = [&] { db_->ReleaseSnapshot(snapshot); };
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  ro.readahead_size = 2 << 20;
  ro.fill_cache = false;
  auto fail = [&](int64_t position, std::string problem) {
    report.ok = false;
    report.first_bad_position = GlobalPosition(position);
    report.problem = std::move(problem);
  };
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, log_cf_));
  absl::flat_hash_map<std::string, int64_t> stream_versions;
  std::string link = kZeroLink;
  int64_t expected = 0;
  for (it->SeekToFirst(); it->Valid() && expected <= head && report.ok; it->Next(), ++expected) {
    auto position = ei::DecodePositionKey(it->key().ToStringView());
    if (!position.ok()) {
      fail(expected, "a log key is malformed");
      break;
    }
    if (*position != expected) {
      fail(expected, absl::StrCat("position ", expected, " is missing (next is ", *position, ")"));
      break;
    }
    std::string_view canonical;
    auto record = ei::DecodeStoredRecord(it->value().ToStringView(), &canonical);
    if (!record.ok()) {
      fail(expected, absl::StrCat("record does not decode: ", record.status().message()));
      break;
    }
    if (record->position.value() != expected) {
      fail(expected, absl::StrCat("record says position ", record->position.value()));
      break;
    }
    link = ei::ChainLink(link, canonical);
    if (link != record->link) {
      fail(expected, "hash chain broken: the record or an earlier one was altered");
      break;
    }
    int64_t& last_version = stream_versions.try_emplace(record->stream, -1).first->second;
    if (record->stream_version.value() != last_version + 1) {
      fail(expected, absl::StrCat("stream '", record->stream, "' jumps from version ",
                                  last_version, " to ", record->stream_version.value()));
      break;
    }
    last_version = record->stream_version.value();
    std::string indexed;
    rocksdb::Status s = db_->Get(
        ro, streams_cf_, ei::EncodeStreamKey(record->stream, last_version), &indexed);
    if (!s.ok() || indexed != it->key().ToStringView()) {
      fail(expected, absl::StrCat("stream index entry for '", record->stream, "' version ",
                                  last_version, " is missing or wrong"));
      break;
    }
    if (options.expected_position && options.expected_position->value() == expected &&
        link != options.expected_link) {
      fail(expected, "link differs from the head noted earlier: history before it changed");
      break;
    }
    ++report.events_checked;
    if (options.progress && options.progress_every > 0 &&
        report.events_checked % options.progress_every == 0) {
      options.progress(GlobalPosition(expected));
    }
  }
  absl::Status status = ei::FromRocksDb(it->status(), "verifying log");
  it.reset();
  release();
  HUB_RETURN_IF_ERROR(status);
  if (report.ok && expected <= head) {
    fail(expected, absl::StrCat("log ends before its head ", head));
  }
  if (report.ok && options.expected_position && options.expected_position->value() > head) {
    fail(head + 1, absl::StrCat("noted head position ", options.expected_position->value(),
                                " is beyond the log's end ", head));
  }
  return report;
}

absl::Status RocksDbEventLog::Checkpoint(const std::string& dir) {
  absl::ReaderMutexLock db_lock(&db_mu_);
  if (!db_open_) return absl::UnavailableError(kClosedMessage);
  if (std::filesystem::exists(dir)) {
    return absl::AlreadyExistsError(absl::StrCat("directory: ", dir, " already exists"));
  }
  rocksdb::Checkpoint* raw = nullptr;
  HUB_RETURN_IF_ERROR(ei::FromRocksDb(rocksdb::Checkpoint::Create(db_.get(), &raw), "checkpoint"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  return ei::FromRocksDb(checkpoint->CreateCheckpoint(dir), "creating checkpoint");
}

void RocksDbEventLog::Close() {
  absl::MutexLock close_lock(&close_mu_);
  if (closed_) return;
  closed_ = true;
  std::vector<absl::AnyInvocable<void()>> ready;
  {
    absl::MutexLock lock(&head_mu_);
    closing_ = true;
    ready = TakeReadyWaiters();
  }
  for (auto& fn : ready) fn();
  {
    absl::MutexLock lock(&queue_mu_);
    accepting_ = false;
  }
  if (writer_.joinable()) writer_.join();  // writes every queued append first
  {
    absl::MutexLock lock(&completion_mu_);
    completer_stop_ = true;
  }
  if (completer_.joinable()) completer_.join();  // answers them all
  absl::MutexLock db_lock(&db_mu_);
  db_open_ = false;
  if (db_ == nullptr) return;
  if (!options_.read_only) {
    // A clean close leaves nothing to replay from the WAL at the next start.
    rocksdb::FlushOptions flush;
    if (rocksdb::Status s = db_->Flush(flush, handles_); !s.ok()) {
      HUB_LOG(WARNING) << "flush on close failed (the WAL still has everything): "
                       << s.ToString();
    }
  }
  for (auto* h : handles_) {
    if (rocksdb::Status s = db_->DestroyColumnFamilyHandle(h); !s.ok()) {
      HUB_LOG(WARNING) << "closing column family: " << s.ToString();
    }
  }
  handles_.clear();
  if (rocksdb::Status s = db_->Close(); !s.ok()) {
    HUB_LOG(WARNING) << "closing event log: " << s.ToString();
  }
  db_.reset();
}

}  // namespace

absl::StatusOr<std::unique_ptr<EventLog>> OpenRocksDbEventLogOnEnv(const std::string& path,
                                                                   const RocksDbOptions& options,
                                                                   rocksdb::Env* env) {
  if (path.empty()) return absl::InvalidArgumentError("data_dir: required");
  if (options.max_batch_appends == 0) {
    return absl::InvalidArgumentError("max_batch_appends: must be >= 1");
  }
  auto log = std::make_unique<RocksDbEventLog>(path, options, env);
  HUB_RETURN_IF_ERROR(log->Init());
  return log;
}

absl::StatusOr<std::unique_ptr<EventLog>> OpenRocksDbEventLog(const std::string& path,
                                                              const RocksDbOptions& options) {
  return OpenRocksDbEventLogOnEnv(path, options, nullptr);
}

absl::Status RestoreRocksDbCheckpoint(const std::string& checkpoint_dir,
                                      const std::string& data_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(data_dir, ec) && !fs::is_empty(data_dir, ec)) {
    return absl::FailedPreconditionError(
        absl::StrCat("data_dir: ", data_dir, " is not empty; restore only into an empty place"));
  }
  {
    RocksDbOptions ro;
    ro.read_only = true;
    HUB_ASSIGN_OR_RETURN(std::unique_ptr<EventLog> backup,
                         OpenRocksDbEventLog(checkpoint_dir, ro));
    HUB_ASSIGN_OR_RETURN(VerifyReport report, backup->Verify(VerifyOptions{}));
    if (!report.ok) {
      return absl::DataLossError(absl::StrCat("checkpoint ", checkpoint_dir,
                                              " fails verification at position ",
                                              report.first_bad_position->value(), ": ",
                                              report.problem));
    }
  }
  // Copy beside the target, then rename: a half-copied restore is never mistaken for a log.
  const std::string staging = data_dir + ".restoring";
  fs::remove_all(staging, ec);
  fs::create_directories(fs::path(staging).parent_path().empty() ? fs::path(".")
                                                                  : fs::path(staging).parent_path(),
                         ec);
  fs::copy(checkpoint_dir, staging, fs::copy_options::recursive, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("copying checkpoint: ", ec.message()));
  }
  fs::remove(data_dir, ec);  // empty or absent
  fs::rename(staging, data_dir, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("installing restore: ", ec.message()));
  return absl::OkStatus();
}

}  // namespace hub::eventstore
