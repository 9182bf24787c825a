#include "tools/hubctl/views_commands.h"

#include <filesystem>
#include <iomanip>
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "eventstore/kv_store.h"
#include "eventstore/rocksdb/rocksdb_event_log.h"
#include "hub/api/v1/views_service.grpc.pb.h"
#include "projections/engine/projection.h"
#include "services/views/views_service.h"

namespace hub::hubctl {
namespace {

namespace api = ::hub::api::v1;

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;

int Fail(const std::string& message) {
  std::cerr << "hubctl: " << message << "\n";
  return kExitFailed;
}

int FailGrpc(const grpc::Status& status) {
  return Fail(absl::StrCat(status.error_message(), " (", status.error_code(), ")"));
}


void PrintStatusHeader() {
  std::cout << std::left << std::setw(16) << "projection" << std::right << std::setw(12)
            << "position" << std::setw(12) << "head" << std::setw(10) << "lag"
            << "  state\n";
}

void PrintStatusLine(const std::string& name, int64_t position, int64_t head, int64_t lag,
                     const std::string& state) {
  std::cout << std::left << std::setw(16) << name << std::right << std::setw(12) << position
            << std::setw(12) << head << std::setw(10) << lag << "  " << state << "\n";
}

std::string QuarantineNote(int64_t quarantined) {
  return quarantined == 0 ? "" : absl::StrCat("; ", quarantined, " event(s) QUARANTINED");
}

std::string StateOf(const api::ProjectionStatus& s) {
  std::string note = QuarantineNote(s.events_quarantined());
  if (s.unreadable_entries() > 0) {
    absl::StrAppend(&note, "; ", s.unreadable_entries(), " entry(ies) UNREADABLE (rebuild it)");
  }
  if (!s.error().empty()) return absl::StrCat("error: ", s.error(), note);
  if (s.rebuilding()) {
    const int64_t target = std::max<int64_t>(1, s.rebuild_target() + 1);
    return absl::StrCat("rebuilding ", std::min<int64_t>(100, s.position() * 100 / target), "% (",
                        s.position(), "/", target, ")", note);
  }
  return absl::StrCat(s.lag() == 0 ? "up to date" : "catching up", note);
}

// One line per quarantined event, after the table: what an operator needs to find it in the log
// (hubctl read --from POSITION).
void PrintQuarantined(const std::string& name, int64_t position, const std::string& stream,
                      const std::string& type, const std::string& reason) {
  std::cout << "quarantined  " << name << "  position " << position << "  " << stream << "  "
            << type << ": " << reason << "\n";
}

absl::StatusOr<std::string> ViewsDir(const std::string& data_dir, const std::string& views_dir) {
  std::string dir = views_dir.empty() ? data_dir + "/views" : views_dir;
  std::error_code ec;
  if (!std::filesystem::is_directory(data_dir, ec)) {
    return absl::NotFoundError(absl::StrCat("no data directory at ", data_dir));
  }
  return dir;
}

}  // namespace

std::unique_ptr<grpc::ClientContext> CallContext(const CallIdentity& as, absl::Duration timeout) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  if (!as.token.empty()) context->AddMetadata("authorization", "Bearer " + as.token);
  if (!as.agency.empty()) context->AddMetadata("x-hub-agency", as.agency);
  if (!as.user.empty()) context->AddMetadata("x-hub-user", as.user);
  if (!as.roles.empty()) context->AddMetadata("x-hub-roles", as.roles);
  return context;
}

int StatusRemote(const std::shared_ptr<grpc::Channel>& channel, const CallIdentity& as,
                 absl::Duration timeout) {
  auto stub = api::ProjectionAdmin::NewStub(channel);
  api::GetProjectionStatusResponse response;
  grpc::Status status =
      stub->GetProjectionStatus(CallContext(as, timeout).get(), api::GetProjectionStatusRequest(), &response);
  if (!status.ok()) return FailGrpc(status);
  PrintStatusHeader();
  bool healthy = true;
  for (const api::ProjectionStatus& s : response.projections()) {
    PrintStatusLine(s.name(), s.position(), s.head(), s.lag(), StateOf(s));
    healthy = healthy && s.error().empty() && s.events_quarantined() == 0 &&
              s.unreadable_entries() == 0;
  }
  for (const api::ProjectionStatus& s : response.projections()) {
    for (const api::QuarantinedEvent& q : s.quarantined()) {
      PrintQuarantined(s.name(), q.position(), q.stream(), q.type(), q.reason());
    }
    if (s.events_quarantined() > s.quarantined_size()) {
      std::cout << "quarantined  " << s.name() << "  and "
                << s.events_quarantined() - s.quarantined_size() << " more\n";
    }
  }
  return healthy ? kExitOk : kExitFailed;
}

int RebuildRemote(const std::shared_ptr<grpc::Channel>& channel, const CallIdentity& as,
                  absl::Duration timeout, const std::string& name, bool wait) {
  auto stub = api::ProjectionAdmin::NewStub(channel);
  std::vector<std::string> names;
  if (name == "all") {
    api::GetProjectionStatusResponse response;
    grpc::Status status = stub->GetProjectionStatus(CallContext(as, timeout).get(),
                                                    api::GetProjectionStatusRequest(), &response);
    if (!status.ok()) return FailGrpc(status);
    for (const auto& s : response.projections()) names.push_back(s.name());
  } else {
    names.push_back(name);
  }
  for (const std::string& n : names) {
    api::RebuildProjectionRequest request;
    request.set_name(n);
    api::RebuildProjectionResponse response;
    grpc::Status status = stub->RebuildProjection(CallContext(as, timeout).get(), request, &response);
    if (!status.ok()) return FailGrpc(status);
    std::cerr << "rebuilding " << n << " from position 0\n";
  }
  if (!wait) return kExitOk;
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(200));
    api::GetProjectionStatusResponse response;
    grpc::Status status = stub->GetProjectionStatus(CallContext(as, timeout).get(),
                                                    api::GetProjectionStatusRequest(), &response);
    if (!status.ok()) return FailGrpc(status);
    bool done = true;
    for (const auto& s : response.projections()) {
      if (std::find(names.begin(), names.end(), s.name()) == names.end()) continue;
      if (!s.error().empty()) return Fail(absl::StrCat(s.name(), ": ", s.error()));
      if (s.rebuilding() || s.lag() > 0) {
        done = false;
        std::cerr << s.name() << ": " << StateOf(s) << "\n";
      }
    }
    if (done) {
      std::cout << "rebuilt " << absl::StrJoin(names, ", ") << "\n";
      return kExitOk;
    }
  }
  return Fail("the rebuild is still running (see hubctl status)");
}

int SacRemote(const std::shared_ptr<grpc::Channel>& channel, const CallIdentity& as,
              absl::Duration timeout, int year, const std::string& la_code) {
  auto stub = api::Views::NewStub(channel);
  api::GetSafeguardingAdultsCollectionRequest request;
  request.set_reporting_year(year);
  request.set_local_authority_code(la_code);
  request.mutable_header()->set_purpose(common::v1::PURPOSE_STATISTICS);
  api::GetSafeguardingAdultsCollectionResponse response;
  grpc::Status status =
      stub->GetSafeguardingAdultsCollection(CallContext(as, timeout).get(), request, &response);
  if (!status.ok()) return FailGrpc(status);
  std::cout << response.csv();
  return kExitOk;
}

int StatusOffline(const std::string& data_dir, const std::string& views_dir, bool digest) {
  absl::StatusOr<std::string> dir = ViewsDir(data_dir, views_dir);
  if (!dir.ok()) return Fail(std::string(dir.status().message()));
  eventstore::RocksDbOptions log_options;
  log_options.create_if_missing = false;
  log_options.read_only = true;
  auto log = eventstore::OpenRocksDbEventLog(data_dir, log_options);
  if (!log.ok()) return Fail(std::string(log.status().message()));
  const int64_t head = (*log)->GetHead().position.value();
  std::unique_ptr<eventstore::KvStore> store;
  std::error_code ec;
  if (std::filesystem::exists(*dir, ec)) {
    auto opened = eventstore::OpenRocksDbKvStore(*dir, {.create_if_missing = false, .read_only = true});
    if (!opened.ok()) return Fail(std::string(opened.status().message()));
    store = std::move(*opened);
  }
  PrintStatusHeader();
  std::vector<std::pair<std::string, projections::QuarantinedEvent>> quarantined;
  for (const auto& projection : services::HubProjections()) {
    int64_t position = 0;
    std::string note;
    if (store) {
      auto checkpoint = projections::ReadCheckpoint(*store, projection->name());
      if (!checkpoint.ok()) return Fail(std::string(checkpoint.status().message()));
      position = *checkpoint;
      auto listed = projections::ListQuarantined(*store, projection->name());
      if (!listed.ok()) return Fail(std::string(listed.status().message()));
      note = QuarantineNote(static_cast<int64_t>(listed->size()));
      for (auto& q : *listed) quarantined.emplace_back(std::string(projection->name()), std::move(q));
    }
    const int64_t lag = std::max<int64_t>(0, head + 1 - position);
    std::string state =
        absl::StrCat(lag == 0 ? "up to date" : "behind (folds when hubd starts)", note);
    if (digest && store) {
      auto d = projections::Digest(*store, projection->name());
      if (!d.ok()) return Fail(std::string(d.status().message()));
      state = absl::StrCat(state, "  sha256:", *d);
    }
    PrintStatusLine(std::string(projection->name()), position, head, lag, state);
  }
  for (const auto& [name, q] : quarantined) {
    PrintQuarantined(name, q.position, q.stream, q.type, q.reason);
  }
  (*log)->Close();
  return quarantined.empty() ? kExitOk : kExitFailed;
}

int RebuildOffline(const std::string& data_dir, const std::string& views_dir,
                   const std::string& name) {
  absl::StatusOr<std::string> dir = ViewsDir(data_dir, views_dir);
  if (!dir.ok()) return Fail(std::string(dir.status().message()));
  eventstore::RocksDbOptions log_options;
  log_options.create_if_missing = false;
  log_options.read_only = true;
  auto log = eventstore::OpenRocksDbEventLog(data_dir, log_options);
  if (!log.ok()) return Fail(std::string(log.status().message()));
  auto store = eventstore::OpenRocksDbKvStore(*dir, {});
  if (!store.ok()) {
    return Fail(absl::StrCat(store.status().message(), " (is hubd running? use --server)"));
  }
  const int64_t head = (*log)->GetHead().position.value();
  bool found = false;
  for (const auto& projection : services::HubProjections()) {
    if (name != "all" && projection->name() != name) continue;
    found = true;
    const absl::Time start = absl::Now();
    int64_t last_report = 0;
    absl::Status status = projections::CatchUp(
        **log, **store, *projection, /*from_scratch=*/true, [&](int64_t reached) {
          if (reached - last_report >= 100000 || reached > head) {
            std::cerr << projection->name() << ": " << reached << "/" << head + 1 << "\n";
            last_report = reached;
          }
        });
    if (!status.ok()) return Fail(absl::StrCat(std::string(projection->name()), ": ", status.message()));
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    std::cout << "rebuilt " << projection->name() << ": " << head + 1 << " events in "
              << std::fixed << std::setprecision(2) << seconds << " s\n";
  }
  (*log)->Close();
  if (!found) return Fail(absl::StrCat("no projection named '", name, "'"));
  return kExitOk;
}

}  // namespace hub::hubctl
