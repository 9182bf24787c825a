#include "services/eventstore/event_store_service.h"

#include <optional>
#include <string>
#include <utility>

#include "base/status_macros.h"
#include "app/command_rules.h"
#include "services/common/deadline.h"
#include "services/common/grpc_status.h"
#include "services/eventstore/raw_access.h"
#include "services/eventstore/translate.h"

namespace hub::services {
namespace {

// Maps a finished append onto the call: the response on success; on ABORTED, the actual
// version also as trailing metadata so that a client can retry without parsing the message.
grpc::Status CompleteAppend(const absl::StatusOr<eventstore::AppendResult>& result,
                            grpc::CallbackServerContext& context,
                            api::v1::AppendResponse& response) {
  if (result.ok()) {
    AppendResultToProto(*result, &response);
    return grpc::Status::OK;
  }
  if (std::optional<StreamVersion> actual = eventstore::ActualVersion(result.status())) {
    context.AddTrailingMetadata(kActualVersionMetadataKey, std::to_string(actual->value()));
  }
  return ToGrpcStatus(result.status());
}

}  // namespace

EventStoreService::EventStoreService(eventstore::EventLog& log, const Options& options)
    : log_(log), options_(options), runner_("hub-subscribe") {}

void EventStoreService::Shutdown() {
  subscribers_.StopAll(grpc::Status(grpc::UNAVAILABLE, "server shutting down"));
}

grpc::ServerUnaryReactor* EventStoreService::Append(grpc::CallbackServerContext* context,
                                                    const api::v1::AppendRequest* request,
                                                    api::v1::AppendResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (absl::Status allowed = Allowed(*context, "Append").status(); !allowed.ok()) {
    reactor->Finish(ToGrpcStatus(allowed));
    return reactor;
  }
  absl::StatusOr<eventstore::AppendRequest> append = AppendRequestFromProto(
      *request, DeadlineFromGrpc(context->deadline()), options_.limits);
  if (append.ok()) {
    if (absl::Status raw = CheckRawAppend(*append); !raw.ok()) append = raw;
  }
  if (!append.ok()) {
    reactor->Finish(ToGrpcStatus(append.status()));
    return reactor;
  }
  // Finished from the log's writer thread once the group's synced write is done; the call
  // (context, response) stays valid until Finish.
  log_.AppendAsync(*std::move(append),
                   [reactor, context, response](
                       absl::StatusOr<eventstore::AppendResult> result) mutable {
                     reactor->Finish(CompleteAppend(result, *context, *response));
                   });
  return reactor;
}

grpc::ServerUnaryReactor* EventStoreService::ReadStream(grpc::CallbackServerContext* context,
                                                        const api::v1::ReadStreamRequest* request,
                                                        api::v1::ReadStreamResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<domain::Caller> caller = Allowed(*context, "ReadStream");
  absl::StatusOr<ReadStreamQuery> query =
      caller.ok() ? ReadStreamQueryFromProto(*request, options_.limits) : caller.status();
  if (!query.ok()) {
    reactor->Finish(ToGrpcStatus(query.status()));
    return reactor;
  }
  RecordThen(*caller, RawAccessOf(*request), DeadlineFromGrpc(context->deadline()),
             [this, reactor, response, query = *std::move(query)](absl::Status recorded) {
               if (recorded.ok()) recorded = ReadStreamImpl(query, *response);
               reactor->Finish(ToGrpcStatus(recorded));
             });
  return reactor;
}

grpc::ServerUnaryReactor* EventStoreService::ReadAll(grpc::CallbackServerContext* context,
                                                     const api::v1::ReadAllRequest* request,
                                                     api::v1::ReadAllResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const absl::Time deadline = DeadlineFromGrpc(context->deadline());
  absl::StatusOr<domain::Caller> caller = Allowed(*context, "ReadAll");
  absl::StatusOr<eventstore::ReadAllOptions> options =
      caller.ok() ? ReadAllOptionsFromProto(*request, deadline, options_.limits)
                  : caller.status();
  if (!options.ok()) {
    reactor->Finish(ToGrpcStatus(options.status()));
    return reactor;
  }
  RecordThen(*caller, RawAccessOf(*request), deadline,
             [this, reactor, response, options = *std::move(options)](absl::Status recorded) {
               if (recorded.ok()) recorded = ReadAllImpl(options, *response);
               reactor->Finish(ToGrpcStatus(recorded));
             });
  return reactor;
}

grpc::ServerWriteReactor<api::v1::SubscribeResponse>* EventStoreService::Subscribe(
    grpc::CallbackServerContext* context, const api::v1::SubscribeRequest* request) {
  services_internal::SubscribeEnv env{
      .log = &log_,
      .runner = &runner_,
      .subscribers = &subscribers_,
      .limits = options_.limits,
      .batch_size = options_.subscribe_batch_size,
      .max_scan = options_.subscribe_max_scan,
  };
  absl::StatusOr<domain::Caller> caller = Allowed(*context, "Subscribe");
  services_internal::SubscribeCaller who;
  if (caller.ok()) {
    // The record is appended when the request has been validated, before the first read.
    who.record = RawAccessAppend(*caller, options_.clock->Now(), RawAccessOf(*request));
    who.record.deadline = DeadlineFromGrpc(context->deadline());
    who.expires_at = caller->expires_at;
  }
  return services_internal::SubscribeReactor::Start(env, context, *request,
                                                    ToGrpcStatus(caller.status()), std::move(who));
}

absl::StatusOr<domain::Caller> EventStoreService::Allowed(const grpc::ServerContextBase& context,
                                                          const char* method) const {
  return AuthorizeCaller(options_.authenticator, context,
                         std::string("hub.api.v1.EventStore/") + method);
}

void EventStoreService::RecordThen(const domain::Caller& caller,
                                   events::v1::RawLogAccessed access, absl::Time deadline,
                                   absl::AnyInvocable<void(absl::Status) &&> answer) {
  eventstore::AppendRequest record =
      RawAccessAppend(caller, options_.clock->Now(), std::move(access));
  record.deadline = deadline;
  // The read runs on the runner: the completion comes on the log's writer thread, where a
  // disk read would hold up every other append's group commit.
  log_.AppendAsync(std::move(record),
                   [this, answer = std::move(answer)](
                       absl::StatusOr<eventstore::AppendResult> appended) mutable {
                     absl::Status recorded =
                         appended.ok() ? absl::OkStatus() : RawAccessNotRecorded(appended.status());
                     runner_.Post([answer = std::move(answer), recorded]() mutable {
                       std::move(answer)(recorded);
                     });
                   });
}

absl::Status EventStoreService::ReadStreamImpl(const ReadStreamQuery& query,
                                               api::v1::ReadStreamResponse& response) {
  HUB_ASSIGN_OR_RETURN(eventstore::ReadStreamResult result,
                       log_.ReadStream(query.stream, query.options));
  ReadStreamResultToProto(result, kMaxReadResponseBytes, &response);
  return absl::OkStatus();
}

absl::Status EventStoreService::ReadAllImpl(const eventstore::ReadAllOptions& options,
                                            api::v1::ReadAllResponse& response) {
  HUB_ASSIGN_OR_RETURN(eventstore::ReadAllResult result, log_.ReadAll(options));
  ReadAllResultToProto(result, kMaxReadResponseBytes, &response);
  return absl::OkStatus();
}

}  // namespace hub::services
