#include "services/eventstore/translate.h"

#include <string>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hub::services {
namespace {

using ::hub::testing::IsOk;
using ::hub::testing::IsOkAndHolds;
using ::hub::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kUuid[] = "0f8fad5b-d9cb-469f-a165-70867728950e";

api::v1::AppendRequest ValidAppend() {
  api::v1::AppendRequest request;
  request.set_stream("person-1");
  request.mutable_expected_version()->set_no_stream(true);
  api::v1::NewEvent* event = request.add_events();
  event->set_type("ConcernRaised");
  event->set_payload("p");
  return request;
}

TEST(AppendRequestFromProtoTest, ValidRequestIsTranslated) {
  api::v1::AppendRequest request = ValidAppend();
  request.set_idempotency_key("k1");
  api::v1::NewEvent* event = request.mutable_events(0);
  event->set_event_id(kUuid);
  event->mutable_metadata()->set_actor_agency("council");
  event->mutable_metadata()->set_correlation_id("c");
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  absl::StatusOr<eventstore::AppendRequest> out =
      AppendRequestFromProto(request, deadline, eventstore::Limits());
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->stream, "person-1");
  EXPECT_EQ(out->expected, eventstore::ExpectedVersion::NoStream());
  ASSERT_EQ(out->events.size(), 1u);
  EXPECT_EQ(out->events[0].event_id, kUuid);
  EXPECT_EQ(out->events[0].type, "ConcernRaised");
  EXPECT_EQ(out->events[0].schema_version, 1u);  // 0 on the wire reads as 1
  EXPECT_EQ(out->events[0].payload, "p");
  EXPECT_EQ(out->events[0].metadata.actor_agency, "council");
  EXPECT_EQ(out->events[0].metadata.correlation_id, "c");
  EXPECT_EQ(out->idempotency_key, "k1");
  EXPECT_EQ(out->deadline, deadline);
}

TEST(AppendRequestFromProtoTest, ExpectedVersionKinds) {
  api::v1::AppendRequest request = ValidAppend();
  request.mutable_expected_version()->set_exact(4);
  EXPECT_EQ(AppendRequestFromProto(request, absl::InfiniteFuture(), {})->expected,
            eventstore::ExpectedVersion::Exact(StreamVersion(4)));
  request.mutable_expected_version()->set_any(true);
  EXPECT_EQ(AppendRequestFromProto(request, absl::InfiniteFuture(), {})->expected,
            eventstore::ExpectedVersion::Any());
  request.mutable_expected_version()->set_stream_exists(true);
  EXPECT_EQ(AppendRequestFromProto(request, absl::InfiniteFuture(), {})->expected,
            eventstore::ExpectedVersion::StreamExists());
}

TEST(AppendRequestFromProtoTest, BadFieldsAreNamed) {
  const struct {
    const char* name;
    void (*mutate)(api::v1::AppendRequest&);
    const char* field;
  } cases[] = {
      {"missing expected version", [](api::v1::AppendRequest& r) { r.clear_expected_version(); },
       "expected_version: required"},
      {"empty expected version",
       [](api::v1::AppendRequest& r) { r.mutable_expected_version()->Clear(); },
       "expected_version: required"},
      {"negative exact",
       [](api::v1::AppendRequest& r) { r.mutable_expected_version()->set_exact(-1); },
       "expected_version.exact:"},
      {"false any", [](api::v1::AppendRequest& r) { r.mutable_expected_version()->set_any(false); },
       "expected_version.any:"},
      {"empty stream", [](api::v1::AppendRequest& r) { r.set_stream(""); }, "stream:"},
      {"bad stream", [](api::v1::AppendRequest& r) { r.set_stream("-bad name"); }, "stream:"},
      {"no events", [](api::v1::AppendRequest& r) { r.clear_events(); }, "events:"},
      {"bad event id",
       [](api::v1::AppendRequest& r) {
         r.add_events()->set_type("T");
         r.mutable_events(1)->set_event_id("0F8FAD5B-D9CB-469F-A165-70867728950E");
       },
       "events[1].event_id:"},
      {"missing type", [](api::v1::AppendRequest& r) { r.mutable_events(0)->clear_type(); },
       "events[0].type:"},
  };
  for (const auto& c : cases) {
    api::v1::AppendRequest request = ValidAppend();
    c.mutate(request);
    EXPECT_THAT(AppendRequestFromProto(request, absl::InfiniteFuture(), eventstore::Limits()),
                StatusIs(absl::StatusCode::kInvalidArgument, StartsWith(c.field)))
        << c.name;
  }
}

TEST(ReadStreamQueryFromProtoTest, LimitDefaultsAndBounds) {
  api::v1::ReadStreamRequest request;
  request.set_stream("s");
  EXPECT_EQ(ReadStreamQueryFromProto(request, {})->options.limit, kDefaultReadLimit);
  request.set_limit(1000);
  EXPECT_EQ(ReadStreamQueryFromProto(request, {})->options.limit, 1000);
  for (int bad : {-1, 1001}) {
    request.set_limit(bad);
    EXPECT_THAT(ReadStreamQueryFromProto(request, {}),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("limit: must be between 1 and 1000")));
  }
}

TEST(ReadStreamQueryFromProtoTest, DirectionAndFrom) {
  api::v1::ReadStreamRequest request;
  request.set_stream("s");
  request.set_direction(api::v1::READ_DIRECTION_BACKWARD);
  request.set_from_version(-1);
  absl::StatusOr<ReadStreamQuery> query = ReadStreamQueryFromProto(request, {});
  ASSERT_THAT(query, IsOk());
  EXPECT_EQ(query->options.direction, eventstore::Direction::kBackward);
  EXPECT_EQ(query->options.from, StreamVersion(-1));
  request.set_from_version(-2);
  EXPECT_THAT(ReadStreamQueryFromProto(request, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("from_version:")));
  request.set_direction(api::v1::READ_DIRECTION_FORWARD);
  request.set_from_version(-1);
  EXPECT_THAT(ReadStreamQueryFromProto(request, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("from_version:")));
  request.set_from_version(0);
  request.set_stream("");
  EXPECT_THAT(ReadStreamQueryFromProto(request, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("stream:")));
}

TEST(ReadAllOptionsFromProtoTest, TranslatesAndValidates) {
  api::v1::ReadAllRequest request;
  request.set_from_position(7);
  request.set_stream_prefix("person-");
  request.set_event_type("ConcernRaised");
  const absl::Time deadline = absl::Now();
  absl::StatusOr<eventstore::ReadAllOptions> options =
      ReadAllOptionsFromProto(request, deadline, {});
  ASSERT_THAT(options, IsOk());
  EXPECT_EQ(options->from, GlobalPosition(7));
  EXPECT_EQ(options->limit, kDefaultReadLimit);
  EXPECT_EQ(options->stream_prefix, "person-");
  EXPECT_EQ(options->event_type, "ConcernRaised");
  EXPECT_EQ(options->deadline, deadline);

  request.set_from_position(-1);
  EXPECT_THAT(ReadAllOptionsFromProto(request, deadline, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("from_position:")));
  request.set_from_position(0);
  request.set_stream_prefix(std::string(201, 'a'));
  EXPECT_THAT(ReadAllOptionsFromProto(request, deadline, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("stream_prefix:")));
}

TEST(ReadAllResultToProtoTest, LargePagesAreCutWhereTheClientCanContinue) {
  eventstore::ReadAllResult result;
  for (int i = 0; i < 3; ++i) {
    eventstore::RecordedEvent& event = result.events.emplace_back();
    event.position = GlobalPosition(10 + i);
    event.payload = std::string(1000, 'x');
  }
  result.next = GlobalPosition(13);
  result.end_of_log = true;

  api::v1::ReadAllResponse whole;
  ReadAllResultToProto(result, 1 << 20, &whole);
  EXPECT_EQ(whole.events_size(), 3);
  EXPECT_EQ(whole.next_position(), 13);
  EXPECT_TRUE(whole.end_of_log());

  api::v1::ReadAllResponse cut;
  ReadAllResultToProto(result, 2500, &cut);
  EXPECT_EQ(cut.events_size(), 2);
  EXPECT_EQ(cut.next_position(), 12);
  EXPECT_FALSE(cut.end_of_log());

  api::v1::ReadAllResponse one;  // a single event larger than the budget still goes out
  ReadAllResultToProto(result, 10, &one);
  EXPECT_EQ(one.events_size(), 1);
  EXPECT_EQ(one.next_position(), 11);
}

TEST(VerifyOptionsFromProtoTest, ExpectedHead) {
  api::v1::VerifyRequest request;
  EXPECT_FALSE(VerifyOptionsFromProto(request)->expected_position.has_value());
  request.set_check_expected(true);
  request.set_expected_position(3);
  request.set_expected_link_hex("zz");
  EXPECT_THAT(VerifyOptionsFromProto(request),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("expected_link_hex:")));
  request.set_expected_link_hex(std::string(64, 'a'));
  absl::StatusOr<eventstore::VerifyOptions> options = VerifyOptionsFromProto(request);
  ASSERT_THAT(options, IsOk());
  EXPECT_EQ(options->expected_position, GlobalPosition(3));
  EXPECT_EQ(options->expected_link, std::string(32, '\xaa'));
}

TEST(BackupDirectoryFromProtoTest, AcceptsOnlyANameInTheBackupDirectory) {
  const std::string dir = "/srv/hub-backups";
  api::v1::BackupRequest request;
  request.set_directory("hub-2026-11-23");
  EXPECT_THAT(BackupDirectoryFromProto(request, dir),
              IsOkAndHolds(std::string("/srv/hub-backups/hub-2026-11-23")));
  request.set_directory("/srv/hub-backups/./hub-2026-11-23");
  EXPECT_THAT(BackupDirectoryFromProto(request, dir),
              IsOkAndHolds(std::string("/srv/hub-backups/hub-2026-11-23")));
  for (const char* bad :
       {"", "..", ".", ".hidden", "a/b", "../escaped", "/srv/hub-backups/../escaped",
        "/srv/hub-backups/../../etc/cron.d/x", "/srv/hub-backups", "/srv/hub-backups/",
        "/srv/hub-backups/a/b", "/srv/hub-backups-evil/x", "/tmp/x", "na me", "x\ny"}) {
    SCOPED_TRACE(bad);
    request.set_directory(bad);
    EXPECT_THAT(BackupDirectoryFromProto(request, dir),
                StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("directory:")));
  }
  request.set_directory(std::string(129, 'a'));
  EXPECT_THAT(BackupDirectoryFromProto(request, dir),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("directory:")));
}

TEST(BackupDirectoryFromProtoTest, RefusedWithoutABackupDirectory) {
  api::v1::BackupRequest request;
  request.set_directory("hub-2026-11-23");
  EXPECT_THAT(BackupDirectoryFromProto(request, ""),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("--backup_dir")));
}

TEST(CheckRawAppendTest, HubEventsAndTheHubsStreamsAreRefused) {
  eventstore::AppendRequest append;
  append.stream = "case-9";
  append.events.push_back({.type = "NoteAdded", .payload = "p"});
  EXPECT_THAT(CheckRawAppend(append), IsOk());

  append.events.push_back({.type = "EmergencyAccessGranted", .payload = "p"});
  EXPECT_THAT(CheckRawAppend(append),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       AllOf(HasSubstr("events[1].type: 'EmergencyAccessGranted'"),
                             HasSubstr("only through the domain's commands"))));
  append.events.pop_back();
  for (const char* stream : {"person-1", "concern-c1", "enquiry-e1", "ident-nhs-9434765919",
                             "disclosures-p1", "emergency-access-c1", "agreement",
                             "operator-access", "served-with-tls"}) {
    SCOPED_TRACE(stream);
    append.stream = stream;
    EXPECT_THAT(CheckRawAppend(append),
                StatusIs(absl::StatusCode::kPermissionDenied,
                         AllOf(HasSubstr(stream), HasSubstr("hub's own streams"))));
  }
}

TEST(RawAccessOfTest, SaysWhatWasReadAndWhy) {
  api::v1::ReadAllRequest all;
  all.set_from_position(7);
  all.set_stream_prefix("concern-");
  all.set_reason("incident 42: projection fold error");
  const events::v1::RawLogAccessed access = RawAccessOf(all);
  EXPECT_EQ(access.method(), "EventStore.ReadAll");
  EXPECT_EQ(access.from(), 7);
  EXPECT_EQ(access.limit(), kDefaultReadLimit);
  EXPECT_EQ(access.stream_prefix(), "concern-");
  EXPECT_EQ(access.reason(), "incident 42: projection fold error");
  api::v1::ReadStreamRequest one;
  one.set_stream("person-1");
  one.set_reason(std::string(1001, 'x'));
  EXPECT_THAT(ReadStreamQueryFromProto(one, eventstore::Limits()),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("reason:")));
}

}  // namespace
}  // namespace hub::services
