#include "services/eventstore/internal/task_runner.h"

#include <pthread.h>

#include <utility>

namespace hub::services::services_internal {

TaskRunner::TaskRunner(const std::string& name) : thread_([this] { Loop(); }) {
  pthread_setname_np(thread_.native_handle(), name.substr(0, 15).c_str());
}

TaskRunner::~TaskRunner() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void TaskRunner::Post(absl::AnyInvocable<void() &&> task) {
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      queue_.push_back(std::move(task));
      return;
    }
  }
  std::move(task)();
}

void TaskRunner::PostAt(absl::Time when, absl::AnyInvocable<void() &&> task) {
  absl::MutexLock lock(&mu_);
  if (!stopping_) delayed_.emplace(when, std::move(task));
}

void TaskRunner::Loop() {
  while (true) {
    absl::AnyInvocable<void() &&> task;
    {
      absl::MutexLock lock(&mu_);
      while (true) {
        // Delayed tasks that are due join the queue behind what is already posted.
        const absl::Time now = absl::Now();
        while (!delayed_.empty() && delayed_.begin()->first <= now) {
          queue_.push_back(std::move(delayed_.begin()->second));
          delayed_.erase(delayed_.begin());
        }
        if (!queue_.empty() || stopping_) break;
        const absl::Time next =
            delayed_.empty() ? absl::InfiniteFuture() : delayed_.begin()->first;
        mu_.AwaitWithDeadline(
            absl::Condition(
                +[](TaskRunner* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
                  return self->stopping_ || !self->queue_.empty();
                },
                this),
            next);
      }
      if (queue_.empty()) return;  // stopping, and everything posted has run
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    std::move(task)();
  }
}

}  // namespace hub::services::services_internal
