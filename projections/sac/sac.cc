#include "projections/sac/sac.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "domain/common/envelope.h"
#include "domain/common/streams.h"
#include "hub/views/v1/sac.pb.h"

namespace hub::projections {
namespace {

namespace cv1 = ::hub::common::v1;
namespace ev1 = ::hub::events::v1;
namespace vv1 = ::hub::views::v1;

vv1::SacDemographics Demographics(const cv1::AdultDetails& details) {
  vv1::SacDemographics out;
  if (details.has_date_of_birth()) *out.mutable_date_of_birth() = details.date_of_birth();
  out.set_gender(details.gender());
  out.set_ethnicity_group(details.ethnicity_group());
  out.set_primary_support_reason(details.primary_support_reason());
  return out;
}

std::string IndexKey(std::string_view index, const google::protobuf::Timestamp& at,
                     const std::string& id) {
  return absl::StrCat(absl::string_view(index.data(), index.size()), "/",
                      SacTimeKey(domain::FromTimestamp(at)), "/", id);
}

}  // namespace

std::string SacTimeKey(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E9SZ", t, absl::UTCTimeZone());
}

absl::Status SacProjection::Apply(const eventstore::RecordedEvent& record, const ev1::Event& event,
                                  Txn& txn) {
  switch (event.payload_case()) {
    // The person record as it stands: a correction restates the details in full.
    case ev1::Event::kPersonRegistered:
      txn.PutMessage(absl::StrCat("person/", event.person_registered().person_id()),
                     Demographics(event.person_registered().details()));
      return absl::OkStatus();
    case ev1::Event::kPersonDetailsCorrected:
      txn.PutMessage(absl::StrCat("person/", event.person_details_corrected().person_id()),
                     Demographics(event.person_details_corrected().details()));
      return absl::OkStatus();
    case ev1::Event::kConcernRaised: {
      const ev1::ConcernRaised& raised = event.concern_raised();
      vv1::SacConcern concern;
      concern.set_concern_id(raised.concern_id());
      concern.set_person_id(raised.person_id());
      *concern.mutable_raised_at() = event.occurred_at();
      concern.set_local_authority_code(raised.details().local_authority_code());
      *concern.mutable_adult() = Demographics(raised.adult());
      txn.PutMessage(absl::StrCat("concern/", raised.concern_id()), concern);
      txn.Put(IndexKey("raised", event.occurred_at(), raised.concern_id()), "");
      return absl::OkStatus();
    }
    case ev1::Event::kEnquiryOpened: {
      const ev1::EnquiryOpened& opened = event.enquiry_opened();
      vv1::SacEnquiry enquiry;
      enquiry.set_enquiry_id(opened.enquiry_id());
      enquiry.set_concern_id(opened.concern_id());
      enquiry.set_person_id(opened.person_id());
      enquiry.set_type(opened.type());
      *enquiry.mutable_opened_at() = event.occurred_at();
      enquiry.set_local_authority_code(opened.local_authority_code());
      txn.PutMessage(absl::StrCat("enquiry/", opened.enquiry_id()), enquiry);
      txn.Put(IndexKey("opened", event.occurred_at(), opened.enquiry_id()), "");
      return absl::OkStatus();
    }
    case ev1::Event::kEnquiryConcluded: {
      const std::string id = domain::EnquiryIdOf(record.stream);
      const std::string key = absl::StrCat("enquiry/", id);
      vv1::SacEnquiry enquiry;
      HUB_ASSIGN_OR_RETURN(bool found, txn.GetMessage(key, &enquiry));
      if (id.empty() || !found) return absl::OkStatus();
      // Concluded once (domain); should a second conclusion ever appear, the latest counts.
      if (enquiry.has_concluded_at()) txn.Delete(IndexKey("concluded", enquiry.concluded_at(), id));
      const ev1::EnquiryConcluded& c = event.enquiry_concluded();
      *enquiry.mutable_concluded_at() = event.occurred_at();
      *enquiry.mutable_risks() = c.risks();
      enquiry.set_action_and_result(c.action_and_result());
      enquiry.set_risk_outcome(c.risk_outcome());
      enquiry.set_capacity(c.capacity());
      enquiry.set_supported_by_advocate_family_or_friend(
          c.supported_by_advocate_family_or_friend());
      enquiry.set_outcomes_asked(c.outcomes_asked());
      enquiry.clear_outcome_achievements();
      for (const cv1::OutcomeResult& r : c.outcome_results()) {
        enquiry.add_outcome_achievements(r.achievement());
      }
      txn.PutMessage(key, enquiry);
      txn.Put(IndexKey("concluded", event.occurred_at(), id), "");
      return absl::OkStatus();
    }
    default:
      return absl::OkStatus();
  }
}

}  // namespace hub::projections
