// WorkingCalendar: the partnership's working hours (weekdays, day start and end, bank
// holidays) in its time zone, and arithmetic in working hours for MASH decision deadlines.
//
// Pure: built from hub.config.v1.WorkingCalendar plus an absl::TimeZone that the caller has
// loaded (the domain does no I/O). Copyable value; thread-safe for concurrent reads.
#pragma once

#include <array>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "hub/common/v1/reference.pb.h"
#include "hub/config/v1/partnership.pb.h"

namespace hub::domain::intake {

class WorkingCalendar {
 public:
  // 09:00-17:00, Monday to Friday, no holidays, UTC.
  WorkingCalendar();
  // Unset or unusable settings take the defaults: no weekdays -> Monday to Friday; a day end
  // not after its start -> 09:00-17:00. `zone` should be the zone `config.time_zone` names.
  WorkingCalendar(const config::v1::WorkingCalendar& config, absl::TimeZone zone);

  // The time `hours` of working time after `start`. A start outside working hours begins at
  // the next working period; the result may be the very end of a working day (17:00).
  absl::Time AddWorkingHours(absl::Time start, absl::Duration hours) const;

  // True if `day` is a working weekday and not a holiday.
  bool IsWorkingDay(absl::CivilDay day) const;

  const absl::TimeZone& time_zone() const { return zone_; }

 private:
  absl::TimeZone zone_;
  int day_start_minute_ = 9 * 60;
  int day_end_minute_ = 17 * 60;
  std::array<bool, 7> working_weekday_{};  // index 0 = Monday
  std::vector<absl::CivilDay> holidays_;   // sorted
};

// The working-hour timescale of a rating (0 in config = the default: red 4, amber 24,
// green 72).
absl::Duration DecisionTimescale(const config::v1::MashTimescales& timescales,
                                 common::v1::RagRating rating);

// When the MASH decision is due for a concern rated `rating` at `now`: working hours on the
// calendar, except red when the partnership counts red in clock hours.
absl::Time DecisionDueAt(const WorkingCalendar& calendar,
                         const config::v1::MashTimescales& timescales, common::v1::RagRating rating,
                         absl::Time now);

}  // namespace hub::domain::intake
