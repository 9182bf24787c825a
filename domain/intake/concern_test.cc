// Rules of the concern stream, table-driven: given past events, a command, then the expected
// events or error. Every rule has a passing and a refusing case.
#include "domain/intake/concern.h"

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "domain/common/envelope.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hub::domain::intake {
namespace {

using common::v1::Role;
using events::v1::Event;
using ::hub::testing::IsOk;
using ::hub::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

absl::TimeZone London() {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone("Europe/London", &zone));
  return zone;
}

// Friday 2024-06-07 16:00 BST.
const absl::Time kNow =
    absl::FromCivil(absl::CivilSecond(2024, 6, 7, 15, 0, 0), absl::UTCTimeZone());

CommandContext Ctx(std::vector<Role> roles, const std::string& agency = "asc-northshire",
                   common::v1::AgencyKind kind = common::v1::AGENCY_KIND_ADULT_SOCIAL_CARE) {
  CommandContext ctx;
  ctx.caller.agency_id = agency;
  ctx.caller.agency_kind = kind;
  ctx.caller.user_id = "user-1";
  ctx.caller.roles = std::move(roles);
  ctx.now = kNow;
  ctx.command_key = absl::StrCat(agency, "/cmd-1");
  ctx.new_id = "new-1";
  return ctx;
}

CommandContext Triager() { return Ctx({common::v1::ROLE_MASH_TRIAGE}); }
CommandContext Manager() { return Ctx({common::v1::ROLE_SAFEGUARDING_MANAGER}); }
CommandContext PoliceResearcher() {
  return Ctx({common::v1::ROLE_MASH_RESEARCHER}, "police-northshire",
             common::v1::AGENCY_KIND_POLICE);
}

common::v1::ConcernDetails Details() {
  common::v1::ConcernDetails details;
  details.set_what_happened("Bruising seen on both arms; says her son grabbed her.");
  details.add_types_of_risk(common::v1::TYPE_OF_RISK_PHYSICAL_ABUSE);
  details.set_location_of_risk(common::v1::LOCATION_OF_RISK_OWN_HOME);
  details.mutable_referrer()->set_name("Nurse Patel");
  details.mutable_consent()->set_adult_aware(true);
  details.mutable_consent()->set_status(common::v1::CONSENT_STATUS_GIVEN);
  common::v1::DesiredOutcome* outcome = details.add_desired_outcomes();
  outcome->set_text("I want him to stop but I don't want him in trouble");
  outcome->set_kind(common::v1::DESIRED_OUTCOME_KIND_ABUSE_TO_STOP);
  details.mutable_others_at_risk()->set_children_at_risk(true);
  details.mutable_coercion()->set_suspected(true);
  return details;
}

void WithoutConsent(common::v1::ConcernDetails& details, common::v1::ConsentStatus status) {
  common::v1::Consent* consent = details.mutable_consent();
  consent->set_status(status);
  consent->add_override_grounds(common::v1::OVERRIDE_GROUND_RISK_TO_OTHERS);
  consent->set_override_justification("Grandchildren visit the house daily.");
  if (status == common::v1::CONSENT_STATUS_NOT_ASKED) {
    consent->set_not_asked_reason(common::v1::CONSENT_NOT_ASKED_REASON_WOULD_INCREASE_RISK);
  }
}

Event Raised() {
  Event event = NewEvent(Ctx({common::v1::ROLE_REFERRER}));
  events::v1::ConcernRaised* raised = event.mutable_concern_raised();
  raised->set_concern_id("c-1");
  raised->set_person_id("p-1");
  *raised->mutable_details() = Details();
  raised->mutable_details()->mutable_desired_outcomes(0)->set_outcome_id("c-1-1");
  raised->mutable_details()->mutable_consent()->add_override_grounds(
      common::v1::OVERRIDE_GROUND_COERCION_OR_DURESS);
  raised->mutable_details()->set_local_authority_code("E06000001");
  raised->set_episode(1);
  return event;
}

Event Triaged(common::v1::RagRating rating, absl::Time due) {
  Event event = NewEvent(Triager());
  event.mutable_concern_triaged()->set_rating(rating);
  event.mutable_concern_triaged()->set_rationale("injuries seen");
  *event.mutable_concern_triaged()->mutable_decision_due_at() = ToTimestamp(due);
  return event;
}
Event Triaged() { return Triaged(common::v1::RAG_RATING_AMBER, kNow + absl::Hours(8)); }

Event ResearchRequestedOf(const std::string& request_id, const std::string& agency) {
  Event event = NewEvent(Triager());
  event.mutable_research_requested()->set_request_id(request_id);
  event.mutable_research_requested()->set_agency_id(agency);
  event.mutable_research_requested()->set_questions("Any callouts to the address?");
  *event.mutable_research_requested()->mutable_due_at() = ToTimestamp(kNow + absl::Hours(4));
  return event;
}

Event ResearchAnsweredOf(const std::string& request_id) {
  Event event = NewEvent(PoliceResearcher());
  event.mutable_research_answered()->set_request_id(request_id);
  event.mutable_research_answered()->set_agency_id("police-northshire");
  event.mutable_research_answered()->set_nothing_known(true);
  return event;
}

Event Decided(common::v1::ThresholdRoute route = common::v1::THRESHOLD_ROUTE_NO_FURTHER_ACTION) {
  Event event = NewEvent(Manager());
  event.mutable_threshold_decision_made()->set_route(route);
  event.mutable_threshold_decision_made()->set_rationale("reasons");
  return event;
}

struct Then {
  absl::StatusCode code = absl::StatusCode::kOk;
  std::string message;
  std::function<void(const std::vector<Event>&)> events;
};

template <typename Command>
struct Case {
  std::string name;
  std::vector<Event> given;
  std::function<void(Command&)> when;
  Then then;
};

template <typename Command, typename DecideFn>
void RunCases(const Command& base, const std::vector<Case<Command>>& cases, DecideFn decide) {
  for (const Case<Command>& c : cases) {
    SCOPED_TRACE(c.name);
    Command command = base;
    if (c.when) c.when(command);
    absl::StatusOr<std::vector<Event>> result = decide(Fold(c.given), command);
    if (c.then.code != absl::StatusCode::kOk) {
      EXPECT_THAT(result, StatusIs(c.then.code, HasSubstr(c.then.message)));
      continue;
    }
    ASSERT_THAT(result, IsOk());
    for (const Event& event : *result) {
      EXPECT_EQ(event.command_id(), command.ctx.command_key);
      EXPECT_EQ(FromTimestamp(event.occurred_at()), command.ctx.now);
      EXPECT_EQ(event.actor().user_id(), command.ctx.caller.user_id);
    }
    if (c.then.events) c.then.events(*result);
  }
}

template <typename Command>
void RunCases(const Command& base, const std::vector<Case<Command>>& cases) {
  RunCases(base, cases, [](const ConcernState& state, const Command& command) {
    return Decide(state, command);
  });
}

// ---- RaiseConcern ----

TEST(RaiseConcernTest, Rules) {
  RaiseConcern base;
  base.ctx = Ctx({common::v1::ROLE_REFERRER}, "nhs-acute", common::v1::AGENCY_KIND_ACUTE_HEALTH);
  base.concern_id = "c-2";
  base.person_id = "p-1";
  base.linked_to_existing_person = true;
  base.previous_concern_ids = {"c-1"};
  base.episode = 2;
  base.adult.mutable_name()->set_given("Mary");
  base.details = Details();
  base.host_local_authority_code = "E06000001";
  RunCases<RaiseConcern>(
      base,
      {
          {"raises with consent given, outcome ids and the host authority filled in",
           {},
           nullptr,
           {.events =
                [](const std::vector<Event>& events) {
                  ASSERT_THAT(events, SizeIs(1));
                  const events::v1::ConcernRaised& e = events[0].concern_raised();
                  EXPECT_EQ(e.concern_id(), "c-2");
                  EXPECT_EQ(e.person_id(), "p-1");
                  EXPECT_TRUE(e.linked_to_existing_person());
                  EXPECT_THAT(e.previous_concern_ids(), ElementsAre("c-1"));
                  EXPECT_EQ(e.episode(), 2);
                  EXPECT_EQ(e.adult().name().given(), "Mary");
                  EXPECT_EQ(e.details().local_authority_code(), "E06000001");
                  ASSERT_THAT(e.details().desired_outcomes(), SizeIs(1));
                  EXPECT_EQ(e.details().desired_outcomes(0).outcome_id(), "c-2-1");
                  EXPECT_EQ(e.details().desired_outcomes(0).text(),
                            "I want him to stop but I don't want him in trouble");
                }}},
          {"keeps a local authority code given by the referrer",
           {},
           [](RaiseConcern& c) { c.details.set_local_authority_code("E06000002"); },
           {.events =
                [](const std::vector<Event>& events) {
                  EXPECT_EQ(events[0].concern_raised().details().local_authority_code(),
                            "E06000002");
                }}},
          {"numbers several outcomes and keeps an id already given",
           {},
           [](RaiseConcern& c) {
             c.details.mutable_desired_outcomes(0)->set_outcome_id("mine");
             c.details.add_desired_outcomes()->set_text("to stay at home");
           },
           {.events =
                [](const std::vector<Event>& events) {
                  const auto& outcomes = events[0].concern_raised().details().desired_outcomes();
                  EXPECT_EQ(outcomes[0].outcome_id(), "mine");
                  EXPECT_EQ(outcomes[1].outcome_id(), "c-2-2");
                }}},
          {"no desired outcomes yet is allowed with consent (they may be asked later)",
           {},
           [](RaiseConcern& c) { c.details.clear_desired_outcomes(); },
           {}},
          {"declined consent with an override ground and justification",
           {},
           [](RaiseConcern& c) { WithoutConsent(c.details, common::v1::CONSENT_STATUS_DECLINED); },
           {}},
          {"not asked with a reason, ground and justification",
           {},
           [](RaiseConcern& c) { WithoutConsent(c.details, common::v1::CONSENT_STATUS_NOT_ASKED); },
           {}},
          {"refuses an unrecorded consent status",
           {},
           [](RaiseConcern& c) { c.details.mutable_consent()->clear_status(); },
           {absl::StatusCode::kFailedPrecondition, "record the adult's consent"}},
          {"refuses not asked without the reason",
           {},
           [](RaiseConcern& c) {
             WithoutConsent(c.details, common::v1::CONSENT_STATUS_NOT_ASKED);
             c.details.mutable_consent()->clear_not_asked_reason();
           },
           {absl::StatusCode::kFailedPrecondition, "consent was not asked: record why"}},
          {"refuses a reason for not asking when consent was asked",
           {},
           [](RaiseConcern& c) {
             c.details.mutable_consent()->set_not_asked_reason(
                 common::v1::CONSENT_NOT_ASKED_REASON_NOT_PRACTICABLE);
           },
           {absl::StatusCode::kFailedPrecondition, "remove not_asked_reason"}},
          {"refuses declined consent without an override ground",
           {},
           [](RaiseConcern& c) {
             WithoutConsent(c.details, common::v1::CONSENT_STATUS_DECLINED);
             c.details.mutable_consent()->clear_override_grounds();
           },
           {absl::StatusCode::kFailedPrecondition,
            "raised without consent: record at least one override ground and a justification"}},
          {"refuses declined consent without a justification",
           {},
           [](RaiseConcern& c) {
             WithoutConsent(c.details, common::v1::CONSENT_STATUS_DECLINED);
             c.details.mutable_consent()->set_override_justification(" ");
           },
           {absl::StatusCode::kFailedPrecondition, "raised without consent"}},
          {"refuses not asked without an override ground",
           {},
           [](RaiseConcern& c) {
             WithoutConsent(c.details, common::v1::CONSENT_STATUS_NOT_ASKED);
             c.details.mutable_consent()->clear_override_grounds();
           },
           {absl::StatusCode::kFailedPrecondition, "raised without consent"}},
          {"refuses override grounds when consent was given",
           {},
           [](RaiseConcern& c) {
             c.details.mutable_consent()->add_override_grounds(
                 common::v1::OVERRIDE_GROUND_PUBLIC_INTEREST);
           },
           {absl::StatusCode::kFailedPrecondition, "consent was given, so nothing is overridden"}},
          {"refuses no type of risk",
           {},
           [](RaiseConcern& c) { c.details.clear_types_of_risk(); },
           {absl::StatusCode::kFailedPrecondition, "at least one type of risk"}},
          {"refuses no location of risk",
           {},
           [](RaiseConcern& c) { c.details.clear_location_of_risk(); },
           {absl::StatusCode::kFailedPrecondition, "location of risk"}},
          {"refuses no account of what happened",
           {},
           [](RaiseConcern& c) { c.details.set_what_happened("  \n"); },
           {absl::StatusCode::kFailedPrecondition, "record what happened"}},
          {"refuses an unnamed referrer",
           {},
           [](RaiseConcern& c) { c.details.clear_referrer(); },
           {absl::StatusCode::kFailedPrecondition, "who raised the concern"}},
          {"an anonymous referrer is allowed",
           {},
           [](RaiseConcern& c) {
             c.details.clear_referrer();
             c.details.mutable_referrer()->set_anonymous(true);
           },
           {}},
          {"refuses an empty desired outcome",
           {},
           [](RaiseConcern& c) { c.details.add_desired_outcomes(); },
           {absl::StatusCode::kFailedPrecondition, "desired outcome 2"}},
          {"refuses a repeated outcome id",
           {},
           [](RaiseConcern& c) {
             c.details.add_desired_outcomes()->set_text("x");
             c.details.mutable_desired_outcomes(0)->set_outcome_id("c-2-2");
           },
           {absl::StatusCode::kFailedPrecondition, "used twice"}},
          {"refuses raising the same concern twice",
           {Raised()},
           nullptr,
           {absl::StatusCode::kFailedPrecondition, "already been raised"}},
      });
}

// ---- TriageConcern ----

TEST(TriageConcernTest, Rules) {
  TriageConcern base;
  base.ctx = Triager();
  base.rating = common::v1::RAG_RATING_RED;
  base.rationale = "Ongoing physical abuse by a family member";
  config::v1::WorkingCalendar calendar;
  for (int weekday = 1; weekday <= 5; ++weekday) calendar.add_working_weekdays(weekday);
  base.calendar = WorkingCalendar(calendar, London());
  const absl::Time monday_noon =
      absl::FromCivil(absl::CivilSecond(2024, 6, 10, 11, 0, 0), absl::UTCTimeZone());
  RunCases<TriageConcern>(
      base, {
                {"rates red: due 4 working hours later (Friday 16:00 -> Monday 12:00)",
                 {Raised()},
                 nullptr,
                 {.events =
                      [&](const std::vector<Event>& events) {
                        ASSERT_THAT(events, SizeIs(1));
                        const events::v1::ConcernTriaged& e = events[0].concern_triaged();
                        EXPECT_EQ(e.rating(), common::v1::RAG_RATING_RED);
                        EXPECT_EQ(e.rationale(), "Ongoing physical abuse by a family member");
                        EXPECT_EQ(FromTimestamp(e.decision_due_at()), monday_noon);
                        EXPECT_EQ(e.previous_rating(), common::v1::RAG_RATING_UNSPECIFIED);
                      }}},
                {"red in clock hours when the partnership says so",
                 {Raised()},
                 [](TriageConcern& c) { c.timescales.set_red_in_clock_hours(true); },
                 {.events =
                      [](const std::vector<Event>& events) {
                        EXPECT_EQ(FromTimestamp(events[0].concern_triaged().decision_due_at()),
                                  kNow + absl::Hours(4));
                      }}},
                {"a safeguarding manager may triage",
                 {Raised()},
                 [](TriageConcern& c) { c.ctx = Manager(); },
                 {}},
                {"refuses a caller without a MASH role",
                 {Raised()},
                 [](TriageConcern& c) { c.ctx = Ctx({common::v1::ROLE_REFERRER}); },
                 {absl::StatusCode::kPermissionDenied,
                  "triaging a concern needs the MASH triage or Safeguarding manager role"}},
                {"refuses no rating",
                 {Raised()},
                 [](TriageConcern& c) { c.rating = common::v1::RAG_RATING_UNSPECIFIED; },
                 {absl::StatusCode::kFailedPrecondition, "choose a rating"}},
                {"refuses no rationale",
                 {Raised()},
                 [](TriageConcern& c) { c.rationale = ""; },
                 {absl::StatusCode::kFailedPrecondition, "rationale"}},
                {"re-rates with a reason, recording the previous rating",
                 {Raised(), Triaged()},
                 [](TriageConcern& c) { c.rerating_reason = "police report: weapon involved"; },
                 {.events =
                      [](const std::vector<Event>& events) {
                        const events::v1::ConcernTriaged& e = events[0].concern_triaged();
                        EXPECT_EQ(e.previous_rating(), common::v1::RAG_RATING_AMBER);
                        EXPECT_EQ(e.rerating_reason(), "police report: weapon involved");
                      }}},
                {"refuses re-rating without a reason",
                 {Raised(), Triaged()},
                 nullptr,
                 {absl::StatusCode::kFailedPrecondition, "re-rating needs a reason"}},
                {"refuses re-rating to the same rating",
                 {Raised(), Triaged()},
                 [](TriageConcern& c) {
                   c.rating = common::v1::RAG_RATING_AMBER;
                   c.rerating_reason = "still amber";
                 },
                 {absl::StatusCode::kFailedPrecondition, "re-rate only to a different rating"}},
                {"refuses triage after the threshold decision",
                 {Raised(), Triaged(), Decided()},
                 [](TriageConcern& c) { c.rerating_reason = "x"; },
                 {absl::StatusCode::kFailedPrecondition, "threshold decision has been made"}},
                {"refuses an unknown concern",
                 {},
                 nullptr,
                 {absl::StatusCode::kNotFound, "concern_id: no such concern"}},
            });
}

// ---- RequestResearch ----

TEST(RequestResearchTest, Rules) {
  RequestResearch base;
  base.ctx = Triager();
  base.agency_id = "police-northshire";
  base.agency_kind = common::v1::AGENCY_KIND_POLICE;
  base.questions = "Any callouts to the address in the last year?";
  RunCases<RequestResearch>(
      base, {
                {"due by default halfway to the decision deadline",
                 {Raised(), Triaged()},  // decision due now + 8 h
                 nullptr,
                 {.events =
                      [](const std::vector<Event>& events) {
                        ASSERT_THAT(events, SizeIs(1));
                        const events::v1::ResearchRequested& e = events[0].research_requested();
                        EXPECT_EQ(e.request_id(), "new-1");
                        EXPECT_EQ(e.agency_id(), "police-northshire");
                        EXPECT_EQ(e.questions(), "Any callouts to the address in the last year?");
                        EXPECT_EQ(FromTimestamp(e.due_at()), kNow + absl::Hours(4));
                      }}},
                {"due when asked, before the decision deadline",
                 {Raised(), Triaged()},
                 [](RequestResearch& c) { c.due_at = kNow + absl::Hours(8); },
                 {.events =
                      [](const std::vector<Event>& events) {
                        EXPECT_EQ(FromTimestamp(events[0].research_requested().due_at()),
                                  kNow + absl::Hours(8));
                      }}},
                {"refuses a due time after the decision deadline",
                 {Raised(), Triaged()},
                 [](RequestResearch& c) { c.due_at = kNow + absl::Hours(9); },
                 {absl::StatusCode::kFailedPrecondition, "due_at: after the decision deadline"}},
                {"refuses a due time not in the future",
                 {Raised(), Triaged()},
                 [](RequestResearch& c) { c.due_at = kNow; },
                 {absl::StatusCode::kFailedPrecondition, "due_at: must be in the future"}},
                {"refuses before triage",
                 {Raised()},
                 nullptr,
                 {absl::StatusCode::kFailedPrecondition, "triage the concern first"}},
                {"refuses once the decision deadline has passed",
                 {Raised(), Triaged(common::v1::RAG_RATING_RED, kNow - absl::Minutes(1))},
                 nullptr,
                 {absl::StatusCode::kFailedPrecondition, "re-triage with a reason"}},
                {"refuses after the threshold decision",
                 {Raised(), Triaged(), Decided()},
                 nullptr,
                 {absl::StatusCode::kFailedPrecondition, "within the enquiry"}},
                {"refuses an agency outside the partnership",
                 {Raised(), Triaged()},
                 [](RequestResearch& c) { c.agency_kind = common::v1::AGENCY_KIND_UNSPECIFIED; },
                 {absl::StatusCode::kNotFound, "agency_id: not a participating agency"}},
                {"refuses a request without questions",
                 {Raised(), Triaged()},
                 [](RequestResearch& c) { c.questions = ""; },
                 {absl::StatusCode::kFailedPrecondition, "questions"}},
                {"refuses a researcher asking",
                 {Raised(), Triaged()},
                 [](RequestResearch& c) { c.ctx = PoliceResearcher(); },
                 {absl::StatusCode::kPermissionDenied, "asking a partner for research needs"}},
                {"refuses an unknown concern",
                 {},
                 nullptr,
                 {absl::StatusCode::kNotFound, "no such concern"}},
            });
}

// ---- AnswerResearch ----

TEST(AnswerResearchTest, Rules) {
  AnswerResearch base;
  base.ctx = PoliceResearcher();
  base.request_id = "r-1";
  base.answer = "Two DA callouts in 2023; son has a caution for assault.";
  base.markings = {common::v1::HANDLING_MARKING_MASH_DECISION_MAKERS_ONLY,
                   common::v1::HANDLING_MARKING_NOT_TO_ADULT_OR_FAMILY};
  const std::vector<Event> asked = {Raised(), Triaged(),
                                    ResearchRequestedOf("r-1", "police-northshire")};
  RunCases<AnswerResearch>(
      base, {
                {"the agency asked answers, with its markings as given",
                 asked,
                 nullptr,
                 {.events =
                      [](const std::vector<Event>& events) {
                        ASSERT_THAT(events, SizeIs(1));
                        const events::v1::ResearchAnswered& e = events[0].research_answered();
                        EXPECT_EQ(e.request_id(), "r-1");
                        EXPECT_EQ(e.agency_id(), "police-northshire");
                        EXPECT_THAT(
                            e.markings(),
                            ElementsAre(common::v1::HANDLING_MARKING_MASH_DECISION_MAKERS_ONLY,
                                        common::v1::HANDLING_MARKING_NOT_TO_ADULT_OR_FAMILY));
                        EXPECT_FALSE(e.nothing_known());
                      }}},
                {"nothing known is an answer",
                 asked,
                 [](AnswerResearch& c) {
                   c.answer = "";
                   c.nothing_known = true;
                 },
                 {.events =
                      [](const std::vector<Event>& events) {
                        EXPECT_TRUE(events[0].research_answered().nothing_known());
                      }}},
                {"refuses neither an answer nor nothing known",
                 asked,
                 [](AnswerResearch& c) { c.answer = " "; },
                 {absl::StatusCode::kFailedPrecondition, "nothing_known"}},
                {"refuses another agency answering",
                 asked,
                 [](AnswerResearch& c) {
                   c.ctx = Ctx({common::v1::ROLE_MASH_RESEARCHER}, "nhs-acute",
                               common::v1::AGENCY_KIND_ACUTE_HEALTH);
                 },
                 {absl::StatusCode::kFailedPrecondition, "addressed to police-northshire"}},
                {"refuses a caller without the researcher role",
                 asked,
                 [](AnswerResearch& c) {
                   c.ctx = Ctx({common::v1::ROLE_MASH_TRIAGE}, "police-northshire",
                               common::v1::AGENCY_KIND_POLICE);
                 },
                 {absl::StatusCode::kPermissionDenied, "MASH researcher"}},
                {"refuses an unknown request",
                 asked,
                 [](AnswerResearch& c) { c.request_id = "r-9"; },
                 {absl::StatusCode::kNotFound, "request_id: no such research request"}},
                {"refuses answering twice",
                 {Raised(), Triaged(), ResearchRequestedOf("r-1", "police-northshire"),
                  ResearchAnsweredOf("r-1")},
                 nullptr,
                 {absl::StatusCode::kFailedPrecondition, "already been answered"}},
            });
}

// ---- RecordThresholdDecision ----

absl::StatusOr<std::vector<Event>> DecideThresholdFlat(const ConcernState& state,
                                                       const RecordThresholdDecision& command) {
  absl::StatusOr<ThresholdDecisionEvents> out = DecideThreshold(state, command);
  if (!out.ok()) return out.status();
  std::vector<Event> events = out->concern_events;
  if (out->enquiry_opened.has_value()) events.push_back(*out->enquiry_opened);
  return events;
}

TEST(ThresholdDecisionTest, Rules) {
  RecordThresholdDecision base;
  base.ctx = Manager();
  base.enquiry_id = "e-1";
  base.has_care_and_support_needs = true;
  base.experiencing_or_at_risk = true;
  base.unable_to_protect_self = true;
  base.route = common::v1::THRESHOLD_ROUTE_S42_ENQUIRY;
  base.rationale = "All three s42(1) criteria met.";
  const std::vector<Event> triaged = {Raised(), Triaged()};
  RunCases<RecordThresholdDecision>(
      base,
      {
          {"an s42 enquiry opens the enquiry with what the concern carries",
           triaged,
           [](RecordThresholdDecision& c) {
             c.referrer_feedback_given = true;
             c.referrer_feedback = "Told Nurse Patel an enquiry is starting.";
           },
           {.events =
                [](const std::vector<Event>& events) {
                  ASSERT_THAT(events, SizeIs(2));
                  const events::v1::ThresholdDecisionMade& d = events[0].threshold_decision_made();
                  EXPECT_EQ(d.route(), common::v1::THRESHOLD_ROUTE_S42_ENQUIRY);
                  EXPECT_EQ(d.enquiry_id(), "e-1");
                  EXPECT_TRUE(d.referrer_feedback_given());
                  EXPECT_EQ(d.referrer_feedback(), "Told Nurse Patel an enquiry is starting.");
                  const events::v1::EnquiryOpened& o = events[1].enquiry_opened();
                  EXPECT_EQ(o.enquiry_id(), "e-1");
                  EXPECT_EQ(o.concern_id(), "c-1");
                  EXPECT_EQ(o.person_id(), "p-1");
                  EXPECT_EQ(o.type(), common::v1::ENQUIRY_TYPE_SECTION_42);
                  ASSERT_THAT(o.desired_outcomes(), SizeIs(1));
                  EXPECT_EQ(o.desired_outcomes(0).outcome_id(), "c-1-1");
                  EXPECT_TRUE(o.others_at_risk().children_at_risk());
                  EXPECT_TRUE(o.coercion().suspected());
                  EXPECT_THAT(o.override_grounds(),
                              ElementsAre(common::v1::OVERRIDE_GROUND_COERCION_OR_DURESS));
                  EXPECT_THAT(o.types_of_risk(),
                              ElementsAre(common::v1::TYPE_OF_RISK_PHYSICAL_ABUSE));
                  EXPECT_EQ(o.location_of_risk(), common::v1::LOCATION_OF_RISK_OWN_HOME);
                  EXPECT_EQ(o.local_authority_code(), "E06000001");
                  EXPECT_EQ(events[1].command_id(), events[0].command_id());
                }}},
          {"an other enquiry when not all criteria are met",
           triaged,
           [](RecordThresholdDecision& c) {
             c.route = common::v1::THRESHOLD_ROUTE_OTHER_ENQUIRY;
             c.unable_to_protect_self = false;
           },
           {.events =
                [](const std::vector<Event>& events) {
                  ASSERT_THAT(events, SizeIs(2));
                  EXPECT_EQ(events[1].enquiry_opened().type(), common::v1::ENQUIRY_TYPE_OTHER);
                }}},
          {"no further action opens no enquiry",
           triaged,
           [](RecordThresholdDecision& c) {
             c.route = common::v1::THRESHOLD_ROUTE_NO_FURTHER_ACTION;
             c.has_care_and_support_needs = false;
           },
           {.events =
                [](const std::vector<Event>& events) {
                  ASSERT_THAT(events, SizeIs(1));
                  EXPECT_EQ(events[0].threshold_decision_made().enquiry_id(), "");
                }}},
          {"refuses an s42 enquiry with a criterion not met, naming it",
           triaged,
           [](RecordThresholdDecision& c) { c.unable_to_protect_self = false; },
           {absl::StatusCode::kFailedPrecondition,
            "a s42 enquiry needs all three s42(1) criteria: not met: (c) unable to protect "
            "themselves"}},
          {"refuses an other enquiry when all three are met",
           triaged,
           [](RecordThresholdDecision& c) { c.route = common::v1::THRESHOLD_ROUTE_OTHER_ENQUIRY; },
           {absl::StatusCode::kFailedPrecondition, "choose the s42 enquiry route"}},
          {"refer elsewhere names where",
           triaged,
           [](RecordThresholdDecision& c) {
             c.route = common::v1::THRESHOLD_ROUTE_REFER_ELSEWHERE;
             c.refer_elsewhere_to = "MARAC";
           },
           {.events =
                [](const std::vector<Event>& events) {
                  ASSERT_THAT(events, SizeIs(1));
                  EXPECT_EQ(events[0].threshold_decision_made().refer_elsewhere_to(), "MARAC");
                }}},
          {"refuses refer elsewhere without saying where",
           triaged,
           [](RecordThresholdDecision& c) {
             c.route = common::v1::THRESHOLD_ROUTE_REFER_ELSEWHERE;
           },
           {absl::StatusCode::kFailedPrecondition, "say where the concern is referred"}},
          {"refuses a decision maker without the safeguarding manager role",
           triaged,
           [](RecordThresholdDecision& c) { c.ctx = Triager(); },
           {absl::StatusCode::kPermissionDenied, "needs the Safeguarding manager role"}},
          {"refuses a safeguarding manager outside adult social care",
           triaged,
           [](RecordThresholdDecision& c) {
             c.ctx = Ctx({common::v1::ROLE_SAFEGUARDING_MANAGER}, "police-northshire",
                         common::v1::AGENCY_KIND_POLICE);
           },
           {absl::StatusCode::kPermissionDenied, "local authority"}},
          {"refuses a second decision",
           {Raised(), Triaged(), Decided()},
           nullptr,
           {absl::StatusCode::kFailedPrecondition,
            "already decided; raise a new concern if circumstances change"}},
          {"refuses a decision before triage",
           {Raised()},
           nullptr,
           {absl::StatusCode::kFailedPrecondition, "triage the concern before"}},
          {"refuses no rationale",
           triaged,
           [](RecordThresholdDecision& c) { c.rationale = ""; },
           {absl::StatusCode::kFailedPrecondition, "rationale"}},
          {"refuses no route",
           triaged,
           [](RecordThresholdDecision& c) { c.route = common::v1::THRESHOLD_ROUTE_UNSPECIFIED; },
           {absl::StatusCode::kFailedPrecondition, "choose a route"}},
          {"refuses feedback given but not recorded",
           triaged,
           [](RecordThresholdDecision& c) { c.referrer_feedback_given = true; },
           {absl::StatusCode::kFailedPrecondition, "feedback given to the referrer"}},
          {"refuses an unknown concern",
           {},
           nullptr,
           {absl::StatusCode::kNotFound, "no such concern"}},
      },
      DecideThresholdFlat);
}

TEST(ThresholdDecisionTest, EnquiryOpenedForRebuildsTheEnquiryFromTheStream) {
  RecordThresholdDecision command;
  command.ctx = Manager();
  command.enquiry_id = "e-1";
  command.has_care_and_support_needs = command.experiencing_or_at_risk =
      command.unable_to_protect_self = true;
  command.route = common::v1::THRESHOLD_ROUTE_S42_ENQUIRY;
  command.rationale = "met";
  std::vector<Event> stream = {Raised(), Triaged()};
  absl::StatusOr<ThresholdDecisionEvents> decided = DecideThreshold(Fold(stream), command);
  ASSERT_THAT(decided, IsOk());
  ASSERT_TRUE(decided->enquiry_opened.has_value());
  stream.push_back(decided->concern_events[0]);
  std::optional<Event> rebuilt = EnquiryOpenedFor(Fold(stream), command.ctx);
  ASSERT_TRUE(rebuilt.has_value());
  EXPECT_EQ(rebuilt->SerializeAsString(), decided->enquiry_opened->SerializeAsString());
  EXPECT_FALSE(EnquiryOpenedFor(Fold({Raised(), Triaged(), Decided()}), command.ctx).has_value());
}

// ---- RecordReferrerFeedback ----

TEST(ReferrerFeedbackTest, Rules) {
  RecordReferrerFeedback base{Triager(), "Phoned the referrer with the outcome."};
  RunCases<RecordReferrerFeedback>(
      base, {
                {"records feedback after the decision",
                 {Raised(), Triaged(), Decided()},
                 nullptr,
                 {.events =
                      [](const std::vector<Event>& events) {
                        ASSERT_THAT(events, SizeIs(1));
                        EXPECT_EQ(events[0].referrer_feedback_recorded().feedback(),
                                  "Phoned the referrer with the outcome.");
                        EXPECT_EQ(FromTimestamp(events[0].referrer_feedback_recorded().given_at()),
                                  kNow);
                      }}},
                {"refuses feedback before the decision",
                 {Raised(), Triaged()},
                 nullptr,
                 {absl::StatusCode::kFailedPrecondition, "record the threshold decision first"}},
                {"refuses empty feedback",
                 {Raised(), Triaged(), Decided()},
                 [](RecordReferrerFeedback& c) { c.feedback = ""; },
                 {absl::StatusCode::kFailedPrecondition, "record the feedback"}},
            });
}

// ---- RestrictCase / LiftCaseRestriction ----

Event RestrictedBy(const std::string& agency) {
  Event event = NewEvent(Ctx({common::v1::ROLE_SAFEGUARDING_MANAGER}, agency));
  event.mutable_case_restricted()->set_reason_kind(common::v1::RESTRICTION_REASON_MEMBER_OF_STAFF);
  event.mutable_case_restricted()->set_reason("The adult works in our MASH.");
  event.mutable_case_restricted()->set_owner_agency_id(agency);
  return event;
}

TEST(RestrictCaseTest, Rules) {
  RestrictCase base{Manager(), common::v1::RELATIONSHIP_LEAD,
                    common::v1::RESTRICTION_REASON_POLICE_INVESTIGATION,
                    "Her son is a serving officer under investigation."};
  RunCases<RestrictCase>(
      base,
      {
          {"the lead's safeguarding manager restricts and owns the restriction",
           {Raised(), Triaged()},
           nullptr,
           {.events =
                [](const std::vector<Event>& events) {
                  ASSERT_THAT(events, SizeIs(1));
                  const events::v1::CaseRestricted& r = events[0].case_restricted();
                  EXPECT_EQ(r.owner_agency_id(), "asc-northshire");
                  EXPECT_EQ(r.reason_kind(), common::v1::RESTRICTION_REASON_POLICE_INVESTIGATION);
                  EXPECT_EQ(r.reason(), "Her son is a serving officer under investigation.");
                }}},
          {"an involved partner may restrict",
           {Raised()},
           [](RestrictCase& c) {
             c.ctx = Ctx({common::v1::ROLE_SAFEGUARDING_MANAGER}, "police-northshire",
                         common::v1::AGENCY_KIND_POLICE);
             c.relationship = common::v1::RELATIONSHIP_INVOLVED_PARTNER;
           },
           {.events =
                [](const std::vector<Event>& events) {
                  EXPECT_EQ(events[0].case_restricted().owner_agency_id(), "police-northshire");
                }}},
          {"a research partner may not",
           {Raised(), Triaged()},
           [](RestrictCase& c) { c.relationship = common::v1::RELATIONSHIP_RESEARCH_PARTNER; },
           {absl::StatusCode::kPermissionDenied, "not connected to this case"}},
          {"an agency with no part may not",
           {Raised(), Triaged()},
           [](RestrictCase& c) { c.relationship = common::v1::RELATIONSHIP_NONE; },
           {absl::StatusCode::kPermissionDenied, "not connected to this case"}},
          {"needs a safeguarding manager",
           {Raised(), Triaged()},
           [](RestrictCase& c) { c.ctx = Triager(); },
           {absl::StatusCode::kPermissionDenied, "Safeguarding manager"}},
          {"needs the concern",
           {},
           nullptr,
           {absl::StatusCode::kNotFound, "concern_id"}},
          {"needs the kind of reason",
           {Raised()},
           [](RestrictCase& c) { c.reason_kind = common::v1::RESTRICTION_REASON_UNSPECIFIED; },
           {absl::StatusCode::kInvalidArgument, "reason_kind: required"}},
          {"needs the reason in words",
           {Raised()},
           [](RestrictCase& c) { c.reason = "   "; },
           {absl::StatusCode::kInvalidArgument, "reason: required"}},
          {"one owner at a time",
           {Raised(), RestrictedBy("police-northshire")},
           nullptr,
           {absl::StatusCode::kFailedPrecondition, "already restricted by police-northshire"}},
          {"restricting again is refused",
           {Raised(), RestrictedBy("asc-northshire")},
           nullptr,
           {absl::StatusCode::kFailedPrecondition, "already restricted by your agency"}},
      });
}

TEST(LiftCaseRestrictionTest, Rules) {
  LiftCaseRestriction base{Manager(), "The investigation has ended."};
  RunCases<LiftCaseRestriction>(
      base,
      {
          {"the owner lifts it",
           {Raised(), RestrictedBy("asc-northshire")},
           nullptr,
           {.events =
                [](const std::vector<Event>& events) {
                  ASSERT_THAT(events, SizeIs(1));
                  EXPECT_EQ(events[0].case_restriction_lifted().owner_agency_id(),
                            "asc-northshire");
                  EXPECT_EQ(events[0].case_restriction_lifted().reason(),
                            "The investigation has ended.");
                }}},
          {"another agency may not",
           {Raised(), RestrictedBy("police-northshire")},
           nullptr,
           {absl::StatusCode::kPermissionDenied, "only that agency may lift it"}},
          {"nothing to lift",
           {Raised()},
           nullptr,
           {absl::StatusCode::kFailedPrecondition, "not restricted"}},
          {"needs a reason",
           {Raised(), RestrictedBy("asc-northshire")},
           [](LiftCaseRestriction& c) { c.reason = ""; },
           {absl::StatusCode::kInvalidArgument, "reason: required"}},
          {"needs a safeguarding manager",
           {Raised(), RestrictedBy("asc-northshire")},
           [](LiftCaseRestriction& c) { c.ctx = Triager(); },
           {absl::StatusCode::kPermissionDenied, "Safeguarding manager"}},
      });
}

TEST(ConcernEvolveTest, RestrictionIsHeldUntilLiftedAndPartiesAreKept) {
  Event lifted = NewEvent(Manager());
  lifted.mutable_case_restriction_lifted()->set_reason("ended");
  lifted.mutable_case_restriction_lifted()->set_owner_agency_id("asc-northshire");
  ConcernState state = Fold({Raised(), Triaged(), RestrictedBy("asc-northshire")});
  EXPECT_TRUE(state.restricted);
  EXPECT_EQ(state.restricted_by_agency_id, "asc-northshire");
  EXPECT_EQ(state.raised_by_agency_id, "asc-northshire");  // Raised() is stamped by the ASC ctx
  EXPECT_EQ(state.mash_agency_id, "asc-northshire");
  state = Evolve(state, lifted);
  EXPECT_FALSE(state.restricted);
  EXPECT_EQ(state.restricted_by_agency_id, "");
}

// ---- Evolve ----

TEST(ConcernEvolveTest, FoldsTheConcernsLife) {
  Event decision = Decided(common::v1::THRESHOLD_ROUTE_S42_ENQUIRY);
  decision.mutable_threshold_decision_made()->set_enquiry_id("e-1");
  decision.mutable_threshold_decision_made()->set_referrer_feedback_given(true);
  const ConcernState state =
      Fold({Raised(), Triaged(), ResearchRequestedOf("r-1", "police-northshire"),
            ResearchRequestedOf("r-2", "nhs-acute"), ResearchAnsweredOf("r-1"), decision});
  EXPECT_TRUE(state.exists);
  EXPECT_EQ(state.concern_id, "c-1");
  EXPECT_EQ(state.person_id, "p-1");
  EXPECT_EQ(state.rating, common::v1::RAG_RATING_AMBER);
  ASSERT_TRUE(state.decision_due_at.has_value());
  EXPECT_EQ(*state.decision_due_at, kNow + absl::Hours(8));
  ASSERT_THAT(state.research, SizeIs(2));
  EXPECT_TRUE(state.research.at("r-1").answered);
  EXPECT_FALSE(state.research.at("r-2").answered);
  EXPECT_EQ(state.research.at("r-2").agency_id, "nhs-acute");
  EXPECT_TRUE(state.decided);
  EXPECT_EQ(state.route, common::v1::THRESHOLD_ROUTE_S42_ENQUIRY);
  EXPECT_EQ(state.enquiry_id, "e-1");
  EXPECT_EQ(state.feedback_count, 1);
}

}  // namespace
}  // namespace hub::domain::intake
