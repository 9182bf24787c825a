#include "app/command_request.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/common/v1/reference.pb.h"
#include "tests/testing/status_matchers.h"

namespace hub::app {
namespace {

using ::hub::testing::StatusIs;
using ::testing::HasSubstr;

domain::Caller Police() {
  return {"police-north", common::v1::AGENCY_KIND_POLICE, "pc-1", {common::v1::ROLE_REFERRER}};
}

TEST(MakeCommandContextTest, BuildsKeyAndStableNewId) {
  api::v1::CommandHeader header;
  header.set_command_id("c-1");
  header.set_expected_version(3);
  int64_t expected = -5;
  auto ctx = MakeCommandContext(Police(), header, absl::FromUnixSeconds(100), false, &expected);
  ASSERT_TRUE(ctx.ok()) << ctx.status();
  // Scoped to the practitioner: another officer's "c-1" is another command.
  EXPECT_EQ(ctx->command_key, "police-north/pc-1/c-1");
  EXPECT_EQ(expected, 3);
  EXPECT_EQ(ctx->new_id, DeriveId("police-north/pc-1/c-1", "new"));
  domain::Caller colleague = Police();
  colleague.user_id = "pc-2";
  auto theirs = MakeCommandContext(colleague, header, absl::FromUnixSeconds(100), false, &expected);
  ASSERT_TRUE(theirs.ok());
  EXPECT_NE(theirs->new_id, ctx->new_id);
  header.set_command_id("a/b");
  EXPECT_THAT(MakeCommandContext(Police(), header, absl::Now(), false, &expected).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'/'")));
  EXPECT_EQ(ctx->now, absl::FromUnixSeconds(100));
}

TEST(KeyedDigestTest, IsHmacSha256UnderTheKeyAndDiffersWithoutIt) {
  // HMAC-SHA-256 of purpose + "\n" + data (checked against Python's hmac module).
  EXPECT_EQ(KeyedDigest("Jefe", "what do ya want", "for nothing?"),
            "50ff9fd552ba6f7d7aea9a88e93f2ebee2870bf860cfd7a2b6cf2cbbed92a13e");
  const std::string key = RandomKey();
  EXPECT_EQ(key.size(), 32u);
  EXPECT_NE(RandomKey(), key);
  EXPECT_EQ(KeyedDigest(key, "lookup", "nhs:9434765919"),
            KeyedDigest(key, "lookup", "nhs:9434765919"));
  EXPECT_NE(KeyedDigest(key, "lookup", "nhs:9434765919"),
            KeyedDigest(RandomKey(), "lookup", "nhs:9434765919"));
}

TEST(MakeCommandContextTest, RefusesMissingOrBadHeader) {
  api::v1::CommandHeader header;
  int64_t expected = 0;
  EXPECT_THAT(MakeCommandContext(Police(), header, absl::Now(), true, &expected).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("header.command_id")));
  header.set_command_id("has space");
  EXPECT_THAT(MakeCommandContext(Police(), header, absl::Now(), true, &expected).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("header.command_id")));
  header.set_command_id(std::string(65, 'a'));
  EXPECT_THAT(MakeCommandContext(Police(), header, absl::Now(), true, &expected).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at most 64")));
  header.set_command_id("ok");
  EXPECT_THAT(MakeCommandContext(Police(), header, absl::Now(), false, &expected).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("header.expected_version")));
  header.set_expected_version(2);
  EXPECT_THAT(MakeCommandContext(Police(), header, absl::Now(), true, &expected).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must be unset")));
  header.set_expected_version(-1);
  EXPECT_TRUE(MakeCommandContext(Police(), header, absl::Now(), true, &expected).ok());
}

TEST(DeriveIdTest, IsAStableUuidThatDiffersByPurposeAndKey) {
  const std::string a = DeriveId("agency/1", "concern");
  EXPECT_EQ(a, DeriveId("agency/1", "concern"));
  EXPECT_NE(a, DeriveId("agency/1", "person"));
  EXPECT_NE(a, DeriveId("agency/2", "concern"));
  ASSERT_EQ(a.size(), 36u);
  EXPECT_EQ(a[8], '-');
  EXPECT_EQ(a[14], '8');  // version nibble
  EXPECT_TRUE(CheckId("id", a).ok());
}

TEST(CheckTest, TextIdsListsEnumsTimestamps) {
  EXPECT_THAT(CheckText("details.what_happened", "  ", identity::kDefaultMaxLongText, true),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("details.what_happened: required")));
  EXPECT_THAT(CheckText("x", std::string(identity::kDefaultMaxShortText + 1, 'a'), identity::kDefaultMaxShortText, false),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at most 200")));
  EXPECT_THAT(CheckText("x", "\xC0\xAF", identity::kDefaultMaxShortText, false),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("UTF-8")));
  EXPECT_TRUE(CheckText("x", "Mrs Ní Bhriain — café", identity::kDefaultMaxShortText, true).ok());
  // Tab and line breaks are text; other controls and bidirectional overrides are not.
  EXPECT_TRUE(CheckText("x", "line one\r\nline\ttwo", identity::kDefaultMaxLongText, true).ok());
  EXPECT_THAT(CheckText("what", "a\x1b[2Jb", identity::kDefaultMaxLongText, true),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "what: control character U+001B at byte 1 is not allowed"));
  EXPECT_THAT(CheckText("what", std::string("a\0b", 3), identity::kDefaultMaxLongText, true),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("U+0000")));
  EXPECT_THAT(CheckText("what", "x\x7f", identity::kDefaultMaxLongText, true),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("U+007F")));
  EXPECT_THAT(CheckText("what", "x\xC2\x85", identity::kDefaultMaxLongText, true),  // NEL, a C1 control
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("U+0085")));
  EXPECT_THAT(CheckText("what", "pay \xE2\x80\xAE" "0001", identity::kDefaultMaxLongText, true),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "what: bidirectional control U+202E at byte 4 is not allowed"));
  EXPECT_THAT(CheckText("what", "\xE2\x81\xA6x\xE2\x81\xA9", identity::kDefaultMaxLongText, true),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("U+2066")));
  EXPECT_TRUE(CheckText("x", "Hebrew \xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D mixed", identity::kDefaultMaxShortText,
                        true).ok());
  EXPECT_THAT(CheckId("concern_id", ""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CheckId("concern_id", "a/b"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CheckListSize("details.types_of_risk", 0, 1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at least one")));
  EXPECT_THAT(CheckListSize("x", 101), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CheckEnum("rating", static_cast<common::v1::RagRating>(42), true),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown value 42")));
  EXPECT_THAT(CheckEnum("rating", common::v1::RAG_RATING_UNSPECIFIED, true),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("rating: required")));
  EXPECT_TRUE(CheckEnum("rating", common::v1::RAG_RATING_RED, true).ok());
  google::protobuf::Timestamp ts;
  EXPECT_THAT(CheckTimestamp("due_at", ts, true), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(CheckTimestamp("due_at", ts, false).ok());
  ts.set_seconds(1);
  ts.set_nanos(-1);
  EXPECT_THAT(CheckTimestamp("due_at", ts, false), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Field(Field("details", "sources_of_risk"), 2), "details.sources_of_risk[2]");
}

// The limits in force are the configured ones (hubd sets them from the access file).
TEST(CommandRequestTest, ConfiguredLimitsApply) {
  const identity::RequestLimits saved = CurrentRequestLimits();
  identity::RequestLimits tight;
  tight.max_short_text = 10;
  tight.max_long_text = 50;
  tight.max_list_length = 2;
  SetRequestLimits(tight);
  EXPECT_THAT(CheckShortText("adult.name.given", std::string(11, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("adult.name.given")));
  EXPECT_TRUE(CheckShortText("adult.name.given", std::string(10, 'a')).ok());
  EXPECT_THAT(CheckLongText("details.what_happened", std::string(51, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CheckListSize("details.themes", 3),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at most 2 entries")));
  SetRequestLimits(saved);
  EXPECT_TRUE(CheckShortText("adult.name.given", std::string(11, 'a')).ok());
}

}  // namespace
}  // namespace hub::app
