#include "projections/notifications/notifications.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "domain/common/envelope.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/log_and_store.h"
#include "tests/testing/status_matchers.h"

namespace hub::projections {
namespace {

namespace cv1 = ::hub::common::v1;
namespace ev1 = ::hub::events::v1;
namespace vv1 = ::hub::views::v1;

const absl::Time kStart = absl::FromUnixSeconds(1717800000);

// Events stamped by `agency`'s user, a minute apart.
class Writer {
 public:
  explicit Writer(LogAndStore& log) : log_(log) {}

  ev1::Event By(const std::string& agency, cv1::AgencyKind kind, const std::string& user) {
    now_ += absl::Minutes(1);
    domain::CommandContext ctx;
    ctx.caller = {agency, kind, user, {cv1::ROLE_REFERRER}};
    ctx.now = now_;
    ctx.command_key = absl::StrCat(agency, "/c", ++n_);
    return domain::NewEvent(ctx);
  }

  void Grant(const std::string& concern, const std::string& lead, const std::string& owner) {
    ev1::Event e = By("nhs-acute", cv1::AGENCY_KIND_ACUTE_HEALTH, "dr.okoro");
    ev1::EmergencyAccessGranted* g = e.mutable_emergency_access_granted();
    g->set_grant_id(absl::StrCat("g-", concern));
    g->set_concern_id(concern);
    g->set_person_id("p-1");
    g->set_agency_id("nhs-acute");
    g->set_user_id("dr.okoro");
    g->set_reason("Unconscious in A&E, need to know who is a risk to her.");
    *g->mutable_granted_at() = e.occurred_at();
    *g->mutable_expires_at() = domain::ToTimestamp(now_ + absl::Hours(3));
    g->set_lead_agency_id(lead);
    g->set_restricted_by_agency_id(owner);
    log_.AppendEvent(absl::StrCat("emergency-access-", concern), e);
  }

  void Read(const std::string& concern, const std::string& agency, const std::string& lead,
            const std::string& owner, bool break_glass,
            cv1::DisclosureKind kind = cv1::DISCLOSURE_KIND_CASE_VIEW) {
    ev1::Event e = By(agency, cv1::AGENCY_KIND_ACUTE_HEALTH, "dr.okoro");
    ev1::DisclosureRecorded* d = e.mutable_disclosure_recorded();
    d->set_disclosure_id(absl::StrCat("d", n_));
    d->set_kind(kind);
    d->set_person_id("p-1");
    d->set_concern_id(concern);
    d->add_categories(cv1::INFORMATION_CATEGORY_IDENTITY);
    d->set_lead_agency_id(lead);
    d->set_restricted_by_agency_id(owner);
    if (break_glass) {
      d->set_break_glass(true);
      d->set_grant_id(absl::StrCat("g-", concern));
      d->set_break_glass_reason("Unconscious in A&E, need to know who is a risk to her.");
      *d->mutable_grant_expires_at() = domain::ToTimestamp(now_ + absl::Hours(2));
    }
    log_.AppendEvent("disclosures-p-1", e);
  }

 private:
  LogAndStore& log_;
  absl::Time now_ = kStart;
  int n_ = 0;
};

std::vector<vv1::Notification> List(LogAndStore& log, const std::string& agency,
                                    std::optional<int64_t> after = std::nullopt, int limit = 100) {
  auto listed = ListNotifications(log.store(), {agency, after, limit});
  EXPECT_TRUE(listed.ok()) << listed.status();
  return listed.ok() ? *listed : std::vector<vv1::Notification>{};
}

TEST(NotificationsTest, GrantsAndUsesGoToTheLeadAndTheOwnerRestrictedReadsToTheOwner) {
  LogAndStore log;
  Writer w(log);
  w.Grant("c-1", "asc-northshire", "");                                        // 0
  w.Read("c-1", "nhs-acute", "asc-northshire", "", /*break_glass=*/true);     // 1
  w.Read("c-1", "police-northshire", "asc-northshire", "", false);            // 2: nothing
  w.Grant("c-2", "asc-northshire", "police-northshire");                       // 3
  w.Read("c-2", "nhs-acute", "asc-northshire", "police-northshire", true);    // 4
  w.Read("c-2", "gp-riverside", "asc-northshire", "police-northshire", false);  // 5
  w.Read("c-2", "police-northshire", "asc-northshire", "police-northshire", false);  // 6: own
  w.Read("c-2", "gp-riverside", "asc-northshire", "police-northshire", false,
         cv1::DISCLOSURE_KIND_PERSON_RECORD);                                  // 7: not a case view
  w.Grant("c-3", "asc-northshire", "asc-northshire");                          // 8: lead owns it
  NotificationsProjection projection;
  HUB_ASSERT_OK(CatchUp(log.log(), log.store(), projection, true));

  const std::vector<vv1::Notification> lead = List(log, "asc-northshire");
  ASSERT_EQ(lead.size(), 5u);
  EXPECT_EQ(lead[0].position(), 0);
  EXPECT_EQ(lead[0].kind(), vv1::NOTIFICATION_KIND_EMERGENCY_ACCESS_GRANTED);
  EXPECT_EQ(lead[0].notified_as(), vv1::NOTIFIED_AS_LEAD);
  EXPECT_EQ(lead[0].concern_id(), "c-1");
  EXPECT_EQ(lead[0].by_agency_id(), "nhs-acute");
  EXPECT_EQ(lead[0].by_agency_kind(), cv1::AGENCY_KIND_ACUTE_HEALTH);
  EXPECT_EQ(lead[0].by_user_id(), "dr.okoro");
  EXPECT_EQ(lead[0].grant_id(), "g-c-1");
  EXPECT_EQ(lead[0].reason(), "Unconscious in A&E, need to know who is a risk to her.");
  EXPECT_EQ(domain::FromTimestamp(lead[0].expires_at()),
            domain::FromTimestamp(lead[0].at()) + absl::Hours(3));
  EXPECT_EQ(lead[1].position(), 1);
  EXPECT_EQ(lead[1].kind(), vv1::NOTIFICATION_KIND_EMERGENCY_ACCESS_USED);
  EXPECT_EQ(lead[1].grant_id(), "g-c-1");
  EXPECT_EQ(lead[1].disclosure_id(), "d2");
  EXPECT_THAT(lead[1].categories(), ::testing::ElementsAre(cv1::INFORMATION_CATEGORY_IDENTITY));
  EXPECT_EQ(lead[2].position(), 3);
  EXPECT_EQ(lead[3].position(), 4);
  EXPECT_EQ(lead[3].kind(), vv1::NOTIFICATION_KIND_EMERGENCY_ACCESS_USED);
  EXPECT_EQ(lead[4].position(), 8);
  EXPECT_EQ(lead[4].notified_as(), vv1::NOTIFIED_AS_LEAD_AND_OWNER);  // once, not twice

  const std::vector<vv1::Notification> owner = List(log, "police-northshire");
  ASSERT_EQ(owner.size(), 3u);
  EXPECT_EQ(owner[0].position(), 3);
  EXPECT_EQ(owner[0].kind(), vv1::NOTIFICATION_KIND_EMERGENCY_ACCESS_GRANTED);
  EXPECT_EQ(owner[0].notified_as(), vv1::NOTIFIED_AS_RESTRICTION_OWNER);
  EXPECT_EQ(owner[1].position(), 4);
  EXPECT_EQ(owner[1].kind(), vv1::NOTIFICATION_KIND_EMERGENCY_ACCESS_USED);
  EXPECT_EQ(owner[2].position(), 5);
  EXPECT_EQ(owner[2].kind(), vv1::NOTIFICATION_KIND_RESTRICTED_CASE_ACCESSED);
  EXPECT_EQ(owner[2].by_agency_id(), "gp-riverside");
  EXPECT_TRUE(owner[2].grant_id().empty());

  // Agencies told nothing see nothing; an agency id is not a prefix of another.
  EXPECT_TRUE(List(log, "nhs-acute").empty());
  EXPECT_TRUE(List(log, "gp-riverside").empty());
  EXPECT_TRUE(List(log, "asc-north").empty());
  EXPECT_TRUE(List(log, "").empty());

  // The cursor is a global position; the limit cuts the list.
  std::vector<vv1::Notification> after = List(log, "asc-northshire", 1);
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(after[0].position(), 3);
  after = List(log, "asc-northshire", 3, 1);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].position(), 4);
  EXPECT_TRUE(List(log, "asc-northshire", 8).empty());
  EXPECT_EQ(List(log, "asc-northshire", -1).size(), 5u);
}

TEST(NotificationsTest, RebuildsByteForByteWhateverTheBatches) {
  LogAndStore log;
  Writer w(log);
  for (int i = 0; i < 20; ++i) {
    const std::string concern = absl::StrCat("c-", i);
    const std::string owner = i % 3 == 0 ? "police-northshire" : "";
    w.Grant(concern, "asc-northshire", owner);
    w.Read(concern, "nhs-acute", "asc-northshire", owner, true);
    w.Read(concern, "gp-riverside", "asc-northshire", owner, false);
  }
  std::string reference;
  for (int batch : {1, 7, 1000}) {
    NotificationsProjection projection;
    HUB_ASSERT_OK(CatchUp(log.log(), log.store(), projection, /*from_scratch=*/true, nullptr,
                          batch));
    absl::StatusOr<std::string> digest = Digest(log.store(), kNotificationsName);
    ASSERT_TRUE(digest.ok());
    if (reference.empty()) {
      reference = *digest;
      // Not vacuous: 20 grants and 20 uses to the lead, 7 of each and 7 reads to the owner.
      EXPECT_EQ(List(log, "asc-northshire").size(), 40u);
      EXPECT_EQ(List(log, "police-northshire").size(), 21u);
    }
    EXPECT_EQ(*digest, reference) << "batch " << batch;
  }
}

}  // namespace
}  // namespace hub::projections
