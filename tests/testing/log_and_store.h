// For projection tests: a real event log and a real read-model store in a temporary directory,
// with hub events appended as the services append them (one envelope per record, typed by its
// payload). Header-only; tests only.
#pragma once

#include <memory>
#include <string>

#include "domain/common/envelope.h"
#include "eventstore/kv_store.h"
#include "eventstore/rocksdb/rocksdb_event_log.h"
#include "gtest/gtest.h"
#include "hub/events/v1/events.pb.h"
#include "tests/testing/temp_dir.h"

namespace hub::projections {

class LogAndStore {
 public:
  LogAndStore() {
    eventstore::RocksDbOptions options;
    options.sync = false;  // nothing here measures durability
    auto log = eventstore::OpenRocksDbEventLog(dir_.Sub("log"), options);
    EXPECT_TRUE(log.ok()) << log.status();
    log_ = std::move(*log);
    auto store = eventstore::OpenRocksDbKvStore(dir_.Sub("kv"), {});
    EXPECT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  // Appends `event` to `stream` as one record.
  void AppendEvent(const std::string& stream, const events::v1::Event& event) {
    eventstore::AppendRequest request;
    request.stream = stream;
    eventstore::NewEvent record;
    record.type = domain::EventTypeName(event);
    record.payload = event.SerializeAsString();
    request.events.push_back(std::move(record));
    auto result = log_->Append(std::move(request));
    ASSERT_TRUE(result.ok()) << result.status();
  }

  eventstore::EventLog& log() { return *log_; }
  eventstore::KvStore& store() { return *store_; }

 private:
  testing::TempDir dir_;
  std::unique_ptr<eventstore::EventLog> log_;
  std::unique_ptr<eventstore::KvStore> store_;
};

}  // namespace hub::projections
