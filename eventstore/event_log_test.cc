// Unit tests of the log's pure rules: validation, expected versions, record codec, links.
#include "eventstore/event_log.h"

#include <string>
#include <vector>

#include "eventstore/internal/record_codec.h"
#include "eventstore/internal/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hub::eventstore {
namespace {

using ::hub::testing::IsOk;
using ::hub::testing::StatusIs;
using ::testing::HasSubstr;

AppendRequest OneEvent(std::string stream = "person-1") {
  AppendRequest r;
  r.stream = std::move(stream);
  r.events.push_back(NewEvent{.event_id = "", .type = "ConcernRaised", .payload = "x"});
  return r;
}

TEST(ValidateStreamNameTest, AcceptsLettersDigitsAndSeparators) {
  Limits limits;
  for (const char* name : {"person-1", "concern:2026/0001", "enquiry.7_a@la", "P"}) {
    EXPECT_THAT(ValidateStreamName(name, limits), IsOk()) << name;
  }
}

TEST(ValidateStreamNameTest, RefusesEmptyLongAndBadCharacters) {
  Limits limits;
  EXPECT_THAT(ValidateStreamName("", limits),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("stream: required")));
  EXPECT_THAT(ValidateStreamName(std::string(201, 'a'), limits),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at most 200")));
  EXPECT_THAT(ValidateStreamName("-lead", limits),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must start")));
  for (const char* name : {"a b", "a\tb", "a*b", "caf\xc3\xa9"}) {
    EXPECT_THAT(ValidateStreamName(name, limits),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("stream:")))
        << name;
  }
  EXPECT_THAT(ValidateStreamName(std::string("a\0b", 3), limits),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ValidateAppendTest, AcceptsAWellFormedAppend) {
  AppendRequest r = OneEvent();
  r.events[0].event_id = "0b7e5f1a-3c2d-4e6f-8a9b-0c1d2e3f4a5b";
  r.idempotency_key = "cmd-123";
  EXPECT_THAT(ValidateAppendRequest(r, Limits{}), IsOk());
}

TEST(ValidateAppendTest, RefusesAnEmptyAppend) {
  AppendRequest r = OneEvent();
  r.events.clear();
  EXPECT_THAT(ValidateAppendRequest(r, Limits{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("events: at least one")));
}

TEST(ValidateAppendTest, EventCountLimitIsInclusive) {
  Limits limits;
  limits.max_events_per_append = 3;
  AppendRequest r = OneEvent();
  r.events.resize(3, r.events[0]);
  EXPECT_THAT(ValidateAppendRequest(r, limits), IsOk());
  r.events.push_back(r.events[0]);
  EXPECT_THAT(ValidateAppendRequest(r, limits),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at most 3 events")));
}

TEST(ValidateAppendTest, EventAndAppendSizeLimits) {
  Limits limits;
  limits.max_event_bytes = 100;
  limits.max_append_bytes = 250;
  AppendRequest r = OneEvent();
  r.events[0].payload = std::string(80, 'p');
  EXPECT_THAT(ValidateAppendRequest(r, limits), IsOk());
  r.events[0].payload = std::string(101, 'p');
  EXPECT_THAT(ValidateAppendRequest(r, limits),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("events[0]: event is")));
  r.events[0].payload = std::string(80, 'p');
  r.events.resize(3, r.events[0]);
  r.events.push_back(r.events[0]);  // 4 x ~93 bytes > 250
  EXPECT_THAT(ValidateAppendRequest(r, limits),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("events: append is")));
}

TEST(ValidateAppendTest, RefusesMalformedAndRepeatedEventIds) {
  AppendRequest r = OneEvent();
  r.events[0].event_id = "not-a-uuid";
  EXPECT_THAT(ValidateAppendRequest(r, Limits{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("events[0].event_id")));
  r.events[0].event_id = "0B7E5F1A-3C2D-4E6F-8A9B-0C1D2E3F4A5B";  // upper case: not canonical
  EXPECT_THAT(ValidateAppendRequest(r, Limits{}), StatusIs(absl::StatusCode::kInvalidArgument));
  r.events[0].event_id = "0b7e5f1a-3c2d-4e6f-8a9b-0c1d2e3f4a5b";
  r.events.push_back(r.events[0]);
  EXPECT_THAT(ValidateAppendRequest(r, Limits{}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("events[1].event_id: repeats")));
}

TEST(ValidateAppendTest, RefusesBadTypeAndSchemaVersion) {
  AppendRequest r = OneEvent();
  r.events[0].type = "";
  EXPECT_THAT(ValidateAppendRequest(r, Limits{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("events[0].type: required")));
  r.events[0].type = "9Lives";
  EXPECT_THAT(ValidateAppendRequest(r, Limits{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("events[0].type")));
  r.events[0].type = "hub.ConcernRaised-v2";
  EXPECT_THAT(ValidateAppendRequest(r, Limits{}), IsOk());
  r.events[0].schema_version = 0;
  EXPECT_THAT(ValidateAppendRequest(r, Limits{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("schema_version")));
}

TEST(ValidateAppendTest, RefusesOversizedOrUnprintableMetadataAndKeys) {
  AppendRequest r = OneEvent();
  r.events[0].metadata.actor_agency = std::string(257, 'a');
  EXPECT_THAT(ValidateAppendRequest(r, Limits{}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("events[0].metadata.actor_agency")));
  r.events[0].metadata.actor_agency = "police-west";
  r.events[0].metadata.actor_user = "pc\n1";
  EXPECT_THAT(ValidateAppendRequest(r, Limits{}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("events[0].metadata.actor_user")));
  r.events[0].metadata.actor_user = "pc1";
  r.idempotency_key = std::string(129, 'k');
  EXPECT_THAT(ValidateAppendRequest(r, Limits{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("idempotency_key")));
}

TEST(ValidateAppendTest, RefusesNegativeExactVersion) {
  AppendRequest r = OneEvent();
  r.expected = ExpectedVersion::Exact(StreamVersion(-1));
  EXPECT_THAT(ValidateAppendRequest(r, Limits{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected_version.exact")));
  r.expected = ExpectedVersion::Exact(StreamVersion(0));
  EXPECT_THAT(ValidateAppendRequest(r, Limits{}), IsOk());
}

TEST(ExpectedVersionTest, MatchesEachKind) {
  const StreamVersion none = kNoStreamVersion, v0{0}, v5{5};
  EXPECT_TRUE(ExpectedVersion::Any().Matches(none));
  EXPECT_TRUE(ExpectedVersion::Any().Matches(v5));
  EXPECT_TRUE(ExpectedVersion::NoStream().Matches(none));
  EXPECT_FALSE(ExpectedVersion::NoStream().Matches(v0));
  EXPECT_TRUE(ExpectedVersion::StreamExists().Matches(v0));
  EXPECT_FALSE(ExpectedVersion::StreamExists().Matches(none));
  EXPECT_TRUE(ExpectedVersion::Exact(v5).Matches(v5));
  EXPECT_FALSE(ExpectedVersion::Exact(v5).Matches(v0));
  EXPECT_FALSE(ExpectedVersion::Exact(v0).Matches(none));
}

TEST(WrongExpectedVersionTest, CarriesTheActualVersion) {
  absl::Status s = WrongExpectedVersionError("s", ExpectedVersion::Exact(StreamVersion(2)),
                                             StreamVersion(7));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kAborted, HasSubstr("actual version 7")));
  ASSERT_TRUE(ActualVersion(s).has_value());
  EXPECT_EQ(ActualVersion(s)->value(), 7);
  EXPECT_FALSE(ActualVersion(absl::AbortedError("other")).has_value());
  EXPECT_FALSE(ActualVersion(absl::OkStatus()).has_value());
}

TEST(LinkHexTest, RoundTripsAndRefusesBadHex) {
  std::string link(32, '\0');
  for (int i = 0; i < 32; ++i) link[i] = static_cast<char>(i * 7);
  const std::string hex = LinkToHex(link);
  EXPECT_EQ(hex.size(), 64u);
  EXPECT_THAT(LinkFromHex(hex), ::hub::testing::IsOkAndHolds(link));
  EXPECT_THAT(LinkFromHex(hex.substr(1)), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(LinkFromHex(std::string(64, 'g')), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RecordCodecTest, RoundTripsEveryField) {
  RecordedEvent e;
  e.event_id = "0b7e5f1a-3c2d-4e6f-8a9b-0c1d2e3f4a5b";
  e.type = "ConcernRaised";
  e.schema_version = 3;
  e.payload = std::string("bin\0ary", 7);
  e.metadata = {"police", "pc-42", "corr", "cause"};
  e.stream = "concern-9";
  e.stream_version = StreamVersion(4);
  e.position = GlobalPosition(1234567890123);
  e.recorded_at = absl::FromUnixMicros(1790000000123456);
  e.link = std::string(32, '\x5a');
  const std::string stored = eventstore_internal::EncodeStoredRecord(e);
  std::string_view canonical;
  auto decoded = eventstore_internal::DecodeStoredRecord(stored, &canonical);
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(decoded->event_id, e.event_id);
  EXPECT_EQ(decoded->type, e.type);
  EXPECT_EQ(decoded->schema_version, 3u);
  EXPECT_EQ(decoded->payload, e.payload);
  EXPECT_EQ(decoded->metadata, e.metadata);
  EXPECT_EQ(decoded->stream, e.stream);
  EXPECT_EQ(decoded->stream_version, e.stream_version);
  EXPECT_EQ(decoded->position, e.position);
  EXPECT_EQ(decoded->recorded_at, e.recorded_at);
  EXPECT_EQ(decoded->link, e.link);
  EXPECT_EQ(canonical, eventstore_internal::EncodeCanonicalRecord(e));
}

TEST(RecordCodecTest, RefusesTruncatedExtendedAndUnknownFormats) {
  RecordedEvent e;
  e.type = "T";
  e.stream = "s";
  e.link = std::string(32, '\0');
  const std::string stored = eventstore_internal::EncodeStoredRecord(e);
  for (size_t cut = 0; cut < stored.size(); ++cut) {
    EXPECT_THAT(eventstore_internal::DecodeStoredRecord(stored.substr(0, cut)),
                StatusIs(absl::StatusCode::kDataLoss))
        << cut;
  }
  std::string longer = stored;
  longer.insert(longer.size() - 32, "X");
  EXPECT_THAT(eventstore_internal::DecodeStoredRecord(longer),
              StatusIs(absl::StatusCode::kDataLoss));
  std::string other = stored;
  other[0] = 9;
  EXPECT_THAT(eventstore_internal::DecodeStoredRecord(other),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("format")));
}

TEST(RecordCodecTest, KeysSortNumerically) {
  EXPECT_LT(eventstore_internal::EncodePositionKey(255), eventstore_internal::EncodePositionKey(256));
  EXPECT_LT(eventstore_internal::EncodeStreamKey("a", 9), eventstore_internal::EncodeStreamKey("a", 10));
  // A stream's keys never interleave with a longer name sharing its prefix.
  EXPECT_LT(eventstore_internal::EncodeStreamKey("a", 1LL << 40),
            eventstore_internal::EncodeStreamKey("a-", 0));
}

TEST(AppendDigestTest, SeesContentButNotGeneratedFields) {
  AppendRequest a = OneEvent(), b = OneEvent();
  EXPECT_EQ(eventstore_internal::AppendDigest(a), eventstore_internal::AppendDigest(b));
  b.events[0].payload = "y";
  EXPECT_NE(eventstore_internal::AppendDigest(a), eventstore_internal::AppendDigest(b));
  b = OneEvent();
  b.expected = ExpectedVersion::NoStream();
  EXPECT_NE(eventstore_internal::AppendDigest(a), eventstore_internal::AppendDigest(b));
}

TEST(UuidTest, GeneratesCanonicalVersion4Ids) {
  const std::string id = eventstore_internal::NewUuid();
  AppendRequest r = OneEvent();
  r.events[0].event_id = id;
  EXPECT_THAT(ValidateAppendRequest(r, Limits{}), IsOk()) << id;
  EXPECT_EQ(id[14], '4');
  EXPECT_NE(id, eventstore_internal::NewUuid());
}

TEST(Sha256Test, MatchesKnownVector) {
  eventstore_internal::Sha256 sha;
  sha.Update("abc");
  EXPECT_EQ(LinkToHex(sha.Finish()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace hub::eventstore
