#include "services/eventstore/internal/task_runner.h"

#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hub::services::services_internal {
namespace {

TEST(TaskRunnerTest, RunsTasksInOrderOffTheCallersThread) {
  std::vector<int> order;
  std::thread::id ran_on;
  absl::Notification done;
  {
    TaskRunner runner("test-runner");
    for (int i = 0; i < 100; ++i) {
      runner.Post([&order, i] { order.push_back(i); });
    }
    runner.Post([&] {
      ran_on = std::this_thread::get_id();
      done.Notify();
    });
    done.WaitForNotification();
  }
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
  EXPECT_NE(ran_on, std::this_thread::get_id());
}

TEST(TaskRunnerTest, DestructorRunsEverythingPosted) {
  int ran = 0;
  {
    TaskRunner runner("test-runner");
    absl::Notification release;
    runner.Post([&release] { release.WaitForNotification(); });
    for (int i = 0; i < 10; ++i) runner.Post([&ran] { ++ran; });
    release.Notify();
  }
  EXPECT_EQ(ran, 10);
}

TEST(TaskRunnerTest, DelayedTasksRunWhenDueAndAreDroppedAtDestruction) {
  absl::Notification due;
  absl::Time ran_at;
  bool never = false;
  const absl::Time when = absl::Now() + absl::Milliseconds(50);
  {
    TaskRunner runner("test-runner");
    runner.PostAt(absl::Now() + absl::Hours(12), [&never] { never = true; });
    runner.PostAt(when, [&] {
      ran_at = absl::Now();
      due.Notify();
    });
    int ran = 0;
    runner.Post([&ran] { ++ran; });  // a task posted meanwhile is not held up
    ASSERT_TRUE(due.WaitForNotificationWithTimeout(absl::Seconds(10)));
    EXPECT_EQ(ran, 1);
  }
  EXPECT_GE(ran_at, when);
  EXPECT_FALSE(never);
}

}  // namespace
}  // namespace hub::services::services_internal
