// RocksDbEventLog: the embedded EventLog over a RocksDB data directory (the default log).
//
// One writer thread owns every append: callers enqueue, the writer drains all pending appends
// into a single synced WriteBatch (group commit), then completes them in order. Reads go
// straight to RocksDB and see only committed events. The key and record layout is documented
// in eventstore/README.md. Thread-safe.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "eventstore/event_log.h"

namespace hub::eventstore {

struct RocksDbOptions {
  Limits limits;
  Clock* clock = nullptr;         // nullptr = SystemClock
  bool sync = true;               // false only for tests that measure nothing durable
  bool create_if_missing = true;
  bool read_only = false;         // open without the lock, for inspection beside a live hubd
  size_t max_batch_appends = 1024;  // appends one synced write may carry
  size_t block_cache_bytes = 64 << 20;
  // While fenced for lack of disk space, how often the writer tries to resume writing.
  absl::Duration no_space_retry = absl::Seconds(1);
};


// Opens (creating if allowed) the log in `path`. Errors:
//   kFailedPrecondition  the directory is locked by another process (message says so);
//   kDataLoss            the stored log cannot be read back consistently;
//   kInvalidArgument     bad options; kUnavailable/kInternal other I/O failures.
[[nodiscard]] absl::StatusOr<std::unique_ptr<EventLog>> OpenRocksDbEventLog(
    const std::string& path, const RocksDbOptions& options);

// Restores a checkpoint written by EventLog::Checkpoint into `data_dir`, which must not exist
// or be empty. The checkpoint is opened and verified first; nothing is copied if it fails.
[[nodiscard]] absl::Status RestoreRocksDbCheckpoint(const std::string& checkpoint_dir,
                                                    const std::string& data_dir);

}  // namespace hub::eventstore
