#include "config/partnership.h"


#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace hub::config {
namespace {

absl::Status Invalid(std::string_view source, std::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(source), ": ", std::string(message)));
}

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

}  // namespace

absl::StatusOr<Partnership> Partnership::FromText(std::string_view text, std::string_view source) {
  Partnership p;
  HUB_RETURN_IF_ERROR(ParseTextConfig(text, source, p.config_));
  config::v1::Partnership& c = p.config_;
  if (c.host_local_authority_code().empty()) {
    return Invalid(source, "host_local_authority_code: required");
  }
  for (int i = 0; i < c.agencies_size(); ++i) {
    const config::v1::Agency& a = c.agencies(i);
    const std::string field = absl::StrCat("agencies[", i, "]");
    if (a.agency_id().empty() || a.agency_id().size() > 48) {
      return Invalid(source, field + ".agency_id: required, at most 48 characters");
    }
    for (char ch : a.agency_id()) {
      if (!IsIdChar(ch)) {
        return Invalid(source, field + ".agency_id: only letters, digits, - _ .");
      }
    }
    if (a.kind() == common::v1::AGENCY_KIND_UNSPECIFIED) {
      return Invalid(source, field + ".kind: required");
    }
    if (!p.agency_index_.emplace(a.agency_id(), i).second) {
      return Invalid(source, absl::StrCat(field, ".agency_id: '", a.agency_id(), "' repeated"));
    }
  }
  config::v1::MashTimescales* t = c.mutable_timescales();
  if (t->red_hours() == 0) t->set_red_hours(4);
  if (t->amber_hours() == 0) t->set_amber_hours(24);
  if (t->green_hours() == 0) t->set_green_hours(72);
  if (t->red_hours() < 0 || t->amber_hours() < 0 || t->green_hours() < 0) {
    return Invalid(source, "timescales: hours must be positive");
  }
  config::v1::WorkingCalendar* cal = c.mutable_calendar();
  if (cal->time_zone().empty()) cal->set_time_zone("Europe/London");
  if (cal->day_start_minute() == 0 && cal->day_end_minute() == 0) {
    cal->set_day_start_minute(9 * 60);
    cal->set_day_end_minute(17 * 60);
  }
  if (cal->day_start_minute() < 0 || cal->day_end_minute() > 24 * 60 ||
      cal->day_start_minute() >= cal->day_end_minute()) {
    return Invalid(source, "calendar: day_start_minute must be before day_end_minute, in 0..1440");
  }
  if (cal->working_weekdays().empty()) {
    for (int d = 1; d <= 5; ++d) cal->add_working_weekdays(d);
  }
  for (int d : cal->working_weekdays()) {
    if (d < 1 || d > 7) return Invalid(source, "calendar.working_weekdays: 1 (Monday) .. 7 (Sunday)");
  }
  for (const config::v1::Agency& agency : c.agencies()) {
    if (agency.kind() == common::v1::AGENCY_KIND_ADULT_SOCIAL_CARE &&
        (agency.local_authority_code() == c.host_local_authority_code() ||
         agency.local_authority_code().empty())) {
      p.host_asc_agency_ids_.push_back(agency.agency_id());
    }
  }
  if (!absl::LoadTimeZone(cal->time_zone(), &p.time_zone_)) {
    return absl::NotFoundError(absl::StrCat(std::string(source), ": calendar.time_zone '",
                                            cal->time_zone(),
                                            "' is not installed (Debian package tzdata)"));
  }
  return p;
}

absl::StatusOr<Partnership> Partnership::Load(const std::string& path) {
  HUB_ASSIGN_OR_RETURN(std::string text, ReadConfigFile(path, "partnership"));
  return FromText(text, path);
}

const config::v1::Agency* Partnership::FindAgency(std::string_view agency_id) const {
  auto it = agency_index_.find(std::string(agency_id));
  return it == agency_index_.end() ? nullptr : &config_.agencies(it->second);
}

}  // namespace hub::config
