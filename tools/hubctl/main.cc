// hubctl: the operator's command line for a hub event log.
//
// Works either on a data directory directly (--data_dir; read-only for verify/head, so they
// may run beside a live hubd; read and backup take the directory's lock, because they record
// the access in the log) or through a running hubd's gRPC services (--server). Prints
// results on stdout, problems on stderr. Exit codes: 0 ok, 1 a check or operation failed,
// 2 usage error. Run `hubctl help` for the commands.
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "domain/common/envelope.h"
#include "hub/events/v1/events.pb.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/strings/ascii.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "eventstore/event_log.h"
#include "eventstore/rocksdb/rocksdb_event_log.h"
#include "google/protobuf/util/json_util.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "hub/api/v1/event_store_service.grpc.pb.h"
#include "services/common/eventstore_proto.h"
#include "services/eventstore/raw_access.h"
#include "services/eventstore/translate.h"
#include "tools/hubctl/credential_commands.h"
#include "tools/hubctl/views_commands.h"

namespace hub::hubctl {
namespace {

namespace api = ::hub::api::v1;

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

constexpr char kUsage[] = R"(usage: hubctl (--data_dir=PATH | --server=HOST:PORT) COMMAND [flags]

commands:
  verify [--expect=POS:HEX]   walk the log checking every record and the hash chain; with
                              --expect, the link at POS must still be HEX (a head noted earlier)
  head                        print the last committed position and its link
  backup DIR [--reason=TEXT]  write a consistent checkpoint of the log to DIR (must not exist;
                              with --server, DIR is a name in hubd's --backup_dir); recorded
                              in the log (operator-access)
  restore DIR                 restore the checkpoint in DIR into --data_dir (must be empty or
                              absent; hubd must not be running on it). --data_dir only.
  read --reason=TEXT --stream=NAME [--from=VERSION] [--backward] [--limit=N]
  read --reason=TEXT --all [--from=POSITION] [--limit=N] [--prefix=STREAM_PREFIX]
       [--type=EVENT_TYPE]
                              print events as JSON, one hub.api.v1.RecordedEvent per line
                              (payload and link in base64; a hub event is also shown decoded
                              as "event"); default: all that match. Personal data outside the
                              sharing agreement: why, in words, is required and recorded in
                              the log (operator-access) before anything is printed; with
                              --data_dir, hubd must be stopped (else read through --server)
  health [--service=NAME]     ask a running hubd for its health (--server only)
  status [--digest]           the read models' projections: position, log head, lag, and
                              rebuild progress; --digest (with --data_dir) adds each read
                              model's SHA-256, equal exactly when byte-identical
  rebuild NAME|all [--no_wait]
                              drop a projection's read model and fold it again from position
                              0 (with --data_dir, hubd must be stopped)
  sac --year=YYYY [--la=CODE] the Safeguarding Adults Collection for the reporting year that
                              starts 1 April YYYY, as NHS long-format CSV (--server only)

trial credentials (local key files only; no --data_dir or --server):
  jwks --signing_key=FILE [--kid=trial-1]
                              print the JWKS (public key set) of a token signing key (EC P-256
                              or RSA PEM), for hubd's token verification
  token --signing_key=FILE [--kid=trial-1] --issuer=URL --audience=AUD --user=ID --agency=ID
        [--roles=R1,R2] [--ttl=1h]
                              print a signed practitioner token (ES256/RS256), for trials only

global flags:
  --data_dir=PATH     open the data directory directly
  --server=HOST:PORT  talk to a running hubd: its --admin_listen address for verify, head,
                      backup and read (the raw log); its --listen address for status,
                      rebuild and sac
  --timeout=SECONDS   deadline of each call with --server (default 60)
  --views_dir=PATH    the read models (default DATA_DIR/views), with --data_dir
  --ca=PEM --cert=PEM --key=PEM [--tls_server_name=NAME]
                      with --server: mutual TLS, as the agency (or operator) whose client
                      certificate this is (deploy/make-trial-credentials.sh makes them)
  --token=JWT | --token_file=FILE
                      with --server over TLS: the practitioner's token (hubctl token mints
                      trial ones)
  --agency=ID --user=ID --roles=R1,R2
                      who to call as with --server, when hubd runs with
                      --dev_identity_from_metadata (tests only). Read, verify, head, backup,
                      status and rebuild need the administrator role; sac board_analyst or
                      safeguarding_manager

exit codes: 0 ok, 1 check or operation failed, 2 usage error
)";

// The command line: one command, its positional arguments and --flags (anywhere).
struct CommandLine {
  std::string command;
  std::vector<std::string> positional;
  absl::flat_hash_map<std::string, std::string> flags;

  bool Has(const std::string& name) const { return flags.contains(name); }
  std::string Get(const std::string& name) const {
    auto it = flags.find(name);
    return it == flags.end() ? "" : it->second;
  }
};

// A usage error: printed with the usage text and exit code 2.
struct UsageError {
  std::string message;
};

const absl::flat_hash_set<std::string>& ValueFlags() {
  static const auto* flags = new absl::flat_hash_set<std::string>{
      "data_dir", "server", "timeout", "expect", "stream", "from",
      "limit",    "prefix", "type",    "service", "views_dir", "agency", "user", "roles",
      "year",     "la",     "ca",      "cert",    "key",     "token",   "token_file",
      "tls_server_name", "reason"};
  return *flags;
}

const absl::flat_hash_set<std::string>& BoolFlags() {
  static const auto* flags = new absl::flat_hash_set<std::string>{"all", "backward", "help", "no_wait", "digest"};
  return *flags;
}

std::optional<UsageError> ParseCommandLine(int argc, char** argv, CommandLine& out) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.size() > 1 && arg[0] == '-') {
      arg = arg.substr(arg[1] == '-' ? 2 : 1);
      const size_t eq = arg.find('=');
      const std::string name = arg.substr(0, eq);
      if (BoolFlags().contains(name)) {
        const std::string value = eq == std::string::npos ? "true" : arg.substr(eq + 1);
        if (value != "true" && value != "false") {
          return UsageError{absl::StrCat("--", name, " takes no value")};
        }
        if (value == "true") out.flags[name] = value;
      } else if (ValueFlags().contains(name)) {
        if (eq != std::string::npos) {
          out.flags[name] = arg.substr(eq + 1);
        } else if (i + 1 < argc) {
          out.flags[name] = argv[++i];
        } else {
          return UsageError{absl::StrCat("--", name, " needs a value")};
        }
      } else {
        return UsageError{absl::StrCat("unknown flag --", name)};
      }
    } else if (out.command.empty()) {
      out.command = arg;
    } else {
      out.positional.push_back(arg);
    }
  }
  return std::nullopt;
}

// Where the log is: opened directly, or behind a hubd. Results use the wire messages in both
// cases, so that output does not depend on the route.
class LogAccess {
 public:
  virtual ~LogAccess() = default;
  virtual absl::StatusOr<api::GetHeadResponse> GetHead() = 0;
  virtual absl::StatusOr<api::VerifyResponse> Verify(const api::VerifyRequest& request) = 0;
  virtual absl::StatusOr<api::BackupResponse> Backup(const api::BackupRequest& request) = 0;
  virtual absl::StatusOr<api::ReadStreamResponse> ReadStream(
      const api::ReadStreamRequest& request) = 0;
  virtual absl::StatusOr<api::ReadAllResponse> ReadAll(const api::ReadAllRequest& request) = 0;
};

// A data directory opened in-process; requests are checked by the service's translation, so
// a bad --limit reads the same here as through hubd.
class DirectAccess final : public LogAccess {
 public:
  explicit DirectAccess(std::unique_ptr<eventstore::EventLog> log) : log_(std::move(log)) {}
  ~DirectAccess() override { log_->Close(); }

  absl::StatusOr<api::GetHeadResponse> GetHead() override {
    api::GetHeadResponse response;
    services::HeadToProto(log_->GetHead(), &response);
    return response;
  }
  absl::StatusOr<api::VerifyResponse> Verify(const api::VerifyRequest& request) override {
    HUB_ASSIGN_OR_RETURN(eventstore::VerifyOptions options,
                         services::VerifyOptionsFromProto(request));
    options.progress = [](GlobalPosition reached) {
      std::cerr << "verified up to position " << reached.value() << "\n";
    };
    HUB_ASSIGN_OR_RETURN(eventstore::VerifyReport report, log_->Verify(options));
    api::VerifyResponse response;
    services::VerifyReportToProto(report, &response);
    return response;
  }
  absl::StatusOr<api::BackupResponse> Backup(const api::BackupRequest& request) override {
    HUB_RETURN_IF_ERROR(services::CheckRawAccessReason(request.reason(), "--reason"));
    const eventstore::Head head = log_->GetHead();
    events::v1::RawLogAccessed access =
        services::RawAccessOf(request, request.directory(), head);
    access.set_method("hubctl backup");
    HUB_RETURN_IF_ERROR(Record(std::move(access)));
    HUB_RETURN_IF_ERROR(log_->Checkpoint(request.directory()));
    api::BackupResponse response;
    services::HeadToProto(head, response.mutable_head());
    return response;
  }
  absl::StatusOr<api::ReadStreamResponse> ReadStream(
      const api::ReadStreamRequest& request) override {
    HUB_ASSIGN_OR_RETURN(services::ReadStreamQuery query,
                         services::ReadStreamQueryFromProto(request, eventstore::Limits()));
    HUB_ASSIGN_OR_RETURN(eventstore::ReadStreamResult result,
                         log_->ReadStream(query.stream, query.options));
    api::ReadStreamResponse response;
    services::ReadStreamResultToProto(result, SIZE_MAX, &response);
    return response;
  }
  absl::StatusOr<api::ReadAllResponse> ReadAll(const api::ReadAllRequest& request) override {
    HUB_ASSIGN_OR_RETURN(
        eventstore::ReadAllOptions options,
        services::ReadAllOptionsFromProto(request, absl::InfiniteFuture(), eventstore::Limits()));
    HUB_ASSIGN_OR_RETURN(eventstore::ReadAllResult result, log_->ReadAll(options));
    api::ReadAllResponse response;
    services::ReadAllResultToProto(result, SIZE_MAX, &response);
    return response;
  }

  // Appends `access` as this host account's RawLogAccessed record (the directory must have
  // been opened writable).
  absl::Status Record(events::v1::RawLogAccessed access) {
    domain::Caller caller;
    const passwd* account = ::getpwuid(::geteuid());
    caller.user_id = absl::StrCat("local:", account != nullptr ? account->pw_name
                                                               : std::to_string(::geteuid()));
    return services::RecordRawAccess(*log_, caller, absl::Now(), std::move(access)).status();
  }

 private:
  std::unique_ptr<eventstore::EventLog> log_;
};

// The one place a gRPC status becomes an absl::Status in hubctl (same code numbers).
absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(static_cast<int>(status.error_code())),
                      status.error_message());
}

class RemoteAccess final : public LogAccess {
 public:
  RemoteAccess(std::shared_ptr<grpc::Channel> channel, CallIdentity as, absl::Duration timeout)
      : events_(api::EventStore::NewStub(channel)),
        admin_(api::LogAdmin::NewStub(channel)),
        as_(std::move(as)),
        timeout_(timeout) {}

  absl::StatusOr<api::GetHeadResponse> GetHead() override {
    return Call(&api::LogAdmin::Stub::GetHead, *admin_, api::GetHeadRequest());
  }
  absl::StatusOr<api::VerifyResponse> Verify(const api::VerifyRequest& request) override {
    return Call(&api::LogAdmin::Stub::Verify, *admin_, request);
  }
  absl::StatusOr<api::BackupResponse> Backup(const api::BackupRequest& request) override {
    return Call(&api::LogAdmin::Stub::Backup, *admin_, request);
  }
  absl::StatusOr<api::ReadStreamResponse> ReadStream(
      const api::ReadStreamRequest& request) override {
    return Call(&api::EventStore::Stub::ReadStream, *events_, request);
  }
  absl::StatusOr<api::ReadAllResponse> ReadAll(const api::ReadAllRequest& request) override {
    return Call(&api::EventStore::Stub::ReadAll, *events_, request);
  }

 private:
  template <typename Stub, typename Request, typename Response>
  absl::StatusOr<Response> Call(grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                             const Request&, Response*),
                                Stub& stub, const Request& request) {
    std::unique_ptr<grpc::ClientContext> context = CallContext(as_, timeout_);
    Response response;
    HUB_RETURN_IF_ERROR(FromGrpcStatus((stub.*method)(context.get(), request, &response)));
    return response;
  }

  std::unique_ptr<api::EventStore::Stub> events_;
  std::unique_ptr<api::LogAdmin::Stub> admin_;
  const CallIdentity as_;
  absl::Duration timeout_;
};

// Opens --data_dir: read-only (no lock, beside a live hubd) unless `writable`.
absl::StatusOr<std::unique_ptr<DirectAccess>> OpenDataDir(const std::string& data_dir,
                                                          bool writable) {
  std::error_code ec;
  if (!std::filesystem::is_directory(data_dir, ec)) {
    return absl::NotFoundError(absl::StrCat("no data directory at ", data_dir));
  }
  eventstore::RocksDbOptions options;
  options.create_if_missing = false;
  options.read_only = !writable;
  absl::StatusOr<std::unique_ptr<eventstore::EventLog>> log =
      eventstore::OpenRocksDbEventLog(data_dir, options);
  if (log.status().code() == absl::StatusCode::kFailedPrecondition && writable) {
    return absl::FailedPreconditionError(
        absl::StrCat("data directory is in use by a running hubd; use --server ADDR (",
                     log.status().message(), ")"));
  }
  HUB_RETURN_IF_ERROR(log.status());
  return std::make_unique<DirectAccess>(*std::move(log));
}

std::string HeadString(const api::GetHeadResponse& head) {
  return absl::StrCat(head.position(), ":", head.link_hex());
}

int Fail(const absl::Status& status) {
  std::cerr << "hubctl: " << status.message() << "\n";
  return kExitFailed;
}

// Builds the Verify request from --expect=POS:HEX (a head printed earlier by `hubctl head`).
absl::StatusOr<api::VerifyRequest> VerifyRequestFromFlags(const CommandLine& cl) {
  api::VerifyRequest request;
  if (!cl.Has("expect")) return request;
  const std::string expect = cl.Get("expect");
  const std::vector<std::string> parts = absl::StrSplit(expect, ':');
  int64_t position = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &position) || position < 0 ||
      !eventstore::LinkFromHex(parts[1]).ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--expect must be POS:HEX (as printed by `hubctl verify`), got '", expect,
                     "'"));
  }
  request.set_check_expected(true);
  request.set_expected_position(position);
  request.set_expected_link_hex(parts[1]);
  return request;
}

// `verify`: exit 0 when the log checks out, 1 with the first bad position otherwise.
int Verify(LogAccess& access, const api::VerifyRequest& request) {
  absl::StatusOr<api::VerifyResponse> report = access.Verify(request);
  if (!report.ok()) return Fail(report.status());
  if (!report->ok()) {
    std::cout << "FAILED at position " << report->first_bad_position() << ": "
              << report->problem() << "\n"
              << "events checked: " << report->events_checked() << "\n";
    return kExitFailed;
  }
  std::cout << "OK\n"
            << "events checked: " << report->events_checked() << "\n"
            << "head: " << HeadString(report->head()) << "\n";
  return kExitOk;
}

int Head(LogAccess& access) {
  absl::StatusOr<api::GetHeadResponse> head = access.GetHead();
  if (!head.ok()) return Fail(head.status());
  std::cout << "position " << head->position() << "\n"
            << "link " << head->link_hex() << "\n";
  return kExitOk;
}

// `dir`: with --server, a name in hubd's backup directory (sent as given: hubd resolves it);
// with --data_dir, a path on this host.
int Backup(LogAccess& access, const std::string& dir, const std::string& reason) {
  api::BackupRequest request;
  request.set_directory(dir);
  request.set_reason(reason);
  absl::StatusOr<api::BackupResponse> response = access.Backup(request);
  if (!response.ok()) return Fail(response.status());
  std::cout << "backup written to " << request.directory() << "\n"
            << "head: " << HeadString(response->head()) << "\n";
  return kExitOk;
}

int Restore(const std::string& checkpoint_dir, const std::string& data_dir) {
  if (absl::Status s = eventstore::RestoreRocksDbCheckpoint(checkpoint_dir, data_dir); !s.ok()) {
    return Fail(s);
  }
  absl::StatusOr<std::unique_ptr<DirectAccess>> restored = OpenDataDir(data_dir, false);
  if (!restored.ok()) return Fail(restored.status());
  absl::StatusOr<api::GetHeadResponse> head = (*restored)->GetHead();
  if (!head.ok()) return Fail(head.status());
  std::cout << "restored " << checkpoint_dir << " into " << data_dir << "\n"
            << "head: " << HeadString(*head) << "\n";
  return kExitOk;
}

// Prints one event as a JSON line (protobuf's JSON mapping, proto field names, zeros shown).
absl::Status PrintEvent(const api::RecordedEvent& event) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string json;
  const auto status = google::protobuf::util::MessageToJsonString(event, &json, options);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat("cannot print event as JSON: ", status.ToString()));
  }
  // A hub event (its payload an envelope whose type is the record's) is also shown decoded,
  // as "event", so an operator can read a case's history without tooling.
  events::v1::Event decoded;
  std::string decoded_json;
  if (decoded.ParseFromString(event.payload()) &&
      domain::EventTypeName(decoded) == event.type() && !json.empty() && json.back() == '}' &&
      google::protobuf::util::MessageToJsonString(decoded, &decoded_json, options).ok()) {
    json.pop_back();
    absl::StrAppend(&json, ",\"event\":", decoded_json, "}");
  }
  std::cout << json << "\n";
  return absl::OkStatus();
}

// What `read` was asked for.
struct ReadArgs {
  bool all = false;
  std::string stream;
  bool backward = false;
  int64_t from = 0;
  int64_t limit = -1;  // -1 = everything
  std::string prefix;
  std::string type;
  std::string reason;  // recorded with the access; required
};

// Sets `value` from --flag if given.
absl::Status ParseNumber(const CommandLine& cl, const std::string& flag, int64_t& value) {
  if (cl.Has(flag) && !absl::SimpleAtoi(cl.Get(flag), &value)) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, " must be a whole number"));
  }
  return absl::OkStatus();
}

absl::StatusOr<ReadArgs> ReadArgsFromFlags(const CommandLine& cl) {
  ReadArgs args;
  args.all = cl.Has("all");
  if (args.all == cl.Has("stream")) {
    return absl::InvalidArgumentError("read needs exactly one of --stream=NAME or --all");
  }
  if (!args.all && (cl.Has("prefix") || cl.Has("type"))) {
    return absl::InvalidArgumentError("--prefix and --type go with read --all");
  }
  if (args.all && cl.Has("backward")) {
    return absl::InvalidArgumentError("--backward goes with read --stream");
  }
  args.stream = cl.Get("stream");
  args.backward = cl.Has("backward");
  args.from = args.backward ? -1 : 0;
  HUB_RETURN_IF_ERROR(ParseNumber(cl, "from", args.from));
  HUB_RETURN_IF_ERROR(ParseNumber(cl, "limit", args.limit));
  if (cl.Has("limit") && args.limit < 1) {
    return absl::InvalidArgumentError("--limit must be at least 1");
  }
  args.prefix = cl.Get("prefix");
  args.type = cl.Get("type");
  args.reason = std::string(absl::StripAsciiWhitespace(cl.Get("reason")));
  if (args.reason.empty()) {
    return absl::InvalidArgumentError(
        "read needs --reason=TEXT: raw reads hand out personal data outside the sharing "
        "agreement, so why is recorded with each one");
  }
  HUB_RETURN_IF_ERROR(services::CheckRawAccessReason(args.reason, "--reason"));
  return args;
}

// Pages through a stream until --limit events are printed or the stream ends.
absl::Status ReadStream(LogAccess& access, const std::string& stream, int64_t from,
                        bool backward, int64_t limit, const std::string& reason) {
  int64_t printed = 0;
  while (limit < 0 || printed < limit) {
    api::ReadStreamRequest request;
    request.set_reason(reason);
    request.set_stream(stream);
    request.set_from_version(from);
    request.set_direction(backward ? api::READ_DIRECTION_BACKWARD : api::READ_DIRECTION_FORWARD);
    request.set_limit(static_cast<int32_t>(
        limit < 0 ? services::kMaxReadLimit
                  : std::min<int64_t>(limit - printed, services::kMaxReadLimit)));
    HUB_ASSIGN_OR_RETURN(api::ReadStreamResponse page, access.ReadStream(request));
    for (const api::RecordedEvent& event : page.events()) {
      HUB_RETURN_IF_ERROR(PrintEvent(event));
      ++printed;
    }
    if (page.end_of_stream() || page.events().empty()) break;
    from = page.events().rbegin()->stream_version() + (backward ? -1 : 1);
    if (from < 0) break;
  }
  return absl::OkStatus();
}

// Pages through the whole log (optionally filtered) until --limit events or its end.
absl::Status ReadAll(LogAccess& access, int64_t from, int64_t limit, const std::string& prefix,
                     const std::string& type, const std::string& reason) {
  int64_t printed = 0;
  while (limit < 0 || printed < limit) {
    api::ReadAllRequest request;
    request.set_reason(reason);
    request.set_from_position(from);
    request.set_limit(static_cast<int32_t>(
        limit < 0 ? services::kMaxReadLimit
                  : std::min<int64_t>(limit - printed, services::kMaxReadLimit)));
    request.set_stream_prefix(prefix);
    request.set_event_type(type);
    HUB_ASSIGN_OR_RETURN(api::ReadAllResponse page, access.ReadAll(request));
    for (const api::RecordedEvent& event : page.events()) {
      HUB_RETURN_IF_ERROR(PrintEvent(event));
      ++printed;
    }
    if (page.end_of_log()) break;
    from = page.next_position();
  }
  return absl::OkStatus();
}

int Read(LogAccess& access, const ReadArgs& args) {
  const absl::Status status =
      args.all ? ReadAll(access, args.from, args.limit, args.prefix, args.type, args.reason)
               : ReadStream(access, args.stream, args.from, args.backward, args.limit,
                            args.reason);
  if (!status.ok()) {
    std::cerr << "hubctl: " << status.message() << "\n";
    return status.code() == absl::StatusCode::kInvalidArgument ? kExitUsage : kExitFailed;
  }
  return kExitOk;
}

int Health(const std::shared_ptr<grpc::Channel>& channel, const std::string& service,
           absl::Duration timeout) {
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  if (absl::Status s = FromGrpcStatus(stub->Check(&context, request, &response)); !s.ok()) {
    return Fail(s);
  }
  std::cout << grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status())
            << "\n";
  return response.status() == grpc::health::v1::HealthCheckResponse::SERVING ? kExitOk
                                                                             : kExitFailed;
}

int Usage(const std::string& problem) {
  std::cerr << "hubctl: " << problem << "\n\n" << kUsage;
  return kExitUsage;
}

// A command: how many positional arguments it takes and which flags, beyond the global ones.
struct CommandSpec {
  size_t positionals;
  absl::flat_hash_set<std::string> flags;
};

const absl::flat_hash_map<std::string, CommandSpec>& Commands() {
  static const auto* commands = new absl::flat_hash_map<std::string, CommandSpec>{
      {"verify", {0, {"expect"}}},
      {"head", {0, {}}},
      {"backup", {1, {"reason"}}},
      {"restore", {1, {}}},
      {"read", {0, {"stream", "all", "from", "backward", "limit", "prefix", "type", "reason"}}},
      {"health", {0, {"service"}}},
      {"status", {0, {"views_dir", "digest"}}},
      {"rebuild", {1, {"views_dir", "no_wait"}}},
      {"sac", {0, {"year", "la"}}},
  };
  return *commands;
}

// Flags every command takes.
const absl::flat_hash_set<std::string> kGlobalFlags = {
    "data_dir", "server", "timeout", "agency", "user", "roles",
    "ca", "cert", "key", "token", "token_file", "tls_server_name"};

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

int Main(int argc, char** argv) {
  // Backups, restored directories and read models hold personal data: owner-only.
  ::umask(077);
  if (std::optional<int> exit_code = RunCredentialCommand(argc, argv)) return *exit_code;
  CommandLine cl;
  if (std::optional<UsageError> error = ParseCommandLine(argc, argv, cl)) {
    return Usage(error->message);
  }
  if (cl.Has("help") || cl.command == "help") {
    std::cout << kUsage;
    return kExitOk;
  }
  if (cl.command.empty()) return Usage("no command given");

  // Everything about the command line is checked before anything is opened or dialled.
  auto spec = Commands().find(cl.command);
  if (spec == Commands().end()) return Usage("unknown command '" + cl.command + "'");
  if (cl.positional.size() != spec->second.positionals) {
    return Usage(absl::StrCat(cl.command, " takes ", spec->second.positionals, " argument(s)"));
  }
  for (const auto& [flag, value] : cl.flags) {
    if (!kGlobalFlags.contains(flag) && !spec->second.flags.contains(flag)) {
      return Usage(absl::StrCat("--", flag, " does not go with ", cl.command));
    }
  }
  if (cl.Has("data_dir") == cl.Has("server")) {
    return Usage("give exactly one of --data_dir=PATH or --server=HOST:PORT");
  }
  if (cl.command == "restore" && !cl.Has("data_dir")) {
    return Usage("restore works on a stopped hubd's directory: give --data_dir, not --server");
  }
  if (cl.command == "health" && !cl.Has("server")) {
    return Usage("health asks a running hubd: give --server");
  }
  int64_t timeout_seconds = 60;
  if (cl.Has("timeout") &&
      (!absl::SimpleAtoi(cl.Get("timeout"), &timeout_seconds) || timeout_seconds < 1)) {
    return Usage("--timeout must be a whole number of seconds >= 1");
  }
  const absl::Duration timeout = absl::Seconds(timeout_seconds);
  absl::StatusOr<api::VerifyRequest> verify = VerifyRequestFromFlags(cl);
  if (!verify.ok()) return Usage(std::string(verify.status().message()));
  absl::StatusOr<ReadArgs> read;
  if (cl.command == "read") {
    read = ReadArgsFromFlags(cl);
    if (!read.ok()) return Usage(std::string(read.status().message()));
  }

  if (cl.command == "restore") return Restore(cl.positional[0], cl.Get("data_dir"));
  if (cl.command == "sac" && !cl.Has("server")) {
    return Usage("sac asks a running hubd: give --server");
  }
  int64_t year = 0;
  if (cl.command == "sac" &&
      (!absl::SimpleAtoi(cl.Get("year"), &year) || year < 2015 || year > 2100)) {
    return Usage("--year must be the year the reporting period starts, e.g. 2025 for 2025-26");
  }
  CallIdentity as{cl.Get("agency"), cl.Get("user"), cl.Get("roles"), cl.Get("token")};
  if (cl.Has("token_file")) {
    absl::StatusOr<std::string> token = ReadWholeFile(cl.Get("token_file"));
    if (!token.ok()) return Usage(std::string(token.status().message()));
    as.token = std::string(absl::StripAsciiWhitespace(*token));
  }
  if (cl.Has("cert") != cl.Has("key") || (cl.Has("cert") && !cl.Has("ca"))) {
    return Usage("--cert and --key go together, with --ca");
  }
  if (!cl.Has("server")) {
    if (cl.command == "status") {
      return StatusOffline(cl.Get("data_dir"), cl.Get("views_dir"), cl.Has("digest"));
    }
    if (cl.command == "rebuild") {
      return RebuildOffline(cl.Get("data_dir"), cl.Get("views_dir"), cl.positional[0]);
    }
  }

  std::unique_ptr<LogAccess> access;
  if (cl.Has("server")) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(64 << 20);
    std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
    if (cl.Has("ca")) {
      grpc::SslCredentialsOptions ssl;
      for (const auto& [flag, field] : {std::pair{"ca", &ssl.pem_root_certs},
                                        std::pair{"cert", &ssl.pem_cert_chain},
                                        std::pair{"key", &ssl.pem_private_key}}) {
        if (!cl.Has(flag)) continue;
        absl::StatusOr<std::string> pem = ReadWholeFile(cl.Get(flag));
        if (!pem.ok()) return Fail(pem.status());
        *field = *pem;
      }
      credentials = grpc::SslCredentials(ssl);
      if (cl.Has("tls_server_name")) args.SetSslTargetNameOverride(cl.Get("tls_server_name"));
    }
    std::shared_ptr<grpc::Channel> channel =
        grpc::CreateCustomChannel(cl.Get("server"), credentials, args);
    if (cl.command == "health") return Health(channel, cl.Get("service"), timeout);
    if (cl.command == "status") return StatusRemote(channel, as, timeout);
    if (cl.command == "rebuild") {
      return RebuildRemote(channel, as, timeout, cl.positional[0], !cl.Has("no_wait"));
    }
    if (cl.command == "sac") return SacRemote(channel, as, timeout, static_cast<int>(year), cl.Get("la"));
    access = std::make_unique<RemoteAccess>(channel, as, timeout);
  } else {
    // Reading and backing up hand out personal data, so they record the access in the log,
    // which needs the directory's lock: beside a live hubd they are refused (and go through
    // hubd, which records them) rather than left unrecorded.
    const bool records = cl.command == "backup" || cl.command == "read";
    absl::StatusOr<std::unique_ptr<DirectAccess>> opened =
        OpenDataDir(cl.Get("data_dir"), /*writable=*/records);
    if (!opened.ok()) return Fail(opened.status());
    if (cl.command == "read") {
      events::v1::RawLogAccessed record;
      record.set_method("hubctl read");
      record.set_stream(read->stream);
      record.set_from(read->from);
      record.set_limit(static_cast<int32_t>(std::clamp<int64_t>(read->limit, 0, INT32_MAX)));
      record.set_backward(read->backward);
      record.set_stream_prefix(read->prefix);
      record.set_event_type(read->type);
      record.set_reason(read->reason);
      if (absl::Status recorded = (*opened)->Record(std::move(record)); !recorded.ok()) {
        return Fail(recorded);
      }
    }
    access = *std::move(opened);
  }

  if (cl.command == "verify") return Verify(*access, *verify);
  if (cl.command == "head") return Head(*access);
  if (cl.command == "backup") return Backup(*access, cl.positional[0], cl.Get("reason"));
  return Read(*access, *read);
}

}  // namespace
}  // namespace hub::hubctl

int main(int argc, char** argv) { return hub::hubctl::Main(argc, argv); }
