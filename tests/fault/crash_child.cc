// Child process for the crash test: appends under concurrent load forever, printing one line
// per acknowledged append, until the parent kills it with SIGKILL.
//   hub_crash_child DATA_DIR THREADS
// Line: "ACK <stream> <first_version> <last_version> <first_position> <last_position> <key>"
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "eventstore/rocksdb/rocksdb_event_log.h"

namespace {

using hub::eventstore::AppendRequest;
using hub::eventstore::ExpectedVersion;

void Run(hub::eventstore::EventLog& log, int thread) {
  const std::string stream = absl::StrCat("crash-", thread);
  // Carry on from whatever an earlier (killed) run left: exact versions keep streams dense.
  auto last = log.ReadStream(stream, {.from = hub::StreamVersion(-1),
                                      .direction = hub::eventstore::Direction::kBackward,
                                      .limit = 1});
  if (!last.ok()) std::abort();
  hub::StreamVersion version = last->last_version;
  const std::string run = absl::StrCat(getpid());
  for (int64_t i = 0;; ++i) {
    AppendRequest r;
    r.stream = stream;
    r.expected = version == hub::kNoStreamVersion ? ExpectedVersion::NoStream()
                                                  : ExpectedVersion::Exact(version);
    r.idempotency_key = absl::StrCat(run, "-", thread, "-", i);
    const int count = 1 + static_cast<int>(i % 3);
    for (int k = 0; k < count; ++k) {
      r.events.push_back({.type = "CrashTestEvent",
                          .payload = absl::StrCat(r.idempotency_key, "/", k, std::string(200, 'x'))});
    }
    auto result = log.Append(std::move(r));
    if (!result.ok()) std::abort();
    version = result->last_version;
    // One write(2) per line, below PIPE_BUF: lines never tear or interleave.
    const std::string line = absl::StrCat(
        "ACK ", stream, " ", result->first_version.value(), " ", result->last_version.value(),
        " ", result->first_position.value(), " ", result->last_position.value(), " ",
        absl::StrCat(run, "-", thread, "-", i), "\n");
    if (::write(STDOUT_FILENO, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
      std::abort();
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s DATA_DIR THREADS\n", argv[0]);
    return 2;
  }
  auto log = hub::eventstore::OpenRocksDbEventLog(argv[1], {});
  if (!log.ok()) {
    std::fprintf(stderr, "open: %s\n", log.status().ToString().c_str());
    return 1;
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < std::atoi(argv[2]); ++t) threads.emplace_back(Run, std::ref(**log), t);
  for (auto& t : threads) t.join();
  return 0;
}
