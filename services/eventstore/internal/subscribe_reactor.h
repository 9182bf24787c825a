// SubscribeReactor: one EventStore.Subscribe call, catch-up then live, over an EventLog.
//
// Lifecycle: Start() creates the reactor, which owns itself (a shared_ptr to itself) until
// gRPC calls OnDone; the subscriber set, posted tasks and the log's wait callback hold further
// shared_ptrs, so nothing can outlive the object it points to.
//
// Flow: append the subscription's RawLogAccessed record (nothing is read before it is
// durable), then read a batch with EventLog::ReadAll from the cursor, write its events one at a time
// (StartWrite, then OnWriteDone), read the next batch. Once a read has reached the committed
// end of the log and its events are written, send caught_up_at (the first time only), then
// register EventLog::NotifyWhenAvailable(cursor) and read again when it fires. Memory is one
// batch and one message per subscriber; the cursor only moves forward past events already
// handed to gRPC, so there is no gap and no duplicate.
//
// Concurrency: at most one party "holds the token" and may act on the stream: the thread
// running Advance(), the in-flight write (until OnWriteDone) or the registered log wait (until
// it fires or is cancelled). Stop() (client cancel, server shutdown) never acts on the stream
// itself unless it can take the token by cancelling the wait; otherwise it leaves the stop
// status for the holder, which finishes the call at its next step. So StartWrite and Finish
// are never called concurrently or after Finish, and OnDone comes only after the last step.
// mu_ guards the token; it is never held across StartWrite, Finish or a disk read. It is held
// across NotifyWhenAvailable and CancelWait (lock order: mu_, then the log's locks), which is
// safe because the wait callback takes only the task runner's lock.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "eventstore/event_log.h"
#include "grpcpp/grpcpp.h"
#include "hub/api/v1/event_store_service.pb.h"
#include "services/eventstore/internal/task_runner.h"

namespace hub::services::services_internal {

class SubscribeReactor;

// The live subscriptions of one service, so that shutdown can end them all. Thread-safe.
class SubscriberSet {
 public:
  // Returns false, keeping nothing, once StopAll has been called.
  bool Add(const std::shared_ptr<SubscribeReactor>& reactor);
  void Remove(const SubscribeReactor* reactor);
  // Refuses new subscriptions from now on and stops every live one with `status`.
  void StopAll(const grpc::Status& status);
  size_t size() const;

 private:
  mutable absl::Mutex mu_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<const SubscribeReactor*, std::weak_ptr<SubscribeReactor>> live_
      ABSL_GUARDED_BY(mu_);
};

// Who opened one subscription: the audit record to append before anything is read, and when
// their credentials expire (the subscription then ends with UNAUTHENTICATED).
struct SubscribeCaller {
  eventstore::AppendRequest record;
  absl::Time expires_at = absl::InfiniteFuture();
};

// What every subscription of one service shares. All referenced objects outlive the server.
struct SubscribeEnv {
  eventstore::EventLog* log;
  TaskRunner* runner;  // where reads go when woken by the log (never on a log thread)
  SubscriberSet* subscribers;
  eventstore::Limits limits;
  int batch_size = 128;      // events per ReadAll: the memory bound of one subscriber
  int64_t max_scan = 10000;  // records one filtered read may examine before yielding
};

class SubscribeReactor final : public grpc::ServerWriteReactor<api::v1::SubscribeResponse>,
                               public std::enable_shared_from_this<SubscribeReactor> {
 public:
  // Validates `request`, records `caller`'s access and starts the subscription; returns the
  // reactor for gRPC to drive. A bad request finishes with INVALID_ARGUMENT, a shut-down
  // service with UNAVAILABLE, a non-OK `refused_by_caller` (the caller's authorisation) with
  // that status, and a record that cannot be written with UNAVAILABLE, all before anything is
  // read. At `caller.expires_at` the call ends with UNAUTHENTICATED.
  static grpc::ServerWriteReactor<api::v1::SubscribeResponse>* Start(
      const SubscribeEnv& env, grpc::CallbackServerContext* context,
      const api::v1::SubscribeRequest& request, const grpc::Status& refused_by_caller,
      SubscribeCaller caller);

  // Ends the call with `status` as soon as no step is in flight. The first status wins;
  // calls after the call finished do nothing. Thread-safe.
  void Stop(const grpc::Status& status);

  // grpc::ServerWriteReactor
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  // Who holds the token (see the header comment).
  enum class Activity { kBusy, kWriting, kWaiting, kFinished };

  SubscribeReactor(const SubscribeEnv& env, absl::Time deadline);

  // Takes the next step; the caller holds the token (activity_ == kBusy).
  void Advance();
  // The log's wait fired: take the token back and continue (on the task runner).
  void OnAvailable();
  // The access record was appended (or not): continue, or finish (on the task runner).
  void OnRecorded(const absl::Status& recorded);
  // Records `status` as the stop status unless one is already set.
  void SetStopLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const SubscribeEnv env_;
  const absl::Time deadline_;
  std::shared_ptr<SubscribeReactor> self_;  // keeps the reactor alive until OnDone

  absl::Mutex mu_;
  Activity activity_ ABSL_GUARDED_BY(mu_) = Activity::kBusy;
  std::optional<grpc::Status> stop_ ABSL_GUARDED_BY(mu_);
  eventstore::EventLog::WaitId wait_id_ ABSL_GUARDED_BY(mu_) = 0;

  // Touched only by the token holder; the token's hand-over through mu_ orders the accesses.
  eventstore::Subscription::Filter filter_;
  GlobalPosition next_;                       // next position to read from the log
  std::vector<eventstore::RecordedEvent> batch_;  // read, not yet all written
  size_t index_ = 0;                          // next event of batch_ to write
  bool at_end_ = false;             // the last read reached the committed end of the log
  bool caught_up_sent_ = false;
  bool caught_up_pending_ = false;  // send caught_up_at once batch_ is written
  api::v1::SubscribeResponse response_;  // the message being written
};

}  // namespace hub::services::services_internal
