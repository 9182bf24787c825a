// hubd: the hub's server process. Opens the event log in --data_dir, serves the EventStore and
// LogAdmin gRPC services (plus health checking and reflection) on --listen, and shuts down
// cleanly on SIGTERM or SIGINT. Wiring only: behaviour lives in the libraries.
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/log.h"
#include "base/status_macros.h"
#include "eventstore/rocksdb/rocksdb_event_log.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "services/eventstore/event_store_service.h"
#include "services/eventstore/log_admin_service.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "HOST:PORT to serve gRPC on; port 0 picks a free port (see --port_file)");
ABSL_FLAG(std::string, data_dir, "./var/data",
          "directory of the event log; created (with parents) if missing");
ABSL_FLAG(std::string, port_file, "",
          "if set, once listening, the bound port and a newline are written to this file "
          "(atomically: a temporary file renamed into place)");
ABSL_FLAG(std::string, config, "",
          "file of flag lines (--name=value, # comments); read first, so the command line "
          "overrides it");

namespace hub {
namespace {

constexpr int kMaxReceiveMessageBytes = 16 << 20;  // above the log's 8 MiB append limit
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

// Waits for SIGTERM or SIGINT (blocked in every thread) and returns its number.
int WaitForStopSignal(const sigset_t& signals) {
  int signal = 0;
  while (sigwait(&signals, &signal) != 0) {
  }
  return signal;
}

absl::Status Run(const sigset_t& stop_signals) {
  // --config on the command line became --flagfile; one set inside a file would be ignored.
  if (!absl::GetFlag(FLAGS_config).empty()) {
    return absl::InvalidArgumentError("--config cannot be nested; use --flagfile in a config");
  }
  std::string host;
  int port = 0;
  HUB_RETURN_IF_ERROR(ParseListen(absl::GetFlag(FLAGS_listen), host, port));

  std::error_code ec;
  const std::string data_dir =
      std::filesystem::absolute(absl::GetFlag(FLAGS_data_dir), ec).lexically_normal().string();
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create data directory ", data_dir, ": ", ec.message()));
  }
  eventstore::RocksDbOptions log_options;
  HUB_ASSIGN_OR_RETURN(std::unique_ptr<eventstore::EventLog> log,
                       eventstore::OpenRocksDbEventLog(data_dir, log_options));

  services::EventStoreService::Options store_options;
  store_options.limits = log_options.limits;
  services::EventStoreService event_store(*log, store_options);
  services::LogAdminService log_admin(*log);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int bound_port = 0;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen), grpc::InsecureServerCredentials(),
                           &bound_port);
  builder.SetMaxReceiveMessageSize(kMaxReceiveMessageBytes);
  builder.RegisterService(&event_store);
  builder.RegisterService(&log_admin);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || bound_port == 0) {
    log->Close();
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", absl::GetFlag(FLAGS_listen)));
  }
  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  for (const char* name : {"", api::v1::EventStore::service_full_name(),
                           api::v1::LogAdmin::service_full_name()}) {
    health->SetServingStatus(name, true);
  }
  HUB_LOG(INFO) << "hubd listening on " << host << ":" << bound_port << " (data dir "
                << data_dir << ")";
  // Last: whoever waits for the port file may rely on everything above having happened.
  if (const std::string port_file = absl::GetFlag(FLAGS_port_file); !port_file.empty()) {
    if (absl::Status s = WritePortFile(port_file, bound_port); !s.ok()) {
      server->Shutdown();
      log->Close();
      return s;
    }
  }

  const int signal = WaitForStopSignal(stop_signals);
  HUB_LOG(INFO) << "received " << (signal == SIGTERM ? "SIGTERM" : "SIGINT")
                << "; shutting down";
  // Order matters: say NOT_SERVING; end subscriptions (they would hold Shutdown until its
  // deadline); drain unary calls, including appends queued in the log; then close the log,
  // which completes anything still pending and syncs.
  health->Shutdown();
  event_store.Shutdown();
  server->Shutdown(absl::ToChronoTime(absl::Now() + kDrainTimeout));
  HUB_LOG(INFO) << "gRPC server drained; closing the event log";
  log->Close();
  HUB_LOG(INFO) << "hubd stopped";
  return absl::OkStatus();
}

}  // namespace
}  // namespace hub

int main(int argc, char** argv) {
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
      "  hubd [--listen=HOST:PORT] [--data_dir=PATH] [--port_file=PATH] [--config=FILE]");
  std::vector<std::string> args = hub::ConfigAsFlagfile(argc, argv);
  std::vector<char*> arg_ptrs;
  for (std::string& arg : args) arg_ptrs.push_back(arg.data());
  absl::ParseCommandLine(static_cast<int>(arg_ptrs.size()), arg_ptrs.data());

  const absl::Status status = hub::Run(stop_signals);
  if (!status.ok()) {
    HUB_LOG(ERROR) << "hubd: " << status.message();
    return status.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  return 0;
}
