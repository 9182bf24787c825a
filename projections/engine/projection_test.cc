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

}  // namespace
}  // namespace hub::projections
