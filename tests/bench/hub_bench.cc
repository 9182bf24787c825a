// hub_bench: the hub's durable-write, catch-up and memory figures, measured in one run on one
// machine and one file system beside the raw RocksDB figure that bounds them, each printed next
// to its target with PASS or MISS (docs/benchmarks.md explains every figure).
//
// Phases (progress goes to stderr, the table to stdout, --json=FILE for machines):
//   1. writes: raw RocksDB synced Put (the yardstick: what this disk allows) and durable gRPC
//      Append to a real hubd child process, from an asynchronous client holding N calls in
//      flight (ARCHITECTURE.md, "Consistency"), alternating raw-1, gRPC-1, raw-64, gRPC-64 so
//      that each comparison is between runs seconds apart: a VM's fsync rate drifts; then a
//      round trip that touches no disk (LogAdmin.GetHead), the RPC's share of an append;
//   2. a fresh hubd loaded with --events events, then caught up over EventStore.Subscribe from
//      position 0; its VmRSS after the load and after the catch-up;
//   3. that hubd stopped, its data dir opened in-process: eventstore::Subscription from 0, and a
//      short in-process append run whose LogStats show how many appends each synced write
//      carried, to tell the log's share of the append cost from the server's.
// Every timed run also records how much CPU other processes took meanwhile: on a shared
// 2-core machine a concurrent build halves the figures, and the table should say so.
//
// Not a test: exit status 1 means something broke, never that a target was missed.
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "base/status_macros.h"
#include "eventstore/event_log.h"
#include "eventstore/rocksdb/rocksdb_event_log.h"
#include "grpcpp/grpcpp.h"
#include "hub/api/v1/event_store_service.grpc.pb.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "tests/testing/dev_identity.h"

namespace hub::bench {
namespace {

namespace api = ::hub::api::v1;
using Clock = std::chrono::steady_clock;

constexpr size_t kRawValueBytes = 400;
constexpr size_t kPayloadBytes = 500;
constexpr int kStreams = 256;  // appends spread over this many streams: no contention
constexpr int kLoadEventsPerCall = 100;
constexpr int kLoadInFlight = 16;
constexpr double kWarmUpSeconds = 0.5;  // connections, first memtable, first WAL file

// The targets the figures are held to.
constexpr double kTargetAppendVsRaw = 0.70;      // gRPC-64 throughput / raw-64 throughput
constexpr double kTargetSingleP50Ms = 1.0;       // gRPC-1 p50 latency
constexpr double kTargetCatchUpPerSec = 200000;  // events/s from position 0
constexpr double kTargetRssMiB = 300;            // hubd VmRSS with the log loaded

constexpr char kUsage[] =
    "hub_bench: durable append, catch-up and memory figures of hubd beside raw RocksDB.\n"
    "  --seconds=S    length of each timed run (default 5)\n"
    "  --events=N     events loaded for the catch-up phase (default 1000000)\n"
    "  --dir=PATH     parent of the fresh work dir (default the build dir, else /var/tmp)\n"
    "  --json=FILE    also write the figures as JSON\n"
    "  --skip_load    quick run: catch up over the append phase's events instead\n"
    "  --channels=K   gRPC channels (TCP connections) for 64 in flight (default 2)\n"
    "  --hubd=PATH    the hubd binary (default: this build's)\n"
    "  --keep         keep the work dir\n";

struct Flags {
  double seconds = 5;
  int64_t events = 1000000;
  std::string dir;
  std::string json;
  bool skip_load = false;
  int channels = 2;
  std::string hubd = HUBD_PATH;
  bool keep = false;
};

absl::StatusOr<Flags> ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) return absl::InvalidArgumentError("unexpected " + arg);
    arg = arg.substr(2);
    const size_t eq = arg.find('=');
    const std::string name = arg.substr(0, eq);
    const bool has_value = eq != std::string::npos;
    std::string value = has_value ? arg.substr(eq + 1) : "";
    if (name == "skip_load" || name == "keep") {
      (name == "keep" ? f.keep : f.skip_load) = !has_value || value == "true" || value == "1";
      continue;
    }
    static constexpr const char* kValued[] = {"seconds", "events", "channels", "dir", "json",
                                              "hubd"};
    if (std::find(std::begin(kValued), std::end(kValued), name) == std::end(kValued)) {
      return absl::InvalidArgumentError("unknown flag --" + name);
    }
    if (!has_value) {
      if (i + 1 >= argc) return absl::InvalidArgumentError("--" + name + ": needs a value");
      value = argv[++i];
    }
    bool ok = true;
    if (name == "seconds") ok = absl::SimpleAtod(value, &f.seconds) && f.seconds > 0;
    else if (name == "events") ok = absl::SimpleAtoi(value, &f.events) && f.events > 0;
    else if (name == "channels") ok = absl::SimpleAtoi(value, &f.channels) && f.channels > 0;
    else if (name == "dir") f.dir = value;
    else if (name == "json") f.json = value;
    else f.hubd = value;
    if (!ok) return absl::InvalidArgumentError("--" + name + ": bad value '" + value + "'");
  }
  if (f.hubd.empty()) return absl::InvalidArgumentError("--hubd: required (no hubd in build)");
  return f;
}

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

double MillisBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

Clock::duration Seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

// Incompressible bytes, so that neither RocksDB's compression nor anything on the wire makes
// the figures better than real serialized case events would get.
std::string RandomBytes(size_t n, uint64_t seed) {
  std::string s(n, '\0');
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (char& c : s) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

// One timed run. For reads, ops and events are both the events read.
struct RunFigures {
  int64_t ops = 0;     // puts, calls or events completed OK inside the window
  int64_t events = 0;  // events those carried
  double seconds = 0;
  double p50_ms = 0, p99_ms = 0;
  double other_cores = 0;  // CPU other processes used meanwhile, in cores
  double ops_per_sec() const { return seconds > 0 ? ops / seconds : 0; }
  double events_per_sec() const { return seconds > 0 ? events / seconds : 0; }
  void SetLatencies(std::vector<double>& ms) {
    p50_ms = Percentile(ms, 0.50);
    p99_ms = Percentile(ms, 0.99);
  }
};

// ---- The machine ------------------------------------------------------------------------------

struct FileSystem {
  std::string type;  // as /proc/mounts names it ("ext4")
  bool tmpfs = false;
};

// A tmpfs "fsync" costs nothing, so every durable figure measured on one would be fiction.
FileSystem DescribeFileSystem(const std::string& path) {
  FileSystem fs;
  struct statfs st {};
  if (statfs(path.c_str(), &st) == 0) {
    fs.tmpfs = st.f_type == TMPFS_MAGIC || st.f_type == RAMFS_MAGIC;
  }
  std::error_code ec;
  const std::string canonical = std::filesystem::canonical(path, ec).string();
  std::ifstream mounts("/proc/mounts");
  std::string device, mount_point, type, rest;
  size_t best = 0;
  while (mounts >> device >> mount_point >> type && std::getline(mounts, rest)) {
    const bool contains = mount_point == "/" || canonical == mount_point ||
                          canonical.rfind(mount_point + "/", 0) == 0;
    if (contains && mount_point.size() >= best) best = mount_point.size(), fs.type = type;
  }
  return fs;
}

absl::StatusOr<std::string> MakeWorkDir(std::string parent) {
  if (parent.empty()) {
    parent = HUB_BENCH_DEFAULT_DIR;
    if (parent.empty() || access(parent.c_str(), W_OK) != 0) parent = "/var/tmp";
  }
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  std::string dir = parent + "/hub_bench.XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) {
    return absl::UnavailableError(absl::StrCat("mkdtemp in ", parent, ": ", strerror(errno)));
  }
  return std::filesystem::canonical(dir).string();
}

// CPU seconds used so far by `pid` (all threads); 0 if it is gone.
double ProcessCpuSeconds(pid_t pid) {
  std::ifstream in(pid > 0 ? absl::StrCat("/proc/", pid, "/stat") : "/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = stat.rfind(')');  // the command name may hold spaces
  if (paren == std::string::npos) return 0;
  std::istringstream fields(stat.substr(paren + 2));
  std::string skip;
  for (int i = 0; i < 11; ++i) fields >> skip;  // state .. cmajflt
  double utime = 0, stime = 0;
  fields >> utime >> stime;
  return (utime + stime) / sysconf(_SC_CLK_TCK);
}

// Busy CPU seconds of the whole machine so far (every core, every process).
double MachineBusySeconds() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  return (user + nice + system + irq + softirq + steal) / sysconf(_SC_CLK_TCK);
}

// How many cores processes other than this one and `hubd` kept busy between construction and
// Cores(): other people's compilers on a shared machine compete with the run being measured.
class OtherLoad {
 public:
  explicit OtherLoad(pid_t hubd) : hubd_(hubd) { Sample(busy_, own_); }
  double Cores() const {
    double busy = 0, own = 0;
    Sample(busy, own);
    return std::max(0.0, (busy - busy_) - (own - own_)) / Since(start_);
  }

 private:
  void Sample(double& busy, double& own) const {
    busy = MachineBusySeconds();
    own = ProcessCpuSeconds(0) + (hubd_ > 0 ? ProcessCpuSeconds(hubd_) : 0);
  }
  pid_t hubd_;
  Clock::time_point start_ = Clock::now();
  double busy_ = 0, own_ = 0;
};

// Runs `run` (returning StatusOr<RunFigures>) and notes the other load during it.
template <typename F>
absl::StatusOr<RunFigures> Measured(pid_t hubd, F run) {
  OtherLoad load(hubd);
  absl::StatusOr<RunFigures> figures = run();
  if (figures.ok()) figures->other_cores = load.Cores();
  return figures;
}

// ---- Raw RocksDB: the yardstick ----------------------------------------------------------------

// Synced Puts of distinct keys from `threads` threads for `seconds`: what this disk and RocksDB
// reach with nothing in between. RocksDB itself merges concurrent synced writes into one WAL
// fsync, so the 64-thread figure is RocksDB's group commit: the bar the hub's must approach.
absl::StatusOr<RunFigures> RawSyncedPuts(rocksdb::DB& db, int threads, double seconds) {
  const std::string value = RandomBytes(kRawValueBytes, threads);
  rocksdb::WriteOptions synced;
  synced.sync = true;
  std::atomic<bool> stop{false};
  absl::Mutex mu;
  std::string error;              // guarded by mu
  std::vector<double> latencies;  // guarded by mu
  std::vector<std::thread> workers;
  const auto start = Clock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::vector<double> mine;
      for (int64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        const std::string key = absl::StrCat(threads, "-", t, "-", i);
        const auto t0 = Clock::now();
        if (rocksdb::Status s = db.Put(synced, key, value); !s.ok()) {
          absl::MutexLock lock(&mu);
          error = s.ToString();
          stop = true;
          return;
        }
        mine.push_back(MillisBetween(t0, Clock::now()));
      }
      absl::MutexLock lock(&mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  }
  std::this_thread::sleep_for(Seconds(seconds));
  stop = true;
  for (auto& w : workers) w.join();
  RunFigures f;
  f.seconds = Since(start);  // includes each thread's last Put, which is counted
  if (!error.empty()) return absl::UnavailableError("raw Put: " + error);
  f.ops = f.events = static_cast<int64_t>(latencies.size());
  f.SetLatencies(latencies);
  return f;
}

absl::StatusOr<std::unique_ptr<rocksdb::DB>> OpenRawDb(const std::string& dir) {
  rocksdb::Options options;  // RocksDB's defaults: the yardstick is not tuned either
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  if (rocksdb::Status s = rocksdb::DB::Open(options, dir, &raw); !s.ok()) {
    return absl::UnavailableError("opening raw RocksDB: " + s.ToString());
  }
  return std::unique_ptr<rocksdb::DB>(raw);
}

// ---- The server under test ---------------------------------------------------------------------

// A hubd child on 127.0.0.1 with a port of its choosing. Its log goes to a file in the work
// dir, so it neither mixes with the table nor fills a pipe nobody reads. It gets SIGTERM if
// this process dies first, and SIGKILL from the destructor if still running.
class HubdProcess {
 public:
  static absl::StatusOr<std::unique_ptr<HubdProcess>> Start(const std::string& binary,
                                                            const std::string& data_dir,
                                                            const std::string& work_dir) {
    const std::string port_file = work_dir + "/hubd.port";
    std::filesystem::remove(port_file);
    std::filesystem::remove(work_dir + "/hubd.main-port");
    // The raw log as the operator (development identity), with a rate limit no benchmark meets.
    const std::string access = work_dir + "/access.textproto";
    std::ofstream(access) << "limits { requests_per_second: 100000 burst: 1000000 }\n";
    // The raw log is served on the admin address: its port is the one the benchmark uses.
    std::vector<std::string> args = {binary, "--listen=127.0.0.1:0", "--admin_listen=127.0.0.1:0",
                                     "--data_dir=" + data_dir, "--admin_port_file=" + port_file,
                                     "--port_file=" + work_dir + "/hubd.main-port",
                                     "--partnership=" HUB_SOURCE_DIR
                                     "/deploy/partnership.example.textproto",
                                     "--services=eventstore", "--dev_identity_from_metadata",
                                     "--access=" + access};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::unique_ptr<HubdProcess> p(new HubdProcess(work_dir + "/hubd.log"));
    const int log_fd = open(p->log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) return absl::UnavailableError("cannot open " + p->log_path_);
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid == 0) {
      // Only async-signal-safe calls until exec: this process already has threads.
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (getppid() != parent) _exit(127);
      dup2(log_fd, STDOUT_FILENO);
      dup2(log_fd, STDERR_FILENO);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(log_fd);
    if (pid < 0) return absl::UnavailableError(absl::StrCat("fork: ", strerror(errno)));
    p->pid_ = pid;
    // hubd renames the port files into place once it listens, so a read is never partial; the
    // admin port file is written before the main one.
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (true) {
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        p->pid_ = -1;
        return absl::UnavailableError(absl::StrCat("hubd exited (status ", status,
                                                   ") before listening; see ", p->log_path_));
      }
      std::ifstream in(port_file);
      if (std::filesystem::exists(work_dir + "/hubd.main-port") && in >> p->port_ &&
          p->port_ > 0) {
        return p;
      }
      if (Clock::now() > deadline) {
        return absl::DeadlineExceededError("hubd did not write its port file within 60 s");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  ~HubdProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  pid_t pid() const { return pid_; }
  int port() const { return port_; }

  // SIGTERM, then waits: a clean exit is part of what is measured (the log must be closed
  // before the in-process phase opens the same directory).
  absl::Status Stop() {
    kill(pid_, SIGTERM);
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) != pid_) {
      if (Clock::now() > deadline) {
        return absl::DeadlineExceededError("hubd did not exit within 60 s of SIGTERM");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      return absl::InternalError(absl::StrCat("hubd exited with status ", status, "; see ",
                                              log_path_));
    }
    return absl::OkStatus();
  }

 private:
  explicit HubdProcess(std::string log_path) : log_path_(std::move(log_path)) {}
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_path_;
};

struct Memory {
  double rss_mib = 0;   // VmRSS: resident now
  double peak_mib = 0;  // VmHWM: the most it was ever resident
};

absl::StatusOr<Memory> ReadMemory(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  Memory m;
  double kib = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (sscanf(line.c_str(), "VmRSS: %lf", &kib) == 1) m.rss_mib = kib / 1024;
    if (sscanf(line.c_str(), "VmHWM: %lf", &kib) == 1) m.peak_mib = kib / 1024;
  }
  if (m.rss_mib == 0) return absl::UnavailableError(absl::StrCat("no VmRSS for pid ", pid));
  return m;
}

using Stubs = std::vector<std::unique_ptr<api::EventStore::Stub>>;

// `count` channels, each on its own TCP connection: with gRPC's global subchannel pool equal
// channels would share one connection (one HTTP/2 flow-control window, one server reader).
absl::StatusOr<Stubs> Connect(int port, int count) {
  Stubs stubs;
  for (int i = 0; i < count; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetMaxReceiveMessageSize(-1);
    auto channel = testing::OperatorChannel(absl::StrCat("127.0.0.1:", port), args);
    if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
      return absl::UnavailableError(absl::StrCat("cannot connect to hubd on port ", port));
    }
    stubs.push_back(api::EventStore::NewStub(channel));
  }
  return stubs;
}

// ---- Durable appends over gRPC -----------------------------------------------------------------

struct AppendPlan {
  int in_flight = 1;
  int events_per_call = 1;
  double seconds = 0;      // > 0: start calls for this long
  int64_t max_events = 0;  // > 0: start calls until this many events are sent
  std::string stream_prefix;
};

// Keeps `plan.in_flight` Append calls outstanding, starting a new one the moment one completes,
// as a busy gateway does. One thread polls one CompletionQueue: the client stays light, leaving
// the other core to hubd. Latency runs from starting a call to its completion being polled.
absl::StatusOr<RunFigures> DriveAppends(const Stubs& stubs, const AppendPlan& plan) {
  api::AppendRequest prototype;
  prototype.mutable_expected_version()->set_any(true);
  for (int i = 0; i < plan.events_per_call; ++i) {
    api::NewEvent* e = prototype.add_events();
    e->set_type("BenchmarkEventRecorded");
    e->set_payload(RandomBytes(kPayloadBytes, i + 7));
    e->mutable_metadata()->set_actor_agency("bench");
  }
  std::vector<std::string> streams;
  for (int i = 0; i < kStreams; ++i) streams.push_back(absl::StrCat(plan.stream_prefix, "-", i));

  struct Call {
    api::AppendRequest request;  // owned by the call until it completes
    grpc::ClientContext context;
    api::AppendResponse response;
    grpc::Status status;
    std::unique_ptr<grpc::ClientAsyncResponseReader<api::AppendResponse>> reader;
    Clock::time_point start;
    int events = 0;
  };
  grpc::CompletionQueue cq;
  int64_t issued_calls = 0, issued_events = 0;
  int outstanding = 0;
  const auto start = Clock::now();
  const auto end = plan.seconds > 0 ? start + Seconds(plan.seconds) : Clock::time_point::max();
  auto may_issue = [&](Clock::time_point now) {
    return now < end && (plan.max_events <= 0 || issued_events < plan.max_events);
  };
  auto issue = [&] {
    auto* call = new Call;
    call->request = prototype;
    call->events = plan.events_per_call;
    if (plan.max_events > 0 && issued_events + call->events > plan.max_events) {
      call->events = static_cast<int>(plan.max_events - issued_events);
      call->request.mutable_events()->DeleteSubrange(call->events,
                                                     plan.events_per_call - call->events);
    }
    call->request.set_stream(streams[issued_calls % kStreams]);
    call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    call->start = Clock::now();
    call->reader =
        stubs[issued_calls % stubs.size()]->AsyncAppend(&call->context, call->request, &cq);
    call->reader->Finish(&call->response, &call->status, call);
    ++issued_calls, issued_events += call->events, ++outstanding;
  };

  for (int i = 0; i < plan.in_flight && may_issue(Clock::now()); ++i) issue();
  RunFigures figures;
  std::vector<double> latencies_ms;
  std::string error;
  void* tag = nullptr;
  bool ok = false;
  while (outstanding > 0 && cq.Next(&tag, &ok)) {
    std::unique_ptr<Call> call(static_cast<Call*>(tag));
    --outstanding;
    const auto now = Clock::now();
    if (!call->status.ok()) {
      if (error.empty()) {
        error = absl::StrCat(call->status.error_code(), " ", call->status.error_message());
      }
      continue;  // stop feeding: an error here is a broken server, not a figure
    }
    if (now <= end) {
      ++figures.ops, figures.events += call->events;
      latencies_ms.push_back(MillisBetween(call->start, now));
    }
    if (error.empty() && may_issue(now)) issue();
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  if (!error.empty()) return absl::UnavailableError("Append failed: " + error);
  figures.seconds = plan.seconds > 0 ? plan.seconds : Since(start);
  figures.SetLatencies(latencies_ms);
  return figures;
}

absl::StatusOr<RunFigures> TimedAppends(const Stubs& stubs, int in_flight, double seconds) {
  AppendPlan plan{.in_flight = in_flight, .seconds = kWarmUpSeconds,
                  .stream_prefix = absl::StrCat("warm", in_flight)};
  HUB_RETURN_IF_ERROR(DriveAppends(stubs, plan).status());
  plan.seconds = seconds;
  plan.stream_prefix = absl::StrCat("bench", in_flight);
  return DriveAppends(stubs, plan);
}

// A unary call that touches no disk (LogAdmin.GetHead reads the head under a mutex), one at a
// time: what a round trip to hubd costs by itself, to set beside the 1-in-flight append.
absl::StatusOr<RunFigures> RoundTrips(int port, double seconds) {
  auto stub = api::LogAdmin::NewStub(
      testing::OperatorChannel(absl::StrCat("127.0.0.1:", port)));
  std::vector<double> latencies_ms;
  RunFigures f;
  const auto start = Clock::now();
  const auto end = start + Seconds(seconds);
  for (auto now = start; now < end;) {
    grpc::ClientContext context;
    api::GetHeadResponse head;
    const grpc::Status s = stub->GetHead(&context, api::GetHeadRequest(), &head);
    if (!s.ok()) return absl::UnavailableError("GetHead: " + s.error_message());
    const auto done = Clock::now();
    latencies_ms.push_back(MillisBetween(now, done));
    now = done;
  }
  f.seconds = Since(start);
  f.ops = static_cast<int64_t>(latencies_ms.size());
  f.SetLatencies(latencies_ms);
  return f;
}

// ---- Catch-up ----------------------------------------------------------------------------------

absl::StatusOr<int64_t> EventCount(int port) {
  auto stub = api::LogAdmin::NewStub(
      testing::OperatorChannel(absl::StrCat("127.0.0.1:", port)));
  grpc::ClientContext context;
  api::GetHeadResponse head;
  grpc::Status s = stub->GetHead(&context, api::GetHeadRequest(), &head);
  if (!s.ok()) return absl::UnavailableError("GetHead: " + s.error_message());
  return head.position() + 1;
}

// Subscribes from 0 and counts `events` events, checking that positions come dense and in
// order (a fast but wrong catch-up would be no figure at all).
absl::StatusOr<RunFigures> CatchUpOverGrpc(api::EventStore::Stub& stub, int64_t events) {
  grpc::ClientContext context;
  api::SubscribeRequest request;
  request.set_from_position(0);
  const auto start = Clock::now();
  std::unique_ptr<grpc::ClientReader<api::SubscribeResponse>> reader =
      stub.Subscribe(&context, request);
  api::SubscribeResponse item;
  RunFigures f;
  bool in_order = true;
  while (f.events < events && in_order && reader->Read(&item)) {
    for (const auto& e : item.events().events()) {
      in_order = in_order && e.global_position() == f.events++;
    }
  }
  f.seconds = Since(start);
  f.ops = f.events;
  context.TryCancel();  // subscriptions never end by themselves
  const grpc::Status status = reader->Finish();
  if (!in_order) return absl::DataLossError(absl::StrCat("Subscribe skipped at ", f.events - 1));
  if (f.events < events) {
    return absl::UnavailableError(absl::StrCat("Subscribe ended after ", f.events, " of ", events,
                                               " events: ", status.error_message()));
  }
  return f;
}

absl::StatusOr<RunFigures> CatchUpInProcess(eventstore::EventLog& log) {
  const int64_t events = log.GetHead().event_count();
  eventstore::Subscription subscription(log, GlobalPosition(0), {});
  RunFigures f;
  const auto start = Clock::now();
  while (f.events < events) {
    HUB_ASSIGN_OR_RETURN(std::vector<eventstore::RecordedEvent> batch,
                         subscription.Next(absl::Now()));
    if (batch.empty()) return absl::UnavailableError("Subscription stopped before the head");
    for (const eventstore::RecordedEvent& e : batch) {
      if (e.position.value() != f.events++) {
        return absl::DataLossError(absl::StrCat("Subscription skipped at ", f.events - 1));
      }
    }
  }
  f.seconds = Since(start);
  f.ops = f.events;
  return f;
}

// ---- In-process appends: the log without the server ---------------------------------------------

struct InProcessAppends {
  RunFigures run;
  double appends_per_synced_write = 0;  // LogStats: what group commit achieved
};

// The same single-event appends as over gRPC, straight into EventLog::AppendAsync (no gRPC, no
// second process), re-issued from the completion callback to hold `in_flight` outstanding.
absl::StatusOr<InProcessAppends> AppendInProcess(eventstore::EventLog& log, int in_flight,
                                                 double seconds) {
  eventstore::NewEvent event;
  event.type = "BenchmarkEventRecorded";
  event.payload = RandomBytes(kPayloadBytes, 3);
  event.metadata.actor_agency = "bench";
  absl::Mutex mu;
  int outstanding = 0;               // guarded by mu
  int64_t sequence = 0;              // guarded by mu
  std::string error;                 // guarded by mu
  std::vector<double> latencies_ms;  // guarded by mu
  OtherLoad load(-1);
  const auto end = Clock::now() + Seconds(seconds);
  const eventstore::LogStats before = log.stats();
  std::function<void(int64_t)> issue = [&](int64_t seq) {
    eventstore::AppendRequest request;
    request.stream = absl::StrCat("inproc", in_flight, "-", seq % kStreams);
    request.events = {event};
    const auto t0 = Clock::now();
    log.AppendAsync(std::move(request), [&, t0](absl::StatusOr<eventstore::AppendResult> r) {
      const auto now = Clock::now();
      int64_t next = -1;
      {
        absl::MutexLock lock(&mu);
        --outstanding;
        if (!r.ok() && error.empty()) error = r.status().ToString();
        if (r.ok() && now <= end) latencies_ms.push_back(MillisBetween(t0, now));
        if (error.empty() && now < end) ++outstanding, next = sequence++;
      }
      if (next >= 0) issue(next);  // only enqueues: cheap enough for the writer thread
    });
  };
  for (int i = 0; i < in_flight; ++i) {
    int64_t seq;
    {
      absl::MutexLock lock(&mu);
      ++outstanding, seq = sequence++;
    }
    issue(seq);
  }
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(+[](int* n) { return *n == 0; }, &outstanding));
  if (!error.empty()) return absl::UnavailableError("in-process append: " + error);
  const eventstore::LogStats after = log.stats();
  InProcessAppends f;
  f.run.ops = f.run.events = static_cast<int64_t>(latencies_ms.size());
  f.run.seconds = seconds;
  f.run.SetLatencies(latencies_ms);
  f.run.other_cores = load.Cores();
  const int64_t writes = after.synced_writes - before.synced_writes;
  f.appends_per_synced_write =
      writes > 0 ? static_cast<double>(after.appends - before.appends) / writes : 0;
  return f;
}

// ---- Report ------------------------------------------------------------------------------------

struct Results {
  int cores = 0;
  std::string work_dir;
  FileSystem fs;
  double seconds = 0;
  int channels = 0;
  RunFigures raw_1, raw_64, grpc_1, grpc_64;
  bool loaded = false;
  RunFigures load;
  int64_t catch_up_events = 0;
  RunFigures grpc_catch_up, inproc_catch_up;
  Memory after_load, after_catch_up;
  InProcessAppends inproc_1, inproc_64;
  RunFigures round_trip;

  double ratio() const {
    return raw_64.ops_per_sec() > 0 ? grpc_64.ops_per_sec() / raw_64.ops_per_sec() : 0;
  }
  bool ratio_ok() const { return ratio() >= kTargetAppendVsRaw; }
  bool p50_ok() const { return grpc_1.p50_ms <= kTargetSingleP50Ms; }
  bool grpc_read_ok() const { return grpc_catch_up.events_per_sec() >= kTargetCatchUpPerSec; }
  bool inproc_read_ok() const { return inproc_catch_up.events_per_sec() >= kTargetCatchUpPerSec; }
  double max_rss() const { return std::max(after_load.rss_mib, after_catch_up.rss_mib); }
  bool rss_ok() const { return max_rss() <= kTargetRssMiB; }
};

const char* Verdict(bool ok) { return ok ? "PASS" : "MISS"; }

std::string Fixed(double v, int digits = 0) {
  char buf[64];
  snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

void PrintRow(const std::string& what, const std::string& measured, const RunFigures* run,
              const std::string& target = "", const char* verdict = "") {
  printf("%-42s %-34s %-6s %-19s %s\n", what.c_str(), measured.c_str(),
         run ? Fixed(run->other_cores, 2).c_str() : "", target.c_str(), verdict);
}

std::string Latency(const RunFigures& f) {
  return absl::StrCat("p50 ", Fixed(f.p50_ms, 2), " ms, p99 ", Fixed(f.p99_ms, 2), " ms");
}

void PrintTable(const Results& r) {
  printf("\nhub_bench: %d cores, data in %s (%s%s), %s s per timed run\n", r.cores,
         r.work_dir.c_str(), r.fs.type.c_str(), r.fs.tmpfs ? ", TMPFS: fsync is free" : "",
         Fixed(r.seconds, 1).c_str());
  printf("(\"other\": cores kept busy by other processes during that run; > 0.2 skews it)\n\n");
  printf("%-42s %-34s %-6s %-19s %s\n", "figure", "measured", "other", "target", "result");
  PrintRow("raw RocksDB synced Put, 1 thread", Fixed(r.raw_1.ops_per_sec()) + " puts/s", &r.raw_1,
           "(yardstick)");
  PrintRow("  latency", Latency(r.raw_1), nullptr);
  PrintRow("gRPC Append, 1 in flight", Fixed(r.grpc_1.ops_per_sec()) + " appends/s", &r.grpc_1);
  PrintRow("  latency", Latency(r.grpc_1), nullptr, "p50 <= 1 ms", Verdict(r.p50_ok()));
  PrintRow("raw RocksDB synced Put, 64 threads", Fixed(r.raw_64.ops_per_sec()) + " puts/s",
           &r.raw_64, "(yardstick)");
  PrintRow("  latency", Latency(r.raw_64), nullptr);
  PrintRow(absl::StrCat("gRPC Append, 64 in flight, ", r.channels, " channels"),
           Fixed(r.grpc_64.ops_per_sec()) + " appends/s", &r.grpc_64);
  PrintRow("  latency", Latency(r.grpc_64), nullptr);
  PrintRow("  gRPC-64 / raw-64", Fixed(100 * r.ratio(), 1) + " %", nullptr, ">= 70 %",
           Verdict(r.ratio_ok()));
  if (r.loaded) {
    PrintRow(absl::StrCat("load: ", kLoadEventsPerCall, " events/Append, ", kLoadInFlight,
                          " in flight"),
             absl::StrCat(Fixed(r.load.events_per_sec()), " events/s (", Fixed(r.load.seconds, 1),
                          " s)"),
             &r.load);
  }
  PrintRow(absl::StrCat("catch-up from 0, gRPC Subscribe"),
           absl::StrCat(Fixed(r.grpc_catch_up.events_per_sec()), " events/s (",
                        Fixed(r.grpc_catch_up.seconds, 1), " s)"),
           &r.grpc_catch_up, ">= 200000 events/s", Verdict(r.grpc_read_ok()));
  PrintRow("catch-up from 0, in-process Subscription",
           absl::StrCat(Fixed(r.inproc_catch_up.events_per_sec()), " events/s (",
                        Fixed(r.inproc_catch_up.seconds, 1), " s)"),
           &r.inproc_catch_up, ">= 200000 events/s", Verdict(r.inproc_read_ok()));
  printf("  (%lld events in the log)\n", static_cast<long long>(r.catch_up_events));
  PrintRow(r.loaded ? "hubd VmRSS after the load" : "hubd VmRSS after restart",
           Fixed(r.after_load.rss_mib, 1) + " MiB", nullptr, "<= 300 MiB",
           Verdict(r.after_load.rss_mib <= kTargetRssMiB));
  PrintRow("hubd VmRSS after the gRPC catch-up",
           absl::StrCat(Fixed(r.after_catch_up.rss_mib, 1), " MiB (peak ",
                        Fixed(r.after_catch_up.peak_mib, 1), ")"),
           nullptr, "<= 300 MiB", Verdict(r.after_catch_up.rss_mib <= kTargetRssMiB));
  printf("\ndiagnostics\n");
  PrintRow("gRPC round trip, no disk (GetHead)",
           Fixed(r.round_trip.ops_per_sec()) + " calls/s", &r.round_trip);
  PrintRow("  latency", Latency(r.round_trip), nullptr);
  printf("the log alone (in-process AppendAsync, no gRPC, same events):\n");
  for (const InProcessAppends* f : {&r.inproc_1, &r.inproc_64}) {
    PrintRow(absl::StrCat("  ", f == &r.inproc_1 ? 1 : 64, " in flight"),
             absl::StrCat(Fixed(f->run.ops_per_sec()), " appends/s, ",
                          Fixed(f->appends_per_synced_write, 1), "/synced write"),
             &f->run);
    PrintRow("    latency", Latency(f->run), nullptr);
  }
}

std::string Json(const Results& r) {
  auto run = [](const RunFigures& f) {
    return absl::StrCat("{\"per_sec\": ", f.ops_per_sec(), ", \"events_per_sec\": ",
                        f.events_per_sec(), ", \"p50_ms\": ", f.p50_ms, ", \"p99_ms\": ", f.p99_ms,
                        ", \"seconds\": ", f.seconds, ", \"other_cores\": ", f.other_cores, "}");
  };
  auto yes = [](bool b) { return b ? "true" : "false"; };
  return absl::StrCat(
      "{\n  \"machine\": {\"cores\": ", r.cores, ", \"fs_type\": \"", r.fs.type,
      "\", \"tmpfs\": ", yes(r.fs.tmpfs), ", \"work_dir\": \"", r.work_dir,
      "\"},\n  \"seconds_per_run\": ", r.seconds, ",\n  \"raw_put_1\": ", run(r.raw_1),
      ",\n  \"raw_put_64\": ", run(r.raw_64), ",\n  \"grpc_append_1\": ", run(r.grpc_1),
      ",\n  \"grpc_append_64\": ", run(r.grpc_64), ",\n  \"channels\": ", r.channels,
      ",\n  \"ratio_grpc_64_vs_raw_64\": ", r.ratio(), ",\n  \"load\": ", run(r.load),
      ",\n  \"catch_up_events\": ", r.catch_up_events,
      ",\n  \"catch_up_grpc\": ", run(r.grpc_catch_up),
      ",\n  \"catch_up_in_process\": ", run(r.inproc_catch_up),
      ",\n  \"hubd_rss_mib\": {\"after_load\": ", r.after_load.rss_mib,
      ", \"after_catch_up\": ", r.after_catch_up.rss_mib, ", \"peak\": ",
      r.after_catch_up.peak_mib, "},\n  \"grpc_round_trip\": ", run(r.round_trip),
      ",\n  \"in_process_append_1\": ", run(r.inproc_1.run),
      ",\n  \"in_process_append_64\": ", run(r.inproc_64.run),
      ",\n  \"in_process_appends_per_synced_write_64\": ", r.inproc_64.appends_per_synced_write,
      ",\n  \"pass\": {\"append_64_vs_raw_64\": ", yes(r.ratio_ok()),
      ", \"append_1_p50\": ", yes(r.p50_ok()), ", \"catch_up_grpc\": ", yes(r.grpc_read_ok()),
      ", \"catch_up_in_process\": ", yes(r.inproc_read_ok()), ", \"rss\": ", yes(r.rss_ok()),
      "}\n}\n");
}

// ---- The run -------------------------------------------------------------------------------------

absl::Status Run(const Flags& flags, Results& r) {
  r.seconds = flags.seconds;
  r.channels = flags.channels;
  r.cores = static_cast<int>(std::thread::hardware_concurrency());
  const std::string& work = r.work_dir;
  const double secs = flags.seconds;

  fprintf(stderr, "phase 1: raw synced Put and gRPC Append, %.1f s each\n", secs);
  const std::string append_dir = work + "/hubd-append";
  {
    HUB_ASSIGN_OR_RETURN(std::unique_ptr<rocksdb::DB> db, OpenRawDb(work + "/raw"));
    HUB_ASSIGN_OR_RETURN(auto hubd, HubdProcess::Start(flags.hubd, append_dir, work));
    const pid_t pid = hubd->pid();
    HUB_ASSIGN_OR_RETURN(Stubs one, Connect(hubd->port(), 1));
    HUB_ASSIGN_OR_RETURN(Stubs many, Connect(hubd->port(), flags.channels));
    HUB_ASSIGN_OR_RETURN(r.raw_1, Measured(pid, [&] { return RawSyncedPuts(*db, 1, secs); }));
    HUB_ASSIGN_OR_RETURN(r.grpc_1, Measured(pid, [&] { return TimedAppends(one, 1, secs); }));
    HUB_ASSIGN_OR_RETURN(r.raw_64, Measured(pid, [&] { return RawSyncedPuts(*db, 64, secs); }));
    HUB_ASSIGN_OR_RETURN(r.grpc_64, Measured(pid, [&] { return TimedAppends(many, 64, secs); }));
    HUB_ASSIGN_OR_RETURN(r.round_trip, Measured(pid, [&] {
                           return RoundTrips(hubd->port(), std::min(secs, 2.0));
                         }));
    fprintf(stderr, "  raw-1 %.0f/s, gRPC-1 %.0f/s (p50 %.2f ms), raw-64 %.0f/s, gRPC-64 %.0f/s\n",
            r.raw_1.ops_per_sec(), r.grpc_1.ops_per_sec(), r.grpc_1.p50_ms,
            r.raw_64.ops_per_sec(), r.grpc_64.ops_per_sec());
    HUB_RETURN_IF_ERROR(hubd->Stop());
    if (rocksdb::Status s = db->Close(); !s.ok()) {
      return absl::UnavailableError("closing raw RocksDB: " + s.ToString());
    }
  }
  std::filesystem::remove_all(work + "/raw");

  // A fresh log holding exactly --events events, so that "from 0 to the end" is that many.
  const std::string load_dir = flags.skip_load ? append_dir : work + "/hubd-load";
  r.loaded = !flags.skip_load;
  {
    HUB_ASSIGN_OR_RETURN(auto hubd, HubdProcess::Start(flags.hubd, load_dir, work));
    const pid_t pid = hubd->pid();
    HUB_ASSIGN_OR_RETURN(Stubs stubs, Connect(hubd->port(), flags.channels));
    if (r.loaded) {
      fprintf(stderr, "phase 2: loading %lld events\n", static_cast<long long>(flags.events));
      AppendPlan plan{.in_flight = kLoadInFlight, .events_per_call = kLoadEventsPerCall,
                      .max_events = flags.events, .stream_prefix = "load"};
      HUB_ASSIGN_OR_RETURN(r.load, Measured(pid, [&] { return DriveAppends(stubs, plan); }));
      fprintf(stderr, "  %.0f events/s\n", r.load.events_per_sec());
    }
    HUB_ASSIGN_OR_RETURN(r.after_load, ReadMemory(pid));
    HUB_ASSIGN_OR_RETURN(r.catch_up_events, EventCount(hubd->port()));
    fprintf(stderr, "phase 2: catch-up over gRPC from 0 (%lld events)\n",
            static_cast<long long>(r.catch_up_events));
    HUB_ASSIGN_OR_RETURN(r.grpc_catch_up, Measured(pid, [&] {
                           return CatchUpOverGrpc(*stubs[0], r.catch_up_events);
                         }));
    HUB_ASSIGN_OR_RETURN(r.after_catch_up, ReadMemory(pid));
    fprintf(stderr, "  %.0f events/s; VmRSS %.1f MiB\n", r.grpc_catch_up.events_per_sec(),
            r.after_catch_up.rss_mib);
    HUB_RETURN_IF_ERROR(hubd->Stop());
  }

  fprintf(stderr, "phase 3: in-process catch-up and appends\n");
  HUB_ASSIGN_OR_RETURN(std::unique_ptr<eventstore::EventLog> log,
                       eventstore::OpenRocksDbEventLog(load_dir, eventstore::RocksDbOptions()));
  HUB_ASSIGN_OR_RETURN(r.inproc_catch_up, Measured(-1, [&] { return CatchUpInProcess(*log); }));
  fprintf(stderr, "  catch-up %.0f events/s\n", r.inproc_catch_up.events_per_sec());
  HUB_ASSIGN_OR_RETURN(r.inproc_1, AppendInProcess(*log, 1, secs));
  HUB_ASSIGN_OR_RETURN(r.inproc_64, AppendInProcess(*log, 64, secs));
  log->Close();
  return absl::OkStatus();
}

}  // namespace
}  // namespace hub::bench

int main(int argc, char** argv) {
  using namespace hub::bench;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      fputs(kUsage, stdout);
      return 0;
    }
  }
  absl::StatusOr<Flags> flags = ParseFlags(argc, argv);
  if (!flags.ok()) {
    fprintf(stderr, "%s\n%s", std::string(flags.status().message()).c_str(), kUsage);
    return 2;
  }
  absl::StatusOr<std::string> work = MakeWorkDir(flags->dir);
  if (!work.ok()) {
    fprintf(stderr, "%s\n", std::string(work.status().message()).c_str());
    return 1;
  }
  Results results;
  results.work_dir = *work;
  results.fs = DescribeFileSystem(*work);
  if (results.fs.tmpfs) {
    fprintf(stderr, "WARNING: %s is on tmpfs: fsync is free there, so every durable figure "
            "below is meaningless. Pass --dir on a real disk.\n", work->c_str());
  }
  const absl::Status status = Run(*flags, results);
  if (!status.ok()) {
    fprintf(stderr, "hub_bench failed: %s\n(work dir kept: %s)\n", status.ToString().c_str(),
            work->c_str());
    return 1;
  }
  PrintTable(results);
  if (!flags->json.empty()) {
    std::ofstream out(flags->json, std::ios::trunc);
    out << Json(results);
    if (!out) fprintf(stderr, "cannot write %s\n", flags->json.c_str());
  }
  if (!flags->keep) std::filesystem::remove_all(*work);
  return 0;
}
