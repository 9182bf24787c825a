// RocksDB's own diagnostics (its "info log"), sent to the hub's log instead of a LOG file in the
// data directory. A LOG file shares the data's disk: when that disk is full, RocksDB's next
// diagnostic line (its recovery thread reports clearing the error) writes to a file that
// already failed, and Debian's build asserts and aborts the process. The hub's log is stderr.
// Private to eventstore/rocksdb. Thread-safe (one HUB_LOG line per message).
#pragma once

#include <cstdarg>
#include <cstdio>
#include <memory>
#include <string>

#include "base/log.h"
#include "rocksdb/env.h"

namespace eventstore_internal {

class HubInfoLogger final : public rocksdb::Logger {
 public:
  HubInfoLogger(std::string name, rocksdb::InfoLogLevel level)
      : rocksdb::Logger(level), name_(std::move(name)) {}

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    char line[1024];
    std::vsnprintf(line, sizeof(line), format, ap);
    if (level >= rocksdb::InfoLogLevel::ERROR_LEVEL) {
      HUB_LOG(ERROR) << "rocksdb " << name_ << ": " << line;
    } else {
      HUB_LOG(WARNING) << "rocksdb " << name_ << ": " << line;
    }
  }

 private:
  const std::string name_;
};

// Errors of the store at `name` ("event log", "read models"), to the hub's log. Its warnings
// are what the hub reports itself through the statuses it gets (a failed open, a failed
// write), so they would only say the same thing twice.
inline std::shared_ptr<rocksdb::Logger> NewHubInfoLogger(std::string name) {
  return std::make_shared<HubInfoLogger>(std::move(name), rocksdb::InfoLogLevel::ERROR_LEVEL);
}

}  // namespace eventstore_internal
