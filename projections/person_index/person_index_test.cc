#include "projections/person_index/person_index.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "domain/common/streams.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/case_log.h"
#include "tests/testing/status_matchers.h"

namespace hub::projections {
namespace {

using case_log_testing::CaseLog;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
namespace cv1 = ::hub::common::v1;
namespace ev1 = ::hub::events::v1;
namespace vv1 = ::hub::views::v1;
namespace clt = ::hub::projections::case_log_testing;

constexpr char kPerson[] = "p-1";

vv1::PersonEntry Load(CaseLog& log, const std::string& person_id) {
  auto entry = LoadPerson(log.store(), person_id);
  EXPECT_TRUE(entry.ok()) << entry.status();
  EXPECT_TRUE(entry.ok() && entry->has_value()) << "no entry for " << person_id;
  return entry.ok() && entry->has_value() ? **entry : vv1::PersonEntry();
}

std::optional<std::string> ById(CaseLog& log, cv1::IdentifierKind kind, const std::string& v) {
  auto found = FindByIdentifier(log.store(), kind, v);
  EXPECT_TRUE(found.ok()) << found.status();
  return found.ok() ? *found : std::nullopt;
}

std::vector<std::string> ByName(CaseLog& log, const std::string& family, const std::string& given,
                                int year, int month, int day, const std::string& postcode = "") {
  cv1::Date dob;
  dob.set_year(year);
  dob.set_month(month);
  dob.set_day(day);
  auto found = FindByNameAndBirth(log.store(), family, given, dob, postcode);
  EXPECT_TRUE(found.ok()) << found.status();
  return found.ok() ? *found : std::vector<std::string>();
}

// How many keys the index holds under `prefix` (to see old keys are gone, not just unmatched).
int KeysUnder(CaseLog& log, const std::string& prefix) {
  const std::string begin = DataKey(kPersonIndexName, prefix);
  int count = 0;
  EXPECT_TRUE(log.store()
                  .Scan(begin, eventstore::PrefixEnd(begin),
                        [&](std::string_view, std::string_view) {
                          ++count;
                          return true;
                        })
                  .ok());
  return count;
}

void Correct(CaseLog& log, const std::string& person_id, const cv1::AdultDetails& details) {
  ev1::Event event = log.By(clt::kAsc);
  event.mutable_person_details_corrected()->set_person_id(person_id);
  *event.mutable_person_details_corrected()->mutable_details() = details;
  event.mutable_person_details_corrected()->set_reason("wrong name and NHS number");
  log.Append(domain::PersonStream(person_id), event);
}

void Fold(CaseLog& log) {
  PersonIndexProjection projection;
  HUB_ASSERT_OK(log.Fold(projection));
}

TEST(PersonIndexProjectionTest, RegistrationAndCorrectionKeepTheIndexesCorrect) {
  CaseLog log;
  clt::Register(log, clt::kPolice, kPerson,
                clt::Adult("Mary", "O'Brien", 1941, 5, 17, "NE1 4XY",
                           {clt::Id(cv1::IDENTIFIER_KIND_NHS_NUMBER, "9434765919"),
                            clt::Id(cv1::IDENTIFIER_KIND_POLICE_REFERENCE, "NP/2024/0042",
                                    "north-police")}));
  Fold(log);
  vv1::PersonEntry entry = Load(log, kPerson);
  EXPECT_EQ(entry.person_id(), kPerson);
  EXPECT_EQ(entry.details().name().family(), "O'Brien");
  EXPECT_EQ(ById(log, cv1::IDENTIFIER_KIND_NHS_NUMBER, "9434765919"), kPerson);
  EXPECT_EQ(ById(log, cv1::IDENTIFIER_KIND_NHS_NUMBER, "943 476 5919"), kPerson);
  EXPECT_EQ(ById(log, cv1::IDENTIFIER_KIND_POLICE_REFERENCE, "np/2024/0042"), kPerson);
  // The same value under another kind is another identifier.
  EXPECT_EQ(ById(log, cv1::IDENTIFIER_KIND_LA_CLIENT_ID, "9434765919"), std::nullopt);
  EXPECT_THAT(ByName(log, "O'Brien", "Mary", 1941, 5, 17), ElementsAre(kPerson));

  // Corrected: a new family name and NHS number, the police reference kept.
  Correct(log, kPerson,
          clt::Adult("Mary", "Byrne", 1941, 5, 17, "NE1 4XY",
                     {clt::Id(cv1::IDENTIFIER_KIND_NHS_NUMBER, "4010232137"),
                      clt::Id(cv1::IDENTIFIER_KIND_POLICE_REFERENCE, "NP/2024/0042",
                              "north-police")}));
  Fold(log);
  entry = Load(log, kPerson);
  EXPECT_EQ(entry.details().name().family(), "Byrne");
  EXPECT_EQ(ById(log, cv1::IDENTIFIER_KIND_NHS_NUMBER, "9434765919"), std::nullopt);
  EXPECT_EQ(ById(log, cv1::IDENTIFIER_KIND_NHS_NUMBER, "401 023 2137"), kPerson);
  EXPECT_EQ(ById(log, cv1::IDENTIFIER_KIND_POLICE_REFERENCE, "NP/2024/0042"), kPerson);
  EXPECT_THAT(ByName(log, "O'Brien", "Mary", 1941, 5, 17), IsEmpty());
  EXPECT_THAT(ByName(log, "Byrne", "Mary", 1941, 5, 17), ElementsAre(kPerson));
  EXPECT_EQ(KeysUnder(log, "name/"), 1);
  EXPECT_EQ(KeysUnder(log, "ident/"), 2);
}

TEST(PersonIndexProjectionTest, NameLookupNormalisesAndFindsNoFalseMatches) {
  CaseLog log;
  clt::Register(log, clt::kAsc, "p-obrien-ne1", clt::Adult("Mary", "O'Brien", 1941, 5, 17, "NE1 4XY"));
  clt::Register(log, clt::kAsc, "p-obrien-ne9", clt::Adult("MARY", "OBRIEN", 1941, 5, 17, "ne9 9zz"));
  clt::Register(log, clt::kAsc, "p-obrien-other-dob", clt::Adult("Mary", "O'Brien", 1941, 5, 18, "NE1 4XY"));
  clt::Register(log, clt::kAsc, "p-obrienne", clt::Adult("Mary", "Obrienne", 1941, 5, 17, "NE1 4XY"));
  clt::Register(log, clt::kAsc, "p-maryann", clt::Adult("Maryann", "O'Brien", 1941, 5, 17, "NE1 4XY"));
  Fold(log);

  struct Case {
    const char* family;
    const char* given;
    int day;
    const char* postcode;
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {
      {"O'Brien", "Mary", 17, "", {"p-obrien-ne1", "p-obrien-ne9"}},
      {"OBRIEN", "mary", 17, "", {"p-obrien-ne1", "p-obrien-ne9"}},
      {"o brien", "Mary ", 17, "", {"p-obrien-ne1", "p-obrien-ne9"}},
      {"O'Brien", "Mary", 17, "ne14xy", {"p-obrien-ne1"}},
      {"O'Brien", "Mary", 17, "NE1  4XY", {"p-obrien-ne1"}},
      {"OBrien", "Mary", 17, "NE9 9ZZ", {"p-obrien-ne9"}},
      {"O'Brien", "Mary", 17, "NE2 2BB", {}},
      {"O'Brien", "Mary", 18, "", {"p-obrien-other-dob"}},
      {"O'Brien", "Mary", 19, "", {}},
      {"OBrie", "Mary", 17, "", {}},      // a prefix of a family name is not a match
      {"Obrienne", "Mary", 17, "", {"p-obrienne"}},
      {"O'Brien", "Maryann", 17, "", {"p-maryann"}},
      {"O'Brien", "Mar", 17, "", {}},
      {"'", "Mary", 17, "", {}},          // no letters: no one
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ByName(log, c.family, c.given, 1941, 5, c.day, c.postcode), c.expected)
        << c.family << " / " << c.given << " / " << c.day << " / " << c.postcode;
  }
}

TEST(PersonIndexProjectionTest, IdentifierClaimsIndexAndTheFirstHolderKeepsAValue) {
  CaseLog log;
  clt::Register(log, clt::kAsc, kPerson, clt::Adult("Ann", "Lee", 1960, 2, 3, "NE3 3CC"));
  // A referral linked on another identifier brings a new one: claimed for the person.
  ev1::Event claim = log.By(clt::kAsc);
  *claim.mutable_identifier_claimed()->mutable_identifier() =
      clt::Id(cv1::IDENTIFIER_KIND_LA_CLIENT_ID, "CF-201234", "E06000999");
  claim.mutable_identifier_claimed()->set_person_id(kPerson);
  log.Append(domain::IdentifierStream(claim.identifier_claimed().identifier()), claim);
  // Another person registered later with the same value does not take it over.
  clt::Register(log, clt::kAsc, "p-2",
                clt::Adult("Bob", "Ray", 1970, 1, 1, "NE4 4DD",
                           {clt::Id(cv1::IDENTIFIER_KIND_LA_CLIENT_ID, "cf-201234")}));
  Fold(log);
  EXPECT_EQ(ById(log, cv1::IDENTIFIER_KIND_LA_CLIENT_ID, "CF-201234"), kPerson);
  EXPECT_EQ(ById(log, cv1::IDENTIFIER_KIND_LA_CLIENT_ID, "CF-999999"), std::nullopt);
  EXPECT_EQ(ById(log, cv1::IDENTIFIER_KIND_LA_CLIENT_ID, ""), std::nullopt);
}

TEST(PersonIndexProjectionTest, RepresentativesAreReplacedNotAccumulated) {
  CaseLog log;
  clt::Register(log, clt::kAsc, kPerson, clt::Adult("Ann", "Lee", 1960, 2, 3, "NE3 3CC"));
  auto record = [&](const std::string& id, cv1::RepresentativeKind kind, const std::string& name,
                    const std::string& replaces) {
    ev1::Event event = log.By(clt::kAsc);
    ev1::RepresentativeRecorded* r = event.mutable_representative_recorded();
    r->set_person_id(kPerson);
    r->mutable_representative()->set_representative_id(id);
    r->mutable_representative()->set_kind(kind);
    r->mutable_representative()->set_name(name);
    r->set_replaces_representative_id(replaces);
    log.Append(domain::PersonStream(kPerson), event);
  };
  record("rep-1", cv1::REPRESENTATIVE_KIND_APPROPRIATE_INDIVIDUAL, "Jo Lee", "");
  record("rep-2", cv1::REPRESENTATIVE_KIND_LPA_HEALTH_AND_WELFARE, "Sam Lee (unregistered)", "");
  Fold(log);
  EXPECT_EQ(Load(log, kPerson).representatives_size(), 2);
  record("rep-3", cv1::REPRESENTATIVE_KIND_LPA_HEALTH_AND_WELFARE, "Sam Lee (registered)",
         "rep-2");
  Fold(log);
  const vv1::PersonEntry entry = Load(log, kPerson);
  ASSERT_EQ(entry.representatives_size(), 2);
  EXPECT_EQ(entry.representatives(0).representative_id(), "rep-1");
  EXPECT_EQ(entry.representatives(1).representative_id(), "rep-3");
  EXPECT_EQ(entry.representatives(1).name(), "Sam Lee (registered)");
}

TEST(PersonIndexProjectionTest, TwoConcernsAreEpisodesOpenOrClosed) {
  CaseLog log;
  clt::Register(log, clt::kPolice, kPerson, clt::Adult("Ann", "Lee", 1960, 2, 3, "NE3 3CC"));
  clt::RaiseConcern(log, clt::kPolice,
                    {.concern_id = "c-1", .person_id = kPerson,
                     .types = {cv1::TYPE_OF_RISK_PHYSICAL_ABUSE}});
  clt::Triage(log, "c-1");
  log.Append(domain::ConcernStream("c-1"), clt::Decision(log, ""));
  clt::RaiseConcern(log, clt::kGp,
                    {.concern_id = "c-2", .person_id = kPerson, .episode = 2,
                     .previous = {"c-1"}});
  clt::Triage(log, "c-2");
  clt::DecideEnquiry(log, "c-2", "e-2", kPerson);
  clt::AssignLead(log, "e-2", clt::kCareHome, clt::kAsc.id);
  Fold(log);

  vv1::PersonEntry entry = Load(log, kPerson);
  ASSERT_EQ(entry.cases_size(), 2);
  const vv1::PersonCase& first = entry.cases(0);
  EXPECT_EQ(first.concern_id(), "c-1");
  EXPECT_EQ(first.episode(), 1);
  EXPECT_EQ(first.status(), vv1::CASE_STATUS_DECIDED_NO_ENQUIRY);
  EXPECT_FALSE(first.open());
  EXPECT_TRUE(first.enquiry_id().empty());
  EXPECT_EQ(first.raised_by_agency_id(), clt::kPolice.id);
  EXPECT_EQ(first.mash_agency_id(), clt::kAsc.id);
  EXPECT_THAT(first.types_of_risk(), ElementsAre(cv1::TYPE_OF_RISK_PHYSICAL_ABUSE));
  EXPECT_TRUE(first.has_raised_at());
  const vv1::PersonCase& second = entry.cases(1);
  EXPECT_EQ(second.concern_id(), "c-2");
  EXPECT_EQ(second.episode(), 2);
  EXPECT_EQ(second.enquiry_id(), "e-2");
  EXPECT_EQ(second.status(), vv1::CASE_STATUS_ENQUIRY_OPEN);
  EXPECT_TRUE(second.open());
  EXPECT_EQ(second.lead_agency_id(), clt::kCareHome.id);
  EXPECT_EQ(second.responsible_agency_id(), clt::kAsc.id);
  EXPECT_EQ(second.raised_by_agency_id(), clt::kGp.id);
  EXPECT_GT(second.raised_at().seconds(), first.raised_at().seconds());

  clt::Conclude(log, "e-2");
  Fold(log);
  EXPECT_EQ(Load(log, kPerson).cases(1).status(), vv1::CASE_STATUS_ENQUIRY_CONCLUDED);
  EXPECT_TRUE(Load(log, kPerson).cases(1).open());
  const int64_t last = clt::Close(log, "e-2");
  Fold(log);
  entry = Load(log, kPerson);
  EXPECT_EQ(entry.cases(1).status(), vv1::CASE_STATUS_ENQUIRY_CLOSED);
  EXPECT_FALSE(entry.cases(1).open());
  EXPECT_EQ(entry.last_position(), last);
}

TEST(PersonIndexProjectionTest, InvolvedAgenciesAreEveryoneConnectedToACase) {
  CaseLog log;
  clt::Register(log, clt::kPolice, kPerson, clt::Adult("Ann", "Lee", 1960, 2, 3, "NE3 3CC"));
  clt::Register(log, clt::kPolice, "p-other", clt::Adult("Bob", "Ray", 1970, 1, 1, "NE4 4DD"));
  clt::RaiseConcern(log, clt::kPolice, {.concern_id = "c-1", .person_id = kPerson});
  clt::Triage(log, "c-1");
  clt::RequestResearch(log, "c-1", "r-gp", clt::kGp);
  // The enquiry opening is folded before its decision here.
  log.Append(domain::EnquiryStream("e-1"), clt::Opened(log, "e-1", "c-1", kPerson));
  log.Append(domain::ConcernStream("c-1"), clt::Decision(log, "e-1"));
  clt::AssignLead(log, "e-1", clt::kCareHome, clt::kAsc.id);
  clt::Strategy(log, "e-1", {clt::kHousing});
  clt::Plan(log, "e-1", clt::kAcute);
  clt::Refer(log, "e-1", "ref-1");
  // Another person's case involves nobody else in this person's entry.
  clt::RaiseConcern(log, clt::kGp, {.concern_id = "c-9", .person_id = "p-other"});
  Fold(log);

  EXPECT_THAT(Load(log, kPerson).involved_agency_ids(),
              ElementsAre(clt::kAsc.id, clt::kGp.id, clt::kHousing.id, clt::kCareHome.id,
                          clt::kPolice.id, clt::kAcute.id, clt::kAdvocacy.id));
  EXPECT_EQ(Load(log, kPerson).cases(0).enquiry_id(), "e-1");
  EXPECT_THAT(Load(log, "p-other").involved_agency_ids(), ElementsAre(clt::kGp.id));
  auto unknown = LoadPerson(log.store(), "p-unknown");
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->has_value());
}

}  // namespace
}  // namespace hub::projections
