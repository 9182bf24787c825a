// End-to-end tests: the real hubd binary started as a child process on 127.0.0.1:0 over a
// fresh data directory, driven by real gRPC clients and by the real hubctl binary.
//
// Each test owns its temp dir and ports; every child is killed by an RAII guard even when an
// assertion fails. Waiting on a child (its port file, its exit) polls with short sleeps and a
// deadline: there is nothing else to wait on across a process boundary.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "hub/api/v1/event_store_service.grpc.pb.h"
#include "hub/api/v1/referral_intake_service.grpc.pb.h"
#include "hub/api/v1/views_service.grpc.pb.h"
#include "eventstore/event_log.h"
#include "eventstore/rocksdb/rocksdb_event_log.h"
#include "hub/events/v1/events.pb.h"
#include "tests/e2e/hub_process.h"
#include "tests/testing/temp_dir.h"

namespace hub {
namespace {

namespace api = ::hub::api::v1;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using e2e::ChildProcess;
using e2e::Hubd;
using e2e::ReadFile;

constexpr char kHubdPath[] = HUBD_PATH;
constexpr char kPartnershipFlag[] =
    "--partnership=" HUB_SOURCE_DIR "/deploy/partnership.example.textproto";
constexpr char kAgreementFlag[] = "--agreement=" HUB_SOURCE_DIR "/deploy/agreement.example.textproto";
constexpr char kHubctlPath[] = HUBCTL_PATH;
// hubctl --server as the hub's operator (development identity).
constexpr char kAsAgency[] = "--agency=asc-northshire";
constexpr char kAsUser[] = "--user=operator";
constexpr char kAsOperatorRole[] = "--roles=administrator";
constexpr absl::Duration kStopTimeout = absl::Seconds(5);  // "exits within a few seconds"

// hubd's shutdown waits for each client to acknowledge its GOAWAY. A gRPC client polls an
// idle channel only every 5 s by default, so an idle channel of this process would make every
// stop take ~5 s; poll often instead (read once, at gRPC's first initialisation).
[[maybe_unused]] const bool kFastIdlePolling = [] {
  return ::setenv("GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS", "20", 1) == 0;
}();

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::chrono::system_clock::time_point CallDeadline() {
  return std::chrono::system_clock::now() + std::chrono::seconds(30);
}

class HubdE2eTest : public ::testing::Test {
 protected:
  std::string NextPath(const std::string& what) {
    return dir_.Sub(absl::StrCat(what, ".", ++files_));
  }

  // Starts hubd with `flags` (plus --listen, --port_file unless `use_flags_only`) and waits
  // for its port file.
  absl::StatusOr<Hubd> StartHubd(const std::string& data_dir,
                                 std::vector<std::string> extra_flags = {}) {
    const std::string port_file = NextPath("port");
    std::vector<std::string> argv = {kHubdPath, "--listen=127.0.0.1:0",
                                     "--port_file=" + port_file, "--data_dir=" + data_dir,
                                     kPartnershipFlag, kAgreementFlag};
    if (std::find(extra_flags.begin(), extra_flags.end(), "--dev_identity_from_metadata") ==
        extra_flags.end()) {
      argv.push_back("--dev_identity_from_metadata");
    }
    argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
    return StartHubdWithArgs(argv, port_file);
  }

  absl::StatusOr<Hubd> StartHubdWithArgs(const std::vector<std::string>& argv,
                                         const std::string& port_file) {
    return e2e::SpawnHubd(argv, port_file, NextPath("hubd.stdout"), NextPath("hubd.stderr"));
  }

  // Sends SIGTERM and returns the exit code (nullopt if it did not exit in time).
  static std::optional<int> Stop(Hubd& hubd) {
    hubd.process->Signal(SIGTERM);
    return hubd.process->WaitForExit(kStopTimeout);
  }

  CommandResult Hubctl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {kHubctlPath};
    argv.insert(argv.end(), args.begin(), args.end());
    const std::string out = NextPath("hubctl.stdout");
    const std::string err = NextPath("hubctl.stderr");
    CommandResult result;
    absl::StatusOr<std::unique_ptr<ChildProcess>> process = ChildProcess::Spawn(argv, out, err);
    if (!process.ok()) {
      ADD_FAILURE() << process.status();
      return result;
    }
    std::optional<int> code = (*process)->WaitForExit(absl::Seconds(60));
    EXPECT_TRUE(code.has_value()) << "hubctl did not finish";
    result.exit_code = code.value_or(-1);
    result.out = ReadFile(out);
    result.err = ReadFile(err);
    return result;
  }

  static api::AppendResponse Append(api::EventStore::Stub& stub, const std::string& stream,
                                    int count, const std::string& type = "NoteAdded") {
    api::AppendRequest request;
    request.set_stream(stream);
    request.mutable_expected_version()->set_any(true);
    for (int i = 0; i < count; ++i) {
      api::NewEvent* event = request.add_events();
      event->set_type(type);
      event->set_payload(absl::StrCat(stream, "#", i));
      event->mutable_metadata()->set_actor_agency("council");
    }
    grpc::ClientContext context;
    context.set_deadline(CallDeadline());
    api::AppendResponse response;
    const grpc::Status status = stub.Append(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  static api::GetHeadResponse Head(const Hubd& hubd) {
    auto admin = api::LogAdmin::NewStub(hubd.AdminChannel());
    grpc::ClientContext context;
    context.set_deadline(CallDeadline());
    api::GetHeadResponse head;
    const grpc::Status status = admin->GetHead(&context, api::GetHeadRequest(), &head);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return head;
  }

  // Asks the safeguarding services' address, or with `admin` the raw log's.
  static HealthCheckResponse::ServingStatus Health(const Hubd& hubd, const std::string& service,
                                                   bool admin = false) {
    auto health =
        grpc::health::v1::Health::NewStub(admin ? hubd.AdminChannel() : hubd.Channel());
    grpc::ClientContext context;
    context.set_deadline(CallDeadline());
    HealthCheckRequest request;
    request.set_service(service);
    HealthCheckResponse response;
    const grpc::Status status = health->Check(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.status();
  }

  // Asks the server reflection service to list services; returns the raw response bytes (the
  // reflection protos are not part of this build, so the request is encoded by hand:
  // ServerReflectionRequest{list_services: ""} is field 7, length 0).
  static std::string ListServicesByReflection(const std::shared_ptr<grpc::Channel>& channel) {
    grpc::GenericStub stub(channel);
    grpc::CompletionQueue cq;
    grpc::ClientContext context;
    context.set_deadline(CallDeadline());
    std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call = stub.PrepareCall(
        &context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
    auto step = [&cq](intptr_t want) {
      void* tag = nullptr;
      bool ok = false;
      return cq.Next(&tag, &ok) && reinterpret_cast<intptr_t>(tag) == want && ok;
    };
    call->StartCall(reinterpret_cast<void*>(1));
    bool ok = step(1);
    const char request[] = {0x3a, 0x00};
    grpc::Slice slice(request, sizeof(request));
    grpc::ByteBuffer out(&slice, 1);
    if (ok) {
      call->Write(out, reinterpret_cast<void*>(2));
      ok = step(2);
    }
    if (ok) {
      call->WritesDone(reinterpret_cast<void*>(3));
      ok = step(3);
    }
    grpc::ByteBuffer in;
    if (ok) {
      call->Read(&in, reinterpret_cast<void*>(4));
      ok = step(4);
    }
    grpc::Status status;
    call->Finish(&status, reinterpret_cast<void*>(5));
    step(5);
    cq.Shutdown();
    void* tag = nullptr;
    bool drained_ok = false;
    while (cq.Next(&tag, &drained_ok)) {
    }
    const bool read = ok && status.ok();
    std::vector<grpc::Slice> slices;
    std::string bytes;
    if (read && in.Dump(&slices).ok()) {
      for (const grpc::Slice& s : slices) {
        bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
      }
    }
    return bytes;
  }

  // The value after "link " in hubctl head's output.
  static std::string LinkLine(const std::string& out) {
    for (absl::string_view line : absl::StrSplit(out, '\n')) {
      if (absl::ConsumePrefix(&line, "link ")) return std::string(line);
    }
    return "";
  }

  testing::TempDir dir_;
  int files_ = 0;
};

TEST_F(HubdE2eTest, ServesHealthAppendReadAndSubscribeThenStopsCleanlyOnSigterm) {
  absl::StatusOr<Hubd> hubd = StartHubd(dir_.Sub("data"), {"--services=eventstore"});
  ASSERT_TRUE(hubd.ok()) << hubd.status();
  EXPECT_THAT(hubd->log(), HasSubstr(absl::StrCat("hubd listening on ", hubd->address())));
  EXPECT_THAT(hubd->log(), HasSubstr(absl::StrCat("raw log (EventStore, LogAdmin) on 127.0.0.1:",
                                                   hubd->admin_port)));
  EXPECT_EQ(Health(*hubd, ""), HealthCheckResponse::SERVING);
  EXPECT_EQ(Health(*hubd, "hub.api.v1.EventStore", /*admin=*/true),
            HealthCheckResponse::SERVING);
  // The raw log is served on the admin address only.
  const std::string services = ListServicesByReflection(hubd->AdminChannel());
  EXPECT_THAT(services, HasSubstr("hub.api.v1.EventStore"));
  EXPECT_THAT(services, HasSubstr("hub.api.v1.LogAdmin"));
  EXPECT_THAT(ListServicesByReflection(hubd->Channel()),
              Not(HasSubstr("hub.api.v1.EventStore")));

  auto stub = api::EventStore::NewStub(hubd->AdminChannel());
  EXPECT_EQ(Append(*stub, "case-1", 3).last_global_position(), 2);
  {
    grpc::ClientContext context;
    context.set_deadline(CallDeadline());
    api::ReadStreamRequest request;
    request.set_stream("case-1");
    api::ReadStreamResponse response;
    ASSERT_TRUE(stub->ReadStream(&context, request, &response).ok());
    ASSERT_EQ(response.events_size(), 3);
    EXPECT_EQ(response.events(2).payload(), "case-1#2");
  }

  grpc::ClientContext subscribe_context;
  subscribe_context.set_deadline(CallDeadline());
  std::unique_ptr<grpc::ClientReader<api::SubscribeResponse>> reader =
      stub->Subscribe(&subscribe_context, api::SubscribeRequest());
  // 3 and 4 are the read's and the subscription's own records.
  std::vector<int64_t> positions;
  std::vector<std::string> types;
  api::SubscribeResponse message;
  while (positions.size() < 5 && reader->Read(&message)) {
    for (const auto& e : message.events().events()) {
      positions.push_back(e.global_position());
      types.push_back(e.type());
    }
  }
  ASSERT_TRUE(reader->Read(&message));
  EXPECT_EQ(message.caught_up_at(), 5);
  Append(*stub, "case-2", 1);
  ASSERT_TRUE(reader->Read(&message));
  for (const auto& e : message.events().events()) positions.push_back(e.global_position());
  EXPECT_THAT(positions, ElementsAre(0, 1, 2, 3, 4, 5));
  EXPECT_THAT(types, ElementsAre("NoteAdded", "NoteAdded", "NoteAdded", "RawLogAccessed",
                                 "RawLogAccessed"));

  EXPECT_EQ(Stop(*hubd), 0) << hubd->log();
  EXPECT_FALSE(reader->Read(&message));
  const grpc::Status ended = reader->Finish();
  EXPECT_EQ(ended.error_code(), grpc::UNAVAILABLE) << ended.error_message();
  EXPECT_THAT(hubd->log(), HasSubstr("received SIGTERM"));
  EXPECT_THAT(hubd->log(), HasSubstr("hubd stopped"));
}

TEST_F(HubdE2eTest, RestartOnTheSameDataDirKeepsEveryEventAndTheHead) {
  const std::string data = dir_.Sub("data");
  api::GetHeadResponse head;
  {
    absl::StatusOr<Hubd> hubd = StartHubd(data, {"--services=eventstore"});
    ASSERT_TRUE(hubd.ok()) << hubd.status();
    auto stub = api::EventStore::NewStub(hubd->AdminChannel());
    for (int i = 0; i < 5; ++i) Append(*stub, absl::StrCat("case-", i), 4);
    head = Head(*hubd);
    EXPECT_EQ(head.position(), 19);
    ASSERT_EQ(Stop(*hubd), 0) << hubd->log();
  }
  absl::StatusOr<Hubd> hubd = StartHubd(data, {"--services=eventstore"});
  ASSERT_TRUE(hubd.ok()) << hubd.status();
  const api::GetHeadResponse again = Head(*hubd);
  EXPECT_EQ(again.position(), head.position());
  EXPECT_EQ(again.link_hex(), head.link_hex());

  auto stub = api::EventStore::NewStub(hubd->AdminChannel());
  grpc::ClientContext context;
  context.set_deadline(CallDeadline());
  api::ReadAllResponse all;
  ASSERT_TRUE(stub->ReadAll(&context, api::ReadAllRequest(), &all).ok());
  ASSERT_EQ(all.events_size(), 21);  // and this read's own record
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(all.events(i).global_position(), i);
    EXPECT_EQ(all.events(i).payload(), absl::StrCat("case-", i / 4, "#", i % 4));
  }
  EXPECT_EQ(all.events(20).type(), "RawLogAccessed");
  EXPECT_EQ(Stop(*hubd), 0);
}

TEST_F(HubdE2eTest, SecondHubdOnALockedDataDirExitsWithAClearMessage) {
  const std::string data = dir_.Sub("data");
  absl::StatusOr<Hubd> first = StartHubd(data);
  ASSERT_TRUE(first.ok()) << first.status();

  absl::StatusOr<Hubd> second = StartHubd(data);
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.status().message(), HasSubstr("locked"));

  // The first one is unaffected.
  EXPECT_EQ(Health(*first, ""), HealthCheckResponse::SERVING);
  EXPECT_EQ(Stop(*first), 0);
}

TEST_F(HubdE2eTest, SecondHubdExitCodeIsNonZero) {
  const std::string data = dir_.Sub("data");
  absl::StatusOr<Hubd> first = StartHubd(data);
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string err = NextPath("second.stderr");
  absl::StatusOr<std::unique_ptr<ChildProcess>> second = ChildProcess::Spawn(
      {kHubdPath, "--listen=127.0.0.1:0", "--data_dir=" + data, kPartnershipFlag, kAgreementFlag,
       "--dev_identity_from_metadata"},
      NextPath("second.stdout"), err);
  ASSERT_TRUE(second.ok());
  const std::optional<int> code = (*second)->WaitForExit(e2e::kStartTimeout);
  ASSERT_TRUE(code.has_value());
  EXPECT_NE(*code, 0);
  const std::string log = ReadFile(err);
  EXPECT_THAT(log, HasSubstr("is locked by another process"));
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;  // one clear line
  EXPECT_EQ(Stop(*first), 0);
}

TEST_F(HubdE2eTest, ConfigFileProvidesFlags) {
  const std::string config = dir_.Sub("hubd.conf");
  const std::string port_file = dir_.Sub("port-from-config");
  std::ofstream(config) << "# hubd settings\n"
                        << "--listen=127.0.0.1:0\n"
                        << "--data_dir=" << dir_.Sub("configured-data") << "\n"
                        << "--port_file=" << port_file << "\n"
                        << kPartnershipFlag << "\n"
                        << kAgreementFlag << "\n"
                        << "--dev_identity_from_metadata\n";
  absl::StatusOr<Hubd> hubd = StartHubdWithArgs({kHubdPath, "--config=" + config}, port_file);
  ASSERT_TRUE(hubd.ok()) << hubd.status();
  EXPECT_THAT(hubd->log(), HasSubstr(dir_.Sub("configured-data")));
  EXPECT_TRUE(std::filesystem::exists(dir_.Sub("configured-data")));
  EXPECT_EQ(Stop(*hubd), 0);
}

TEST_F(HubdE2eTest, HubctlOnAStoppedDataDirVerifiesReadsBacksUpAndRestores) {
  const std::string data = dir_.Sub("data");
  api::GetHeadResponse head;
  {
    absl::StatusOr<Hubd> hubd = StartHubd(data, {"--services=eventstore"});
    ASSERT_TRUE(hubd.ok()) << hubd.status();
    auto stub = api::EventStore::NewStub(hubd->AdminChannel());
    Append(*stub, "case-1", 3, "CaseOpened");
    Append(*stub, "case-9", 2, "NoteAdded");
    head = Head(*hubd);
    ASSERT_EQ(Stop(*hubd), 0) << hubd->log();
  }

  CommandResult verify = Hubctl({"--data_dir=" + data, "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_THAT(verify.out, HasSubstr("OK"));
  EXPECT_THAT(verify.out, HasSubstr("events checked: 5"));

  const std::string expect = absl::StrCat(head.position(), ":", head.link_hex());
  EXPECT_EQ(Hubctl({"--data_dir=" + data, "verify", "--expect=" + expect}).exit_code, 0);
  const std::string wrong = absl::StrCat(head.position() - 1, ":", head.link_hex());
  CommandResult mismatch = Hubctl({"--data_dir=" + data, "verify", "--expect", wrong});
  EXPECT_EQ(mismatch.exit_code, 1) << mismatch.out << mismatch.err;
  EXPECT_THAT(mismatch.out, HasSubstr("FAILED at position 3"));

  CommandResult head_out = Hubctl({"head", "--data_dir", data});
  EXPECT_EQ(head_out.exit_code, 0) << head_out.err;
  EXPECT_EQ(LinkLine(head_out.out), head.link_hex());
  EXPECT_THAT(head_out.out, HasSubstr("position 4"));

  // A raw read needs a reason, which is recorded with it.
  EXPECT_EQ(Hubctl({"--data_dir=" + data, "read", "--stream=case-1"}).exit_code, 2);
  CommandResult read = Hubctl(
      {"--data_dir=" + data, "read", "--stream=case-1", "--reason=checking a reported fault"});
  EXPECT_EQ(read.exit_code, 0) << read.err;
  std::vector<std::string> lines = absl::StrSplit(read.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u) << read.out;
  for (size_t i = 0; i < lines.size(); ++i) {
    api::RecordedEvent event;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(lines[i], &event).ok()) << lines[i];
    EXPECT_EQ(event.stream(), "case-1");
    EXPECT_EQ(event.stream_version(), static_cast<int64_t>(i));
    EXPECT_EQ(event.global_position(), static_cast<int64_t>(i));
    EXPECT_EQ(event.type(), "CaseOpened");
    EXPECT_EQ(event.payload(), absl::StrCat("case-1#", i));
    EXPECT_EQ(event.metadata().actor_agency(), "council");
    EXPECT_EQ(event.link().size(), 32u);
  }
  EXPECT_THAT(lines[0], HasSubstr("\"stream_version\":"));  // proto field names, zeros shown

  CommandResult backward = Hubctl({"--data_dir=" + data, "read", "--stream=case-1", "--backward",
                                   "--limit=2", "--reason=checking a reported fault"});
  EXPECT_EQ(backward.exit_code, 0) << backward.err;
  lines = absl::StrSplit(backward.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u);
  api::RecordedEvent last;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(lines[0], &last).ok());
  EXPECT_EQ(last.stream_version(), 2);

  CommandResult typed = Hubctl({"--data_dir=" + data, "read", "--all", "--type=NoteAdded",
                                "--from=1", "--reason=checking a reported fault"});
  EXPECT_EQ(typed.exit_code, 0) << typed.err;
  EXPECT_EQ(std::vector<std::string>(absl::StrSplit(typed.out, '\n', absl::SkipEmpty())).size(),
            2u);

  // Each read was recorded in the log, as this host's account, with its reason.
  CommandResult audit = Hubctl({"--data_dir=" + data, "read", "--stream=operator-access",
                                "--reason=audit of raw access"});
  EXPECT_EQ(audit.exit_code, 0) << audit.err;
  lines = absl::StrSplit(audit.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u) << audit.out;  // three reads and this one
  EXPECT_THAT(lines[0], HasSubstr("\"method\":\"hubctl read\""));
  EXPECT_THAT(lines[0], HasSubstr("\"reason\":\"checking a reported fault\""));
  EXPECT_THAT(lines[0], HasSubstr("\"user_id\":\"local:"));

  const std::string backup = dir_.Sub("backup");
  CommandResult backed_up = Hubctl({"--data_dir=" + data, "backup", backup});
  EXPECT_EQ(backed_up.exit_code, 0) << backed_up.err;
  // Owner-only, whatever the umask hubctl was started with.
  EXPECT_EQ(std::filesystem::status(backup).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_all);
  // The backup holds its own record: the head it prints is the log's now.
  CommandResult after = Hubctl({"head", "--data_dir", data});
  const std::string restored = dir_.Sub("restored");
  CommandResult restore = Hubctl({"--data_dir=" + restored, "restore", backup});
  EXPECT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_THAT(restore.out, HasSubstr(LinkLine(after.out)));
  EXPECT_THAT(after.out, HasSubstr("position 9"));  // 5 events, 4 reads, the backup

  absl::StatusOr<Hubd> hubd = StartHubd(restored, {"--services=eventstore"});
  ASSERT_TRUE(hubd.ok()) << hubd.status();
  const api::GetHeadResponse restored_head = Head(*hubd);
  EXPECT_EQ(restored_head.position(), 9);
  EXPECT_EQ(restored_head.link_hex(), LinkLine(after.out));
  EXPECT_EQ(Stop(*hubd), 0);
}

TEST_F(HubdE2eTest, HubctlAgainstARunningHubd) {
  const std::string data = dir_.Sub("data");
  absl::StatusOr<Hubd> hubd =
      StartHubd(data, {"--services=eventstore", "--backup_dir=" + dir_.Sub("backups")});
  ASSERT_TRUE(hubd.ok()) << hubd.status();
  auto stub = api::EventStore::NewStub(hubd->AdminChannel());
  Append(*stub, "case-1", 2);
  const api::GetHeadResponse head = Head(*hubd);
  // The raw log's commands go to the admin address.
  const std::string server = "--server=" + hubd->admin_address();

  CommandResult verify = Hubctl({server, kAsAgency, kAsUser, kAsOperatorRole, "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_THAT(verify.out, HasSubstr("events checked: 2"));
  CommandResult head_out = Hubctl({server, kAsAgency, kAsUser, kAsOperatorRole, "head"});
  EXPECT_EQ(head_out.exit_code, 0) << head_out.err;
  EXPECT_EQ(LinkLine(head_out.out), head.link_hex());
  CommandResult health = Hubctl({server, kAsAgency, kAsUser, kAsOperatorRole, "health"});
  EXPECT_EQ(health.exit_code, 0) << health.err;
  EXPECT_EQ(health.out, "SERVING\n");
  CommandResult read = Hubctl({server, kAsAgency, kAsUser, kAsOperatorRole, "read",
                               "--stream=case-1", "--reason=support ticket 1234"});
  EXPECT_EQ(read.exit_code, 0) << read.err;
  EXPECT_EQ(std::vector<std::string>(absl::StrSplit(read.out, '\n', absl::SkipEmpty())).size(),
            2u);
  CommandResult backup = Hubctl(
      {server, kAsAgency, kAsUser, kAsOperatorRole, "backup", "online-backup"});
  EXPECT_EQ(backup.exit_code, 0) << backup.err;
  EXPECT_TRUE(std::filesystem::exists(dir_.Sub("backups/online-backup")));
  // Outside the backup directory: refused, naming the field, and nothing written.
  for (const std::string& elsewhere :
       {std::string("../escaped"), dir_.Sub("backups/../escaped"), dir_.Sub("escaped")}) {
    CommandResult refused =
        Hubctl({server, kAsAgency, kAsUser, kAsOperatorRole, "backup", elsewhere});
    EXPECT_EQ(refused.exit_code, 1) << elsewhere;
    EXPECT_THAT(refused.err, HasSubstr("directory:"));
  }
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("escaped")));
  // The data directory and the backups are the service account's alone.
  for (const std::string& path : {data, dir_.Sub("backups"), dir_.Sub("backups/online-backup")}) {
    EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_all)
        << path;
  }
  // The read and the backup were recorded, with who, why, where and the head.
  CommandResult audit = Hubctl({server, kAsAgency, kAsUser, kAsOperatorRole, "read",
                                "--stream=operator-access", "--reason=audit"});
  EXPECT_THAT(audit.out, HasSubstr("\"reason\":\"support ticket 1234\""));
  EXPECT_THAT(audit.out, HasSubstr("\"method\":\"LogAdmin.Backup\""));
  EXPECT_THAT(audit.out, HasSubstr(dir_.Sub("backups/online-backup")));
  EXPECT_THAT(audit.out, HasSubstr("\"user_id\":\"operator\""));

  // Beside the live server: verify and head work on the directory; read and backup, which
  // must record the access in the log, do not.
  CommandResult local_head = Hubctl({"--data_dir=" + data, "head"});
  EXPECT_EQ(local_head.exit_code, 0) << local_head.err;
  CommandResult locked = Hubctl({"--data_dir=" + data, "backup", dir_.Sub("offline-backup")});
  EXPECT_EQ(locked.exit_code, 1);
  EXPECT_THAT(locked.err, HasSubstr("in use by a running hubd; use --server"));
  CommandResult unrecorded =
      Hubctl({"--data_dir=" + data, "read", "--stream=case-1", "--reason=beside hubd"});
  EXPECT_EQ(unrecorded.exit_code, 1);
  EXPECT_THAT(unrecorded.err, HasSubstr("in use by a running hubd; use --server"));
  EXPECT_EQ(unrecorded.out, "");

  EXPECT_EQ(Stop(*hubd), 0);
}

// The digests `hubctl status --digest` prints, by projection name.
std::map<std::string, std::string> Digests(const std::string& status_output) {
  std::map<std::string, std::string> out;
  for (absl::string_view line : absl::StrSplit(status_output, '\n')) {
    const size_t at = line.find("sha256:");
    if (at == absl::string_view::npos) continue;
    out[std::string(line.substr(0, line.find(' ')))] = std::string(line.substr(at + 7));
  }
  return out;
}

// Kill -9 while the projections fold a large backlog; after a restart they finish with read
// models byte-identical to a rebuild from position 0: nothing counted twice, nothing lost.
TEST_F(HubdE2eTest, ProjectionsSurviveAKillAndMatchARebuildByteForByte) {
  const std::string data = dir_.Sub("data");
  {
    // The backlog is written to the log directly (hub events enter a served log only through
    // the domain's commands, and 40,000 commands would take long), then hubd folds it.
    absl::StatusOr<std::unique_ptr<eventstore::EventLog>> log =
        eventstore::OpenRocksDbEventLog(data, eventstore::RocksDbOptions());
    ASSERT_TRUE(log.ok()) << log.status();
    for (int batch = 0; batch < 40; ++batch) {
      eventstore::AppendRequest request;
      request.stream = absl::StrCat("concern-crash", batch);
      for (int i = 0; i < 1000; ++i) {
        events::v1::Event event;
        event.mutable_occurred_at()->set_seconds(1780000000 + batch * 1000 + i);
        event.mutable_actor()->set_agency_id("police-northshire");
        event.mutable_actor()->set_agency_kind(common::v1::AGENCY_KIND_POLICE);
        events::v1::ConcernRaised* raised = event.mutable_concern_raised();
        raised->set_concern_id(absl::StrCat("crash-", batch, "-", i));
        raised->set_person_id(absl::StrCat("person-", (batch * 1000 + i) % 7000));
        raised->set_episode(1);
        raised->mutable_details()->add_types_of_risk(common::v1::TYPE_OF_RISK_NEGLECT_AND_ACTS_OF_OMISSION);
        raised->mutable_details()->set_location_of_risk(common::v1::LOCATION_OF_RISK_OWN_HOME);
        raised->mutable_details()->set_what_happened("generated");
        eventstore::NewEvent stored;
        stored.type = "ConcernRaised";
        stored.payload = event.SerializeAsString();
        request.events.push_back(std::move(stored));
      }
      ASSERT_TRUE((*log)->Append(std::move(request)).ok());
    }
    (*log)->Close();
  }
  {
    absl::StatusOr<Hubd> hubd = StartHubd(data);
    ASSERT_TRUE(hubd.ok()) << hubd.status();
    hubd->process->Signal(SIGKILL);  // mid-fold: the backlog is 40,000 events
    hubd->process->WaitForExit(kStopTimeout);
  }
  {
    absl::StatusOr<Hubd> hubd = StartHubd(data, {"--dev_identity_from_metadata"});
    ASSERT_TRUE(hubd.ok()) << hubd.status();
    const std::vector<std::string> as = {"--agency=asc-northshire", "--user=ops",
                                         "--roles=administrator"};
    bool caught_up = false;
    for (int attempt = 0; attempt < 300 && !caught_up; ++attempt) {
      std::vector<std::string> args = {"--server=" + hubd->address(), "status"};
      args.insert(args.end(), as.begin(), as.end());
      CommandResult status = Hubctl(args);
      ASSERT_EQ(status.exit_code, 0) << status.err;
      caught_up = status.out.find("catching up") == std::string::npos &&
                  status.out.find("rebuilding") == std::string::npos;
      if (!caught_up) absl::SleepFor(absl::Milliseconds(100));
    }
    EXPECT_TRUE(caught_up);
    EXPECT_EQ(Stop(*hubd), 0);
  }
  CommandResult live = Hubctl({"--data_dir=" + data, "status", "--digest"});
  ASSERT_EQ(live.exit_code, 0) << live.err;
  const std::string rebuilt_dir = dir_.Sub("rebuilt-views");
  CommandResult rebuild = Hubctl({"--data_dir=" + data, "rebuild", "all", "--views_dir=" + rebuilt_dir});
  ASSERT_EQ(rebuild.exit_code, 0) << rebuild.err;
  EXPECT_THAT(rebuild.out, HasSubstr("rebuilt case_file"));
  CommandResult rebuilt =
      Hubctl({"--data_dir=" + data, "status", "--digest", "--views_dir=" + rebuilt_dir});
  ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.err;
  const auto live_digests = Digests(live.out);
  EXPECT_EQ(live_digests.size(), 6u) << live.out;
  EXPECT_EQ(live_digests, Digests(rebuilt.out)) << live.out << "\n" << rebuilt.out;
}

// The agreement in force is recorded once, and again only when a different one takes effect.
TEST_F(HubdE2eTest, AnAgreementIsRecordedWhenItTakesEffect) {
  const std::string data = dir_.Sub("data");
  const std::string changed = dir_.Sub("agreement.textproto");
  std::ofstream(changed) << ReadFile(HUB_SOURCE_DIR "/deploy/agreement.example.textproto")
                         << "# reviewed by the board, no change of substance\n";
  auto agreement_events = [&]() {
    CommandResult read = Hubctl(
        {"--data_dir=" + data, "read", "--stream=agreement", "--reason=agreement history"});
    EXPECT_EQ(read.exit_code, 0) << read.err;
    return std::count(read.out.begin(), read.out.end(), '\n');
  };
  for (int start = 0; start < 2; ++start) {
    absl::StatusOr<Hubd> hubd = StartHubd(data);
    ASSERT_TRUE(hubd.ok()) << hubd.status();
    EXPECT_EQ(Stop(*hubd), 0);
  }
  EXPECT_EQ(agreement_events(), 1);
  {
    absl::StatusOr<Hubd> hubd = StartHubd(data, {"--agreement=" + changed});
    ASSERT_TRUE(hubd.ok()) << hubd.status();
    EXPECT_THAT(hubd->log(), HasSubstr("took effect"));
    EXPECT_EQ(Stop(*hubd), 0);
  }
  EXPECT_EQ(agreement_events(), 2);
  CommandResult read = Hubctl(
      {"--data_dir=" + data, "read", "--stream=agreement", "--reason=agreement history"});
  EXPECT_THAT(read.out, HasSubstr("\"version\":\"2026.1\""));
  EXPECT_THAT(read.out, HasSubstr(changed));
  // Hosting the views without an agreement is refused before anything is opened.
  const std::string port_file = NextPath("port");
  absl::StatusOr<Hubd> refused = StartHubdWithArgs(
      {kHubdPath, "--listen=127.0.0.1:0", "--port_file=" + port_file,
       "--data_dir=" + dir_.Sub("other"), kPartnershipFlag, "--dev_identity_from_metadata"},
      port_file);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("--agreement"));
}

// hubd will not serve without knowing who its callers are, will not trust metadata beyond
// loopback or beside TLS, and says which flag is wrong (exit code 2) before opening anything.
TEST_F(HubdE2eTest, RefusesToStartWithoutACallerIdentity) {
  const struct {
    std::vector<std::string> flags;
    const char* says;
  } cases[] = {
      {{"--listen=127.0.0.1:0"}, "no caller identity"},
      {{"--listen=0.0.0.0:0", "--dev_identity_from_metadata"}, "non-loopback"},
      {{"--listen=[::]:0", "--dev_identity_from_metadata"}, "non-loopback"},
      // Spelt like loopback, but a name: what it resolves to decides, and here it resolves to
      // nothing.
      {{"--listen=127.0.0.1.example.invalid:0", "--dev_identity_from_metadata"},
       "--listen: cannot resolve"},
      {{"--listen=127.0.0.1:0", "--admin_listen=0.0.0.0:0", "--dev_identity_from_metadata"},
       "--admin_listen: --dev_identity_from_metadata is refused on a non-loopback address"},
      {{"--listen=127.0.0.1:0", "--dev_identity_from_metadata", "--tls_cert=/x.pem"},
       "not with --tls_cert"},
      {{"--listen=127.0.0.1:0", "--tls_cert=/x.pem"}, "--access: required"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> argv = {kHubdPath, "--data_dir=" + dir_.Sub("never"),
                                     kPartnershipFlag, kAgreementFlag};
    argv.insert(argv.end(), c.flags.begin(), c.flags.end());
    const std::string err = NextPath("refused.stderr");
    absl::StatusOr<std::unique_ptr<ChildProcess>> hubd =
        ChildProcess::Spawn(argv, NextPath("refused.stdout"), err);
    ASSERT_TRUE(hubd.ok());
    EXPECT_EQ((*hubd)->WaitForExit(e2e::kStartTimeout), 2) << c.says;
    EXPECT_THAT(ReadFile(err), HasSubstr(c.says));
  }
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("never")));
}

TEST_F(HubdE2eTest, HubctlUsageErrorsExitTwo) {
  EXPECT_EQ(Hubctl({}).exit_code, 2);
  EXPECT_EQ(Hubctl({"--data_dir=/nonexistent", "frobnicate"}).exit_code, 2);
  EXPECT_EQ(Hubctl({"head"}).exit_code, 2);  // neither --data_dir nor --server
  EXPECT_EQ(Hubctl({"--data_dir=x", "--server=y", "head"}).exit_code, 2);
  EXPECT_EQ(Hubctl({"--data_dir=x", "read"}).exit_code, 2);
  EXPECT_EQ(Hubctl({"--data_dir=x", "read", "--all"}).exit_code, 2);  // no --reason
  EXPECT_EQ(Hubctl({"--data_dir=x", "head", "--bogus"}).exit_code, 2);
  EXPECT_EQ(Hubctl({"--server=127.0.0.1:1", "restore", "/tmp/x"}).exit_code, 2);
  CommandResult help = Hubctl({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("usage: hubctl"));
}


// A full disk: the real hubd on a small tmpfs keeps running, answers UNAVAILABLE and reports
// NOT_SERVING; when space returns it resumes by itself, and every acknowledged concern is in
// the log, whose chain verifies. (It once aborted on a RocksDB assertion while writing its
// diagnostics to a LOG file on the full disk.) Needs to mount a tmpfs: skipped otherwise.
TEST_F(HubdE2eTest, AFullDiskRefusesWritesReportsNotServingAndRecoversWithNothingLost) {
  const std::string mount_point = dir_.Sub("small-disk");
  std::filesystem::create_directories(mount_point);
  if (::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=16m") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << std::strerror(errno);
  }
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{mount_point};
  const std::string data = mount_point + "/data";
  absl::StatusOr<Hubd> hubd = StartHubd(data);
  ASSERT_TRUE(hubd.ok()) << hubd.status();
  auto intake = api::ReferralIntake::NewStub(hubd->Channel());
  const std::string narrative(19000, 'x');
  auto raise = [&](int i) {
    api::RaiseConcernRequest request;
    request.mutable_header()->set_command_id(absl::StrCat("fill-", i));
    request.mutable_adult()->mutable_name()->set_given("Fill");
    request.mutable_adult()->mutable_name()->set_family(absl::StrCat("Er", i));
    common::v1::ConcernDetails* d = request.mutable_details();
    d->set_what_happened(narrative);
    d->add_types_of_risk(common::v1::TYPE_OF_RISK_SELF_NEGLECT);
    d->set_location_of_risk(common::v1::LOCATION_OF_RISK_OWN_HOME);
    d->mutable_referrer()->set_name("Filler");
    d->mutable_consent()->set_status(common::v1::CONSENT_STATUS_GIVEN);
    grpc::ClientContext context;
    context.set_deadline(CallDeadline());
    context.AddMetadata("x-hub-agency", "asc-northshire");
    context.AddMetadata("x-hub-user", absl::StrCat("filler-", i));  // a bucket each
    context.AddMetadata("x-hub-roles", "referrer");
    api::RaiseConcernResponse response;
    return intake->RaiseConcern(&context, request, &response);
  };
  int acknowledged = 0;
  grpc::Status refused;
  for (int i = 0; i < 2000 && refused.ok(); ++i) {
    refused = raise(i);
    if (refused.ok()) ++acknowledged;
  }
  ASSERT_EQ(refused.error_code(), grpc::UNAVAILABLE) << refused.error_message();
  EXPECT_THAT(refused.error_message(), HasSubstr("no space left"));
  EXPECT_GT(acknowledged, 50);
  EXPECT_EQ(Health(*hubd, ""), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(Health(*hubd, "hub.api.v1.ReferralIntake"), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(raise(100000).error_code(), grpc::UNAVAILABLE);  // still refused, still running

  // Space returns: the hub resumes without a restart, and the refused command, retried with
  // its command id, lands once.
  ASSERT_EQ(::mount("tmpfs", mount_point.c_str(), "tmpfs", MS_REMOUNT, "size=64m"), 0)
      << std::strerror(errno);
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (Health(*hubd, "") != HealthCheckResponse::SERVING && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(Health(*hubd, ""), HealthCheckResponse::SERVING);
  const grpc::Status retried = raise(acknowledged);
  EXPECT_TRUE(retried.ok()) << retried.error_message();
  EXPECT_TRUE(raise(100001).ok());
  ASSERT_EQ(Stop(*hubd), 0);

  // Every acknowledged concern is in the log, each once, and the chain verifies.
  eventstore::RocksDbOptions read_only;
  read_only.read_only = true;
  auto log = eventstore::OpenRocksDbEventLog(data, read_only);
  ASSERT_TRUE(log.ok()) << log.status();
  const absl::StatusOr<eventstore::VerifyReport> report = (*log)->Verify({});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok) << report->problem;
  std::set<std::string> concerns;
  eventstore::ReadAllOptions all;
  all.event_type = "ConcernRaised";
  all.limit = 1000;
  for (bool end = false; !end;) {
    absl::StatusOr<eventstore::ReadAllResult> page = (*log)->ReadAll(all);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const eventstore::RecordedEvent& event : page->events) {
      EXPECT_TRUE(concerns.insert(event.stream).second) << event.stream << " twice";
    }
    all.from = page->next;
    end = page->end_of_log;
  }
  // The acknowledged ones, the retried one and the one after.
  EXPECT_EQ(static_cast<int>(concerns.size()), acknowledged + 2);
  (*log)->Close();
}


// One event that cannot be decoded (a damaged record, written here behind hubd's back) no
// longer stalls every read model: hubd quarantines it, says so in the projections' status,
// and the hub keeps answering, including reads of what came after it.
TEST_F(HubdE2eTest, APoisonedEventIsQuarantinedAndTheHubKeepsServing) {
  const std::string data = dir_.Sub("data");
  {
    absl::StatusOr<std::unique_ptr<eventstore::EventLog>> log =
        eventstore::OpenRocksDbEventLog(data, eventstore::RocksDbOptions());
    ASSERT_TRUE(log.ok()) << log.status();
    eventstore::AppendRequest poison;
    poison.stream = "concern-damaged";
    poison.events.push_back({"", "ConcernTriaged", 1, std::string("\xff\xff\xff\x01 not a proto", 17), {}});
    ASSERT_TRUE((*log)->Append(std::move(poison)).ok());
    (*log)->Close();
  }
  absl::StatusOr<Hubd> hubd = StartHubd(data);
  ASSERT_TRUE(hubd.ok()) << hubd.status();
  auto with = [](grpc::ClientContext& context, const char* user, const char* roles) {
    context.set_deadline(CallDeadline());
    context.AddMetadata("x-hub-agency", "asc-northshire");
    context.AddMetadata("x-hub-user", user);
    context.AddMetadata("x-hub-roles", roles);
  };
  api::RaiseConcernRequest raise;
  raise.mutable_header()->set_command_id("after-the-poison");
  raise.mutable_adult()->mutable_name()->set_given("Ada");
  raise.mutable_adult()->mutable_name()->set_family("Later");
  raise.mutable_details()->set_what_happened("Raised after a damaged record.");
  raise.mutable_details()->add_types_of_risk(common::v1::TYPE_OF_RISK_SELF_NEGLECT);
  raise.mutable_details()->set_location_of_risk(common::v1::LOCATION_OF_RISK_OWN_HOME);
  raise.mutable_details()->mutable_referrer()->set_name("Duty worker");
  raise.mutable_details()->mutable_consent()->set_status(common::v1::CONSENT_STATUS_GIVEN);
  api::RaiseConcernResponse raised;
  {
    grpc::ClientContext context;
    with(context, "duty.worker", "mash_triage");
    const grpc::Status status =
        api::ReferralIntake::NewStub(hubd->Channel())->RaiseConcern(&context, raise, &raised);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  {
    // Reading one's own write waits for the views to pass the damaged record.
    api::GetCaseRequest get;
    get.mutable_header()->set_purpose(common::v1::PURPOSE_TRIAGE);
    get.mutable_header()->set_min_position(raised.result().global_position());
    get.set_concern_id(raised.concern_id());
    api::GetCaseResponse view;
    grpc::ClientContext context;
    with(context, "duty.worker", "mash_triage");
    const grpc::Status status = api::Views::NewStub(hubd->Channel())->GetCase(&context, get, &view);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(view.view().narrative().what_happened(), "Raised after a damaged record.");
  }
  {
    api::GetProjectionStatusResponse projections;
    grpc::ClientContext context;
    with(context, "operator", "administrator");
    const grpc::Status status = api::ProjectionAdmin::NewStub(hubd->Channel())
                                    ->GetProjectionStatus(&context, {}, &projections);
    ASSERT_TRUE(status.ok()) << status.error_message();
    bool case_file = false;
    for (const api::ProjectionStatus& p : projections.projections()) {
      EXPECT_TRUE(p.error().empty()) << p.name() << ": " << p.error();
      if (p.name() != "case_file") continue;
      case_file = true;
      EXPECT_EQ(p.events_quarantined(), 1);
      ASSERT_EQ(p.quarantined_size(), 1);
      EXPECT_EQ(p.quarantined(0).position(), 0);
    }
    EXPECT_TRUE(case_file);
  }
  ASSERT_EQ(Stop(*hubd), 0);
}

}  // namespace
}  // namespace hub
