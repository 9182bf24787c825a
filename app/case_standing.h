// How the caller's agency stands to a case or a person, read from the case's own streams (the
// concern and its enquiry), never from a read model that may lag: the facts AuthorizeOnCase
// (command_rules.h) decides on. Thread-safe (the store is).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "domain/access/case_standing.h"
#include "domain/people/person.h"
#include "app/case_store.h"

namespace hub::app {

// The case's parties, given one of its streams as loaded: the concern stream (the enquiry it
// opened is loaded too) or an enquiry stream (its concern is loaded too). A stream that does
// not exist has no parties.
[[nodiscard]] absl::StatusOr<domain::access::CaseParties> LoadCaseParties(
    CaseStore& store, const LoadedStream& concern_or_enquiry, absl::Time deadline);

// How `agency_id` stands to the case one of whose streams is `loaded` (as LoadCaseParties).
[[nodiscard]] absl::StatusOr<domain::access::CaseStanding> StandingOnCase(
    CaseStore& store, const LoadedStream& loaded, const std::string& agency_id,
    const std::vector<std::string>& host_asc_agency_ids, absl::Time deadline);

// How `agency_id` stands to a person: the union of its standing to each of the person's cases,
// and the MASH's standing to every person (the host authority keeps the record).
[[nodiscard]] absl::StatusOr<domain::access::CaseStanding> StandingOnPerson(
    CaseStore& store, const domain::people::PersonState& person, const std::string& agency_id,
    const std::vector<std::string>& host_asc_agency_ids, absl::Time deadline);

}  // namespace hub::app
