// Partnership: the partnership's configuration (agencies and their duty routes, host local
// authority, MASH timescales, working calendar), loaded once at start-up from a protobuf
// text-format file and read-only after. Thread-safe for reads.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "config/text_config.h"
#include "hub/config/v1/partnership.pb.h"

namespace hub::config {

class Partnership {
 public:
  // Parses and validates text-format `text` (`source` names it in errors), filling defaults:
  // red 4, amber 24, green 72 working hours; 09:00-17:00 Monday to Friday, Europe/London.
  // kInvalidArgument names the bad field; kNotFound if the time zone is not installed.
  [[nodiscard]] static absl::StatusOr<Partnership> FromText(std::string_view text,
                                                            std::string_view source);
  // Reads `path` and calls FromText.
  [[nodiscard]] static absl::StatusOr<Partnership> Load(const std::string& path);

  const config::v1::Partnership& config() const { return config_; }
  // The agency with this id, or nullptr.
  const config::v1::Agency* FindAgency(std::string_view agency_id) const;
  const absl::TimeZone& time_zone() const { return time_zone_; }
  // The host authority's adult social care agencies (its code, or none given): the MASH every
  // concern reaches, which stands as lead to a concern awaiting triage.
  const std::vector<std::string>& host_asc_agency_ids() const { return host_asc_agency_ids_; }

 private:
  config::v1::Partnership config_;
  absl::flat_hash_map<std::string, int> agency_index_;
  absl::TimeZone time_zone_;
  std::vector<std::string> host_asc_agency_ids_;
};

}  // namespace hub::config
