// The enquiry's rules, given/when/then: past events, a command, then the events it causes or
// the exact error. Every rule has a passing and a refusing case.
#include "domain/enquiry/enquiry.h"

#include <functional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "domain/common/envelope.h"
#include "domain/enquiry/advocacy.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hub::domain::enquiry {
namespace {

namespace cv1 = ::hub::common::v1;
namespace ev1 = ::hub::events::v1;
using ::hub::testing::IsOk;
using ::hub::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr char kLa[] = "asc-northshire";  // adult social care (the local authority)
constexpr char kPolice[] = "police-northshire";
constexpr char kOtherLa[] = "asc-southshire";  // adult social care of another authority
constexpr char kProvider[] = "voiceability";   // an advocacy provider
constexpr char kOutcome[] = "concern1-o-1";  // the desired outcome carried from the concern
constexpr char kOutcomeWords[] = "I want him to stop taking my money";

const absl::Time kT0 = absl::FromUnixSeconds(1717236000);  // 2024-06-01 10:00 UTC
const absl::Time kNow = kT0 + absl::Hours(24 * 20);

// ---- Callers and contexts ----

Caller Officer(std::string agency = kLa,
               cv1::AgencyKind kind = cv1::AGENCY_KIND_ADULT_SOCIAL_CARE) {
  return Caller{std::move(agency), kind, "u-officer", {cv1::ROLE_ENQUIRY_OFFICER}};
}
Caller Manager(std::string agency = kLa) {
  return Caller{std::move(agency),
                cv1::AGENCY_KIND_ADULT_SOCIAL_CARE,
                "u-manager",
                {cv1::ROLE_SAFEGUARDING_MANAGER}};
}
Caller PoliceManager() {
  return Caller{kPolice, cv1::AGENCY_KIND_POLICE, "u-dci", {cv1::ROLE_SAFEGUARDING_MANAGER}};
}
Caller PoliceOfficer() { return Officer(kPolice, cv1::AGENCY_KIND_POLICE); }
Caller Advocate(std::string agency = kProvider) {
  return Caller{std::move(agency), cv1::AGENCY_KIND_ADVOCACY_PROVIDER, "u-alex",
                {cv1::ROLE_ADVOCATE}};
}
Caller Referrer() {
  return Caller{kLa, cv1::AGENCY_KIND_ADULT_SOCIAL_CARE, "u-referrer", {cv1::ROLE_REFERRER}};
}

CommandContext Ctx(Caller caller = Officer()) {
  return CommandContext{std::move(caller), kNow, "asc-northshire/cmd-1", "n1"};
}

// ---- Past events ----

ev1::Event At(absl::Time t) {
  ev1::Event e;
  *e.mutable_occurred_at() = ToTimestamp(t);
  e.mutable_actor()->set_agency_id(kLa);
  e.set_command_id("asc-northshire/earlier");
  return e;
}

ev1::Event Opened(const std::function<void(ev1::EnquiryOpened&)>& edit = {}) {
  ev1::Event e = At(kT0);
  ev1::EnquiryOpened* o = e.mutable_enquiry_opened();
  o->set_enquiry_id("e1");
  o->set_concern_id("concern1");
  o->set_person_id("p1");
  o->set_type(cv1::ENQUIRY_TYPE_SECTION_42);
  cv1::DesiredOutcome* outcome = o->add_desired_outcomes();
  outcome->set_outcome_id(kOutcome);
  outcome->set_text(kOutcomeWords);
  outcome->set_expressed_by(cv1::EXPRESSED_BY_ADULT);
  o->add_types_of_risk(cv1::TYPE_OF_RISK_FINANCIAL_OR_MATERIAL_ABUSE);
  o->set_location_of_risk(cv1::LOCATION_OF_RISK_OWN_HOME);
  if (edit) edit(*o);
  return e;
}

ev1::Event Lead(std::string lead = kLa, bool caused = false) {
  ev1::Event e = At(kT0 + absl::Hours(1));
  ev1::EnquiryLeadAssigned* l = e.mutable_enquiry_lead_assigned();
  l->set_lead_agency_id(lead);
  l->set_officer_name("Sam Patel");
  l->set_caused(caused);
  if (caused) {
    l->set_responsible_agency_id(kLa);
    l->set_scope("the financial abuse lines of enquiry");
  }
  return e;
}

ev1::Event Discussion(const std::string& owner = kLa) {
  ev1::Event e = At(kT0 + absl::Hours(2));
  ev1::StrategyDiscussionRecorded* d = e.mutable_strategy_discussion_recorded();
  d->set_discussion_id("d1");
  d->add_participants("Sam Patel (ASC)");
  cv1::AgreedAction* a = d->add_actions();
  a->set_action_id("d1-1");
  a->set_description("Check bank statements with the adult");
  a->set_owner_agency_id(owner);
  *a->mutable_due_at() = ToTimestamp(kT0 + absl::Hours(72));
  return e;
}

ev1::Event ActionDone(const std::string& id) {
  ev1::Event e = At(kT0 + absl::Hours(3));
  e.mutable_action_completed()->set_action_id(id);
  *e.mutable_action_completed()->mutable_completed_at() = ToTimestamp(kT0 + absl::Hours(3));
  return e;
}

ev1::Event Withdrawn(const std::string& id) {
  ev1::Event e = At(kT0 + absl::Hours(4));
  e.mutable_desired_outcomes_revised()->add_withdrawn_outcome_ids(id);
  e.mutable_desired_outcomes_revised()->set_reason("the adult no longer wants this");
  return e;
}

ev1::Event Capacity(const std::string& id, const std::string& decision,
                    cv1::CapacityFinding finding, absl::Time assessed_at) {
  ev1::Event e = At(assessed_at);
  ev1::CapacityAssessed* a = e.mutable_capacity_assessed();
  a->set_assessment_id(id);
  a->set_decision(decision);
  *a->mutable_assessed_at() = ToTimestamp(assessed_at);
  a->set_assessor("Dr Jones");
  a->set_finding(finding);
  return e;
}

ev1::Event Plan() {
  ev1::Event e = At(kT0 + absl::Hours(5));
  cv1::PlanItem* item = e.mutable_protection_plan_recorded()->add_items();
  item->set_item_id("p-1");
  item->set_risk("son takes pension");
  item->set_action("bank safeguarding team contacted");
  item->set_by_whom("Sam Patel");
  *item->mutable_by_when() = ToTimestamp(kT0 + absl::Hours(48));
  return e;
}

ev1::Event Coercion(bool suspected) {
  ev1::Event e = At(kT0 + absl::Hours(6));
  e.mutable_coercion_concern_recorded()->mutable_coercion()->set_suspected(suspected);
  e.mutable_coercion_concern_recorded()->mutable_coercion()->set_reasons("son present at visits");
  return e;
}

ev1::Event DutyOfCare() {
  ev1::Event e = At(kT0 + absl::Hours(7));
  e.mutable_duty_of_care_decision_recorded()->set_decision("cease; police continue");
  e.mutable_duty_of_care_decision_recorded()->set_reasons(
      "risk to grandchildren managed by police");
  return e;
}

ev1::Event Difficulty() {
  ev1::Event e = At(kT0 + absl::Hours(8));
  e.mutable_substantial_difficulty_assessed()->set_understanding(true);
  return e;
}

// An advocacy referral to kProvider, accepted and (if `allocated`) with an advocate allocated.
std::vector<ev1::Event> AdvocacyEvents(bool allocated) {
  std::vector<ev1::Event> events;
  ev1::Event referred = At(kT0 + absl::Hours(8));
  referred.mutable_advocacy_referred()->set_referral_id("r1");
  referred.mutable_advocacy_referred()->set_provider_agency_id(kProvider);
  events.push_back(referred);
  ev1::Event accepted = At(kT0 + absl::Hours(8));
  accepted.mutable_advocacy_referral_accepted()->set_referral_id("r1");
  events.push_back(accepted);
  if (allocated) {
    ev1::Event advocate = At(kT0 + absl::Hours(8));
    advocate.mutable_advocate_allocated()->set_referral_id("r1");
    advocate.mutable_advocate_allocated()->set_advocate_name("Alex Rowe");
    events.push_back(advocate);
  }
  return events;
}

ev1::Event Concluded(cv1::ActionAndResult result = cv1::ACTION_AND_RESULT_NO_RISK_NO_ACTION_TAKEN) {
  ev1::Event e = At(kT0 + absl::Hours(9));
  ev1::EnquiryConcluded* c = e.mutable_enquiry_concluded();
  c->set_action_and_result(result);
  c->set_capacity(cv1::CAPACITY_ANSWER_DID_NOT_LACK_CAPACITY);
  c->set_outcomes_asked(cv1::OUTCOMES_ASKED_YES_EXPRESSED);
  return e;
}

ev1::Event Closed() {
  ev1::Event e = At(kT0 + absl::Hours(10));
  e.mutable_enquiry_closed()->set_reason(cv1::CLOSURE_REASON_OUTCOMES_MET);
  e.mutable_enquiry_closed()->set_adults_view("glad it is over");
  e.mutable_enquiry_closed()->set_sar_considered(true);
  return e;
}

std::vector<ev1::Event> Base() { return {Opened(), Lead()}; }
template <typename... More>
std::vector<ev1::Event> Base(More... more) {
  return {Opened(), Lead(), more...};
}

// ---- Valid commands (each case edits one) ----

AssignLead ValidAssignLead() {
  AssignLead c{Ctx(Manager())};
  c.lead_agency_id = kLa;
  c.lead_agency_kind = cv1::AGENCY_KIND_ADULT_SOCIAL_CARE;
  c.officer_name = "Sam Patel";
  c.officer_user_id = "u-officer";
  c.responsible_agency_id = kLa;
  c.responsible_agency_kind = cv1::AGENCY_KIND_ADULT_SOCIAL_CARE;
  return c;
}

AssignLead CausedToPolice() {
  AssignLead c = ValidAssignLead();
  c.lead_agency_id = kPolice;
  c.lead_agency_kind = cv1::AGENCY_KIND_POLICE;
  c.caused = true;
  c.scope = "the criminal lines of enquiry";
  return c;
}

RecordStrategyDiscussion ValidDiscussion() {
  RecordStrategyDiscussion c{Ctx()};
  c.held_at = kT0 + absl::Hours(30);
  c.participants = {"Sam Patel (ASC)", "DC Green (police)"};
  c.decisions = {"joint visit"};
  cv1::AgreedAction a;
  a.set_description("Joint visit");
  a.set_owner_agency_id(kPolice);
  *a.mutable_due_at() = ToTimestamp(kNow + absl::Hours(48));
  c.actions = {a, a};
  return c;
}

ReviseDesiredOutcomes ValidRevision() {
  ReviseDesiredOutcomes c{Ctx()};
  cv1::DesiredOutcome added;
  added.set_text("I want to stay in my home");
  added.set_expressed_by(cv1::EXPRESSED_BY_ADULT);
  c.added = {added};
  cv1::DesiredOutcome changed;
  changed.set_outcome_id(kOutcome);
  changed.set_text("I want my money back");
  c.changed = {changed};
  c.reason = "discussed at the visit on 3 June";
  return c;
}

RecordCapacityAssessment ValidCapacity() {
  RecordCapacityAssessment c{Ctx()};
  c.decision = "Where to live";
  c.assessed_at = kNow - absl::Hours(1);
  c.assessor = "Dr Jones";
  c.finding = cv1::CAPACITY_FINDING_LACKS_CAPACITY;
  c.evidence = "could not retain information about the options";
  return c;
}

RecordBestInterestsDecision ValidBestInterests() {
  RecordBestInterestsDecision c{Ctx()};
  c.capacity_assessment_id = "ca1";
  c.decision = "  where TO live ";
  cv1::BestInterestsOption home;
  home.set_option("Stay at home with more care");
  home.add_factors_for("her wish to stay");
  cv1::BestInterestsOption care_home;
  care_home.set_option("Move to a care home");
  care_home.add_factors_against("distress at moving");
  c.options = {home, care_home};
  c.people_consulted = {"daughter", "GP"};
  c.adults_known_wishes = "has always said she will die in this house";
  c.chosen_option = "stay at home with more care";
  return c;
}

RecordProtectionPlan ValidPlan() {
  RecordProtectionPlan c{Ctx()};
  cv1::PlanItem item;
  item.set_risk("son takes pension");
  item.set_action("pension paid to a new account");
  item.set_by_whom("Sam Patel");
  *item.mutable_by_when() = ToTimestamp(kNow + absl::Hours(48));
  c.items = {item, item};
  c.next_review_at = kNow + absl::Hours(24 * 14);
  c.agreed_with_adult = true;
  return c;
}

ConcludeEnquiry ValidConclusion() {
  ConcludeEnquiry c{Ctx()};
  cv1::ConcludedRisk risk;
  risk.set_type(cv1::TYPE_OF_RISK_FINANCIAL_OR_MATERIAL_ABUSE);
  risk.set_location(cv1::LOCATION_OF_RISK_OWN_HOME);
  risk.set_source(cv1::SOURCE_OF_RISK_OTHER_KNOWN_TO_INDIVIDUAL);
  c.risks = {risk};
  c.action_and_result = cv1::ACTION_AND_RESULT_RISK_IDENTIFIED_ACTION_TAKEN;
  c.risk_outcome = cv1::RISK_OUTCOME_REDUCED;
  c.capacity = cv1::CAPACITY_ANSWER_DID_NOT_LACK_CAPACITY;
  c.outcomes_asked = cv1::OUTCOMES_ASKED_YES_EXPRESSED;
  cv1::OutcomeResult result;
  result.set_outcome_id(kOutcome);
  result.set_achievement(cv1::OUTCOME_ACHIEVEMENT_PARTIALLY);
  result.set_adults_view("the money has stopped going");
  c.outcome_results = {result};
  c.summary = "financial abuse by son; pension redirected";
  return c;
}

ConcludeEnquiry CeasingConclusion() {
  ConcludeEnquiry c = ValidConclusion();
  c.action_and_result = cv1::ACTION_AND_RESULT_CEASED_AT_INDIVIDUALS_REQUEST;
  c.risk_outcome = cv1::RISK_OUTCOME_UNSPECIFIED;
  return c;
}

CloseEnquiry ValidClosure() {
  CloseEnquiry c{Ctx(Manager())};
  c.reason = cv1::CLOSURE_REASON_OUTCOMES_MET;
  c.adults_view = "happy for it to close";
  c.referrer_informed = true;
  c.others_informed = true;
  c.sar_considered = true;
  return c;
}

template <typename T>
T With(T cmd, const std::function<void(T&)>& edit) {
  edit(cmd);
  return cmd;
}

// ---- The table ----

using DecideFn = std::function<absl::StatusOr<Events>(const EnquiryState&)>;
using CheckFn = std::function<void(const Events&)>;

template <typename Cmd>
DecideFn When(Cmd cmd) {
  return [cmd = std::move(cmd)](const EnquiryState& state) { return Decide(state, cmd); };
}

struct RuleCase {
  std::string name;
  std::vector<ev1::Event> given;
  DecideFn when;
  absl::StatusCode code = absl::StatusCode::kOk;
  std::string message;  // a fragment of the error message
  CheckFn check;        // for passing cases: what the events hold
};

RuleCase Pass(std::string name, std::vector<ev1::Event> given, DecideFn when, CheckFn check = {}) {
  return RuleCase{std::move(name), std::move(given), std::move(when), absl::StatusCode::kOk, "",
                  std::move(check)};
}
RuleCase Fail(std::string name, std::vector<ev1::Event> given, DecideFn when, absl::StatusCode code,
              std::string message) {
  return RuleCase{std::move(name), std::move(given), std::move(when), code, std::move(message), {}};
}

constexpr auto kRefused = absl::StatusCode::kFailedPrecondition;
constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
constexpr auto kDenied = absl::StatusCode::kPermissionDenied;
constexpr auto kUnknown = absl::StatusCode::kNotFound;

void PrintTo(const RuleCase& c, std::ostream* os) { *os << c.name; }

class EnquiryRulesTest : public ::testing::TestWithParam<RuleCase> {};

TEST_P(EnquiryRulesTest, DecidesAsTheRuleSays) {
  const RuleCase& c = GetParam();
  const EnquiryState state = Fold(c.given);
  absl::StatusOr<Events> events = c.when(state);
  if (c.code == absl::StatusCode::kOk) {
    ASSERT_THAT(events, IsOk());
    ASSERT_THAT(*events, SizeIs(1));
    const ev1::Event& e = events->front();
    EXPECT_EQ(e.command_id(), "asc-northshire/cmd-1");
    EXPECT_EQ(FromTimestamp(e.occurred_at()), kNow);
    EXPECT_FALSE(e.actor().agency_id().empty());
    if (c.check) c.check(*events);
    // The new events fold without disturbing what was there.
    const EnquiryState after = Fold(state, *events);
    EXPECT_TRUE(after.opened);
  } else {
    EXPECT_THAT(events, StatusIs(c.code, HasSubstr(c.message)));
  }
}

std::string CaseName(const ::testing::TestParamInfo<RuleCase>& info) { return info.param.name; }

// ---- Guards common to every command ----

std::vector<RuleCase> GuardCases() {
  return {
      Fail("UnopenedEnquiryIsNotFound", {}, When(ValidDiscussion()), kUnknown,
           "enquiry_id: no such enquiry"),
      Fail("NothingAfterClosure", Base(Concluded(), Closed()), When(ValidDiscussion()), kRefused,
           "enquiry closed: raise a new concern; it will link to this history"),
      Fail("NoActionCompletedAfterClosure", Base(Discussion(), Concluded(), Closed()),
           When(CompleteAction{Ctx(), "d1-1", ""}), kRefused, "enquiry closed"),
      Fail("NoRecordingAfterConclusion", Base(Concluded()),
           When(RecordRiskAssessment{Ctx(), "dangers", "", ""}), kRefused,
           "only closure steps may follow"),
      Fail("NoAdvocacyAfterConclusion", Base(Concluded()),
           When(AssessSubstantialDifficulty{Ctx(), true, false, false, false, ""}), kRefused,
           "only closure steps may follow"),
      Pass("ActionsCompleteAfterConclusion", Base(Discussion(), Concluded()),
           When(CompleteAction{Ctx(), "d1-1", "done"})),
      Pass("PlanReviewedAfterConclusion", Base(Plan(), Concluded()),
           When(ReviewProtectionPlan{Ctx(), "risk reduced", std::nullopt})),
      Pass("DutyOfCareAfterConclusion", Base(Concluded()),
           When(RecordDutyOfCareDecision{Ctx(Manager()), "close", "police continue"})),
  };
}
INSTANTIATE_TEST_SUITE_P(Guards, EnquiryRulesTest, ::testing::ValuesIn(GuardCases()), CaseName);

// ---- AssignLead ----

std::vector<RuleCase> AssignLeadCases() {
  return {
      Pass("LocalAuthorityLeads", {Opened()}, When(ValidAssignLead()),
           [](const Events& e) {
             const ev1::EnquiryLeadAssigned& l = e[0].enquiry_lead_assigned();
             EXPECT_EQ(l.lead_agency_id(), kLa);
             EXPECT_EQ(l.officer_name(), "Sam Patel");
             EXPECT_FALSE(l.caused());
             EXPECT_EQ(l.responsible_agency_id(), "");
           }),
      Pass("CausedEnquiryKeepsTheAuthorityResponsible", {Opened()}, When(CausedToPolice()),
           [](const Events& e) {
             const ev1::EnquiryLeadAssigned& l = e[0].enquiry_lead_assigned();
             EXPECT_EQ(l.lead_agency_id(), kPolice);
             EXPECT_TRUE(l.caused());
             EXPECT_EQ(l.responsible_agency_id(), kLa);
             EXPECT_EQ(l.scope(), "the criminal lines of enquiry");
           }),
      Pass("ReassignmentIsANewEvent", Base(), When(CausedToPolice())),
      Fail("OtherAgencyLeadsOnlyWhenCaused", {Opened()},
           When(With<AssignLead>(CausedToPolice(), [](AssignLead& c) { c.caused = false; })),
           kRefused, "is not adult social care: record this as a caused enquiry"),
      Fail("CausedEnquiryNeedsScope", {Opened()},
           When(With<AssignLead>(CausedToPolice(), [](AssignLead& c) { c.scope = " "; })), kInvalid,
           "scope: required"),
      Fail("OnlyTheAuthorityCauses", {Opened()},
           When(With<AssignLead>(CausedToPolice(),
                                 [](AssignLead& c) {
                                   c.responsible_agency_id = "nhs-trust";
                                   c.responsible_agency_kind = cv1::AGENCY_KIND_ACUTE_HEALTH;
                                 })),
           kRefused, "only adult social care (the local authority) can cause"),
      Fail("AuthorityCannotCauseItself", {Opened()},
           When(With<AssignLead>(ValidAssignLead(),
                                 [](AssignLead& c) {
                                   c.caused = true;
                                   c.scope = "all";
                                 })),
           kRefused, "choose a lead agency other than the local authority"),
      Fail("LeadNeedsAnOfficer", {Opened()},
           When(With<AssignLead>(ValidAssignLead(), [](AssignLead& c) { c.officer_name = ""; })),
           kInvalid, "officer_name: required"),
  };
}
INSTANTIATE_TEST_SUITE_P(AssignLead, EnquiryRulesTest, ::testing::ValuesIn(AssignLeadCases()),
                         CaseName);

// ---- Strategy discussion and actions ----

std::vector<RuleCase> StrategyCases() {
  return {
      Pass("ActionsGetIds", Base(), When(ValidDiscussion()),
           [](const Events& e) {
             const ev1::StrategyDiscussionRecorded& d = e[0].strategy_discussion_recorded();
             EXPECT_EQ(d.discussion_id(), "n1");
             ASSERT_EQ(d.actions_size(), 2);
             EXPECT_EQ(d.actions(0).action_id(), "n1-1");
             EXPECT_EQ(d.actions(1).action_id(), "n1-2");
             EXPECT_EQ(FromTimestamp(d.held_at()), kT0 + absl::Hours(30));
           }),
      Fail("DiscussionNeedsParticipants", Base(),
           When(With<RecordStrategyDiscussion>(
               ValidDiscussion(), [](RecordStrategyDiscussion& c) { c.participants.clear(); })),
           kInvalid, "participants: required"),
      Fail("DiscussionNeedsWhenHeld", Base(),
           When(With<RecordStrategyDiscussion>(
               ValidDiscussion(),
               [](RecordStrategyDiscussion& c) { c.held_at = absl::InfinitePast(); })),
           kInvalid, "held_at: required"),
      Fail("ActionNeedsDescription", Base(),
           When(With<RecordStrategyDiscussion>(
               ValidDiscussion(),
               [](RecordStrategyDiscussion& c) { c.actions[1].set_description(""); })),
           kInvalid, "actions[1].description: required"),
      Fail("ActionNeedsOwner", Base(),
           When(With<RecordStrategyDiscussion>(
               ValidDiscussion(),
               [](RecordStrategyDiscussion& c) { c.actions[0].clear_owner_agency_id(); })),
           kInvalid, "actions[0].owner_agency_id: required"),
      Fail(
          "ActionNeedsDueDate", Base(),
          When(With<RecordStrategyDiscussion>(
              ValidDiscussion(), [](RecordStrategyDiscussion& c) { c.actions[0].clear_due_at(); })),
          kInvalid, "actions[0].due_at: required"),
      Pass("ActionCompletes", Base(Discussion()), When(CompleteAction{Ctx(), "d1-1", "seen"}),
           [](const Events& e) {
             EXPECT_EQ(e[0].action_completed().action_id(), "d1-1");
             EXPECT_EQ(FromTimestamp(e[0].action_completed().completed_at()), kNow);
           }),
      Fail("UnknownActionIsNotFound", Base(Discussion()), When(CompleteAction{Ctx(), "d9-9", ""}),
           kUnknown, "action_id: no action d9-9"),
      Fail("ActionCompletesOnce", Base(Discussion(), ActionDone("d1-1")),
           When(CompleteAction{Ctx(), "d1-1", ""}), kRefused, "already completed on 2024-06-01"),
  };
}
INSTANTIATE_TEST_SUITE_P(Strategy, EnquiryRulesTest, ::testing::ValuesIn(StrategyCases()),
                         CaseName);

// ---- Desired outcomes ----

std::vector<RuleCase> OutcomeCases() {
  return {
      Pass("RevisionAddsChangesAndWithdraws", Base(), When(ValidRevision()),
           [](const Events& e) {
             const ev1::DesiredOutcomesRevised& r = e[0].desired_outcomes_revised();
             ASSERT_EQ(r.added_size(), 1);
             EXPECT_EQ(r.added(0).outcome_id(), "n1-1");
             EXPECT_EQ(r.changed(0).outcome_id(), kOutcome);
             EXPECT_EQ(r.reason(), "discussed at the visit on 3 June");
           }),
      Pass("OutcomeWithdrawn", Base(),
           When(ReviseDesiredOutcomes{Ctx(), {}, {}, {kOutcome}, "adult changed her mind"})),
      Fail("RevisionNeedsReason", Base(),
           When(With<ReviseDesiredOutcomes>(ValidRevision(),
                                            [](ReviseDesiredOutcomes& c) { c.reason = ""; })),
           kInvalid, "reason: required"),
      Fail("RevisionNeedsAChange", Base(), When(ReviseDesiredOutcomes{Ctx(), {}, {}, {}, "why"}),
           kInvalid, "nothing to revise"),
      Fail("AddedOutcomeNeedsTheAdultsWords", Base(),
           When(With<ReviseDesiredOutcomes>(
               ValidRevision(), [](ReviseDesiredOutcomes& c) { c.added[0].set_text(""); })),
           kInvalid, "added[0].text: required"),
      Fail("ChangedOutcomeMustExist", Base(),
           When(With<ReviseDesiredOutcomes>(
               ValidRevision(),
               [](ReviseDesiredOutcomes& c) { c.changed[0].set_outcome_id("nope"); })),
           kUnknown, "changed[0].outcome_id: no current desired outcome nope"),
      Fail("WithdrawnOutcomeMustExist", Base(),
           When(ReviseDesiredOutcomes{Ctx(), {}, {}, {"nope"}, "why"}), kUnknown,
           "withdrawn_outcome_ids[0]: no current desired outcome nope"),
      Fail("WithdrawnOutcomeCannotBeChanged", Base(Withdrawn(kOutcome)),
           When(With<ReviseDesiredOutcomes>(ValidRevision(), [](ReviseDesiredOutcomes&) {})),
           kUnknown, "changed[0].outcome_id"),
      Fail("OutcomeRevisedOnceACommand", Base(),
           When(With<ReviseDesiredOutcomes>(
               ValidRevision(),
               [](ReviseDesiredOutcomes& c) { c.withdrawn_outcome_ids = {kOutcome}; })),
           kInvalid, "is revised twice"),
  };
}
INSTANTIATE_TEST_SUITE_P(DesiredOutcomes, EnquiryRulesTest, ::testing::ValuesIn(OutcomeCases()),
                         CaseName);

// ---- Mental capacity and best interests ----

std::vector<ev1::Event> LacksCapacity() {
  return Base(Capacity("ca1", "Where to live", cv1::CAPACITY_FINDING_LACKS_CAPACITY,
                       kT0 + absl::Hours(24)));
}

std::vector<RuleCase> CapacityCases() {
  std::vector<ev1::Event> regained = LacksCapacity();
  regained.push_back(
      Capacity("ca2", "where to live", cv1::CAPACITY_FINDING_HAS_CAPACITY, kT0 + absl::Hours(48)));
  std::vector<ev1::Event> regained_then_lost = Base(
      Capacity("ca0", "Where to live", cv1::CAPACITY_FINDING_HAS_CAPACITY, kT0 + absl::Hours(12)),
      Capacity("ca1", "Where to live", cv1::CAPACITY_FINDING_LACKS_CAPACITY,
               kT0 + absl::Hours(24)));
  std::vector<ev1::Event> other_decision_regained = LacksCapacity();
  other_decision_regained.push_back(
      Capacity("ca2", "Managing money", cv1::CAPACITY_FINDING_HAS_CAPACITY, kT0 + absl::Hours(48)));
  // Recorded later in the log but assessed earlier: time-specific means assessed_at counts.
  std::vector<ev1::Event> earlier_finding_logged_later = LacksCapacity();
  earlier_finding_logged_later.push_back(
      Capacity("ca2", "Where to live", cv1::CAPACITY_FINDING_HAS_CAPACITY, kT0 + absl::Hours(1)));
  return {
      Pass("CapacityIsDecisionAndTimeSpecific", Base(), When(ValidCapacity()),
           [](const Events& e) {
             const ev1::CapacityAssessed& a = e[0].capacity_assessed();
             EXPECT_EQ(a.assessment_id(), "n1");
             EXPECT_EQ(a.decision(), "Where to live");
             EXPECT_EQ(FromTimestamp(a.assessed_at()), kNow - absl::Hours(1));
             EXPECT_EQ(a.finding(), cv1::CAPACITY_FINDING_LACKS_CAPACITY);
           }),
      Fail("CapacityNeedsTheDecision", Base(),
           When(With<RecordCapacityAssessment>(
               ValidCapacity(), [](RecordCapacityAssessment& c) { c.decision = " "; })),
           kInvalid, "decision: required (capacity is assessed for one specific decision"),
      Fail("CapacityNeedsTheTime", Base(),
           When(With<RecordCapacityAssessment>(
               ValidCapacity(),
               [](RecordCapacityAssessment& c) { c.assessed_at = absl::InfinitePast(); })),
           kInvalid, "assessed_at: required (capacity is time-specific"),
      Fail("CapacityNeedsAFinding", Base(),
           When(With<RecordCapacityAssessment>(
               ValidCapacity(),
               [](RecordCapacityAssessment& c) { c.finding = cv1::CAPACITY_FINDING_UNSPECIFIED; })),
           kInvalid, "finding: required"),
      Fail("CapacityNeedsAnAssessor", Base(),
           When(With<RecordCapacityAssessment>(
               ValidCapacity(), [](RecordCapacityAssessment& c) { c.assessor = ""; })),
           kInvalid, "assessor: required"),

      Pass("BestInterestsWhereCapacityLacking", LacksCapacity(), When(ValidBestInterests()),
           [](const Events& e) {
             const ev1::BestInterestsDecided& d = e[0].best_interests_decided();
             EXPECT_EQ(d.decision_id(), "n1");
             EXPECT_EQ(d.capacity_assessment_id(), "ca1");
             EXPECT_EQ(d.options_size(), 2);
             EXPECT_THAT(d.people_consulted(), ElementsAre("daughter", "GP"));
           }),
      Pass("EarlierFindingOfCapacityDoesNotCount", regained_then_lost, When(ValidBestInterests())),
      Pass("OtherDecisionsDoNotCount", other_decision_regained, When(ValidBestInterests())),
      Pass("AssessedAtNotLogOrderDecidesWhatIsLater", earlier_finding_logged_later,
           When(ValidBestInterests())),
      Fail("BestInterestsNeedsAKnownAssessment", LacksCapacity(),
           When(With<RecordBestInterestsDecision>(
               ValidBestInterests(),
               [](RecordBestInterestsDecision& c) { c.capacity_assessment_id = "ca9"; })),
           kUnknown, "capacity_assessment_id: no capacity assessment ca9"),
      Fail("BestInterestsOnlyWhereCapacityLacking",
           Base(Capacity("ca1", "where to live", cv1::CAPACITY_FINDING_HAS_CAPACITY,
                         kT0 + absl::Hours(24))),
           When(ValidBestInterests()), kRefused,
           "a best-interests decision applies only where capacity is lacking"),
      Fail("BestInterestsForTheSameDecision", LacksCapacity(),
           When(With<RecordBestInterestsDecision>(
               ValidBestInterests(),
               [](RecordBestInterestsDecision& c) { c.decision = "Managing money"; })),
           kRefused, "capacity is decision-specific"),
      Fail("CapacityRegainedRefuses", regained, When(ValidBestInterests()), kRefused,
           "capacity regained: assessment ca2 of 2024-06-03"),
      Fail("BestInterestsNeedsOptions", LacksCapacity(),
           When(With<RecordBestInterestsDecision>(
               ValidBestInterests(), [](RecordBestInterestsDecision& c) { c.options.clear(); })),
           kInvalid, "options: required"),
      Fail("EachOptionNeedsFactors", LacksCapacity(),
           When(With<RecordBestInterestsDecision>(
               ValidBestInterests(),
               [](RecordBestInterestsDecision& c) { c.options[1].clear_factors_against(); })),
           kInvalid, "options[1].factors_for: required"),
      Fail("BestInterestsNeedsPeopleConsulted", LacksCapacity(),
           When(With<RecordBestInterestsDecision>(
               ValidBestInterests(),
               [](RecordBestInterestsDecision& c) { c.people_consulted.clear(); })),
           kInvalid, "people_consulted: required (who was consulted (MCA 2005 s4(7)))"),
      Fail("BestInterestsNeedsTheAdultsWishes", LacksCapacity(),
           When(With<RecordBestInterestsDecision>(
               ValidBestInterests(),
               [](RecordBestInterestsDecision& c) { c.adults_known_wishes = ""; })),
           kInvalid, "adults_known_wishes: required"),
      Fail("ChosenOptionWasWeighed", LacksCapacity(),
           When(With<RecordBestInterestsDecision>(
               ValidBestInterests(),
               [](RecordBestInterestsDecision& c) { c.chosen_option = "Live with son"; })),
           kInvalid, "chosen_option: not one of the options weighed"),
  };
}
INSTANTIATE_TEST_SUITE_P(Capacity, EnquiryRulesTest, ::testing::ValuesIn(CapacityCases()),
                         CaseName);

// ---- Risk, plan, professional curiosity, duty of care ----

std::vector<RuleCase> RiskAndPlanCases() {
  cv1::SpokenToAlone alone;
  alone.set_spoken_to_alone(true);
  cv1::SpokenToAlone not_alone;
  not_alone.set_spoken_to_alone(false);
  cv1::SpokenToAlone not_alone_why = not_alone;
  not_alone_why.set_reason_if_not("son refused to leave the room");
  cv1::CoercionConcern suspected;
  suspected.set_suspected(true);
  suspected.set_reasons("son answers for her");
  cv1::CoercionConcern no_reasons;
  no_reasons.set_suspected(true);
  return {
      Pass("RiskAssessed", Base(), When(RecordRiskAssessment{Ctx(), "son", "daughter", "insight"}),
           [](const Events& e) { EXPECT_EQ(e[0].risk_assessed().dangers(), "son"); }),
      Fail("RiskAssessmentNeedsContent", Base(), When(RecordRiskAssessment{Ctx(), "", " ", ""}),
           kInvalid, "dangers: required"),
      Pass("PlanItemsGetIds", Base(), When(ValidPlan()),
           [](const Events& e) {
             const ev1::ProtectionPlanRecorded& p = e[0].protection_plan_recorded();
             ASSERT_EQ(p.items_size(), 2);
             EXPECT_EQ(p.items(0).item_id(), "n1-1");
             EXPECT_EQ(p.items(1).item_id(), "n1-2");
             EXPECT_TRUE(p.has_next_review_at());
           }),
      Fail("PlanNeedsItems", Base(),
           When(With<RecordProtectionPlan>(ValidPlan(),
                                           [](RecordProtectionPlan& c) { c.items.clear(); })),
           kInvalid, "items: required"),
      Fail("PlanItemNeedsByWhen", Base(),
           When(With<RecordProtectionPlan>(
               ValidPlan(), [](RecordProtectionPlan& c) { c.items[1].clear_by_when(); })),
           kInvalid, "items[1].by_when: required"),
      Fail("PlanItemNeedsByWhom", Base(),
           When(With<RecordProtectionPlan>(
               ValidPlan(), [](RecordProtectionPlan& c) { c.items[0].set_by_whom(""); })),
           kInvalid, "items[0].by_whom: required"),
      Pass("PlanReviewed", Base(Plan()),
           When(ReviewProtectionPlan{Ctx(), "working", kNow + absl::Hours(24)})),
      Fail("ReviewNeedsAPlan", Base(), When(ReviewProtectionPlan{Ctx(), "working", std::nullopt}),
           kRefused, "no protection plan recorded"),
      Pass("CoercionRecorded", Base(), When(RecordCoercionConcern{Ctx(), suspected})),
      Fail("CoercionNeedsReasons", Base(), When(RecordCoercionConcern{Ctx(), no_reasons}), kInvalid,
           "coercion.reasons: required"),
      Pass("SpokenToAlone", Base(), When(RecordSpokenToAlone{Ctx(), alone}),
           [](const Events& e) {
             EXPECT_EQ(FromTimestamp(e[0].spoken_to_alone_recorded().spoken().at()), kNow);
           }),
      Pass("NotAloneWithReason", Base(), When(RecordSpokenToAlone{Ctx(), not_alone_why})),
      Fail("NotAloneNeedsReason", Base(), When(RecordSpokenToAlone{Ctx(), not_alone}), kInvalid,
           "spoken.reason_if_not: required"),
      Pass("ManagerRecordsDutyOfCare", Base(),
           When(RecordDutyOfCareDecision{Ctx(Manager()), "continue", "children at risk"})),
      Fail("DutyOfCareIsAManagersDecision", Base(),
           When(RecordDutyOfCareDecision{Ctx(Officer()), "continue", "children at risk"}), kDenied,
           "a duty-of-care decision needs the Safeguarding manager role"),
      Fail("DutyOfCareNeedsReasons", Base(),
           When(RecordDutyOfCareDecision{Ctx(Manager()), "continue", ""}), kInvalid,
           "reasons: required"),
  };
}
INSTANTIATE_TEST_SUITE_P(RiskAndPlan, EnquiryRulesTest, ::testing::ValuesIn(RiskAndPlanCases()),
                         CaseName);

// ---- Conclusion ----

ev1::Event OpenedWithChildrenAtRisk() {
  return Opened(
      [](ev1::EnquiryOpened& o) { o.mutable_others_at_risk()->set_children_at_risk(true); });
}
ev1::Event OpenedWithGround(cv1::OverrideGround ground) {
  return Opened([ground](ev1::EnquiryOpened& o) { o.add_override_grounds(ground); });
}

std::vector<RuleCase> ConclusionCases() {
  using C = ConcludeEnquiry;
  std::vector<ev1::Event> unmet_advocacy = Base(Difficulty());
  std::vector<ev1::Event> other_enquiry_unmet = {
      Opened([](ev1::EnquiryOpened& o) { o.set_type(cv1::ENQUIRY_TYPE_OTHER); }), Lead(),
      Difficulty()};
  return {
      Pass("ConcludesWithEverythingAnswered", Base(), When(ValidConclusion()),
           [](const Events& e) {
             const ev1::EnquiryConcluded& c = e[0].enquiry_concluded();
             EXPECT_EQ(c.action_and_result(), cv1::ACTION_AND_RESULT_RISK_IDENTIFIED_ACTION_TAKEN);
             EXPECT_EQ(c.risk_outcome(), cv1::RISK_OUTCOME_REDUCED);
             ASSERT_EQ(c.outcome_results_size(), 1);
             EXPECT_EQ(c.outcome_results(0).achievement(), cv1::OUTCOME_ACHIEVEMENT_PARTIALLY);
           }),
      Pass("ManagerMayConclude", Base(),
           When(With<C>(ValidConclusion(), [](C& c) { c.ctx = Ctx(Manager()); }))),
      Fail("ConclusionNeedsTheRole", Base(),
           When(With<C>(ValidConclusion(), [](C& c) { c.ctx = Ctx(Referrer()); })), kDenied,
           "concluding an enquiry needs the Enquiry officer or Safeguarding manager role"),
      Fail("ConclusionNeedsALead", {Opened()}, When(ValidConclusion()), kRefused,
           "no lead assigned: assign a lead agency and enquiry officer before concluding"),
      Fail("ConclusionIsForTheLead", Base(),
           When(With<C>(ValidConclusion(),
                        [](C& c) { c.ctx = Ctx(Officer(kPolice, cv1::AGENCY_KIND_POLICE)); })),
           kDenied,
           "concluding this enquiry: this enquiry is led by asc-northshire; police-northshire is "
           "not the lead agency or the local authority responsible"),
      Pass("CausedLeadMayConclude", {Opened(), Lead(kPolice, /*caused=*/true)},
           When(With<C>(ValidConclusion(),
                        [](C& c) { c.ctx = Ctx(Officer(kPolice, cv1::AGENCY_KIND_POLICE)); }))),
      Pass("ResponsibleAuthorityMayConclude", {Opened(), Lead(kPolice, /*caused=*/true)},
           When(ValidConclusion())),
      Fail("OutcomesAskedMustBeAnswered", Base(),
           When(With<C>(ValidConclusion(),
                        [](C& c) { c.outcomes_asked = cv1::OUTCOMES_ASKED_UNSPECIFIED; })),
           kInvalid, "outcomes_asked: required"),
      Pass("NotAskedWithReason", Base(),
           When(With<C>(ValidConclusion(),
                        [](C& c) {
                          c.outcomes_asked = cv1::OUTCOMES_ASKED_NO;
                          c.outcomes_not_asked_reason = "adult unconscious throughout";
                        }))),
      Fail(
          "NotAskedNeedsReason", Base(),
          When(With<C>(ValidConclusion(), [](C& c) { c.outcomes_asked = cv1::OUTCOMES_ASKED_NO; })),
          kInvalid, "outcomes_not_asked_reason: required"),
      Fail("ExpressedOutcomesMustBeOnRecord",
           {Opened([](ev1::EnquiryOpened& o) { o.clear_desired_outcomes(); }), Lead()},
           When(With<C>(ValidConclusion(), [](C& c) { c.outcome_results.clear(); })), kRefused,
           "outcomes were expressed but none is recorded"),
      Pass("NoneExpressedNeedsNoResults",
           {Opened([](ev1::EnquiryOpened& o) { o.clear_desired_outcomes(); }), Lead()},
           When(With<C>(ValidConclusion(),
                        [](C& c) {
                          c.outcomes_asked = cv1::OUTCOMES_ASKED_YES_NONE_EXPRESSED;
                          c.outcome_results.clear();
                        }))),
      Fail("EveryOutcomeGetsAnAnswer", Base(),
           When(With<C>(ValidConclusion(), [](C& c) { c.outcome_results.clear(); })), kRefused,
           "desired outcomes without an answer: \"I want him to stop taking my money\""),
      Pass("WithdrawnOutcomesNeedNoAnswer", Base(Withdrawn(kOutcome)),
           When(With<C>(ValidConclusion(),
                        [](C& c) {
                          c.outcomes_asked = cv1::OUTCOMES_ASKED_YES_NONE_EXPRESSED;
                          c.outcome_results.clear();
                        }))),
      Fail("ResultForWithdrawnOutcomeIsUnknown", Base(Withdrawn(kOutcome)),
           When(With<C>(ValidConclusion(),
                        [](C& c) { c.outcomes_asked = cv1::OUTCOMES_ASKED_YES_NONE_EXPRESSED; })),
           kUnknown, "outcome_results[0].outcome_id: no current desired outcome concern1-o-1"),
      Fail("ResultForUnknownOutcome", Base(),
           When(With<C>(ValidConclusion(), [](C& c) { c.outcome_results[0].set_outcome_id("x"); })),
           kUnknown, "outcome_results[0].outcome_id"),
      Fail("OneResultPerOutcome", Base(),
           When(With<C>(ValidConclusion(),
                        [](C& c) { c.outcome_results.push_back(c.outcome_results[0]); })),
           kInvalid, "outcome_results[1].outcome_id: outcome concern1-o-1 is answered twice"),
      Fail("ResultNeedsAchievement", Base(),
           When(With<C>(ValidConclusion(),
                        [](C& c) {
                          c.outcome_results[0].set_achievement(
                              cv1::OUTCOME_ACHIEVEMENT_UNSPECIFIED);
                        })),
           kInvalid, "outcome_results[0].achievement: required"),
      Fail("ConclusionNeedsARisk", Base(),
           When(With<C>(ValidConclusion(), [](C& c) { c.risks.clear(); })), kInvalid,
           "risks: required"),
      Fail("RiskNeedsSource", Base(),
           When(With<C>(ValidConclusion(),
                        [](C& c) { c.risks[0].set_source(cv1::SOURCE_OF_RISK_UNSPECIFIED); })),
           kInvalid, "risks[0].source: required"),
      Fail("RiskNeedsLocation", Base(),
           When(With<C>(ValidConclusion(),
                        [](C& c) { c.risks[0].set_location(cv1::LOCATION_OF_RISK_UNSPECIFIED); })),
           kInvalid, "risks[0].location: required"),
      Fail("ActionAndResultRequired", Base(),
           When(With<C>(ValidConclusion(),
                        [](C& c) { c.action_and_result = cv1::ACTION_AND_RESULT_UNSPECIFIED; })),
           kInvalid, "action_and_result: required"),
      Fail("RiskOutcomeWhenActedOn", Base(),
           When(With<C>(ValidConclusion(),
                        [](C& c) { c.risk_outcome = cv1::RISK_OUTCOME_UNSPECIFIED; })),
           kInvalid, "risk_outcome: required"),
      Fail("RiskOutcomeOnlyWhenActedOn", Base(),
           When(With<C>(
               ValidConclusion(),
               [](C& c) { c.action_and_result = cv1::ACTION_AND_RESULT_NO_RISK_NO_ACTION_TAKEN; })),
           kInvalid, "risk_outcome: only with \"Risk identified and action taken\""),
      Pass("NoRiskOutcomeWithoutAction", Base(),
           When(With<C>(ValidConclusion(),
                        [](C& c) {
                          c.action_and_result = cv1::ACTION_AND_RESULT_INCONCLUSIVE_NO_ACTION_TAKEN;
                          c.risk_outcome = cv1::RISK_OUTCOME_UNSPECIFIED;
                        }))),
      Fail("CapacityAnswerRequired", Base(),
           When(With<C>(ValidConclusion(),
                        [](C& c) { c.capacity = cv1::CAPACITY_ANSWER_UNSPECIFIED; })),
           kInvalid, "capacity: required"),
      Fail("SupportOnlyWhereCapacityLacked", Base(),
           When(With<C>(ValidConclusion(),
                        [](C& c) { c.supported_by_advocate_family_or_friend = true; })),
           kInvalid, "supported_by_advocate_family_or_friend"),
      Pass("SupportWhereCapacityLacked", Base(),
           When(With<C>(ValidConclusion(),
                        [](C& c) {
                          c.capacity = cv1::CAPACITY_ANSWER_LACKED_CAPACITY;
                          c.supported_by_advocate_family_or_friend = true;
                        }))),
      Fail("AdvocacyDutyUnmetBlocksSection42", unmet_advocacy, When(ValidConclusion()), kRefused,
           "advocacy duty unmet: substantial difficulty in understanding information; no "
           "appropriate individual has been assessed"),
      Pass("AdvocacyDutyIsForSection42", other_enquiry_unmet, When(ValidConclusion())),
      Pass("CeasingWithNothingAgainstIt", Base(), When(CeasingConclusion())),
      Fail("CeasingRefusedWhenChildrenAtRisk", {OpenedWithChildrenAtRisk(), Lead()},
           When(CeasingConclusion()), kRefused,
           "cannot cease the enquiry at the adult's request: children are at risk. Making "
           "Safeguarding Personal does not mean walking away"),
      Fail("CeasingRefusedWhenAdultsAtRisk",
           {Opened([](ev1::EnquiryOpened& o) {
              o.mutable_others_at_risk()->set_adults_at_risk(true);
            }),
            Lead()},
           When(CeasingConclusion()), kRefused, "other adults are at risk"),
      Fail("CeasingRefusedWhenCoercionSuspectedAtConcern",
           {Opened([](ev1::EnquiryOpened& o) { o.mutable_coercion()->set_suspected(true); }),
            Lead()},
           When(CeasingConclusion()), kRefused, "coercion or undue influence is suspected"),
      Fail("CeasingRefusedWhenCoercionSuspectedLater", Base(Coercion(true)),
           When(CeasingConclusion()), kRefused, "coercion or undue influence is suspected"),
      Fail("CoercionOnceSuspectedStillCounts", Base(Coercion(true), Coercion(false)),
           When(CeasingConclusion()), kRefused, "coercion or undue influence is suspected"),
      Fail("CeasingRefusedOnSeriousCrimeGround",
           {OpenedWithGround(cv1::OVERRIDE_GROUND_SERIOUS_CRIME), Lead()},
           When(CeasingConclusion()), kRefused, "a serious crime ground was recorded"),
      Fail("CeasingRefusedOnPublicInterestGround",
           {OpenedWithGround(cv1::OVERRIDE_GROUND_PUBLIC_INTEREST), Lead()},
           When(CeasingConclusion()), kRefused, "a public interest ground was recorded"),
      Pass("CeasingAllowedAfterDutyOfCareDecision",
           {OpenedWithChildrenAtRisk(), Lead(), DutyOfCare()}, When(CeasingConclusion())),
      Pass("OtherResultsNotAffectedByOthersAtRisk", {OpenedWithChildrenAtRisk(), Lead()},
           When(ValidConclusion())),
      Fail("ConcludesOnce", Base(Concluded()), When(ValidConclusion()), kRefused,
           "enquiry already concluded on 2024-06-01"),
  };
}
INSTANTIATE_TEST_SUITE_P(Conclusion, EnquiryRulesTest, ::testing::ValuesIn(ConclusionCases()),
                         CaseName);

// ---- Closure ----

std::vector<RuleCase> ClosureCases() {
  using C = CloseEnquiry;
  const auto ceasing = [](C& c) { c.reason = cv1::CLOSURE_REASON_CEASED_AT_ADULTS_REQUEST; };
  return {
      Pass("ManagerCloses", Base(Concluded()), When(ValidClosure()),
           [](const Events& e) {
             const ev1::EnquiryClosed& c = e[0].enquiry_closed();
             EXPECT_EQ(c.reason(), cv1::CLOSURE_REASON_OUTCOMES_MET);
             EXPECT_TRUE(c.sar_considered());
             EXPECT_EQ(c.adults_view(), "happy for it to close");
           }),
      Fail("ClosureIsAManagersDecision", Base(Concluded()),
           When(With<C>(ValidClosure(), [](C& c) { c.ctx = Ctx(Officer()); })), kDenied,
           "closing an enquiry needs the Safeguarding manager role"),
      Fail("ClosureIsForTheLead", Base(Concluded()),
           When(With<C>(ValidClosure(), [](C& c) { c.ctx = Ctx(Manager("asc-southshire")); })),
           kDenied,
           "closing this enquiry: this enquiry is led by asc-northshire; asc-southshire is not "
           "the lead agency"),
      Fail("ConcludeBeforeClosing", Base(), When(ValidClosure()), kRefused,
           "enquiry not concluded: record its conclusion"),
      Fail("ClosureNeedsReason", Base(Concluded()),
           When(With<C>(ValidClosure(), [](C& c) { c.reason = cv1::CLOSURE_REASON_UNSPECIFIED; })),
           kInvalid, "reason: required"),
      Fail("ClosureNeedsTheAdultsView", Base(Concluded()),
           When(With<C>(ValidClosure(), [](C& c) { c.adults_view = "  "; })), kInvalid,
           "adults_view: required (the adult's view on closure; if it could not be obtained, "
           "say why)"),
      Fail("ClosureConsidersASar", Base(Concluded()),
           When(With<C>(ValidClosure(), [](C& c) { c.sar_considered = false; })), kRefused,
           "safeguarding adults review has not been considered (Care Act s44)"),
      Pass("CeasedAtRequestWithNothingAgainstIt", Base(Concluded()),
           When(With<C>(ValidClosure(), ceasing))),
      Fail("CeasedAtRequestRefusedWhenChildrenAtRisk",
           {OpenedWithChildrenAtRisk(), Lead(), Concluded()},
           When(With<C>(ValidClosure(), ceasing)), kRefused,
           "cannot close the enquiry at the adult's request: children are at risk"),
      Fail("CeasedAtRequestRefusedOnCrimeGround",
           {OpenedWithGround(cv1::OVERRIDE_GROUND_SERIOUS_CRIME), Lead(), Concluded()},
           When(With<C>(ValidClosure(), ceasing)), kRefused, "a serious crime ground"),
      Pass("CeasedAtRequestAfterDutyOfCare",
           {OpenedWithChildrenAtRisk(), Lead(), Concluded(), DutyOfCare()},
           When(With<C>(ValidClosure(), ceasing))),
      Fail("ClosesOnce", Base(Concluded(), Closed()), When(ValidClosure()), kRefused,
           "enquiry already closed on 2024-06-01: raise a new concern"),
  };
}
INSTANTIATE_TEST_SUITE_P(Closure, EnquiryRulesTest, ::testing::ValuesIn(ClosureCases()), CaseName);

// ---- Who may act (Care Act s42(2)): the caller's agency's relationship to the case ----

template <typename Cmd>
Cmd As(Cmd cmd, Caller caller) {
  cmd.ctx = Ctx(std::move(caller));
  return cmd;
}

std::vector<ev1::Event> CausedToPoliceBase() { return {Opened(), Lead(kPolice, /*caused=*/true)}; }

constexpr char kNotLead[] =
    "this enquiry is led by asc-northshire; police-northshire is not the lead agency or the "
    "local authority responsible";

std::vector<RuleCase> WhoMayActCases() {
  const RecordRiskAssessment risk{Ctx(), "son takes pension", "", ""};
  std::vector<ev1::Event> with_plan = Base(Plan());
  std::vector<ev1::Event> allocated = Base();
  for (const ev1::Event& e : AdvocacyEvents(/*allocated=*/true)) allocated.push_back(e);
  std::vector<ev1::Event> unallocated = Base();
  for (const ev1::Event& e : AdvocacyEvents(/*allocated=*/false)) unallocated.push_back(e);
  return {
      // Before a lead is assigned: adult social care only.
      Pass("BeforeLeadAdultSocialCareActs", {Opened()}, When(ValidCapacity())),
      Pass("BeforeLeadAnyAdultSocialCareActs", {Opened()},
           When(As(ValidCapacity(), Officer(kOtherLa)))),
      Fail("BeforeLeadPartnerRefused", {Opened()}, When(As(ValidCapacity(), PoliceOfficer())),
           kDenied,
           "recording a capacity assessment: no lead is assigned yet, so this enquiry is the "
           "local authority's (adult social care, Care Act s42); police-northshire is not adult "
           "social care"),
      // AssignLead: adult social care; once a lead exists, the local authority responsible.
      Pass("FirstLeadByAnyAdultSocialCare", {Opened()},
           When(As(ValidAssignLead(), Manager(kOtherLa)))),
      Fail("FirstLeadNotByPartner", {Opened()}, When(As(ValidAssignLead(), PoliceManager())),
           kDenied, "assigning the lead: no lead is assigned yet"),
      Pass("LeadAuthorityReassigns", Base(), When(ValidAssignLead())),
      Fail("PartnerCannotReassign", Base(), When(As(ValidAssignLead(), PoliceManager())), kDenied,
           "assigning the lead: this enquiry is led by asc-northshire; police-northshire is not "
           "the local authority responsible"),
      Fail("OtherAuthorityCannotReassign", Base(), When(As(ValidAssignLead(), Manager(kOtherLa))),
           kDenied, "asc-southshire is not the local authority responsible"),
      Pass("ResponsibleAuthorityReassignsCausedLead", CausedToPoliceBase(),
           When(ValidAssignLead())),
      Fail("CausedLeadCannotReassign", CausedToPoliceBase(),
           When(As(ValidAssignLead(), PoliceManager())), kDenied,
           "this enquiry is led by police-northshire (caused by asc-northshire, the local "
           "authority responsible); police-northshire is not the local authority responsible"),
      // Once a lead exists: the lead agency or the local authority responsible.
      Pass("LeadRecords", Base(), When(ValidCapacity())),
      Pass("CausedLeadRecords", CausedToPoliceBase(), When(As(risk, PoliceOfficer()))),
      Pass("ResponsibleAuthorityRecords", CausedToPoliceBase(), When(risk)),
      Fail("OtherAuthorityRefused", Base(), When(As(risk, Officer(kOtherLa))), kDenied,
           "asc-southshire is not the lead agency or the local authority responsible"),
      Fail("PartnerCannotRecordCapacity", Base(), When(As(ValidCapacity(), PoliceOfficer())),
           kDenied, absl::StrCat("recording a capacity assessment: ", kNotLead)),
      Fail("PartnerCannotRecordStrategy", Base(), When(As(ValidDiscussion(), PoliceOfficer())),
           kDenied, kNotLead),
      Fail("PartnerCannotDecideBestInterests", LacksCapacity(),
           When(As(ValidBestInterests(), PoliceOfficer())), kDenied, kNotLead),
      Fail("PartnerCannotAssessRisk", Base(), When(As(risk, PoliceOfficer())), kDenied, kNotLead),
      Fail("PartnerCannotRecordPlan", Base(), When(As(ValidPlan(), PoliceOfficer())), kDenied,
           kNotLead),
      Fail("PartnerCannotReviewPlan", with_plan,
           When(ReviewProtectionPlan{Ctx(PoliceOfficer()), "reviewed", std::nullopt}), kDenied,
           kNotLead),
      Fail("PartnerCannotRecordCoercion", Base(),
           When(RecordCoercionConcern{Ctx(PoliceOfficer()), {}}), kDenied, kNotLead),
      Fail("PartnerCannotRecordSpokenToAlone", Base(),
           When(RecordSpokenToAlone{Ctx(PoliceOfficer()), {}}), kDenied, kNotLead),
      Fail("PartnerCannotDecideDutyOfCare", Base(),
           When(RecordDutyOfCareDecision{Ctx(PoliceManager()), "close", "police continue"}),
           kDenied, kNotLead),
      Fail("PartnerCannotConclude", Base(), When(As(ValidConclusion(), PoliceManager())), kDenied,
           kNotLead),
      Fail("PartnerCannotClose", Base(Concluded()), When(As(ValidClosure(), PoliceManager())),
           kDenied, kNotLead),
      // CompleteAction: also the action's owner agency.
      Pass("ActionOwnerCompletes", Base(Discussion(kPolice)),
           When(CompleteAction{Ctx(PoliceOfficer()), "d1-1", "statements checked"})),
      Pass("LeadCompletesAPartnersAction", Base(Discussion(kPolice)),
           When(CompleteAction{Ctx(), "d1-1", "done"})),
      Fail("PartnerCompletesOnlyItsOwnActions", Base(Discussion()),
           When(CompleteAction{Ctx(PoliceOfficer()), "d1-1", ""}), kDenied,
           absl::StrCat("completing this action: ", kNotLead,
                        ", nor the agency that owns the action (asc-northshire)")),
      Fail("PartnerCannotProbeActions", Base(Discussion()),
           When(CompleteAction{Ctx(PoliceOfficer()), "d9-9", ""}), kDenied, kNotLead),
      // ReviseDesiredOutcomes: also the provider of the allocated advocate.
      Pass("AllocatedAdvocateRevisesOutcomes", allocated, When(As(ValidRevision(), Advocate()))),
      Fail("ProviderWithoutAllocatedAdvocateCannotRevise", unallocated,
           When(As(ValidRevision(), Advocate())), kDenied,
           "voiceability is not the lead agency or the local authority responsible, nor the "
           "provider of the allocated advocate"),
      Fail("UnreferredAdvocateCannotRevise", allocated,
           When(As(ValidRevision(), Advocate("other-advocacy"))), kDenied,
           "other-advocacy is not the lead agency"),
      Fail("PartnerCannotReviseOutcomes", Base(), When(As(ValidRevision(), PoliceOfficer())),
           kDenied, kNotLead),
  };
}
INSTANTIATE_TEST_SUITE_P(WhoMayAct, EnquiryRulesTest, ::testing::ValuesIn(WhoMayActCases()),
                         CaseName);

// ---- Evolve ----

TEST(EnquiryEvolveTest, OpeningCarriesTheAdultsOutcomes) {
  const EnquiryState state = Fold({Opened()});
  EXPECT_TRUE(state.opened);
  ASSERT_EQ(state.desired_outcomes.size(), 1u);
  EXPECT_EQ(state.desired_outcomes[0].outcome.text(), kOutcomeWords);
  EXPECT_EQ(state.desired_outcomes[0].changed_at, kT0);
}

TEST(EnquiryEvolveTest, RevisionsAreDatedByTheEvent) {
  EnquiryState state = Fold(Base());
  absl::StatusOr<Events> events = Decide(state, ValidRevision());
  ASSERT_THAT(events, IsOk());
  state = Fold(state, *events);
  ASSERT_EQ(state.desired_outcomes.size(), 2u);
  EXPECT_EQ(state.desired_outcomes[0].outcome.text(), "I want my money back");
  EXPECT_EQ(state.desired_outcomes[0].changed_at, kNow);
  EXPECT_EQ(state.desired_outcomes[1].outcome.outcome_id(), "n1-1");
  state = Evolve(state, Withdrawn("n1-1"));
  EXPECT_TRUE(state.FindDesiredOutcome("n1-1")->withdrawn);
}

TEST(EnquiryEvolveTest, ActionsAndStagesFold) {
  const EnquiryState state =
      Fold(Base(Discussion(), ActionDone("d1-1"), Plan(), Coercion(true), Concluded(), Closed()));
  ASSERT_NE(state.FindAction("d1-1"), nullptr);
  EXPECT_TRUE(state.FindAction("d1-1")->completed);
  EXPECT_EQ(state.FindAction("d1-1")->discussion_id, "d1");
  EXPECT_TRUE(state.protection_plan.has_value());
  EXPECT_TRUE(state.coercion_suspected);
  EXPECT_TRUE(state.concluded());
  EXPECT_TRUE(state.closed());
  EXPECT_EQ(state.closed_at, kT0 + absl::Hours(10));
}

TEST(EnquiryEvolveTest, UnrelatedEventsAreIgnored) {
  ev1::Event other = At(kT0);
  other.mutable_concern_triaged();
  const EnquiryState state = Fold({other});
  EXPECT_FALSE(state.opened);
}

TEST(EnquiryEvolveTest, CeasingReasonsListEverythingRecorded) {
  const EnquiryState state = Fold({Opened([](ev1::EnquiryOpened& o) {
    o.mutable_others_at_risk()->set_children_at_risk(true);
    o.add_override_grounds(cv1::OVERRIDE_GROUND_PUBLIC_INTEREST);
  })});
  EXPECT_THAT(ReasonsAgainstCeasing(state),
              ElementsAre("children are at risk", "a public interest ground was recorded"));
}

}  // namespace
}  // namespace hub::domain::enquiry
