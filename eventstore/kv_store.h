// KvStore: an ordered key-value store with atomic batches, for read models.
//
// The projections keep their read models and checkpoints here (projections/). It lives beside
// the event log because RocksDB stays inside eventstore/rocksdb/ (STYLE.md 9.2); it knows
// bytes only. Read models are derived data: a lost store is rebuilt from the log.
// Thread-safety: every method may be called from any thread concurrently.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace hub::eventstore {

// Writes applied together or not at all.
class KvBatch {
 public:
  enum class Op { kPut, kDelete, kDeleteRange };
  struct Entry {
    Op op;
    std::string key;    // kDeleteRange: the first key deleted
    std::string value;  // kDeleteRange: the end key (exclusive)
  };
  void Put(std::string key, std::string value) {
    bytes_ += key.size() + value.size();
    entries_.push_back({Op::kPut, std::move(key), std::move(value)});
  }
  void Delete(std::string key) {
    bytes_ += key.size();
    entries_.push_back({Op::kDelete, std::move(key), {}});
  }
  void DeleteRange(std::string begin, std::string end) {
    entries_.push_back({Op::kDeleteRange, std::move(begin), std::move(end)});
  }
  const std::vector<Entry>& entries() const { return entries_; }
  size_t bytes() const { return bytes_; }
  bool empty() const { return entries_.empty(); }

 private:
  std::vector<Entry> entries_;
  size_t bytes_ = 0;
};

// Visitor for scans: return false to stop.
using KvVisitor = std::function<bool(std::string_view key, std::string_view value)>;

class KvStore {
 public:
  virtual ~KvStore() = default;
  // nullopt when absent.
  [[nodiscard]] virtual absl::StatusOr<std::optional<std::string>> Get(std::string_view key) = 0;
  // Applies the whole batch atomically (not synced: read models are rebuilt from the log, and
  // a batch carries its projection's checkpoint, so a lost tail is simply folded again).
  [[nodiscard]] virtual absl::Status Write(const KvBatch& batch) = 0;
  // Visits keys in [begin, end) in order (end empty = to the end of the store), from one
  // consistent snapshot.
  [[nodiscard]] virtual absl::Status Scan(std::string_view begin, std::string_view end,
                                          const KvVisitor& visit) = 0;
  // The same, from the last key backwards.
  [[nodiscard]] virtual absl::Status ScanBackward(std::string_view begin, std::string_view end,
                                                  const KvVisitor& visit) = 0;
};

// The smallest key greater than every key starting with `prefix` ("" if none exists).
std::string PrefixEnd(std::string_view prefix);

struct KvStoreOptions {
  bool create_if_missing = true;
  bool read_only = false;  // inspect beside a live hubd (sees what was flushed when opened)
  size_t block_cache_bytes = 64 << 20;
};

// Opens (creating if allowed) a RocksDB-backed store in `path`. kFailedPrecondition when
// another process holds it.
[[nodiscard]] absl::StatusOr<std::unique_ptr<KvStore>> OpenRocksDbKvStore(
    const std::string& path, const KvStoreOptions& options);

}  // namespace hub::eventstore
