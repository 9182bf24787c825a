// Test support for the case_file and person_index tests (header-only, tests only): a real
// RocksDB event log and read-model store in a temporary directory, and events written the way
// the services write them (domain::NewEvent envelopes on the aggregates' streams, the people
// service's identifier claims before a registration, the intake service's PersonConcernLinked
// before ConcernRaised). Thread-compatible.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "domain/common/context.h"
#include "domain/common/envelope.h"
#include "domain/common/streams.h"
#include "eventstore/kv_store.h"
#include "eventstore/rocksdb/rocksdb_event_log.h"
#include "gtest/gtest.h"
#include "hub/events/v1/events.pb.h"
#include "projections/engine/projection.h"
#include "tests/testing/temp_dir.h"

namespace hub::projections::case_log_testing {

namespace cv1 = ::hub::common::v1;
namespace ev1 = ::hub::events::v1;

struct Agency {
  std::string id;
  cv1::AgencyKind kind;
};

inline const Agency kPolice{"police-north", cv1::AGENCY_KIND_POLICE};
inline const Agency kAsc{"asc-north", cv1::AGENCY_KIND_ADULT_SOCIAL_CARE};
inline const Agency kGp{"gp-elm-street", cv1::AGENCY_KIND_GP};
inline const Agency kHousing{"housing-north", cv1::AGENCY_KIND_HOUSING};
inline const Agency kAcute{"trust-acute", cv1::AGENCY_KIND_ACUTE_HEALTH};
inline const Agency kAdvocacy{"voice-advocacy", cv1::AGENCY_KIND_ADVOCACY_PROVIDER};
inline const Agency kCareHome{"oaks-care-home", cv1::AGENCY_KIND_CARE_PROVIDER};

// A log and a store, each a real RocksDB in a fresh temporary directory.
class CaseLog {
 public:
  CaseLog() {
    eventstore::RocksDbOptions options;
    options.sync = false;
    auto log = eventstore::OpenRocksDbEventLog(dir_.Sub("log"), options);
    EXPECT_TRUE(log.ok()) << log.status();
    if (log.ok()) log_ = std::move(*log);
    store_ = OpenStore("kv");
  }

  eventstore::EventLog& log() { return *log_; }
  eventstore::KvStore& store() { return *store_; }

  // Another read-model store beside the first (to fold the same log differently).
  std::unique_ptr<eventstore::KvStore> OpenStore(const std::string& name) {
    auto store = eventstore::OpenRocksDbKvStore(dir_.Sub(name), {});
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  // An envelope from `agency` one minute after the previous one, as domain::NewEvent stamps it.
  ev1::Event By(const Agency& agency, cv1::Role role = cv1::ROLE_ENQUIRY_OFFICER) {
    now_ += absl::Minutes(1);
    domain::CommandContext ctx;
    ctx.caller = domain::Caller{agency.id, agency.kind, absl::StrCat("u-", agency.id), {role}};
    ctx.now = now_;
    ctx.command_key = absl::StrCat(agency.id, "/cmd-", ++commands_);
    return domain::NewEvent(ctx);
  }
  absl::Time now() const { return now_; }

  // Appends one event to `stream`; its global position.
  int64_t Append(const std::string& stream, const ev1::Event& event) {
    eventstore::AppendRequest request;
    request.stream = stream;
    request.events.push_back(
        {"", domain::EventTypeName(event), 1, event.SerializeAsString(), {}});
    auto result = log_->Append(std::move(request));
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? result->last_position.value() : -1;
  }

  // Folds the log into `store` (default: this log's store) from the projection's checkpoint.
  [[nodiscard]] absl::Status Fold(Projection& projection, int batch_size = 1000,
                                  eventstore::KvStore* store = nullptr) {
    return CatchUp(*log_, store != nullptr ? *store : *store_, projection,
                   /*from_scratch=*/false, nullptr, batch_size);
  }

 private:
  testing::TempDir dir_;
  std::unique_ptr<eventstore::EventLog> log_;
  std::unique_ptr<eventstore::KvStore> store_;
  absl::Time now_ = absl::FromCivil(absl::CivilMinute(2024, 3, 4, 9, 0), absl::UTCTimeZone());
  int commands_ = 0;
};

inline cv1::Identifier Id(cv1::IdentifierKind kind, const std::string& value,
                          const std::string& issuer = "") {
  cv1::Identifier id;
  id.set_kind(kind);
  id.set_value(value);
  id.set_issuer(issuer);
  return id;
}

inline cv1::AdultDetails Adult(const std::string& given, const std::string& family, int year,
                               int month, int day, const std::string& postcode,
                               std::vector<cv1::Identifier> ids = {}) {
  cv1::AdultDetails d;
  d.mutable_name()->set_given(given);
  d.mutable_name()->set_family(family);
  d.mutable_date_of_birth()->set_year(year);
  d.mutable_date_of_birth()->set_month(month);
  d.mutable_date_of_birth()->set_day(day);
  d.mutable_address()->add_lines("1 High Street");
  d.mutable_address()->set_postcode(postcode);
  for (cv1::Identifier& id : ids) *d.add_identifiers() = std::move(id);
  return d;
}

// As the people service registers: a claim per identifier, then the registration.
inline void Register(CaseLog& log, const Agency& by, const std::string& person_id,
                     const cv1::AdultDetails& details) {
  for (const cv1::Identifier& id : details.identifiers()) {
    ev1::Event claim = log.By(by);
    *claim.mutable_identifier_claimed()->mutable_identifier() = id;
    claim.mutable_identifier_claimed()->set_person_id(person_id);
    log.Append(domain::IdentifierStream(id), claim);
  }
  ev1::Event event = log.By(by);
  event.mutable_person_registered()->set_person_id(person_id);
  *event.mutable_person_registered()->mutable_details() = details;
  log.Append(domain::PersonStream(person_id), event);
}

struct Raise {
  std::string concern_id;
  std::string person_id;
  int episode = 1;
  std::vector<std::string> previous;
  cv1::ConsentStatus consent = cv1::CONSENT_STATUS_GIVEN;
  std::vector<cv1::OverrideGround> override_grounds;
  std::vector<cv1::TypeOfRisk> types = {cv1::TYPE_OF_RISK_FINANCIAL_OR_MATERIAL_ABUSE};
};

// As the intake service raises: the person's PersonConcernLinked, then ConcernRaised.
inline int64_t RaiseConcern(CaseLog& log, const Agency& by, const Raise& r) {
  ev1::Event link = log.By(by, cv1::ROLE_REFERRER);
  link.mutable_person_concern_linked()->set_person_id(r.person_id);
  link.mutable_person_concern_linked()->set_concern_id(r.concern_id);
  link.mutable_person_concern_linked()->set_episode(r.episode);
  log.Append(domain::PersonStream(r.person_id), link);

  ev1::Event event = log.By(by, cv1::ROLE_REFERRER);
  ev1::ConcernRaised* raised = event.mutable_concern_raised();
  raised->set_concern_id(r.concern_id);
  raised->set_person_id(r.person_id);
  raised->set_episode(r.episode);
  raised->set_linked_to_existing_person(r.episode > 1);
  for (const std::string& p : r.previous) raised->add_previous_concern_ids(p);
  cv1::ConcernDetails* d = raised->mutable_details();
  d->set_what_happened("Son takes her pension every week and she has no food");
  *d->mutable_incident_started_at() = domain::ToTimestamp(log.now() - absl::Hours(24 * 30));
  d->set_ongoing(true);
  for (cv1::TypeOfRisk t : r.types) d->add_types_of_risk(t);
  d->add_themes("cuckooing");
  d->set_location_of_risk(cv1::LOCATION_OF_RISK_OWN_HOME);
  d->set_location_details("ground-floor flat");
  cv1::SourceOfRiskDetails* source = d->add_sources_of_risk();
  source->set_category(cv1::SOURCE_OF_RISK_OTHER_KNOWN_TO_INDIVIDUAL);
  source->set_relationship("son");
  d->set_immediate_risk(true);
  d->set_immediate_risk_details("no food in the flat");
  d->set_immediate_actions_taken("food parcel delivered");
  d->mutable_others_at_risk()->set_adults_at_risk(true);
  d->mutable_others_at_risk()->set_details("her sister visits weekly");
  d->mutable_referrer()->set_name("PC Jones");
  d->mutable_referrer()->set_organisation("North Police");
  d->mutable_consent()->set_adult_aware(true);
  d->mutable_consent()->set_status(r.consent);
  for (cv1::OverrideGround g : r.override_grounds) d->mutable_consent()->add_override_grounds(g);
  cv1::DesiredOutcome* outcome = d->add_desired_outcomes();
  outcome->set_outcome_id(absl::StrCat(r.concern_id, "-o1"));
  outcome->set_text("I want my money back");
  outcome->set_kind(cv1::DESIRED_OUTCOME_KIND_ABUSE_TO_STOP);
  outcome->set_expressed_by(cv1::EXPRESSED_BY_ADULT);
  d->set_adults_views("He is my son, I don't want him in trouble");
  d->mutable_coercion()->set_suspected(true);
  d->mutable_coercion()->set_reasons("she looks at him before answering");
  d->set_local_authority_code("E06000999");
  d->set_external_reference(absl::StrCat("PPN-", r.concern_id));
  return log.Append(domain::ConcernStream(r.concern_id), event);
}

inline int64_t Triage(CaseLog& log, const std::string& concern_id,
                      cv1::RagRating rating = cv1::RAG_RATING_AMBER) {
  ev1::Event event = log.By(kAsc, cv1::ROLE_MASH_TRIAGE);
  event.mutable_concern_triaged()->set_rating(rating);
  event.mutable_concern_triaged()->set_rationale("financial abuse by a carer, ongoing");
  *event.mutable_concern_triaged()->mutable_decision_due_at() =
      domain::ToTimestamp(log.now() + absl::Hours(24));
  return log.Append(domain::ConcernStream(concern_id), event);
}

inline int64_t RequestResearch(CaseLog& log, const std::string& concern_id,
                               const std::string& request_id, const Agency& asked) {
  ev1::Event event = log.By(kAsc, cv1::ROLE_MASH_RESEARCHER);
  ev1::ResearchRequested* r = event.mutable_research_requested();
  r->set_request_id(request_id);
  r->set_agency_id(asked.id);
  r->set_questions(absl::StrCat("What does ", asked.id, " know?"));
  *r->mutable_due_at() = domain::ToTimestamp(log.now() + absl::Hours(4));
  return log.Append(domain::ConcernStream(concern_id), event);
}

inline int64_t AnswerResearch(CaseLog& log, const std::string& concern_id,
                              const std::string& request_id, const Agency& by,
                              const std::string& answer, bool nothing_known = false) {
  ev1::Event event = log.By(by, cv1::ROLE_MASH_RESEARCHER);
  ev1::ResearchAnswered* a = event.mutable_research_answered();
  a->set_request_id(request_id);
  a->set_agency_id(by.id);
  a->set_answer(answer);
  a->set_nothing_known(nothing_known);
  if (by.kind == cv1::AGENCY_KIND_POLICE) {
    a->add_markings(cv1::HANDLING_MARKING_NOT_TO_ADULT_OR_FAMILY);
  }
  return log.Append(domain::ConcernStream(concern_id), event);
}

inline ev1::Event Decision(CaseLog& log, const std::string& enquiry_id) {
  ev1::Event event = log.By(kAsc, cv1::ROLE_SAFEGUARDING_MANAGER);
  ev1::ThresholdDecisionMade* d = event.mutable_threshold_decision_made();
  d->set_has_care_and_support_needs(true);
  d->set_experiencing_or_at_risk(true);
  d->set_unable_to_protect_self(!enquiry_id.empty());
  d->set_route(enquiry_id.empty() ? cv1::THRESHOLD_ROUTE_ADVICE_SIGNPOSTING
                                  : cv1::THRESHOLD_ROUTE_S42_ENQUIRY);
  d->set_rationale(enquiry_id.empty() ? "can protect herself with advice"
                                      : "all three s42(1) conditions met");
  d->set_enquiry_id(enquiry_id);
  d->set_referrer_feedback_given(true);
  d->set_referrer_feedback("Thank you; the MASH has decided");
  return event;
}

inline ev1::Event Opened(CaseLog& log, const std::string& enquiry_id,
                         const std::string& concern_id, const std::string& person_id) {
  ev1::Event event = log.By(kAsc, cv1::ROLE_SAFEGUARDING_MANAGER);
  ev1::EnquiryOpened* o = event.mutable_enquiry_opened();
  o->set_enquiry_id(enquiry_id);
  o->set_concern_id(concern_id);
  o->set_person_id(person_id);
  o->set_type(cv1::ENQUIRY_TYPE_SECTION_42);
  cv1::DesiredOutcome* outcome = o->add_desired_outcomes();
  outcome->set_outcome_id(absl::StrCat(concern_id, "-o1"));
  outcome->set_text("I want my money back");
  outcome->set_expressed_by(cv1::EXPRESSED_BY_ADULT);
  o->set_local_authority_code("E06000999");
  return event;
}

// The MASH decision that opens an enquiry: the decision on the concern, then the opening.
inline void DecideEnquiry(CaseLog& log, const std::string& concern_id,
                          const std::string& enquiry_id, const std::string& person_id) {
  log.Append(domain::ConcernStream(concern_id), Decision(log, enquiry_id));
  log.Append(domain::EnquiryStream(enquiry_id), Opened(log, enquiry_id, concern_id, person_id));
}

inline int64_t AssignLead(CaseLog& log, const std::string& enquiry_id, const Agency& lead,
                          const std::string& responsible = "") {
  ev1::Event event = log.By(kAsc, cv1::ROLE_SAFEGUARDING_MANAGER);
  ev1::EnquiryLeadAssigned* l = event.mutable_enquiry_lead_assigned();
  l->set_lead_agency_id(lead.id);
  l->set_officer_name("Sam Patel");
  l->set_officer_user_id("u-sam");
  l->set_caused(!responsible.empty());
  l->set_responsible_agency_id(responsible);
  l->set_scope(responsible.empty() ? "" : "the care home's records");
  return log.Append(domain::EnquiryStream(enquiry_id), event);
}

// A strategy discussion agreeing one action for each owner.
inline int64_t Strategy(CaseLog& log, const std::string& enquiry_id,
                        const std::vector<Agency>& owners) {
  ev1::Event event = log.By(kAsc);
  ev1::StrategyDiscussionRecorded* d = event.mutable_strategy_discussion_recorded();
  d->set_discussion_id(absl::StrCat(enquiry_id, "-sd1"));
  *d->mutable_held_at() = domain::ToTimestamp(log.now());
  d->add_participants("Sam Patel (asc-north)");
  d->add_participants("DC Khan (police-north)");
  d->add_decisions("bank to be contacted");
  for (size_t i = 0; i < owners.size(); ++i) {
    cv1::AgreedAction* a = d->add_actions();
    a->set_action_id(absl::StrCat(enquiry_id, "-a", i + 1));
    a->set_description(absl::StrCat("action for ", owners[i].id));
    a->set_owner_agency_id(owners[i].id);
    a->set_owner_name("someone");
  }
  d->set_adults_views("I just want it to stop");
  return log.Append(domain::EnquiryStream(enquiry_id), event);
}

inline int64_t Plan(CaseLog& log, const std::string& enquiry_id, const Agency& by_agency) {
  ev1::Event event = log.By(kAsc);
  ev1::ProtectionPlanRecorded* p = event.mutable_protection_plan_recorded();
  cv1::PlanItem* item = p->add_items();
  item->set_item_id(absl::StrCat(enquiry_id, "-p1"));
  item->set_risk("son takes pension");
  item->set_action("pension paid into a new account");
  item->set_by_whom("care home manager");
  item->set_by_agency_id(by_agency.id);
  *p->mutable_next_review_at() = domain::ToTimestamp(log.now() + absl::Hours(24 * 28));
  p->set_agreed_with_adult(true);
  return log.Append(domain::EnquiryStream(enquiry_id), event);
}

inline int64_t Refer(CaseLog& log, const std::string& enquiry_id, const std::string& referral) {
  ev1::Event event = log.By(kAsc);
  event.mutable_advocacy_referred()->set_referral_id(referral);
  event.mutable_advocacy_referred()->set_provider_agency_id(kAdvocacy.id);
  event.mutable_advocacy_referred()->set_reason("substantial difficulty, no one to support her");
  return log.Append(domain::EnquiryStream(enquiry_id), event);
}

inline int64_t Conclude(CaseLog& log, const std::string& enquiry_id) {
  ev1::Event event = log.By(kAsc);
  ev1::EnquiryConcluded* c = event.mutable_enquiry_concluded();
  cv1::ConcludedRisk* risk = c->add_risks();
  risk->set_type(cv1::TYPE_OF_RISK_FINANCIAL_OR_MATERIAL_ABUSE);
  risk->set_location(cv1::LOCATION_OF_RISK_OWN_HOME);
  risk->set_source(cv1::SOURCE_OF_RISK_OTHER_KNOWN_TO_INDIVIDUAL);
  c->set_action_and_result(cv1::ACTION_AND_RESULT_RISK_IDENTIFIED_ACTION_TAKEN);
  c->set_risk_outcome(cv1::RISK_OUTCOME_REDUCED);
  c->set_capacity(cv1::CAPACITY_ANSWER_LACKED_CAPACITY);
  c->set_supported_by_advocate_family_or_friend(true);
  c->set_outcomes_asked(cv1::OUTCOMES_ASKED_YES_EXPRESSED);
  cv1::OutcomeResult* result = c->add_outcome_results();
  result->set_outcome_id("c-1-o1");
  result->set_achievement(cv1::OUTCOME_ACHIEVEMENT_PARTIALLY);
  result->set_adults_view("some of it came back");
  c->mutable_experience()->set_answered_by(cv1::EXPRESSED_BY_ADVOCATE);
  c->mutable_experience()->set_feel_safe(cv1::EXPERIENCE_ANSWER_YES);
  c->set_summary("pension protected; son warned by police");
  return log.Append(domain::EnquiryStream(enquiry_id), event);
}

inline int64_t Close(CaseLog& log, const std::string& enquiry_id) {
  ev1::Event event = log.By(kAsc, cv1::ROLE_SAFEGUARDING_MANAGER);
  ev1::EnquiryClosed* c = event.mutable_enquiry_closed();
  c->set_reason(cv1::CLOSURE_REASON_OUTCOMES_MET);
  c->set_adults_view("I feel safer now");
  c->set_referrer_informed(true);
  c->set_notes("closed after review");
  return log.Append(domain::EnquiryStream(enquiry_id), event);
}

}  // namespace hub::projections::case_log_testing
