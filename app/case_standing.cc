#include "app/case_standing.h"

#include "base/status_macros.h"
#include "domain/common/streams.h"
#include "domain/enquiry/enquiry.h"
#include "domain/intake/concern.h"

namespace hub::app {

absl::StatusOr<domain::access::CaseParties> LoadCaseParties(CaseStore& store,
                                                            const LoadedStream& loaded,
                                                            absl::Time deadline) {
  if (!loaded.exists() || loaded.events.empty()) return domain::access::CaseParties{};
  const events::v1::Event& first = loaded.events.front();
  domain::intake::ConcernState concern;
  domain::enquiry::EnquiryState enquiry;
  if (first.has_enquiry_opened()) {
    enquiry = domain::enquiry::Fold(loaded.events);
    HUB_ASSIGN_OR_RETURN(
        LoadedStream concern_stream,
        store.Load(domain::ConcernStream(enquiry.opening.concern_id()), deadline));
    concern = domain::intake::Fold(concern_stream.events);
  } else {
    concern = domain::intake::Fold(loaded.events);
    if (!concern.enquiry_id.empty()) {
      HUB_ASSIGN_OR_RETURN(LoadedStream enquiry_stream,
                           store.Load(domain::EnquiryStream(concern.enquiry_id), deadline));
      enquiry = domain::enquiry::Fold(enquiry_stream.events);
    }
  }
  return domain::access::PartiesOf(concern, enquiry.opened ? &enquiry : nullptr);
}

absl::StatusOr<domain::access::CaseStanding> StandingOnCase(
    CaseStore& store, const LoadedStream& loaded, const std::string& agency_id,
    const std::vector<std::string>& host_asc_agency_ids, absl::Time deadline) {
  HUB_ASSIGN_OR_RETURN(domain::access::CaseParties parties,
                       LoadCaseParties(store, loaded, deadline));
  return domain::access::StandingOf(parties, agency_id, host_asc_agency_ids);
}

absl::StatusOr<domain::access::CaseStanding> StandingOnPerson(
    CaseStore& store, const domain::people::PersonState& person, const std::string& agency_id,
    const std::vector<std::string>& host_asc_agency_ids, absl::Time deadline) {
  // The MASH keeps every adult's record, cases or none (and so may hear that one is unknown).
  domain::access::CaseStanding standing =
      domain::access::StandingOf({}, agency_id, host_asc_agency_ids);
  if (!person.exists) return standing;
  for (const std::string& concern_id : person.concern_ids) {
    HUB_ASSIGN_OR_RETURN(LoadedStream concern,
                         store.Load(domain::ConcernStream(concern_id), deadline));
    HUB_ASSIGN_OR_RETURN(domain::access::CaseStanding on_case,
                         StandingOnCase(store, concern, agency_id, host_asc_agency_ids, deadline));
    standing.parties |= on_case.parties;
  }
  return standing;
}

}  // namespace hub::app
