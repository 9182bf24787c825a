// A small, fixed safeguarding case built by the domain itself, for fuzz_request_translate and
// the seed generator: a registered person (p1), a concern about them (c1) raised by the police,
// triaged amber and researched with the GP, and the s42 enquiry (e1) it led to, with a lead,
// an agreed action, a capacity assessment that found capacity lacking and a referral to the
// advocacy provider. Translated commands are decided against these states, so that a fuzzed
// request reaches the domain's rules rather than "no such concern". Also the callers, the
// fixed clock and the example partnership (deploy/partnership.example.textproto).
// Header-only; fuzz targets and the seed generator only.
#pragma once

#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "domain/common/context.h"
#include "domain/common/envelope.h"
#include "domain/enquiry/advocacy.h"
#include "domain/enquiry/enquiry.h"
#include "domain/intake/concern.h"
#include "domain/intake/working_calendar.h"
#include "domain/people/person.h"
#include "app/command_request.h"
#include "config/partnership.h"
#include "tests/fuzz/fuzz_support.h"

namespace hub::fuzz {

namespace cv1 = ::hub::common::v1;

// Monday 5 January 2026, 10:00 UTC: inside working hours, after every date in the case.
inline const absl::Time kScenarioNow = absl::FromUnixSeconds(1767607200);

// The callers a fuzzed request may come from (the input's second byte picks one).
inline std::vector<domain::Caller> ScenarioCallers() {
  auto caller = [](const char* agency, cv1::AgencyKind kind, const char* user,
                   std::vector<cv1::Role> roles) {
    domain::Caller c;
    c.agency_id = agency;
    c.agency_kind = kind;
    c.user_id = user;
    c.roles = std::move(roles);
    return c;
  };
  return {
      caller("asc-northshire", cv1::AGENCY_KIND_ADULT_SOCIAL_CARE, "manager-1",
             {cv1::ROLE_SAFEGUARDING_MANAGER, cv1::ROLE_ENQUIRY_OFFICER, cv1::ROLE_MASH_TRIAGE}),
      caller("police-northshire", cv1::AGENCY_KIND_POLICE, "pc-1", {cv1::ROLE_REFERRER}),
      caller("gp-riverside", cv1::AGENCY_KIND_GP, "gp-1", {cv1::ROLE_MASH_RESEARCHER}),
      caller("advocacy-northshire", cv1::AGENCY_KIND_ADVOCACY_PROVIDER, "advocate-1",
             {cv1::ROLE_ADVOCATE}),
  };
}

inline config::Partnership LoadScenarioPartnership() {
  const std::string path = std::string(HUB_SOURCE_DIR) + "/deploy/partnership.example.textproto";
  absl::StatusOr<config::Partnership> p = config::Partnership::Load(path);
  HUB_FUZZ_CHECK(p.ok(), "cannot load " + path + ": " + p.status().ToString());
  return *std::move(p);
}

inline domain::CommandContext ScenarioContext(const domain::Caller& caller,
                                              const std::string& command_id) {
  domain::CommandContext ctx;
  ctx.caller = caller;
  ctx.now = kScenarioNow - absl::Hours(1);  // the case was built this morning
  ctx.command_key = absl::StrCat(caller.agency_id, "/", command_id);
  ctx.new_id = app::DeriveId(ctx.command_key, "new");
  return ctx;
}

inline cv1::AdultDetails ScenarioAdult() {
  cv1::AdultDetails adult;
  cv1::Identifier* nhs = adult.add_identifiers();
  nhs->set_kind(cv1::IDENTIFIER_KIND_NHS_NUMBER);
  nhs->set_value("9434765919");
  adult.mutable_name()->set_given("Mary");
  adult.mutable_name()->set_family("Jones");
  adult.mutable_date_of_birth()->set_year(1941);
  adult.mutable_date_of_birth()->set_month(2);
  adult.mutable_date_of_birth()->set_day(28);
  adult.mutable_address()->add_lines("1 River Street");
  adult.mutable_address()->set_postcode("NS1 1AA");
  return adult;
}

inline cv1::ConcernDetails ScenarioConcernDetails() {
  cv1::ConcernDetails details;
  details.set_what_happened("Bruising on both arms; says her nephew takes her pension.");
  details.add_types_of_risk(cv1::TYPE_OF_RISK_PHYSICAL_ABUSE);
  details.add_types_of_risk(cv1::TYPE_OF_RISK_FINANCIAL_OR_MATERIAL_ABUSE);
  details.set_location_of_risk(cv1::LOCATION_OF_RISK_OWN_HOME);
  details.mutable_referrer()->set_name("PC Smith");
  details.mutable_consent()->set_status(cv1::CONSENT_STATUS_GIVEN);
  details.add_desired_outcomes()->set_text("to feel safe at home");
  details.add_desired_outcomes()->set_text("to keep control of her money");
  return details;
}

// The states commands are decided against, and the ids a request must name to reach them.
struct Scenario {
  config::Partnership partnership;
  std::vector<domain::Caller> callers;
  domain::intake::WorkingCalendar calendar;
  domain::people::PersonState person;
  domain::intake::ConcernState concern;
  domain::enquiry::EnquiryState enquiry;
  // The same enquiry further on: plan recorded, advocate allocated and heard, concluded (only
  // closure steps remain).
  domain::enquiry::EnquiryState concluded;
  std::string research_request_id;
  std::string action_id;
  std::string capacity_assessment_id;
  std::string referral_id;
  std::vector<std::string> outcome_ids;
  // Every event above as the services would have appended it: (stream, event), in log order.
  std::vector<std::pair<std::string, events::v1::Event>> log;
};

template <typename T>
T Must(absl::StatusOr<T> value, const char* what) {
  HUB_FUZZ_CHECK(value.ok(), absl::StrCat("scenario step ", what, ": ", value.status().ToString()));
  return *std::move(value);
}

inline Scenario BuildScenario() {
  namespace intake = ::hub::domain::intake;
  namespace enq = ::hub::domain::enquiry;
  Scenario s{LoadScenarioPartnership(), ScenarioCallers()};
  s.calendar = intake::WorkingCalendar(s.partnership.config().calendar(),
                                       s.partnership.time_zone());
  const domain::Caller& asc = s.callers[0];
  const domain::Caller& police = s.callers[1];

  auto logged = [&s](const std::string& stream, const std::vector<events::v1::Event>& events) {
    for (const events::v1::Event& e : events) s.log.emplace_back(stream, e);
    return events;
  };
  domain::people::RegisterPerson reg{ScenarioContext(asc, "reg-1"), "p1", ScenarioAdult()};
  std::vector<events::v1::Event> person_events =
      logged("person-p1", Must(domain::people::Decide(s.person, reg), "register"));
  s.person = domain::people::Fold(person_events);

  intake::RaiseConcern raise;
  raise.ctx = ScenarioContext(police, "raise-1");
  raise.concern_id = "c1";
  raise.person_id = "p1";
  raise.adult = ScenarioAdult();
  raise.details = ScenarioConcernDetails();
  raise.host_local_authority_code = s.partnership.config().host_local_authority_code();
  std::vector<events::v1::Event> concern_events =
      logged("concern-c1", Must(intake::Decide(s.concern, raise), "raise"));
  s.concern = intake::Fold(concern_events);
  for (const events::v1::Event& e :
       logged("person-p1", Must(domain::people::Decide(
                                    s.person, domain::people::LinkConcern{raise.ctx, "c1"}),
                                "link concern"))) {
    person_events.push_back(e);
  }
  s.person = domain::people::Fold(person_events);
  for (const cv1::DesiredOutcome& o : s.concern.details.desired_outcomes()) {
    s.outcome_ids.push_back(o.outcome_id());
  }

  intake::TriageConcern triage;
  triage.ctx = ScenarioContext(asc, "triage-1");
  triage.rating = cv1::RAG_RATING_AMBER;
  triage.rationale = "Injuries and financial abuse alleged; no immediate danger.";
  triage.timescales = s.partnership.config().timescales();
  triage.calendar = s.calendar;
  for (events::v1::Event& e : logged("concern-c1", Must(intake::Decide(s.concern, triage), "triage"))) {
    concern_events.push_back(std::move(e));
  }
  s.concern = intake::Fold(concern_events);

  intake::RequestResearch research;
  research.ctx = ScenarioContext(asc, "research-1");
  research.agency_id = "gp-riverside";
  research.agency_kind = cv1::AGENCY_KIND_GP;
  research.questions = "Known to the practice? Recent injuries?";
  for (events::v1::Event& e :
       logged("concern-c1", Must(intake::Decide(s.concern, research), "research"))) {
    concern_events.push_back(std::move(e));
  }
  s.concern = intake::Fold(concern_events);
  s.research_request_id = research.ctx.new_id;

  // The enquiry is opened by a threshold decision on a copy: the concern state stays
  // undecided so that a fuzzed decision can still be made.
  intake::RecordThresholdDecision decision;
  decision.ctx = ScenarioContext(asc, "decide-1");
  decision.enquiry_id = "e1";
  decision.has_care_and_support_needs = true;
  decision.experiencing_or_at_risk = true;
  decision.unable_to_protect_self = true;
  decision.route = cv1::THRESHOLD_ROUTE_S42_ENQUIRY;
  decision.rationale = "All three s42(1) criteria are met.";
  intake::ThresholdDecisionEvents decided =
      Must(intake::DecideThreshold(s.concern, decision), "threshold decision");
  HUB_FUZZ_CHECK(decided.enquiry_opened.has_value(), "the s42 decision opened no enquiry");
  // The log (not the state) gets the decision, so that the projections see a whole case.
  logged("concern-c1", decided.concern_events);
  std::vector<events::v1::Event> enquiry_events = logged("enquiry-e1", {*decided.enquiry_opened});
  s.enquiry = enq::Fold(enquiry_events);

  auto apply = [&](const char* what, absl::StatusOr<enq::Events> events) {
    for (events::v1::Event& e : logged("enquiry-e1", Must(std::move(events), what))) {
      enquiry_events.push_back(std::move(e));
    }
    s.enquiry = enq::Fold(enquiry_events);
  };
  enq::AssignLead lead;
  lead.ctx = ScenarioContext(asc, "lead-1");
  lead.lead_agency_id = "asc-northshire";
  lead.lead_agency_kind = cv1::AGENCY_KIND_ADULT_SOCIAL_CARE;
  lead.officer_name = "Sam Patel";
  lead.officer_user_id = "manager-1";
  lead.responsible_agency_id = "asc-northshire";
  lead.responsible_agency_kind = cv1::AGENCY_KIND_ADULT_SOCIAL_CARE;
  apply("assign lead", enq::Decide(s.enquiry, lead));

  enq::RecordStrategyDiscussion strategy;
  strategy.ctx = ScenarioContext(asc, "strategy-1");
  strategy.held_at = kScenarioNow - absl::Minutes(50);
  strategy.participants = {"Sam Patel (ASC)", "PC Smith (police)"};
  strategy.decisions = {"Police to check the bank statements."};
  cv1::AgreedAction& action = strategy.actions.emplace_back();
  action.set_description("Check the bank statements");
  action.set_owner_agency_id("police-northshire");
  action.set_owner_name("PC Smith");
  *action.mutable_due_at() = domain::ToTimestamp(kScenarioNow + absl::Hours(24 * 7));
  apply("strategy discussion", enq::Decide(s.enquiry, strategy));
  s.action_id = domain::SubId(strategy.ctx.new_id, 1);

  enq::RecordCapacityAssessment capacity;
  capacity.ctx = ScenarioContext(asc, "capacity-1");
  capacity.decision = "how to manage her money";
  capacity.assessed_at = kScenarioNow - absl::Minutes(40);
  capacity.assessor = "Sam Patel";
  capacity.finding = cv1::CAPACITY_FINDING_LACKS_CAPACITY;
  capacity.evidence = "Could not retain the information about her accounts.";
  apply("capacity assessment", enq::Decide(s.enquiry, capacity));
  s.capacity_assessment_id = capacity.ctx.new_id;

  enq::ReferForAdvocacy refer;
  refer.ctx = ScenarioContext(asc, "refer-1");
  refer.provider_agency_id = "advocacy-northshire";
  refer.provider_agency_kind = cv1::AGENCY_KIND_ADVOCACY_PROVIDER;
  refer.reason = "Substantial difficulty and no appropriate individual.";
  apply("advocacy referral", enq::Decide(s.enquiry, refer));
  s.referral_id = refer.ctx.new_id;

  // Further on, kept apart from the log above (whose state is s.enquiry).
  const domain::Caller& advocate = s.callers[3];
  const std::vector<std::pair<std::string, events::v1::Event>> log_so_far = s.log;
  const enq::EnquiryState open = s.enquiry;
  enq::RecordProtectionPlan plan;
  plan.ctx = ScenarioContext(asc, "plan-1");
  cv1::PlanItem& item = plan.items.emplace_back();
  item.set_risk("Withdrawals by the nephew");
  item.set_action("Bank to flag withdrawals");
  item.set_by_whom("Sam Patel");
  item.set_by_agency_id("asc-northshire");
  *item.mutable_by_when() = domain::ToTimestamp(kScenarioNow + absl::Hours(24 * 14));
  plan.next_review_at = kScenarioNow + absl::Hours(24 * 28);
  plan.agreed_with_adult = true;
  apply("protection plan", enq::Decide(s.enquiry, plan));
  apply("accept referral", enq::Decide(s.enquiry, enq::AcceptAdvocacyReferral{
                                                      ScenarioContext(advocate, "accept-1"),
                                                      s.referral_id}));
  enq::AllocateAdvocate allocate;
  allocate.ctx = ScenarioContext(advocate, "allocate-1");
  allocate.referral_id = s.referral_id;
  allocate.advocate_name = "Jo Brown";
  allocate.advocate_user_id = "advocate-1";
  apply("allocate advocate", enq::Decide(s.enquiry, allocate));
  apply("advocate views", enq::Decide(s.enquiry, enq::RecordAdvocateViews{
                                                     ScenarioContext(advocate, "views-1"),
                                                     s.referral_id,
                                                     "Mary wants to stay at home."}));
  enq::ConcludeEnquiry conclude;
  conclude.ctx = ScenarioContext(asc, "conclude-1");
  cv1::ConcludedRisk& risk = conclude.risks.emplace_back();
  risk.set_type(cv1::TYPE_OF_RISK_FINANCIAL_OR_MATERIAL_ABUSE);
  risk.set_location(cv1::LOCATION_OF_RISK_OWN_HOME);
  risk.set_source(cv1::SOURCE_OF_RISK_OTHER_KNOWN_TO_INDIVIDUAL);
  conclude.action_and_result = cv1::ACTION_AND_RESULT_RISK_IDENTIFIED_ACTION_TAKEN;
  conclude.risk_outcome = cv1::RISK_OUTCOME_REDUCED;
  conclude.capacity = cv1::CAPACITY_ANSWER_LACKED_CAPACITY;
  conclude.supported_by_advocate_family_or_friend = true;
  conclude.outcomes_asked = cv1::OUTCOMES_ASKED_YES_EXPRESSED;
  for (const std::string& id : s.outcome_ids) {
    cv1::OutcomeResult& result = conclude.outcome_results.emplace_back();
    result.set_outcome_id(id);
    result.set_achievement(cv1::OUTCOME_ACHIEVEMENT_PARTIALLY);
  }
  conclude.summary = "Withdrawals stopped; Mary feels safer.";
  apply("conclude", enq::Decide(s.enquiry, conclude));
  s.concluded = s.enquiry;
  s.enquiry = open;
  s.log = log_so_far;
  return s;
}

}  // namespace hub::fuzz
