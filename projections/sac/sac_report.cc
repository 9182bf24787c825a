#include "projections/sac/sac_report.h"

#include <optional>
#include <set>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "domain/common/labels.h"
#include "hub/views/v1/sac.pb.h"
#include "projections/engine/projection.h"
#include "projections/sac/sac.h"

namespace hub::projections {
namespace {

namespace cv1 = ::hub::common::v1;
namespace vv1 = ::hub::views::v1;
using eventstore::KvStore;
using google::protobuf::EnumDescriptor;
using google::protobuf::GetEnumDescriptor;

// Labels of the return that no reference enum carries (domain-reference.md §2.3).
constexpr char kConcerns[] = "Safeguarding Concerns";
constexpr char kConcludedS42[] = "Concluded Section 42 Enquiries";
constexpr char kTotalConcerns[] = "Total Number of Safeguarding Concerns";
constexpr char kTotalS42[] = "Total Number of Section 42 Safeguarding Enquiries";
constexpr char kTotalOther[] = "Total Number of Other Safeguarding Enquiries";
constexpr char kSupported[] =
    "Of the enquiries recorded as Yes, in how many of these cases was support provided by an "
    "advocate, family or friend";
// SG1a: age on the last day of the year; the last band is for no recorded date of birth
// (its label is unconfirmed, docs/sac.md).
constexpr const char* kAgeBands[] = {"18-64", "65-74", "75-84", "85-94", "95+", "Age unknown"};
constexpr int kAgeUnknown = 5;
constexpr int kUnder18 = -1;

// SG1 columns.
enum Column { kConcernsColumn = 0, kS42Column = 1, kOtherColumn = 2, kColumns = 3 };

// Counts indexed by enum number (reference enums are numbered 0..N without gaps).
template <typename E>
std::vector<int64_t> Counts() {
  return std::vector<int64_t>(GetEnumDescriptor<E>()->value_count(), 0);
}

// Values outside the enum (a newer writer) are not counted.
void Add(std::vector<int64_t>& counts, int value) {
  if (value > 0 && value < static_cast<int>(counts.size())) ++counts[value];
}

// Every labelled value of E (the unspecified value excluded), in declaration order.
template <typename E>
std::vector<int> Values() {
  const EnumDescriptor* d = GetEnumDescriptor<E>();
  std::vector<int> out;
  for (int i = 0; i < d->value_count(); ++i) {
    if (d->value(i)->number() != 0) out.push_back(d->value(i)->number());
  }
  return out;
}

template <typename E>
std::string L(int value) {
  return domain::Label(GetEnumDescriptor<E>(), value);
}

struct Sg1Column {
  int64_t total = 0;
  std::vector<int64_t> age = std::vector<int64_t>(6, 0);
  std::vector<int64_t> gender = Counts<cv1::Gender>();
  std::vector<int64_t> ethnicity = Counts<cv1::EthnicityGroup>();
  std::vector<int64_t> psr = Counts<cv1::PrimarySupportReason>();
  absl::flat_hash_set<std::string> people;
};

struct Tally {
  Sg1Column sg1[kColumns];
  // SG2a: type x source; SG2b: location x source (enum numbers).
  std::vector<std::vector<int64_t>> type_source;
  std::vector<std::vector<int64_t>> location_source;
  std::vector<int64_t> action = Counts<cv1::ActionAndResult>();
  std::vector<int64_t> risk_outcome = Counts<cv1::RiskOutcome>();
  std::vector<int64_t> capacity = Counts<cv1::CapacityAnswer>();
  int64_t supported = 0;
  std::vector<int64_t> asked = Counts<cv1::OutcomesAsked>();
  std::vector<int64_t> achieved = Counts<cv1::OutcomeAchievement>();

  Tally()
      : type_source(Counts<cv1::TypeOfRisk>().size(), Counts<cv1::SourceOfRisk>()),
        location_source(Counts<cv1::LocationOfRisk>().size(), Counts<cv1::SourceOfRisk>()) {}
};

// Whole years on `day`; nullopt without a usable date of birth.
std::optional<int> AgeOn(const cv1::Date& dob, absl::CivilDay day) {
  if (dob.year() <= 0 || dob.month() < 1 || dob.month() > 12 || dob.day() < 1 || dob.day() > 31) {
    return std::nullopt;
  }
  int age = static_cast<int>(day.year()) - dob.year();
  if (std::make_pair(day.month(), day.day()) < std::make_pair(dob.month(), dob.day())) --age;
  return age;
}

// The SG1a band (index into kAgeBands), or kUnder18: the SAC counts adults only.
int AgeBand(const vv1::SacDemographics& d, absl::CivilDay last_day) {
  if (!d.has_date_of_birth()) return kAgeUnknown;
  const std::optional<int> age = AgeOn(d.date_of_birth(), last_day);
  if (!age) return kAgeUnknown;
  if (*age < 18) return kUnder18;
  if (*age <= 64) return 0;
  if (*age <= 74) return 1;
  if (*age <= 84) return 2;
  if (*age <= 94) return 3;
  return 4;
}

// Reads the SAC facts, caching person records for the query.
class Facts {
 public:
  explicit Facts(KvStore& store) : store_(store) {}

  absl::StatusOr<bool> Get(const std::string& key, google::protobuf::MessageLite* out) {
    return ReadMessage(store_, SacProjection::kName, key, out);
  }

  // The person record as it stands, else `fallback` (the details the referrer gave).
  absl::StatusOr<vv1::SacDemographics> Person(const std::string& person_id,
                                              const vv1::SacDemographics& fallback) {
    auto it = people_.find(person_id);
    if (it == people_.end()) {
      vv1::SacDemographics d;
      HUB_ASSIGN_OR_RETURN(bool found, Get(absl::StrCat("person/", person_id), &d));
      it = people_.emplace(person_id, found ? std::optional(d) : std::nullopt).first;
    }
    return it->second ? *it->second : fallback;
  }

  // The ids in `index` ("raised", "opened", "concluded") with a time in [start, end).
  absl::StatusOr<std::vector<std::string>> Ids(const std::string& index, absl::Time start,
                                               absl::Time end) {
    const std::string begin =
        DataKey(SacProjection::kName, absl::StrCat(index, "/", SacTimeKey(start)));
    const std::string stop =
        DataKey(SacProjection::kName, absl::StrCat(index, "/", SacTimeKey(end)));
    // <index>/<time>/<id>: the id follows the fixed-width time.
    const size_t id_at = begin.size() + 1;
    std::vector<std::string> ids;
    HUB_RETURN_IF_ERROR(store_.Scan(begin, stop, [&](std::string_view key, std::string_view) {
      if (key.size() > id_at) ids.emplace_back(key.substr(id_at));
      return true;
    }));
    return ids;
  }

 private:
  KvStore& store_;
  absl::flat_hash_map<std::string, std::optional<vv1::SacDemographics>> people_;
};

// SG1a-d for one case: an individual once per column (SG1a-c), every case in SG1d.
void CountSg1(Sg1Column& column, const std::string& person, const vv1::SacDemographics& d,
              int band) {
  ++column.total;
  Add(column.psr, d.primary_support_reason() != 0 ? d.primary_support_reason()
                                                  : cv1::PRIMARY_SUPPORT_REASON_NOT_KNOWN);
  if (!column.people.insert(person).second) return;
  ++column.age[band];
  Add(column.gender, d.gender() != 0 ? d.gender() : cv1::GENDER_NOT_KNOWN);
  Add(column.ethnicity,
      d.ethnicity_group() != 0 ? d.ethnicity_group() : cv1::ETHNICITY_GROUP_NOT_KNOWN);
}

// SG4a achieved: one answer per enquiry from its outcomes' answers.
int EnquiryAchievement(const vv1::SacEnquiry& e) {
  int fully = 0, answered = 0, not_achieved = 0;
  for (int a : e.outcome_achievements()) {
    if (a == cv1::OUTCOME_ACHIEVEMENT_UNSPECIFIED) continue;
    ++answered;
    if (a == cv1::OUTCOME_ACHIEVEMENT_FULLY) ++fully;
    if (a == cv1::OUTCOME_ACHIEVEMENT_NOT) ++not_achieved;
  }
  if (answered == 0) return cv1::OUTCOME_ACHIEVEMENT_UNSPECIFIED;
  if (fully == answered) return cv1::OUTCOME_ACHIEVEMENT_FULLY;
  if (not_achieved == answered) return cv1::OUTCOME_ACHIEVEMENT_NOT;
  return cv1::OUTCOME_ACHIEVEMENT_PARTIALLY;
}

void CountConclusion(Tally& t, const vv1::SacEnquiry& e) {
  // SG2a/b: one count per distinct combination in the enquiry.
  std::set<std::pair<int, int>> type_source, location_source;
  for (const cv1::ConcludedRisk& r : e.risks()) {
    type_source.emplace(r.type(), r.source());
    location_source.emplace(r.location(), r.source());
  }
  for (const auto& [type, source] : type_source) {
    if (type > 0 && type < static_cast<int>(t.type_source.size())) {
      Add(t.type_source[type], source);
    }
  }
  for (const auto& [location, source] : location_source) {
    if (location > 0 && location < static_cast<int>(t.location_source.size())) {
      Add(t.location_source[location], source);
    }
  }
  Add(t.action, e.action_and_result());
  if (e.action_and_result() == cv1::ACTION_AND_RESULT_RISK_IDENTIFIED_ACTION_TAKEN) {
    Add(t.risk_outcome, e.risk_outcome());
  }
  // Every concluded s42 enquiry appears in SG3a and SG4a (their sums are the publication's
  // "Total Concluded Enquiries"): no answer counts as not recorded.
  const int capacity =
      e.capacity() != 0 ? e.capacity() : static_cast<int>(cv1::CAPACITY_ANSWER_NOT_RECORDED);
  Add(t.capacity, capacity);
  if (capacity == cv1::CAPACITY_ANSWER_LACKED_CAPACITY &&
      e.supported_by_advocate_family_or_friend()) {
    ++t.supported;
  }
  const int asked = e.outcomes_asked() != 0 ? e.outcomes_asked()
                                            : static_cast<int>(cv1::OUTCOMES_ASKED_NOT_RECORDED);
  Add(t.asked, asked);
  if (asked == cv1::OUTCOMES_ASKED_YES_EXPRESSED) {
    Add(t.achieved, EnquiryAchievement(e));
  }
}

std::string ColumnLabel(int column) {
  switch (column) {
    case kConcernsColumn:
      return kConcerns;
    case kS42Column:
      return domain::Label(cv1::ENQUIRY_TYPE_SECTION_42);
    default:
      return domain::Label(cv1::ENQUIRY_TYPE_OTHER);
  }
}

template <typename E>
void EmitSg1(std::vector<SacRow>& rows, const std::string& table, const Tally& t,
             std::vector<int64_t> Sg1Column::*counts) {
  for (int c = 0; c < kColumns; ++c) {
    for (int v : Values<E>()) {
      rows.push_back({table, ColumnLabel(c), L<E>(v), "", (t.sg1[c].*counts)[v]});
    }
  }
}

template <typename E>
void EmitOne(std::vector<SacRow>& rows, const std::string& table,
             const std::vector<int64_t>& counts) {
  for (int v : Values<E>()) rows.push_back({table, kConcludedS42, L<E>(v), "", counts[v]});
}

template <typename Category>
void EmitBySource(std::vector<SacRow>& rows, const std::string& table,
                  const std::vector<std::vector<int64_t>>& counts) {
  for (int c : Values<Category>()) {
    for (int s : Values<cv1::SourceOfRisk>()) {
      rows.push_back({table, kConcludedS42, L<Category>(c), L<cv1::SourceOfRisk>(s), counts[c][s]});
    }
  }
}

std::vector<SacRow> Rows(const Tally& t) {
  std::vector<SacRow> rows;
  for (int c = 0; c < kColumns; ++c) {
    for (int band = 0; band < 6; ++band) {
      rows.push_back({"SG1a", ColumnLabel(c), kAgeBands[band], "", t.sg1[c].age[band]});
    }
  }
  EmitSg1<cv1::Gender>(rows, "SG1b", t, &Sg1Column::gender);
  EmitSg1<cv1::EthnicityGroup>(rows, "SG1c", t, &Sg1Column::ethnicity);
  EmitSg1<cv1::PrimarySupportReason>(rows, "SG1d", t, &Sg1Column::psr);
  rows.push_back(
      {"SG1f", ColumnLabel(kConcernsColumn), kTotalConcerns, "", t.sg1[kConcernsColumn].total});
  rows.push_back({"SG1f", ColumnLabel(kS42Column), kTotalS42, "", t.sg1[kS42Column].total});
  rows.push_back({"SG1f", ColumnLabel(kOtherColumn), kTotalOther, "", t.sg1[kOtherColumn].total});
  EmitBySource<cv1::TypeOfRisk>(rows, "SG2a", t.type_source);
  EmitBySource<cv1::LocationOfRisk>(rows, "SG2b", t.location_source);
  EmitOne<cv1::ActionAndResult>(rows, "SG2c", t.action);
  EmitOne<cv1::RiskOutcome>(rows, "SG2e", t.risk_outcome);
  EmitOne<cv1::CapacityAnswer>(rows, "SG3a", t.capacity);
  rows.push_back({"SG3a", kConcludedS42, domain::Label(cv1::CAPACITY_ANSWER_LACKED_CAPACITY),
                  kSupported, t.supported});
  EmitOne<cv1::OutcomesAsked>(rows, "SG4a", t.asked);
  for (int v : Values<cv1::OutcomeAchievement>()) {
    rows.push_back({"SG4a", kConcludedS42, domain::Label(cv1::OUTCOMES_ASKED_YES_EXPRESSED),
                    L<cv1::OutcomeAchievement>(v), t.achieved[v]});
  }
  return rows;
}

std::string CsvField(const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace

absl::StatusOr<SacPeriod> SacReportingPeriod(int year) {
  if (year < 1000 || year > 9998) {
    return absl::InvalidArgumentError(
        absl::StrCat("reporting_year: ", year, " is not a year (2025 means 2025-26)"));
  }
  absl::TimeZone london;
  if (!absl::LoadTimeZone("Europe/London", &london)) {
    // 1 April is always in British Summer Time (it begins on the last Sunday of March).
    london = absl::FixedTimeZone(60 * 60);
  }
  SacPeriod period;
  period.start = absl::FromCivil(absl::CivilSecond(year, 4, 1, 0, 0, 0), london);
  period.end = absl::FromCivil(absl::CivilSecond(year + 1, 4, 1, 0, 0, 0), london);
  period.last_day = absl::CivilDay(year + 1, 3, 31);
  return period;
}

absl::StatusOr<std::vector<SacRow>> ComputeSacReturn(KvStore& store, int reporting_year,
                                                     const std::string& la_code,
                                                     const std::string& host_la_code) {
  if (la_code.empty()) return absl::InvalidArgumentError("la_code: required (an ONS code)");
  HUB_ASSIGN_OR_RETURN(const SacPeriod period, SacReportingPeriod(reporting_year));
  // Counted where the abuse occurred; no code recorded = the partnership's host authority.
  auto in_la = [&](const std::string& code) {
    return (code.empty() ? host_la_code : code) == la_code;
  };
  Facts facts(store);
  Tally tally;

  // SG1, concerns raised in the year.
  HUB_ASSIGN_OR_RETURN(std::vector<std::string> raised,
                       facts.Ids("raised", period.start, period.end));
  for (const std::string& id : raised) {
    vv1::SacConcern concern;
    HUB_ASSIGN_OR_RETURN(bool found, facts.Get(absl::StrCat("concern/", id), &concern));
    if (!found || !in_la(concern.local_authority_code())) continue;
    HUB_ASSIGN_OR_RETURN(vv1::SacDemographics d,
                         facts.Person(concern.person_id(), concern.adult()));
    const int band = AgeBand(d, period.last_day);
    if (band == kUnder18) continue;
    const std::string person =
        concern.person_id().empty() ? absl::StrCat("concern:", id) : concern.person_id();
    CountSg1(tally.sg1[kConcernsColumn], person, d, band);
  }

  // Demographics of an enquiry's adult: the person record, else the concern's details.
  auto enquiry_adult = [&](const vv1::SacEnquiry& e) -> absl::StatusOr<vv1::SacDemographics> {
    vv1::SacConcern concern;
    HUB_ASSIGN_OR_RETURN(bool found, facts.Get(absl::StrCat("concern/", e.concern_id()), &concern));
    (void)found;  // without the concern there is no fallback: demographics unknown
    return facts.Person(e.person_id(), concern.adult());
  };

  // SG1, enquiries commenced in the year.
  HUB_ASSIGN_OR_RETURN(std::vector<std::string> opened,
                       facts.Ids("opened", period.start, period.end));
  for (const std::string& id : opened) {
    vv1::SacEnquiry enquiry;
    HUB_ASSIGN_OR_RETURN(bool found, facts.Get(absl::StrCat("enquiry/", id), &enquiry));
    if (!found || !in_la(enquiry.local_authority_code())) continue;
    int column;
    if (enquiry.type() == cv1::ENQUIRY_TYPE_SECTION_42) {
      column = kS42Column;
    } else if (enquiry.type() == cv1::ENQUIRY_TYPE_OTHER) {
      column = kOtherColumn;
    } else {
      continue;
    }
    HUB_ASSIGN_OR_RETURN(vv1::SacDemographics d, enquiry_adult(enquiry));
    const int band = AgeBand(d, period.last_day);
    if (band == kUnder18) continue;
    const std::string person =
        enquiry.person_id().empty() ? absl::StrCat("enquiry:", id) : enquiry.person_id();
    CountSg1(tally.sg1[column], person, d, band);
  }

  // SG2-SG4: Section 42 enquiries concluded in the year.
  HUB_ASSIGN_OR_RETURN(std::vector<std::string> concluded,
                       facts.Ids("concluded", period.start, period.end));
  for (const std::string& id : concluded) {
    vv1::SacEnquiry enquiry;
    HUB_ASSIGN_OR_RETURN(bool found, facts.Get(absl::StrCat("enquiry/", id), &enquiry));
    if (!found || !in_la(enquiry.local_authority_code())) continue;
    if (enquiry.type() != cv1::ENQUIRY_TYPE_SECTION_42) continue;
    HUB_ASSIGN_OR_RETURN(vv1::SacDemographics d, enquiry_adult(enquiry));
    if (AgeBand(d, period.last_day) == kUnder18) continue;
    CountConclusion(tally, enquiry);
  }
  return Rows(tally);
}

std::string SacCsv(const std::vector<SacRow>& rows, const std::string& la_code,
                   const std::string& la_name) {
  std::string out = "LA_CODE,LA_NAME,TABLE_REFERENCE,ENQUIRY_TYPE,CATEGORY,SUBCATEGORY,VALUE\r\n";
  const std::string la = absl::StrCat(CsvField(la_code), ",", CsvField(la_name), ",");
  for (const SacRow& row : rows) {
    absl::StrAppend(&out, la, CsvField(row.table), ",", CsvField(row.enquiry_type), ",",
                    CsvField(row.category), ",", CsvField(row.subcategory), ",", row.value, "\r\n");
  }
  return out;
}

}  // namespace hub::projections
