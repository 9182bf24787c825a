// How an agency stands to a case, from the concern and enquiry states: every party, before and
// after triage, a lead and a caused enquiry.
#include "domain/access/case_standing.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace hub::domain::access {
namespace {

const std::vector<std::string> kHost = {"asc-northshire"};

intake::ConcernState Concern() {
  intake::ConcernState concern;
  concern.exists = true;
  concern.concern_id = "c-1";
  concern.raised_by_agency_id = "police-northshire";
  return concern;
}

TEST(CaseStandingTest, AwaitingTriageTheHostMashLeadsAndTheRaiserRaisedIt) {
  const CaseParties parties = PartiesOf(Concern(), nullptr);
  const CaseStanding host = StandingOf(parties, "asc-northshire", kHost);
  EXPECT_TRUE(host.Has(Party::kHostMash));
  EXPECT_TRUE(host.Has(Party::kLead));
  EXPECT_FALSE(host.Has(Party::kRaisedIt));
  EXPECT_TRUE(host.Has(Party::kResponsible));
  const CaseStanding police = StandingOf(parties, "police-northshire", kHost);
  EXPECT_EQ(police.parties, static_cast<uint32_t>(Party::kRaisedIt) |
                                static_cast<uint32_t>(Party::kRaiserAwaitingTriage));
  EXPECT_EQ(police.Describe(), "the agency that raised it, the raiser (before triage)");
  const CaseStanding care_home = StandingOf(parties, "care-brightwater", kHost);
  EXPECT_FALSE(care_home.connected());
  EXPECT_EQ(care_home.Describe(), "not connected");
  EXPECT_FALSE(StandingOf(parties, "", kHost).connected());
}

TEST(CaseStandingTest, TriageMakesTheTriagingAgencyTheMashAndNoOtherAdultSocialCare) {
  intake::ConcernState concern = Concern();
  concern.mash_agency_id = "asc-northshire";
  const std::vector<std::string> two_hosts = {"asc-northshire", "asc-northshire-east"};
  const CaseParties parties = PartiesOf(concern, nullptr);
  EXPECT_TRUE(StandingOf(parties, "asc-northshire", two_hosts).Has(Party::kHostMash));
  EXPECT_FALSE(StandingOf(parties, "asc-northshire-east", two_hosts).connected());
  // The raiser's say before triage ends with it.
  const CaseStanding police = StandingOf(parties, "police-northshire", two_hosts);
  EXPECT_TRUE(police.Has(Party::kRaisedIt));
  EXPECT_FALSE(police.Has(Party::kRaiserAwaitingTriage));
}

TEST(CaseStandingTest, ResearchActionsAdvocacyAndRestriction) {
  intake::ConcernState concern = Concern();
  concern.mash_agency_id = "asc-northshire";
  concern.research["r-1"] = {"r-1", "gp-riverside", absl::InfinitePast(), false};
  concern.restricted = true;
  concern.restricted_by_agency_id = "police-northshire";
  concern.enquiry_id = "e-1";
  enquiry::EnquiryState enquiry;
  enquiry.opened = true;
  events::v1::EnquiryLeadAssigned lead;
  lead.set_lead_agency_id("nhs-northshire-acute");
  lead.set_responsible_agency_id("asc-northshire");
  enquiry.lead = lead;
  enquiry::ActionState action;
  action.action.set_owner_agency_id("housing-northshire");
  enquiry.actions.push_back(action);
  common::v1::PlanItem item;
  item.set_by_agency_id("care-brightwater");
  events::v1::ProtectionPlanRecorded plan;
  *plan.add_items() = item;
  enquiry.protection_plan = plan;
  enquiry::AdvocacyReferral referral;
  referral.provider_agency_id = "advocacy-northshire";
  enquiry.advocacy.referrals.push_back(referral);

  const CaseParties parties = PartiesOf(concern, &enquiry);
  EXPECT_TRUE(StandingOf(parties, "gp-riverside", kHost).Has(Party::kResearchPartner));
  EXPECT_TRUE(StandingOf(parties, "housing-northshire", kHost).Has(Party::kActionOwner));
  EXPECT_TRUE(StandingOf(parties, "care-brightwater", kHost).Has(Party::kActionOwner));
  EXPECT_TRUE(StandingOf(parties, "advocacy-northshire", kHost).Has(Party::kAdvocacyProvider));
  const CaseStanding police = StandingOf(parties, "police-northshire", kHost);
  EXPECT_TRUE(police.Has(Party::kRaisedIt));
  EXPECT_TRUE(police.Has(Party::kRestrictionOwner));
  EXPECT_FALSE(police.Has(Party::kLead));
  // A caused enquiry: the trust leads, the council stays responsible (and is still the MASH).
  const CaseStanding trust = StandingOf(parties, "nhs-northshire-acute", kHost);
  EXPECT_EQ(trust.parties, static_cast<uint32_t>(Party::kLead));
  const CaseStanding council = StandingOf(parties, "asc-northshire", kHost);
  EXPECT_TRUE(council.Has(Party::kLead));
  EXPECT_TRUE(council.Has(Party::kHostMash));
  EXPECT_EQ(council.Describe(), "the MASH, the lead agency, the local authority responsible");

  // Led by adult social care itself (not caused): the lead is the authority responsible.
  enquiry.lead->clear_responsible_agency_id();
  enquiry.lead->set_lead_agency_id("asc-northshire");
  const CaseParties own = PartiesOf(concern, &enquiry);
  EXPECT_TRUE(StandingOf(own, "asc-northshire", kHost).Has(Party::kResponsible));
  EXPECT_FALSE(StandingOf(own, "nhs-northshire-acute", kHost).connected());
}

TEST(CaseStandingTest, ANeverRaisedConcernHasNoPartiesButTheMash) {
  const CaseParties parties = PartiesOf(intake::ConcernState{}, nullptr);
  EXPECT_FALSE(StandingOf(parties, "police-northshire", kHost).connected());
  EXPECT_TRUE(StandingOf(parties, "asc-northshire", kHost).Has(Party::kHostMash));
}

}  // namespace
}  // namespace hub::domain::access
