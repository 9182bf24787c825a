#include "domain/enquiry/advocacy.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "domain/common/envelope.h"
#include "domain/common/labels.h"
#include "domain/common/refusal.h"

namespace hub::domain::enquiry {
namespace {

namespace cv1 = ::hub::common::v1;
namespace ev1 = ::hub::events::v1;

bool Blank(const std::string& s) { return absl::StripAsciiWhitespace(s).empty(); }

absl::Status Missing(std::string_view field, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(field), ": required (", std::string(why), ")"));
}

Events One(ev1::Event event) {
  Events events;
  events.push_back(std::move(event));
  return events;
}

// "A and B", "A, B and C".
std::string JoinAnd(const std::vector<std::string>& parts) {
  if (parts.empty()) return "";
  if (parts.size() == 1) return parts[0];
  std::vector<std::string> head(parts.begin(), parts.end() - 1);
  return absl::StrCat(absl::StrJoin(head, ", "), " and ", parts.back());
}

std::string StatusWord(AdvocacyReferral::Status status) {
  switch (status) {
    case AdvocacyReferral::Status::kPending:
      return "awaiting the provider's answer";
    case AdvocacyReferral::Status::kAccepted:
      return "accepted";
    case AdvocacyReferral::Status::kDeclined:
      return "declined";
  }
  return "";
}

// Care Act s68: the referral is the provider's to answer and staff; only the agency it was sent
// to, through an advocate or a manager, acts on it.
absl::Status CheckProvider(const AdvocacyReferral& referral, const Caller& caller,
                           std::string_view what) {
  if (caller.agency_id != referral.provider_agency_id) {
    return absl::PermissionDeniedError(
        absl::StrCat(std::string(what), " is for ", referral.provider_agency_id,
                     ", the advocacy provider referral ", referral.referral_id, " was sent to"));
  }
  if (!caller.HasRole(cv1::ROLE_ADVOCATE) && !caller.HasRole(cv1::ROLE_SAFEGUARDING_MANAGER)) {
    return RoleRequired(
        absl::StrCat(Label(cv1::ROLE_ADVOCATE), " or ", Label(cv1::ROLE_SAFEGUARDING_MANAGER)),
        what);
  }
  return absl::OkStatus();
}

absl::StatusOr<const AdvocacyReferral*> FindReferral(const EnquiryState& state,
                                                     const std::string& referral_id) {
  const AdvocacyReferral* referral = state.FindReferral(referral_id);
  if (referral == nullptr) {
    return UnknownItem("referral_id",
                       absl::StrCat("no advocacy referral ", referral_id, " on this enquiry"));
  }
  return referral;
}

// What still has to happen for an advocate to meet the duty, from the furthest referral.
std::string NextAdvocacyStep(const AdvocacyState& advocacy) {
  const AdvocacyReferral* allocated = nullptr;
  const AdvocacyReferral* accepted = nullptr;
  const AdvocacyReferral* pending = nullptr;
  const AdvocacyReferral* declined = nullptr;
  for (const AdvocacyReferral& r : advocacy.referrals) {
    switch (r.status) {
      case AdvocacyReferral::Status::kAccepted:
        if (r.allocated()) {
          allocated = &r;
        } else {
          accepted = &r;
        }
        break;
      case AdvocacyReferral::Status::kPending:
        pending = &r;
        break;
      case AdvocacyReferral::Status::kDeclined:
        declined = &r;
        break;
    }
  }
  if (allocated != nullptr) {
    return absl::StrCat("advocate ", allocated->advocate_name, " (", allocated->provider_agency_id,
                        ") is allocated; record the advocate's views before concluding");
  }
  if (accepted != nullptr) {
    return absl::StrCat(accepted->provider_agency_id, " accepted referral ", accepted->referral_id,
                        "; an advocate must be allocated and their views recorded before "
                        "concluding");
  }
  if (pending != nullptr) {
    return absl::StrCat("referral ", pending->referral_id, " to ", pending->provider_agency_id,
                        " awaits the provider's acceptance; an advocate must be allocated and "
                        "their views recorded before concluding");
  }
  if (declined != nullptr) {
    return absl::StrCat(declined->provider_agency_id, " declined referral ", declined->referral_id,
                        " (", declined->decline_reason,
                        "); refer to another advocacy provider before concluding");
  }
  return "refer to an advocacy provider before concluding";
}

}  // namespace

AdvocacyDuty ComputeAdvocacyDuty(const AdvocacyFacts& facts) {
  AdvocacyDuty duty;
  // s68(3): only with substantial difficulty; s68(4) and the regulations: and no appropriate
  // individual, or one of the exceptions.
  duty.applies = facts.substantial_difficulty &&
                 (!facts.appropriate_individual_found || facts.exception_applies);
  duty.met = !duty.applies || facts.advocate_allocated_with_views;
  if (!duty.applies) {
    duty.explanation = "the s68 advocacy duty does not arise";
  } else if (duty.met) {
    duty.explanation = "the s68 duty applies and is met: an advocate is allocated and their "
                       "views are recorded";
  } else {
    duty.explanation = "the s68 duty to arrange an independent advocate applies and is not met";
  }
  return duty;
}

bool IsAppropriateIndividual(const ev1::AppropriateIndividualAssessed& assessed) {
  return assessed.exists() && assessed.unpaid() && assessed.not_source_of_risk() &&
         (assessed.adult_consents() || assessed.in_best_interests());
}

AdvocacyDuty ComputeAdvocacyDuty(const EnquiryState& state) {
  const AdvocacyState& advocacy = state.advocacy;
  AdvocacyFacts facts;
  // s68(3): the duty arises only where the adult would have substantial difficulty.
  if (!advocacy.difficulty.has_value()) {
    AdvocacyDuty duty = ComputeAdvocacyDuty(facts);
    duty.explanation =
        "substantial difficulty has not been assessed: the s68 advocacy duty does not arise "
        "unless the adult would have substantial difficulty being involved";
    return duty;
  }
  const ev1::SubstantialDifficultyAssessed& difficulty = *advocacy.difficulty;
  std::vector<std::string> areas;
  if (difficulty.understanding()) areas.push_back("understanding information");
  if (difficulty.retaining()) areas.push_back("retaining information");
  if (difficulty.using_or_weighing()) areas.push_back("using or weighing information");
  if (difficulty.communicating()) areas.push_back("communicating their views");
  if (areas.empty()) {
    AdvocacyDuty duty = ComputeAdvocacyDuty(facts);
    duty.explanation =
        "no substantial difficulty recorded in understanding, retaining, using or weighing "
        "information or communicating: the s68 advocacy duty does not arise";
    return duty;
  }
  facts.substantial_difficulty = true;

  // s68(4)/(5): an appropriate individual is unpaid, not implicated, and consented to by the
  // adult or, if they lack capacity, in their best interests.
  std::string individual;
  std::string name = "the person considered";
  if (!advocacy.appropriate_individual.has_value()) {
    individual = "no appropriate individual has been assessed";
  } else if (!advocacy.appropriate_individual->exists()) {
    individual = "there is no appropriate individual";
  } else {
    const ev1::AppropriateIndividualAssessed& ai = *advocacy.appropriate_individual;
    name = ai.name().empty() ? name : ai.name();
    std::vector<std::string> reasons;
    if (!ai.unpaid()) reasons.push_back("is paid or professional");
    if (!ai.not_source_of_risk()) reasons.push_back("is implicated as a source of risk");
    if (!ai.adult_consents() && !ai.in_best_interests()) {
      reasons.push_back("is neither consented to by the adult nor in their best interests");
    }
    facts.appropriate_individual_found = IsAppropriateIndividual(ai);
    individual =
        facts.appropriate_individual_found
            ? absl::StrCat(name, " is an appropriate individual")
            : absl::StrCat(name, " cannot be the appropriate individual: ", JoinAnd(reasons));
  }

  // Advocacy regulations: an advocate even with an appropriate individual.
  std::vector<std::string> exceptions;
  if (advocacy.exceptions.has_value()) {
    const ev1::AdvocacyExceptionsRecorded& e = *advocacy.exceptions;
    if (e.hospital_28_days_or_more()) {
      exceptions.push_back("the adult is likely to be in hospital for 28 days or more");
    }
    if (e.care_home_8_weeks_or_more()) {
      exceptions.push_back("the adult is likely to be in a care home for 8 weeks or more");
    }
    if (e.disagreement_with_appropriate_individual()) {
      exceptions.push_back(absl::StrCat("the local authority and ", name, " disagree"));
    }
  }
  facts.exception_applies = !exceptions.empty();

  const AdvocacyReferral* in_place = nullptr;
  for (const AdvocacyReferral& r : advocacy.referrals) {
    if (r.status == AdvocacyReferral::Status::kAccepted && r.allocated() && r.views_recorded()) {
      in_place = &r;
      break;
    }
  }
  facts.advocate_allocated_with_views = in_place != nullptr;
  AdvocacyDuty duty = ComputeAdvocacyDuty(facts);

  const std::string difficulty_text = absl::StrCat("substantial difficulty in ", JoinAnd(areas));
  if (!duty.applies) {
    duty.explanation = absl::StrCat(difficulty_text, ", but ", individual,
                                    ": the s68 advocacy duty does not arise");
    return duty;
  }
  std::string why = absl::StrCat(difficulty_text, "; ", individual);
  if (!exceptions.empty()) {
    absl::StrAppend(&why, facts.appropriate_individual_found ? ", but " : "; also ",
                    JoinAnd(exceptions));
  }
  if (duty.met) {
    duty.explanation = absl::StrCat(why, ": the s68 duty applies and is met: advocate ",
                                    in_place->advocate_name, " (", in_place->provider_agency_id,
                                    ") is allocated and their views are recorded");
    return duty;
  }
  duty.explanation =
      absl::StrCat(why, ": the s68 duty to arrange an independent advocate applies; ",
                   NextAdvocacyStep(advocacy));
  return duty;
}

absl::Status CheckMayReadAdvocacy(const EnquiryState& state, const Caller& caller) {
  for (const AdvocacyReferral& r : state.advocacy.referrals) {
    if (r.provider_agency_id == caller.agency_id) return absl::OkStatus();
  }
  return CheckLeadOrResponsible(state, caller, "reading the advocacy duty",
                                "an advocacy provider referred to on this enquiry");
}

absl::StatusOr<Events> Decide(const EnquiryState& state, const AssessSubstantialDifficulty& cmd) {
  HUB_RETURN_IF_ERROR(CheckCanRecord(state, /*closure_step=*/false));
  HUB_RETURN_IF_ERROR(
      CheckLeadOrResponsible(state, cmd.ctx.caller, "assessing substantial difficulty"));
  ev1::Event event = NewEvent(cmd.ctx);
  ev1::SubstantialDifficultyAssessed* d = event.mutable_substantial_difficulty_assessed();
  d->set_understanding(cmd.understanding);
  d->set_retaining(cmd.retaining);
  d->set_using_or_weighing(cmd.using_or_weighing);
  d->set_communicating(cmd.communicating);
  d->set_notes(cmd.notes);
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const EnquiryState& state, const AssessAppropriateIndividual& cmd) {
  HUB_RETURN_IF_ERROR(CheckCanRecord(state, /*closure_step=*/false));
  HUB_RETURN_IF_ERROR(
      CheckLeadOrResponsible(state, cmd.ctx.caller, "assessing an appropriate individual"));
  // s68(4): the person considered is named, so the adult and partners know who supports them.
  if (cmd.exists && Blank(cmd.name)) {
    return Missing("name", "who was considered as the appropriate individual");
  }
  ev1::Event event = NewEvent(cmd.ctx);
  ev1::AppropriateIndividualAssessed* a = event.mutable_appropriate_individual_assessed();
  a->set_exists(cmd.exists);
  a->set_name(cmd.name);
  a->set_relationship(cmd.relationship);
  a->set_unpaid(cmd.unpaid);
  a->set_not_source_of_risk(cmd.not_source_of_risk);
  a->set_adult_consents(cmd.adult_consents);
  a->set_in_best_interests(cmd.in_best_interests);
  a->set_notes(cmd.notes);
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const EnquiryState& state, const RecordAdvocacyExceptions& cmd) {
  HUB_RETURN_IF_ERROR(CheckCanRecord(state, /*closure_step=*/false));
  HUB_RETURN_IF_ERROR(
      CheckLeadOrResponsible(state, cmd.ctx.caller, "recording advocacy exceptions"));
  ev1::Event event = NewEvent(cmd.ctx);
  ev1::AdvocacyExceptionsRecorded* e = event.mutable_advocacy_exceptions_recorded();
  e->set_hospital_28_days_or_more(cmd.hospital_28_days_or_more);
  e->set_care_home_8_weeks_or_more(cmd.care_home_8_weeks_or_more);
  e->set_disagreement_with_appropriate_individual(cmd.disagreement_with_appropriate_individual);
  e->set_notes(cmd.notes);
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const EnquiryState& state, const ReferForAdvocacy& cmd) {
  HUB_RETURN_IF_ERROR(CheckCanRecord(state, /*closure_step=*/false));
  HUB_RETURN_IF_ERROR(CheckLeadOrResponsible(state, cmd.ctx.caller, "referring for advocacy"));
  if (Blank(cmd.provider_agency_id)) {
    return Missing("provider_agency_id", "the advocacy provider referred to");
  }
  // s68: the advocate is independent, arranged through an advocacy provider.
  if (cmd.provider_agency_kind != cv1::AGENCY_KIND_ADVOCACY_PROVIDER) {
    return Refused(absl::StrCat(cmd.provider_agency_id,
                                " is not an advocacy provider: refer to an advocacy provider "
                                "agency of the partnership"));
  }
  // One advocate supports the adult through the whole enquiry where possible: refer again only
  // once an open referral is declined.
  for (const AdvocacyReferral& r : state.advocacy.referrals) {
    if (r.status != AdvocacyReferral::Status::kDeclined) {
      return Refused(absl::StrCat("referral ", r.referral_id, " to ", r.provider_agency_id,
                                  " is open (", StatusWord(r.status),
                                  "): one advocate supports the adult through the enquiry; "
                                  "refer again only if it is declined"));
    }
  }
  ev1::Event event = NewEvent(cmd.ctx);
  ev1::AdvocacyReferred* r = event.mutable_advocacy_referred();
  r->set_referral_id(cmd.ctx.new_id);
  r->set_provider_agency_id(cmd.provider_agency_id);
  r->set_reason(cmd.reason);
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const EnquiryState& state, const AcceptAdvocacyReferral& cmd) {
  HUB_RETURN_IF_ERROR(CheckCanRecord(state, /*closure_step=*/false));
  HUB_ASSIGN_OR_RETURN(const AdvocacyReferral* referral, FindReferral(state, cmd.referral_id));
  HUB_RETURN_IF_ERROR(CheckProvider(*referral, cmd.ctx.caller, "accepting an advocacy referral"));
  if (referral->status != AdvocacyReferral::Status::kPending) {
    return Refused(absl::StrCat("referral ", referral->referral_id, " was already ",
                                StatusWord(referral->status), ": nothing to accept"));
  }
  ev1::Event event = NewEvent(cmd.ctx);
  event.mutable_advocacy_referral_accepted()->set_referral_id(cmd.referral_id);
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const EnquiryState& state, const DeclineAdvocacyReferral& cmd) {
  HUB_RETURN_IF_ERROR(CheckCanRecord(state, /*closure_step=*/false));
  HUB_ASSIGN_OR_RETURN(const AdvocacyReferral* referral, FindReferral(state, cmd.referral_id));
  HUB_RETURN_IF_ERROR(CheckProvider(*referral, cmd.ctx.caller, "declining an advocacy referral"));
  if (referral->status != AdvocacyReferral::Status::kPending) {
    return Refused(absl::StrCat("referral ", referral->referral_id, " was already ",
                                StatusWord(referral->status), ": nothing to decline"));
  }
  // The local authority must arrange an advocate elsewhere: it needs to know why.
  if (Blank(cmd.reason)) return Missing("reason", "why the provider declines the referral");
  ev1::Event event = NewEvent(cmd.ctx);
  ev1::AdvocacyReferralDeclined* d = event.mutable_advocacy_referral_declined();
  d->set_referral_id(cmd.referral_id);
  d->set_reason(cmd.reason);
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const EnquiryState& state, const AllocateAdvocate& cmd) {
  HUB_RETURN_IF_ERROR(CheckCanRecord(state, /*closure_step=*/false));
  HUB_ASSIGN_OR_RETURN(const AdvocacyReferral* referral, FindReferral(state, cmd.referral_id));
  HUB_RETURN_IF_ERROR(CheckProvider(*referral, cmd.ctx.caller, "allocating an advocate"));
  // s68: an advocate is allocated by a provider that has accepted the referral.
  if (referral->status != AdvocacyReferral::Status::kAccepted) {
    return Refused(absl::StrCat("referral ", referral->referral_id, " is ",
                                StatusWord(referral->status),
                                ": the provider accepts a referral before allocating an advocate"));
  }
  if (Blank(cmd.advocate_name)) {
    return Missing("advocate_name", "who the adult and practitioners will work with");
  }
  ev1::Event event = NewEvent(cmd.ctx);
  ev1::AdvocateAllocated* a = event.mutable_advocate_allocated();
  a->set_referral_id(cmd.referral_id);
  a->set_advocate_name(cmd.advocate_name);
  a->set_advocate_user_id(cmd.advocate_user_id);
  a->set_contact(cmd.contact);
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const EnquiryState& state, const RecordAdvocateViews& cmd) {
  HUB_RETURN_IF_ERROR(CheckCanRecord(state, /*closure_step=*/false));
  HUB_ASSIGN_OR_RETURN(const AdvocacyReferral* referral, FindReferral(state, cmd.referral_id));
  HUB_RETURN_IF_ERROR(CheckProvider(*referral, cmd.ctx.caller, "recording an advocate's views"));
  // s68: the views are those of the advocate allocated to represent and support the adult.
  if (referral->status != AdvocacyReferral::Status::kAccepted || !referral->allocated()) {
    return Refused(absl::StrCat("no advocate is allocated on referral ", referral->referral_id,
                                ": allocate an advocate before recording their views"));
  }
  if (Blank(cmd.views)) {
    return Missing("views", "the advocate's account of the adult's views and wishes");
  }
  ev1::Event event = NewEvent(cmd.ctx);
  ev1::AdvocateViewsRecorded* v = event.mutable_advocate_views_recorded();
  v->set_referral_id(cmd.referral_id);
  v->set_views(cmd.views);
  return One(std::move(event));
}

}  // namespace hub::domain::enquiry
