#include "app/case_store.h"

#include <memory>

#include "domain/common/envelope.h"
#include "eventstore/rocksdb/rocksdb_event_log.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hub::app {
namespace {

using ::hub::testing::StatusIs;

class CaseStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto log = eventstore::OpenRocksDbEventLog(dir_.Sub("log"), {});
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = std::move(*log);
    store_ = std::make_unique<CaseStore>(*log_);
  }

  domain::CommandContext Ctx(const std::string& key) {
    domain::CommandContext ctx;
    ctx.caller = {"asc", common::v1::AGENCY_KIND_ADULT_SOCIAL_CARE, "sw1",
                  {common::v1::ROLE_ENQUIRY_OFFICER}};
    ctx.now = absl::FromUnixSeconds(1700000000);
    ctx.command_key = key;
    ctx.new_id = "n";
    return ctx;
  }

  std::vector<events::v1::Event> Feedback(const domain::CommandContext& ctx, const std::string& text) {
    events::v1::Event e = domain::NewEvent(ctx);
    e.mutable_referrer_feedback_recorded()->set_feedback(text);
    return {e};
  }

  hub::testing::TempDir dir_;
  std::unique_ptr<eventstore::EventLog> log_;
  std::unique_ptr<CaseStore> store_;
};

TEST_F(CaseStoreTest, AppendThenLoadRoundTripsEnvelopes) {
  auto ctx = Ctx("asc/1");
  auto out = store_->Append("concern-a", eventstore::ExpectedVersion::NoStream(),
                            Feedback(ctx, "told"), ctx, absl::InfiniteFuture());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->version.value(), 0);
  auto loaded = store_->Load("concern-a", absl::InfiniteFuture());
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->events.size(), 1u);
  EXPECT_EQ(loaded->events[0].referrer_feedback_recorded().feedback(), "told");
  EXPECT_EQ(loaded->events[0].command_id(), "asc/1");
  EXPECT_EQ(loaded->events[0].actor().user_id(), "sw1");
  auto recorded = log_->ReadStream("concern-a", {});
  ASSERT_TRUE(recorded.ok());
  EXPECT_EQ(recorded->events[0].type, "ReferrerFeedbackRecorded");
  EXPECT_EQ(recorded->events[0].metadata.causation_id, "asc/1");
}

absl::Status Allow(const LoadedStream&) { return absl::OkStatus(); }

TEST_F(CaseStoreTest, RunCommandRefusesUnknownStreamAndStaleVersion) {
  auto decide = [&](const LoadedStream&) -> absl::StatusOr<std::vector<events::v1::Event>> {
    return Feedback(Ctx("asc/2"), "x");
  };
  EXPECT_THAT(RunCommand(*store_, "concern-none", "concern_id", "concern", 0, Ctx("asc/2"),
                         absl::InfiniteFuture(), Allow, decide)
                  .status(),
              StatusIs(absl::StatusCode::kNotFound, ::testing::HasSubstr("concern_id: no such concern")));
  auto ctx = Ctx("asc/1");
  ASSERT_TRUE(store_->Append("concern-b", eventstore::ExpectedVersion::NoStream(),
                             Feedback(ctx, "a"), ctx, absl::InfiniteFuture())
                  .ok());
  const absl::Status stale = RunCommand(*store_, "concern-b", "concern_id", "concern", 5,
                                        Ctx("asc/2"), absl::InfiniteFuture(), Allow, decide)
                                 .status();
  EXPECT_THAT(stale, StatusIs(absl::StatusCode::kAborted));
  ASSERT_TRUE(eventstore::ActualVersion(stale).has_value());
  EXPECT_EQ(eventstore::ActualVersion(stale)->value(), 0);
  EXPECT_EQ(log_->GetHead().position.value(), 0);
}

TEST_F(CaseStoreTest, RetriedCommandReturnsOriginalResultWithoutDeciding) {
  auto ctx = Ctx("asc/1");
  ASSERT_TRUE(store_->Append("concern-c", eventstore::ExpectedVersion::NoStream(),
                             Feedback(ctx, "a"), ctx, absl::InfiniteFuture())
                  .ok());
  int decided = 0;
  auto decide = [&](const LoadedStream&) -> absl::StatusOr<std::vector<events::v1::Event>> {
    ++decided;
    return Feedback(Ctx("asc/2"), "b");
  };
  auto first = RunCommand(*store_, "concern-c", "concern_id", "concern", 0, Ctx("asc/2"),
                          absl::InfiniteFuture(), Allow, decide);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->replayed);
  // The retry names the version it saw before the first attempt: it is still answered.
  auto retry = RunCommand(*store_, "concern-c", "concern_id", "concern", 0, Ctx("asc/2"),
                          absl::InfiniteFuture(), Allow, decide);
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->replayed);
  EXPECT_EQ(retry->version, first->version);
  EXPECT_EQ(retry->position, first->position);
  EXPECT_EQ(decided, 1);
  EXPECT_EQ(log_->GetHead().position.value(), 1);
}

// Who may act is decided before the stream's existence or version is told, and a refusal
// decides and writes nothing; a retry of one's own command is still answered first.
TEST_F(CaseStoreTest, AuthorisationComesBeforeExistenceAndVersion) {
  auto ctx = Ctx("asc/1");
  ASSERT_TRUE(store_->Append("concern-e", eventstore::ExpectedVersion::NoStream(),
                             Feedback(ctx, "a"), ctx, absl::InfiniteFuture())
                  .ok());
  int decided = 0;
  auto decide = [&](const LoadedStream&) -> absl::StatusOr<std::vector<events::v1::Event>> {
    ++decided;
    return Feedback(Ctx("asc/4"), "b");
  };
  std::vector<bool> seen_existing;
  auto refuse = [&](const LoadedStream& loaded) {
    seen_existing.push_back(loaded.exists());
    return absl::PermissionDeniedError("not yours");
  };
  for (const char* stream : {"concern-e", "concern-none"}) {
    for (int64_t expected : {0, 7}) {
      EXPECT_THAT(RunCommand(*store_, stream, "concern_id", "concern", expected, Ctx("asc/4"),
                             absl::InfiniteFuture(), refuse, decide)
                      .status(),
                  StatusIs(absl::StatusCode::kPermissionDenied, "not yours"));
    }
  }
  EXPECT_THAT(seen_existing, ::testing::ElementsAre(true, true, false, false));
  EXPECT_EQ(decided, 0);
  EXPECT_EQ(log_->GetHead().position.value(), 0);
  auto retry = RunCommand(*store_, "concern-e", "concern_id", "concern", 0, Ctx("asc/1"),
                          absl::InfiniteFuture(), refuse, decide);
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->replayed);
}

TEST_F(CaseStoreTest, DomainRefusalPassesThroughAndWritesNothing) {
  auto ctx = Ctx("asc/1");
  ASSERT_TRUE(store_->Append("concern-d", eventstore::ExpectedVersion::NoStream(),
                             Feedback(ctx, "a"), ctx, absl::InfiniteFuture())
                  .ok());
  auto decide = [&](const LoadedStream&) -> absl::StatusOr<std::vector<events::v1::Event>> {
    return absl::FailedPreconditionError("no");
  };
  EXPECT_THAT(RunCommand(*store_, "concern-d", "concern_id", "concern", 0, Ctx("asc/3"),
                         absl::InfiniteFuture(), Allow, decide)
                  .status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(log_->GetHead().position.value(), 0);
}

}  // namespace
}  // namespace hub::app
