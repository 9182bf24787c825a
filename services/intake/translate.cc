#include "services/intake/translate.h"

#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "base/status_macros.h"
#include "domain/common/envelope.h"
#include "app/command_request.h"

namespace hub::services {

using app::MakeCommandContext;
using app::CheckId;
using app::CheckShortText;
using app::CheckLongText;
using app::CheckListSize;
using app::CheckEnum;
using app::CheckTimestamp;
using app::Field;
namespace {

using common::v1::AdultDetails;

absl::Status Invalid(std::string_view field, std::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": ", std::string(reason)));
}

template <typename E, typename Repeated>
absl::Status CheckEnumList(std::string_view field, const Repeated& values, int min = 0) {
  HUB_RETURN_IF_ERROR(CheckListSize(field, values.size(), min));
  for (int i = 0; i < values.size(); ++i) {
    HUB_RETURN_IF_ERROR(CheckEnum(Field(field, i), static_cast<E>(values.Get(i)), true));
  }
  return absl::OkStatus();
}

// "ns11aa" / "NS1 1AA" / "ns1  1aa" -> "NS1 1AA"; INVALID_ARGUMENT if not shaped like a UK
// postcode (5 to 7 letters and digits, the last three an inward code).
absl::Status NormalisePostcode(std::string_view field, std::string& postcode) {
  if (postcode.empty()) return absl::OkStatus();
  std::string compact;
  for (char c : postcode) {
    if (c == ' ') continue;
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      return Invalid(field, "not a UK postcode (letters and digits only, e.g. \"NS1 1AA\")");
    }
    compact.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
  }
  if (compact.size() < 5 || compact.size() > 7 ||
      !absl::ascii_isdigit(static_cast<unsigned char>(compact[compact.size() - 3]))) {
    return Invalid(field, "not a UK postcode (e.g. \"NS1 1AA\")");
  }
  postcode =
      absl::StrCat(compact.substr(0, compact.size() - 3), " ", compact.substr(compact.size() - 3));
  return absl::OkStatus();
}

absl::Status ValidateDate(std::string_view field, const common::v1::Date& date, absl::Time now) {
  if (date.year() == 0 && date.month() == 0 && date.day() == 0) return absl::OkStatus();
  const absl::CivilDay day(date.year(), date.month(), date.day());
  if (date.year() < 1880 || date.month() < 1 || date.month() > 12 || date.day() < 1 ||
      day.year() != date.year() || day.month() != date.month() || day.day() != date.day()) {
    return Invalid(field, "not a valid date");
  }
  if (day > absl::CivilDay(absl::ToCivilDay(now, absl::UTCTimeZone()))) {
    return Invalid(field, "in the future");
  }
  return absl::OkStatus();
}

absl::Status ValidateIdentifier(std::string_view field, common::v1::Identifier& identifier) {
  HUB_RETURN_IF_ERROR(CheckEnum(Field(field, "kind"), identifier.kind(), true));
  HUB_RETURN_IF_ERROR(CheckShortText(Field(field, "value"), identifier.value(), true));
  HUB_RETURN_IF_ERROR(CheckShortText(Field(field, "issuer"), identifier.issuer()));
  if (identifier.kind() == common::v1::IDENTIFIER_KIND_NHS_NUMBER) {
    if (!domain::people::IsValidNhsNumber(identifier.value())) {
      return Invalid(Field(field, "value"), "not a valid NHS number (check digit)");
    }
    identifier.set_value(domain::people::NormaliseNhsNumber(identifier.value()));
  } else {
    identifier.set_value(std::string(absl::StripAsciiWhitespace(identifier.value())));
  }
  return absl::OkStatus();
}

absl::Status ValidateRepresentative(std::string_view field, const common::v1::Representative& rep) {
  HUB_RETURN_IF_ERROR(CheckEnum(Field(field, "kind"), rep.kind(), true));
  HUB_RETURN_IF_ERROR(CheckShortText(Field(field, "name"), rep.name(), true));
  HUB_RETURN_IF_ERROR(CheckShortText(Field(field, "relationship"), rep.relationship()));
  HUB_RETURN_IF_ERROR(CheckShortText(Field(field, "contact"), rep.contact()));
  HUB_RETURN_IF_ERROR(CheckLongText(Field(field, "notes"), rep.notes()));
  return absl::OkStatus();
}

// An ONS area code: one letter and eight digits (E06000001).
absl::Status ValidateAreaCode(std::string_view field, const std::string& code) {
  if (code.empty()) return absl::OkStatus();
  bool ok = code.size() == 9 && absl::ascii_isupper(static_cast<unsigned char>(code[0]));
  for (size_t i = 1; ok && i < code.size(); ++i) {
    ok = absl::ascii_isdigit(static_cast<unsigned char>(code[i]));
  }
  return ok ? absl::OkStatus() : Invalid(field, "not an ONS area code (e.g. \"E06000001\")");
}

template <typename Command>
absl::StatusOr<IntakeStreamCommand<Command>> OnStream(const domain::Caller& caller,
                                                      const api::v1::CommandHeader& header,
                                                      absl::Time now, std::string_view id_field,
                                                      const std::string& id) {
  IntakeStreamCommand<Command> out;
  HUB_ASSIGN_OR_RETURN(out.command.ctx,
                       MakeCommandContext(caller, header, now, false, &out.expected_version));
  HUB_RETURN_IF_ERROR(CheckId(id_field, id));
  out.id = id;
  return out;
}

}  // namespace

absl::Status ValidateAdultDetails(std::string_view field, AdultDetails& details, absl::Time now) {
  const std::string identifiers = Field(field, "identifiers");
  HUB_RETURN_IF_ERROR(CheckListSize(identifiers, details.identifiers_size()));
  for (int i = 0; i < details.identifiers_size(); ++i) {
    HUB_RETURN_IF_ERROR(ValidateIdentifier(Field(identifiers, i), *details.mutable_identifiers(i)));
  }
  const std::string name = Field(field, "name");
  HUB_RETURN_IF_ERROR(CheckShortText(Field(name, "given"), details.name().given()));
  HUB_RETURN_IF_ERROR(CheckShortText(Field(name, "family"), details.name().family()));
  HUB_RETURN_IF_ERROR(CheckShortText(Field(name, "preferred"), details.name().preferred()));
  HUB_RETURN_IF_ERROR(ValidateDate(Field(field, "date_of_birth"), details.date_of_birth(), now));
  const std::string address = Field(field, "address");
  HUB_RETURN_IF_ERROR(CheckListSize(Field(address, "lines"), details.address().lines_size()));
  for (int i = 0; i < details.address().lines_size(); ++i) {
    HUB_RETURN_IF_ERROR(CheckShortText(Field(Field(address, "lines"), i), details.address().lines(i)));
  }
  HUB_RETURN_IF_ERROR(CheckShortText(Field(address, "postcode"), details.address().postcode()));
  if (details.has_address()) {
    HUB_RETURN_IF_ERROR(NormalisePostcode(Field(address, "postcode"),
                                          *details.mutable_address()->mutable_postcode()));
  }
  HUB_RETURN_IF_ERROR(CheckEnum(Field(field, "gender"), details.gender(), false));
  HUB_RETURN_IF_ERROR(CheckEnum(Field(field, "ethnicity_group"), details.ethnicity_group(), false));
  HUB_RETURN_IF_ERROR(
      CheckEnum(Field(field, "primary_support_reason"), details.primary_support_reason(), false));
  const std::string needs = Field(field, "communication_needs");
  const common::v1::CommunicationNeeds& cn = details.communication_needs();
  HUB_RETURN_IF_ERROR(CheckShortText(Field(needs, "preferred_language"), cn.preferred_language()));
  HUB_RETURN_IF_ERROR(CheckShortText(Field(needs, "sensory_needs"), cn.sensory_needs()));
  HUB_RETURN_IF_ERROR(CheckShortText(Field(needs, "how_best_to_contact"), cn.how_best_to_contact()));
  HUB_RETURN_IF_ERROR(CheckLongText(Field(Field(field, "household"), "notes"), details.household().notes()));
  HUB_RETURN_IF_ERROR(CheckShortText(Field(field, "phone"), details.phone()));
  return absl::OkStatus();
}

absl::Status ValidateConcernDetails(std::string_view field,
                                    const common::v1::ConcernDetails& details) {
  HUB_RETURN_IF_ERROR(CheckLongText(Field(field, "what_happened"), details.what_happened(), true));
  HUB_RETURN_IF_ERROR(
      CheckTimestamp(Field(field, "incident_started_at"), details.incident_started_at(), false));
  HUB_RETURN_IF_ERROR(
      CheckTimestamp(Field(field, "incident_ended_at"), details.incident_ended_at(), false));
  HUB_RETURN_IF_ERROR(CheckEnumList<common::v1::TypeOfRisk>(Field(field, "types_of_risk"),
                                                            details.types_of_risk(), 1));
  HUB_RETURN_IF_ERROR(CheckListSize(Field(field, "themes"), details.themes_size()));
  for (int i = 0; i < details.themes_size(); ++i) {
    HUB_RETURN_IF_ERROR(CheckShortText(Field(Field(field, "themes"), i), details.themes(i), true));
  }
  HUB_RETURN_IF_ERROR(
      CheckEnum(Field(field, "location_of_risk"), details.location_of_risk(), true));
  HUB_RETURN_IF_ERROR(CheckLongText(Field(field, "location_details"), details.location_details()));
  const std::string sources = Field(field, "sources_of_risk");
  HUB_RETURN_IF_ERROR(CheckListSize(sources, details.sources_of_risk_size()));
  for (int i = 0; i < details.sources_of_risk_size(); ++i) {
    const common::v1::SourceOfRiskDetails& source = details.sources_of_risk(i);
    const std::string f = Field(sources, i);
    HUB_RETURN_IF_ERROR(CheckEnum(Field(f, "category"), source.category(), false));
    HUB_RETURN_IF_ERROR(CheckShortText(Field(f, "relationship"), source.relationship()));
    HUB_RETURN_IF_ERROR(CheckShortText(Field(f, "name"), source.name()));
    HUB_RETURN_IF_ERROR(CheckLongText(Field(f, "notes"), source.notes()));
  }
  HUB_RETURN_IF_ERROR(
      CheckLongText(Field(field, "immediate_risk_details"), details.immediate_risk_details()));
  HUB_RETURN_IF_ERROR(
      CheckLongText(Field(field, "immediate_actions_taken"), details.immediate_actions_taken()));
  HUB_RETURN_IF_ERROR(
      CheckLongText(Field(Field(field, "others_at_risk"), "details"), details.others_at_risk().details()));
  const std::string referrer = Field(field, "referrer");
  const common::v1::Referrer& r = details.referrer();
  HUB_RETURN_IF_ERROR(CheckShortText(Field(referrer, "name"), r.name()));
  HUB_RETURN_IF_ERROR(CheckShortText(Field(referrer, "role"), r.role()));
  HUB_RETURN_IF_ERROR(CheckShortText(Field(referrer, "organisation"), r.organisation()));
  HUB_RETURN_IF_ERROR(CheckShortText(Field(referrer, "phone"), r.phone()));
  HUB_RETURN_IF_ERROR(CheckShortText(Field(referrer, "email"), r.email()));
  HUB_RETURN_IF_ERROR(CheckShortText(Field(referrer, "relationship_to_adult"), r.relationship_to_adult()));
  const std::string consent = Field(field, "consent");
  const common::v1::Consent& c = details.consent();
  HUB_RETURN_IF_ERROR(CheckEnum(Field(consent, "status"), c.status(), true));
  HUB_RETURN_IF_ERROR(CheckEnum(Field(consent, "not_asked_reason"), c.not_asked_reason(), false));
  HUB_RETURN_IF_ERROR(CheckEnumList<common::v1::OverrideGround>(Field(consent, "override_grounds"),
                                                                c.override_grounds()));
  HUB_RETURN_IF_ERROR(CheckLongText(Field(consent, "override_justification"), c.override_justification()));
  HUB_RETURN_IF_ERROR(CheckLongText(Field(consent, "adult_informed_note"), c.adult_informed_note()));
  const std::string outcomes = Field(field, "desired_outcomes");
  HUB_RETURN_IF_ERROR(CheckListSize(outcomes, details.desired_outcomes_size()));
  for (int i = 0; i < details.desired_outcomes_size(); ++i) {
    const common::v1::DesiredOutcome& outcome = details.desired_outcomes(i);
    const std::string f = Field(outcomes, i);
    if (!outcome.outcome_id().empty()) {
      HUB_RETURN_IF_ERROR(CheckId(Field(f, "outcome_id"), outcome.outcome_id()));
    }
    HUB_RETURN_IF_ERROR(CheckLongText(Field(f, "text"), outcome.text()));
    HUB_RETURN_IF_ERROR(CheckEnum(Field(f, "kind"), outcome.kind(), false));
    HUB_RETURN_IF_ERROR(CheckEnum(Field(f, "expressed_by"), outcome.expressed_by(), false));
    HUB_RETURN_IF_ERROR(CheckLongText(Field(f, "achievability_note"), outcome.achievability_note()));
  }
  HUB_RETURN_IF_ERROR(CheckLongText(Field(field, "adults_views"), details.adults_views()));
  HUB_RETURN_IF_ERROR(
      CheckLongText(Field(Field(field, "coercion"), "reasons"), details.coercion().reasons()));
  HUB_RETURN_IF_ERROR(
      ValidateAreaCode(Field(field, "local_authority_code"), details.local_authority_code()));
  HUB_RETURN_IF_ERROR(CheckShortText(Field(field, "external_reference"), details.external_reference()));
  return absl::OkStatus();
}

absl::StatusOr<domain::people::RegisterPerson> RegisterPersonFromProto(
    const domain::Caller& caller, const api::v1::RegisterPersonRequest& request, absl::Time now) {
  domain::people::RegisterPerson command;
  HUB_ASSIGN_OR_RETURN(command.ctx,
                       MakeCommandContext(caller, request.header(), now, true, nullptr));
  command.details = request.details();
  HUB_RETURN_IF_ERROR(ValidateAdultDetails("details", command.details, now));
  return command;
}

absl::StatusOr<IntakeStreamCommand<domain::people::CorrectPersonDetails>>
CorrectPersonDetailsFromProto(const domain::Caller& caller,
                              const api::v1::CorrectPersonDetailsRequest& request, absl::Time now) {
  HUB_ASSIGN_OR_RETURN(
      auto out, OnStream<domain::people::CorrectPersonDetails>(caller, request.header(), now,
                                                               "person_id", request.person_id()));
  out.command.details = request.details();
  HUB_RETURN_IF_ERROR(ValidateAdultDetails("details", out.command.details, now));
  HUB_RETURN_IF_ERROR(CheckLongText("reason", request.reason(), true));
  out.command.reason = request.reason();
  return out;
}

absl::StatusOr<IntakeStreamCommand<domain::people::RecordRepresentative>>
RecordRepresentativeFromProto(const domain::Caller& caller,
                              const api::v1::RecordRepresentativeRequest& request, absl::Time now) {
  HUB_ASSIGN_OR_RETURN(
      auto out, OnStream<domain::people::RecordRepresentative>(caller, request.header(), now,
                                                               "person_id", request.person_id()));
  HUB_RETURN_IF_ERROR(ValidateRepresentative("representative", request.representative()));
  if (!request.replaces_representative_id().empty()) {
    HUB_RETURN_IF_ERROR(
        CheckId("replaces_representative_id", request.replaces_representative_id()));
  }
  HUB_RETURN_IF_ERROR(CheckLongText("reason", request.reason()));
  out.command.representative = request.representative();
  out.command.representative.clear_representative_id();  // assigned by the hub
  out.command.replaces_representative_id = request.replaces_representative_id();
  out.command.reason = request.reason();
  return out;
}

absl::StatusOr<domain::intake::RaiseConcern> RaiseConcernFromProto(
    const domain::Caller& caller, const api::v1::RaiseConcernRequest& request, absl::Time now) {
  domain::intake::RaiseConcern command;
  HUB_ASSIGN_OR_RETURN(command.ctx,
                       MakeCommandContext(caller, request.header(), now, true, nullptr));
  switch (request.subject_case()) {
    case api::v1::RaiseConcernRequest::kPersonId:
      HUB_RETURN_IF_ERROR(CheckId("person_id", request.person_id()));
      command.person_id = request.person_id();
      break;
    case api::v1::RaiseConcernRequest::kAdult:
      command.adult = request.adult();
      HUB_RETURN_IF_ERROR(ValidateAdultDetails("adult", command.adult, now));
      break;
    case api::v1::RaiseConcernRequest::SUBJECT_NOT_SET:
      return Invalid("subject", "required: person_id (a known person) or adult (their details)");
  }
  HUB_RETURN_IF_ERROR(ValidateConcernDetails("details", request.details()));
  command.details = request.details();
  return command;
}

absl::StatusOr<IntakeStreamCommand<domain::intake::TriageConcern>> TriageConcernFromProto(
    const domain::Caller& caller, const api::v1::TriageConcernRequest& request, absl::Time now) {
  HUB_ASSIGN_OR_RETURN(
      auto out, OnStream<domain::intake::TriageConcern>(caller, request.header(), now, "concern_id",
                                                        request.concern_id()));
  HUB_RETURN_IF_ERROR(CheckEnum("rating", request.rating(), true));
  HUB_RETURN_IF_ERROR(CheckLongText("rationale", request.rationale(), true));
  HUB_RETURN_IF_ERROR(CheckLongText("rerating_reason", request.rerating_reason()));
  out.command.rating = request.rating();
  out.command.rationale = request.rationale();
  out.command.rerating_reason = request.rerating_reason();
  return out;
}

absl::StatusOr<IntakeStreamCommand<domain::intake::RequestResearch>> RequestResearchFromProto(
    const domain::Caller& caller, const api::v1::RequestResearchRequest& request, absl::Time now) {
  HUB_ASSIGN_OR_RETURN(
      auto out, OnStream<domain::intake::RequestResearch>(caller, request.header(), now,
                                                          "concern_id", request.concern_id()));
  HUB_RETURN_IF_ERROR(CheckShortText("agency_id", request.agency_id(), true));
  HUB_RETURN_IF_ERROR(CheckLongText("questions", request.questions(), true));
  out.command.agency_id = request.agency_id();
  out.command.questions = request.questions();
  if (request.has_due_at()) {
    HUB_RETURN_IF_ERROR(CheckTimestamp("due_at", request.due_at(), true));
    out.command.due_at = domain::FromTimestamp(request.due_at());
  }
  return out;
}

absl::StatusOr<IntakeStreamCommand<domain::intake::AnswerResearch>> AnswerResearchFromProto(
    const domain::Caller& caller, const api::v1::AnswerResearchRequest& request, absl::Time now) {
  HUB_ASSIGN_OR_RETURN(
      auto out, OnStream<domain::intake::AnswerResearch>(caller, request.header(), now,
                                                         "concern_id", request.concern_id()));
  HUB_RETURN_IF_ERROR(CheckId("request_id", request.request_id()));
  HUB_RETURN_IF_ERROR(CheckLongText("answer", request.answer()));
  HUB_RETURN_IF_ERROR(CheckEnumList<common::v1::HandlingMarking>("markings", request.markings()));
  out.command.request_id = request.request_id();
  out.command.answer = request.answer();
  for (int marking : request.markings()) {
    out.command.markings.push_back(static_cast<common::v1::HandlingMarking>(marking));
  }
  out.command.nothing_known = request.nothing_known();
  return out;
}

absl::StatusOr<IntakeStreamCommand<domain::intake::RecordThresholdDecision>>
RecordThresholdDecisionFromProto(const domain::Caller& caller,
                                 const api::v1::RecordThresholdDecisionRequest& request,
                                 absl::Time now) {
  HUB_ASSIGN_OR_RETURN(auto out,
                       OnStream<domain::intake::RecordThresholdDecision>(
                           caller, request.header(), now, "concern_id", request.concern_id()));
  HUB_RETURN_IF_ERROR(CheckEnum("route", request.route(), true));
  HUB_RETURN_IF_ERROR(CheckLongText("rationale", request.rationale(), true));
  HUB_RETURN_IF_ERROR(CheckShortText("refer_elsewhere_to", request.refer_elsewhere_to()));
  HUB_RETURN_IF_ERROR(CheckLongText("referrer_feedback", request.referrer_feedback()));
  domain::intake::RecordThresholdDecision& c = out.command;
  c.has_care_and_support_needs = request.has_care_and_support_needs();
  c.experiencing_or_at_risk = request.experiencing_or_at_risk();
  c.unable_to_protect_self = request.unable_to_protect_self();
  c.route = request.route();
  c.rationale = request.rationale();
  c.refer_elsewhere_to = request.refer_elsewhere_to();
  c.referrer_feedback_given = request.referrer_feedback_given();
  c.referrer_feedback = request.referrer_feedback();
  return out;
}

absl::StatusOr<IntakeStreamCommand<domain::intake::RecordReferrerFeedback>>
RecordReferrerFeedbackFromProto(const domain::Caller& caller,
                                const api::v1::RecordReferrerFeedbackRequest& request,
                                absl::Time now) {
  HUB_ASSIGN_OR_RETURN(auto out,
                       OnStream<domain::intake::RecordReferrerFeedback>(
                           caller, request.header(), now, "concern_id", request.concern_id()));
  HUB_RETURN_IF_ERROR(CheckLongText("feedback", request.feedback(), true));
  out.command.feedback = request.feedback();
  return out;
}

absl::StatusOr<IntakeStreamCommand<domain::intake::RecordSharingConsent>>
RecordSharingConsentFromProto(const domain::Caller& caller,
                              const api::v1::RecordSharingConsentRequest& request, absl::Time now) {
  HUB_ASSIGN_OR_RETURN(auto out,
                       OnStream<domain::intake::RecordSharingConsent>(
                           caller, request.header(), now, "concern_id", request.concern_id()));
  HUB_RETURN_IF_ERROR(CheckEnumList<common::v1::OverrideGround>("override_grounds",
                                                                request.override_grounds()));
  HUB_RETURN_IF_ERROR(CheckLongText("justification", request.justification(), false));
  HUB_RETURN_IF_ERROR(CheckLongText("adults_words", request.adults_words(), false));
  out.command.consent_given = request.consent_given();
  for (int ground : request.override_grounds()) {
    out.command.override_grounds.push_back(static_cast<common::v1::OverrideGround>(ground));
  }
  out.command.justification = request.justification();
  out.command.adults_words = request.adults_words();
  return out;
}

absl::StatusOr<IntakeStreamCommand<domain::intake::RestrictCase>> RestrictCaseFromProto(
    const domain::Caller& caller, const api::v1::RestrictCaseRequest& request, absl::Time now) {
  HUB_ASSIGN_OR_RETURN(auto out, OnStream<domain::intake::RestrictCase>(
                                     caller, request.header(), now, "concern_id",
                                     request.concern_id()));
  HUB_RETURN_IF_ERROR(CheckEnum("reason_kind", request.reason_kind(), /*required=*/true));
  HUB_RETURN_IF_ERROR(CheckLongText("reason", request.reason(), /*required=*/true));
  out.command.reason_kind = request.reason_kind();
  out.command.reason = request.reason();
  return out;
}

absl::StatusOr<IntakeStreamCommand<domain::intake::LiftCaseRestriction>>
LiftCaseRestrictionFromProto(const domain::Caller& caller,
                             const api::v1::LiftCaseRestrictionRequest& request, absl::Time now) {
  HUB_ASSIGN_OR_RETURN(auto out, OnStream<domain::intake::LiftCaseRestriction>(
                                     caller, request.header(), now, "concern_id",
                                     request.concern_id()));
  HUB_RETURN_IF_ERROR(CheckLongText("reason", request.reason(), /*required=*/true));
  out.command.reason = request.reason();
  return out;
}

}  // namespace hub::services
