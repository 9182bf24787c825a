// The real hubd as a child process, for end-to-end tests: spawn, wait for its port file,
// signal, reap. Every child is killed by an RAII guard even when an assertion fails. Waiting
// on a child (its port file, its exit) polls with short sleeps and a deadline: there is nothing
// else to wait on across a process boundary.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "tests/testing/dev_identity.h"

extern char** environ;

namespace hub::e2e {

inline constexpr absl::Duration kStartTimeout = absl::Seconds(30);

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

// A child process, killed (SIGKILL) and reaped on destruction if still running.
class ChildProcess {
 public:
  // Starts `argv` with stdout and stderr redirected to the given files.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Spawn(const std::vector<std::string>& argv,
                                                             const std::string& stdout_path,
                                                             const std::string& stderr_path) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, stdout_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    const int error = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (error != 0) {
      return absl::InternalError(absl::StrCat("posix_spawn ", argv[0], ": ", strerror(error)));
    }
    return std::unique_ptr<ChildProcess>(new ChildProcess(pid));
  }

  ~ChildProcess() {
    if (!exit_code_.has_value()) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }

  void Signal(int signal) { ::kill(pid_, signal); }

  // The exit code (128 + signal if killed by one), or nullopt if still running at `timeout`.
  std::optional<int> WaitForExit(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (!exit_code_.has_value()) {
      int status = 0;
      const pid_t done = ::waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      } else if (absl::Now() > deadline) {
        return std::nullopt;
      } else {
        absl::SleepFor(absl::Milliseconds(5));
      }
    }
    return exit_code_;
  }

  bool running() { return !WaitForExit(absl::ZeroDuration()).has_value(); }

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_;
  std::optional<int> exit_code_;
};

// A hubd child serving the safeguarding services on 127.0.0.1:port and the raw log
// (EventStore, LogAdmin) on 127.0.0.1:admin_port.
struct Hubd {
  std::unique_ptr<ChildProcess> process;
  int port = 0;
  int admin_port = 0;  // 0 when the raw log is not hosted
  std::string stderr_path;

  std::string address() const { return absl::StrCat("127.0.0.1:", port); }
  std::string admin_address() const { return absl::StrCat("127.0.0.1:", admin_port); }
  std::string log() const { return ReadFile(stderr_path); }
  // A plaintext channel (hubd started with --dev_identity_from_metadata); calls that send no
  // x-hub-agency of their own are made as the hub's operator.
  std::shared_ptr<grpc::Channel> Channel() const { return testing::OperatorChannel(address()); }
  // The same, to the raw log's admin address.
  std::shared_ptr<grpc::Channel> AdminChannel() const {
    return testing::OperatorChannel(admin_address());
  }
};

// Spawns hubd with `argv` (which must include --port_file=`port_file`), stdout and stderr to
// the given files, and waits until it has written its port file. Unless `argv` names an
// --admin_listen, the raw log listens on a free loopback port too (its port in
// `port_file`.admin), so that parallel tests never share the default admin port.
inline absl::StatusOr<Hubd> SpawnHubd(std::vector<std::string> argv,
                                      const std::string& port_file, const std::string& stdout_path,
                                      const std::string& stderr_path) {
  Hubd hubd;
  hubd.stderr_path = stderr_path;
  const std::string admin_port_file = port_file + ".admin";
  bool admin_given = false;
  for (const std::string& arg : argv) admin_given |= absl::StartsWith(arg, "--admin_listen");
  if (!admin_given && argv.size() > 1) {
    argv.insert(argv.begin() + 1,
                {"--admin_listen=127.0.0.1:0", "--admin_port_file=" + admin_port_file});
  }
  absl::StatusOr<std::unique_ptr<ChildProcess>> process =
      ChildProcess::Spawn(argv, stdout_path, stderr_path);
  if (!process.ok()) return process.status();
  hubd.process = *std::move(process);
  const absl::Time deadline = absl::Now() + kStartTimeout;
  while (true) {
    // The file is renamed into place whole, so any content seen is the full port line.
    const std::string content = ReadFile(port_file);
    if (!content.empty()) {
      if (!absl::SimpleAtoi(absl::StripSuffix(content, "\n"), &hubd.port) || hubd.port <= 0) {
        return absl::InternalError("bad port file: " + content);
      }
      // Written before the port file, when the raw log is hosted.
      const std::string admin = ReadFile(admin_port_file);
      if (!admin.empty() &&
          (!absl::SimpleAtoi(absl::StripSuffix(admin, "\n"), &hubd.admin_port) ||
           hubd.admin_port <= 0)) {
        return absl::InternalError("bad admin port file: " + admin);
      }
      return hubd;
    }
    if (!hubd.process->running()) {
      return absl::InternalError("hubd exited before listening: " + hubd.log());
    }
    if (absl::Now() > deadline) return absl::DeadlineExceededError("hubd did not start");
    absl::SleepFor(absl::Milliseconds(5));
  }
}

}  // namespace hub::e2e
