#include "services/eventstore/internal/subscribe_reactor.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "services/common/deadline.h"
#include "services/common/eventstore_proto.h"
#include "services/common/grpc_status.h"
#include "services/eventstore/raw_access.h"
#include "services/eventstore/translate.h"

namespace hub::services::services_internal {
namespace {

grpc::Status ShuttingDown() { return grpc::Status(grpc::UNAVAILABLE, "server shutting down"); }

}  // namespace

bool SubscriberSet::Add(const std::shared_ptr<SubscribeReactor>& reactor) {
  absl::MutexLock lock(&mu_);
  if (closed_) return false;
  live_[reactor.get()] = reactor;
  return true;
}

void SubscriberSet::Remove(const SubscribeReactor* reactor) {
  absl::MutexLock lock(&mu_);
  live_.erase(reactor);
}

void SubscriberSet::StopAll(const grpc::Status& status) {
  std::vector<std::shared_ptr<SubscribeReactor>> live;
  {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    live.reserve(live_.size());
    for (const auto& [ptr, weak] : live_) {
      if (std::shared_ptr<SubscribeReactor> reactor = weak.lock()) live.push_back(reactor);
    }
  }
  // Outside mu_: a reactor finishing may call Remove.
  for (const auto& reactor : live) reactor->Stop(status);
}

size_t SubscriberSet::size() const {
  absl::MutexLock lock(&mu_);
  return live_.size();
}

SubscribeReactor::SubscribeReactor(const SubscribeEnv& env, absl::Time deadline)
    : env_(env), deadline_(deadline) {}

grpc::ServerWriteReactor<api::v1::SubscribeResponse>* SubscribeReactor::Start(
    const SubscribeEnv& env, grpc::CallbackServerContext* context,
    const api::v1::SubscribeRequest& request, const grpc::Status& refused_by_caller,
    SubscribeCaller caller) {
  std::shared_ptr<SubscribeReactor> reactor(
      new SubscribeReactor(env, DeadlineFromGrpc(context->deadline())));
  reactor->self_ = reactor;
  absl::StatusOr<SubscribeQuery> query = SubscribeQueryFromProto(request, env.limits);
  grpc::Status refused = refused_by_caller;
  if (!refused.ok()) {
    // Refused before anything is read or registered.
  } else if (!query.ok()) {
    refused = ToGrpcStatus(query.status());
  } else if (!env.subscribers->Add(reactor)) {
    refused = ShuttingDown();
  }
  if (!refused.ok()) {
    {
      absl::MutexLock lock(&reactor->mu_);
      reactor->activity_ = Activity::kFinished;
    }
    reactor->Finish(refused);
    return reactor.get();
  }
  reactor->next_ = query->from;
  reactor->filter_ = std::move(query->filter);
  if (caller.expires_at != absl::InfiniteFuture()) {
    // The runner holds only a weak reference: a subscription that ends earlier is not kept.
    env.runner->PostAt(caller.expires_at, [weak = std::weak_ptr<SubscribeReactor>(reactor),
                                           at = caller.expires_at] {
      if (std::shared_ptr<SubscribeReactor> self = weak.lock()) {
        self->Stop(grpc::Status(
            grpc::UNAUTHENTICATED,
            absl::StrCat("the caller's credentials expired at ", absl::FormatTime(at),
                         "; subscribe again with valid credentials")));
      }
    });
  }
  // The pending append holds the token. A write started before gRPC binds the reactor is held
  // by gRPC until it does.
  env.log->AppendAsync(std::move(caller.record),
                       [self = reactor](absl::StatusOr<eventstore::AppendResult> appended) mutable {
                         absl::Status recorded = appended.ok()
                                                     ? absl::OkStatus()
                                                     : RawAccessNotRecorded(appended.status());
                         TaskRunner* runner = self->env_.runner;
                         runner->Post([self = std::move(self), recorded] {
                           self->OnRecorded(recorded);
                         });
                       });
  return reactor.get();
}

void SubscribeReactor::OnRecorded(const absl::Status& recorded) {
  if (!recorded.ok()) {
    absl::MutexLock lock(&mu_);
    SetStopLocked(env_.log->closing() ? ShuttingDown() : ToGrpcStatus(recorded));
  }
  Advance();  // finishes at once when a stop status is set
}

void SubscribeReactor::SetStopLocked(const grpc::Status& status) {
  if (!stop_.has_value()) stop_ = status;
}

void SubscribeReactor::Stop(const grpc::Status& status) {
  grpc::Status finish_with;
  {
    absl::MutexLock lock(&mu_);
    if (activity_ == Activity::kFinished) return;
    SetStopLocked(status);
    // Only a parked subscription is finished from here; any other holder of the token sees
    // stop_ at its next step. CancelWait fails if the wait is firing: OnAvailable then sees
    // stop_ instead.
    if (activity_ != Activity::kWaiting || !env_.log->CancelWait(wait_id_)) return;
    activity_ = Activity::kFinished;
    finish_with = *stop_;
  }
  Finish(std::move(finish_with));
}

void SubscribeReactor::Advance() {
  while (true) {
    {
      absl::ReleasableMutexLock lock(&mu_);
      if (!stop_.has_value() && env_.log->closing()) SetStopLocked(ShuttingDown());
      if (stop_.has_value()) {
        activity_ = Activity::kFinished;
        grpc::Status status = *stop_;
        lock.Release();
        Finish(std::move(status));
        return;
      }
      bool write = true;
      if (index_ < batch_.size()) {
        // One message carries as much of the batch as fits: per-message cost, not bytes,
        // is what limits a catch-up over gRPC.
        auto* events = response_.mutable_events()->mutable_events();
        size_t bytes = 0;
        do {
          api::v1::RecordedEvent* event = events->Add();
          RecordedEventToProto(batch_[index_++], event);
          bytes += event->ByteSizeLong();
        } while (index_ < batch_.size() && bytes < kMaxReadResponseBytes);
        if (index_ == batch_.size()) {
          batch_.clear();  // its last event is in response_ now
          index_ = 0;
        }
      } else if (caught_up_pending_) {
        caught_up_pending_ = false;
        caught_up_sent_ = true;
        response_.set_caught_up_at(next_.value());
      } else {
        write = false;
      }
      if (write) {
        activity_ = Activity::kWriting;
        lock.Release();
        StartWrite(&response_);
        return;
      }
      if (at_end_ && caught_up_sent_) {
        // Live and everything committed is written: park until the log commits the event at
        // next_ (at once if it already has). The callback runs on a log thread, so it only
        // hands the next read to the task runner.
        activity_ = Activity::kWaiting;
        wait_id_ = env_.log->NotifyWhenAvailable(next_, [self = shared_from_this()]() mutable {
          TaskRunner* runner = self->env_.runner;
          runner->Post([self = std::move(self)] { self->OnAvailable(); });
        });
        return;
      }
    }

    // Read the next batch without mu_, so that Stop never waits for the disk.
    eventstore::ReadAllOptions options;
    options.from = next_;
    options.limit = env_.batch_size;
    options.stream_prefix = filter_.stream_prefix;
    options.event_type = filter_.event_type;
    options.max_scan = env_.max_scan;
    options.deadline = deadline_;
    absl::StatusOr<eventstore::ReadAllResult> result = env_.log->ReadAll(options);
    if (!result.ok()) {
      absl::MutexLock lock(&mu_);
      SetStopLocked(env_.log->closing() ? ShuttingDown() : ToGrpcStatus(result.status()));
      continue;  // finishes at the top of the loop
    }
    next_ = result->next;
    batch_ = std::move(result->events);
    index_ = 0;
    // An empty batch short of the end is a filtered scan that stopped early: read on.
    at_end_ = result->end_of_log;
    // The first time the log's end is reached, the marker follows this batch's events.
    if (at_end_ && !caught_up_sent_) caught_up_pending_ = true;
  }
}

void SubscribeReactor::OnAvailable() {
  {
    absl::MutexLock lock(&mu_);
    if (activity_ != Activity::kWaiting) return;  // cannot happen: the wait held the token
    activity_ = Activity::kBusy;
  }
  at_end_ = false;  // something new was committed: read it
  Advance();
}

void SubscribeReactor::OnWriteDone(bool ok) {
  {
    absl::MutexLock lock(&mu_);
    activity_ = Activity::kBusy;
    response_.Clear();
    // A failed write means the call is over (cancelled, deadline, client gone).
    if (!ok) SetStopLocked(grpc::Status(grpc::CANCELLED, "subscription write failed"));
  }
  Advance();
}

void SubscribeReactor::OnCancel() {
  Stop(grpc::Status(grpc::CANCELLED, "subscription cancelled"));
}

void SubscribeReactor::OnDone() {
  env_.subscribers->Remove(this);
  // Drops the reactor's hold on itself; it is deleted when the last task or copy lets go.
  std::shared_ptr<SubscribeReactor> self = std::move(self_);
}

}  // namespace hub::services::services_internal
