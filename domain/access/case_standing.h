// Who an agency is to a case, as the case's own streams say: the facts the rule for who may act
// (services/common/command_rules.cc) is decided on, next to the information sharing agreement's
// rule for who may see (policy/). The concern and its enquiry are the case; an agency may stand
// to it in several ways at once (the police may have raised it and been asked to research it).
//
// Pure: no I/O. Thread-safe (no state).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "domain/enquiry/enquiry.h"
#include "domain/intake/concern.h"

namespace hub::domain::access {

// One way of standing to a case. Values are bits of CaseStanding::parties.
enum class Party : uint32_t {
  // The MASH working the concern: the adult social care agency that triaged it, or while it
  // awaits triage, the host authority's adult social care (the MASH every concern reaches).
  kHostMash = 1u << 0,
  // The enquiry's lead agency or the local authority responsible for it; while no lead is
  // assigned, the MASH (as kHostMash).
  kLead = 1u << 1,
  kRaisedIt = 1u << 2,          // the agency that raised the concern
  kResearchPartner = 1u << 3,   // asked by the MASH for what it knows
  kActionOwner = 1u << 4,       // owns an agreed action or a protection plan item
  kAdvocacyProvider = 1u << 5,  // an advocacy referral was made to it
  kRestrictionOwner = 1u << 6,  // restricted the case, and is told of every read by others
  // The local authority responsible for the enquiry (s42(2)): the responsible authority of a
  // caused enquiry, else the lead; while no lead is assigned, the MASH.
  kResponsible = 1u << 7,
  // The agency that raised the concern, while it still awaits triage.
  kRaiserAwaitingTriage = 1u << 8,
};
inline constexpr Party kAllParties[] = {
    Party::kHostMash,         Party::kLead,        Party::kResponsible,
    Party::kRaisedIt,         Party::kRaiserAwaitingTriage, Party::kResearchPartner,
    Party::kActionOwner,      Party::kAdvocacyProvider,     Party::kRestrictionOwner};

// "the MASH", "the lead agency" ...: for refusals a practitioner reads.
const char* PartyLabel(Party party);

// A set of parties; empty = not connected to the case (or no such case: the two are never told
// apart to an unconnected caller).
struct CaseStanding {
  uint32_t parties = 0;

  bool Has(Party party) const { return (parties & static_cast<uint32_t>(party)) != 0; }
  void Add(Party party) { parties |= static_cast<uint32_t>(party); }
  bool connected() const { return parties != 0; }
  bool HasAnyOf(uint32_t mask) const { return (parties & mask) != 0; }
  // "raised it, research partner"; "not connected" when empty.
  std::string Describe() const;
};

// Who is connected to a case, read from its streams.
struct CaseParties {
  std::string raised_by_agency_id;
  std::string mash_agency_id;         // who triaged it last; "" while awaiting triage
  std::string lead_agency_id;         // the enquiry's lead; "" before one is assigned
  std::string responsible_agency_id;  // the local authority responsible for a caused enquiry
  std::string restricted_by_agency_id;
  std::vector<std::string> research_agency_ids;
  std::vector<std::string> action_owner_agency_ids;  // actions and plan items
  std::vector<std::string> advocacy_provider_agency_ids;
};

// The parties of the case made of `concern` and, once the threshold decision opened one,
// `enquiry` (nullptr before). A state that does not exist adds no parties.
CaseParties PartiesOf(const intake::ConcernState& concern, const enquiry::EnquiryState* enquiry);

// How `agency_id` stands to the case. `host_asc_agency_ids` are the host authority's adult
// social care agencies (the MASH before triage). An empty agency id stands nowhere.
CaseStanding StandingOf(const CaseParties& parties, const std::string& agency_id,
                        const std::vector<std::string>& host_asc_agency_ids);

}  // namespace hub::domain::access
