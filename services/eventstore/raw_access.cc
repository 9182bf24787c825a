#include "services/eventstore/raw_access.h"

#include <unistd.h>

#include <atomic>
#include <utility>

#include "absl/strings/str_cat.h"
#include "domain/common/envelope.h"
#include "domain/common/streams.h"
#include "app/case_store.h"
#include "app/command_request.h"

namespace hub::services {

using app::EncodeEvent;
using app::DeriveId;
using app::CheckText;
namespace {

std::string HostName() {
  char name[256] = {0};
  if (::gethostname(name, sizeof(name) - 1) != 0) return "";
  return name;
}

}  // namespace

absl::Status CheckRawAccessReason(const std::string& reason, const std::string& field) {
  return CheckText(field, reason, kMaxRawAccessReasonBytes, /*required=*/false);
}

eventstore::AppendRequest RawAccessAppend(const domain::Caller& caller, absl::Time now,
                                          events::v1::RawLogAccessed access) {
  static std::atomic<uint64_t> counter{0};
  static const std::string host = HostName();
  access.set_access_id(DeriveId(absl::StrCat(caller.agency_id, "/", caller.user_id, "/",
                                             absl::ToUnixNanos(now), "/", ::getpid(), "/",
                                             counter.fetch_add(1)),
                                "raw-access"));
  access.set_host(host);
  domain::CommandContext ctx;
  ctx.caller = caller;
  ctx.now = now;
  events::v1::Event event = domain::NewEvent(ctx);
  *event.mutable_raw_log_accessed() = std::move(access);

  eventstore::AppendRequest append;
  append.stream = domain::kOperatorAccessStream;
  append.expected = eventstore::ExpectedVersion::Any();
  append.events.push_back(EncodeEvent(event));
  return append;
}

absl::Status RawAccessNotRecorded(const absl::Status& append_status) {
  return absl::UnavailableError(absl::StrCat(
      "the raw access could not be recorded, so nothing is handed out: ",
      append_status.message()));
}

absl::StatusOr<int64_t> RecordRawAccess(eventstore::EventLog& log, const domain::Caller& caller,
                                        absl::Time now, events::v1::RawLogAccessed access) {
  absl::StatusOr<eventstore::AppendResult> appended =
      log.Append(RawAccessAppend(caller, now, std::move(access)));
  if (!appended.ok()) return RawAccessNotRecorded(appended.status());
  return appended->last_position.value();
}

}  // namespace hub::services
