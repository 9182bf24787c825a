// hubd: the hub's server process. Opens the event log in --data_dir, serves the services chosen
// by --services (by default all): People, ReferralIntake, Mash, Enquiry, Advocacy, Views and
// ProjectionAdmin on --listen; the raw log (EventStore and LogAdmin) on --admin_listen, for
// operators; health checking and reflection on both. Shuts down cleanly on SIGTERM or SIGINT.
// Wiring only: behaviour lives in the libraries.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "app/case_store.h"
#include "app/command_request.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/status_macros.h"
#include "config/partnership.h"
#include "domain/common/envelope.h"
#include "domain/common/streams.h"
#include "eventstore/kv_store.h"
#include "eventstore/rocksdb/rocksdb_event_log.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "identity/access.h"
#include "identity/rate_limiter.h"
#include "policy/agreement.h"
#include "services/common/authenticator.h"
#include "services/common/service_deps.h"
#include "services/common/tls_authenticator.h"
#include "services/enquiry/advocacy_service.h"
#include "services/enquiry/enquiry_service.h"
#include "services/eventstore/event_store_service.h"
#include "services/eventstore/log_admin_service.h"
#include "services/intake/mash_service.h"
#include "services/intake/people_service.h"
#include "services/intake/referral_intake_service.h"
#include "services/views/views_service.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "HOST:PORT to serve gRPC on; port 0 picks a free port (see --port_file)");
ABSL_FLAG(std::string, admin_listen, "127.0.0.1:50052",
          "HOST:PORT to serve the raw log (EventStore and LogAdmin) on, for operators, when "
          "--services hosts it; kept apart from the safeguarding services so that it can stay on "
          "loopback and take larger messages; port 0 picks a free port (see --admin_port_file)");
ABSL_FLAG(std::string, admin_port_file, "",
          "if set, once listening, the admin port and a newline are written to this file "
          "(before --port_file)");
ABSL_FLAG(std::string, backup_dir, "",
          "directory LogAdmin.Backup writes backups into (created, owner-only, if missing); a "
          "backup names an entry in it. Unset: backups over the network are refused");
ABSL_FLAG(std::string, data_dir, "./var/data",
          "directory of the event log; created (with parents, owner-only) if missing");
ABSL_FLAG(std::string, port_file, "",
          "if set, once listening, the bound port and a newline are written to this file "
          "(atomically: a temporary file renamed into place)");
ABSL_FLAG(std::string, services, "all",
          "comma-separated services this process hosts: all, or any of eventstore (EventStore "
          "and LogAdmin), people, intake, mash, enquiry, advocacy, views (Views and "
          "ProjectionAdmin, with the projections that feed them)");
ABSL_FLAG(std::string, partnership, "",
          "the partnership configuration (text-format hub.config.v1.Partnership: agencies, "
          "timescales, calendar); required: every caller is one of its agencies");
ABSL_FLAG(std::string, agreement, "",
          "the information sharing agreement (text-format hub.config.v1.SharingAgreement); "
          "required when hosting views; recorded in the log when it differs from the one in "
          "force");
ABSL_FLAG(std::string, views_dir, "",
          "directory of the read models the projections fold (default DATA_DIR/views); "
          "derived data: deleting it makes hubd rebuild them from the log");
ABSL_FLAG(std::string, tls_cert, "",
          "the server's certificate chain (PEM): serve mutual TLS; needs --tls_key, "
          "--tls_client_ca, --jwks and --access (deploy/make-trial-credentials.sh makes a set "
          "for trials)");
ABSL_FLAG(std::string, tls_key, "", "the server certificate's private key (PEM)");
ABSL_FLAG(std::string, tls_client_ca, "",
          "CA bundle (PEM) that issues agencies' client certificates");
ABSL_FLAG(std::string, jwks, "",
          "the identity provider's public keys (JWKS) for practitioners' tokens; re-read when "
          "the file changes (key rotation)");
ABSL_FLAG(std::string, access, "",
          "the access configuration (text-format hub.config.v1.Access: agencies' certificates, "
          "the token issuer, request limits); required with --tls_cert, optional otherwise "
          "(limits)");
ABSL_FLAG(bool, dev_identity_from_metadata, false,
          "TESTS AND DEVELOPMENT ONLY: trust x-hub-agency / x-hub-user / x-hub-roles request "
          "metadata as the caller's identity over plaintext; refused unless every address "
          "--listen (and --admin_listen) resolves to is loopback, never together with "
          "--tls_cert, and never on a data directory once served over TLS");
ABSL_FLAG(absl::Duration, emergency_access_duration, absl::Hours(3),
          "how long a break-glass (emergency access) grant lasts; a request may ask for less");
ABSL_FLAG(std::string, config, "",
          "file of flag lines (--name=value, # comments); read first, so the command line "
          "overrides it");

namespace hub {
namespace {

constexpr absl::Duration kDrainTimeout = absl::Seconds(10);

// Rewrites --config=FILE (or --config FILE) as absl's --flagfile=FILE placed first, so that
// flags given on the command line are parsed after, and win over, the file's.
std::vector<std::string> ConfigAsFlagfile(int argc, char** argv) {
  std::vector<std::string> config;
  std::vector<std::string> rest;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--config" || arg == "-config") {
      if (i + 1 < argc) {
        config.push_back(argv[++i]);
      } else {
        rest.push_back(arg);  // absl reports the missing value
      }
    } else if (absl::StartsWith(arg, "--config=") || absl::StartsWith(arg, "-config=")) {
      config.push_back(arg.substr(arg.find('=') + 1));
    } else {
      rest.push_back(arg);
    }
  }
  std::vector<std::string> args = {argv[0]};
  for (const std::string& file : config) args.push_back("--flagfile=" + file);
  args.insert(args.end(), rest.begin(), rest.end());
  return args;
}

// Splits HOST:PORT ("[::1]:0" keeps its brackets in the host).
absl::Status ParseListen(const std::string& listen, std::string& host, int& port) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(listen.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--listen: must be HOST:PORT with PORT 0..65535, got '", listen, "'"));
  }
  host = listen.substr(0, colon);
  return absl::OkStatus();
}

// The services hosted, from --services.
struct Hosted {
  bool eventstore = false, people = false, intake = false, mash = false, enquiry = false,
       advocacy = false, views = false;
  bool any_safeguarding() const { return people || intake || mash || enquiry || advocacy || views; }
};

absl::StatusOr<Hosted> ParseServices(const std::string& flag) {
  Hosted h;
  for (absl::string_view name : absl::StrSplit(flag, ',', absl::SkipWhitespace())) {
    if (name == "all") {
      h = Hosted{true, true, true, true, true, true, true};
    } else if (name == "eventstore") {
      h.eventstore = true;
    } else if (name == "people") {
      h.people = true;
    } else if (name == "intake") {
      h.intake = true;
    } else if (name == "mash") {
      h.mash = true;
    } else if (name == "enquiry") {
      h.enquiry = true;
    } else if (name == "advocacy") {
      h.advocacy = true;
    } else if (name == "views") {
      h.views = true;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("--services: unknown service '", name, "'"));
    }
  }
  if (!h.eventstore && !h.any_safeguarding()) {
    return absl::InvalidArgumentError("--services: name at least one service");
  }
  return h;
}

// OK when `host` (a name or an address, "[::1]" keeping its brackets) resolves, and every
// address it resolves to is loopback (127.0.0.0/8, ::1); what the listener binds is what the
// name resolves to, not how it is spelt.
absl::Status CheckResolvesToLoopbackOnly(const std::string& flag, std::string host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  if (const int error = ::getaddrinfo(host.c_str(), nullptr, &hints, &found); error != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": cannot resolve '", host, "': ", ::gai_strerror(error)));
  }
  absl::Status status = absl::OkStatus();
  for (const addrinfo* a = found; a != nullptr && status.ok(); a = a->ai_next) {
    bool loopback = false;
    char text[INET6_ADDRSTRLEN] = "?";
    if (a->ai_family == AF_INET) {
      const in_addr addr = reinterpret_cast<const sockaddr_in*>(a->ai_addr)->sin_addr;
      loopback = (ntohl(addr.s_addr) >> 24) == 127;
      ::inet_ntop(AF_INET, &addr, text, sizeof(text));
    } else if (a->ai_family == AF_INET6) {
      const in6_addr& addr = reinterpret_cast<const sockaddr_in6*>(a->ai_addr)->sin6_addr;
      loopback =
          IN6_IS_ADDR_LOOPBACK(&addr) || (IN6_IS_ADDR_V4MAPPED(&addr) && addr.s6_addr[12] == 127);
      ::inet_ntop(AF_INET6, &addr, text, sizeof(text));
    }
    if (!loopback) {
      status = absl::InvalidArgumentError(absl::StrCat(
          flag, ": --dev_identity_from_metadata is refused on a non-loopback address ('", host,
          "' resolves to ", text, "); it trusts any caller's claim of who they are"));
    }
  }
  ::freeaddrinfo(found);
  return status;
}

// True once hubd has served the log over mutual TLS (the served-with-tls stream has an event).
absl::StatusOr<bool> ServedWithTls(eventstore::EventLog& log) {
  eventstore::ReadStreamOptions options;
  options.limit = 1;
  HUB_ASSIGN_OR_RETURN(eventstore::ReadStreamResult read,
                       log.ReadStream(domain::kServedWithTlsStream, options));
  return !read.events.empty();
}

// Marks the log as served over mutual TLS, once: from then on a development identity is
// refused on it, and on any copy restored from its backups.
absl::Status MarkServedWithTls(eventstore::EventLog& log, const std::string& listen) {
  HUB_ASSIGN_OR_RETURN(const bool served, ServedWithTls(log));
  if (served) return absl::OkStatus();
  char hostname[256] = {0};
  ::gethostname(hostname, sizeof(hostname) - 1);
  domain::CommandContext ctx;
  ctx.caller.user_id = "system:hubd";
  ctx.now = absl::Now();
  events::v1::Event event = domain::NewEvent(ctx);
  event.mutable_served_with_tls()->set_host(hostname);
  event.mutable_served_with_tls()->set_listen(listen);
  eventstore::AppendRequest append;
  append.stream = domain::kServedWithTlsStream;
  append.expected = eventstore::ExpectedVersion::NoStream();
  append.events.push_back(app::EncodeEvent(event));
  return Annotate(log.Append(std::move(append)).status(), "recording that TLS is served");
}

// Writes "<port>\n" to `path` so that a reader never sees a partial file.
absl::Status WritePortFile(const std::string& path, int port) {
  const std::string tmp = absl::StrCat(path, ".tmp.", ::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << "\n";
    out.flush();
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", tmp));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return absl::UnavailableError(absl::StrCat("cannot rename ", tmp, " to ", path));
  }
  return absl::OkStatus();
}

// The key of the lookup digests (ViewsOptions::lookup_key): DATA_DIR/lookup-digest.key, made
// once (owner-only) and kept, so that digests stay comparable across restarts. It lives beside
// the log, not in it, so that a reader of the raw log cannot test guesses against them.
absl::StatusOr<std::string> LoadOrCreateLookupKey(const std::string& data_dir) {
  const std::string path = data_dir + "/lookup-digest.key";
  if (std::ifstream in(path, std::ios::binary); in) {
    std::string key((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (key.size() != 32) {
      return absl::DataLossError(
          absl::StrCat(path, ": expected a 32-byte key, found ", key.size(), " bytes"));
    }
    return key;
  }
  const std::string key = app::RandomKey(32);
  const std::string tmp = absl::StrCat(path, ".tmp.", ::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0 || ::write(fd, key.data(), key.size()) != static_cast<ssize_t>(key.size()) ||
      ::fsync(fd) != 0) {
    if (fd >= 0) ::close(fd);
    return absl::UnavailableError(absl::StrCat("cannot write ", tmp));
  }
  ::close(fd);
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot rename ", tmp, " to ", path));
  return key;
}

// Waits for SIGTERM or SIGINT (blocked in every thread) and returns its number.
int WaitForStopSignal(const sigset_t& signals) {
  int signal = 0;
  while (sigwait(&signals, &signal) != 0) {
  }
  return signal;
}

// Everything the flags and configuration files say, checked before anything is opened, so that
// a bad configuration never leaves a half-started server. Not moved once loaded: the caller
// identity keeps references into it.
struct Settings {
  std::string host;        // of --listen
  std::string admin_host;  // of --admin_listen, when the raw log is hosted
  Hosted hosted;
  bool tls = false;
  bool dev_identity = false;
  std::optional<config::Partnership> partnership;
  std::optional<policy::Agreement> agreement;  // when the views are hosted
  identity::AccessPolicy access = identity::AccessPolicy::Defaults();
  std::string data_dir;    // absolute, created
  std::string backup_dir;  // canonical, created; empty: backups refused
};

// --listen, --admin_listen, --services and how callers are identified.
absl::Status LoadListenSettings(Settings& settings) {
  // --config on the command line became --flagfile; one set inside a file would be ignored.
  if (!absl::GetFlag(FLAGS_config).empty()) {
    return absl::InvalidArgumentError("--config cannot be nested; use --flagfile in a config");
  }
  int port = 0;
  HUB_RETURN_IF_ERROR(ParseListen(absl::GetFlag(FLAGS_listen), settings.host, port));
  HUB_ASSIGN_OR_RETURN(settings.hosted, ParseServices(absl::GetFlag(FLAGS_services)));
  settings.tls = !absl::GetFlag(FLAGS_tls_cert).empty();
  settings.dev_identity = absl::GetFlag(FLAGS_dev_identity_from_metadata);
  if (settings.tls && settings.dev_identity) {
    return absl::InvalidArgumentError(
        "--dev_identity_from_metadata: not with --tls_cert; a TLS server identifies callers by "
        "their certificates and tokens only");
  }
  if (!settings.tls && !settings.dev_identity) {
    return absl::InvalidArgumentError(
        "no caller identity: serve mutual TLS (--tls_cert, --tls_key, --tls_client_ca, --jwks, "
        "--access; deploy/make-trial-credentials.sh makes trial credentials) or, for tests on "
        "a loopback address, --dev_identity_from_metadata");
  }
  if (settings.hosted.eventstore) {
    HUB_RETURN_IF_ERROR(ParseListen(absl::GetFlag(FLAGS_admin_listen), settings.admin_host, port));
  }
  if (settings.dev_identity) {
    HUB_RETURN_IF_ERROR(CheckResolvesToLoopbackOnly("--listen", settings.host));
    if (settings.hosted.eventstore) {
      HUB_RETURN_IF_ERROR(CheckResolvesToLoopbackOnly("--admin_listen", settings.admin_host));
    }
  }
  return absl::OkStatus();
}

// The partnership, the agreement, the access file and the emergency access duration.
absl::Status LoadConfiguration(Settings& settings) {
  if (absl::GetFlag(FLAGS_partnership).empty()) {
    return absl::InvalidArgumentError(
        "--partnership: required: callers are agencies of the partnership (see "
        "deploy/partnership.example.textproto)");
  }
  HUB_ASSIGN_OR_RETURN(settings.partnership,
                       config::Partnership::Load(absl::GetFlag(FLAGS_partnership)));
  if (settings.hosted.views) {
    if (absl::GetFlag(FLAGS_agreement).empty()) {
      return absl::InvalidArgumentError(
          "--agreement: required to host the views (see deploy/agreement.example.textproto)");
    }
    HUB_ASSIGN_OR_RETURN(settings.agreement,
                         policy::Agreement::Load(absl::GetFlag(FLAGS_agreement)));
  }
  if (const absl::Duration d = absl::GetFlag(FLAGS_emergency_access_duration);
      d < absl::Minutes(1) || d > absl::Hours(24)) {
    return absl::InvalidArgumentError(
        "--emergency_access_duration: between 1m and 24h (break-glass is for emergencies)");
  }
  if (!absl::GetFlag(FLAGS_access).empty()) {
    HUB_ASSIGN_OR_RETURN(settings.access, identity::AccessPolicy::Load(absl::GetFlag(FLAGS_access),
                                                                       *settings.partnership));
  } else if (settings.tls) {
    return absl::InvalidArgumentError(
        "--access: required with --tls_cert (see deploy/access.example.textproto)");
  }
  return absl::OkStatus();
}

// The data directory (created) and the backup directory (created, canonical: a backup's name
// is checked against it lexically, services/eventstore/translate.h).
absl::Status PrepareDirectories(Settings& settings) {
  std::error_code ec;
  settings.data_dir =
      std::filesystem::absolute(absl::GetFlag(FLAGS_data_dir), ec).lexically_normal().string();
  std::filesystem::create_directories(settings.data_dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create data directory ", settings.data_dir, ": ", ec.message()));
  }
  settings.backup_dir = absl::GetFlag(FLAGS_backup_dir);
  if (settings.backup_dir.empty()) return absl::OkStatus();
  std::filesystem::create_directories(settings.backup_dir, ec);
  if (!ec) settings.backup_dir = std::filesystem::canonical(settings.backup_dir, ec).string();
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("--backup_dir: cannot create ", settings.backup_dir, ": ", ec.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Settings>> LoadSettings() {
  auto settings = std::make_unique<Settings>();
  HUB_RETURN_IF_ERROR(LoadListenSettings(*settings));
  HUB_RETURN_IF_ERROR(LoadConfiguration(*settings));
  HUB_RETURN_IF_ERROR(PrepareDirectories(*settings));
  return settings;
}

// Who is calling: the gRPC credentials, and the authenticator every handler asks.
struct CallerIdentity {
  std::unique_ptr<identity::ClientCertificateVerifier> certificate_verifier;
  std::unique_ptr<identity::TokenVerifier> token_verifier;
  std::unique_ptr<services::CallerIdentifier> identifier;
  std::shared_ptr<grpc::ServerCredentials> credentials;
  std::unique_ptr<services::Authenticator> authenticator;
  std::string warning;  // logged once the log is open, after any start-up error
};

// Mutual TLS: agencies by their client certificates, practitioners by their tokens.
absl::Status MakeTlsIdentity(const Settings& settings, identity::RateLimiter& limiter,
                             CallerIdentity& id) {
  HUB_RETURN_IF_ERROR(settings.access.CheckServesTls());
  for (const auto& [flag, value] :
       {std::pair{"--tls_key", absl::GetFlag(FLAGS_tls_key)},
        std::pair{"--tls_client_ca", absl::GetFlag(FLAGS_tls_client_ca)},
        std::pair{"--jwks", absl::GetFlag(FLAGS_jwks)}}) {
    if (value.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(flag, ": required with --tls_cert"));
    }
  }
  HUB_ASSIGN_OR_RETURN(const std::string cert_pem,
                       config::ReadConfigFile(absl::GetFlag(FLAGS_tls_cert), "--tls_cert"));
  HUB_ASSIGN_OR_RETURN(const std::string key_pem,
                       config::ReadConfigFile(absl::GetFlag(FLAGS_tls_key), "--tls_key"));
  HUB_ASSIGN_OR_RETURN(
      const std::string ca_pem,
      config::ReadConfigFile(absl::GetFlag(FLAGS_tls_client_ca), "--tls_client_ca"));
  HUB_ASSIGN_OR_RETURN(id.certificate_verifier, identity::ClientCertificateVerifier::Create(
                                                    absl::GetFlag(FLAGS_tls_client_ca)));
  HUB_ASSIGN_OR_RETURN(id.token_verifier, identity::TokenVerifier::Create(
                                              settings.access.token_policy(),
                                              absl::GetFlag(FLAGS_jwks), SystemClock::Get()));
  id.identifier = std::make_unique<services::CallerIdentifier>(
      settings.access, *settings.partnership, *id.certificate_verifier, *id.token_verifier,
      SystemClock::Get());
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_BUT_DONT_VERIFY);
  ssl.pem_root_certs = ca_pem;  // offered to clients as acceptable issuers
  ssl.pem_key_cert_pairs.push_back({key_pem, cert_pem});
  id.credentials = grpc::SslServerCredentials(ssl);
  id.credentials->SetAuthMetadataProcessor(services::NewTlsAuthProcessor(*id.identifier, limiter));
  id.authenticator = services::NewTlsAuthenticator(*id.identifier);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<CallerIdentity>> MakeCallerIdentity(const Settings& settings,
                                                                   identity::RateLimiter& limiter) {
  auto id = std::make_unique<CallerIdentity>();
  if (settings.tls) {
    HUB_RETURN_IF_ERROR(MakeTlsIdentity(settings, limiter, *id));
    return id;
  }
  id->warning =
      "DEVELOPMENT IDENTITY over plaintext: callers are whoever their x-hub-agency, "
      "x-hub-user and x-hub-roles metadata say; never use this with real data";
  id->credentials = grpc::InsecureServerCredentials();
  id->authenticator = services::NewMetadataAuthenticator(*settings.partnership, &limiter);
  return id;
}

// A directory that has held real agencies' data is never served with an identity anyone can
// claim; one served over TLS is marked before the first call.
absl::Status CheckIdentityMark(eventstore::EventLog& log, const Settings& settings) {
  if (!settings.dev_identity) return MarkServedWithTls(log, absl::GetFlag(FLAGS_listen));
  HUB_ASSIGN_OR_RETURN(const bool served, ServedWithTls(log));
  if (!served) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "--dev_identity_from_metadata: refused: the data directory ", settings.data_dir,
      " has been served over mutual TLS, so it may hold real people's data, and the "
      "development identity lets any caller be whoever it claims; serve it with TLS, or "
      "use a fresh --data_dir for development"));
}

// The read models and the projections that keep them, for the views; the agreement in force
// recorded in the log first.
struct ReadSide {
  std::unique_ptr<eventstore::KvStore> store;
  std::unique_ptr<projections::ProjectionEngine> engine;  // started
};

absl::Status StartReadSide(eventstore::EventLog& log, const Settings& settings,
                           ReadSide& read_side) {
  std::error_code ec;
  std::string views_dir = absl::GetFlag(FLAGS_views_dir);
  if (views_dir.empty()) views_dir = settings.data_dir + "/views";
  std::filesystem::create_directories(views_dir, ec);
  HUB_ASSIGN_OR_RETURN(read_side.store, eventstore::OpenRocksDbKvStore(views_dir, {}));
  char hostname[256] = {0};
  ::gethostname(hostname, sizeof(hostname) - 1);
  HUB_ASSIGN_OR_RETURN(
      const bool recorded,
      services::RecordAgreementInForce(
          log, *settings.agreement,
          std::filesystem::absolute(absl::GetFlag(FLAGS_agreement), ec).lexically_normal().string(),
          hostname, absl::Now()));
  if (recorded) {
    HUB_LOG(INFO) << "information sharing agreement " << settings.agreement->version() << " ("
                  << settings.agreement->hash() << ") took effect";
  }
  auto engine = std::make_unique<projections::ProjectionEngine>(log, *read_side.store,
                                                                services::HubProjections());
  HUB_RETURN_IF_ERROR(engine->Start());
  read_side.engine = std::move(engine);
  return absl::OkStatus();
}

// The services hubd hosts, built over the log.
struct HostedServices {
  std::unique_ptr<services::EventStoreService> event_store;
  std::unique_ptr<services::LogAdminService> log_admin;
  std::unique_ptr<services::ServiceDeps> deps;
  std::vector<std::unique_ptr<grpc::Service>> safeguarding;
  services::ViewsService* views = nullptr;  // ends notification streams at shutdown
  std::vector<std::string> served;          // the safeguarding services' full names
};

absl::Status HostViews(const Settings& settings, projections::ProjectionEngine& engine,
                       HostedServices& hosted) {
  services::ViewsOptions views_options;
  views_options.emergency_access_duration = absl::GetFlag(FLAGS_emergency_access_duration);
  HUB_ASSIGN_OR_RETURN(views_options.lookup_key, LoadOrCreateLookupKey(settings.data_dir));
  auto views = std::make_unique<services::ViewsService>(*hosted.deps, engine, *settings.agreement,
                                                        views_options);
  hosted.views = views.get();
  hosted.safeguarding.push_back(std::move(views));
  hosted.safeguarding.push_back(
      std::make_unique<services::ProjectionAdminService>(*hosted.deps, engine));
  hosted.served.push_back(api::v1::Views::service_full_name());
  hosted.served.push_back(api::v1::ProjectionAdmin::service_full_name());
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<HostedServices>> HostServices(eventstore::EventLog& log,
                                                             const Settings& settings,
                                                             const CallerIdentity& id,
                                                             const ReadSide& read_side) {
  auto hosted = std::make_unique<HostedServices>();
  services::EventStoreService::Options store_options;
  store_options.limits = eventstore::RocksDbOptions().limits;
  store_options.authenticator = id.authenticator.get();
  hosted->event_store = std::make_unique<services::EventStoreService>(log, store_options);
  services::LogAdminService::Options admin_options;
  admin_options.backup_dir = settings.backup_dir;
  hosted->log_admin =
      std::make_unique<services::LogAdminService>(log, id.authenticator.get(), admin_options);
  const Hosted& h = settings.hosted;
  hosted->deps = std::make_unique<services::ServiceDeps>(
      services::ServiceDeps{log, *settings.partnership, SystemClock::Get(), *id.authenticator});
  auto add = [&](bool wanted, auto make, const std::string& name) {
    if (!wanted) return;
    hosted->safeguarding.push_back(make());
    hosted->served.push_back(name);
  };
  const services::ServiceDeps& deps = *hosted->deps;
  add(
      h.people, [&] { return std::make_unique<services::PeopleService>(deps); },
      api::v1::People::service_full_name());
  add(
      h.intake, [&] { return std::make_unique<services::ReferralIntakeService>(deps); },
      api::v1::ReferralIntake::service_full_name());
  add(
      h.mash, [&] { return std::make_unique<services::MashService>(deps); },
      api::v1::Mash::service_full_name());
  add(
      h.enquiry, [&] { return std::make_unique<services::EnquiryService>(deps); },
      api::v1::Enquiry::service_full_name());
  add(
      h.advocacy, [&] { return std::make_unique<services::AdvocacyService>(deps); },
      api::v1::Advocacy::service_full_name());
  if (h.views) HUB_RETURN_IF_ERROR(HostViews(settings, *read_side.engine, *hosted));
  return hosted;
}

// The two gRPC servers and their health. Shutdown ends in order: NOT_SERVING, subscriptions and
// watches ended (they would hold Shutdown until its deadline), unary calls drained, including
// appends queued in the log.
struct Servers {
  std::unique_ptr<grpc::Server> admin;   // the raw log, when hosted
  std::unique_ptr<grpc::Server> server;  // the safeguarding services
  int admin_port = 0;
  int port = 0;

  void Shutdown(eventstore::EventLog& log, HostedServices& hosted) {
    log.SetHealthListener(nullptr);  // the health service is shutting down with the server
    if (server) server->GetHealthCheckService()->Shutdown();
    if (admin) admin->GetHealthCheckService()->Shutdown();
    hosted.event_store->Shutdown();
    if (hosted.views != nullptr) hosted.views->Shutdown();
    const absl::Time drain_deadline = absl::Now() + kDrainTimeout;
    if (server) server->Shutdown(absl::ToChronoTime(drain_deadline));
    if (admin) admin->Shutdown(absl::ToChronoTime(drain_deadline));
  }
};

// The raw log has a server of its own: gRPC's receive limit is per server, and the raw
// EventStore takes appends of up to 8 MiB where the safeguarding services need 4 MiB; apart,
// it can also stay on loopback, out of the partnership network's reach.
absl::Status StartServers(const Settings& settings, const CallerIdentity& id,
                          HostedServices& hosted, Servers& servers) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  if (settings.hosted.eventstore) {
    grpc::ServerBuilder admin_builder;
    admin_builder.AddListeningPort(absl::GetFlag(FLAGS_admin_listen), id.credentials,
                                   &servers.admin_port);
    admin_builder.SetMaxReceiveMessageSize(
        settings.access.max_message_bytes(/*hosts_eventstore=*/true));
    admin_builder.RegisterService(hosted.event_store.get());
    admin_builder.RegisterService(hosted.log_admin.get());
    servers.admin = admin_builder.BuildAndStart();
    if (servers.admin == nullptr || servers.admin_port == 0) {
      return absl::UnavailableError(
          absl::StrCat("cannot listen on --admin_listen ", absl::GetFlag(FLAGS_admin_listen)));
    }
  }
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen), id.credentials, &servers.port);
  builder.SetMaxReceiveMessageSize(settings.access.max_message_bytes(/*hosts_eventstore=*/false));
  for (const auto& service : hosted.safeguarding) builder.RegisterService(service.get());
  servers.server = builder.BuildAndStart();
  if (servers.server == nullptr || servers.port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", absl::GetFlag(FLAGS_listen)));
  }
  return absl::OkStatus();
}

// Every service needs the log to write (even a read records its disclosure), so the hub as a
// whole and each service report NOT_SERVING while the log refuses appends (a full disk) and
// SERVING again when it recovers by itself.
void WireHealth(eventstore::EventLog& log, const Servers& servers,
                const std::vector<std::string>& served) {
  grpc::HealthCheckServiceInterface* health = servers.server->GetHealthCheckService();
  grpc::HealthCheckServiceInterface* admin_health =
      servers.admin ? servers.admin->GetHealthCheckService() : nullptr;
  auto set_serving = [health, admin_health, served](bool serving) {
    health->SetServingStatus("", serving);
    for (const std::string& name : served) health->SetServingStatus(name, serving);
    if (admin_health != nullptr) {
      admin_health->SetServingStatus("", serving);
      admin_health->SetServingStatus(api::v1::EventStore::service_full_name(), serving);
      admin_health->SetServingStatus(api::v1::LogAdmin::service_full_name(), serving);
    }
  };
  log.SetHealthListener([set_serving](const eventstore::LogHealth& now) {
    set_serving(now.writable);
    if (now.writable) {
      HUB_LOG(INFO) << "event log writable again: health SERVING";
    } else {
      HUB_LOG(ERROR) << "event log refuses appends (" << now.reason << "): health NOT_SERVING";
    }
  });
  set_serving(log.health().writable);
}

// Says where the hub listens, then writes the port files; the main port file last, because
// whoever waits for it may rely on everything before having happened.
absl::Status AnnounceListening(const Settings& settings, const Servers& servers,
                               const std::vector<std::string>& served) {
  if (servers.admin) {
    HUB_LOG(INFO) << "raw log (EventStore, LogAdmin) on " << settings.admin_host << ":"
                  << servers.admin_port
                  << (settings.backup_dir.empty() ? "; backups refused (no --backup_dir)"
                                                  : "; backups into " + settings.backup_dir);
  }
  HUB_LOG(INFO) << "hubd listening on " << settings.host << ":" << servers.port
                << (settings.tls ? " (mutual TLS" : " (PLAINTEXT, development identity")
                << "; data dir " << settings.data_dir << "; services "
                << absl::StrJoin(served, ", ") << ")";
  if (const std::string admin_port_file = absl::GetFlag(FLAGS_admin_port_file);
      servers.admin && !admin_port_file.empty()) {
    HUB_RETURN_IF_ERROR(WritePortFile(admin_port_file, servers.admin_port));
  }
  if (const std::string port_file = absl::GetFlag(FLAGS_port_file); !port_file.empty()) {
    HUB_RETURN_IF_ERROR(WritePortFile(port_file, servers.port));
  }
  return absl::OkStatus();
}

// Starts the hub, serves until SIGTERM or SIGINT, and stops it. Each resource opened is closed
// by a cleanup declared right after it, so every early return unwinds in reverse order: the
// servers drain, the projections stop after the last read, the log closes last (completing
// anything pending, and syncing).
absl::Status Run(const sigset_t& stop_signals) {
  HUB_ASSIGN_OR_RETURN(const std::unique_ptr<Settings> settings, LoadSettings());
  app::SetRequestLimits(settings->access.request_limits());
  identity::RateLimiter limiter(settings->access.rate_limits(), SystemClock::Get());
  HUB_ASSIGN_OR_RETURN(const std::unique_ptr<CallerIdentity> id,
                       MakeCallerIdentity(*settings, limiter));

  HUB_ASSIGN_OR_RETURN(std::unique_ptr<eventstore::EventLog> log,
                       eventstore::OpenRocksDbEventLog(settings->data_dir, {}));
  absl::Cleanup close_log = [&log] {
    log->Close();
    HUB_LOG(INFO) << "event log closed";
  };
  HUB_RETURN_IF_ERROR(CheckIdentityMark(*log, *settings));
  if (!id->warning.empty()) HUB_LOG(WARNING) << id->warning;

  ReadSide read_side;
  absl::Cleanup stop_projections = [&read_side] {
    if (read_side.engine) read_side.engine->Stop();  // after the last read, before the log
  };
  if (settings->hosted.views) HUB_RETURN_IF_ERROR(StartReadSide(*log, *settings, read_side));
  HUB_ASSIGN_OR_RETURN(const std::unique_ptr<HostedServices> hosted,
                       HostServices(*log, *settings, *id, read_side));

  Servers servers;
  absl::Cleanup stop_servers = [&] { servers.Shutdown(*log, *hosted); };
  HUB_RETURN_IF_ERROR(StartServers(*settings, *id, *hosted, servers));
  WireHealth(*log, servers, hosted->served);
  HUB_RETURN_IF_ERROR(AnnounceListening(*settings, servers, hosted->served));

  const int signal = WaitForStopSignal(stop_signals);
  HUB_LOG(INFO) << "received " << (signal == SIGTERM ? "SIGTERM" : "SIGINT") << "; shutting down";
  return absl::OkStatus();
}

}  // namespace
}  // namespace hub

int main(int argc, char** argv) {
  // The log, the read models, backups and port files hold or lead to personal data: owner-only
  // (directories 0700, files 0600) whatever the account's umask.
  ::umask(077);
  // Debian's Abseil checks every lock for deadlock cycles, a few percent of CPU on the append
  // path; the tests run with it on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // Before any thread exists, so that every thread inherits the mask and only sigwait sees
  // the stop signals.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = [](absl::string_view file) {
    return absl::EndsWith(file, "hubd/main.cc");  // --help lists hubd's own flags
  };
  absl::SetFlagsUsageConfig(usage_config);
  absl::SetProgramUsageMessage(
      "the referral hub server.\n"
      "  hubd [--listen=HOST:PORT] [--data_dir=PATH] [--services=all|LIST] "
      "--partnership=FILE [--agreement=FILE] [--views_dir=PATH]\n"
      "       [--admin_listen=HOST:PORT] [--admin_port_file=PATH] [--backup_dir=PATH]\n"
      "       (--tls_cert=PEM --tls_key=PEM --tls_client_ca=PEM --jwks=FILE --access=FILE |\n"
      "        --dev_identity_from_metadata [--access=FILE]) [--port_file=PATH] [--config=FILE]");
  std::vector<std::string> args = hub::ConfigAsFlagfile(argc, argv);
  std::vector<char*> arg_ptrs;
  for (std::string& arg : args) arg_ptrs.push_back(arg.data());
  absl::ParseCommandLine(static_cast<int>(arg_ptrs.size()), arg_ptrs.data());

  const absl::Status status = hub::Run(stop_signals);
  if (!status.ok()) {
    HUB_LOG(ERROR) << "hubd: " << status.message();
    return status.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  HUB_LOG(INFO) << "hubd stopped";
  return 0;
}
