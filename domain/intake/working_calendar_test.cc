// Working-hour arithmetic for MASH decision deadlines, in Europe/London (BST and GMT).
#include "domain/intake/working_calendar.h"

#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hub::domain::intake {
namespace {

class WorkingCalendarTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(absl::LoadTimeZone("Europe/London", &london_));
    config_.set_time_zone("Europe/London");
    config_.set_day_start_minute(9 * 60);
    config_.set_day_end_minute(17 * 60);
    for (int weekday = 1; weekday <= 5; ++weekday) config_.add_working_weekdays(weekday);
  }

  void AddHoliday(int year, int month, int day) {
    common::v1::Date* date = config_.add_holidays();
    date->set_year(year);
    date->set_month(month);
    date->set_day(day);
  }

  absl::Time London(int y, int m, int d, int hh, int mm = 0) const {
    return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, 0), london_);
  }

  WorkingCalendar Calendar() const { return WorkingCalendar(config_, london_); }

  absl::TimeZone london_;
  config::v1::WorkingCalendar config_;
};

TEST_F(WorkingCalendarTest, FridayAfternoonPlusFourHoursIsMondayNoon) {
  // 2024-06-07 is a Friday (BST).
  EXPECT_EQ(Calendar().AddWorkingHours(London(2024, 6, 7, 16), absl::Hours(4)),
            London(2024, 6, 10, 12));
}

TEST_F(WorkingCalendarTest, CountsLocalHoursAcrossTheEndOfSummerTime) {
  // Clocks go back on Sunday 2024-10-27: Friday 16:00 BST + 4 h = Monday 12:00 GMT.
  const absl::Time due = Calendar().AddWorkingHours(London(2024, 10, 25, 16), absl::Hours(4));
  EXPECT_EQ(due, London(2024, 10, 28, 12));
  EXPECT_EQ(due, absl::FromCivil(absl::CivilSecond(2024, 10, 28, 12, 0, 0), absl::UTCTimeZone()));
  // And into summer time: clocks go forward on Sunday 2024-03-31.
  EXPECT_EQ(Calendar().AddWorkingHours(London(2024, 3, 29, 16), absl::Hours(4)),
            London(2024, 4, 1, 12));
}

TEST_F(WorkingCalendarTest, SkipsBankHolidays) {
  AddHoliday(2024, 8, 26);  // summer bank holiday Monday
  EXPECT_EQ(Calendar().AddWorkingHours(London(2024, 8, 23, 16), absl::Hours(4)),
            London(2024, 8, 27, 12));
  EXPECT_FALSE(Calendar().IsWorkingDay(absl::CivilDay(2024, 8, 26)));
  EXPECT_TRUE(Calendar().IsWorkingDay(absl::CivilDay(2024, 8, 27)));
}

TEST_F(WorkingCalendarTest, AStartOutsideHoursBeginsAtTheNextWorkingPeriod) {
  // Wednesday 20:00 -> Thursday 09:00 + 4 h.
  EXPECT_EQ(Calendar().AddWorkingHours(London(2024, 6, 5, 20), absl::Hours(4)),
            London(2024, 6, 6, 13));
  // Before opening on the same day.
  EXPECT_EQ(Calendar().AddWorkingHours(London(2024, 6, 5, 7, 30), absl::Hours(1)),
            London(2024, 6, 5, 10));
  // Saturday -> Monday.
  EXPECT_EQ(Calendar().AddWorkingHours(London(2024, 6, 8, 11), absl::Hours(2)),
            London(2024, 6, 10, 11));
}

TEST_F(WorkingCalendarTest, AmberTwentyFourHoursIsThreeWorkingDays) {
  EXPECT_EQ(Calendar().AddWorkingHours(London(2024, 6, 3, 9), absl::Hours(24)),
            London(2024, 6, 5, 17));
  EXPECT_EQ(Calendar().AddWorkingHours(London(2024, 6, 3, 10), absl::Hours(24)),
            London(2024, 6, 6, 10));
  // Green 72 h = nine working days: Monday 10:00 -> the second Friday after, 10:00.
  EXPECT_EQ(Calendar().AddWorkingHours(London(2024, 6, 3, 10), absl::Hours(72)),
            London(2024, 6, 14, 10));
}

TEST_F(WorkingCalendarTest, EndsExactlyAtCloseRatherThanNextMorning) {
  EXPECT_EQ(Calendar().AddWorkingHours(London(2024, 6, 3, 13), absl::Hours(4)),
            London(2024, 6, 3, 17));
}

TEST_F(WorkingCalendarTest, UnsetConfigTakesTheDefaults) {
  const WorkingCalendar calendar(config::v1::WorkingCalendar(), london_);
  EXPECT_EQ(calendar.AddWorkingHours(London(2024, 6, 7, 16), absl::Hours(4)),
            London(2024, 6, 10, 12));
  EXPECT_FALSE(calendar.IsWorkingDay(absl::CivilDay(2024, 6, 8)));  // Saturday
}

TEST_F(WorkingCalendarTest, HonoursConfiguredWeekdaysAndHours) {
  config_.clear_working_weekdays();
  for (int weekday = 1; weekday <= 6; ++weekday) config_.add_working_weekdays(weekday);
  config_.set_day_start_minute(8 * 60);
  config_.set_day_end_minute(18 * 60);
  // Friday 17:00 -> 1 h Friday, 3 h Saturday from 08:00.
  EXPECT_EQ(Calendar().AddWorkingHours(London(2024, 6, 7, 17), absl::Hours(4)),
            London(2024, 6, 8, 11));
}

TEST_F(WorkingCalendarTest, DecisionDueAtUsesTheRatingsTimescale) {
  config::v1::MashTimescales timescales;  // defaults: 4 / 24 / 72
  const absl::Time friday = London(2024, 6, 7, 16);
  EXPECT_EQ(DecisionDueAt(Calendar(), timescales, common::v1::RAG_RATING_RED, friday),
            London(2024, 6, 10, 12));
  EXPECT_EQ(DecisionDueAt(Calendar(), timescales, common::v1::RAG_RATING_AMBER, friday),
            London(2024, 6, 12, 16));
  timescales.set_red_in_clock_hours(true);
  EXPECT_EQ(DecisionDueAt(Calendar(), timescales, common::v1::RAG_RATING_RED, friday),
            London(2024, 6, 7, 20));
  timescales.set_amber_hours(8);  // clock hours apply to red only
  EXPECT_EQ(DecisionDueAt(Calendar(), timescales, common::v1::RAG_RATING_AMBER, friday),
            London(2024, 6, 10, 16));
}

}  // namespace
}  // namespace hub::domain::intake
