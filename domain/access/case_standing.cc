#include "domain/access/case_standing.h"

#include <algorithm>

#include "absl/strings/str_join.h"

namespace hub::domain::access {
namespace {

bool Contains(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

void AddUnique(std::vector<std::string>& ids, const std::string& id) {
  if (!id.empty() && !Contains(ids, id)) ids.push_back(id);
}

}  // namespace

const char* PartyLabel(Party party) {
  switch (party) {
    case Party::kHostMash:
      return "the MASH";
    case Party::kLead:
      return "the lead agency";
    case Party::kRaisedIt:
      return "the agency that raised it";
    case Party::kResearchPartner:
      return "an agency asked to research";
    case Party::kActionOwner:
      return "an action owner";
    case Party::kAdvocacyProvider:
      return "the advocacy provider";
    case Party::kRestrictionOwner:
      return "the restriction's owner";
    case Party::kResponsible:
      return "the local authority responsible";
    case Party::kRaiserAwaitingTriage:
      return "the raiser (before triage)";
  }
  return "?";
}

std::string CaseStanding::Describe() const {
  std::vector<std::string> labels;
  for (Party party : kAllParties) {
    if (Has(party)) labels.push_back(PartyLabel(party));
  }
  return labels.empty() ? "not connected" : absl::StrJoin(labels, ", ");
}

CaseParties PartiesOf(const intake::ConcernState& concern, const enquiry::EnquiryState* enquiry) {
  CaseParties parties;
  if (concern.exists) {
    parties.raised_by_agency_id = concern.raised_by_agency_id;
    parties.mash_agency_id = concern.mash_agency_id;
    if (concern.restricted) parties.restricted_by_agency_id = concern.restricted_by_agency_id;
    for (const auto& [id, request] : concern.research) {
      AddUnique(parties.research_agency_ids, request.agency_id);
    }
  }
  if (enquiry == nullptr || !enquiry->opened) return parties;
  if (enquiry->lead) {
    parties.lead_agency_id = enquiry->lead->lead_agency_id();
    parties.responsible_agency_id = enquiry->lead->responsible_agency_id();
  }
  for (const enquiry::ActionState& action : enquiry->actions) {
    AddUnique(parties.action_owner_agency_ids, action.action.owner_agency_id());
  }
  if (enquiry->protection_plan) {
    for (const common::v1::PlanItem& item : enquiry->protection_plan->items()) {
      AddUnique(parties.action_owner_agency_ids, item.by_agency_id());
    }
  }
  for (const enquiry::AdvocacyReferral& referral : enquiry->advocacy.referrals) {
    AddUnique(parties.advocacy_provider_agency_ids, referral.provider_agency_id);
  }
  return parties;
}

CaseStanding StandingOf(const CaseParties& parties, const std::string& agency_id,
                        const std::vector<std::string>& host_asc_agency_ids) {
  CaseStanding standing;
  if (agency_id.empty()) return standing;
  const bool mash = parties.mash_agency_id.empty() ? Contains(host_asc_agency_ids, agency_id)
                                                   : agency_id == parties.mash_agency_id;
  if (mash) standing.Add(Party::kHostMash);
  if (agency_id == parties.lead_agency_id || agency_id == parties.responsible_agency_id ||
      (parties.lead_agency_id.empty() && mash)) {
    standing.Add(Party::kLead);
  }
  const std::string& responsible = !parties.responsible_agency_id.empty()
                                       ? parties.responsible_agency_id
                                       : parties.lead_agency_id;
  if (agency_id == responsible || (responsible.empty() && mash)) {
    standing.Add(Party::kResponsible);
  }
  if (agency_id == parties.raised_by_agency_id) {
    standing.Add(Party::kRaisedIt);
    if (parties.mash_agency_id.empty()) standing.Add(Party::kRaiserAwaitingTriage);
  }
  if (Contains(parties.research_agency_ids, agency_id)) standing.Add(Party::kResearchPartner);
  if (Contains(parties.action_owner_agency_ids, agency_id)) standing.Add(Party::kActionOwner);
  if (Contains(parties.advocacy_provider_agency_ids, agency_id)) {
    standing.Add(Party::kAdvocacyProvider);
  }
  if (agency_id == parties.restricted_by_agency_id) standing.Add(Party::kRestrictionOwner);
  return standing;
}

}  // namespace hub::domain::access
