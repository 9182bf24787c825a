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

}  // namespace
}  // namespace hub::services::services_internal
