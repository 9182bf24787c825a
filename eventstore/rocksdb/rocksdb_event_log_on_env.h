// The RocksDB log over a caller's rocksdb::Env: for the eventstore's own tests, which inject
// file-system faults (a full disk) through RocksDB's public FileSystemWrapper. Private to
// eventstore/rocksdb/ (it names a RocksDB type); everyone else calls OpenRocksDbEventLog.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "eventstore/event_log.h"
#include "eventstore/rocksdb/rocksdb_event_log.h"
#include "rocksdb/env.h"

namespace hub::eventstore {

// OpenRocksDbEventLog with every file access going through `env` (not owned; must outlive the
// log; nullptr = RocksDB's default).
[[nodiscard]] absl::StatusOr<std::unique_ptr<EventLog>> OpenRocksDbEventLogOnEnv(
    const std::string& path, const RocksDbOptions& options, rocksdb::Env* env);

}  // namespace hub::eventstore
