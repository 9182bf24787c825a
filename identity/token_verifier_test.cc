// TokenVerifier against real ES256 and RS256 tokens (signed by token_signer with keys from the
// test PKI): every way a bearer token can be wrong gets UNAUTHENTICATED and a reason; key
// rotation through the JWKS file; bad JWKS files.
#include "identity/token_verifier.h"

#include <atomic>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "identity/token_signer.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_pki.h"

namespace hub::identity {
namespace {

using ::hub::testing::IsOk;
using ::hub::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kNow = absl::FromUnixSeconds(1'795'000'000);  // 2026-11-18T11:06:40Z
constexpr char kIssuer[] = "https://idp.northshire.example/realms/hub";
constexpr char kAudience[] = "hub";

std::string B64(const std::string& s) { return absl::WebSafeBase64Escape(s); }

class TokenVerifierTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ec_key_ = new std::string(testing::MakeEcSigningKey());
    rsa_key_ = new std::string(testing::MakeRsaSigningKey());
    other_ec_key_ = new std::string(testing::MakeEcSigningKey());
  }
  static void TearDownTestSuite() {
    delete ec_key_;
    delete rsa_key_;
    delete other_ec_key_;
  }

  void SetUp() override {
    WriteJwks({{*ec_key_, "ec-1"}, {*rsa_key_, "rsa-1"}});
    verifier_ = MakeVerifier();
  }

  std::unique_ptr<TokenVerifier> MakeVerifier() {
    TokenPolicy policy;
    policy.issuer = kIssuer;
    policy.audience = kAudience;
    absl::StatusOr<std::unique_ptr<TokenVerifier>> verifier =
        TokenVerifier::Create(policy, jwks_path(), clock_);
    EXPECT_THAT(verifier, IsOk());
    return verifier.ok() ? *std::move(verifier) : nullptr;
  }

  void WriteJwks(const std::vector<std::pair<std::string, std::string>>& keys) {
    absl::StatusOr<std::string> jwks = PublicJwks(keys);
    ASSERT_THAT(jwks, IsOk());
    testing::WriteFile(jwks_path(), *jwks);
  }

  std::string jwks_path() const { return dir_.Sub("jwks.json"); }

  static TokenToSign Claims() {
    TokenToSign token;
    token.issuer = kIssuer;
    token.audience = {kAudience};
    token.subject = "sw-0042";
    token.agency_id = "asc-northshire";
    token.roles = {"mash_triage", "safeguarding_manager"};
    token.issued_at = kNow - absl::Minutes(1);
    token.expires_at = kNow + absl::Hours(1);
    token.token_id = "tok-1";
    return token;
  }

  static std::string Sign(const std::function<void(TokenToSign&)>& change = nullptr,
                          const std::string& kid = "ec-1", const std::string* key = nullptr) {
    TokenToSign token = Claims();
    if (change) change(token);
    absl::StatusOr<std::string> signed_token = SignToken(key ? *key : *ec_key_, kid, token);
    EXPECT_THAT(signed_token, IsOk());
    return signed_token.value_or("");
  }

  static std::string SignRaw(const std::string& header, const std::string& payload,
                             const std::string* key = nullptr) {
    absl::StatusOr<std::string> token = SignJwsForTest(key ? *key : *ec_key_, header, payload);
    EXPECT_THAT(token, IsOk());
    return token.value_or("");
  }

  // A payload with valid claims, `extra` spliced in before the closing brace.
  static std::string Payload(const std::string& extra = "") {
    return absl::StrCat(R"({"iss":")", kIssuer, R"(","aud":"hub","sub":"sw-1",)",
                        R"("hub_agency":"asc-northshire","iat":)", absl::ToUnixSeconds(kNow) - 60,
                        R"(,"exp":)", absl::ToUnixSeconds(kNow) + 600, extra, "}");
  }

  absl::Status VerifyStatus(const std::string& token) { return verifier_->Verify(token).status(); }

  static inline std::string* ec_key_ = nullptr;
  static inline std::string* rsa_key_ = nullptr;
  static inline std::string* other_ec_key_ = nullptr;
  testing::TempDir dir_;
  ManualClock clock_{kNow};
  std::unique_ptr<TokenVerifier> verifier_;
};

TEST_F(TokenVerifierTest, Es256TokenIsAccepted) {
  absl::StatusOr<VerifiedToken> token = verifier_->Verify(Sign());
  ASSERT_THAT(token, IsOk());
  EXPECT_EQ(token->user_id, "sw-0042");
  EXPECT_EQ(token->agency_id, "asc-northshire");
  EXPECT_THAT(token->roles, ElementsAre("mash_triage", "safeguarding_manager"));
  EXPECT_EQ(token->expires_at, kNow + absl::Hours(1));
  EXPECT_EQ(token->key_id, "ec-1");
  EXPECT_EQ(token->token_id, "tok-1");
}

TEST_F(TokenVerifierTest, Rs256TokenIsAccepted) {
  absl::StatusOr<VerifiedToken> token = verifier_->Verify(Sign(nullptr, "rsa-1", rsa_key_));
  ASSERT_THAT(token, IsOk());
  EXPECT_EQ(token->key_id, "rsa-1");
  EXPECT_EQ(token->user_id, "sw-0042");
}

TEST_F(TokenVerifierTest, TokenWithoutRolesHasNone) {
  absl::StatusOr<VerifiedToken> token = verifier_->Verify(Sign([](TokenToSign& t) {
    t.roles_claim = "";
    t.token_id = "";
  }));
  ASSERT_THAT(token, IsOk());
  EXPECT_TRUE(token->roles.empty());
  EXPECT_EQ(token->token_id, "");
}

TEST_F(TokenVerifierTest, ExpiredBeyondSkewIsRefused) {
  const std::string token = Sign([](TokenToSign& t) {
    t.issued_at = kNow - absl::Hours(1);
    t.expires_at = kNow - absl::Seconds(61);
  });
  EXPECT_THAT(VerifyStatus(token), StatusIs(absl::StatusCode::kUnauthenticated,
                                            "token expired at 2026-11-18T11:05:39Z"));
}

TEST_F(TokenVerifierTest, ExpiredWithinSkewIsAccepted) {
  const std::string token = Sign([](TokenToSign& t) {
    t.issued_at = kNow - absl::Hours(1);
    t.expires_at = kNow - absl::Seconds(59);
  });
  EXPECT_THAT(verifier_->Verify(token), IsOk());
}

TEST_F(TokenVerifierTest, NotBeforeInTheFutureIsRefused) {
  const std::string token = Sign([](TokenToSign& t) { t.not_before = kNow + absl::Minutes(5); });
  EXPECT_THAT(VerifyStatus(token),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("token not valid before 2026-11-18T11:11:40Z")));
  clock_.Advance(absl::Minutes(4));  // within the skew of nbf now
  EXPECT_THAT(verifier_->Verify(token), IsOk());
}

TEST_F(TokenVerifierTest, IssuedInTheFutureIsRefused) {
  const std::string token = Sign([](TokenToSign& t) { t.issued_at = kNow + absl::Minutes(5); });
  EXPECT_THAT(VerifyStatus(token), StatusIs(absl::StatusCode::kUnauthenticated,
                                            HasSubstr("token issued in the future")));
}

TEST_F(TokenVerifierTest, WrongIssuerIsRefused) {
  const std::string token = Sign([](TokenToSign& t) { t.issuer = "https://idp.elsewhere"; });
  EXPECT_THAT(VerifyStatus(token),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("issuer 'https://idp.elsewhere' not accepted (expected")));
}

TEST_F(TokenVerifierTest, WrongAudienceIsRefused) {
  const std::string token = Sign([](TokenToSign& t) { t.audience = {"another-api"}; });
  EXPECT_THAT(VerifyStatus(token), StatusIs(absl::StatusCode::kUnauthenticated,
                                            "audience not accepted (expected 'hub')"));
}

TEST_F(TokenVerifierTest, AudienceArrayHoldingOursIsAccepted) {
  EXPECT_THAT(verifier_->Verify(Sign([](TokenToSign& t) {
    t.audience = {"account", "hub"};
  })),
              IsOk());
  EXPECT_THAT(VerifyStatus(Sign([](TokenToSign& t) {
                t.audience = {"account", "portal"};
              })),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("audience not accepted")));
}

TEST_F(TokenVerifierTest, MissingAudienceIsRefused) {
  EXPECT_THAT(VerifyStatus(Sign([](TokenToSign& t) { t.audience.clear(); })),
              StatusIs(absl::StatusCode::kUnauthenticated, "token has no audience (aud)"));
}

TEST_F(TokenVerifierTest, SignatureByAnotherKeyWithTheSameKidIsRefused) {
  const std::string token = Sign(nullptr, "ec-1", other_ec_key_);
  const absl::Status status = VerifyStatus(token);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnauthenticated, "signature does not verify"));
  // The message never repeats the token or its signature.
  const std::vector<std::string> parts = absl::StrSplit(token, '.');
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr(parts[2])));
}

TEST_F(TokenVerifierTest, TamperedPayloadIsRefused) {
  std::vector<std::string> parts = absl::StrSplit(Sign(), '.');
  std::string payload;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(parts[1], &payload));
  const size_t at = payload.find("safeguarding_manager");
  ASSERT_NE(at, std::string::npos);
  payload.replace(at, 20, "administrator");
  const std::string tampered = absl::StrCat(parts[0], ".", B64(payload), ".", parts[2]);
  EXPECT_THAT(VerifyStatus(tampered),
              StatusIs(absl::StatusCode::kUnauthenticated, "signature does not verify"));
}

TEST_F(TokenVerifierTest, AlgNoneIsRefused) {
  const std::string token =
      absl::StrCat(B64(R"({"alg":"none","typ":"JWT","kid":"ec-1"})"), ".", B64(Payload()), ".");
  EXPECT_THAT(VerifyStatus(token),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("alg 'none' not accepted")));
}

TEST_F(TokenVerifierTest, AlgHs256IsRefused) {
  // The classic confusion attack: an HMAC keyed with the public key's bytes.
  const std::string token = absl::StrCat(B64(R"({"alg":"HS256","kid":"ec-1"})"), ".",
                                         B64(Payload()), ".", B64(std::string(32, 'x')));
  EXPECT_THAT(VerifyStatus(token),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("alg 'HS256' not accepted")));
}

TEST_F(TokenVerifierTest, OtherAlgorithmsAreRefused) {
  for (const char* alg : {"ES384", "PS256", "RS512", "EdDSA", "NONE"}) {
    const std::string token =
        SignRaw(absl::StrCat(R"({"alg":")", alg, R"(","kid":"ec-1"})"), Payload());
    EXPECT_THAT(VerifyStatus(token),
                StatusIs(absl::StatusCode::kUnauthenticated,
                         HasSubstr(absl::StrCat("alg '", alg, "' not accepted"))))
        << alg;
  }
}

TEST_F(TokenVerifierTest, AlgNotMatchingTheKeyTypeIsRefused) {
  // RS256 signed with the RSA key but naming the EC key.
  const std::string token = SignRaw(R"({"alg":"RS256","kid":"ec-1"})", Payload(), rsa_key_);
  EXPECT_THAT(VerifyStatus(token),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("alg 'RS256' does not match key 'ec-1' (an EC P-256 key")));
  const std::string other = SignRaw(R"({"alg":"ES256","kid":"rsa-1"})", Payload());
  EXPECT_THAT(VerifyStatus(other), StatusIs(absl::StatusCode::kUnauthenticated,
                                            HasSubstr("does not match key 'rsa-1' (an RSA key")));
}

TEST_F(TokenVerifierTest, CritHeaderIsRefused) {
  const std::string token =
      SignRaw(R"({"alg":"ES256","kid":"ec-1","crit":["exp"],"exp":1})", Payload());
  EXPECT_THAT(VerifyStatus(token),
              StatusIs(absl::StatusCode::kUnauthenticated, "header 'crit' not accepted"));
}

TEST_F(TokenVerifierTest, TypMustBeJwtOrAccessToken) {
  for (const char* typ : {"JWT", "jwt", "at+jwt", "application/at+JWT"}) {
    EXPECT_THAT(
        verifier_->Verify(SignRaw(
            absl::StrCat(R"({"alg":"ES256","kid":"ec-1","typ":")", typ, R"("})"), Payload())),
        IsOk())
        << typ;
  }
  EXPECT_THAT(
      VerifyStatus(SignRaw(R"({"alg":"ES256","kid":"ec-1","typ":"dpop+jwt"})", Payload())),
      StatusIs(absl::StatusCode::kUnauthenticated, "typ 'dpop+jwt' not accepted (JWT or at+jwt)"));
}

TEST_F(TokenVerifierTest, KidIsRequiredWhenTheSetHoldsSeveralKeys) {
  EXPECT_THAT(VerifyStatus(Sign(nullptr, "")),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("token has no kid")));
}

TEST_F(TokenVerifierTest, KidIsOptionalWithASingleKey) {
  WriteJwks({{*ec_key_, ""}});
  verifier_ = MakeVerifier();
  absl::StatusOr<VerifiedToken> token = verifier_->Verify(Sign(nullptr, ""));
  ASSERT_THAT(token, IsOk());
  EXPECT_EQ(token->key_id, "");
}

TEST_F(TokenVerifierTest, UnknownKidIsRefusedUntilTheJwksHoldsIt) {
  const std::string new_key = testing::MakeEcSigningKey();
  const std::string token = Sign(nullptr, "ec-2", &new_key);
  EXPECT_THAT(VerifyStatus(token),
              StatusIs(absl::StatusCode::kUnauthenticated, "unknown key id 'ec-2'"));

  // The identity provider rotates: the new key is published beside the old ones.
  WriteJwks({{*ec_key_, "ec-1"}, {*rsa_key_, "rsa-1"}, {new_key, "ec-2"}});
  // The file was looked at for 'ec-2' less than a second ago: not again yet.
  EXPECT_THAT(VerifyStatus(token),
              StatusIs(absl::StatusCode::kUnauthenticated, "unknown key id 'ec-2'"));
  clock_.Advance(absl::Seconds(1));
  absl::StatusOr<VerifiedToken> verified = verifier_->Verify(token);
  ASSERT_THAT(verified, IsOk());
  EXPECT_EQ(verified->key_id, "ec-2");
  EXPECT_THAT(verifier_->Verify(Sign()), IsOk());  // the old keys still work
}

TEST_F(TokenVerifierTest, RotatedKeyIsFoundAtFirstSight) {
  const std::string new_key = testing::MakeEcSigningKey();
  WriteJwks({{*ec_key_, "ec-1"}, {new_key, "ec-2"}});
  EXPECT_THAT(verifier_->Verify(Sign(nullptr, "ec-2", &new_key)), IsOk());
}

TEST_F(TokenVerifierTest, RemovedKeyStopsWorkingAtThePeriodicCheck) {
  WriteJwks({{*rsa_key_, "rsa-1"}});
  const std::string token = Sign();
  EXPECT_THAT(verifier_->Verify(token), IsOk());  // not re-read yet
  clock_.Advance(absl::Seconds(30));
  EXPECT_THAT(VerifyStatus(token),
              StatusIs(absl::StatusCode::kUnauthenticated, "unknown key id 'ec-1'"));
}

TEST_F(TokenVerifierTest, ReloadPicksUpNewKeys) {
  const std::string new_key = testing::MakeEcSigningKey();
  WriteJwks({{new_key, "ec-9"}});
  HUB_ASSERT_OK(verifier_->Reload());
  EXPECT_THAT(verifier_->Verify(Sign(nullptr, "ec-9", &new_key)), IsOk());
  EXPECT_THAT(VerifyStatus(Sign()),
              StatusIs(absl::StatusCode::kUnauthenticated, "unknown key id 'ec-1'"));
}

TEST_F(TokenVerifierTest, ReloadOfABrokenFileKeepsTheKeys) {
  testing::WriteFile(jwks_path(), R"({"keys": [ {"kty": "EC", "kid": "ec-1")");
  EXPECT_THAT(verifier_->Reload(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(jwks_path()), HasSubstr("not valid JSON"))));
  EXPECT_THAT(verifier_->Verify(Sign()), IsOk());
  // Neither does the periodic check drop them.
  clock_.Advance(absl::Minutes(1));
  EXPECT_THAT(verifier_->Verify(Sign()), IsOk());
  // A vanished file neither.
  ASSERT_EQ(std::remove(jwks_path().c_str()), 0);
  EXPECT_THAT(verifier_->Reload(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cannot open")));
  clock_.Advance(absl::Minutes(1));
  EXPECT_THAT(verifier_->Verify(Sign()), IsOk());
}

TEST_F(TokenVerifierTest, MissingSubjectIsRefused) {
  EXPECT_THAT(VerifyStatus(Sign([](TokenToSign& t) { t.subject = ""; })),
              StatusIs(absl::StatusCode::kUnauthenticated, "token has no subject (sub)"));
}

TEST_F(TokenVerifierTest, MissingAgencyIsRefused) {
  EXPECT_THAT(
      VerifyStatus(Sign([](TokenToSign& t) { t.agency_id = ""; })),
      StatusIs(absl::StatusCode::kUnauthenticated, "token has no agency (claim 'hub_agency')"));
}

TEST_F(TokenVerifierTest, MissingExpiryIsRefused) {
  EXPECT_THAT(VerifyStatus(Sign([](TokenToSign& t) { t.expires_at = absl::InfinitePast(); })),
              StatusIs(absl::StatusCode::kUnauthenticated, "token has no expiry (exp)"));
}

TEST_F(TokenVerifierTest, LifetimeLongerThanAllowedIsRefused) {
  EXPECT_THAT(VerifyStatus(Sign([](TokenToSign& t) { t.expires_at = kNow + absl::Hours(13); })),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("token lifetime 13h1m is longer than the 12h accepted")));
  // Leaving out iat and nbf does not escape the limit.
  EXPECT_THAT(VerifyStatus(Sign([](TokenToSign& t) {
                t.issued_at = absl::InfinitePast();
                t.expires_at = kNow + absl::Hours(13);
              })),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("token lifetime 13h")));
}

TEST_F(TokenVerifierTest, ClaimsOfTheWrongTypeAreMalformed) {
  EXPECT_THAT(VerifyStatus(SignRaw(R"({"alg":"ES256","kid":"ec-1"})",
                                   R"({"iss":"x","aud":"hub","exp":"tomorrow"})")),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("issuer 'x' not accepted")));
  EXPECT_THAT(VerifyStatus(SignRaw(
                  R"({"alg":"ES256","kid":"ec-1"})",
                  absl::StrCat(R"({"iss":")", kIssuer, R"(","aud":"hub","exp":"tomorrow"})"))),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       "malformed token: claim 'exp' must be a number (seconds since 1970)"));
  EXPECT_THAT(
      VerifyStatus(SignRaw(R"({"alg":"ES256","kid":"ec-1"})", Payload(R"(,"hub_roles":"x")"))),
      StatusIs(absl::StatusCode::kUnauthenticated,
               "malformed token: claim 'hub_roles' must be an array of strings"));
  EXPECT_THAT(
      VerifyStatus(SignRaw(R"({"alg":"ES256","kid":"ec-1"})", Payload(R"(,"aud2":1,"jti":7)"))),
      StatusIs(absl::StatusCode::kUnauthenticated,
               "malformed token: claim 'jti' must be a string"));
  EXPECT_THAT(VerifyStatus(SignRaw(R"({"alg":"ES256","kid":7})", Payload())),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       "malformed token: header 'kid' must be a string"));
}

TEST_F(TokenVerifierTest, MalformedTokensAreRefused) {
  const std::vector<std::string> good = absl::StrSplit(Sign(), '.');
  struct Case {
    std::string token;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"", "malformed token: empty"},
      {"not-a-token", "malformed token: expected header.payload.signature (3 parts), found 1"},
      {absl::StrCat(good[0], ".", good[1]), "found 2"},
      {absl::StrCat(good[0], ".", good[1], ".", good[2], ".x.y"), "found 5"},
      {absl::StrCat(good[0], "*.", good[1], ".", good[2]),
       "malformed token: header is not base64url"},
      {absl::StrCat(good[0], "=.", good[1], ".", good[2]),
       "malformed token: header is not base64url"},
      {absl::StrCat(good[0], ".", good[1], ".", good[2], "+"),
       "malformed token: signature is not base64url"},
      {absl::StrCat(B64("not json"), ".", good[1], ".", good[2]),
       "malformed token: header is not a JSON object"},
      {absl::StrCat(B64(R"({"alg":"ES256",)"), ".", good[1], ".", good[2]),
       "malformed token: header is not valid JSON"},
      {absl::StrCat(B64(R"({"alg":"ES256","alg":"none"})"), ".", good[1], ".", good[2]),
       "malformed token: header is not valid JSON"},
      {absl::StrCat(B64(R"({"typ":"JWT"})"), ".", good[1], ".", good[2]),
       "malformed token: header has no alg"},
      {absl::StrCat(B64(absl::StrCat(R"({"alg":"ES256","x":)", std::string(40, '['),
                                     std::string(40, ']'), "}")),
                    ".", good[1], ".", good[2]),
       "malformed token: header is JSON nested deeper than 16 levels"},
      {absl::StrCat(good[0], ".", good[1], ".", B64("short")), "signature does not verify"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(VerifyStatus(c.token),
                StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr(c.message)))
        << c.token;
  }
  // A signed payload that is not JSON.
  EXPECT_THAT(VerifyStatus(SignRaw(R"({"alg":"ES256","kid":"ec-1"})", "[1,2]")),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       "malformed token: payload is not a JSON object"));
}

TEST_F(TokenVerifierTest, OversizeTokenIsRefused) {
  const std::string token = Sign([](TokenToSign& t) { t.roles.assign(700, "mash_researcher"); });
  ASSERT_GT(token.size(), 8192u);
  EXPECT_THAT(VerifyStatus(token),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr(absl::StrCat("malformed token: token is ", token.size(),
                                              " bytes; at most 8192"))));
}

TEST_F(TokenVerifierTest, KidFromTheTokenIsEscapedInMessages) {
  const std::string token = SignRaw(R"({"alg":"ES256","kid":"k\n\u0007"})", Payload());
  EXPECT_THAT(VerifyStatus(token),
              StatusIs(absl::StatusCode::kUnauthenticated, "unknown key id 'k\\n\\x07'"));
}

TEST_F(TokenVerifierTest, VerifiesConcurrentlyWithReloads) {
  const std::string ec_token = Sign();
  const std::string rsa_token = Sign(nullptr, "rsa-1", rsa_key_);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        if (!verifier_->Verify(t % 2 ? ec_token : rsa_token).ok()) ++failures;
      }
    });
  }
  for (int i = 0; i < 20; ++i) {
    if (!verifier_->Reload().ok()) ++failures;
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

// --- The JWKS file and the policy -------------------------------------------------------------

class TokenVerifierCreateTest : public ::testing::Test {
 protected:
  absl::Status CreateWith(const std::string& jwks) {
    testing::WriteFile(dir_.Sub("jwks.json"), jwks);
    TokenPolicy policy;
    policy.issuer = kIssuer;
    policy.audience = kAudience;
    return TokenVerifier::Create(policy, dir_.Sub("jwks.json"), clock_).status();
  }
  // A valid EC JWK's members, for building broken ones.
  std::string EcMembers() {
    absl::StatusOr<std::string> jwks = PublicJwks({{testing::MakeEcSigningKey(), "ec-1"}});
    EXPECT_THAT(jwks, IsOk());
    const size_t open = jwks->find('{', 1);
    const size_t close = jwks->rfind('}', jwks->rfind(']'));
    return jwks->substr(open + 1, close - open - 1);
  }

  testing::TempDir dir_;
  ManualClock clock_{kNow};
};

TEST_F(TokenVerifierCreateTest, PolicyNeedsIssuerAndAudience) {
  TokenPolicy policy;
  policy.audience = kAudience;
  EXPECT_THAT(TokenVerifier::Create(policy, "/nonexistent", clock_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("issuer is required")));
  policy.issuer = kIssuer;
  policy.audience = "";
  EXPECT_THAT(TokenVerifier::Create(policy, "/nonexistent", clock_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("audience is required")));
}

TEST_F(TokenVerifierCreateTest, MissingFileIsRefused) {
  TokenPolicy policy;
  policy.issuer = kIssuer;
  policy.audience = kAudience;
  EXPECT_THAT(TokenVerifier::Create(policy, dir_.Sub("absent.json"), clock_),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(dir_.Sub("absent.json")), HasSubstr("cannot open"))));
}

TEST_F(TokenVerifierCreateTest, BadFilesAreRefusedNamingTheKey) {
  const std::string ec = EcMembers();
  struct Case {
    std::string jwks;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"", "not a JSON object"},
      {"[]", "not a JSON object"},
      {std::string((1 << 20) + 1, ' '), "larger than 1 MiB"},
      {R"({"keys": {}})", "no \"keys\" array"},
      {R"({"keys": []})", "\"keys\" is empty"},
      {R"({"keys": [7]})", "key #1: not a JSON object"},
      {absl::StrCat(R"({"keys":[{)", ec, R"(}, {"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]})"),
       "key #2: no kid"},
      {absl::StrCat(R"({"keys":[{)", ec, "}, {", ec, "}]}"), "key #2 (kid 'ec-1'): kid used twice"},
      {R"({"keys":[{"kid":"a","kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}]})",
       "key #1 (kid 'a'): 'x' and 'y' must be 32 bytes each"},
      {absl::StrCat(R"({"keys":[{"kid":"a","kty":"EC","crv":"P-256","x":")",
                    B64(std::string(32, '\1')), R"(","y":")", B64(std::string(32, '\2')),
                    R"("}]})"),
       "key #1 (kid 'a'): x/y is not a point on P-256"},
      {R"({"keys":[{"kid":"a","kty":"EC","crv":"P-256","x":"AA==","y":"AA"}]})",
       "'x' is not unpadded base64url"},
      {R"({"keys":[{"kid":"a","kty":"EC","crv":"P-256","alg":"RS256"}]})",
       "alg 'RS256' does not match kty 'EC'"},
      {R"({"keys":[{"kid":"a","kty":"RSA","alg":"ES256"}]})",
       "alg 'ES256' does not match kty 'RSA'"},
      {R"({"keys":[{"kid":"a","kty":"oct","k":"c2VjcmV0"}]})", "holds private key material ('k')"},
      {R"({"keys":[{"kid":"a","kty":"oct"}]})", "symmetric ('oct') key"},
      {absl::StrCat(R"({"keys":[{)", ec, R"(,"d":"AAAA"}]})"), "holds private key material ('d')"},
      {R"({"keys":[{"kid":"a"}]})", "key #1 (kid 'a'): 'kty' is required"},
      {R"({"keys":[{"kid":"a","kty":"EC","crv":"P-384","x":"AA","y":"AA"}]})",
       "no key this hub accepts"},
      {absl::StrCat(R"({"keys":[{"kid":"a","kty":"RSA","n":")", B64(std::string(128, '\xc3')),
                    R"(","e":"AQAB"}]})"),
       "'a': RSA key of 1024 bits (2048 to 8192 accepted)"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(CreateWith(c.jwks),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(HasSubstr(dir_.Sub("jwks.json")), HasSubstr(c.message))))
        << c.jwks;
  }
}

TEST_F(TokenVerifierCreateTest, KeysForOtherUsesAreSkippedAndNamedWhenUsed) {
  const std::string key = testing::MakeEcSigningKey();
  absl::StatusOr<std::string> jwks = PublicJwks({{key, "ec-1"}});
  ASSERT_THAT(jwks, IsOk());
  // Splice in an encryption key and a P-384 signing key beside the usable one.
  const size_t end = jwks->rfind(']');
  const std::string with_others = absl::StrCat(
      jwks->substr(0, end), R"(, {"kid":"enc-1","kty":"RSA","use":"enc","n":"AQAB","e":"AQAB"},)",
      R"( {"kid":"ec384","kty":"EC","crv":"P-384","alg":"ES384","x":"AA","y":"AA"})",
      jwks->substr(end));
  testing::WriteFile(dir_.Sub("jwks.json"), with_others);
  TokenPolicy policy;
  policy.issuer = kIssuer;
  policy.audience = kAudience;
  absl::StatusOr<std::unique_ptr<TokenVerifier>> verifier =
      TokenVerifier::Create(policy, dir_.Sub("jwks.json"), clock_);
  ASSERT_THAT(verifier, IsOk());
  TokenToSign claims;
  claims.issuer = kIssuer;
  claims.audience = {kAudience};
  claims.subject = "u";
  claims.agency_id = "a";
  claims.issued_at = kNow;
  claims.expires_at = kNow + absl::Minutes(5);
  EXPECT_THAT((*verifier)->Verify(SignToken(key, "ec-1", claims).value_or("")), IsOk());
  EXPECT_THAT((*verifier)->Verify(SignToken(key, "ec384", claims).value_or("")).status(),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("key id 'ec384' not accepted: EC key on 'P-384'")));
  EXPECT_THAT((*verifier)->Verify(SignToken(key, "enc-1", claims).value_or("")).status(),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       "key id 'enc-1' not accepted: its use is 'enc', not 'sig'"));
}

// --- The signer's own refusals -------------------------------------------------------------------

TEST(TokenSignerTest, RefusesKeysThatCannotSignES256OrRS256) {
  TokenToSign claims;
  claims.expires_at = kNow;
  EXPECT_THAT(SignToken("not a key", "k", claims),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a PEM private key")));
  EXPECT_THAT(PublicJwks({{"junk", "k1"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("key 'k1': not a PEM key")));
  const std::string key = testing::MakeEcSigningKey();
  EXPECT_THAT(PublicJwks({{key, "k1"}, {key, "k1"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("kid 'k1' given twice")));
  claims.expires_at = absl::InfiniteFuture();
  EXPECT_THAT(SignToken(key, "k", claims),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'exp' must be within")));
}

}  // namespace
}  // namespace hub::identity
