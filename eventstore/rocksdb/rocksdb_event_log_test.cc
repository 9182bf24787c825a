// Behaviour of the embedded log over a real RocksDB directory: every rule with a passing and
// a refusing case, concurrency, tamper evidence, checkpoints.
#include "eventstore/rocksdb/rocksdb_event_log.h"

#include <atomic>
#include <functional>
#include <set>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/strings/str_cat.h"
#include "eventstore/internal/record_codec.h"
#include "eventstore/internal/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "eventstore/rocksdb/rocksdb_event_log_on_env.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hub::eventstore {
namespace {

using ::hub::testing::IsOk;
using ::hub::testing::StatusIs;
using ::testing::HasSubstr;

NewEvent Event(std::string type, std::string payload = "p") {
  NewEvent e;
  e.type = std::move(type);
  e.payload = std::move(payload);
  return e;
}

AppendRequest Req(std::string stream, ExpectedVersion expected, int count = 1,
                  std::string key = "") {
  AppendRequest r;
  r.stream = std::move(stream);
  r.expected = expected;
  for (int i = 0; i < count; ++i) r.events.push_back(Event("E", absl::StrCat("payload-", i)));
  r.idempotency_key = std::move(key);
  return r;
}

class RocksDbEventLogTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen(RocksDbOptions options = {}) {
    log_.reset();
    auto log = OpenRocksDbEventLog(dir_.Sub("data"), options);
    ASSERT_THAT(log, IsOk());
    log_ = std::move(*log);
  }

  AppendResult MustAppend(AppendRequest r) {
    auto result = log_->Append(std::move(r));
    EXPECT_THAT(result, IsOk());
    return result.ok() ? *result : AppendResult{};
  }

  ::hub::testing::TempDir dir_;
  std::unique_ptr<EventLog> log_;
};

TEST_F(RocksDbEventLogTest, AppendAssignsDenseVersionsAndPositions) {
  AppendResult a = MustAppend(Req("person-1", ExpectedVersion::NoStream(), 3));
  EXPECT_EQ(a.first_version, StreamVersion(0));
  EXPECT_EQ(a.last_version, StreamVersion(2));
  EXPECT_EQ(a.first_position, GlobalPosition(0));
  EXPECT_EQ(a.last_position, GlobalPosition(2));
  EXPECT_FALSE(a.duplicate);
  AppendResult b = MustAppend(Req("person-2", ExpectedVersion::Any(), 2));
  EXPECT_EQ(b.first_version, StreamVersion(0));
  EXPECT_EQ(b.first_position, GlobalPosition(3));
  AppendResult c = MustAppend(Req("person-1", ExpectedVersion::Exact(StreamVersion(2))));
  EXPECT_EQ(c.first_version, StreamVersion(3));
  EXPECT_EQ(c.first_position, GlobalPosition(5));
  EXPECT_EQ(log_->GetHead().position, GlobalPosition(5));
}

TEST_F(RocksDbEventLogTest, RecordsEveryFieldOfTheEvent) {
  AppendRequest r = Req("concern-1", ExpectedVersion::NoStream());
  r.events[0].event_id = "0b7e5f1a-3c2d-4e6f-8a9b-0c1d2e3f4a5b";
  r.events[0].schema_version = 2;
  r.events[0].metadata = {"police-west", "pc-7", "corr-1", "cmd-9"};
  r.events.push_back(Event("Second"));
  const absl::Time before = absl::Now();
  MustAppend(r);
  auto read = log_->ReadStream("concern-1", {});
  ASSERT_THAT(read, IsOk());
  ASSERT_EQ(read->events.size(), 2u);
  const RecordedEvent& e = read->events[0];
  EXPECT_EQ(e.event_id, "0b7e5f1a-3c2d-4e6f-8a9b-0c1d2e3f4a5b");
  EXPECT_EQ(e.type, "E");
  EXPECT_EQ(e.schema_version, 2u);
  EXPECT_EQ(e.payload, "payload-0");
  EXPECT_EQ(e.metadata, (EventMetadata{"police-west", "pc-7", "corr-1", "cmd-9"}));
  EXPECT_EQ(e.stream, "concern-1");
  EXPECT_GE(e.recorded_at, before - absl::Seconds(1));
  EXPECT_EQ(e.link.size(), 32u);
  // A generated id is a fresh UUID, distinct per event.
  EXPECT_EQ(read->events[1].event_id.size(), 36u);
  EXPECT_NE(read->events[1].event_id, e.event_id);
  EXPECT_EQ(read->events[1].type, "Second");
}

TEST_F(RocksDbEventLogTest, InvalidAppendWritesNothing) {
  MustAppend(Req("s", ExpectedVersion::Any()));
  AppendRequest bad = Req("s", ExpectedVersion::Any(), 3);
  bad.events[2].type = "";  // the third event is bad: none of the three may land
  EXPECT_THAT(log_->Append(bad),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("events[2].type")));
  EXPECT_THAT(log_->Append(Req("bad stream", ExpectedVersion::Any())),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("stream:")));
  AppendRequest empty = Req("s", ExpectedVersion::Any(), 0);
  EXPECT_THAT(log_->Append(empty), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(log_->GetHead().position, GlobalPosition(0));
}

TEST_F(RocksDbEventLogTest, LimitsAreConfigurable) {
  RocksDbOptions options;
  options.limits.max_events_per_append = 2;
  Reopen(options);
  EXPECT_THAT(log_->Append(Req("s", ExpectedVersion::Any(), 2)), IsOk());
  EXPECT_THAT(log_->Append(Req("s", ExpectedVersion::Any(), 3)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at most 2 events")));
}

TEST_F(RocksDbEventLogTest, NoStreamPassesOnNewStreamAndRefusesExisting) {
  MustAppend(Req("s", ExpectedVersion::NoStream()));
  auto again = log_->Append(Req("s", ExpectedVersion::NoStream()));
  EXPECT_THAT(again, StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(ActualVersion(again.status()), StreamVersion(0));
}

TEST_F(RocksDbEventLogTest, StreamExistsRefusesNewStreamAndPassesExisting) {
  auto missing = log_->Append(Req("s", ExpectedVersion::StreamExists()));
  EXPECT_THAT(missing, StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(ActualVersion(missing.status()), kNoStreamVersion);
  MustAppend(Req("s", ExpectedVersion::Any()));
  EXPECT_THAT(log_->Append(Req("s", ExpectedVersion::StreamExists())), IsOk());
}

TEST_F(RocksDbEventLogTest, ExactVersionPassesWhenCurrentAndRefusesStale) {
  MustAppend(Req("s", ExpectedVersion::Any(), 2));  // versions 0, 1
  auto stale = log_->Append(Req("s", ExpectedVersion::Exact(StreamVersion(0))));
  EXPECT_THAT(stale, StatusIs(absl::StatusCode::kAborted, HasSubstr("actual version 1")));
  EXPECT_EQ(ActualVersion(stale.status()), StreamVersion(1));
  EXPECT_EQ(log_->GetHead().position, GlobalPosition(1));  // nothing appended
  EXPECT_THAT(log_->Append(Req("s", ExpectedVersion::Exact(StreamVersion(1)))), IsOk());
}

TEST_F(RocksDbEventLogTest, IdempotentRetryReturnsOriginalAndAppendsNothing) {
  AppendResult first = MustAppend(Req("s", ExpectedVersion::NoStream(), 2, "cmd-1"));
  MustAppend(Req("s", ExpectedVersion::Any(), 1));
  // The retry's expected version no longer holds, but it is recognised first.
  auto retry = log_->Append(Req("s", ExpectedVersion::NoStream(), 2, "cmd-1"));
  ASSERT_THAT(retry, IsOk());
  EXPECT_TRUE(retry->duplicate);
  AppendResult expected = first;
  expected.duplicate = true;
  EXPECT_EQ(*retry, expected);
  EXPECT_EQ(log_->GetHead().position, GlobalPosition(2));
}

TEST_F(RocksDbEventLogTest, IdempotencyKeyReusedWithDifferentContentIsRefused) {
  MustAppend(Req("s", ExpectedVersion::Any(), 1, "cmd-1"));
  AppendRequest different = Req("s", ExpectedVersion::Any(), 1, "cmd-1");
  different.events[0].payload = "something else";
  EXPECT_THAT(log_->Append(different),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("idempotency_key")));
  EXPECT_EQ(log_->GetHead().position, GlobalPosition(0));
}

TEST_F(RocksDbEventLogTest, IdempotencyKeysAreScopedToTheStream) {
  MustAppend(Req("a", ExpectedVersion::Any(), 1, "cmd-1"));
  AppendResult other = MustAppend(Req("b", ExpectedVersion::Any(), 1, "cmd-1"));
  EXPECT_FALSE(other.duplicate);
  EXPECT_EQ(other.first_position, GlobalPosition(1));
}

TEST_F(RocksDbEventLogTest, IdempotencySurvivesRestart) {
  AppendResult first = MustAppend(Req("s", ExpectedVersion::Any(), 1, "cmd-1"));
  Reopen();
  auto retry = log_->Append(Req("s", ExpectedVersion::Any(), 1, "cmd-1"));
  ASSERT_THAT(retry, IsOk());
  EXPECT_TRUE(retry->duplicate);
  EXPECT_EQ(retry->first_position, first.first_position);
  EXPECT_EQ(log_->GetHead().position, GlobalPosition(0));
}

TEST_F(RocksDbEventLogTest, IdempotentRetriesInOneGroupCommitAppendOnce) {
  constexpr int kRetries = 20;
  std::atomic<int> done{0}, duplicates{0};
  absl::Notification all_done;
  for (int i = 0; i < kRetries; ++i) {
    log_->AppendAsync(Req("s", ExpectedVersion::Any(), 1, "same"),
                      [&](absl::StatusOr<AppendResult> r) {
                        EXPECT_THAT(r, IsOk());
                        if (r.ok() && r->duplicate) ++duplicates;
                        if (++done == kRetries) all_done.Notify();
                      });
  }
  all_done.WaitForNotification();
  EXPECT_EQ(duplicates.load(), kRetries - 1);
  EXPECT_EQ(log_->GetHead().position, GlobalPosition(0));
}

TEST_F(RocksDbEventLogTest, ExpiredDeadlineWritesNothing) {
  AppendRequest r = Req("s", ExpectedVersion::Any());
  r.deadline = absl::Now() - absl::Seconds(1);
  EXPECT_THAT(log_->Append(r), StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_EQ(log_->GetHead().position, GlobalPosition(-1));
  r.deadline = absl::Now() + absl::Seconds(30);
  EXPECT_THAT(log_->Append(r), IsOk());
}

TEST_F(RocksDbEventLogTest, ReadStreamForwardBackwardAndLimits) {
  MustAppend(Req("s", ExpectedVersion::Any(), 5));
  MustAppend(Req("other", ExpectedVersion::Any(), 2));
  auto fwd = log_->ReadStream("s", {.from = StreamVersion(1), .limit = 2});
  ASSERT_THAT(fwd, IsOk());
  ASSERT_EQ(fwd->events.size(), 2u);
  EXPECT_EQ(fwd->events[0].stream_version, StreamVersion(1));
  EXPECT_EQ(fwd->events[1].stream_version, StreamVersion(2));
  EXPECT_FALSE(fwd->end_of_stream);
  EXPECT_EQ(fwd->last_version, StreamVersion(4));
  auto rest = log_->ReadStream("s", {.from = StreamVersion(3), .limit = 100});
  ASSERT_THAT(rest, IsOk());
  EXPECT_EQ(rest->events.size(), 2u);
  EXPECT_TRUE(rest->end_of_stream);
  auto back = log_->ReadStream(
      "s", {.from = StreamVersion(-1), .direction = Direction::kBackward, .limit = 3});
  ASSERT_THAT(back, IsOk());
  ASSERT_EQ(back->events.size(), 3u);
  EXPECT_EQ(back->events[0].stream_version, StreamVersion(4));
  EXPECT_EQ(back->events[2].stream_version, StreamVersion(2));
  EXPECT_FALSE(back->end_of_stream);
  auto back_all = log_->ReadStream(
      "s", {.from = StreamVersion(1), .direction = Direction::kBackward, .limit = 10});
  ASSERT_THAT(back_all, IsOk());
  ASSERT_EQ(back_all->events.size(), 2u);
  EXPECT_TRUE(back_all->end_of_stream);
  auto missing = log_->ReadStream("nobody", {});
  ASSERT_THAT(missing, IsOk());
  EXPECT_TRUE(missing->events.empty());
  EXPECT_EQ(missing->last_version, kNoStreamVersion);
  EXPECT_TRUE(missing->end_of_stream);
}

TEST_F(RocksDbEventLogTest, ReadStreamRefusesBadArguments) {
  EXPECT_THAT(log_->ReadStream("s", {.limit = 0}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit")));
  EXPECT_THAT(log_->ReadStream("s", {.from = StreamVersion(-1)}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("from_version")));
  EXPECT_THAT(log_->ReadStream("a b", {}), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(RocksDbEventLogTest, ReadAllInGlobalOrderWithFilters) {
  MustAppend(Req("person-1", ExpectedVersion::Any(), 2));
  AppendRequest mixed = Req("concern-1", ExpectedVersion::Any(), 0);
  mixed.events = {Event("ConcernRaised"), Event("ConcernTriaged")};
  MustAppend(mixed);
  MustAppend(Req("person-2", ExpectedVersion::Any(), 1));
  auto all = log_->ReadAll({.from = GlobalPosition(1), .limit = 3});
  ASSERT_THAT(all, IsOk());
  ASSERT_EQ(all->events.size(), 3u);
  EXPECT_EQ(all->events[0].position, GlobalPosition(1));
  EXPECT_EQ(all->events[2].position, GlobalPosition(3));
  EXPECT_EQ(all->next, GlobalPosition(4));
  EXPECT_FALSE(all->end_of_log);
  auto people = log_->ReadAll({.limit = 10, .stream_prefix = "person-"});
  ASSERT_THAT(people, IsOk());
  ASSERT_EQ(people->events.size(), 3u);
  EXPECT_EQ(people->events[2].stream, "person-2");
  EXPECT_TRUE(people->end_of_log);
  EXPECT_EQ(people->next, GlobalPosition(5));
  auto triaged = log_->ReadAll({.limit = 10, .event_type = "ConcernTriaged"});
  ASSERT_THAT(triaged, IsOk());
  ASSERT_EQ(triaged->events.size(), 1u);
  EXPECT_EQ(triaged->events[0].position, GlobalPosition(3));
  auto beyond = log_->ReadAll({.from = GlobalPosition(99)});
  ASSERT_THAT(beyond, IsOk());
  EXPECT_TRUE(beyond->events.empty());
  EXPECT_TRUE(beyond->end_of_log);
}

TEST_F(RocksDbEventLogTest, FilteredReadAllStopsAtMaxScanAndContinues) {
  MustAppend(Req("noise", ExpectedVersion::Any(), 50));
  MustAppend(Req("wanted", ExpectedVersion::Any(), 1));
  auto first = log_->ReadAll({.limit = 10, .stream_prefix = "wanted", .max_scan = 20});
  ASSERT_THAT(first, IsOk());
  EXPECT_TRUE(first->events.empty());
  EXPECT_EQ(first->next, GlobalPosition(20));
  EXPECT_FALSE(first->end_of_log);
  Subscription sub(*log_, GlobalPosition(0), {.stream_prefix = "wanted"});
  auto found = sub.Next(absl::Now() + absl::Seconds(10));
  ASSERT_THAT(found, IsOk());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].position, GlobalPosition(50));
}

TEST_F(RocksDbEventLogTest, ReadAllRefusesBadArguments) {
  EXPECT_THAT(log_->ReadAll({.from = GlobalPosition(-1)}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("from_position")));
  EXPECT_THAT(log_->ReadAll({.limit = 0}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit")));
}

TEST_F(RocksDbEventLogTest, SubscriptionCatchesUpThenGoesLiveWithoutGapOrDuplicate) {
  MustAppend(Req("s", ExpectedVersion::Any(), 30));
  constexpr int kLive = 200;
  std::thread writer([&] {
    for (int i = 0; i < kLive; ++i) {
      ASSERT_THAT(log_->Append(Req(absl::StrCat("w-", i % 7), ExpectedVersion::Any())), IsOk());
    }
  });
  Subscription sub(*log_, GlobalPosition(0), {}, /*batch_size=*/16);
  int64_t expected = 0;
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (expected < 30 + kLive && absl::Now() < deadline) {
    auto batch = sub.Next(deadline);
    ASSERT_THAT(batch, IsOk());
    EXPECT_LE(batch->size(), 16u);  // bounded memory: one batch at a time
    for (const RecordedEvent& e : *batch) {
      ASSERT_EQ(e.position.value(), expected);
      ++expected;
    }
  }
  writer.join();
  EXPECT_EQ(expected, 30 + kLive);
  // Caught up and nothing new: Next waits until its deadline, then returns nothing.
  auto idle = sub.Next(absl::Now() + absl::Milliseconds(50));
  ASSERT_THAT(idle, IsOk());
  EXPECT_TRUE(idle->empty());
}

TEST_F(RocksDbEventLogTest, NotifyFiresOnCommitAndCancelPreventsIt) {
  std::atomic<int> fired{0};
  absl::Notification notified;
  log_->NotifyWhenAvailable(GlobalPosition(0), [&] {
    ++fired;
    notified.Notify();
  });
  auto cancelled = log_->NotifyWhenAvailable(GlobalPosition(0), [&] { fired += 100; });
  EXPECT_TRUE(log_->CancelWait(cancelled));
  EXPECT_EQ(fired.load(), 0);
  MustAppend(Req("s", ExpectedVersion::Any()));
  notified.WaitForNotification();
  EXPECT_EQ(fired.load(), 1);
  EXPECT_FALSE(log_->CancelWait(cancelled));
  // Already available: fires at once.
  log_->NotifyWhenAvailable(GlobalPosition(0), [&] { ++fired; });
  EXPECT_EQ(fired.load(), 2);
}

TEST_F(RocksDbEventLogTest, CloseWakesWaitersAndRefusesAppends) {
  absl::Notification woke;
  log_->NotifyWhenAvailable(GlobalPosition(10), [&] { woke.Notify(); });
  std::thread waiter([&] {
    EXPECT_FALSE(log_->WaitForPosition(GlobalPosition(10), absl::InfiniteFuture()));
  });
  log_->Close();
  waiter.join();
  EXPECT_TRUE(woke.HasBeenNotified());
  EXPECT_TRUE(log_->closing());
  EXPECT_THAT(log_->Append(Req("s", ExpectedVersion::Any())),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(log_->ReadAll({}), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(log_->ReadStream("s", {}), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(RocksDbEventLogTest, ConcurrentAppendsShareSyncs) {
  constexpr int kAppends = 200;
  std::atomic<int> done{0};
  absl::Notification all_done;
  for (int i = 0; i < kAppends; ++i) {
    log_->AppendAsync(Req(absl::StrCat("s-", i), ExpectedVersion::NoStream()),
                      [&](absl::StatusOr<AppendResult> r) {
                        EXPECT_THAT(r, IsOk());
                        if (++done == kAppends) all_done.Notify();
                      });
  }
  all_done.WaitForNotification();
  LogStats stats = log_->stats();
  EXPECT_EQ(stats.appends, kAppends);
  EXPECT_EQ(stats.events, kAppends);
  EXPECT_LT(stats.synced_writes, kAppends / 2) << "appends queued together must share syncs";
}

TEST_F(RocksDbEventLogTest, ExactlyOneWinnerPerVersionUnderContention) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 40;
  std::atomic<int> wins{0}, aborted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        // Everyone races for the next version; the losers learn the actual one and retry.
        while (true) {
          auto head = log_->ReadStream("contended", {.from = StreamVersion(-1),
                                                     .direction = Direction::kBackward,
                                                     .limit = 1});
          ASSERT_THAT(head, IsOk());
          AppendRequest r = Req("contended", head->last_version == kNoStreamVersion
                                                 ? ExpectedVersion::NoStream()
                                                 : ExpectedVersion::Exact(head->last_version));
          r.events[0].payload = absl::StrCat("t", t, "r", round);
          auto result = log_->Append(r);
          if (result.ok()) {
            ++wins;
            break;
          }
          ASSERT_THAT(result, StatusIs(absl::StatusCode::kAborted));
          ASSERT_TRUE(ActualVersion(result.status()).has_value());
          ++aborted;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), kThreads * kRounds);
  auto all = log_->ReadStream("contended", {.limit = kThreads * kRounds + 10});
  ASSERT_THAT(all, IsOk());
  ASSERT_EQ(all->events.size(), static_cast<size_t>(kThreads * kRounds));
  std::set<std::string> payloads;
  for (size_t i = 0; i < all->events.size(); ++i) {
    EXPECT_EQ(all->events[i].stream_version.value(), static_cast<int64_t>(i));
    EXPECT_EQ(all->events[i].position.value(), static_cast<int64_t>(i));
    payloads.insert(all->events[i].payload);
  }
  EXPECT_EQ(payloads.size(), all->events.size()) << "no event lost or doubled";
  auto report = log_->Verify({});
  ASSERT_THAT(report, IsOk());
  EXPECT_TRUE(report->ok) << report->problem;
}

TEST_F(RocksDbEventLogTest, HeadAndPositionsSurviveRestart) {
  MustAppend(Req("s", ExpectedVersion::Any(), 3));
  const Head before = log_->GetHead();
  Reopen();
  const Head after = log_->GetHead();
  EXPECT_EQ(after.position, before.position);
  EXPECT_EQ(after.link, before.link);
  AppendResult next = MustAppend(Req("s", ExpectedVersion::Exact(StreamVersion(2))));
  EXPECT_EQ(next.first_position, GlobalPosition(3));
}

TEST_F(RocksDbEventLogTest, SecondOpenOfALockedDirectoryIsRefusedClearly) {
  RocksDbOptions options;
  auto second = OpenRocksDbEventLog(dir_.Sub("data"), options);
  EXPECT_THAT(second, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("locked")));
}

TEST_F(RocksDbEventLogTest, ReadOnlyOpenBesideAWriterReadsButRefusesAppends) {
  MustAppend(Req("s", ExpectedVersion::Any(), 2));
  RocksDbOptions options;
  options.read_only = true;
  auto reader = OpenRocksDbEventLog(dir_.Sub("data"), options);
  ASSERT_THAT(reader, IsOk());
  EXPECT_EQ((*reader)->GetHead().position, GlobalPosition(1));
  EXPECT_THAT((*reader)->Append(Req("s", ExpectedVersion::Any())),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  auto missing = OpenRocksDbEventLog(dir_.Sub("nothing-here"), options);
  EXPECT_THAT(missing, StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(RocksDbEventLogTest, VerifyPassesOnAnIntactLogAndChecksANotedHead) {
  for (int i = 0; i < 10; ++i) MustAppend(Req(absl::StrCat("s", i % 3), ExpectedVersion::Any()));
  const Head noted = log_->GetHead();
  MustAppend(Req("later", ExpectedVersion::Any()));
  VerifyOptions options;
  options.expected_position = noted.position;
  options.expected_link = noted.link;
  auto report = log_->Verify(options);
  ASSERT_THAT(report, IsOk());
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->events_checked, 11);
  EXPECT_EQ(report->head.position, GlobalPosition(10));
  options.expected_link[0] ^= 1;
  report = log_->Verify(options);
  ASSERT_THAT(report, IsOk());
  EXPECT_FALSE(report->ok);
  EXPECT_EQ(report->first_bad_position, GlobalPosition(9));
}

// Tampering is simulated by writing to RocksDB directly, as an attacker with disk access would.
class TamperTest : public RocksDbEventLogTest {
 protected:
  void WithRawDb(const std::function<void(rocksdb::DB*, rocksdb::ColumnFamilyHandle* log_cf)>& fn) {
    log_->Close();
    log_.reset();
    rocksdb::DBOptions options;
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
        {rocksdb::kDefaultColumnFamilyName, {}}, {"log", {}}, {"streams", {}}, {"idempotency", {}}};
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir_.Sub("data"), cfs, &handles, &db).ok());
    fn(db, handles[1]);
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
    delete db;
    Reopen();
  }
  std::string Get(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, int64_t position) {
    std::string value;
    EXPECT_TRUE(
        db->Get({}, cf, eventstore_internal::EncodePositionKey(position), &value).ok());
    return value;
  }
};

TEST_F(TamperTest, FlippedByteIsReportedAtItsPosition) {
  for (int i = 0; i < 10; ++i) MustAppend(Req("s", ExpectedVersion::Any()));
  WithRawDb([&](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
    std::string value = Get(db, cf, 6);
    value[value.size() - 40] ^= 0x01;  // a byte of the payload
    ASSERT_TRUE(db->Put({}, cf, eventstore_internal::EncodePositionKey(6), value).ok());
  });
  auto report = log_->Verify({});
  ASSERT_THAT(report, IsOk());
  EXPECT_FALSE(report->ok);
  EXPECT_EQ(report->first_bad_position, GlobalPosition(6));
  EXPECT_THAT(report->problem, HasSubstr("hash chain"));
  EXPECT_EQ(report->events_checked, 6);
}

TEST_F(TamperTest, DeletedRecordIsReportedAsAGap) {
  for (int i = 0; i < 5; ++i) MustAppend(Req("s", ExpectedVersion::Any()));
  WithRawDb([&](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
    ASSERT_TRUE(db->Delete({}, cf, eventstore_internal::EncodePositionKey(2)).ok());
  });
  auto report = log_->Verify({});
  ASSERT_THAT(report, IsOk());
  EXPECT_FALSE(report->ok);
  EXPECT_EQ(report->first_bad_position, GlobalPosition(2));
  EXPECT_THAT(log_->ReadAll({}), StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(TamperTest, RewrittenChainIsCaughtByANotedHead) {
  for (int i = 0; i < 6; ++i) MustAppend(Req("s", ExpectedVersion::Any()));
  const Head noted = log_->GetHead();
  // An attacker alters position 3 and recomputes every later link: the chain is
  // self-consistent again, so only a head noted outside the system can reveal it.
  WithRawDb([&](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
    std::string link = Get(db, cf, 2).substr(Get(db, cf, 2).size() - 32);
    for (int64_t p = 3; p <= 5; ++p) {
      auto e = eventstore_internal::DecodeStoredRecord(Get(db, cf, p));
      ASSERT_THAT(e, IsOk());
      if (p == 3) e->payload = "forged";
      e->link = eventstore_internal::ChainLink(link, eventstore_internal::EncodeCanonicalRecord(*e));
      link = e->link;
      ASSERT_TRUE(db->Put({}, cf, eventstore_internal::EncodePositionKey(p),
                          eventstore_internal::EncodeStoredRecord(*e))
                      .ok());
    }
  });
  auto plain = log_->Verify({});
  ASSERT_THAT(plain, IsOk());
  EXPECT_TRUE(plain->ok);
  VerifyOptions options;
  options.expected_position = noted.position;
  options.expected_link = noted.link;
  auto checked = log_->Verify(options);
  ASSERT_THAT(checked, IsOk());
  EXPECT_FALSE(checked->ok);
  EXPECT_EQ(checked->first_bad_position, GlobalPosition(5));
}

TEST_F(RocksDbEventLogTest, CheckpointWhileAppendingRestoresAConsistentLog) {
  for (int i = 0; i < 50; ++i) MustAppend(Req("before", ExpectedVersion::Any()));
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    while (!stop) ASSERT_THAT(log_->Append(Req("during", ExpectedVersion::Any())), IsOk());
  });
  const std::string backup = dir_.Sub("backup");
  ASSERT_THAT(log_->Checkpoint(backup), IsOk());
  stop = true;
  writer.join();
  EXPECT_THAT(log_->Checkpoint(backup), StatusIs(absl::StatusCode::kAlreadyExists));

  const std::string restored = dir_.Sub("restored");
  ASSERT_THAT(RestoreRocksDbCheckpoint(backup, restored), IsOk());
  auto log = OpenRocksDbEventLog(restored, {});
  ASSERT_THAT(log, IsOk());
  auto report = (*log)->Verify({});
  ASSERT_THAT(report, IsOk());
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_GE(report->events_checked, 50);
  // The restored log carries on from its own head.
  auto next = (*log)->Append(Req("after", ExpectedVersion::Any()));
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(next->first_position.value(), report->events_checked);
}

TEST_F(RocksDbEventLogTest, RestoreRefusesANonEmptyTarget) {
  MustAppend(Req("s", ExpectedVersion::Any()));
  ASSERT_THAT(log_->Checkpoint(dir_.Sub("backup")), IsOk());
  // The live data directory is not empty.
  EXPECT_THAT(RestoreRocksDbCheckpoint(dir_.Sub("backup"), dir_.Sub("data")),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not empty")));
  EXPECT_THAT(RestoreRocksDbCheckpoint(dir_.Sub("no-backup"), dir_.Sub("fresh")),
              StatusIs(absl::StatusCode::kNotFound));
}

// A disk that can be made full: while `full`, every write to a file fails as write(2) does on
// a full disk (ENOSPC, RocksDB's IOStatus::NoSpace). Creating empty files still works.
class FullDiskFs final : public rocksdb::FileSystemWrapper {
 public:
  FullDiskFs() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  static const char* kClassName() { return "FullDiskFs"; }
  const char* Name() const override { return kClassName(); }
  void set_full(bool full) { full_ = full; }

  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->NewWritableFile(f, options, result, dbg);
    if (s.ok()) *result = std::make_unique<File>(std::move(*result), full_);
    return s;
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->ReopenWritableFile(f, options, result, dbg);
    if (s.ok()) *result = std::make_unique<File>(std::move(*result), full_);
    return s;
  }

 private:
  class File final : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSWritableFile> file, const std::atomic<bool>& full)
        : FSWritableFileOwnerWrapper(std::move(file)), full_(full) {}
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
      if (full_) return rocksdb::IOStatus::NoSpace("No space left on device");
      return FSWritableFileOwnerWrapper::Append(data, options, dbg);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             const rocksdb::DataVerificationInfo& info,
                             rocksdb::IODebugContext* dbg) override {
      if (full_) return rocksdb::IOStatus::NoSpace("No space left on device");
      return FSWritableFileOwnerWrapper::Append(data, options, info, dbg);
    }
    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                       const rocksdb::IOOptions& options,
                                       rocksdb::IODebugContext* dbg) override {
      if (full_) return rocksdb::IOStatus::NoSpace("No space left on device");
      return FSWritableFileOwnerWrapper::PositionedAppend(data, offset, options, dbg);
    }
    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                       const rocksdb::IOOptions& options,
                                       const rocksdb::DataVerificationInfo& info,
                                       rocksdb::IODebugContext* dbg) override {
      if (full_) return rocksdb::IOStatus::NoSpace("No space left on device");
      return FSWritableFileOwnerWrapper::PositionedAppend(data, offset, options, info, dbg);
    }

   private:
    const std::atomic<bool>& full_;
  };

  std::atomic<bool> full_{false};
};

// Health changes as the log reports them, and a way to wait for one without sleeping.
class HealthRecorder {
 public:
  void Record(const LogHealth& health) {
    absl::MutexLock lock(&mu_);
    changes_.push_back(health);
  }
  // Waits until the last change reported is `writable`; false at the deadline.
  bool WaitFor(bool writable, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto reached = [this, writable]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !changes_.empty() && changes_.back().writable == writable;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
  }
  std::vector<LogHealth> changes() {
    absl::MutexLock lock(&mu_);
    return changes_;
  }

 private:
  absl::Mutex mu_;
  std::vector<LogHealth> changes_ ABSL_GUARDED_BY(mu_);
};

AppendRequest Keyed(int i) {
  AppendRequest r;
  r.stream = absl::StrCat("concern-", i % 3);
  r.events.push_back(Event("ConcernRaised", absl::StrCat("payload-", i)));
  r.idempotency_key = absl::StrCat("command-", i);
  return r;
}

// How many events in the whole log carry `payload`.
int CountPayload(EventLog& log, const std::string& payload) {
  auto all = log.ReadAll({.limit = 100000});
  EXPECT_THAT(all, IsOk());
  int n = 0;
  for (const RecordedEvent& e : all->events) n += e.payload == payload ? 1 : 0;
  return n;
}

TEST(RocksDbEventLogDiskFullTest, AFullDiskFencesTheLogUntilSpaceReturns) {
  testing::TempDir dir;
  FullDiskFs* fs = new FullDiskFs();
  std::shared_ptr<rocksdb::FileSystem> owned(fs);
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(owned);
  RocksDbOptions options;
  options.no_space_retry = absl::Milliseconds(20);
  auto opened = OpenRocksDbEventLogOnEnv(dir.Sub("data"), options, env.get());
  ASSERT_THAT(opened, IsOk());
  std::unique_ptr<EventLog> log = std::move(*opened);
  HealthRecorder health;
  log->SetHealthListener([&health](const LogHealth& h) { health.Record(h); });
  EXPECT_TRUE(log->health().writable);

  std::vector<AppendResult> acknowledged;
  for (int i = 0; i < 20; ++i) {
    auto r = log->Append(Keyed(i));
    ASSERT_THAT(r, IsOk());
    acknowledged.push_back(*r);
  }

  fs->set_full(true);
  // The append that meets the full disk: its outcome is unknown, and it says so.
  EXPECT_THAT(log->Append(Keyed(20)),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("no space left")));
  EXPECT_FALSE(log->health().writable);
  EXPECT_THAT(log->health().reason, HasSubstr("no space left on the log's disk"));
  // Fenced: later appends are refused at once, with the same reason.
  EXPECT_THAT(log->Append(Keyed(21)),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("no space left")));
  // Every acknowledged append is still readable and the log verifies.
  for (const AppendResult& r : acknowledged) {
    auto all = log->ReadAll({.from = r.first_position, .limit = 1});
    ASSERT_THAT(all, IsOk());
    ASSERT_EQ(all->events.size(), 1u);
    EXPECT_EQ(all->events[0].position, r.first_position);
  }
  auto report = log->Verify({});
  ASSERT_THAT(report, IsOk());
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->head.position, acknowledged.back().last_position);

  // Space returns: the log resumes by itself, without an append to prompt it.
  fs->set_full(false);
  ASSERT_TRUE(health.WaitFor(/*writable=*/true, absl::Seconds(10)));
  EXPECT_TRUE(log->health().writable);
  EXPECT_EQ(log->health().reason, "");
  // Clients retry with their idempotency keys: each append is in the log exactly once.
  EXPECT_THAT(log->Append(Keyed(20)), IsOk());
  EXPECT_THAT(log->Append(Keyed(21)), IsOk());
  EXPECT_THAT(log->Append(Keyed(22)), IsOk());
  auto retried = log->Append(Keyed(20));
  ASSERT_THAT(retried, IsOk());
  EXPECT_TRUE(retried->duplicate);
  for (int i = 0; i < 23; ++i) EXPECT_EQ(CountPayload(*log, absl::StrCat("payload-", i)), 1) << i;
  report = log->Verify({});
  ASSERT_THAT(report, IsOk());
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->head.position.value(), 22);

  // The listener saw the fence and the recovery, in that order.
  const std::vector<LogHealth> changes = health.changes();
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_FALSE(changes[0].writable);
  EXPECT_TRUE(changes[1].writable);

  // Reopened (plain RocksDB environment), the log holds exactly what was acknowledged.
  log.reset();
  auto reopened = OpenRocksDbEventLog(dir.Sub("data"), {});
  ASSERT_THAT(reopened, IsOk());
  report = (*reopened)->Verify({});
  ASSERT_THAT(report, IsOk());
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->head.position.value(), 22);
  for (int i = 0; i < 23; ++i) {
    EXPECT_EQ(CountPayload(**reopened, absl::StrCat("payload-", i)), 1) << i;
  }
}

TEST(RocksDbEventLogDiskFullTest, StillFullStaysFencedAndAClosedFencedLogReopens) {
  testing::TempDir dir;
  FullDiskFs* fs = new FullDiskFs();
  std::shared_ptr<rocksdb::FileSystem> owned(fs);
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(owned);
  RocksDbOptions options;
  options.no_space_retry = absl::Milliseconds(10);
  {
    auto log = OpenRocksDbEventLogOnEnv(dir.Sub("data"), options, env.get());
    ASSERT_THAT(log, IsOk());
    HealthRecorder health;
    (*log)->SetHealthListener([&health](const LogHealth& h) { health.Record(h); });
    for (int i = 0; i < 5; ++i) ASSERT_THAT((*log)->Append(Keyed(i)), IsOk());
    fs->set_full(true);
    EXPECT_THAT((*log)->Append(Keyed(5)), StatusIs(absl::StatusCode::kUnavailable));
    // Retries while the disk is still full do not turn the log writable.
    EXPECT_FALSE(health.WaitFor(/*writable=*/true, absl::Milliseconds(200)));
    EXPECT_THAT((*log)->Append(Keyed(6)), StatusIs(absl::StatusCode::kUnavailable));
    (*log)->SetHealthListener(nullptr);
    (*log)->Close();  // closing a fenced log on a full disk must not abort
  }
  fs->set_full(false);
  auto reopened = OpenRocksDbEventLog(dir.Sub("data"), {});
  ASSERT_THAT(reopened, IsOk());
  auto report = (*reopened)->Verify({});
  ASSERT_THAT(report, IsOk());
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->head.position.value(), 4);
  EXPECT_TRUE((*reopened)->health().writable);
  EXPECT_THAT((*reopened)->Append(Keyed(5)), IsOk());
}

}  // namespace
}  // namespace hub::eventstore
