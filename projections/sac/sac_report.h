// The Safeguarding Adults Collection (SAC) return for one reporting year and one local
// authority, computed at query time from the SacProjection's facts (sac.h), and its CSV in the
// NHS long format. Counting rules, their sources and the decisions where the rules are silent:
// docs/sac.md. Labels come from reference.proto via domain::Label where the proto has them.
//
// Thread-safe: the functions hold no state; ComputeSacReturn reads the store, which may be
// written concurrently (each range scan reads one snapshot).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "eventstore/kv_store.h"

namespace hub::projections {

// One cell of the return.
struct SacRow {
  std::string table;         // TABLE_REFERENCE, e.g. "SG2a"
  std::string enquiry_type;  // ENQUIRY_TYPE, e.g. "Section 42 Enquiries"
  std::string category;      // CATEGORY, e.g. "Physical Abuse"
  std::string subcategory;   // SUBCATEGORY, e.g. "Service Provider"; "" where none
  int64_t value = 0;
};

// Reporting year `year` runs from 1 April `year` 00:00 to 1 April `year + 1` 00:00, England
// local time (Europe/London): [start, end).
struct SacPeriod {
  absl::Time start;
  absl::Time end;
  absl::CivilDay last_day;  // 31 March `year + 1`: ages are counted on this day
};
[[nodiscard]] absl::StatusOr<SacPeriod> SacReportingPeriod(int year);

// Every cell of SG1a-d, SG1f, SG2a, SG2b, SG2c, SG2e, SG3a and SG4a, zero cells included, in a
// fixed order. `reporting_year` 2025 is 2025-26. Cases are counted for `la_code`: the
// authority where the abuse occurred, an empty code meaning `host_la_code`.
// kInvalidArgument for a year outside 1000-9998 or an empty `la_code`.
[[nodiscard]] absl::StatusOr<std::vector<SacRow>> ComputeSacReturn(eventstore::KvStore& store,
                                                                   int reporting_year,
                                                                   const std::string& la_code,
                                                                   const std::string& host_la_code);

// The rows as CSV (RFC 4180: CRLF line ends; a field with a comma, quote or line break is
// quoted, quotes doubled): header LA_CODE,LA_NAME,TABLE_REFERENCE,ENQUIRY_TYPE,CATEGORY,
// SUBCATEGORY,VALUE, then one line per row.
std::string SacCsv(const std::vector<SacRow>& rows, const std::string& la_code,
                   const std::string& la_name);

}  // namespace hub::projections
