#include "projections/engine/projection.h"

#include <thread>

#include "absl/strings/numbers.h"
#include "base/status_macros.h"
#include "absl/strings/str_cat.h"
#include "eventstore/rocksdb/rocksdb_event_log.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hub::projections {
namespace {

using eventstore::AppendRequest;
using eventstore::EventLog;
using eventstore::KvStore;
using eventstore::RecordedEvent;

// Counts concerns raised per location and remembers the last concern id: enough state to
// show double counting or loss.
class CountingProjection final : public Projection {
 public:
  std::string_view name() const override { return "counting"; }
  absl::Status Apply(const RecordedEvent& record, const events::v1::Event& event,
                     Txn& txn) override {
    if (!event.has_concern_raised()) return absl::OkStatus();
    const std::string key =
        absl::StrCat("loc/", event.concern_raised().details().location_of_risk());
    HUB_ASSIGN_OR_RETURN(std::optional<std::string> value, txn.Get(key));
    int64_t count = 0;
    if (value) {
      EXPECT_TRUE(absl::SimpleAtoi(*value, &count));
    }
    txn.Put(key, absl::StrCat(count + 1));
    txn.Put(absl::StrCat("concern/", event.concern_raised().concern_id()), record.stream);
    return absl::OkStatus();
  }
};

// Rejects a concern raised at location 3 as corrupt, after writing part of it: the partial
// write must never reach the store. Counts the rest like CountingProjection.
class StrictProjection final : public Projection {
 public:
  std::string_view name() const override { return "strict"; }
  absl::Status Apply(const RecordedEvent& record, const events::v1::Event& event,
                     Txn& txn) override {
    if (!event.has_concern_raised()) return absl::OkStatus();
    HUB_ASSIGN_OR_RETURN(std::optional<std::string> value, txn.Get("total"));
    int64_t total = 0;
    if (value) {
      EXPECT_TRUE(absl::SimpleAtoi(*value, &total));
    }
    txn.Put("total", absl::StrCat(total + 1));
    txn.Put(absl::StrCat("concern/", event.concern_raised().concern_id()), record.stream);
    if (event.concern_raised().details().location_of_risk() == 3) {
      return absl::InvalidArgumentError("location 3 is not a location this projection knows");
    }
    return absl::OkStatus();
  }
};

// A read-model store whose first reads of projection keys fail (UNAVAILABLE, then DATA_LOSS
// as if a block were unreadable): failures of the store, not of any event.
class FlakyStore final : public KvStore {
 public:
  FlakyStore(KvStore& store, int failures) : store_(store), failures_(failures) {}
  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) override {
    if (key.rfind("p/", 0) == 0 && failures_ > 0) {
      --failures_;
      return failures_ == 0 ? absl::DataLossError("block checksum mismatch")
                            : absl::UnavailableError("store is busy");
    }
    return store_.Get(key);
  }
  absl::Status Write(const eventstore::KvBatch& batch) override { return store_.Write(batch); }
  absl::Status Scan(std::string_view begin, std::string_view end,
                    const eventstore::KvVisitor& visit) override {
    return store_.Scan(begin, end, visit);
  }
  absl::Status ScanBackward(std::string_view begin, std::string_view end,
                            const eventstore::KvVisitor& visit) override {
    return store_.ScanBackward(begin, end, visit);
  }

 private:
  KvStore& store_;
  int failures_;  // only the projection's worker reads
};

std::unique_ptr<EventLog> OpenLog(const std::string& dir) {
  eventstore::RocksDbOptions options;
  options.sync = false;
  auto log = eventstore::OpenRocksDbEventLog(dir, options);
  EXPECT_TRUE(log.ok()) << log.status();
  return std::move(*log);
}

std::unique_ptr<KvStore> OpenStore(const std::string& dir) {
  auto store = eventstore::OpenRocksDbKvStore(dir, {});
  EXPECT_TRUE(store.ok()) << store.status();
  return std::move(*store);
}

int64_t AppendConcern(EventLog& log, int i) {
  events::v1::Event event;
  event.mutable_concern_raised()->set_concern_id(absl::StrCat("c", i));
  event.mutable_concern_raised()->mutable_details()->set_location_of_risk(
      static_cast<common::v1::LocationOfRisk>(1 + i % 3));
  AppendRequest request;
  request.stream = absl::StrCat("concern-c", i);
  request.events.push_back({"", "ConcernRaised", 1, event.SerializeAsString(), {}});
  auto result = log.Append(std::move(request));
  EXPECT_TRUE(result.ok()) << result.status();
  return result->last_position.value();
}

int64_t AppendRaw(EventLog& log) {
  AppendRequest request;
  request.stream = "other-stream";
  request.events.push_back({"", "SomethingElse", 1, "not a hub event", {}});
  return log.Append(std::move(request))->last_position.value();
}

// A record typed as a hub event whose payload is not one (a truncated field).
int64_t AppendPoisoned(EventLog& log) {
  AppendRequest request;
  request.stream = "concern-poisoned";
  request.events.push_back({"", "ConcernRaised", 1, std::string("\x0a\x05" "ab", 4), {}});
  auto result = log.Append(std::move(request));
  EXPECT_TRUE(result.ok()) << result.status();
  return result->last_position.value();
}

std::string Count(KvStore& store, int location) {
  auto value = store.Get(DataKey("counting", absl::StrCat("loc/", location)));
  return value.ok() && *value ? **value : "";
}

std::vector<std::unique_ptr<Projection>> Counting() {
  std::vector<std::unique_ptr<Projection>> out;
  out.push_back(std::make_unique<CountingProjection>());
  return out;
}

TEST(KvStoreTest, ScansForwardAndBackwardWithinBounds) {
  testing::TempDir dir;
  auto store = OpenStore(dir.path() + "/kv");
  eventstore::KvBatch batch;
  for (const char* key : {"a/1", "a/2", "a/3", "b/1"}) batch.Put(key, key);
  batch.Delete("a/2");
  HUB_ASSERT_OK(store->Write(batch));
  std::vector<std::string> seen;
  HUB_ASSERT_OK(store->Scan("a/", eventstore::PrefixEnd("a/"), [&](auto k, auto) {
    seen.emplace_back(k);
    return true;
  }));
  EXPECT_EQ(seen, (std::vector<std::string>{"a/1", "a/3"}));
  seen.clear();
  HUB_ASSERT_OK(store->ScanBackward("a/", "b/1", [&](auto k, auto) {
    seen.emplace_back(k);
    return true;
  }));
  EXPECT_EQ(seen, (std::vector<std::string>{"a/3", "a/1"}));
  EXPECT_EQ(eventstore::PrefixEnd("a/"), "a0");
}

TEST(ProjectionEngineTest, FoldsLiveEventsAndWaitsForAPosition) {
  testing::TempDir dir;
  auto log = OpenLog(dir.path() + "/log");
  auto store = OpenStore(dir.path() + "/kv");
  ProjectionEngine engine(*log, *store, Counting(), {.batch_size = 7});
  HUB_ASSERT_OK(engine.Start());
  int64_t last = -1;
  for (int i = 0; i < 30; ++i) last = AppendConcern(*log, i);
  AppendRaw(*log);
  last = AppendConcern(*log, 30);
  ASSERT_TRUE(engine.WaitFor(GlobalPosition(last), absl::Now() + absl::Seconds(10)));
  EXPECT_EQ(Count(*store, 1), "11");  // i % 3 == 0 for i in 0..30
  EXPECT_EQ(Count(*store, 2), "10");
  EXPECT_EQ(Count(*store, 3), "10");
  auto status = engine.status();
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0].position, last + 1);
  EXPECT_EQ(status[0].lag, 0);
  EXPECT_EQ(status[0].events_skipped, 1);
  // A position not yet written is not reached: the wait ends at its deadline.
  EXPECT_FALSE(engine.WaitFor(GlobalPosition(last + 1), absl::Now() + absl::Milliseconds(50)));
}

TEST(ProjectionEngineTest, ResumesFromItsCheckpointWithoutCountingTwice) {
  testing::TempDir dir;
  auto log = OpenLog(dir.path() + "/log");
  auto store = OpenStore(dir.path() + "/kv");
  int64_t last = -1;
  {
    ProjectionEngine engine(*log, *store, Counting(), {.batch_size = 4});
    HUB_ASSERT_OK(engine.Start());
    for (int i = 0; i < 12; ++i) last = AppendConcern(*log, i);
    ASSERT_TRUE(engine.WaitFor(GlobalPosition(last), absl::Now() + absl::Seconds(10)));
  }
  for (int i = 12; i < 24; ++i) last = AppendConcern(*log, i);
  ProjectionEngine engine(*log, *store, Counting(), {.batch_size = 4});
  HUB_ASSERT_OK(engine.Start());
  ASSERT_TRUE(engine.WaitFor(GlobalPosition(last), absl::Now() + absl::Seconds(10)));
  EXPECT_EQ(Count(*store, 1), "8");
  EXPECT_EQ(Count(*store, 2), "8");
  EXPECT_EQ(Count(*store, 3), "8");
}

TEST(ProjectionEngineTest, RebuildGivesByteIdenticalReadModel) {
  testing::TempDir dir;
  auto log = OpenLog(dir.path() + "/log");
  auto store = OpenStore(dir.path() + "/kv");
  ProjectionEngine engine(*log, *store, Counting(), {.batch_size = 3});
  HUB_ASSERT_OK(engine.Start());
  int64_t last = -1;
  for (int i = 0; i < 50; ++i) last = AppendConcern(*log, i);
  ASSERT_TRUE(engine.WaitFor(GlobalPosition(last), absl::Now() + absl::Seconds(10)));
  auto live_or = Digest(*store, "counting");
  ASSERT_TRUE(live_or.ok());
  const std::string live = *live_or;

  HUB_ASSERT_OK(engine.Rebuild("counting"));
  // The rebuild is visible, then finishes at the same position with the same bytes.
  ASSERT_TRUE(engine.WaitFor(GlobalPosition(last), absl::Now() + absl::Seconds(10)));
  for (int i = 0; i < 100 && engine.status()[0].rebuilding; ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_FALSE(engine.status()[0].rebuilding);
  EXPECT_EQ(*Digest(*store, "counting"), live);

  // An offline catch-up in one large batch into a fresh store gives the same bytes too.
  auto other = OpenStore(dir.path() + "/kv2");
  CountingProjection fresh;
  HUB_ASSERT_OK(CatchUp(*log, *other, fresh, /*from_scratch=*/true, nullptr, 1000));
  EXPECT_EQ(*Digest(*other, "counting"), live);
  EXPECT_EQ(engine.Rebuild("nonesuch").code(), absl::StatusCode::kNotFound);
}

std::vector<std::unique_ptr<Projection>> CountingAndStrict() {
  std::vector<std::unique_ptr<Projection>> out;
  out.push_back(std::make_unique<CountingProjection>());
  out.push_back(std::make_unique<StrictProjection>());
  return out;
}

const ProjectionStatus& StatusOf(const std::vector<ProjectionStatus>& all, std::string_view name) {
  for (const ProjectionStatus& s : all) {
    if (s.name == name) return s;
  }
  ADD_FAILURE() << "no status for " << name;
  return all.front();
}

std::vector<int64_t> Positions(const std::vector<QuarantinedEvent>& quarantined) {
  std::vector<int64_t> out;
  for (const QuarantinedEvent& q : quarantined) out.push_back(q.position);
  return out;
}

TEST(ProjectionEngineTest, PoisonedEventIsQuarantinedAndEveryProjectionFoldsOn) {
  testing::TempDir dir;
  auto log = OpenLog(dir.path() + "/log");
  auto store = OpenStore(dir.path() + "/kv");
  for (int i = 0; i < 10; ++i) AppendConcern(*log, i);  // i = 2, 5, 8: location 3
  const int64_t poisoned = AppendPoisoned(*log);
  int64_t last = -1;
  for (int i = 10; i < 20; ++i) last = AppendConcern(*log, i);  // 11, 14, 17: location 3
  std::string live_counting, live_strict;
  {
    ProjectionEngine engine(*log, *store, CountingAndStrict(), {.batch_size = 8});
    HUB_ASSERT_OK(engine.Start());
    ASSERT_TRUE(engine.WaitFor(GlobalPosition(last), absl::Now() + absl::Seconds(10)));
    // The good events on both sides of the poisoned one are folded.
    EXPECT_EQ(Count(*store, 1), "7");
    EXPECT_EQ(Count(*store, 2), "7");
    EXPECT_EQ(Count(*store, 3), "6");
    auto status = engine.status();
    const ProjectionStatus& counting = StatusOf(status, "counting");
    EXPECT_EQ(counting.position, last + 1);
    EXPECT_EQ(counting.error, "");
    EXPECT_EQ(counting.events_quarantined, 1);
    ASSERT_EQ(counting.quarantined.size(), 1u);
    EXPECT_EQ(counting.quarantined[0].position, poisoned);
    EXPECT_EQ(counting.quarantined[0].stream, "concern-poisoned");
    EXPECT_EQ(counting.quarantined[0].type, "ConcernRaised");
    EXPECT_NE(counting.quarantined[0].reason, "");
    EXPECT_EQ(counting.events_folded, 20);
    // Apply's rejections are quarantined too, and what Apply wrote of them is not kept.
    const ProjectionStatus& strict = StatusOf(status, "strict");
    EXPECT_EQ(strict.position, last + 1);
    EXPECT_EQ(strict.events_quarantined, 7);
    EXPECT_EQ(Positions(strict.quarantined),
              (std::vector<int64_t>{2, 5, 8, poisoned, 12, 15, 18}));
    EXPECT_EQ(strict.events_folded, 14);
    auto total = store->Get(DataKey("strict", "total"));
    ASSERT_TRUE(total.ok() && *total);
    EXPECT_EQ(**total, "14");
    auto partial = store->Get(DataKey("strict", "concern/c2"));
    ASSERT_TRUE(partial.ok());
    EXPECT_FALSE(*partial) << "a rejected event's partial write reached the read model";
    live_counting = *Digest(*store, "counting");
    live_strict = *Digest(*store, "strict");

    // A rebuild meets the same events, records the same quarantine, writes the same bytes.
    HUB_ASSERT_OK(engine.Rebuild("strict"));
    for (int i = 0; i < 1000 && (engine.status()[1].rebuilding || engine.status()[1].lag > 0); ++i) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    EXPECT_FALSE(engine.status()[1].rebuilding);
    EXPECT_EQ(engine.status()[1].events_quarantined, 7);
    EXPECT_EQ(*Digest(*store, "strict"), live_strict);
  }
  // The quarantine is stored: a restarted engine still shows it.
  ProjectionEngine restarted(*log, *store, CountingAndStrict());
  HUB_ASSERT_OK(restarted.Start());
  EXPECT_EQ(StatusOf(restarted.status(), "counting").events_quarantined, 1);
  EXPECT_EQ(Positions(StatusOf(restarted.status(), "counting").quarantined),
            (std::vector<int64_t>{poisoned}));
  restarted.Stop();
  auto listed = ListQuarantined(*store, "strict");
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->size(), 7u);

  // Offline catch-ups from 0, in batches of 1 and of 1000, give byte-identical read models.
  for (int batch : {1, 1000}) {
    auto other = OpenStore(absl::StrCat(dir.path(), "/kv-", batch));
    CountingProjection counting;
    StrictProjection strict;
    HUB_ASSERT_OK(CatchUp(*log, *other, counting, /*from_scratch=*/true, nullptr, batch));
    HUB_ASSERT_OK(CatchUp(*log, *other, strict, /*from_scratch=*/true, nullptr, batch));
    EXPECT_EQ(*Digest(*other, "counting"), live_counting) << "batch " << batch;
    EXPECT_EQ(*Digest(*other, "strict"), live_strict) << "batch " << batch;
  }
}

TEST(ProjectionEngineTest, StoreErrorsAreRetriedNotQuarantined) {
  testing::TempDir dir;
  auto log = OpenLog(dir.path() + "/log");
  auto real = OpenStore(dir.path() + "/kv");
  FlakyStore store(*real, /*failures=*/3);
  int64_t last = -1;
  for (int i = 0; i < 9; ++i) last = AppendConcern(*log, i);
  ProjectionEngine engine(*log, store, Counting(), {.batch_size = 4});
  HUB_ASSERT_OK(engine.Start());
  ASSERT_TRUE(engine.WaitFor(GlobalPosition(last), absl::Now() + absl::Seconds(10)));
  EXPECT_EQ(Count(*real, 1), "3");
  EXPECT_EQ(Count(*real, 2), "3");
  EXPECT_EQ(Count(*real, 3), "3");
  const ProjectionStatus status = engine.status()[0];
  EXPECT_EQ(status.events_quarantined, 0);
  EXPECT_EQ(status.events_folded, 9);
  EXPECT_EQ(status.error, "");
}

// Only the event's own failures quarantine it; a damaged read model is retried (and rebuilt).
TEST(ProjectionEngineTest, ReadModelDamageIsNotTakenForAPoisonedEvent) {
  testing::TempDir dir;
  auto store = OpenStore(dir.path() + "/kv");
  EXPECT_TRUE(IsPoisonedEvent(absl::DataLossError("payload cannot be decoded")));
  EXPECT_TRUE(IsPoisonedEvent(absl::InvalidArgumentError("bad field")));
  EXPECT_FALSE(IsPoisonedEvent(absl::UnavailableError("store is busy")));
  EXPECT_FALSE(IsPoisonedEvent(ReadModelCorruptError("case/c1")));
  EXPECT_FALSE(IsPoisonedEvent(ReadModelError(absl::DataLossError("block checksum mismatch"))));
  // Whose failure it was survives the context added on the way up (FoldRecords annotates it
  // with the projection and the position): found by fuzz_event_decode in a long run.
  EXPECT_FALSE(IsPoisonedEvent(Annotate(ReadModelCorruptError("case/c1"), "projection case_file")));
  // Txn::GetMessage on a stored value that does not parse is the read model's damage.
  Txn txn(*store, "strict");
  eventstore::KvBatch bad;
  bad.Put(DataKey("strict", "msg"), std::string("\x0a\x05" "ab", 4));
  HUB_ASSERT_OK(store->Write(bad));
  events::v1::Event out;
  absl::StatusOr<bool> parsed = txn.GetMessage("msg", &out);
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_FALSE(IsPoisonedEvent(parsed.status()));
}

}  // namespace
}  // namespace hub::projections
