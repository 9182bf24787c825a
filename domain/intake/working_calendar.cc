#include "domain/intake/working_calendar.h"

#include <algorithm>

namespace hub::domain::intake {
namespace {

constexpr int kDefaultDayStart = 9 * 60;
constexpr int kDefaultDayEnd = 17 * 60;
// A calendar with no working day at all cannot occur after the defaults are applied; this
// bound only keeps a misconfiguration (every day a holiday) from looping for ever.
constexpr int kMaxDaysSearched = 3660;

// 0 = Monday .. 6 = Sunday.
int WeekdayIndex(absl::CivilDay day) {
  switch (absl::GetWeekday(day)) {
    case absl::Weekday::monday:
      return 0;
    case absl::Weekday::tuesday:
      return 1;
    case absl::Weekday::wednesday:
      return 2;
    case absl::Weekday::thursday:
      return 3;
    case absl::Weekday::friday:
      return 4;
    case absl::Weekday::saturday:
      return 5;
    case absl::Weekday::sunday:
      return 6;
  }
  return 0;
}

}  // namespace

WorkingCalendar::WorkingCalendar() : zone_(absl::UTCTimeZone()) {
  for (int i = 0; i < 5; ++i) working_weekday_[i] = true;
}

WorkingCalendar::WorkingCalendar(const config::v1::WorkingCalendar& config, absl::TimeZone zone)
    : zone_(zone) {
  for (int weekday : config.working_weekdays()) {
    if (weekday >= 1 && weekday <= 7) working_weekday_[weekday - 1] = true;
  }
  if (std::none_of(working_weekday_.begin(), working_weekday_.end(), [](bool b) { return b; })) {
    for (int i = 0; i < 5; ++i) working_weekday_[i] = true;
  }
  day_start_minute_ = config.day_start_minute();
  day_end_minute_ = config.day_end_minute();
  if (day_start_minute_ == 0 && day_end_minute_ == 0) {
    day_start_minute_ = kDefaultDayStart;
    day_end_minute_ = kDefaultDayEnd;
  }
  if (day_start_minute_ < 0 || day_end_minute_ > 24 * 60 || day_end_minute_ <= day_start_minute_) {
    day_start_minute_ = kDefaultDayStart;
    day_end_minute_ = kDefaultDayEnd;
  }
  for (const common::v1::Date& date : config.holidays()) {
    holidays_.push_back(absl::CivilDay(date.year(), date.month(), date.day()));
  }
  std::sort(holidays_.begin(), holidays_.end());
}

bool WorkingCalendar::IsWorkingDay(absl::CivilDay day) const {
  return working_weekday_[WeekdayIndex(day)] &&
         !std::binary_search(holidays_.begin(), holidays_.end(), day);
}

absl::Time WorkingCalendar::AddWorkingHours(absl::Time start, absl::Duration hours) const {
  if (hours <= absl::ZeroDuration()) return start;
  absl::Time t = start;
  absl::Duration remaining = hours;
  absl::CivilDay day = absl::CivilDay(zone_.At(start).cs);
  for (int searched = 0; searched < kMaxDaysSearched; ++searched, ++day) {
    if (!IsWorkingDay(day)) continue;
    // `.pre` resolves a local time skipped or repeated by a clock change to the earlier
    // offset; working hours are never inside one in the zones the hub serves.
    const absl::Time open = zone_.At(absl::CivilSecond(day) + day_start_minute_ * 60).pre;
    const absl::Time close = zone_.At(absl::CivilSecond(day) + day_end_minute_ * 60).pre;
    if (t >= close) continue;
    if (t < open) t = open;
    const absl::Duration available = close - t;
    if (remaining <= available) return t + remaining;
    remaining -= available;
  }
  return absl::InfiniteFuture();
}

absl::Duration DecisionTimescale(const config::v1::MashTimescales& timescales,
                                 common::v1::RagRating rating) {
  int hours = 0;
  switch (rating) {
    case common::v1::RAG_RATING_RED:
      hours = timescales.red_hours() > 0 ? timescales.red_hours() : 4;
      break;
    case common::v1::RAG_RATING_AMBER:
      hours = timescales.amber_hours() > 0 ? timescales.amber_hours() : 24;
      break;
    case common::v1::RAG_RATING_GREEN:
      hours = timescales.green_hours() > 0 ? timescales.green_hours() : 72;
      break;
    default:
      break;
  }
  return absl::Hours(hours);
}

absl::Time DecisionDueAt(const WorkingCalendar& calendar,
                         const config::v1::MashTimescales& timescales, common::v1::RagRating rating,
                         absl::Time now) {
  const absl::Duration timescale = DecisionTimescale(timescales, rating);
  if (rating == common::v1::RAG_RATING_RED && timescales.red_in_clock_hours()) {
    return now + timescale;
  }
  return calendar.AddWorkingHours(now, timescale);
}

}  // namespace hub::domain::intake
