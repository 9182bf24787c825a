// CallerIdentifier with real certificates and real signed tokens (OpenSSL): each way a caller
// can fail to prove who it is gets UNAUTHENTICATED and a reason. The same decisions through a
// real TLS hubd are in tests/e2e/tls_e2e_test.cc.
#include "services/common/tls_authenticator.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "base/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "identity/token_signer.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_pki.h"

namespace hub::services {
namespace {

using ::hub::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1'795'000'000);  // 2026-11-18

constexpr char kAccess[] = R"pb(
  agency_certificates {
    agency_id: "police-northshire"
    match: "URI:urn:hub:agency:police-northshire"
    system_roles: ROLE_REFERRER
  }
  agency_certificates { agency_id: "asc-northshire" match: "URI:urn:hub:agency:asc-northshire" }
  token_issuer { issuer: "https://idp.test" audience: "hub" }
)pb";

class CallerIdentifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<config::Partnership> partnership =
        config::Partnership::Load(HUB_SOURCE_DIR "/deploy/partnership.example.textproto");
    ASSERT_TRUE(partnership.ok()) << partnership.status();
    partnership_ = *std::move(partnership);
    absl::StatusOr<identity::AccessPolicy> access = identity::AccessPolicy::FromText(kAccess, "inline", partnership_);
    ASSERT_TRUE(access.ok()) << access.status();
    access_ = std::make_unique<identity::AccessPolicy>(*std::move(access));

    ca_ = testing::MakeCa("Test partnership CA");
    testing::WriteFile(dir_.Sub("ca.pem"), ca_.cert_pem);
    auto certificates = identity::ClientCertificateVerifier::Create(dir_.Sub("ca.pem"));
    ASSERT_TRUE(certificates.ok()) << certificates.status();
    certificates_ = *std::move(certificates);

    signing_key_ = testing::MakeEcSigningKey();
    auto jwks = identity::PublicJwks({{signing_key_, "k1"}});
    ASSERT_TRUE(jwks.ok()) << jwks.status();
    testing::WriteFile(dir_.Sub("jwks.json"), *jwks);
    auto tokens = identity::TokenVerifier::Create(access_->token_policy(), dir_.Sub("jwks.json"), clock_);
    ASSERT_TRUE(tokens.ok()) << tokens.status();
    tokens_ = *std::move(tokens);
    identifier_ = std::make_unique<CallerIdentifier>(*access_, partnership_, *certificates_,
                                                     *tokens_, clock_);
  }

  std::string AgencyCert(const std::string& agency, absl::Time not_after = kNow + absl::Hours(24),
                         const testing::KeyAndCert* issuer = nullptr) {
    return testing::IssueCert(issuer ? *issuer : ca_, agency, {},
                              {"urn:hub:agency:" + agency}, {}, kNow - absl::Hours(24),
                              not_after, /*server=*/false)
        .cert_pem;
  }

  std::string Bearer(const std::string& agency, std::vector<std::string> roles,
                     const std::string& user = "sw-0042") {
    identity::TokenToSign token;
    token.issuer = "https://idp.test";
    token.audience = {"hub"};
    token.subject = user;
    token.agency_id = agency;
    token.roles = std::move(roles);
    token.issued_at = kNow - absl::Minutes(1);
    token.expires_at = kNow + absl::Hours(1);
    absl::StatusOr<std::string> signed_token = identity::SignToken(signing_key_, "k1", token);
    EXPECT_TRUE(signed_token.ok()) << signed_token.status();
    return "Bearer " + signed_token.value_or("");
  }

  testing::TempDir dir_;
  ManualClock clock_{kNow};
  config::Partnership partnership_;
  std::unique_ptr<identity::AccessPolicy> access_;
  testing::KeyAndCert ca_;
  std::string signing_key_;
  std::unique_ptr<identity::ClientCertificateVerifier> certificates_;
  std::unique_ptr<identity::TokenVerifier> tokens_;
  std::unique_ptr<CallerIdentifier> identifier_;
};

TEST_F(CallerIdentifierTest, APractitionerIsTheTokensUserAtTheCertificatesAgency) {
  absl::StatusOr<domain::Caller> caller = identifier_->Identify(
      AgencyCert("asc-northshire"), "", Bearer("asc-northshire", {"mash_triage", "enquiry_officer"}));
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->agency_id, "asc-northshire");
  EXPECT_EQ(caller->agency_kind, common::v1::AGENCY_KIND_ADULT_SOCIAL_CARE);
  EXPECT_EQ(caller->user_id, "sw-0042");
  EXPECT_THAT(caller->roles,
              ElementsAre(common::v1::ROLE_MASH_TRIAGE, common::v1::ROLE_ENQUIRY_OFFICER));
}

TEST_F(CallerIdentifierTest, ASystemWithoutATokenHasItsConfiguredRoles) {
  absl::StatusOr<domain::Caller> caller =
      identifier_->Identify(AgencyCert("police-northshire"), "", "");
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->agency_id, "police-northshire");
  EXPECT_EQ(caller->user_id, "system:police-northshire");
  EXPECT_THAT(caller->roles, ElementsAre(common::v1::ROLE_REFERRER));
  // An agency with no system roles must name its practitioner.
  EXPECT_THAT(identifier_->Identify(AgencyCert("asc-northshire"), "", ""),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("on behalf of a practitioner")));
}

TEST_F(CallerIdentifierTest, EachBadCredentialIsUnauthenticatedWithItsReason) {
  const testing::KeyAndCert other_ca = testing::MakeCa("Someone else's CA");
  const std::string other_key = testing::MakeEcSigningKey();
  identity::TokenToSign forged;
  forged.issuer = "https://idp.test";
  forged.audience = {"hub"};
  forged.subject = "intruder";
  forged.agency_id = "asc-northshire";
  forged.issued_at = kNow - absl::Minutes(1);
  forged.expires_at = kNow + absl::Hours(1);
  const std::string forged_token = "Bearer " + identity::SignToken(other_key, "k1", forged).value_or("");
  const std::string good_cert = AgencyCert("asc-northshire");
  const struct {
    const char* name;
    std::string cert;
    std::string authorization;
    const char* reason;
  } cases[] = {
      {"no certificate", "", Bearer("asc-northshire", {"mash_triage"}), "no client certificate"},
      {"another CA", AgencyCert("asc-northshire", kNow + absl::Hours(1), &other_ca), "",
       "trusted"},
      {"expired certificate", AgencyCert("asc-northshire", kNow - absl::Hours(1)), "",
       "expired"},
      {"unregistered certificate", AgencyCert("gp-riverside"), "", "not registered"},
      {"not a bearer token", good_cert, "Basic dXNlcjpwYXNz", "Bearer"},
      {"wrongly signed token", good_cert, forged_token, "signature"},
      {"another agency's token", good_cert, Bearer("police-northshire", {"referrer"}),
       "token is for agency 'police-northshire'"},
      {"unknown role", good_cert, Bearer("asc-northshire", {"chief_constable"}),
       "unknown role 'chief_constable'"},
      {"reserved user name", good_cert, Bearer("asc-northshire", {"referrer"}, "system:x"),
       "reserved"},
  };
  for (const auto& c : cases) {
    EXPECT_THAT(identifier_->Identify(c.cert, "", c.authorization),
                StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr(c.reason)))
        << c.name;
  }
}

TEST_F(CallerIdentifierTest, ATokenExpiresWhileTheCertificateStillHolds) {
  const std::string cert = AgencyCert("asc-northshire");
  const std::string bearer = Bearer("asc-northshire", {"mash_triage"});
  ASSERT_TRUE(identifier_->Identify(cert, "", bearer).ok());
  clock_.Advance(absl::Hours(1) + absl::Seconds(61));  // past expiry and the 60 s skew
  EXPECT_THAT(identifier_->Identify(cert, "", bearer),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("expired")));
}

TEST(AuthorizeCallerTest, NoAuthenticatorMeansNoCall) {
  grpc::ServerContext context;
  EXPECT_THAT(AuthorizeCaller(nullptr, context, "hub.api.v1.LogAdmin/GetHead"),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

}  // namespace
}  // namespace hub::services
