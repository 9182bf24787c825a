// EventStoreService: the hub.api.v1.EventStore gRPC service over an EventLog, so that other
// processes can share one log.
//
// Uses gRPC's callback API. Append hands the request to EventLog::AppendAsync and finishes
// the call from the log's completion callback: no gRPC thread ever waits for an fsync, which
// is what lets one synced write carry many appends (group commit). ReadStream and ReadAll are
// reads answered on the service's task runner once their RawLogAccessed record is durable
// (raw_access.h). Subscribe is a reactor per call (internal/subscribe_reactor.h), recorded
// when it opens and ended when the caller's credentials expire. Append refuses hub events and
// the hub's own streams (CheckRawAppend in translate.h).
//
// Lifecycle: construct over a log that outlives it, register with a grpc::ServerBuilder,
// and at shutdown call Shutdown() BEFORE grpc::Server::Shutdown (subscriptions never end by
// themselves), then destroy the service only after the server has shut down.
// Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

#include "absl/functional/any_invocable.h"
#include "base/clock.h"
#include "eventstore/event_log.h"
#include "grpcpp/grpcpp.h"
#include "hub/api/v1/event_store_service.grpc.pb.h"
#include "services/common/authenticator.h"
#include "services/eventstore/translate.h"
#include "services/eventstore/internal/subscribe_reactor.h"
#include "services/eventstore/internal/task_runner.h"

namespace hub::services {

// Trailing metadata key of an ABORTED append: the stream's actual version (-1 = no stream).
inline constexpr char kActualVersionMetadataKey[] = "hub-actual-version";

class EventStoreService final : public api::v1::EventStore::CallbackService {
 public:
  struct Options {
    // Must be the limits the log was opened with: requests are validated against them
    // before they are queued.
    eventstore::Limits limits;
    // Events read per step by a subscription: the memory bound of one subscriber.
    int subscribe_batch_size = 128;
    // Records one filtered subscription read may examine before writing or re-reading.
    int64_t subscribe_max_scan = 10000;
    // Who is calling; every call needs an operator (the table in command_rules.cc). Without
    // one every call is refused.
    const Authenticator* authenticator = nullptr;
    // Stamps the RawLogAccessed records of reads and subscriptions.
    const Clock* clock = &SystemClock::Get();
  };

  EventStoreService(eventstore::EventLog& log, const Options& options);
  ~EventStoreService() override = default;

  // Ends every active subscription with UNAVAILABLE "server shutting down" and refuses new
  // ones (also UNAVAILABLE). Unary calls are unaffected: grpc::Server::Shutdown drains them.
  // Idempotent.
  void Shutdown();

  // Subscriptions currently running (a gauge for logs and tests).
  size_t active_subscriptions() const { return subscribers_.size(); }

  // hub::api::v1::EventStore::CallbackService
  grpc::ServerUnaryReactor* Append(grpc::CallbackServerContext* context,
                                   const api::v1::AppendRequest* request,
                                   api::v1::AppendResponse* response) override;
  grpc::ServerUnaryReactor* ReadStream(grpc::CallbackServerContext* context,
                                       const api::v1::ReadStreamRequest* request,
                                       api::v1::ReadStreamResponse* response) override;
  grpc::ServerUnaryReactor* ReadAll(grpc::CallbackServerContext* context,
                                    const api::v1::ReadAllRequest* request,
                                    api::v1::ReadAllResponse* response) override;
  grpc::ServerWriteReactor<api::v1::SubscribeResponse>* Subscribe(
      grpc::CallbackServerContext* context, const api::v1::SubscribeRequest* request) override;

 private:
  // The caller, if they may call EventStore/`method`.
  [[nodiscard]] absl::StatusOr<domain::Caller> Allowed(const grpc::ServerContextBase& context,
                                                       const char* method) const;
  // Appends `access` as `caller`'s RawLogAccessed record, then runs `answer` on the task
  // runner (never on a log thread) with OK, or with the status to answer when the record
  // could not be written (the read must then hand out nothing).
  void RecordThen(const domain::Caller& caller, events::v1::RawLogAccessed access,
                  absl::Time deadline, absl::AnyInvocable<void(absl::Status) &&> answer);
  [[nodiscard]] absl::Status ReadStreamImpl(const ReadStreamQuery& query,
                                            api::v1::ReadStreamResponse& response);
  [[nodiscard]] absl::Status ReadAllImpl(const eventstore::ReadAllOptions& options,
                                         api::v1::ReadAllResponse& response);

  eventstore::EventLog& log_;
  const Options options_;
  services_internal::SubscriberSet subscribers_;
  // Declared after subscribers_ so that it is destroyed first: its remaining tasks may still
  // finish subscriptions, which remove themselves from subscribers_.
  services_internal::TaskRunner runner_;
};

}  // namespace hub::services
