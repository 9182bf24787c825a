#include "projections/sac/sac.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "domain/common/envelope.h"
#include "domain/common/streams.h"
#include "eventstore/rocksdb/rocksdb_event_log.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/log_and_store.h"
#include "projections/sac/sac_report.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hub::projections {
namespace {

namespace cv1 = ::hub::common::v1;
namespace ev1 = ::hub::events::v1;
using ::testing::ElementsAreArray;

constexpr char kHost[] = "E06000023";
constexpr char kHostName[] = "Bristol, City of";
constexpr char kOther[] = "E09000001";

absl::Time Utc(int y, int mo, int d, int h = 12, int mi = 0, int s = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::UTCTimeZone());
}

cv1::AdultDetails Adult(int y, int m, int d, cv1::Gender gender, cv1::EthnicityGroup ethnicity,
                        cv1::PrimarySupportReason psr) {
  cv1::AdultDetails a;
  if (y != 0) {
    a.mutable_date_of_birth()->set_year(y);
    a.mutable_date_of_birth()->set_month(m);
    a.mutable_date_of_birth()->set_day(d);
  }
  a.mutable_name()->set_family("Example");
  a.set_gender(gender);
  a.set_ethnicity_group(ethnicity);
  a.set_primary_support_reason(psr);
  return a;
}

// What a referrer might say about an adult the hub already knows: the person record, not
// this, is what the return counts.
cv1::AdultDetails Stale() {
  return Adult(2000, 1, 1, cv1::GENDER_MALE, cv1::ETHNICITY_GROUP_OTHER,
               cv1::PRIMARY_SUPPORT_REASON_SOCIAL);
}

struct Conclusion {
  std::vector<cv1::ConcludedRisk> risks;
  cv1::ActionAndResult action = cv1::ACTION_AND_RESULT_UNSPECIFIED;
  cv1::RiskOutcome outcome = cv1::RISK_OUTCOME_UNSPECIFIED;
  cv1::CapacityAnswer capacity = cv1::CAPACITY_ANSWER_UNSPECIFIED;
  bool supported = false;
  cv1::OutcomesAsked asked = cv1::OUTCOMES_ASKED_UNSPECIFIED;
  std::vector<cv1::OutcomeAchievement> achieved;
};

cv1::ConcludedRisk Risk(cv1::TypeOfRisk type, cv1::LocationOfRisk location,
                        cv1::SourceOfRisk source) {
  cv1::ConcludedRisk r;
  r.set_type(type);
  r.set_location(location);
  r.set_source(source);
  return r;
}

// A log and a store in a temporary directory; events appended as the services append them.
class Hub : public LogAndStore {
 public:
  void Append(const std::string& stream, absl::Time at, ev1::Event event) {
    *event.mutable_occurred_at() = domain::ToTimestamp(at);
    event.mutable_actor()->set_agency_id("bristol-asc");
    event.mutable_actor()->set_agency_kind(cv1::AGENCY_KIND_ADULT_SOCIAL_CARE);
    event.mutable_actor()->set_user_id("sw1");
    event.mutable_actor()->add_roles(cv1::ROLE_SAFEGUARDING_MANAGER);
    event.set_command_id(absl::StrCat("bristol-asc/cmd-", ++commands_));
    AppendEvent(stream, event);
  }

  void Register(const std::string& person, absl::Time at, const cv1::AdultDetails& details) {
    ev1::Event e;
    e.mutable_person_registered()->set_person_id(person);
    *e.mutable_person_registered()->mutable_details() = details;
    Append(domain::PersonStream(person), at, e);
  }
  void Correct(const std::string& person, absl::Time at, const cv1::AdultDetails& details) {
    ev1::Event e;
    e.mutable_person_details_corrected()->set_person_id(person);
    *e.mutable_person_details_corrected()->mutable_details() = details;
    e.mutable_person_details_corrected()->set_reason("date of birth was mistyped");
    Append(domain::PersonStream(person), at, e);
  }
  void Raise(const std::string& concern, const std::string& person, absl::Time at,
             const std::string& la, const cv1::AdultDetails& adult = Stale()) {
    ev1::Event e;
    ev1::ConcernRaised* r = e.mutable_concern_raised();
    r->set_concern_id(concern);
    r->set_person_id(person);
    *r->mutable_adult() = adult;
    r->mutable_details()->set_what_happened("...");
    r->mutable_details()->add_types_of_risk(cv1::TYPE_OF_RISK_PHYSICAL_ABUSE);
    r->mutable_details()->set_location_of_risk(cv1::LOCATION_OF_RISK_OWN_HOME);
    r->mutable_details()->set_local_authority_code(la);
    r->set_episode(1);
    Append(domain::ConcernStream(concern), at, e);
  }
  void Open(const std::string& enquiry, const std::string& concern, const std::string& person,
            cv1::EnquiryType type, absl::Time at, const std::string& la) {
    ev1::Event e;
    ev1::EnquiryOpened* o = e.mutable_enquiry_opened();
    o->set_enquiry_id(enquiry);
    o->set_concern_id(concern);
    o->set_person_id(person);
    o->set_type(type);
    o->set_local_authority_code(la);
    Append(domain::EnquiryStream(enquiry), at, e);
  }
  void Conclude(const std::string& enquiry, absl::Time at, const Conclusion& c) {
    ev1::Event e;
    ev1::EnquiryConcluded* k = e.mutable_enquiry_concluded();
    for (const auto& r : c.risks) *k->add_risks() = r;
    k->set_action_and_result(c.action);
    k->set_risk_outcome(c.outcome);
    k->set_capacity(c.capacity);
    k->set_supported_by_advocate_family_or_friend(c.supported);
    k->set_outcomes_asked(c.asked);
    int n = 0;
    for (auto a : c.achieved) {
      cv1::OutcomeResult* result = k->add_outcome_results();
      result->set_outcome_id(absl::StrCat("o", ++n));
      result->set_achievement(a);
    }
    Append(domain::EnquiryStream(enquiry), at, e);
  }

  void Fold(int batch_size = 1024) {
    SacProjection projection;
    HUB_ASSERT_OK(CatchUp(log(), store(), projection, /*from_scratch=*/true, nullptr, batch_size));
  }

 private:
  int commands_ = 0;
};

// Two reporting years (2024-25 and 2025-26) of one partnership hosted by kHost. The boundary
// between them is 1 April 00:00 BST = 31 March 23:00 UTC.
void AppendPopulation(Hub& hub) {
  using cv1::ENQUIRY_TYPE_OTHER;
  using cv1::ENQUIRY_TYPE_SECTION_42;
  // P1: 64 on 31 Mar 2025, exactly 65 on 31 Mar 2026.
  hub.Register("P1", Utc(2024, 1, 5),
               Adult(1961, 3, 31, cv1::GENDER_FEMALE, cv1::ETHNICITY_GROUP_WHITE,
                     cv1::PRIMARY_SUPPORT_REASON_PHYSICAL));
  // P2: 84 on 31 Mar 2025, 85 on 31 Mar 2026.
  hub.Register("P2", Utc(2024, 1, 5),
               Adult(1940, 6, 15, cv1::GENDER_MALE, cv1::ETHNICITY_GROUP_ASIAN,
                     cv1::PRIMARY_SUPPORT_REASON_MEMORY_AND_COGNITION));
  // P3: 17 on 31 Mar 2026 (18 the next day): not an adult for the return.
  hub.Register("P3", Utc(2024, 1, 5),
               Adult(2008, 4, 1, cv1::GENDER_FEMALE, cv1::ETHNICITY_GROUP_WHITE,
                     cv1::PRIMARY_SUPPORT_REASON_LEARNING_DISABILITY));
  // P4: no date of birth, gender not given.
  hub.Register("P4", Utc(2024, 1, 5),
               Adult(0, 0, 0, cv1::GENDER_UNSPECIFIED, cv1::ETHNICITY_GROUP_REFUSED,
                     cv1::PRIMARY_SUPPORT_REASON_MENTAL_HEALTH));
  // P5: registered wrongly, corrected: counted as corrected (96, female, Black, LD).
  hub.Register("P5", Utc(2024, 1, 5),
               Adult(1990, 1, 1, cv1::GENDER_MALE, cv1::ETHNICITY_GROUP_WHITE,
                     cv1::PRIMARY_SUPPORT_REASON_PHYSICAL));
  hub.Correct("P5", Utc(2025, 10, 1),
              Adult(1930, 1, 1, cv1::GENDER_FEMALE, cv1::ETHNICITY_GROUP_BLACK,
                    cv1::PRIMARY_SUPPORT_REASON_LEARNING_DISABILITY));
  // P6 has no person record: the concern's details count (75 on 31 Mar 2026).
  const cv1::AdultDetails p6 = Adult(1950, 5, 5, cv1::GENDER_MALE, cv1::ETHNICITY_GROUP_MIXED,
                                     cv1::PRIMARY_SUPPORT_REASON_SENSORY);
  // P7: abuse in another authority (66 on 31 Mar 2026).
  hub.Register("P7", Utc(2024, 1, 5),
               Adult(1960, 1, 1, cv1::GENDER_FEMALE, cv1::ETHNICITY_GROUP_WHITE,
                     cv1::PRIMARY_SUPPORT_REASON_SOCIAL));

  // 2023-24: 23:59:59 BST on 31 March 2024.
  hub.Raise("C0", "P2", Utc(2024, 3, 31, 22, 59, 59), "");
  // 2024-25: 00:00 BST on 1 April 2024.
  hub.Raise("C0b", "P2", Utc(2024, 3, 31, 23, 0, 0), kHost);
  // 2024-25: 23:30 and 23:45 BST on 31 March 2025; empty code = the host. Concludes in 2025-26.
  hub.Raise("C1", "P1", Utc(2025, 3, 31, 22, 30), "");
  hub.Open("E1", "C1", "P1", ENQUIRY_TYPE_SECTION_42, Utc(2025, 3, 31, 22, 45), "");
  // 2025-26: 00:00 BST on 1 April 2025.
  hub.Raise("C2", "P1", Utc(2025, 3, 31, 23, 0, 0), kHost);
  hub.Open("E2", "C2", "P1", ENQUIRY_TYPE_SECTION_42, Utc(2025, 4, 2), kHost);
  hub.Raise("C3", "P1", Utc(2025, 7, 1), kHost);
  hub.Open("E3", "C3", "P1", ENQUIRY_TYPE_SECTION_42, Utc(2025, 7, 2), kHost);
  hub.Raise("C4", "P2", Utc(2025, 5, 1), kHost);
  hub.Open("E4", "C4", "P2", ENQUIRY_TYPE_OTHER, Utc(2025, 5, 3), kHost);
  hub.Raise("C5", "P3", Utc(2025, 6, 1), kHost);
  hub.Open("E5", "C5", "P3", ENQUIRY_TYPE_SECTION_42, Utc(2025, 6, 2), kHost);
  hub.Raise("C6", "P4", Utc(2025, 8, 1), "");
  hub.Raise("C7", "P5", Utc(2025, 9, 1), kHost);
  hub.Open("E6", "C7", "P5", ENQUIRY_TYPE_SECTION_42, Utc(2025, 9, 2), kHost);
  hub.Raise("C8", "P6", Utc(2025, 10, 1), kHost, p6);
  hub.Open("E7", "C8", "P6", ENQUIRY_TYPE_OTHER, Utc(2025, 10, 2), kHost);
  hub.Raise("C9", "P7", Utc(2025, 10, 5), kOther);
  hub.Open("E8", "C9", "P7", ENQUIRY_TYPE_SECTION_42, Utc(2025, 10, 6), kOther);
  hub.Raise("C10", "P4", Utc(2025, 11, 1), kHost);

  using namespace cv1;  // NOLINT: the conclusions read as the form does
  // E1: the same risk twice (counts once), and two risks sharing location and source.
  hub.Conclude("E1", Utc(2025, 6, 10),
               {{Risk(TYPE_OF_RISK_PHYSICAL_ABUSE, LOCATION_OF_RISK_OWN_HOME,
                      SOURCE_OF_RISK_OTHER_KNOWN_TO_INDIVIDUAL),
                 Risk(TYPE_OF_RISK_PHYSICAL_ABUSE, LOCATION_OF_RISK_OWN_HOME,
                      SOURCE_OF_RISK_OTHER_KNOWN_TO_INDIVIDUAL),
                 Risk(TYPE_OF_RISK_PHYSICAL_ABUSE, LOCATION_OF_RISK_CARE_HOME_RESIDENTIAL,
                      SOURCE_OF_RISK_SERVICE_PROVIDER),
                 Risk(TYPE_OF_RISK_FINANCIAL_OR_MATERIAL_ABUSE, LOCATION_OF_RISK_OWN_HOME,
                      SOURCE_OF_RISK_OTHER_KNOWN_TO_INDIVIDUAL)},
                ACTION_AND_RESULT_RISK_IDENTIFIED_ACTION_TAKEN,
                RISK_OUTCOME_REDUCED,
                CAPACITY_ANSWER_LACKED_CAPACITY,
                true,
                OUTCOMES_ASKED_YES_EXPRESSED,
                {OUTCOME_ACHIEVEMENT_FULLY, OUTCOME_ACHIEVEMENT_FULLY}});
  hub.Conclude("E2", Utc(2025, 9, 1),
               {{Risk(TYPE_OF_RISK_NEGLECT_AND_ACTS_OF_OMISSION, LOCATION_OF_RISK_OWN_HOME,
                      SOURCE_OF_RISK_OTHER_KNOWN_TO_INDIVIDUAL),
                 Risk(TYPE_OF_RISK_PSYCHOLOGICAL_ABUSE, LOCATION_OF_RISK_OWN_HOME,
                      SOURCE_OF_RISK_OTHER_KNOWN_TO_INDIVIDUAL)},
                ACTION_AND_RESULT_RISK_IDENTIFIED_ACTION_TAKEN,
                RISK_OUTCOME_REMOVED,
                CAPACITY_ANSWER_DID_NOT_LACK_CAPACITY,
                false,
                OUTCOMES_ASKED_YES_EXPRESSED,
                {OUTCOME_ACHIEVEMENT_FULLY, OUTCOME_ACHIEVEMENT_NOT}});
  // 23:30 BST on 31 March 2026: still 2025-26.
  hub.Conclude("E3", Utc(2026, 3, 31, 22, 30),
               {{Risk(TYPE_OF_RISK_PHYSICAL_ABUSE, LOCATION_OF_RISK_IN_THE_COMMUNITY,
                      SOURCE_OF_RISK_OTHER_UNKNOWN_TO_INDIVIDUAL)},
                ACTION_AND_RESULT_NO_RISK_NO_ACTION_TAKEN,
                RISK_OUTCOME_UNSPECIFIED,
                CAPACITY_ANSWER_DONT_KNOW,
                false,
                OUTCOMES_ASKED_YES_NONE_EXPRESSED,
                {}});
  // 00:00 BST on 1 April 2026: 2026-27 (and an Other enquiry).
  hub.Conclude("E4", Utc(2026, 3, 31, 23, 0, 0),
               {{Risk(TYPE_OF_RISK_MODERN_SLAVERY, LOCATION_OF_RISK_OTHER,
                      SOURCE_OF_RISK_OTHER_UNKNOWN_TO_INDIVIDUAL)},
                ACTION_AND_RESULT_NO_RISK_NO_ACTION_TAKEN,
                RISK_OUTCOME_UNSPECIFIED,
                CAPACITY_ANSWER_DONT_KNOW,
                false,
                OUTCOMES_ASKED_NOT_RECORDED,
                {}});
  // Under 18: not counted anywhere.
  hub.Conclude("E5", Utc(2025, 8, 1),
               {{Risk(TYPE_OF_RISK_SEXUAL_ABUSE, LOCATION_OF_RISK_OWN_HOME,
                      SOURCE_OF_RISK_OTHER_KNOWN_TO_INDIVIDUAL)},
                ACTION_AND_RESULT_CEASED_AT_INDIVIDUALS_REQUEST,
                RISK_OUTCOME_UNSPECIFIED,
                CAPACITY_ANSWER_NOT_RECORDED,
                false,
                OUTCOMES_ASKED_DONT_KNOW,
                {}});
  hub.Conclude("E6", Utc(2025, 12, 1),
               {{Risk(TYPE_OF_RISK_FINANCIAL_OR_MATERIAL_ABUSE, LOCATION_OF_RISK_CARE_HOME_NURSING,
                      SOURCE_OF_RISK_SERVICE_PROVIDER),
                 Risk(TYPE_OF_RISK_FINANCIAL_OR_MATERIAL_ABUSE, LOCATION_OF_RISK_CARE_HOME_NURSING,
                      SOURCE_OF_RISK_OTHER_KNOWN_TO_INDIVIDUAL)},
                ACTION_AND_RESULT_RISK_IDENTIFIED_ACTION_TAKEN,
                RISK_OUTCOME_REMAINED,
                CAPACITY_ANSWER_LACKED_CAPACITY,
                false,
                OUTCOMES_ASKED_YES_EXPRESSED,
                {OUTCOME_ACHIEVEMENT_NOT, OUTCOME_ACHIEVEMENT_NOT}});
  // An Other enquiry: SG2-SG4 count Section 42 enquiries only.
  hub.Conclude("E7", Utc(2026, 1, 10),
               {{Risk(TYPE_OF_RISK_SELF_NEGLECT, LOCATION_OF_RISK_OWN_HOME,
                      SOURCE_OF_RISK_OTHER_KNOWN_TO_INDIVIDUAL)},
                ACTION_AND_RESULT_NO_RISK_ACTION_TAKEN,
                RISK_OUTCOME_UNSPECIFIED,
                CAPACITY_ANSWER_DONT_KNOW,
                false,
                OUTCOMES_ASKED_NO,
                {}});
  // Another authority's.
  hub.Conclude("E8", Utc(2025, 12, 15),
               {{Risk(TYPE_OF_RISK_DOMESTIC_ABUSE, LOCATION_OF_RISK_OWN_HOME,
                      SOURCE_OF_RISK_OTHER_KNOWN_TO_INDIVIDUAL)},
                ACTION_AND_RESULT_INCONCLUSIVE_ACTION_TAKEN,
                RISK_OUTCOME_UNSPECIFIED,
                CAPACITY_ANSWER_DID_NOT_LACK_CAPACITY,
                false,
                OUTCOMES_ASKED_NO,
                {}});
}

std::string Key(const SacRow& r) {
  return absl::StrCat(r.table, "|", r.enquiry_type, "|", r.category, "|", r.subcategory);
}

// Every cell in `expected` has its value; every other cell is zero.
void ExpectCells(const std::vector<SacRow>& rows, const std::map<std::string, int64_t>& expected) {
  std::map<std::string, int64_t> seen;
  for (const SacRow& r : rows) {
    ASSERT_TRUE(seen.emplace(Key(r), r.value).second) << "cell twice: " << Key(r);
    auto it = expected.find(Key(r));
    EXPECT_EQ(r.value, it == expected.end() ? 0 : it->second) << Key(r);
  }
  for (const auto& [key, value] : expected) {
    EXPECT_TRUE(seen.contains(key)) << "no such cell: " << key;
  }
}

constexpr char kC[] = "Safeguarding Concerns|";
constexpr char kS[] = "Section 42 Enquiries|";
constexpr char kO[] = "Other Enquiries|";
constexpr char kK[] = "Concluded Section 42 Enquiries|";

std::string Cell(const char* table, const char* type, const std::string& category,
                 const std::string& subcategory = "") {
  return absl::StrCat(table, "|", type, category, "|", subcategory);
}

class SacReturnTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    hub_ = new Hub();
    AppendPopulation(*hub_);
    hub_->Fold();
  }
  static void TearDownTestSuite() {
    delete hub_;
    hub_ = nullptr;
  }
  std::vector<SacRow> Return(int year, const std::string& la) {
    auto rows = ComputeSacReturn(hub_->store(), year, la, kHost);
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() ? *rows : std::vector<SacRow>{};
  }
  static Hub* hub_;
};
Hub* SacReturnTest::hub_ = nullptr;

TEST_F(SacReturnTest, Year2025CountedByHand) {
  const std::vector<SacRow> rows = Return(2025, kHost);
  ASSERT_EQ(rows.size(), 158u);
  // Concerns raised 1 Apr 2025 00:00 BST - 31 Mar 2026 24:00 BST in the host authority:
  // C2 C3 (P1), C4 (P2), C6 C10 (P4), C7 (P5), C8 (P6) = 7; C5 (P3, 17) is not an adult;
  // C9 is the other authority's; C1 (23:30 BST 31 Mar 2025) is 2024-25.
  // Individuals, once each: P1 65 F White, P2 85 M Asian, P4 no DOB, Not Known, Refused,
  // P5 96 F Black (as corrected), P6 75 M Mixed (the concern's details: no person record).
  // Section 42 commenced: E2 E3 (P1), E6 (P5) = 3 cases, 2 individuals; E5 (P3) is not an
  // adult; E1 commenced 23:45 BST 31 Mar 2025; E8 is the other authority's.
  // Other commenced: E4 (P2), E7 (P6) = 2.
  // Concluded s42: E1 (P1, commenced the year before), E2, E3 (23:30 BST 31 Mar 2026), E6;
  // not E4 (00:00 BST 1 Apr 2026, and Other), E5 (17), E7 (Other), E8 (other authority).
  ExpectCells(
      rows,
      {
          // SG1a: Concerns P1, P6, P2, P5, P4; S42 P1 (once for E2 and E3), P5; Other P6, P2.
          {Cell("SG1a", kC, "65-74"), 1},
          {Cell("SG1a", kC, "75-84"), 1},
          {Cell("SG1a", kC, "85-94"), 1},
          {Cell("SG1a", kC, "95+"), 1},
          {Cell("SG1a", kC, "Age unknown"), 1},
          {Cell("SG1a", kS, "65-74"), 1},
          {Cell("SG1a", kS, "95+"), 1},
          {Cell("SG1a", kO, "75-84"), 1},
          {Cell("SG1a", kO, "85-94"), 1},
          // SG1b: Concerns M = P2 + P6 = 2, F = P1 + P5 = 2, Not Known = P4.
          {Cell("SG1b", kC, "Male"), 2},
          {Cell("SG1b", kC, "Female"), 2},
          {Cell("SG1b", kC, "Not Known"), 1},
          {Cell("SG1b", kS, "Female"), 2},  // P1 + P5
          {Cell("SG1b", kO, "Male"), 2},    // P2 + P6
                                          // SG1c
          {Cell("SG1c", kC, "White"), 1},
          {Cell("SG1c", kC, "Mixed / Multiple"), 1},
          {Cell("SG1c", kC, "Asian / Asian British"), 1},
          {Cell("SG1c", kC, "Black / African / Caribbean / Black British"), 1},
          {Cell("SG1c", kC, "Refused"), 1},
          {Cell("SG1c", kS, "White"), 1},
          {Cell("SG1c", kS, "Black / African / Caribbean / Black British"), 1},
          {Cell("SG1c", kO, "Mixed / Multiple"), 1},
          {Cell("SG1c", kO, "Asian / Asian British"), 1},
          // SG1d counts cases: Concerns C2 + C3 (P1) = 2 Physical, C6 + C10 (P4) = 2 Mental
          // Health, C4 Memory, C7 LD, C8 Sensory = 7; S42 E2 + E3 = 2 Physical, E6 LD.
          {Cell("SG1d", kC, "Physical Support"), 2},
          {Cell("SG1d", kC, "Sensory Support"), 1},
          {Cell("SG1d", kC, "Support with Memory and Cognition"), 1},
          {Cell("SG1d", kC, "Learning Disability Support"), 1},
          {Cell("SG1d", kC, "Mental Health Support"), 2},
          {Cell("SG1d", kS, "Physical Support"), 2},
          {Cell("SG1d", kS, "Learning Disability Support"), 1},
          {Cell("SG1d", kO, "Sensory Support"), 1},
          {Cell("SG1d", kO, "Support with Memory and Cognition"), 1},
          // SG1f
          {Cell("SG1f", kC, "Total Number of Safeguarding Concerns"), 7},
          {Cell("SG1f", kS, "Total Number of Section 42 Safeguarding Enquiries"), 3},
          {Cell("SG1f", kO, "Total Number of Other Safeguarding Enquiries"), 2},
          // SG2a, distinct type x source per enquiry: E1 Physical x Known (twice: once),
          // Physical x Service Provider, Financial x Known; E2 Neglect x Known, Psychological
          // x Known; E3 Physical x Unknown; E6 Financial x Service Provider, Financial x Known.
          // Financial x Known = E1 + E6 = 2.
          {Cell("SG2a", kK, "Physical Abuse", "Other - Known to individual"), 1},
          {Cell("SG2a", kK, "Physical Abuse", "Service Provider"), 1},
          {Cell("SG2a", kK, "Physical Abuse", "Other - Unknown to individual"), 1},
          {Cell("SG2a", kK, "Financial or Material Abuse", "Other - Known to individual"), 2},
          {Cell("SG2a", kK, "Financial or Material Abuse", "Service Provider"), 1},
          {Cell("SG2a", kK, "Neglect and Acts of Omission", "Other - Known to individual"), 1},
          {Cell("SG2a", kK, "Psychological Abuse", "Other - Known to individual"), 1},
          // SG2b, distinct location x source: E1 Own Home x Known (three risks: once), Care
          // Home - Residential x SP; E2 Own Home x Known (two risks: once); E3 Community x
          // Unknown; E6 Care Home - Nursing x SP and x Known. Own Home x Known = E1 + E2 = 2.
          {Cell("SG2b", kK, "Own Home", "Other - Known to individual"), 2},
          {Cell("SG2b", kK, "Care Home - Residential", "Service Provider"), 1},
          {Cell("SG2b", kK, "In the Community", "Other - Unknown to individual"), 1},
          {Cell("SG2b", kK, "Care Home - Nursing", "Service Provider"), 1},
          {Cell("SG2b", kK, "Care Home - Nursing", "Other - Known to individual"), 1},
          // SG2c: E1 + E2 + E6 = 3 risk identified and action taken; E3 no risk, no action.
          {Cell("SG2c", kK, "Risk identified and action taken"), 3},
          {Cell("SG2c", kK, "No risk identified and no action taken"), 1},
          // SG2e, of those 3: E1 reduced, E2 removed, E6 remained.
          {Cell("SG2e", kK, "Risk reduced"), 1},
          {Cell("SG2e", kK, "Risk removed"), 1},
          {Cell("SG2e", kK, "Risk remained"), 1},
          // SG3a: E1 + E6 lacked = 2 (E1 supported), E2 did not, E3 don't know.
          {Cell("SG3a", kK, "Yes, they lacked capacity"), 2},
          {Cell("SG3a", kK, "No, they did not lack capacity"), 1},
          {Cell("SG3a", kK, "Don't know"), 1},
          {Cell("SG3a", kK, "Yes, they lacked capacity",
                "Of the enquiries recorded as Yes, in how many of these cases was support "
                "provided by an advocate, family or friend"),
           1},
          // SG4a: E1 E2 E6 expressed = 3, E3 none expressed. Achieved: E1 all fully -> Fully;
          // E2 fully + not -> Partially; E6 all not -> Not.
          {Cell("SG4a", kK, "Yes they were asked and outcomes were expressed"), 3},
          {Cell("SG4a", kK, "Yes they were asked but no outcomes were expressed"), 1},
          {Cell("SG4a", kK, "Yes they were asked and outcomes were expressed", "Fully Achieved"),
           1},
          {Cell("SG4a", kK, "Yes they were asked and outcomes were expressed",
                "Partially Achieved"),
           1},
          {Cell("SG4a", kK, "Yes they were asked and outcomes were expressed", "Not Achieved"), 1},
      });
}

TEST_F(SacReturnTest, Year2024CountedByHand) {
  // Concerns: C0b (00:00 BST 1 Apr 2024, P2 84) and C1 (23:30 BST 31 Mar 2025, P1 64) = 2;
  // C0 (23:59:59 BST 31 Mar 2024) is 2023-24. S42 commenced: E1 (P1) = 1. Nothing concluded:
  // E1 concluded on 10 June 2025.
  ExpectCells(Return(2024, kHost),
              {
                  {Cell("SG1a", kC, "18-64"), 1},  // P1, 64 on 31 Mar 2025
                  {Cell("SG1a", kC, "75-84"), 1},  // P2, 84
                  {Cell("SG1a", kS, "18-64"), 1},
                  {Cell("SG1b", kC, "Female"), 1},
                  {Cell("SG1b", kC, "Male"), 1},
                  {Cell("SG1b", kS, "Female"), 1},
                  {Cell("SG1c", kC, "White"), 1},
                  {Cell("SG1c", kC, "Asian / Asian British"), 1},
                  {Cell("SG1c", kS, "White"), 1},
                  {Cell("SG1d", kC, "Physical Support"), 1},
                  {Cell("SG1d", kC, "Support with Memory and Cognition"), 1},
                  {Cell("SG1d", kS, "Physical Support"), 1},
                  {Cell("SG1f", kC, "Total Number of Safeguarding Concerns"), 2},
                  {Cell("SG1f", kS, "Total Number of Section 42 Safeguarding Enquiries"), 1},
              });
}

TEST_F(SacReturnTest, AnotherAuthorityCountsOnlyWhatHappenedThere) {
  // C9 / E8 (P7: 66, F, White, Social Support), abuse in kOther; nothing with an empty code.
  ExpectCells(Return(2025, kOther),
              {
                  {Cell("SG1a", kC, "65-74"), 1},
                  {Cell("SG1a", kS, "65-74"), 1},
                  {Cell("SG1b", kC, "Female"), 1},
                  {Cell("SG1b", kS, "Female"), 1},
                  {Cell("SG1c", kC, "White"), 1},
                  {Cell("SG1c", kS, "White"), 1},
                  {Cell("SG1d", kC, "Social Support"), 1},
                  {Cell("SG1d", kS, "Social Support"), 1},
                  {Cell("SG1f", kC, "Total Number of Safeguarding Concerns"), 1},
                  {Cell("SG1f", kS, "Total Number of Section 42 Safeguarding Enquiries"), 1},
                  {Cell("SG2a", kK, "Domestic Abuse", "Other - Known to individual"), 1},
                  {Cell("SG2b", kK, "Own Home", "Other - Known to individual"), 1},
                  {Cell("SG2c", kK, "Risk Assessment inconclusive and action taken"), 1},
                  {Cell("SG3a", kK, "No, they did not lack capacity"), 1},
                  {Cell("SG4a", kK, "No"), 1},
              });
}

// Labels, in order, exactly as domain-reference.md §2.3/§2.4 spell them.
TEST_F(SacReturnTest, EveryCellInOrderWithTheNationalLabels) {
  const std::vector<std::string> age = {"18-64", "65-74", "75-84", "85-94", "95+", "Age unknown"};
  const std::vector<std::string> gender = {"Male", "Female", "Not Known"};
  const std::vector<std::string> ethnicity = {"White",
                                              "Mixed / Multiple",
                                              "Asian / Asian British",
                                              "Black / African / Caribbean / Black British",
                                              "Other Ethnic Group",
                                              "Refused",
                                              "Undeclared / Not Known"};
  const std::vector<std::string> psr = {"Physical Support",
                                        "Sensory Support",
                                        "Support with Memory and Cognition",
                                        "Learning Disability Support",
                                        "Mental Health Support",
                                        "Social Support",
                                        "No Support Reason",
                                        "Not Known"};
  const std::vector<std::string> types = {"Physical Abuse",
                                          "Sexual Abuse",
                                          "Psychological Abuse",
                                          "Financial or Material Abuse",
                                          "Discriminatory Abuse",
                                          "Organisational Abuse",
                                          "Neglect and Acts of Omission",
                                          "Domestic Abuse",
                                          "Sexual Exploitation",
                                          "Modern Slavery",
                                          "Self-Neglect"};
  const std::vector<std::string> locations = {"Own Home",
                                              "In the Community",
                                              "Community Service",
                                              "Care Home - Nursing",
                                              "Care Home - Residential",
                                              "Hospital - Acute",
                                              "Hospital - Mental Health",
                                              "Hospital - Community",
                                              "Other"};
  const std::vector<std::string> sources = {"Service Provider", "Other - Known to individual",
                                            "Other - Unknown to individual"};
  const std::vector<std::string> sg1_types = {"Safeguarding Concerns", "Section 42 Enquiries",
                                              "Other Enquiries"};
  const std::string concluded = "Concluded Section 42 Enquiries";

  std::vector<std::string> want;
  auto add = [&](const std::string& table, const std::string& type, const std::string& category,
                 const std::string& subcategory = "") {
    want.push_back(absl::StrCat(table, "|", type, "|", category, "|", subcategory));
  };
  for (const auto& t : sg1_types)
    for (const auto& c : age) add("SG1a", t, c);
  for (const auto& t : sg1_types)
    for (const auto& c : gender) add("SG1b", t, c);
  for (const auto& t : sg1_types)
    for (const auto& c : ethnicity) add("SG1c", t, c);
  for (const auto& t : sg1_types)
    for (const auto& c : psr) add("SG1d", t, c);
  add("SG1f", "Safeguarding Concerns", "Total Number of Safeguarding Concerns");
  add("SG1f", "Section 42 Enquiries", "Total Number of Section 42 Safeguarding Enquiries");
  add("SG1f", "Other Enquiries", "Total Number of Other Safeguarding Enquiries");
  for (const auto& c : types)
    for (const auto& s : sources) add("SG2a", concluded, c, s);
  for (const auto& c : locations)
    for (const auto& s : sources) add("SG2b", concluded, c, s);
  for (const char* c :
       {"Risk identified and action taken", "Risk identified and no action taken",
        "Risk Assessment inconclusive and action taken",
        "Risk Assessment inconclusive and no action taken", "No risk identified and action taken",
        "No risk identified and no action taken",
        "Enquiry ceased at individual's request and no action taken"}) {
    add("SG2c", concluded, c);
  }
  for (const char* c : {"Risk remained", "Risk reduced", "Risk removed"}) {
    add("SG2e", concluded, c);
  }
  for (const char* c : {"Yes, they lacked capacity", "No, they did not lack capacity", "Don't know",
                        "Not recorded"}) {
    add("SG3a", concluded, c);
  }
  add("SG3a", concluded, "Yes, they lacked capacity",
      "Of the enquiries recorded as Yes, in how many of these cases was support provided by "
      "an advocate, family or friend");
  for (const char* c :
       {"Yes they were asked and outcomes were expressed",
        "Yes they were asked but no outcomes were expressed", "No", "Don't Know", "Not Recorded"}) {
    add("SG4a", concluded, c);
  }
  for (const char* c : {"Fully Achieved", "Partially Achieved", "Not Achieved"}) {
    add("SG4a", concluded, "Yes they were asked and outcomes were expressed", c);
  }
  ASSERT_EQ(want.size(), 158u);  // 18 + 9 + 21 + 24 + 3 + 33 + 27 + 7 + 3 + 5 + 8

  std::vector<std::string> got;
  for (const SacRow& r : Return(2025, kHost)) got.push_back(Key(r));
  EXPECT_THAT(got, ElementsAreArray(want));
}

TEST_F(SacReturnTest, CsvInTheNhsLongFormat) {
  const std::string csv = SacCsv(Return(2025, kHost), kHost, kHostName);
  std::vector<std::string> lines = absl::StrSplit(csv, "\r\n");
  ASSERT_EQ(lines.size(), 160u);  // header, 158 cells, and "" after the last CRLF
  EXPECT_EQ(lines.front(),
            "LA_CODE,LA_NAME,TABLE_REFERENCE,ENQUIRY_TYPE,CATEGORY,SUBCATEGORY,VALUE");
  EXPECT_EQ(lines.back(), "");
  EXPECT_EQ(lines[1], "E06000023,\"Bristol, City of\",SG1a,Safeguarding Concerns,18-64,,0");
  // Commas are quoted; apostrophes and slashes need no quoting.
  EXPECT_THAT(lines, ::testing::Contains(
                         "E06000023,\"Bristol, City of\",SG3a,Concluded Section 42 Enquiries,"
                         "\"Yes, they lacked capacity\",,2"));
  EXPECT_THAT(lines, ::testing::Contains(
                         "E06000023,\"Bristol, City of\",SG3a,Concluded Section 42 Enquiries,"
                         "\"Yes, they lacked capacity\",\"Of the enquiries recorded as Yes, in "
                         "how many of these cases was support provided by an advocate, family "
                         "or friend\",1"));
  EXPECT_THAT(lines, ::testing::Contains(
                         "E06000023,\"Bristol, City of\",SG2c,Concluded Section 42 Enquiries,"
                         "Enquiry ceased at individual's request and no action taken,,0"));
  EXPECT_THAT(lines, ::testing::Contains("E06000023,\"Bristol, City of\",SG1c,Section 42 Enquiries,"
                                         "Black / African / Caribbean / Black British,,1"));
  // Quotes are doubled.
  EXPECT_EQ(
      SacCsv({{"SG1f", "Safeguarding Concerns", "Total Number of Safeguarding Concerns", "", 12}},
             "E0", "The \"New\" Council"),
      "LA_CODE,LA_NAME,TABLE_REFERENCE,ENQUIRY_TYPE,CATEGORY,SUBCATEGORY,VALUE\r\n"
      "E0,\"The \"\"New\"\" Council\",SG1f,Safeguarding Concerns,"
      "Total Number of Safeguarding Concerns,,12\r\n");
}

TEST(SacTest, ReportingYearRunsAprilToMarchLondonTime) {
  auto period = SacReportingPeriod(2025);
  HUB_ASSERT_OK(period);
  EXPECT_EQ(period->start, Utc(2025, 3, 31, 23, 0, 0));  // 00:00 BST
  EXPECT_EQ(period->end, Utc(2026, 3, 31, 23, 0, 0));
  EXPECT_EQ(period->last_day, absl::CivilDay(2026, 3, 31));
  EXPECT_EQ(SacReportingPeriod(25).status().code(), absl::StatusCode::kInvalidArgument);
  testing::TempDir dir;
  auto store = eventstore::OpenRocksDbKvStore(dir.Sub("kv"), {});
  HUB_ASSERT_OK(store);
  EXPECT_EQ(ComputeSacReturn(**store, 2025, "", kHost).status().code(),
            absl::StatusCode::kInvalidArgument);
  // An empty store gives every cell, all zero.
  auto rows = ComputeSacReturn(**store, 2025, kHost, kHost);
  HUB_ASSERT_OK(rows);
  EXPECT_EQ(rows->size(), 158u);
  ExpectCells(*rows, {});
}

TEST(SacTest, SameFactsWhateverTheBatchBoundaries) {
  Hub one_by_one;
  Hub all_at_once;
  AppendPopulation(one_by_one);
  AppendPopulation(all_at_once);
  one_by_one.Fold(/*batch_size=*/1);
  all_at_once.Fold(/*batch_size=*/1000);
  auto a = Digest(one_by_one.store(), "sac");
  auto b = Digest(all_at_once.store(), "sac");
  HUB_ASSERT_OK(a);
  HUB_ASSERT_OK(b);
  EXPECT_EQ(*a, *b);
  // The read model holds no names.
  HUB_ASSERT_OK(all_at_once.store().Scan(
      "p/sac/", eventstore::PrefixEnd("p/sac/"), [](std::string_view key, std::string_view value) {
        EXPECT_EQ(value.find("Example"), std::string_view::npos) << key;
        return true;
      }));
}

}  // namespace
}  // namespace hub::projections
