#include "identity/access.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hub::identity {
namespace {

using ::hub::testing::StatusIs;
using ::testing::HasSubstr;

config::Partnership Northshire() {
  absl::StatusOr<config::Partnership> p =
      config::Partnership::Load(HUB_SOURCE_DIR "/deploy/partnership.example.textproto");
  EXPECT_TRUE(p.ok()) << p.status();
  return *std::move(p);
}

PeerCertificate Peer(std::string cn, std::vector<std::string> uris = {},
                     std::vector<std::string> dns = {}) {
  PeerCertificate peer;
  peer.subject_cn = std::move(cn);
  peer.uri_sans = std::move(uris);
  peer.dns_sans = std::move(dns);
  return peer;
}

TEST(AccessPolicyTest, TheExampleLoadsAndServesTls) {
  const config::Partnership partnership = Northshire();
  absl::StatusOr<AccessPolicy> access =
      AccessPolicy::Load(HUB_SOURCE_DIR "/deploy/access.example.textproto", partnership);
  ASSERT_TRUE(access.ok()) << access.status();
  EXPECT_TRUE(access->CheckServesTls().ok());
  const config::v1::AgencyCertificate* police =
      access->MatchCertificate(Peer("x", {"urn:hub:agency:police-northshire"}));
  ASSERT_NE(police, nullptr);
  EXPECT_EQ(police->agency_id(), "police-northshire");
  EXPECT_THAT(police->system_roles(), ::testing::ElementsAre(common::v1::ROLE_REFERRER));
  EXPECT_EQ(access->MatchCertificate(Peer("police-northshire")), nullptr);  // CN not registered
  EXPECT_EQ(access->token_policy().issuer, "https://idp.northshire.example/trial");
  EXPECT_EQ(access->token_policy().clock_skew, absl::Seconds(60));
}

TEST(AccessPolicyTest, SubjectAlternativeNamesWinOverTheCommonName) {
  const config::Partnership partnership = Northshire();
  absl::StatusOr<AccessPolicy> access = AccessPolicy::FromText(R"pb(
    agency_certificates { agency_id: "gp-riverside" match: "CN:shared-name" }
    agency_certificates { agency_id: "police-northshire" match: "DNS:ppn.police.example" }
  )pb", "inline", partnership);
  ASSERT_TRUE(access.ok()) << access.status();
  EXPECT_EQ(access->MatchCertificate(Peer("shared-name", {}, {"ppn.police.example"}))->agency_id(),
            "police-northshire");
  EXPECT_EQ(access->MatchCertificate(Peer("shared-name"))->agency_id(), "gp-riverside");
  EXPECT_EQ(access->MatchCertificate(Peer("other", {}, {"other.example"})), nullptr);
}

TEST(AccessPolicyTest, DefaultsFillEveryLimit) {
  const AccessPolicy access = AccessPolicy::Defaults();
  EXPECT_EQ(access.request_limits().max_short_text, kDefaultMaxShortText);
  EXPECT_EQ(access.request_limits().max_long_text, kDefaultMaxLongText);
  EXPECT_EQ(access.request_limits().max_list_length, kDefaultMaxListLength);
  EXPECT_EQ(access.rate_limits().per_second, 20);
  EXPECT_EQ(access.rate_limits().burst, 100);
  EXPECT_EQ(access.max_message_bytes(false), 4 << 20);
  EXPECT_EQ(access.max_message_bytes(true), 16 << 20);
  EXPECT_THAT(access.CheckServesTls(), StatusIs(absl::StatusCode::kInvalidArgument,
                                                HasSubstr("token_issuer.issuer")));
}

TEST(AccessPolicyTest, ConfiguredLimitsApply) {
  absl::StatusOr<AccessPolicy> access = AccessPolicy::FromText(
      "limits { max_message_bytes: 65536 max_short_text: 50 max_long_text: 500 "
      "max_list_length: 5 requests_per_second: 2.5 burst: 7 }",
      "inline", Northshire());
  ASSERT_TRUE(access.ok()) << access.status();
  EXPECT_EQ(access->max_message_bytes(true), 65536);
  EXPECT_EQ(access->request_limits().max_short_text, 50u);
  EXPECT_EQ(access->request_limits().max_long_text, 500u);
  EXPECT_EQ(access->request_limits().max_list_length, 5u);
  EXPECT_EQ(access->rate_limits().per_second, 2.5);
  EXPECT_EQ(access->rate_limits().burst, 7);
}

TEST(AccessPolicyTest, BadFilesNameTheField) {
  const config::Partnership partnership = Northshire();
  const struct {
    const char* text;
    const char* field;
  } cases[] = {
      {R"(agency_certificates { agency_id: "nobody" match: "CN:x" })",
       "agency_certificates[0].agency_id"},
      {R"(agency_certificates { agency_id: "gp-riverside" match: "x" })",
       "agency_certificates[0].match"},
      {R"(agency_certificates { agency_id: "gp-riverside" match: "CN:" })",
       "agency_certificates[0].match"},
      {R"(agency_certificates { agency_id: "gp-riverside" match: "CN:a" }
          agency_certificates { agency_id: "asc-northshire" match: "CN:a" })",
       "agency_certificates[1].match"},
      {R"(agency_certificates { agency_id: "gp-riverside" match: "CN:a" system_roles: 77 })",
       "system_roles[0]"},
      {R"(token_issuer { issuer: "https://idp" })", "token_issuer"},
      {R"(token_issuer { clock_skew_seconds: 3600 })", "clock_skew_seconds"},
      {R"(limits { max_message_bytes: 10 })", "limits.max_message_bytes"},
      {R"(limits { max_short_text: 100000 })", "limits.max_short_text"},
      {R"(limits { max_list_length: -1 })", "limits.max_list_length"},
      {R"(limits { requests_per_second: -3 })", "limits.requests_per_second"},
      {R"(limits { burst: -1 })", "limits.burst"},
      {R"(limits { nonsense: 1 })", "line 1"},
  };
  for (const auto& c : cases) {
    EXPECT_THAT(AccessPolicy::FromText(c.text, "access.textproto", partnership),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.field)))
        << c.text << " -> "
        << AccessPolicy::FromText(c.text, "access.textproto", partnership).status();
  }
}

}  // namespace
}  // namespace hub::identity
