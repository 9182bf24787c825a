#include <filesystem>

#include "absl/strings/str_cat.h"
#include "eventstore/kv_store.h"
#include "eventstore/rocksdb/info_logger.h"
#include "eventstore/rocksdb/status_util.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"

namespace hub::eventstore {
namespace {

using eventstore_internal::FromRocksDb;

rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

class RocksDbKvStore final : public KvStore {
 public:
  explicit RocksDbKvStore(std::unique_ptr<rocksdb::DB> db) : db_(std::move(db)) {}
  ~RocksDbKvStore() override {
    if (db_) db_->Close().PermitUncheckedError();
  }

  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) override {
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), ToSlice(key), &value);
    if (s.IsNotFound()) return std::nullopt;
    if (!s.ok()) return FromRocksDb(s, "read model get");
    return value;
  }

  absl::Status Write(const KvBatch& batch) override {
    rocksdb::WriteBatch wb;
    for (const KvBatch::Entry& e : batch.entries()) {
      rocksdb::Status s;
      switch (e.op) {
        case KvBatch::Op::kPut: s = wb.Put(ToSlice(e.key), ToSlice(e.value)); break;
        case KvBatch::Op::kDelete: s = wb.Delete(ToSlice(e.key)); break;
        case KvBatch::Op::kDeleteRange: s = wb.DeleteRange(ToSlice(e.key), ToSlice(e.value)); break;
      }
      if (!s.ok()) return FromRocksDb(s, "read model batch");
    }
    rocksdb::WriteOptions wo;
    wo.sync = false;
    rocksdb::Status s = db_->Write(wo, &wb);
    if (s.IsNoSpace()) {
      // RocksDB refuses every write after one failed for lack of space until resumed; the
      // projection retries with back-off, so each retry also tries to resume (in vain while
      // the disk is still full), and read models catch up once space returns.
      if (rocksdb::Status resumed = db_->Resume(); resumed.ok()) s = db_->Write(wo, &wb);
    }
    return FromRocksDb(s, "read model write");
  }

  absl::Status Scan(std::string_view begin, std::string_view end,
                    const KvVisitor& visit) override {
    rocksdb::ReadOptions ro;
    rocksdb::Slice upper = ToSlice(end);
    if (!end.empty()) ro.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
    for (it->Seek(ToSlice(begin)); it->Valid(); it->Next()) {
      if (!visit(std::string_view(it->key().data(), it->key().size()),
                 std::string_view(it->value().data(), it->value().size()))) {
        break;
      }
    }
    return FromRocksDb(it->status(), "read model scan");
  }

  absl::Status ScanBackward(std::string_view begin, std::string_view end,
                            const KvVisitor& visit) override {
    rocksdb::ReadOptions ro;
    rocksdb::Slice lower = ToSlice(begin);
    ro.iterate_lower_bound = &lower;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
    if (end.empty()) {
      it->SeekToLast();
    } else {
      it->SeekForPrev(ToSlice(end));
      // SeekForPrev lands on `end` itself when present; the range excludes it.
      if (it->Valid() && it->key() == ToSlice(end)) it->Prev();
    }
    for (; it->Valid(); it->Prev()) {
      if (!visit(std::string_view(it->key().data(), it->key().size()),
                 std::string_view(it->value().data(), it->value().size()))) {
        break;
      }
    }
    return FromRocksDb(it->status(), "read model scan");
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace

std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    unsigned char last = static_cast<unsigned char>(end.back());
    if (last != 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return end;
}

absl::StatusOr<std::unique_ptr<KvStore>> OpenRocksDbKvStore(const std::string& path,
                                                            const KvStoreOptions& options) {
  rocksdb::Options opts;
  opts.create_if_missing = options.create_if_missing;
  opts.IncreaseParallelism(2);
  // Never a LOG file on the data's disk: a full disk must not abort the process.
  opts.info_log_level = rocksdb::InfoLogLevel::ERROR_LEVEL;
  opts.info_log = eventstore_internal::NewHubInfoLogger("read models");
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  opts.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  opts.write_buffer_size = 32 << 20;
  // Made here rather than by RocksDB, which reports the missing directory as an error first.
  if (options.create_if_missing && !options.read_only) {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
  }
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = options.read_only ? rocksdb::DB::OpenForReadOnly(opts, path, &raw)
                                        : rocksdb::DB::Open(opts, path, &raw);
  if (!s.ok()) {
    if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
      return absl::FailedPreconditionError(
          absl::StrCat("read models in ", path, " are in use by another process: ", s.ToString()));
    }
    return FromRocksDb(s, absl::StrCat("open read models in ", path));
  }
  return std::unique_ptr<KvStore>(new RocksDbKvStore(std::unique_ptr<rocksdb::DB>(raw)));
}

}  // namespace hub::eventstore
