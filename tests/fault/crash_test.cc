// Crash test: a child appends under concurrent load and is killed with SIGKILL at a random
// moment, several times over one data directory. After each kill, every append the child had
// acknowledged must be present, positions dense, and the hash chain intact.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "eventstore/rocksdb/rocksdb_event_log.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hub::eventstore {
namespace {

using ::hub::testing::IsOk;

struct Ack {
  std::string stream;
  int64_t first_version, last_version, first_position, last_position;
  std::string key;
};

// Runs the child until `kill_after` past its first acknowledgement, SIGKILLs it, and returns
// every acknowledgement it printed.
std::vector<Ack> RunAndKill(const std::string& data_dir, absl::Duration kill_after) {
  int out[2];
  EXPECT_EQ(::pipe(out), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    ::execl(HUB_CRASH_CHILD_PATH, HUB_CRASH_CHILD_PATH, data_dir.c_str(), "8",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out[1]);
  std::string data;
  char buf[65536];
  absl::Time kill_at = absl::InfiniteFuture();
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  bool killed = false;
  while (true) {
    if (!killed && (absl::Now() >= kill_at || absl::Now() > give_up)) {
      ::kill(pid, SIGKILL);
      killed = true;
    }
    pollfd pfd{out[0], POLLIN, 0};
    ::poll(&pfd, 1, killed ? 1000 : 5);
    if (pfd.revents & (POLLIN | POLLHUP)) {
      const ssize_t n = ::read(out[0], buf, sizeof buf);
      if (n <= 0) break;  // EOF: the child is gone and everything it wrote is read
      data.append(buf, n);
      if (kill_at == absl::InfiniteFuture()) kill_at = absl::Now() + kill_after;
    }
  }
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "the child must die by SIGKILL, not on its own (status " << status << ")";
  std::vector<Ack> acks;
  for (absl::string_view line : absl::StrSplit(data, '\n', absl::SkipEmpty())) {
    std::istringstream in{std::string(line)};
    std::string tag;
    Ack a;
    in >> tag >> a.stream >> a.first_version >> a.last_version >> a.first_position >>
        a.last_position >> a.key;
    EXPECT_EQ(tag, "ACK") << line;
    acks.push_back(a);
  }
  return acks;
}

TEST(CrashTest, AcknowledgedAppendsSurviveSigkill) {
  ::hub::testing::TempDir dir;
  const std::string data_dir = dir.Sub("data");
  const unsigned seed = std::random_device{}();
  std::mt19937 rng(seed);
  SCOPED_TRACE(absl::StrCat("seed ", seed));
  std::vector<Ack> all_acks;
  constexpr int kRounds = 6;
  for (int round = 0; round < kRounds; ++round) {
    const absl::Duration after =
        absl::Milliseconds(std::uniform_int_distribution<int>(20, 400)(rng));
    std::vector<Ack> acks = RunAndKill(data_dir, after);
    ASSERT_FALSE(acks.empty()) << "round " << round << ": the child acknowledged nothing";
    all_acks.insert(all_acks.end(), acks.begin(), acks.end());

    auto log = OpenRocksDbEventLog(data_dir, {});
    ASSERT_THAT(log, IsOk());
    const Head head = (*log)->GetHead();
    for (const Ack& a : all_acks) {
      ASSERT_LE(a.last_position, head.position.value()) << "acknowledged append lost: " << a.key;
      auto events = (*log)->ReadStream(
          a.stream, {.from = StreamVersion(a.first_version),
                     .limit = static_cast<int>(a.last_version - a.first_version + 1)});
      ASSERT_THAT(events, IsOk());
      ASSERT_EQ(events->events.size(), static_cast<size_t>(a.last_version - a.first_version + 1))
          << a.key;
      for (size_t k = 0; k < events->events.size(); ++k) {
        const RecordedEvent& e = events->events[k];
        ASSERT_EQ(e.position.value(), a.first_position + static_cast<int64_t>(k)) << a.key;
        ASSERT_EQ(e.payload.substr(0, e.payload.find('/')), a.key);
      }
    }
    auto report = (*log)->Verify({});
    ASSERT_THAT(report, IsOk());
    EXPECT_TRUE(report->ok) << "round " << round << ": " << report->problem << " at "
                            << report->first_bad_position.value_or(GlobalPosition(-1));
    EXPECT_EQ(report->events_checked, head.event_count()) << "positions are dense";

    // A client that never saw its acknowledgement retries with the same key: no double append.
    const Ack& last = acks.back();
    AppendRequest retry;
    retry.stream = last.stream;
    retry.idempotency_key = absl::StrCat("probe-", round);
    retry.events.push_back({.type = "Probe", .payload = "x"});
    auto probe = (*log)->Append(retry);
    ASSERT_THAT(probe, IsOk());
    auto again = (*log)->Append(retry);
    ASSERT_THAT(again, IsOk());
    EXPECT_TRUE(again->duplicate);
    EXPECT_EQ(again->first_position, probe->first_position);
  }
  RecordProperty("acknowledged_appends", static_cast<int>(all_acks.size()));
}

}  // namespace
}  // namespace hub::eventstore
