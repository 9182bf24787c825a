#include "projections/disclosure_log/disclosure_log.h"

#include "absl/strings/str_cat.h"
#include "eventstore/rocksdb/rocksdb_event_log.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hub::projections {
namespace {

namespace cv1 = ::hub::common::v1;

void AppendDisclosure(eventstore::EventLog& log, const std::string& person,
                      const std::string& concern, cv1::DisclosureKind kind,
                      const std::string& agency, int64_t seconds) {
  events::v1::Event event;
  event.mutable_occurred_at()->set_seconds(seconds);
  event.mutable_actor()->set_agency_id(agency);
  event.mutable_actor()->set_agency_kind(cv1::AGENCY_KIND_POLICE);
  event.mutable_actor()->set_user_id("pc.1");
  event.mutable_actor()->add_roles(cv1::ROLE_REFERRER);
  events::v1::DisclosureRecorded* d = event.mutable_disclosure_recorded();
  d->set_disclosure_id(absl::StrCat("d", seconds));
  d->set_kind(kind);
  d->set_person_id(person);
  d->set_concern_id(concern);
  d->set_purpose(cv1::PURPOSE_SAFEGUARDING_ENQUIRY);
  d->add_categories(cv1::INFORMATION_CATEGORY_IDENTITY);
  d->add_withheld(cv1::INFORMATION_CATEGORY_HEALTH);
  d->add_lawful_bases(cv1::LAWFUL_BASIS_DPA_PART3_LAW_ENFORCEMENT);
  d->set_relationship(cv1::RELATIONSHIP_INVOLVED_PARTNER);
  d->add_override_grounds(cv1::OVERRIDE_GROUND_SERIOUS_CRIME);
  d->set_agreement_version("2026.1");
  eventstore::AppendRequest request;
  request.stream = person.empty() ? "disclosures-unmatched" : "disclosures-" + person;
  request.events.push_back({"", "DisclosureRecorded", 1, event.SerializeAsString(), {}});
  ASSERT_TRUE(log.Append(std::move(request)).ok());
}

TEST(DisclosureLogTest, KeepsEveryReadPerPersonNewestFirstAndFiltersByCaseAndLookups) {
  testing::TempDir dir;
  eventstore::RocksDbOptions options;
  options.sync = false;
  auto log = eventstore::OpenRocksDbEventLog(dir.Sub("log"), options);
  ASSERT_TRUE(log.ok());
  auto store = eventstore::OpenRocksDbKvStore(dir.Sub("kv"), {});
  ASSERT_TRUE(store.ok());
  AppendDisclosure(**log, "p1", "c1", cv1::DISCLOSURE_KIND_CASE_VIEW, "police-northshire", 100);
  AppendDisclosure(**log, "p1", "", cv1::DISCLOSURE_KIND_LOOKUP, "housing-northshire", 200);
  AppendDisclosure(**log, "p1", "c2", cv1::DISCLOSURE_KIND_CASE_VIEW, "gp-riverside", 300);
  AppendDisclosure(**log, "p2", "c3", cv1::DISCLOSURE_KIND_CASE_VIEW, "gp-riverside", 400);
  AppendDisclosure(**log, "", "", cv1::DISCLOSURE_KIND_LOOKUP, "housing-northshire", 500);
  DisclosureLogProjection projection;
  HUB_ASSERT_OK(CatchUp(**log, **store, projection, true));

  auto all = ListDisclosures(**store, {.person_id = "p1"});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].agency_id(), "gp-riverside");       // newest first
  EXPECT_EQ((*all)[2].agency_id(), "police-northshire");
  const views::v1::DisclosureEntry& first = (*all)[2];
  EXPECT_EQ(first.at().seconds(), 100);
  EXPECT_EQ(first.user_id(), "pc.1");
  EXPECT_EQ(first.agency_kind(), cv1::AGENCY_KIND_POLICE);
  EXPECT_EQ(first.purpose(), cv1::PURPOSE_SAFEGUARDING_ENQUIRY);
  EXPECT_EQ(first.categories(0), cv1::INFORMATION_CATEGORY_IDENTITY);
  EXPECT_EQ(first.withheld(0), cv1::INFORMATION_CATEGORY_HEALTH);
  EXPECT_EQ(first.lawful_bases(0), cv1::LAWFUL_BASIS_DPA_PART3_LAW_ENFORCEMENT);
  EXPECT_EQ(first.override_grounds(0), cv1::OVERRIDE_GROUND_SERIOUS_CRIME);
  EXPECT_EQ(first.agreement_version(), "2026.1");

  auto case1 = ListDisclosures(**store, {.person_id = "p1", .concern_id = "c1"});
  ASSERT_TRUE(case1.ok());
  ASSERT_EQ(case1->size(), 2u);  // the view of c1 and the lookup, not the view of c2
  EXPECT_EQ((*case1)[0].kind(), cv1::DISCLOSURE_KIND_LOOKUP);
  auto lookups = ListDisclosures(**store, {.person_id = "p1", .lookups_only = true});
  ASSERT_TRUE(lookups.ok());
  ASSERT_EQ(lookups->size(), 1u);
  EXPECT_EQ((*lookups)[0].agency_id(), "housing-northshire");
  // Another person's log is theirs alone; a prefix of an id is not the id.
  auto p2 = ListDisclosures(**store, {.person_id = "p2"});
  ASSERT_TRUE(p2.ok());
  EXPECT_EQ(p2->size(), 1u);
  auto none = ListDisclosures(**store, {.person_id = "p"});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  auto limited = ListDisclosures(**store, {.person_id = "p1", .limit = 2});
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(limited->size(), 2u);
}

}  // namespace
}  // namespace hub::projections
