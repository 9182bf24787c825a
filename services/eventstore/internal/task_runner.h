// TaskRunner: one thread that runs posted tasks in order.
//
// Used by the EventStore service to move work off threads it must not hold: the event log
// calls NotifyWhenAvailable callbacks on its own threads (where a disk read would delay group
// commit), so a woken subscription posts its next read here instead; and a subscription's end
// at its caller's credential expiry waits here (PostAt). Thread-safe.
#pragma once

#include <deque>
#include <map>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace hub::services::services_internal {

class TaskRunner {
 public:
  // Starts the thread; `name` (at most 15 characters) shows in debuggers and top.
  explicit TaskRunner(const std::string& name);
  // Runs every task already posted, drops those waiting for a later time (PostAt), then joins
  // the thread.
  ~TaskRunner();
  TaskRunner(const TaskRunner&) = delete;
  TaskRunner& operator=(const TaskRunner&) = delete;

  // Queues `task`; it runs on the runner's thread after every task posted before it. Once the
  // destructor has begun, runs `task` on the caller's thread instead, so a task is never lost.
  void Post(absl::AnyInvocable<void() &&> task);

  // Queues `task` to run on the runner's thread at `when` (by the system clock), or as soon
  // as possible if that has passed; tasks due at the same time run in the order posted.
  // Dropped, never run, if the runner is destroyed first.
  void PostAt(absl::Time when, absl::AnyInvocable<void() &&> task);

 private:
  void Loop();

  absl::Mutex mu_;
  std::deque<absl::AnyInvocable<void() &&>> queue_ ABSL_GUARDED_BY(mu_);
  std::multimap<absl::Time, absl::AnyInvocable<void() &&>> delayed_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace hub::services::services_internal
