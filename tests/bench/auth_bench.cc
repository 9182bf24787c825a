// auth_bench: what identifying callers costs, in one run on one machine.
//   1. CallerIdentifier::Identify alone: a practitioner's token seen for the first time
//      (signature and claims checked), the same token again (the verified-token cache), and a
//      system (certificate only). Every TLS call runs it twice (before the service, and in
//      the handler).
//   2. A unary call (LogAdmin.GetHead, which touches no disk) through an in-process server on
//      127.0.0.1, one in flight: plaintext with the development identity, against mutual TLS
//      with a practitioner's token. The difference is what authentication adds to a call. The
//      caller is an auditor, whom the role table then refuses (only the operators' certificate
//      reads the head), so both paths do the same work after identifying the caller.
//   3. Deciding who may act on a case (services/common/case_standing.h, command_rules.h): how
//      the caller's agency stands to a case (its concern and enquiry streams loaded and folded)
//      and the table's check, against loading the concern stream alone, which every command on
//      a concern pays anyway. A case of 40 events in all, in a RocksDB log on disk.
// Figures, not a test. Usage: auth_bench [--calls=N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "eventstore/rocksdb/rocksdb_event_log.h"
#include "grpcpp/grpcpp.h"
#include "hub/api/v1/event_store_service.grpc.pb.h"
#include "domain/common/envelope.h"
#include "identity/access.h"
#include "app/case_standing.h"
#include "app/case_store.h"
#include "app/command_rules.h"
#include "services/common/authenticator.h"
#include "identity/client_certificate.h"
#include "identity/rate_limiter.h"
#include "services/common/tls_authenticator.h"
#include "identity/token_signer.h"
#include "identity/token_verifier.h"
#include "services/eventstore/log_admin_service.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_pki.h"

namespace hub {
namespace {

namespace api = ::hub::api::v1;

struct Latency {
  double p50_us = 0, p99_us = 0, mean_us = 0;
};

Latency Summarise(std::vector<double> us) {
  std::sort(us.begin(), us.end());
  Latency l;
  l.p50_us = us[us.size() / 2];
  l.p99_us = us[us.size() * 99 / 100];
  double sum = 0;
  for (double v : us) sum += v;
  l.mean_us = sum / us.size();
  return l;
}

template <typename F>
Latency Time(int n, F&& f) {
  std::vector<double> us;
  us.reserve(n);
  for (int i = 0; i < n; ++i) {
    const absl::Time start = absl::Now();
    f();
    us.push_back(absl::ToDoubleMicroseconds(absl::Now() - start));
  }
  return Summarise(std::move(us));
}

void Print(const char* what, const Latency& l) {
  std::printf("%-58s p50 %8.1f us  p99 %8.1f us  mean %8.1f us\n", what, l.p50_us, l.p99_us,
              l.mean_us);
}

// A case as a MASH works it: raised by the police, triaged, researched with five partners, an
// s42 enquiry led by adult social care with an advocacy referral and 25 records. Returns the
// concern stream's name.
std::string WriteCase(eventstore::EventLog& log) {
  domain::CommandContext ctx;
  ctx.caller = {"asc-northshire", common::v1::AGENCY_KIND_ADULT_SOCIAL_CARE, "sw.1", {}};
  ctx.now = absl::Now();
  auto append = [&](const std::string& stream, std::vector<events::v1::Event> events) {
    app::CaseStore store(log);
    return store.Append(stream, eventstore::ExpectedVersion::Any(), events, ctx,
                        absl::InfiniteFuture()).ok();
  };
  std::vector<events::v1::Event> concern;
  domain::CommandContext police = ctx;
  police.caller.agency_id = "police-northshire";
  events::v1::Event raised = domain::NewEvent(police);
  raised.mutable_concern_raised()->set_concern_id("c-bench");
  raised.mutable_concern_raised()->set_person_id("p-bench");
  concern.push_back(raised);
  events::v1::Event triaged = domain::NewEvent(ctx);
  triaged.mutable_concern_triaged()->set_rating(common::v1::RAG_RATING_AMBER);
  concern.push_back(triaged);
  for (const char* agency : {"gp-riverside", "police-northshire", "nhs-northshire-acute",
                             "housing-northshire", "nhs-northshire-mh"}) {
    events::v1::Event research = domain::NewEvent(ctx);
    research.mutable_research_requested()->set_request_id(absl::StrCat("r-", agency));
    research.mutable_research_requested()->set_agency_id(agency);
    concern.push_back(research);
  }
  events::v1::Event decided = domain::NewEvent(ctx);
  decided.mutable_threshold_decision_made()->set_route(common::v1::THRESHOLD_ROUTE_S42_ENQUIRY);
  decided.mutable_threshold_decision_made()->set_enquiry_id("e-bench");
  concern.push_back(decided);
  std::vector<events::v1::Event> enquiry;
  events::v1::Event opened = domain::NewEvent(ctx);
  opened.mutable_enquiry_opened()->set_enquiry_id("e-bench");
  opened.mutable_enquiry_opened()->set_concern_id("c-bench");
  enquiry.push_back(opened);
  events::v1::Event lead = domain::NewEvent(ctx);
  lead.mutable_enquiry_lead_assigned()->set_lead_agency_id("asc-northshire");
  enquiry.push_back(lead);
  for (int i = 0; i < 30; ++i) {
    events::v1::Event risk = domain::NewEvent(ctx);
    risk.mutable_risk_assessed()->set_dangers(std::string(400, 'd'));
    enquiry.push_back(risk);
  }
  return append("concern-c-bench", concern) && append("enquiry-e-bench", enquiry)
             ? "concern-c-bench"
             : "";
}

int Run(int calls) {
  testing::TempDir dir;
  const absl::Time now = absl::Now();
  const testing::KeyAndCert ca = testing::MakeCa("bench CA");
  const testing::KeyAndCert server = testing::IssueCert(
      ca, "localhost", {"localhost"}, {}, {"127.0.0.1"}, now - absl::Hours(1), now + absl::Hours(2),
      true);
  const testing::KeyAndCert asc = testing::IssueCert(
      ca, "asc-northshire", {}, {"urn:hub:agency:asc-northshire"}, {}, now - absl::Hours(1),
      now + absl::Hours(2), false);
  const std::string signing_key = testing::MakeEcSigningKey();
  testing::WriteFile(dir.Sub("ca.pem"), ca.cert_pem);
  testing::WriteFile(dir.Sub("jwks.json"), *identity::PublicJwks({{signing_key, "k1"}}));

  absl::StatusOr<config::Partnership> partnership =
      config::Partnership::Load(HUB_SOURCE_DIR "/deploy/partnership.example.textproto");
  absl::StatusOr<identity::AccessPolicy> access = identity::AccessPolicy::FromText(
      R"pb(
        agency_certificates {
          agency_id: "asc-northshire"
          match: "URI:urn:hub:agency:asc-northshire"
          system_roles: ROLE_REFERRER
        }
        token_issuer { issuer: "https://idp.bench" audience: "hub" }
        limits { requests_per_second: 100000 burst: 1000000 }
      )pb",
      "bench", *partnership);
  if (!partnership.ok() || !access.ok()) {
    std::fprintf(stderr, "auth_bench: configuration: %s %s\n",
                 partnership.status().ToString().c_str(), access.status().ToString().c_str());
    return 1;
  }
  auto certificates = identity::ClientCertificateVerifier::Create(dir.Sub("ca.pem"));
  auto tokens = identity::TokenVerifier::Create(access->token_policy(), dir.Sub("jwks.json"),
                                                SystemClock::Get());
  if (!certificates.ok() || !tokens.ok()) {
    std::fprintf(stderr, "auth_bench: verifiers: %s %s\n",
                 certificates.status().ToString().c_str(), tokens.status().ToString().c_str());
    return 1;
  }
  services::CallerIdentifier identifier(*access, *partnership, **certificates, **tokens,
                                        SystemClock::Get());
  identity::TokenToSign claims;
  claims.issuer = "https://idp.bench";
  claims.audience = {"hub"};
  claims.subject = "auditor.1";
  claims.agency_id = "asc-northshire";
  claims.roles = {"auditor"};
  claims.issued_at = absl::FromUnixSeconds(absl::ToUnixSeconds(now));
  claims.expires_at = claims.issued_at + absl::Hours(1);
  const std::string bearer = "Bearer " + *identity::SignToken(signing_key, "k1", claims);

  // Tokens the verifier has not seen: the signature check and claims parse of a first call.
  std::vector<std::string> fresh;
  for (int i = 0; i < std::max(10, calls / 10); ++i) {
    claims.token_id = absl::StrCat("t-", i);
    fresh.push_back("Bearer " + *identity::SignToken(signing_key, "k1", claims));
  }
  claims.token_id.clear();

  std::printf("auth_bench: %d calls per figure, one at a time\n\n", calls);
  size_t next_fresh = 0;
  Print("Identify: certificate + a token not seen before",
        Time(static_cast<int>(fresh.size()),
             [&] { (void)identifier.Identify(asc.cert_pem, "", fresh[next_fresh++]); }));
  Print("Identify: certificate + ES256 token (practitioner)",
        Time(calls, [&] { (void)identifier.Identify(asc.cert_pem, "", bearer); }));
  Print("Identify: certificate only (system)",
        Time(calls, [&] { (void)identifier.Identify(asc.cert_pem, "", ""); }));

  // The same service over plaintext (development identity) and over mutual TLS.
  eventstore::RocksDbOptions log_options;
  auto log = eventstore::OpenRocksDbEventLog(dir.Sub("data"), log_options);
  if (!log.ok()) return 1;
  identity::RateLimiter limiter(access->rate_limits(), SystemClock::Get());
  auto dev = services::NewMetadataAuthenticator(*partnership, &limiter);
  auto tls = services::NewTlsAuthenticator(identifier);
  services::LogAdminService dev_admin(**log, dev.get());
  services::LogAdminService tls_admin(**log, tls.get());

  int dev_port = 0, tls_port = 0;
  grpc::ServerBuilder dev_builder;
  dev_builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &dev_port);
  dev_builder.RegisterService(&dev_admin);
  std::unique_ptr<grpc::Server> dev_server = dev_builder.BuildAndStart();
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_BUT_DONT_VERIFY);
  ssl.pem_root_certs = ca.cert_pem;
  ssl.pem_key_cert_pairs.push_back({server.key_pem, server.cert_pem});
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::SslServerCredentials(ssl);
  credentials->SetAuthMetadataProcessor(services::NewTlsAuthProcessor(identifier, limiter));
  grpc::ServerBuilder tls_builder;
  tls_builder.AddListeningPort("127.0.0.1:0", credentials, &tls_port);
  tls_builder.RegisterService(&tls_admin);
  std::unique_ptr<grpc::Server> tls_server = tls_builder.BuildAndStart();

  auto dev_stub = api::LogAdmin::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", dev_port), grpc::InsecureChannelCredentials()));
  grpc::SslCredentialsOptions client;
  client.pem_root_certs = ca.cert_pem;
  client.pem_cert_chain = asc.cert_pem;
  client.pem_private_key = asc.key_pem;
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  auto tls_stub = api::LogAdmin::NewStub(grpc::CreateCustomChannel(
      absl::StrCat("127.0.0.1:", tls_port), grpc::SslCredentials(client), args));

  int failures = 0;
  auto dev_call = [&] {
    grpc::ClientContext context;
    context.AddMetadata("x-hub-agency", "asc-northshire");
    context.AddMetadata("x-hub-user", "auditor.1");
    context.AddMetadata("x-hub-roles", "auditor");
    api::GetHeadResponse head;
    if (dev_stub->GetHead(&context, api::GetHeadRequest(), &head).error_code() !=
        grpc::PERMISSION_DENIED) {
      ++failures;
    }
  };
  auto tls_call = [&] {
    grpc::ClientContext context;
    context.AddMetadata("authorization", bearer);
    api::GetHeadResponse head;
    if (tls_stub->GetHead(&context, api::GetHeadRequest(), &head).error_code() !=
        grpc::PERMISSION_DENIED) {
      ++failures;
    }
  };
  for (int i = 0; i < 200; ++i) {  // connect and warm up both
    dev_call();
    tls_call();
  }
  const Latency plain = Time(calls, dev_call);
  const Latency secure = Time(calls, tls_call);
  std::printf("\n");
  Print("GetHead, plaintext, development identity", plain);
  Print("GetHead, mutual TLS, certificate + token (identified twice)", secure);
  std::printf("\nTLS with a token over plaintext: %.2fx at p50, +%.0f us\n",
              secure.p50_us / plain.p50_us, secure.p50_us - plain.p50_us);

  // 3. Who may act, on a case of 40 events.
  const std::string concern_stream = WriteCase(**log);
  if (concern_stream.empty()) {
    std::fprintf(stderr, "auth_bench: the bench case could not be written\n");
    return 1;
  }
  app::CaseStore store(**log);
  const domain::Caller police{"police-northshire", common::v1::AGENCY_KIND_POLICE, "di.1",
                              {common::v1::ROLE_SAFEGUARDING_MANAGER}};
  absl::StatusOr<app::LoadedStream> loaded = store.Load(concern_stream, absl::InfiniteFuture());
  const std::vector<std::string> host = partnership->host_asc_agency_ids();
  const Latency load = Time(calls, [&] {
    if (!store.Load(concern_stream, absl::InfiniteFuture()).ok()) ++failures;
  });
  const Latency who = Time(calls, [&] {
    absl::StatusOr<domain::access::CaseStanding> standing = app::StandingOnCase(
        store, *loaded, police.agency_id, host, absl::InfiniteFuture());
    // The police raised it: triaging it is the MASH's, so this is refused.
    if (!standing.ok() ||
        app::AuthorizeOnCase(police, "hub.api.v1.Mash/TriageConcern", *standing,
                                  "concern_id").ok()) {
      ++failures;
    }
  });
  std::printf("\n");
  Print("load the concern stream (8 events; every command does)", load);
  Print("who may act: standing from both streams + the table", who);
  std::printf("\nwho may act over the load a command already does: %.2fx at p50, +%.0f us\n",
              who.p50_us / load.p50_us, who.p50_us - load.p50_us);
  dev_server->Shutdown();
  tls_server->Shutdown();
  (*log)->Close();
  if (failures > 0) {
    std::fprintf(stderr, "auth_bench: %d calls failed\n", failures);
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace hub

int main(int argc, char** argv) {
  int calls = 2000;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--calls=", 0) != 0 || !absl::SimpleAtoi(arg.substr(8), &calls) || calls < 10) {
      std::fprintf(stderr, "usage: auth_bench [--calls=N]\n");
      return 2;
    }
  }
  return hub::Run(calls);
}
