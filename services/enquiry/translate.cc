#include "services/enquiry/translate.h"

#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "domain/common/envelope.h"
#include "google/protobuf/timestamp.pb.h"
#include "app/command_request.h"

namespace hub::services {

using app::CurrentRequestLimits;
using app::MakeCommandContext;
using app::CheckId;
using app::CheckText;
using app::CheckShortText;
using app::CheckLongText;
using app::CheckListSize;
using app::CheckEnum;
using app::CheckTimestamp;
using app::Field;
namespace {

namespace enq = ::hub::domain::enquiry;
namespace av1 = ::hub::api::v1;
namespace cv1 = ::hub::common::v1;


// Every command names its enquiry and states the version it expects.
template <typename Command, typename Request>
absl::StatusOr<EnquiryCommand<Command>> Start(const Request& request, const domain::Caller& caller,
                                              absl::Time now) {
  EnquiryCommand<Command> out;
  HUB_RETURN_IF_ERROR(CheckId("enquiry_id", request.enquiry_id()));
  out.enquiry_id = request.enquiry_id();
  HUB_ASSIGN_OR_RETURN(
      out.command.ctx,
      MakeCommandContext(caller, request.header(), now, /*creates=*/false, &out.expected_version));
  return out;
}

// An optional time: nullopt when unset (a zero timestamp counts as unset).
absl::StatusOr<std::optional<absl::Time>> OptionalTime(std::string_view field, bool has,
                                                       const google::protobuf::Timestamp& ts) {
  if (!has) return std::nullopt;
  HUB_RETURN_IF_ERROR(CheckTimestamp(field, ts, /*required=*/false));
  if (ts.seconds() == 0 && ts.nanos() == 0) return std::nullopt;
  return domain::FromTimestamp(ts);
}

// A time the domain requires: absl::InfinitePast() when unset, so that the domain names it.
absl::StatusOr<absl::Time> TimeOrUnset(std::string_view field, bool has,
                                       const google::protobuf::Timestamp& ts) {
  HUB_ASSIGN_OR_RETURN(std::optional<absl::Time> t, OptionalTime(field, has, ts));
  return t.value_or(absl::InfinitePast());
}

bool IsZero(const google::protobuf::Timestamp& ts) { return ts.seconds() == 0 && ts.nanos() == 0; }

// A participating agency named in a request: NOT_FOUND if the partnership has no such agency.
absl::StatusOr<const config::v1::Agency*> ParticipatingAgency(const config::Partnership& partnership,
                                                              std::string_view field,
                                                              const std::string& agency_id) {
  HUB_RETURN_IF_ERROR(CheckText(field, agency_id, CurrentRequestLimits().max_short_text, /*required=*/true));
  const config::v1::Agency* agency = partnership.FindAgency(agency_id);
  if (agency == nullptr) {
    return absl::NotFoundError(absl::StrCat(std::string(field), ": not a participating agency"));
  }
  return agency;
}

absl::Status CheckDesiredOutcome(const std::string& field, const cv1::DesiredOutcome& o) {
  HUB_RETURN_IF_ERROR(CheckLongText(Field(field, "text"), o.text()));
  HUB_RETURN_IF_ERROR(CheckEnum(Field(field, "kind"), o.kind(), /*required=*/false));
  HUB_RETURN_IF_ERROR(CheckEnum(Field(field, "expressed_by"), o.expressed_by(), false));
  return CheckLongText(Field(field, "achievability_note"), o.achievability_note());
}

}  // namespace

// ---- Enquiry ----

absl::StatusOr<EnquiryCommand<enq::AssignLead>> FromProto(const av1::AssignLeadRequest& request,
                                                          const domain::Caller& caller,
                                                          absl::Time now,
                                                          const config::Partnership& partnership) {
  HUB_ASSIGN_OR_RETURN(auto out, (Start<enq::AssignLead>(request, caller, now)));
  HUB_ASSIGN_OR_RETURN(
      const config::v1::Agency* lead,
      ParticipatingAgency(partnership, "lead_agency_id", request.lead_agency_id()));
  HUB_RETURN_IF_ERROR(CheckShortText("officer_name", request.officer_name()));
  HUB_RETURN_IF_ERROR(CheckShortText("officer_user_id", request.officer_user_id()));
  HUB_RETURN_IF_ERROR(CheckLongText("scope", request.scope()));
  enq::AssignLead& c = out.command;
  c.lead_agency_id = request.lead_agency_id();
  c.lead_agency_kind = lead->kind();
  c.officer_name = request.officer_name();
  c.officer_user_id = request.officer_user_id();
  c.caused = request.caused();
  c.scope = request.scope();
  // The authority that assigns a caused enquiry is the one keeping responsibility (s42(2)).
  c.responsible_agency_id = caller.agency_id;
  c.responsible_agency_kind = caller.agency_kind;
  return out;
}

absl::StatusOr<EnquiryCommand<enq::RecordStrategyDiscussion>> FromProto(
    const av1::RecordStrategyDiscussionRequest& request, const domain::Caller& caller,
    absl::Time now, const config::Partnership& partnership) {
  HUB_ASSIGN_OR_RETURN(auto out, (Start<enq::RecordStrategyDiscussion>(request, caller, now)));
  enq::RecordStrategyDiscussion& c = out.command;
  HUB_ASSIGN_OR_RETURN(c.held_at, TimeOrUnset("held_at", request.has_held_at(), request.held_at()));
  HUB_RETURN_IF_ERROR(CheckListSize("participants", request.participants_size()));
  for (int i = 0; i < request.participants_size(); ++i) {
    HUB_RETURN_IF_ERROR(CheckShortText(Field("participants", i), request.participants(i)));
    c.participants.push_back(request.participants(i));
  }
  HUB_RETURN_IF_ERROR(CheckListSize("decisions", request.decisions_size()));
  for (int i = 0; i < request.decisions_size(); ++i) {
    HUB_RETURN_IF_ERROR(CheckLongText(Field("decisions", i), request.decisions(i)));
    c.decisions.push_back(request.decisions(i));
  }
  HUB_RETURN_IF_ERROR(CheckListSize("actions", request.actions_size()));
  for (int i = 0; i < request.actions_size(); ++i) {
    const std::string field = Field("actions", i);
    cv1::AgreedAction action = request.actions(i);
    if (!action.action_id().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(Field(field, "action_id"), ": assigned by the hub; leave it empty"));
    }
    HUB_RETURN_IF_ERROR(CheckLongText(Field(field, "description"), action.description()));
    if (!action.owner_agency_id().empty()) {
      HUB_RETURN_IF_ERROR(ParticipatingAgency(partnership, Field(field, "owner_agency_id"),
                                              action.owner_agency_id())
                              .status());
    }
    HUB_RETURN_IF_ERROR(CheckShortText(Field(field, "owner_name"), action.owner_name()));
    if (action.has_due_at()) {
      HUB_RETURN_IF_ERROR(CheckTimestamp(Field(field, "due_at"), action.due_at(), false));
      if (IsZero(action.due_at())) action.clear_due_at();
    }
    c.actions.push_back(std::move(action));
  }
  HUB_RETURN_IF_ERROR(CheckLongText("adults_views", request.adults_views()));
  c.adults_views = request.adults_views();
  return out;
}

absl::StatusOr<EnquiryCommand<enq::CompleteAction>> FromProto(
    const av1::CompleteActionRequest& request, const domain::Caller& caller, absl::Time now,
    const config::Partnership&) {
  HUB_ASSIGN_OR_RETURN(auto out, (Start<enq::CompleteAction>(request, caller, now)));
  HUB_RETURN_IF_ERROR(CheckId("action_id", request.action_id()));
  HUB_RETURN_IF_ERROR(CheckLongText("note", request.note()));
  out.command.action_id = request.action_id();
  out.command.note = request.note();
  return out;
}

absl::StatusOr<EnquiryCommand<enq::ReviseDesiredOutcomes>> FromProto(
    const av1::ReviseDesiredOutcomesRequest& request, const domain::Caller& caller, absl::Time now,
    const config::Partnership&) {
  HUB_ASSIGN_OR_RETURN(auto out, (Start<enq::ReviseDesiredOutcomes>(request, caller, now)));
  enq::ReviseDesiredOutcomes& c = out.command;
  HUB_RETURN_IF_ERROR(CheckListSize("added", request.added_size()));
  for (int i = 0; i < request.added_size(); ++i) {
    const std::string field = Field("added", i);
    if (!request.added(i).outcome_id().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(Field(field, "outcome_id"), ": assigned by the hub; leave it empty"));
    }
    HUB_RETURN_IF_ERROR(CheckDesiredOutcome(field, request.added(i)));
    c.added.push_back(request.added(i));
  }
  HUB_RETURN_IF_ERROR(CheckListSize("changed", request.changed_size()));
  for (int i = 0; i < request.changed_size(); ++i) {
    const std::string field = Field("changed", i);
    HUB_RETURN_IF_ERROR(CheckId(Field(field, "outcome_id"), request.changed(i).outcome_id()));
    HUB_RETURN_IF_ERROR(CheckDesiredOutcome(field, request.changed(i)));
    c.changed.push_back(request.changed(i));
  }
  HUB_RETURN_IF_ERROR(CheckListSize("withdrawn_outcome_ids", request.withdrawn_outcome_ids_size()));
  for (int i = 0; i < request.withdrawn_outcome_ids_size(); ++i) {
    HUB_RETURN_IF_ERROR(
        CheckId(Field("withdrawn_outcome_ids", i), request.withdrawn_outcome_ids(i)));
    c.withdrawn_outcome_ids.push_back(request.withdrawn_outcome_ids(i));
  }
  HUB_RETURN_IF_ERROR(CheckLongText("reason", request.reason()));
  c.reason = request.reason();
  return out;
}

absl::StatusOr<EnquiryCommand<enq::RecordCapacityAssessment>> FromProto(
    const av1::RecordCapacityAssessmentRequest& request, const domain::Caller& caller,
    absl::Time now, const config::Partnership&) {
  HUB_ASSIGN_OR_RETURN(auto out, (Start<enq::RecordCapacityAssessment>(request, caller, now)));
  enq::RecordCapacityAssessment& c = out.command;
  HUB_RETURN_IF_ERROR(CheckShortText("decision", request.decision()));
  HUB_ASSIGN_OR_RETURN(
      c.assessed_at, TimeOrUnset("assessed_at", request.has_assessed_at(), request.assessed_at()));
  HUB_RETURN_IF_ERROR(CheckShortText("assessor", request.assessor()));
  HUB_RETURN_IF_ERROR(CheckEnum("finding", request.finding(), /*required=*/false));
  HUB_RETURN_IF_ERROR(CheckLongText("evidence", request.evidence()));
  c.decision = request.decision();
  c.assessor = request.assessor();
  c.finding = request.finding();
  c.evidence = request.evidence();
  return out;
}

absl::StatusOr<EnquiryCommand<enq::RecordBestInterestsDecision>> FromProto(
    const av1::RecordBestInterestsDecisionRequest& request, const domain::Caller& caller,
    absl::Time now, const config::Partnership&) {
  HUB_ASSIGN_OR_RETURN(auto out, (Start<enq::RecordBestInterestsDecision>(request, caller, now)));
  enq::RecordBestInterestsDecision& c = out.command;
  HUB_RETURN_IF_ERROR(CheckId("capacity_assessment_id", request.capacity_assessment_id()));
  HUB_RETURN_IF_ERROR(CheckShortText("decision", request.decision()));
  HUB_RETURN_IF_ERROR(CheckListSize("options", request.options_size()));
  for (int i = 0; i < request.options_size(); ++i) {
    const std::string field = Field("options", i);
    const cv1::BestInterestsOption& o = request.options(i);
    HUB_RETURN_IF_ERROR(CheckShortText(Field(field, "option"), o.option()));
    HUB_RETURN_IF_ERROR(CheckListSize(Field(field, "factors_for"), o.factors_for_size()));
    for (int j = 0; j < o.factors_for_size(); ++j) {
      HUB_RETURN_IF_ERROR(CheckLongText(Field(Field(field, "factors_for"), j), o.factors_for(j)));
    }
    HUB_RETURN_IF_ERROR(CheckListSize(Field(field, "factors_against"), o.factors_against_size()));
    for (int j = 0; j < o.factors_against_size(); ++j) {
      HUB_RETURN_IF_ERROR(CheckLongText(Field(Field(field, "factors_against"), j), o.factors_against(j)));
    }
    c.options.push_back(o);
  }
  HUB_RETURN_IF_ERROR(CheckListSize("people_consulted", request.people_consulted_size()));
  for (int i = 0; i < request.people_consulted_size(); ++i) {
    HUB_RETURN_IF_ERROR(CheckShortText(Field("people_consulted", i), request.people_consulted(i)));
    c.people_consulted.push_back(request.people_consulted(i));
  }
  HUB_RETURN_IF_ERROR(CheckLongText("adults_known_wishes", request.adults_known_wishes()));
  HUB_RETURN_IF_ERROR(CheckShortText("chosen_option", request.chosen_option()));
  HUB_RETURN_IF_ERROR(CheckLongText("rationale", request.rationale()));
  c.capacity_assessment_id = request.capacity_assessment_id();
  c.decision = request.decision();
  c.adults_known_wishes = request.adults_known_wishes();
  c.chosen_option = request.chosen_option();
  c.rationale = request.rationale();
  return out;
}

absl::StatusOr<EnquiryCommand<enq::RecordRiskAssessment>> FromProto(
    const av1::RecordRiskAssessmentRequest& request, const domain::Caller& caller, absl::Time now,
    const config::Partnership&) {
  HUB_ASSIGN_OR_RETURN(auto out, (Start<enq::RecordRiskAssessment>(request, caller, now)));
  HUB_RETURN_IF_ERROR(CheckLongText("dangers", request.dangers()));
  HUB_RETURN_IF_ERROR(CheckLongText("safety", request.safety()));
  HUB_RETURN_IF_ERROR(CheckLongText("strengths", request.strengths()));
  out.command.dangers = request.dangers();
  out.command.safety = request.safety();
  out.command.strengths = request.strengths();
  return out;
}

absl::StatusOr<EnquiryCommand<enq::RecordProtectionPlan>> FromProto(
    const av1::RecordProtectionPlanRequest& request, const domain::Caller& caller, absl::Time now,
    const config::Partnership& partnership) {
  HUB_ASSIGN_OR_RETURN(auto out, (Start<enq::RecordProtectionPlan>(request, caller, now)));
  enq::RecordProtectionPlan& c = out.command;
  HUB_RETURN_IF_ERROR(CheckListSize("items", request.items_size()));
  for (int i = 0; i < request.items_size(); ++i) {
    const std::string field = Field("items", i);
    cv1::PlanItem item = request.items(i);
    if (!item.item_id().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(Field(field, "item_id"), ": assigned by the hub; leave it empty"));
    }
    HUB_RETURN_IF_ERROR(CheckLongText(Field(field, "risk"), item.risk()));
    HUB_RETURN_IF_ERROR(CheckLongText(Field(field, "action"), item.action()));
    HUB_RETURN_IF_ERROR(CheckShortText(Field(field, "by_whom"), item.by_whom()));
    if (!item.by_agency_id().empty()) {
      HUB_RETURN_IF_ERROR(
          ParticipatingAgency(partnership, Field(field, "by_agency_id"), item.by_agency_id())
              .status());
    }
    if (item.has_by_when()) {
      HUB_RETURN_IF_ERROR(CheckTimestamp(Field(field, "by_when"), item.by_when(), false));
      if (IsZero(item.by_when())) item.clear_by_when();
    }
    c.items.push_back(std::move(item));
  }
  HUB_ASSIGN_OR_RETURN(
      c.next_review_at,
      OptionalTime("next_review_at", request.has_next_review_at(), request.next_review_at()));
  c.agreed_with_adult = request.agreed_with_adult();
  return out;
}

absl::StatusOr<EnquiryCommand<enq::ReviewProtectionPlan>> FromProto(
    const av1::ReviewProtectionPlanRequest& request, const domain::Caller& caller, absl::Time now,
    const config::Partnership&) {
  HUB_ASSIGN_OR_RETURN(auto out, (Start<enq::ReviewProtectionPlan>(request, caller, now)));
  HUB_RETURN_IF_ERROR(CheckLongText("notes", request.notes()));
  out.command.notes = request.notes();
  HUB_ASSIGN_OR_RETURN(
      out.command.next_review_at,
      OptionalTime("next_review_at", request.has_next_review_at(), request.next_review_at()));
  return out;
}

absl::StatusOr<EnquiryCommand<enq::RecordCoercionConcern>> FromProto(
    const av1::RecordCoercionConcernRequest& request, const domain::Caller& caller, absl::Time now,
    const config::Partnership&) {
  HUB_ASSIGN_OR_RETURN(auto out, (Start<enq::RecordCoercionConcern>(request, caller, now)));
  HUB_RETURN_IF_ERROR(CheckLongText("coercion.reasons", request.coercion().reasons()));
  out.command.coercion = request.coercion();
  return out;
}

absl::StatusOr<EnquiryCommand<enq::RecordSpokenToAlone>> FromProto(
    const av1::RecordSpokenToAloneRequest& request, const domain::Caller& caller, absl::Time now,
    const config::Partnership&) {
  HUB_ASSIGN_OR_RETURN(auto out, (Start<enq::RecordSpokenToAlone>(request, caller, now)));
  cv1::SpokenToAlone spoken = request.spoken();
  HUB_RETURN_IF_ERROR(CheckLongText("spoken.reason_if_not", spoken.reason_if_not()));
  if (spoken.has_at()) {
    HUB_RETURN_IF_ERROR(CheckTimestamp("spoken.at", spoken.at(), false));
    if (IsZero(spoken.at())) spoken.clear_at();
  }
  out.command.spoken = std::move(spoken);
  return out;
}

absl::StatusOr<EnquiryCommand<enq::RecordDutyOfCareDecision>> FromProto(
    const av1::RecordDutyOfCareDecisionRequest& request, const domain::Caller& caller,
    absl::Time now, const config::Partnership&) {
  HUB_ASSIGN_OR_RETURN(auto out, (Start<enq::RecordDutyOfCareDecision>(request, caller, now)));
  HUB_RETURN_IF_ERROR(CheckLongText("decision", request.decision()));
  HUB_RETURN_IF_ERROR(CheckLongText("reasons", request.reasons()));
  out.command.decision = request.decision();
  out.command.reasons = request.reasons();
  return out;
}

absl::StatusOr<EnquiryCommand<enq::ConcludeEnquiry>> FromProto(
    const av1::ConcludeEnquiryRequest& request, const domain::Caller& caller, absl::Time now,
    const config::Partnership&) {
  HUB_ASSIGN_OR_RETURN(auto out, (Start<enq::ConcludeEnquiry>(request, caller, now)));
  enq::ConcludeEnquiry& c = out.command;
  HUB_RETURN_IF_ERROR(CheckListSize("risks", request.risks_size()));
  for (int i = 0; i < request.risks_size(); ++i) {
    const std::string field = Field("risks", i);
    const cv1::ConcludedRisk& r = request.risks(i);
    HUB_RETURN_IF_ERROR(CheckEnum(Field(field, "type"), r.type(), false));
    HUB_RETURN_IF_ERROR(CheckEnum(Field(field, "location"), r.location(), false));
    HUB_RETURN_IF_ERROR(CheckEnum(Field(field, "source"), r.source(), false));
    c.risks.push_back(r);
  }
  HUB_RETURN_IF_ERROR(CheckEnum("action_and_result", request.action_and_result(), false));
  HUB_RETURN_IF_ERROR(CheckEnum("risk_outcome", request.risk_outcome(), false));
  HUB_RETURN_IF_ERROR(CheckEnum("capacity", request.capacity(), false));
  HUB_RETURN_IF_ERROR(CheckEnum("outcomes_asked", request.outcomes_asked(), false));
  HUB_RETURN_IF_ERROR(CheckLongText("outcomes_not_asked_reason", request.outcomes_not_asked_reason()));
  HUB_RETURN_IF_ERROR(CheckListSize("outcome_results", request.outcome_results_size()));
  for (int i = 0; i < request.outcome_results_size(); ++i) {
    const std::string field = Field("outcome_results", i);
    const cv1::OutcomeResult& r = request.outcome_results(i);
    HUB_RETURN_IF_ERROR(CheckId(Field(field, "outcome_id"), r.outcome_id()));
    HUB_RETURN_IF_ERROR(CheckEnum(Field(field, "achievement"), r.achievement(), false));
    HUB_RETURN_IF_ERROR(CheckLongText(Field(field, "adults_view"), r.adults_view()));
    c.outcome_results.push_back(r);
  }
  const cv1::ExperienceAnswers& x = request.experience();
  HUB_RETURN_IF_ERROR(CheckEnum("experience.answered_by", x.answered_by(), false));
  HUB_RETURN_IF_ERROR(CheckEnum("experience.got_goals", x.got_goals(), false));
  HUB_RETURN_IF_ERROR(CheckEnum("experience.chance_to_say", x.chance_to_say(), false));
  HUB_RETURN_IF_ERROR(CheckEnum("experience.listened_to", x.listened_to(), false));
  HUB_RETURN_IF_ERROR(CheckEnum("experience.acted_on_wishes", x.acted_on_wishes(), false));
  HUB_RETURN_IF_ERROR(CheckEnum("experience.feel_safe", x.feel_safe(), false));
  HUB_RETURN_IF_ERROR(CheckEnum("experience.happier", x.happier(), false));
  HUB_RETURN_IF_ERROR(CheckLongText("summary", request.summary()));
  c.action_and_result = request.action_and_result();
  c.risk_outcome = request.risk_outcome();
  c.capacity = request.capacity();
  c.supported_by_advocate_family_or_friend = request.supported_by_advocate_family_or_friend();
  c.outcomes_asked = request.outcomes_asked();
  c.outcomes_not_asked_reason = request.outcomes_not_asked_reason();
  c.experience = x;
  c.summary = request.summary();
  return out;
}

absl::StatusOr<EnquiryCommand<enq::CloseEnquiry>> FromProto(const av1::CloseEnquiryRequest& request,
                                                            const domain::Caller& caller,
                                                            absl::Time now, const config::Partnership&) {
  HUB_ASSIGN_OR_RETURN(auto out, (Start<enq::CloseEnquiry>(request, caller, now)));
  HUB_RETURN_IF_ERROR(CheckEnum("reason", request.reason(), false));
  HUB_RETURN_IF_ERROR(CheckLongText("adults_view", request.adults_view()));
  HUB_RETURN_IF_ERROR(CheckLongText("notes", request.notes()));
  enq::CloseEnquiry& c = out.command;
  c.reason = request.reason();
  c.adults_view = request.adults_view();
  c.referrer_informed = request.referrer_informed();
  c.others_informed = request.others_informed();
  c.sar_considered = request.sar_considered();
  c.sar_referred = request.sar_referred();
  c.notes = request.notes();
  return out;
}

// ---- Advocacy ----

absl::StatusOr<EnquiryCommand<enq::AssessSubstantialDifficulty>> FromProto(
    const av1::AssessSubstantialDifficultyRequest& request, const domain::Caller& caller,
    absl::Time now, const config::Partnership&) {
  HUB_ASSIGN_OR_RETURN(auto out, (Start<enq::AssessSubstantialDifficulty>(request, caller, now)));
  HUB_RETURN_IF_ERROR(CheckLongText("notes", request.notes()));
  enq::AssessSubstantialDifficulty& c = out.command;
  c.understanding = request.understanding();
  c.retaining = request.retaining();
  c.using_or_weighing = request.using_or_weighing();
  c.communicating = request.communicating();
  c.notes = request.notes();
  return out;
}

absl::StatusOr<EnquiryCommand<enq::AssessAppropriateIndividual>> FromProto(
    const av1::AssessAppropriateIndividualRequest& request, const domain::Caller& caller,
    absl::Time now, const config::Partnership&) {
  HUB_ASSIGN_OR_RETURN(auto out, (Start<enq::AssessAppropriateIndividual>(request, caller, now)));
  HUB_RETURN_IF_ERROR(CheckShortText("name", request.name()));
  HUB_RETURN_IF_ERROR(CheckShortText("relationship", request.relationship()));
  HUB_RETURN_IF_ERROR(CheckLongText("notes", request.notes()));
  enq::AssessAppropriateIndividual& c = out.command;
  c.exists = request.exists();
  c.name = request.name();
  c.relationship = request.relationship();
  c.unpaid = request.unpaid();
  c.not_source_of_risk = request.not_source_of_risk();
  c.adult_consents = request.adult_consents();
  c.in_best_interests = request.in_best_interests();
  c.notes = request.notes();
  return out;
}

absl::StatusOr<EnquiryCommand<enq::RecordAdvocacyExceptions>> FromProto(
    const av1::RecordAdvocacyExceptionsRequest& request, const domain::Caller& caller,
    absl::Time now, const config::Partnership&) {
  HUB_ASSIGN_OR_RETURN(auto out, (Start<enq::RecordAdvocacyExceptions>(request, caller, now)));
  HUB_RETURN_IF_ERROR(CheckLongText("notes", request.notes()));
  enq::RecordAdvocacyExceptions& c = out.command;
  c.hospital_28_days_or_more = request.hospital_28_days_or_more();
  c.care_home_8_weeks_or_more = request.care_home_8_weeks_or_more();
  c.disagreement_with_appropriate_individual = request.disagreement_with_appropriate_individual();
  c.notes = request.notes();
  return out;
}

absl::StatusOr<EnquiryCommand<enq::ReferForAdvocacy>> FromProto(
    const av1::ReferForAdvocacyRequest& request, const domain::Caller& caller, absl::Time now,
    const config::Partnership& partnership) {
  HUB_ASSIGN_OR_RETURN(auto out, (Start<enq::ReferForAdvocacy>(request, caller, now)));
  HUB_ASSIGN_OR_RETURN(
      const config::v1::Agency* provider,
      ParticipatingAgency(partnership, "provider_agency_id", request.provider_agency_id()));
  HUB_RETURN_IF_ERROR(CheckLongText("reason", request.reason()));
  out.command.provider_agency_id = request.provider_agency_id();
  out.command.provider_agency_kind = provider->kind();
  out.command.reason = request.reason();
  return out;
}

absl::StatusOr<EnquiryCommand<enq::AcceptAdvocacyReferral>> FromProto(
    const av1::AcceptAdvocacyReferralRequest& request, const domain::Caller& caller, absl::Time now,
    const config::Partnership&) {
  HUB_ASSIGN_OR_RETURN(auto out, (Start<enq::AcceptAdvocacyReferral>(request, caller, now)));
  HUB_RETURN_IF_ERROR(CheckId("referral_id", request.referral_id()));
  out.command.referral_id = request.referral_id();
  return out;
}

absl::StatusOr<EnquiryCommand<enq::DeclineAdvocacyReferral>> FromProto(
    const av1::DeclineAdvocacyReferralRequest& request, const domain::Caller& caller,
    absl::Time now, const config::Partnership&) {
  HUB_ASSIGN_OR_RETURN(auto out, (Start<enq::DeclineAdvocacyReferral>(request, caller, now)));
  HUB_RETURN_IF_ERROR(CheckId("referral_id", request.referral_id()));
  HUB_RETURN_IF_ERROR(CheckLongText("reason", request.reason()));
  out.command.referral_id = request.referral_id();
  out.command.reason = request.reason();
  return out;
}

absl::StatusOr<EnquiryCommand<enq::AllocateAdvocate>> FromProto(
    const av1::AllocateAdvocateRequest& request, const domain::Caller& caller, absl::Time now,
    const config::Partnership&) {
  HUB_ASSIGN_OR_RETURN(auto out, (Start<enq::AllocateAdvocate>(request, caller, now)));
  HUB_RETURN_IF_ERROR(CheckId("referral_id", request.referral_id()));
  HUB_RETURN_IF_ERROR(CheckShortText("advocate_name", request.advocate_name()));
  HUB_RETURN_IF_ERROR(CheckShortText("advocate_user_id", request.advocate_user_id()));
  HUB_RETURN_IF_ERROR(CheckShortText("contact", request.contact()));
  enq::AllocateAdvocate& c = out.command;
  c.referral_id = request.referral_id();
  c.advocate_name = request.advocate_name();
  c.advocate_user_id = request.advocate_user_id();
  c.contact = request.contact();
  return out;
}

absl::StatusOr<EnquiryCommand<enq::RecordAdvocateViews>> FromProto(
    const av1::RecordAdvocateViewsRequest& request, const domain::Caller& caller, absl::Time now,
    const config::Partnership&) {
  HUB_ASSIGN_OR_RETURN(auto out, (Start<enq::RecordAdvocateViews>(request, caller, now)));
  HUB_RETURN_IF_ERROR(CheckId("referral_id", request.referral_id()));
  HUB_RETURN_IF_ERROR(CheckLongText("views", request.views()));
  out.command.referral_id = request.referral_id();
  out.command.views = request.views();
  return out;
}

void ToProto(const enq::AdvocacyDuty& duty, av1::AdvocacyDuty* out) {
  out->Clear();
  out->set_applies(duty.applies);
  out->set_met(duty.met);
  out->set_explanation(duty.explanation);
}

}  // namespace hub::services
