// Integration tests of the EventStore and LogAdmin services: an in-process gRPC server on
// 127.0.0.1:0 over a real RocksDB event log in a fresh temp dir, driven by the generated
// client stubs, exactly as a remote client would.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "domain/common/streams.h"
#include "eventstore/event_log.h"
#include "eventstore/rocksdb/rocksdb_event_log.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "hub/api/v1/event_store_service.grpc.pb.h"
#include "hub/events/v1/events.pb.h"
#include "services/eventstore/event_store_service.h"
#include "services/eventstore/log_admin_service.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hub {
namespace {

namespace api = ::hub::api::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kUuid1[] = "0f8fad5b-d9cb-469f-a165-70867728950e";
constexpr char kUuid2[] = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

// Deadline of every call a test makes, so that a bug fails a test instead of hanging it.
std::chrono::system_clock::time_point CallDeadline() {
  return std::chrono::system_clock::now() + std::chrono::seconds(30);
}

api::NewEvent Event(const std::string& type, const std::string& payload) {
  api::NewEvent event;
  event.set_type(type);
  event.set_payload(payload);
  return event;
}

api::AppendRequest AppendOf(const std::string& stream, int count,
                            const std::string& type = "NoteAdded") {
  api::AppendRequest request;
  request.set_stream(stream);
  request.mutable_expected_version()->set_any(true);
  for (int i = 0; i < count; ++i) *request.add_events() = Event(type, absl::StrCat("p", i));
  return request;
}

// Whoever the test says is calling: the services' authorisation is under test, not the
// authentication (that has its own tests).
class FixedCaller final : public services::Authenticator {
 public:
  explicit FixedCaller(domain::Caller caller) : caller_(std::move(caller)) {}
  absl::StatusOr<domain::Caller> Authenticate(const grpc::ServerContextBase&) const override {
    absl::MutexLock lock(&mu_);
    return caller_;
  }
  void Set(absl::StatusOr<domain::Caller> caller) {
    absl::MutexLock lock(&mu_);
    caller_ = std::move(caller);
  }

 private:
  mutable absl::Mutex mu_;
  absl::StatusOr<domain::Caller> caller_ ABSL_GUARDED_BY(mu_);
};

// The hub's operators (their certificate); with another role, a practitioner.
domain::Caller Operator(common::v1::Role role = common::v1::ROLE_ADMINISTRATOR) {
  return domain::Caller{"asc-northshire", common::v1::AGENCY_KIND_ADULT_SOCIAL_CARE, "operator",
                        {role},
                        role == common::v1::ROLE_ADMINISTRATOR ? domain::CallerKind::kOperator
                                                               : domain::CallerKind::kPractitioner};
}

// One open Subscribe call.
struct Subscriber {
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<api::SubscribeResponse>> reader;
};

class EventStoreIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    eventstore::RocksDbOptions options;
    options.clock = clock_.get();
    absl::StatusOr<std::unique_ptr<eventstore::EventLog>> log =
        eventstore::OpenRocksDbEventLog(dir_.Sub("data"), options);
    ASSERT_THAT(log, testing::IsOk());
    log_ = *std::move(log);
    services::EventStoreService::Options service_options;
    service_options.authenticator = &caller_;
    service_ = std::make_unique<services::EventStoreService>(*log_, service_options);
    std::filesystem::create_directories(dir_.Sub("backups"));
    services::LogAdminService::Options admin_options;
    admin_options.backup_dir = std::filesystem::canonical(dir_.Sub("backups")).string();
    admin_ = std::make_unique<services::LogAdminService>(*log_, &caller_, admin_options);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.SetMaxReceiveMessageSize(16 << 20);
    builder.RegisterService(service_.get());
    builder.RegisterService(admin_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port, 0);
    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                       grpc::InsecureChannelCredentials());
    stub_ = api::EventStore::NewStub(channel);
    admin_stub_ = api::LogAdmin::NewStub(channel);
  }

  void TearDown() override {
    if (server_ != nullptr) {
      service_->Shutdown();
      server_->Shutdown(CallDeadline());
    }
    if (log_ != nullptr) log_->Close();
  }

  grpc::Status Append(const api::AppendRequest& request, api::AppendResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(CallDeadline());
    return stub_->Append(&context, request, response);
  }

  api::AppendResponse MustAppend(const api::AppendRequest& request) {
    api::AppendResponse response;
    const grpc::Status status = Append(request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  api::ReadAllResponse MustReadAll(const api::ReadAllRequest& request) {
    grpc::ClientContext context;
    context.set_deadline(CallDeadline());
    api::ReadAllResponse response;
    const grpc::Status status = stub_->ReadAll(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  api::GetHeadResponse Head() {
    grpc::ClientContext context;
    context.set_deadline(CallDeadline());
    api::GetHeadResponse response;
    EXPECT_TRUE(admin_stub_->GetHead(&context, api::GetHeadRequest(), &response).ok());
    return response;
  }

  std::unique_ptr<Subscriber> Subscribe(int64_t from, const std::string& prefix = "",
                                        const std::string& type = "") {
    auto subscriber = std::make_unique<Subscriber>();
    subscriber->context.set_deadline(CallDeadline());
    api::SubscribeRequest request;
    request.set_from_position(from);
    request.set_stream_prefix(prefix);
    request.set_event_type(type);
    subscriber->reader = stub_->Subscribe(&subscriber->context, request);
    return subscriber;
  }

  // Reads event batches until at least `count` events arrived (failing on anything else) and
  // returns their global positions: a batch may carry more than asked for.
  static std::vector<int64_t> ReadEvents(Subscriber& subscriber, int count) {
    std::vector<int64_t> positions;
    api::SubscribeResponse message;
    while (static_cast<int>(positions.size()) < count) {
      if (!subscriber.reader->Read(&message)) {
        ADD_FAILURE() << "stream ended after " << positions.size() << " events";
        break;
      }
      if (!message.has_events()) {
        ADD_FAILURE() << "expected events, got " << message.ShortDebugString();
        break;
      }
      EXPECT_GT(message.events().events_size(), 0) << "a batch is never empty";
      for (const auto& e : message.events().events()) positions.push_back(e.global_position());
    }
    return positions;
  }

  // Reads the next message, which must be the caught-up marker, and returns its position.
  static int64_t ReadCaughtUp(Subscriber& subscriber) {
    api::SubscribeResponse message;
    if (!subscriber.reader->Read(&message)) {
      ADD_FAILURE() << "stream ended before caught_up_at";
      return -1;
    }
    EXPECT_TRUE(message.has_caught_up_at()) << message.ShortDebugString();
    return message.caught_up_at();
  }

  // Waits (bounded) until the service has at most `count` subscriptions left: a finished
  // call leaves the set when gRPC reports it done, just after the client sees its status.
  bool WaitForSubscriptions(size_t count) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (service_->active_subscriptions() > count) {
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(1));
    }
    return true;
  }

  testing::TempDir dir_;
  std::unique_ptr<Clock> clock_ = std::make_unique<SystemClock>();
  FixedCaller caller_{Operator()};
  std::unique_ptr<eventstore::EventLog> log_;
  std::unique_ptr<services::EventStoreService> service_;
  std::unique_ptr<services::LogAdminService> admin_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<api::EventStore::Stub> stub_;
  std::unique_ptr<api::LogAdmin::Stub> admin_stub_;
};

// The raw log is for the hub's operators: anyone else is refused before anything is read or
// written, and a call with no identity is unauthenticated.
TEST_F(EventStoreIntegrationTest, OnlyOperatorsReachTheRawLog) {
  for (const absl::StatusOr<domain::Caller>& who :
       {absl::StatusOr<domain::Caller>(Operator(common::v1::ROLE_SAFEGUARDING_MANAGER)),
        absl::StatusOr<domain::Caller>(absl::UnauthenticatedError("no caller"))}) {
    caller_.Set(who);
    const grpc::StatusCode expected =
        who.ok() ? grpc::PERMISSION_DENIED : grpc::UNAUTHENTICATED;
    {
      grpc::ClientContext context;
      api::AppendResponse response;
      EXPECT_EQ(stub_->Append(&context, AppendOf("s-1", 1), &response).error_code(), expected);
    }
    {
      grpc::ClientContext context;
      api::ReadAllRequest request;
      api::ReadAllResponse response;
      EXPECT_EQ(stub_->ReadAll(&context, request, &response).error_code(), expected);
    }
    {
      grpc::ClientContext context;
      api::SubscribeRequest request;
      auto reader = stub_->Subscribe(&context, request);
      api::SubscribeResponse message;
      EXPECT_FALSE(reader->Read(&message));
      EXPECT_EQ(reader->Finish().error_code(), expected);
    }
    {
      grpc::ClientContext context;
      api::GetHeadResponse response;
      EXPECT_EQ(admin_stub_->GetHead(&context, api::GetHeadRequest(), &response).error_code(),
                expected);
    }
    {
      grpc::ClientContext context;
      api::BackupRequest request;
      request.set_directory(dir_.Sub("never"));
      api::BackupResponse response;
      EXPECT_EQ(admin_stub_->Backup(&context, request, &response).error_code(), expected);
    }
  }
  EXPECT_EQ(log_->GetHead().position.value(), -1);  // nothing was appended
  caller_.Set(Operator());
  grpc::ClientContext context;
  api::AppendResponse response;
  EXPECT_TRUE(stub_->Append(&context, AppendOf("s-1", 1), &response).ok());
}

TEST_F(EventStoreIntegrationTest, AppendThenReadBack) {
  api::AppendRequest request;
  request.set_stream("case-1");
  request.mutable_expected_version()->set_no_stream(true);
  *request.add_events() = Event("CaseOpened", "first");
  *request.add_events() = Event("NoteAdded", "second");
  request.mutable_events(0)->set_event_id(kUuid1);
  request.mutable_events(0)->set_schema_version(3);
  request.mutable_events(0)->mutable_metadata()->set_actor_agency("council");
  request.mutable_events(0)->mutable_metadata()->set_correlation_id("flow-1");
  const api::AppendResponse appended = MustAppend(request);
  EXPECT_EQ(appended.first_stream_version(), 0);
  EXPECT_EQ(appended.last_stream_version(), 1);
  EXPECT_EQ(appended.first_global_position(), 0);
  EXPECT_EQ(appended.last_global_position(), 1);
  EXPECT_FALSE(appended.duplicate());

  grpc::ClientContext context;
  context.set_deadline(CallDeadline());
  api::ReadStreamRequest read;
  read.set_stream("case-1");
  api::ReadStreamResponse stream;
  ASSERT_TRUE(stub_->ReadStream(&context, read, &stream).ok());
  ASSERT_EQ(stream.events_size(), 2);
  EXPECT_EQ(stream.last_stream_version(), 1);
  EXPECT_TRUE(stream.end_of_stream());
  const api::RecordedEvent& first = stream.events(0);
  EXPECT_EQ(first.event_id(), kUuid1);
  EXPECT_EQ(first.type(), "CaseOpened");
  EXPECT_EQ(first.schema_version(), 3u);
  EXPECT_EQ(first.payload(), "first");
  EXPECT_EQ(first.metadata().actor_agency(), "council");
  EXPECT_EQ(first.metadata().correlation_id(), "flow-1");
  EXPECT_EQ(first.stream(), "case-1");
  EXPECT_EQ(first.stream_version(), 0);
  EXPECT_EQ(first.global_position(), 0);
  EXPECT_EQ(first.link().size(), 32u);
  EXPECT_GT(first.recorded_at().seconds(), 0);
  const api::RecordedEvent& second = stream.events(1);
  EXPECT_EQ(second.schema_version(), 1u);  // 0 on the wire reads as 1
  EXPECT_EQ(second.event_id().size(), 36u);  // generated by the log
  EXPECT_EQ(second.payload(), "second");

  grpc::ClientContext back_context;
  back_context.set_deadline(CallDeadline());
  read.set_direction(api::READ_DIRECTION_BACKWARD);
  read.set_from_version(-1);
  api::ReadStreamResponse backward;
  ASSERT_TRUE(stub_->ReadStream(&back_context, read, &backward).ok());
  ASSERT_EQ(backward.events_size(), 2);
  EXPECT_EQ(backward.events(0).stream_version(), 1);
  EXPECT_EQ(backward.events(1).stream_version(), 0);

  // The log now also holds the two reads' records (operator-access), and this read's own.
  api::ReadAllRequest case_only;
  case_only.set_stream_prefix("case-");
  const api::ReadAllResponse all = MustReadAll(case_only);
  ASSERT_EQ(all.events_size(), 2);
  EXPECT_EQ(all.next_position(), 5);
  EXPECT_TRUE(all.end_of_log());
  EXPECT_EQ(all.events(1).link(), stream.events(1).link());
}

TEST_F(EventStoreIntegrationTest, MissingStreamReadsAsEmpty) {
  grpc::ClientContext context;
  context.set_deadline(CallDeadline());
  api::ReadStreamRequest read;
  read.set_stream("nobody");
  api::ReadStreamResponse response;
  ASSERT_TRUE(stub_->ReadStream(&context, read, &response).ok());
  EXPECT_EQ(response.events_size(), 0);
  EXPECT_EQ(response.last_stream_version(), -1);
  EXPECT_TRUE(response.end_of_stream());
}

TEST_F(EventStoreIntegrationTest, WrongExpectedVersionIsAbortedWithActualVersionInTrailers) {
  MustAppend(AppendOf("case-1", 2));
  const api::GetHeadResponse head = Head();

  const struct {
    std::string stream;
    void (*set)(api::ExpectedVersion&);
    std::string actual;
  } cases[] = {
      {"case-1", [](api::ExpectedVersion& e) { e.set_exact(0); }, "1"},
      {"case-1", [](api::ExpectedVersion& e) { e.set_no_stream(true); }, "1"},
      {"case-2", [](api::ExpectedVersion& e) { e.set_exact(3); }, "-1"},
      {"case-2", [](api::ExpectedVersion& e) { e.set_stream_exists(true); }, "-1"},
  };
  for (const auto& c : cases) {
    api::AppendRequest request = AppendOf(c.stream, 1);
    c.set(*request.mutable_expected_version());
    grpc::ClientContext context;
    context.set_deadline(CallDeadline());
    api::AppendResponse response;
    const grpc::Status status = stub_->Append(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::ABORTED) << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr("actual version " + c.actual));
    const auto& trailers = context.GetServerTrailingMetadata();
    auto it = trailers.find(services::kActualVersionMetadataKey);
    ASSERT_NE(it, trailers.end()) << c.stream;
    EXPECT_EQ(std::string(it->second.data(), it->second.size()), c.actual);
  }
  EXPECT_EQ(Head().position(), head.position());  // nothing was appended
}

TEST_F(EventStoreIntegrationTest, BadInputIsInvalidArgumentNamingTheFieldAndChangesNothing) {
  MustAppend(AppendOf("case-1", 1));
  const api::GetHeadResponse head = Head();

  const struct {
    const char* name;
    api::AppendRequest request;
    const char* field;
  } appends[] = {
      {"missing expected_version",
       [] {
         api::AppendRequest r = AppendOf("case-1", 1);
         r.clear_expected_version();
         return r;
       }(),
       "expected_version: required"},
      {"bad stream name", AppendOf("has space", 1), "stream:"},
      {"empty stream name", AppendOf("", 1), "stream:"},
      {"no events", AppendOf("case-1", 0), "events:"},
      {"bad event id",
       [] {
         api::AppendRequest r = AppendOf("case-1", 2);
         r.mutable_events(0)->set_event_id(kUuid1);
         r.mutable_events(1)->set_event_id("not-a-uuid");
         return r;
       }(),
       "events[1].event_id:"},
      {"bad event type",
       [] {
         api::AppendRequest r = AppendOf("case-1", 1);
         r.mutable_events(0)->set_type("9lives");
         return r;
       }(),
       "events[0].type:"},
  };
  for (const auto& c : appends) {
    api::AppendResponse response;
    const grpc::Status status = Append(c.request, &response);
    EXPECT_EQ(status.error_code(), grpc::INVALID_ARGUMENT) << c.name;
    EXPECT_THAT(status.error_message(), StartsWith(c.field)) << c.name;
  }

  for (int limit : {-1, 1001}) {
    grpc::ClientContext context;
    context.set_deadline(CallDeadline());
    api::ReadStreamRequest request;
    request.set_stream("case-1");
    request.set_limit(limit);
    api::ReadStreamResponse response;
    const grpc::Status status = stub_->ReadStream(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), StartsWith("limit: must be between 1 and 1000"));
  }
  {
    grpc::ClientContext context;
    context.set_deadline(CallDeadline());
    api::ReadAllRequest request;
    request.set_from_position(-5);
    api::ReadAllResponse response;
    const grpc::Status status = stub_->ReadAll(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), StartsWith("from_position:"));
  }
  {
    grpc::ClientContext context;
    context.set_deadline(CallDeadline());
    api::ReadAllRequest request;
    request.set_limit(5000);
    api::ReadAllResponse response;
    const grpc::Status status = stub_->ReadAll(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), StartsWith("limit:"));
  }
  {
    std::unique_ptr<Subscriber> subscriber = Subscribe(-1);
    api::SubscribeResponse message;
    EXPECT_FALSE(subscriber->reader->Read(&message));
    const grpc::Status status = subscriber->reader->Finish();
    EXPECT_EQ(status.error_code(), grpc::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), StartsWith("from_position:"));
  }
  EXPECT_EQ(Head().position(), head.position());
  EXPECT_EQ(Head().link(), head.link());
}

TEST_F(EventStoreIntegrationTest, IdempotentReplayReturnsTheOriginalResultAndAppendsNothing) {
  MustAppend(AppendOf("other", 3));
  api::AppendRequest request = AppendOf("case-1", 2);
  request.set_idempotency_key("command-42");
  const api::AppendResponse original = MustAppend(request);
  EXPECT_FALSE(original.duplicate());
  const api::GetHeadResponse head = Head();

  const api::AppendResponse replay = MustAppend(request);
  EXPECT_TRUE(replay.duplicate());
  EXPECT_EQ(replay.first_global_position(), original.first_global_position());
  EXPECT_EQ(replay.last_global_position(), original.last_global_position());
  EXPECT_EQ(replay.first_stream_version(), original.first_stream_version());
  EXPECT_EQ(replay.last_stream_version(), original.last_stream_version());
  EXPECT_EQ(Head().position(), head.position());

  api::AppendRequest different = AppendOf("case-1", 1);
  different.set_idempotency_key("command-42");
  api::AppendResponse response;
  const grpc::Status status = Append(different, &response);
  EXPECT_EQ(status.error_code(), grpc::ALREADY_EXISTS) << status.error_message();
  EXPECT_EQ(Head().position(), head.position());
}

TEST_F(EventStoreIntegrationTest, ExpiredDeadlineIsDeadlineExceededAndAppendsNothing) {
  MustAppend(AppendOf("case-1", 1));
  const api::GetHeadResponse head = Head();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() - std::chrono::seconds(1));
  api::AppendResponse response;
  const grpc::Status status = stub_->Append(&context, AppendOf("case-1", 1), &response);
  EXPECT_EQ(status.error_code(), grpc::DEADLINE_EXCEEDED);
  EXPECT_EQ(Head().position(), head.position());
}

// The log's clock runs an hour ahead, so every call deadline has already passed by the time
// the server looks: this checks that the call deadline reaches the log (the gRPC client would
// refuse an expired deadline itself before sending anything).
class ClockAheadIntegrationTest : public EventStoreIntegrationTest {
 protected:
  ClockAheadIntegrationTest() { clock_ = std::make_unique<ManualClock>(absl::Now() + absl::Hours(1)); }
};

TEST_F(ClockAheadIntegrationTest, CallDeadlineIsPassedToTheLog) {
  const api::GetHeadResponse head = Head();
  api::AppendResponse response;
  const grpc::Status status = Append(AppendOf("case-1", 1), &response);
  EXPECT_EQ(status.error_code(), grpc::DEADLINE_EXCEEDED);
  EXPECT_THAT(status.error_message(), HasSubstr("deadline passed"));
  EXPECT_EQ(Head().position(), head.position());

  // Without a deadline the same append goes through.
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->Append(&context, AppendOf("case-1", 1), &response).ok());
  EXPECT_EQ(Head().position(), head.position() + 1);
}

TEST_F(EventStoreIntegrationTest, ReadAllFiltersAndPages) {
  MustAppend(AppendOf("client-1", 2, "CaseOpened"));  // 0, 1
  MustAppend(AppendOf("case-1", 1, "CaseOpened"));    // 2
  MustAppend(AppendOf("client-2", 1, "NoteAdded"));   // 3
  MustAppend(AppendOf("case-1", 1, "NoteAdded"));     // 4

  auto positions = [](const api::ReadAllResponse& r) {
    std::vector<int64_t> out;
    for (const auto& e : r.events()) out.push_back(e.global_position());
    return out;
  };
  api::ReadAllRequest request;
  request.set_stream_prefix("client-");
  EXPECT_THAT(positions(MustReadAll(request)), ElementsAre(0, 1, 3));
  request.set_event_type("CaseOpened");
  EXPECT_THAT(positions(MustReadAll(request)), ElementsAre(0, 1));
  request.clear_stream_prefix();
  EXPECT_THAT(positions(MustReadAll(request)), ElementsAre(0, 1, 2));

  // Unfiltered pages also show each read's own record (one per page, 5 to 7 for the reads
  // above): the log grows by one a page and is read two a page, so paging still ends.
  api::ReadAllRequest page;
  page.set_limit(2);
  std::vector<int64_t> seen;
  std::vector<std::string> types;
  for (int i = 0; i < 20; ++i) {
    const api::ReadAllResponse response = MustReadAll(page);
    for (const auto& e : response.events()) {
      seen.push_back(e.global_position());
      types.push_back(e.type());
    }
    if (response.end_of_log()) break;
    page.set_from_position(response.next_position());
  }
  ASSERT_GT(seen.size(), 8u);
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i], static_cast<int64_t>(i));
    if (i >= 5) {
      EXPECT_EQ(types[i], "RawLogAccessed");
    }
  }
}

TEST_F(EventStoreIntegrationTest, LargeEventsArePagedUnderTheClientReceiveLimit) {
  // Four events of 900 KB: one page of all of them would exceed gRPC's default 4 MiB.
  api::AppendRequest request = AppendOf("case-1", 0);
  for (int i = 0; i < 4; ++i) *request.add_events() = Event("Big", std::string(900 << 10, 'x'));
  MustAppend(request);
  std::vector<int64_t> seen;
  api::ReadAllRequest page;
  page.set_stream_prefix("case-");  // not the reads' own records
  for (int i = 0; i < 10; ++i) {
    const api::ReadAllResponse response = MustReadAll(page);
    ASSERT_GT(response.events_size(), 0);
    for (const auto& e : response.events()) seen.push_back(e.global_position());
    if (response.end_of_log()) break;
    page.set_from_position(response.next_position());
  }
  EXPECT_THAT(seen, ElementsAre(0, 1, 2, 3));
}

TEST_F(EventStoreIntegrationTest, SubscribeCatchesUpThenGoesLive) {
  MustAppend(AppendOf("case-1", 3));
  std::unique_ptr<Subscriber> subscriber = Subscribe(0);
  // 3 is the subscription's own record, appended before anything was read.
  EXPECT_THAT(ReadEvents(*subscriber, 4), ElementsAre(0, 1, 2, 3));
  EXPECT_EQ(ReadCaughtUp(*subscriber), 4);

  MustAppend(AppendOf("case-2", 2));
  EXPECT_THAT(ReadEvents(*subscriber, 2), ElementsAre(4, 5));
  MustAppend(AppendOf("case-1", 1));
  EXPECT_THAT(ReadEvents(*subscriber, 1), ElementsAre(6));

  subscriber->context.TryCancel();
  api::SubscribeResponse message;
  while (subscriber->reader->Read(&message)) ADD_FAILURE() << message.ShortDebugString();
  EXPECT_EQ(subscriber->reader->Finish().error_code(), grpc::CANCELLED);
  EXPECT_TRUE(WaitForSubscriptions(0));
}

TEST_F(EventStoreIntegrationTest, SubscribeFromAPositionWithFilters) {
  MustAppend(AppendOf("client-1", 2, "CaseOpened"));  // 0, 1
  MustAppend(AppendOf("case-1", 2, "CaseOpened"));    // 2, 3
  MustAppend(AppendOf("client-1", 1, "NoteAdded"));   // 4
  std::unique_ptr<Subscriber> subscriber = Subscribe(1, "client-", "CaseOpened");
  EXPECT_THAT(ReadEvents(*subscriber, 1), ElementsAre(1));
  EXPECT_EQ(ReadCaughtUp(*subscriber), 6);            // 5: the subscription's record
  MustAppend(AppendOf("case-1", 1, "CaseOpened"));    // 6: filtered out
  MustAppend(AppendOf("client-3", 1, "CaseOpened"));  // 7
  EXPECT_THAT(ReadEvents(*subscriber, 1), ElementsAre(7));
}

TEST_F(EventStoreIntegrationTest, SubscribeCatchUpSpanningManyBatches) {
  // Several subscription batches (128 events each), appended in several calls.
  for (int i = 0; i < 6; ++i) MustAppend(AppendOf(absl::StrCat("s-", i), 100));
  std::unique_ptr<Subscriber> subscriber = Subscribe(0);
  const std::vector<int64_t> positions = ReadEvents(*subscriber, 601);  // 600: its record
  ASSERT_EQ(positions.size(), 601u);
  for (int64_t i = 0; i < 601; ++i) ASSERT_EQ(positions[i], i);
  EXPECT_EQ(ReadCaughtUp(*subscriber), 601);
}

TEST_F(EventStoreIntegrationTest, ConcurrentSubscribersSeeEveryEventInOrderWhileAppendsRace) {
  // The subscriptions' own records (operator-access) land between the seed and the writers,
  // in either order: the subscribers filter them out, and the test compares with the log.
  MustAppend(AppendOf("w-seed", 5));
  std::unique_ptr<Subscriber> a = Subscribe(0, "w-");
  std::unique_ptr<Subscriber> b = Subscribe(2, "w-");
  EXPECT_THAT(ReadEvents(*a, 5), ElementsAre(0, 1, 2, 3, 4));
  EXPECT_GE(ReadCaughtUp(*a), 6);

  constexpr int kWriters = 4;
  constexpr int kAppendsPerWriter = 25;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([this, w] {
      for (int i = 0; i < kAppendsPerWriter; ++i) {
        api::AppendResponse response;
        EXPECT_TRUE(Append(AppendOf(absl::StrCat("w-writer-", w), 2), &response).ok());
      }
    });
  }
  constexpr int kTotal = 5 + kWriters * kAppendsPerWriter * 2;
  // b catches up while the writers run: its caught_up marker may come anywhere.
  std::vector<int64_t> b_positions;
  api::SubscribeResponse message;
  while (static_cast<int>(b_positions.size()) < kTotal - 2 && b->reader->Read(&message)) {
    for (const auto& e : message.events().events()) b_positions.push_back(e.global_position());
  }
  const std::vector<int64_t> a_positions = ReadEvents(*a, kTotal - 5);
  for (std::thread& t : writers) t.join();

  eventstore::ReadAllOptions everything;
  everything.stream_prefix = "w-";
  everything.limit = 1000;
  absl::StatusOr<eventstore::ReadAllResult> log = log_->ReadAll(everything);
  ASSERT_THAT(log, testing::IsOk());
  ASSERT_EQ(log->events.size(), static_cast<size_t>(kTotal));
  std::vector<int64_t> in_log;
  for (const auto& e : log->events) in_log.push_back(e.position.value());
  EXPECT_EQ(a_positions, std::vector<int64_t>(in_log.begin() + 5, in_log.end()));
  EXPECT_EQ(b_positions, std::vector<int64_t>(in_log.begin() + 2, in_log.end()));
}

TEST_F(EventStoreIntegrationTest, CancelMidStreamEndsOnlyThatSubscription) {
  for (int i = 0; i < 5; ++i) MustAppend(AppendOf("case-1", 200));
  std::unique_ptr<Subscriber> cancelled = Subscribe(0, "case-");
  std::unique_ptr<Subscriber> kept = Subscribe(0, "case-");
  const std::vector<int64_t> first = ReadEvents(*cancelled, 3);
  ASSERT_GE(first.size(), 3u);
  EXPECT_THAT(std::vector<int64_t>(first.begin(), first.begin() + 3), ElementsAre(0, 1, 2));
  cancelled->context.TryCancel();
  api::SubscribeResponse message;
  while (cancelled->reader->Read(&message)) {
  }
  EXPECT_EQ(cancelled->reader->Finish().error_code(), grpc::CANCELLED);

  const std::vector<int64_t> positions = ReadEvents(*kept, 1000);
  ASSERT_EQ(positions.size(), 1000u);
  EXPECT_EQ(positions.back(), 999);
  EXPECT_EQ(ReadCaughtUp(*kept), 1002);  // past both subscriptions' records
  MustAppend(AppendOf("case-1", 1));
  EXPECT_THAT(ReadEvents(*kept, 1), ElementsAre(1002));
  EXPECT_TRUE(WaitForSubscriptions(1));
  EXPECT_EQ(service_->active_subscriptions(), 1u);
}

TEST_F(EventStoreIntegrationTest, ServiceShutdownEndsSubscriptionsWithUnavailable) {
  MustAppend(AppendOf("case-1", 2));
  std::unique_ptr<Subscriber> live = Subscribe(0, "case-");
  EXPECT_THAT(ReadEvents(*live, 2), ElementsAre(0, 1));
  EXPECT_EQ(ReadCaughtUp(*live), 3);  // 2: its record
  // One subscriber parked on the log, one still catching up with unread messages in flight.
  for (int i = 0; i < 4; ++i) MustAppend(AppendOf("case-2", 250));
  std::unique_ptr<Subscriber> busy = Subscribe(0, "case-");
  const std::vector<int64_t> busy_first = ReadEvents(*busy, 1);
  ASSERT_FALSE(busy_first.empty());
  EXPECT_EQ(busy_first[0], 0);
  EXPECT_LT(busy_first.size(), 1000u) << "still catching up when the service shuts down";

  service_->Shutdown();
  for (Subscriber* s : {live.get(), busy.get()}) {
    api::SubscribeResponse message;
    while (s->reader->Read(&message)) {
    }
    const grpc::Status status = s->reader->Finish();
    EXPECT_EQ(status.error_code(), grpc::UNAVAILABLE);
    EXPECT_EQ(status.error_message(), "server shutting down");
  }
  std::unique_ptr<Subscriber> late = Subscribe(0);
  api::SubscribeResponse message;
  EXPECT_FALSE(late->reader->Read(&message));
  EXPECT_EQ(late->reader->Finish().error_code(), grpc::UNAVAILABLE);
  EXPECT_TRUE(WaitForSubscriptions(0));

  // Unary calls still work until the server itself shuts down.
  MustAppend(AppendOf("case-1", 1));
}

TEST_F(EventStoreIntegrationTest, ClosingTheLogEndsSubscriptionsWithUnavailable) {
  std::unique_ptr<Subscriber> subscriber = Subscribe(0, "case-");
  EXPECT_EQ(ReadCaughtUp(*subscriber), 1);  // 0: its record
  log_->Close();
  api::SubscribeResponse message;
  EXPECT_FALSE(subscriber->reader->Read(&message));
  const grpc::Status status = subscriber->reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::UNAVAILABLE);
  EXPECT_EQ(status.error_message(), "server shutting down");

  api::AppendResponse response;
  EXPECT_EQ(Append(AppendOf("case-1", 1), &response).error_code(), grpc::UNAVAILABLE);
}

TEST_F(EventStoreIntegrationTest, ConcurrentAppendsGetDenseDistinctPositions) {
  constexpr int kThreads = 8;
  constexpr int kAppends = 20;
  absl::Mutex mu;
  std::vector<int64_t> positions;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAppends; ++i) {
        api::AppendResponse response;
        api::AppendRequest request = AppendOf(absl::StrCat("t-", t), 1);
        request.mutable_expected_version()->set_exact(i - 1);
        if (i == 0) request.mutable_expected_version()->set_no_stream(true);
        ASSERT_TRUE(Append(request, &response).ok());
        EXPECT_EQ(response.first_stream_version(), i);
        absl::MutexLock lock(&mu);
        positions.push_back(response.first_global_position());
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::sort(positions.begin(), positions.end());
  ASSERT_EQ(positions.size(), static_cast<size_t>(kThreads * kAppends));
  for (size_t i = 0; i < positions.size(); ++i) EXPECT_EQ(positions[i], int64_t(i));
}

TEST_F(EventStoreIntegrationTest, LogAdminHeadAndVerify) {
  api::GetHeadResponse empty = Head();
  EXPECT_EQ(empty.position(), -1);
  EXPECT_EQ(empty.link_hex(), std::string(64, '0'));

  MustAppend(AppendOf("case-1", 3));
  const api::GetHeadResponse head = Head();
  EXPECT_EQ(head.position(), 2);
  EXPECT_EQ(head.link().size(), 32u);
  EXPECT_EQ(head.link_hex(), eventstore::LinkToHex(head.link()));

  {
    grpc::ClientContext context;
    context.set_deadline(CallDeadline());
    api::VerifyRequest request;
    request.set_check_expected(true);
    request.set_expected_position(head.position());
    request.set_expected_link_hex(head.link_hex());
    api::VerifyResponse report;
    ASSERT_TRUE(admin_stub_->Verify(&context, request, &report).ok());
    EXPECT_TRUE(report.ok()) << report.problem();
    EXPECT_EQ(report.events_checked(), 3);
    EXPECT_EQ(report.first_bad_position(), -1);
    EXPECT_EQ(report.head().link_hex(), head.link_hex());
  }
  {
    grpc::ClientContext context;
    context.set_deadline(CallDeadline());
    api::VerifyRequest request;
    request.set_check_expected(true);
    request.set_expected_position(1);
    request.set_expected_link_hex(head.link_hex());  // the link of 2, not of 1
    api::VerifyResponse report;
    ASSERT_TRUE(admin_stub_->Verify(&context, request, &report).ok());
    EXPECT_FALSE(report.ok());
    EXPECT_EQ(report.first_bad_position(), 1);
    EXPECT_FALSE(report.problem().empty());
  }
  {
    grpc::ClientContext context;
    context.set_deadline(CallDeadline());
    api::VerifyRequest request;
    request.set_check_expected(true);
    request.set_expected_link_hex("beef");
    api::VerifyResponse report;
    const grpc::Status status = admin_stub_->Verify(&context, request, &report);
    EXPECT_EQ(status.error_code(), grpc::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), StartsWith("expected_link_hex:"));
  }
}

TEST_F(EventStoreIntegrationTest, LogAdminBackupRestoresToTheSameHead) {
  MustAppend(AppendOf("case-1", 4));
  {
    grpc::ClientContext context;
    context.set_deadline(CallDeadline());
    api::BackupRequest request;
    request.set_directory("relative/backup");
    api::BackupResponse response;
    EXPECT_EQ(admin_stub_->Backup(&context, request, &response).error_code(),
              grpc::INVALID_ARGUMENT);
  }
  const api::GetHeadResponse before = Head();
  grpc::ClientContext context;
  context.set_deadline(CallDeadline());
  api::BackupRequest request;
  request.set_directory("backup-1");
  request.set_reason("monthly backup");
  api::BackupResponse response;
  const grpc::Status status = admin_stub_->Backup(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.head().link_hex(), before.link_hex());

  // The backup is in the backup directory and holds its own record: who, where, and the head
  // it was taken at.
  ASSERT_THAT(eventstore::RestoreRocksDbCheckpoint(dir_.Sub("backups/backup-1"),
                                                   dir_.Sub("restored")),
              testing::IsOk());
  eventstore::RocksDbOptions options;
  options.read_only = true;
  absl::StatusOr<std::unique_ptr<eventstore::EventLog>> restored =
      eventstore::OpenRocksDbEventLog(dir_.Sub("restored"), options);
  ASSERT_THAT(restored, testing::IsOk());
  EXPECT_EQ((*restored)->GetHead().position.value(), 4);
  eventstore::ReadStreamOptions read;
  absl::StatusOr<eventstore::ReadStreamResult> audit =
      (*restored)->ReadStream(domain::kOperatorAccessStream, read);
  ASSERT_THAT(audit, testing::IsOk());
  ASSERT_EQ(audit->events.size(), 1u);
  events::v1::Event recorded;
  ASSERT_TRUE(recorded.ParseFromString(audit->events[0].payload));
  EXPECT_EQ(recorded.actor().user_id(), "operator");
  EXPECT_EQ(recorded.raw_log_accessed().method(), "LogAdmin.Backup");
  EXPECT_EQ(recorded.raw_log_accessed().backup_target(),
            std::filesystem::canonical(dir_.Sub("backups")).string() + "/backup-1");
  EXPECT_EQ(recorded.raw_log_accessed().head_position(), 3);
  EXPECT_EQ(recorded.raw_log_accessed().head_link(), before.link_hex());
  EXPECT_EQ(recorded.raw_log_accessed().reason(), "monthly backup");
  (*restored)->Close();
}

// A backup goes only into the backup directory: a path that climbs out of it, a path
// elsewhere, or a symbolic link planted at the name is refused, and nothing is written.
TEST_F(EventStoreIntegrationTest, ABackupCannotEscapeTheBackupDirectory) {
  MustAppend(AppendOf("case-1", 1));
  std::filesystem::create_symlink(dir_.Sub("outside"), dir_.Sub("backups/planted"));
  const struct {
    std::string directory;
    grpc::StatusCode code;
  } cases[] = {
      {"..", grpc::INVALID_ARGUMENT},
      {"../outside", grpc::INVALID_ARGUMENT},
      {dir_.Sub("backups") + "/../outside", grpc::INVALID_ARGUMENT},
      {dir_.Sub("outside"), grpc::INVALID_ARGUMENT},
      {"planted", grpc::ALREADY_EXISTS},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.directory);
    grpc::ClientContext context;
    context.set_deadline(CallDeadline());
    api::BackupRequest request;
    request.set_directory(c.directory);
    api::BackupResponse response;
    const grpc::Status status = admin_stub_->Backup(&context, request, &response);
    EXPECT_EQ(status.error_code(), c.code) << status.error_message();
    EXPECT_THAT(status.error_message(), StartsWith("directory:"));
  }
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("outside")));
  EXPECT_EQ(log_->GetHead().position.value(), 0);  // nothing recorded, nothing written
}

// The raw log cannot forge what the hub's commands write: hub event types and the hub's own
// streams are refused, naming what was refused, and nothing is appended.
TEST_F(EventStoreIntegrationTest, RawAppendsOfHubEventsOrToHubStreamsAreRefused) {
  for (const api::AppendRequest& forged :
       {AppendOf("case-1", 1, "EmergencyAccessGranted"), AppendOf("concern-c1", 1),
        AppendOf("emergency-access-c1", 1), AppendOf("operator-access", 1),
        AppendOf("person-p1", 1, "NoteAdded")}) {
    SCOPED_TRACE(forged.ShortDebugString());
    api::AppendResponse response;
    const grpc::Status status = Append(forged, &response);
    EXPECT_EQ(status.error_code(), grpc::PERMISSION_DENIED);
    EXPECT_THAT(status.error_message(), HasSubstr("only through the domain's commands"));
  }
  EXPECT_EQ(log_->GetHead().position.value(), -1);
}

// Every raw read and subscription is recorded, with who, what and why, before it is answered,
// so that the answer itself already shows the record.
TEST_F(EventStoreIntegrationTest, EveryRawReadIsRecordedBeforeItIsAnswered) {
  MustAppend(AppendOf("case-1", 2));  // 0, 1
  {
    grpc::ClientContext context;
    context.set_deadline(CallDeadline());
    api::ReadStreamRequest request;
    request.set_stream("case-1");
    request.set_reason("support ticket 7");
    api::ReadStreamResponse response;
    ASSERT_TRUE(stub_->ReadStream(&context, request, &response).ok());
    EXPECT_EQ(response.events_size(), 2);
  }
  api::ReadAllRequest all;
  all.set_stream_prefix("operator-access");
  const api::ReadAllResponse audit = MustReadAll(all);  // itself recorded, and seen
  ASSERT_EQ(audit.events_size(), 2);
  events::v1::Event first, second;
  ASSERT_TRUE(first.ParseFromString(audit.events(0).payload()));
  ASSERT_TRUE(second.ParseFromString(audit.events(1).payload()));
  EXPECT_EQ(audit.events(0).type(), "RawLogAccessed");
  EXPECT_EQ(first.actor().agency_id(), "asc-northshire");
  EXPECT_EQ(first.actor().user_id(), "operator");
  EXPECT_EQ(first.raw_log_accessed().method(), "EventStore.ReadStream");
  EXPECT_EQ(first.raw_log_accessed().stream(), "case-1");
  EXPECT_EQ(first.raw_log_accessed().reason(), "support ticket 7");
  EXPECT_FALSE(first.raw_log_accessed().access_id().empty());
  EXPECT_EQ(second.raw_log_accessed().method(), "EventStore.ReadAll");
  EXPECT_EQ(second.raw_log_accessed().stream_prefix(), "operator-access");

  std::unique_ptr<Subscriber> subscriber = Subscribe(0, "case-");
  EXPECT_EQ(ReadEvents(*subscriber, 2), (std::vector<int64_t>{0, 1}));
  subscriber->context.TryCancel();
  api::ReadStreamRequest stream;
  stream.set_stream("operator-access");
  grpc::ClientContext context;
  context.set_deadline(CallDeadline());
  api::ReadStreamResponse records;
  ASSERT_TRUE(stub_->ReadStream(&context, stream, &records).ok());
  ASSERT_EQ(records.events_size(), 4);
  events::v1::Event opened;
  ASSERT_TRUE(opened.ParseFromString(records.events(2).payload()));
  EXPECT_EQ(opened.raw_log_accessed().method(), "EventStore.Subscribe");
  EXPECT_EQ(opened.raw_log_accessed().stream_prefix(), "case-");

  // A refused read records nothing.
  api::ReadAllRequest bad;
  bad.set_limit(5000);
  grpc::ClientContext refused;
  api::ReadAllResponse ignored;
  EXPECT_EQ(stub_->ReadAll(&refused, bad, &ignored).error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_EQ(log_->GetHead().position.value(), 5);
}

// A subscription ends when its caller's credentials expire, even while it waits for events.
TEST_F(EventStoreIntegrationTest, ASubscriptionEndsWhenTheCallersCredentialsExpire) {
  domain::Caller expiring = Operator();
  expiring.expires_at = absl::Now() + absl::Milliseconds(500);
  caller_.Set(expiring);
  MustAppend(AppendOf("case-1", 1));
  std::unique_ptr<Subscriber> subscriber = Subscribe(0, "case-");
  EXPECT_EQ(ReadEvents(*subscriber, 1), (std::vector<int64_t>{0}));
  EXPECT_GE(ReadCaughtUp(*subscriber), 1);
  api::SubscribeResponse message;
  EXPECT_FALSE(subscriber->reader->Read(&message));  // parked until the expiry
  const grpc::Status status = subscriber->reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("credentials expired"));
  EXPECT_GE(absl::Now(), expiring.expires_at);
}

}  // namespace
}  // namespace hub
