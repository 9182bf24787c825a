// ClientCertificateVerifier against certificates made by the test PKI: each way an agency's
// certificate can be wrong gets UNAUTHENTICATED and a reason; bad CA bundles are refused.
#include "identity/client_certificate.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_pki.h"

namespace hub::identity {
namespace {

using ::hub::testing::IsOk;
using ::hub::testing::KeyAndCert;
using ::hub::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

const absl::Time kNow = absl::FromUnixSeconds(1'795'000'000);  // 2026-11-18T11:06:40Z

class ClientCertificateTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ca_ = new KeyAndCert(testing::MakeCa("Northshire partnership test CA"));
    other_ca_ = new KeyAndCert(testing::MakeCa("Other partnership CA"));
  }
  static void TearDownTestSuite() {
    delete ca_;
    delete other_ca_;
  }

  void SetUp() override {
    testing::WriteFile(dir_.Sub("ca.pem"), ca_->cert_pem);
    absl::StatusOr<std::unique_ptr<ClientCertificateVerifier>> verifier =
        ClientCertificateVerifier::Create(dir_.Sub("ca.pem"));
    ASSERT_THAT(verifier, IsOk());
    verifier_ = *std::move(verifier);
  }

  static KeyAndCert Agency(const KeyAndCert& issuer, absl::Time not_before, absl::Time not_after,
                           bool server = false) {
    return testing::IssueCert(issuer, "police-northshire", {"gateway.police.example"},
                              {"urn:hub:agency:police-northshire"}, {}, not_before, not_after,
                              server);
  }

  static inline KeyAndCert* ca_ = nullptr;
  static inline KeyAndCert* other_ca_ = nullptr;
  testing::TempDir dir_;
  std::unique_ptr<ClientCertificateVerifier> verifier_;
};

TEST_F(ClientCertificateTest, ValidClientCertificateIsAccepted) {
  const KeyAndCert agency = Agency(*ca_, kNow - absl::Hours(1), kNow + absl::Hours(24 * 365));
  absl::StatusOr<PeerCertificate> peer = verifier_->Verify(agency.cert_pem, "", kNow);
  ASSERT_THAT(peer, IsOk());
  EXPECT_EQ(peer->subject_cn, "police-northshire");
  EXPECT_THAT(peer->dns_sans, ElementsAre("gateway.police.example"));
  EXPECT_THAT(peer->uri_sans, ElementsAre("urn:hub:agency:police-northshire"));
  EXPECT_EQ(peer->not_before, kNow - absl::Hours(1));
  EXPECT_EQ(peer->not_after, kNow + absl::Hours(24 * 365));
  EXPECT_THAT(peer->sha256_fingerprint, MatchesRegex("[0-9a-f]{64}"));
  // Again, from the cache: the same answer.
  absl::StatusOr<PeerCertificate> again = verifier_->Verify(agency.cert_pem, "", kNow);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->sha256_fingerprint, peer->sha256_fingerprint);
  EXPECT_EQ(again->uri_sans, peer->uri_sans);
}

TEST_F(ClientCertificateTest, ExpiredCertificateIsRefused) {
  const KeyAndCert agency = Agency(*ca_, kNow - absl::Hours(48), kNow - absl::Hours(1));
  EXPECT_THAT(verifier_->Verify(agency.cert_pem, "", kNow),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       "client certificate expired at 2026-11-18T10:06:40Z"));
}

TEST_F(ClientCertificateTest, CachedCertificateStillExpires) {
  const KeyAndCert agency = Agency(*ca_, kNow - absl::Hours(1), kNow + absl::Hours(1));
  ASSERT_THAT(verifier_->Verify(agency.cert_pem, "", kNow), IsOk());
  EXPECT_THAT(verifier_->Verify(agency.cert_pem, "", kNow + absl::Hours(2)),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("client certificate expired at 2026-11-18T12:06:40Z")));
  EXPECT_THAT(
      verifier_->Verify(agency.cert_pem, "", kNow - absl::Hours(2)),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("client certificate not yet valid")));
}

TEST_F(ClientCertificateTest, NotYetValidCertificateIsRefused) {
  const KeyAndCert agency = Agency(*ca_, kNow + absl::Hours(1), kNow + absl::Hours(48));
  EXPECT_THAT(verifier_->Verify(agency.cert_pem, "", kNow),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       "client certificate not yet valid (valid from 2026-11-18T12:06:40Z)"));
}

TEST_F(ClientCertificateTest, CertificateFromAnotherCaIsRefused) {
  const KeyAndCert agency = Agency(*other_ca_, kNow - absl::Hours(1), kNow + absl::Hours(1));
  EXPECT_THAT(verifier_->Verify(agency.cert_pem, "", kNow),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       AllOf(HasSubstr("client certificate not issued by a trusted CA"),
                             HasSubstr("Other partnership CA"))));
  // Sending the other CA as "chain" does not make it trusted.
  EXPECT_THAT(verifier_->Verify(agency.cert_pem, other_ca_->cert_pem, kNow),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("client certificate not issued by a trusted CA")));
}

TEST_F(ClientCertificateTest, ServerCertificateIsNotForClientUse) {
  const KeyAndCert server = Agency(*ca_, kNow - absl::Hours(1), kNow + absl::Hours(1), true);
  EXPECT_THAT(verifier_->Verify(server.cert_pem, "", kNow),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("client certificate is not for TLS client use")));
}

TEST_F(ClientCertificateTest, MissingOrGarbageCertificateIsRefused) {
  EXPECT_THAT(verifier_->Verify("", "", kNow),
              StatusIs(absl::StatusCode::kUnauthenticated, "no client certificate"));
  EXPECT_THAT(verifier_->Verify(" \n", "", kNow),
              StatusIs(absl::StatusCode::kUnauthenticated, "no client certificate"));
  EXPECT_THAT(
      verifier_->Verify("hello", "", kNow),
      StatusIs(absl::StatusCode::kUnauthenticated, "client certificate is not a PEM certificate"));
  EXPECT_THAT(
      verifier_->Verify("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n", "", kNow),
      StatusIs(absl::StatusCode::kUnauthenticated, "client certificate is not a PEM certificate"));
  EXPECT_THAT(
      verifier_->Verify(ca_->key_pem, "", kNow),
      StatusIs(absl::StatusCode::kUnauthenticated, "client certificate is not a PEM certificate"));
  // Valid PEM, not a certificate inside.
  EXPECT_THAT(
      verifier_->Verify("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "", kNow),
      StatusIs(absl::StatusCode::kUnauthenticated,
               "client certificate is not a valid X.509 certificate"));
  const KeyAndCert agency = Agency(*ca_, kNow - absl::Hours(1), kNow + absl::Hours(1));
  EXPECT_THAT(verifier_->Verify(agency.cert_pem, "garbage", kNow), IsOk());  // no PEM block in it
  EXPECT_THAT(verifier_->Verify(agency.cert_pem, ca_->key_pem, kNow),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       "client certificate chain is not PEM certificates"));
}

TEST_F(ClientCertificateTest, IntermediateChainIsFollowed) {
  const KeyAndCert intermediate = testing::IssueIntermediateCa(
      *ca_, "Northshire issuing CA", kNow - absl::Hours(24), kNow + absl::Hours(24 * 30));
  const KeyAndCert agency = Agency(intermediate, kNow - absl::Hours(1), kNow + absl::Hours(24));
  EXPECT_THAT(verifier_->Verify(agency.cert_pem, intermediate.cert_pem, kNow), IsOk());

  const KeyAndCert lone = Agency(intermediate, kNow - absl::Hours(1), kNow + absl::Hours(24));
  EXPECT_THAT(verifier_->Verify(lone.cert_pem, "", kNow),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       AllOf(HasSubstr("client certificate not issued by a trusted CA"),
                             HasSubstr("send any intermediate CA certificates"))));
}

TEST_F(ClientCertificateTest, ExpiredIntermediateIsNamed) {
  const KeyAndCert intermediate = testing::IssueIntermediateCa(
      *ca_, "Northshire issuing CA", kNow - absl::Hours(48), kNow - absl::Hours(1));
  const KeyAndCert agency = Agency(intermediate, kNow - absl::Hours(24), kNow + absl::Hours(24));
  EXPECT_THAT(verifier_->Verify(agency.cert_pem, intermediate.cert_pem, kNow),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       "client certificate's issuing CA 'CN=Northshire issuing CA' expired at "
                       "2026-11-18T10:06:40Z"));
}

TEST_F(ClientCertificateTest, WorksWithTheCacheTurnedOff) {
  absl::StatusOr<std::unique_ptr<ClientCertificateVerifier>> uncached =
      ClientCertificateVerifier::Create(dir_.Sub("ca.pem"), /*cache_capacity=*/0);
  ASSERT_THAT(uncached, IsOk());
  const KeyAndCert agency = Agency(*ca_, kNow - absl::Hours(1), kNow + absl::Hours(1));
  EXPECT_THAT((*uncached)->Verify(agency.cert_pem, "", kNow), IsOk());
  EXPECT_THAT((*uncached)->Verify(agency.cert_pem, "", kNow + absl::Hours(2)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("expired")));
}

TEST_F(ClientCertificateTest, CacheKeepsOnlyItsCapacity) {
  absl::StatusOr<std::unique_ptr<ClientCertificateVerifier>> small =
      ClientCertificateVerifier::Create(dir_.Sub("ca.pem"), /*cache_capacity=*/2);
  ASSERT_THAT(small, IsOk());
  for (int i = 0; i < 5; ++i) {
    const KeyAndCert agency = Agency(*ca_, kNow - absl::Hours(1), kNow + absl::Hours(1));
    EXPECT_THAT((*small)->Verify(agency.cert_pem, "", kNow), IsOk());
    EXPECT_THAT((*small)->Verify(agency.cert_pem, "", kNow), IsOk());
  }
}

TEST(ClientCertificateCreateTest, BadBundlesAreRefused) {
  testing::TempDir dir;
  const KeyAndCert ca = testing::MakeCa("CA");
  const KeyAndCert leaf =
      testing::IssueCert(ca, "leaf", {}, {}, {}, kNow, kNow + absl::Hours(1), false);
  struct Case {
    std::string content;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"", "holds no PEM certificate"},
      {"just some text\n", "holds no PEM certificate"},
      {ca.key_pem, "block 1 holds a 'PRIVATE KEY' block where a CERTIFICATE was expected"},
      {absl::StrCat(ca.cert_pem, "-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n"),
       "block 2 is not valid PEM"},
      {leaf.cert_pem, "certificate 'CN=leaf' is not a CA certificate"},
  };
  for (const Case& c : cases) {
    testing::WriteFile(dir.Sub("ca.pem"), c.content);
    EXPECT_THAT(ClientCertificateVerifier::Create(dir.Sub("ca.pem")),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(HasSubstr(dir.Sub("ca.pem")), HasSubstr(c.message))))
        << c.content;
  }
  EXPECT_THAT(ClientCertificateVerifier::Create(dir.Sub("absent.pem")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cannot be read")));
  // Two CAs, with comments between them as in system bundles: fine.
  testing::WriteFile(dir.Sub("ca.pem"),
                     absl::StrCat("# partnership CA\n", ca.cert_pem, "# old CA\n",
                                  testing::MakeCa("Old CA").cert_pem));
  EXPECT_THAT(ClientCertificateVerifier::Create(dir.Sub("ca.pem")), IsOk());
}

}  // namespace
}  // namespace hub::identity
