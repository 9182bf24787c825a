// fuzz_seeds OUT_DIR: writes the seed corpora of the fuzz targets into OUT_DIR/<target>/
// (normally tests/fuzz/corpus). Deterministic: the same build writes the same bytes, so the
// committed corpus changes only when the formats or the scenario do.
//
//   fuzz_event_decode       the scenario's case (fuzz_scenario.h) as stored log records, as bare
//                           payloads, one file per event type, read models as the projections
//                           stored them, and key/idempotency/link bytes;
//   fuzz_request_translate  one accepted request per request kind, aimed at the scenario's case;
//   fuzz_agreement_parse    the example agreement and small variations.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "domain/common/envelope.h"
#include "eventstore/event_log.h"
#include "eventstore/internal/record_codec.h"
#include "eventstore/internal/sha256.h"
#include "hub/api/v1/advocacy_service.pb.h"
#include "hub/api/v1/enquiry_service.pb.h"
#include "hub/api/v1/event_store_service.pb.h"
#include "hub/api/v1/mash_service.pb.h"
#include "hub/api/v1/people_service.pb.h"
#include "hub/api/v1/referral_intake_service.pb.h"
#include "projections/case_file/case_file.h"
#include "projections/disclosure_log/disclosure_log.h"
#include "projections/engine/projection.h"
#include "projections/notifications/notifications.h"
#include "projections/person_index/person_index.h"
#include "projections/sac/sac.h"
#include "projections/worklists/worklists.h"
#include "app/command_request.h"
#include "tests/fuzz/fuzz_scenario.h"
#include "tests/fuzz/fuzz_support.h"

namespace hub::fuzz {
namespace {

namespace fs = std::filesystem;
namespace api = ::hub::api::v1;
namespace ev1 = ::hub::events::v1;

void Write(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out << bytes;
  HUB_FUZZ_CHECK(out.good(), "cannot write " + (dir / name).string());
}

// ---- fuzz_event_decode ----

// The stream index byte of a payload chunk (kStreams in fuzz_event_decode.cc).
uint8_t StreamIndex(const std::string& stream) {
  static const std::map<std::string, uint8_t> kIndex = {
      {"person-p1", 0},  {"concern-c1", 1},     {"concern-c2", 2}, {"enquiry-e1", 3},
      {"enquiry-e2", 4}, {"disclosures-p1", 5}, {"agreement", 6},  {"ident-nhs-9434765919", 7},
      {"emergency-access-c1", 8}};
  auto it = kIndex.find(stream);
  HUB_FUZZ_CHECK(it != kIndex.end(), "stream not in kStreams: " + stream);
  return it->second;
}

std::vector<std::pair<std::string, ev1::Event>> CaseLog(const Scenario& s) {
  std::vector<std::pair<std::string, ev1::Event>> log = s.log;
  ev1::Event claimed = log.front().second;
  claimed.clear_payload();
  claimed.mutable_identifier_claimed()->mutable_identifier()->CopyFrom(
      s.person.details.identifiers(0));
  claimed.mutable_identifier_claimed()->set_person_id("p1");
  log.insert(log.begin(), {"ident-nhs-9434765919", claimed});

  ev1::Event disclosure = log.back().second;
  disclosure.clear_payload();
  ev1::DisclosureRecorded* d = disclosure.mutable_disclosure_recorded();
  d->set_disclosure_id("d1");
  d->set_kind(cv1::DISCLOSURE_KIND_CASE_VIEW);
  d->set_person_id("p1");
  d->set_concern_id("c1");
  d->set_purpose(cv1::PURPOSE_SAFEGUARDING_ENQUIRY);
  d->add_categories(cv1::INFORMATION_CATEGORY_IDENTITY);
  d->add_withheld(cv1::INFORMATION_CATEGORY_HEALTH);
  d->add_lawful_bases(cv1::LAWFUL_BASIS_UK_GDPR_6_1_E_PUBLIC_TASK);
  d->set_relationship(cv1::RELATIONSHIP_LEAD);
  d->set_consent_to_share(true);
  d->set_agreement_version("2026.1");
  log.emplace_back("disclosures-p1", disclosure);

  // The police restrict the case; a housing officer breaks the glass and reads it.
  ev1::Event restricted = log.back().second;
  restricted.clear_payload();
  restricted.mutable_case_restricted()->set_reason_kind(cv1::RESTRICTION_REASON_POLICE_INVESTIGATION);
  restricted.mutable_case_restricted()->set_reason("Nephew under investigation.");
  restricted.mutable_case_restricted()->set_owner_agency_id("police-northshire");
  log.emplace_back("concern-c1", restricted);
  ev1::Event grant = log.back().second;
  grant.clear_payload();
  ev1::EmergencyAccessGranted* g = grant.mutable_emergency_access_granted();
  g->set_grant_id("g1");
  g->set_concern_id("c1");
  g->set_person_id("p1");
  g->set_agency_id("housing-northshire");
  g->set_user_id("housing-1");
  g->set_reason("Eviction hearing tomorrow; need to know the risk.");
  *g->mutable_granted_at() = grant.occurred_at();
  *g->mutable_expires_at() = domain::ToTimestamp(kScenarioNow + absl::Hours(3));
  g->set_purpose(cv1::PURPOSE_CARE_PROVISION);
  g->set_lead_agency_id("asc-northshire");
  g->set_restricted_by_agency_id("police-northshire");
  log.emplace_back("emergency-access-c1", grant);
  ev1::Event glass = disclosure;
  glass.mutable_disclosure_recorded()->set_disclosure_id("d2");
  glass.mutable_disclosure_recorded()->set_break_glass(true);
  glass.mutable_disclosure_recorded()->set_grant_id("g1");
  glass.mutable_disclosure_recorded()->set_break_glass_reason("Eviction hearing tomorrow.");
  glass.mutable_disclosure_recorded()->set_lead_agency_id("asc-northshire");
  glass.mutable_disclosure_recorded()->set_restricted_by_agency_id("police-northshire");
  glass.mutable_actor()->set_agency_id("housing-northshire");
  log.emplace_back("disclosures-p1", glass);

  ev1::Event agreement = log.back().second;
  agreement.clear_payload();
  agreement.mutable_agreement_took_effect()->set_version("2026.1");
  agreement.mutable_agreement_took_effect()->set_hash(std::string(64, 'a'));
  log.insert(log.begin(), {"agreement", agreement});
  return log;
}

// The case as the log stores it: records with a dense position, versions per stream and the
// hash chain.
std::vector<std::string> StoredRecords(const std::vector<std::pair<std::string, ev1::Event>>& log) {
  std::vector<std::string> out;
  std::map<std::string, int64_t> versions;
  std::string link(::eventstore_internal::kDigestSize, '\0');
  for (size_t i = 0; i < log.size(); ++i) {
    const auto& [stream, event] = log[i];
    eventstore::RecordedEvent r;
    r.event_id = app::DeriveId(stream, absl::StrCat("event-", i));
    r.type = domain::EventTypeName(event);
    r.payload = event.SerializeAsString();
    r.metadata.actor_agency = event.actor().agency_id();
    r.metadata.actor_user = event.actor().user_id();
    r.metadata.causation_id = event.command_id();
    r.stream = stream;
    r.stream_version = StreamVersion(versions[stream]++);
    r.position = GlobalPosition(static_cast<int64_t>(i));
    r.recorded_at = domain::FromTimestamp(event.occurred_at());
    r.link = ::eventstore_internal::ChainLink(link, ::eventstore_internal::EncodeCanonicalRecord(r));
    link = r.link;
    out.push_back(::eventstore_internal::EncodeStoredRecord(r));
  }
  return out;
}

void EventDecodeSeeds(const Scenario& s, const fs::path& dir) {
  const auto log = CaseLog(s);
  const std::vector<std::string> records = StoredRecords(log);
  std::string all_records, all_payloads;
  for (const std::string& r : records) AppendChunk(all_records, 0, r);
  AppendChunk(all_records, 4, "");  // the SAC return for the case's year
  Write(dir, "case-as-stored-records", all_records);
  for (const auto& [stream, event] : log) {
    AppendChunk(all_payloads, 1, std::string(1, static_cast<char>(StreamIndex(stream))) +
                                     event.SerializeAsString());
  }
  Write(dir, "case-as-payloads", all_payloads);

  // One file per event type: a record and its payload.
  std::map<std::string, std::string> by_type;
  for (size_t i = 0; i < log.size(); ++i) {
    std::string& bytes = by_type[domain::EventTypeName(log[i].second)];
    if (!bytes.empty()) continue;
    AppendChunk(bytes, 0, records[i]);
    AppendChunk(bytes, 1, std::string(1, static_cast<char>(StreamIndex(log[i].first))) +
                              log[i].second.SerializeAsString());
  }
  for (const auto& [type, bytes] : by_type) Write(dir, "event-" + type, bytes);

  // The read models as the projections stored them, then the case's last events again.
  MemoryKvStore store;
  std::vector<std::unique_ptr<projections::Projection>> all;
  all.push_back(std::make_unique<projections::CaseFileProjection>());
  all.push_back(std::make_unique<projections::PersonIndexProjection>());
  all.push_back(std::make_unique<projections::WorklistsProjection>());
  all.push_back(std::make_unique<projections::SacProjection>());
  all.push_back(std::make_unique<projections::DisclosureLogProjection>());
  all.push_back(std::make_unique<projections::NotificationsProjection>());
  for (auto& projection : all) {
    projections::Txn txn(store, projection->name());
    for (size_t i = 0; i < log.size(); ++i) {
      eventstore::RecordedEvent r;
      r.stream = log[i].first;
      r.position = GlobalPosition(static_cast<int64_t>(i));
      r.type = domain::EventTypeName(log[i].second);
      HUB_FUZZ_CHECK(projection->Apply(r, log[i].second, txn).ok(), "seed fold failed");
    }
    HUB_FUZZ_CHECK(projection->Flush(txn).ok(), "seed flush failed");
    eventstore::KvBatch batch;
    txn.CommitTo(batch);
    HUB_FUZZ_CHECK(store.Write(batch).ok(), "seed write failed");
  }
  std::string stored;
  HUB_FUZZ_CHECK(store
                     .Scan("p/", "p0",
                           [&](std::string_view key, std::string_view value) {
                             if (key.size() > 255 || value.size() > 60000) return true;
                             std::string chunk(1, static_cast<char>(key.size()));
                             chunk.append(key).append(value);
                             AppendChunk(stored, 3, chunk);
                             return true;
                           })
                     .ok(),
                 "seed scan failed");
  for (size_t i = log.size() - 4; i < log.size(); ++i) {
    AppendChunk(stored, 1, std::string(1, static_cast<char>(StreamIndex(log[i].first))) +
                               log[i].second.SerializeAsString());
  }
  AppendChunk(stored, 4, std::string("\xea\x07", 2));  // the SAC return for 2026
  Write(dir, "read-models-then-events", stored);

  std::string keys;
  AppendChunk(keys, 2, ::eventstore_internal::EncodePositionKey(42));
  eventstore::AppendResult result;
  result.first_version = StreamVersion(3);
  result.last_version = StreamVersion(4);
  result.first_position = GlobalPosition(17);
  result.last_position = GlobalPosition(18);
  AppendChunk(keys, 2, ::eventstore_internal::EncodeIdempotencyValue(std::string(32, 'd'), result));
  AppendChunk(keys, 2, eventstore::LinkToHex(std::string(32, '\x5a')));
  Write(dir, "keys", keys);
}

// ---- fuzz_request_translate ----

template <typename Request>
void Header(Request& r, const std::string& command_id, int64_t expected_version) {
  r.mutable_header()->set_command_id(command_id);
  if (expected_version >= 0) r.mutable_header()->set_expected_version(expected_version);
}

// Request kinds and callers as fuzz_request_translate.cc numbers them.
void Request(const fs::path& dir, const std::string& name, uint8_t kind, uint8_t caller,
             const google::protobuf::Message& request) {
  std::string bytes;
  bytes.push_back(static_cast<char>(kind));
  bytes.push_back(static_cast<char>(caller));
  bytes += request.SerializeAsString();
  Write(dir, absl::StrCat(kind < 10 ? "0" : "", kind, "-", name), bytes);
}

void RequestSeeds(const Scenario& s, const fs::path& dir) {
  constexpr uint8_t kAsc = 0, kPolice = 1, kGp = 2, kAdvocate = 3;
  const int64_t concern_version = 3;  // raised, triaged, research requested
  const int64_t enquiry_version = 4;  // opened, lead, strategy, capacity, referral
  {
    api::RegisterPersonRequest r;
    Header(r, "reg-2", -1);
    *r.mutable_details() = ScenarioAdult();
    r.mutable_details()->mutable_identifiers(0)->set_value("943 476 5919");
    r.mutable_details()->mutable_address()->set_postcode("ns1  1aa");
    Request(dir, "RegisterPerson", 0, kAsc, r);
  }
  {
    api::CorrectPersonDetailsRequest r;
    Header(r, "correct-1", 1);
    r.set_person_id("p1");
    *r.mutable_details() = ScenarioAdult();
    r.mutable_details()->mutable_name()->set_preferred("Molly");
    r.set_reason("Prefers to be called Molly.");
    Request(dir, "CorrectPersonDetails", 1, kAsc, r);
  }
  {
    api::RecordRepresentativeRequest r;
    Header(r, "rep-1", 1);
    r.set_person_id("p1");
    r.mutable_representative()->set_kind(cv1::REPRESENTATIVE_KIND_APPROPRIATE_INDIVIDUAL);
    r.mutable_representative()->set_name("Ann Jones");
    r.mutable_representative()->set_relationship("daughter");
    r.mutable_representative()->set_unpaid(true);
    Request(dir, "RecordRepresentative", 2, kAsc, r);
  }
  {
    api::RaiseConcernRequest r;
    Header(r, "raise-2", -1);
    *r.mutable_adult() = ScenarioAdult();
    *r.mutable_details() = ScenarioConcernDetails();
    Request(dir, "RaiseConcern-adult", 3, kPolice, r);
    r.set_person_id("p1");
    r.mutable_details()->mutable_consent()->set_status(cv1::CONSENT_STATUS_DECLINED);
    r.mutable_details()->mutable_consent()->add_override_grounds(cv1::OVERRIDE_GROUND_RISK_TO_OTHERS);
    r.mutable_details()->mutable_consent()->set_override_justification("Her grandson visits.");
    Request(dir, "RaiseConcern-known-person-no-consent", 3, kPolice, r);
  }
  {
    api::TriageConcernRequest r;
    Header(r, "triage-2", concern_version);
    r.set_concern_id("c1");
    r.set_rating(cv1::RAG_RATING_RED);
    r.set_rationale("New information: threats made.");
    r.set_rerating_reason("Threats to the adult reported today.");
    Request(dir, "TriageConcern", 4, kAsc, r);
  }
  {
    api::RequestResearchRequest r;
    Header(r, "research-2", concern_version);
    r.set_concern_id("c1");
    r.set_agency_id("police-northshire");
    r.set_questions("Any calls to the address?");
    Request(dir, "RequestResearch", 5, kAsc, r);
  }
  {
    api::AnswerResearchRequest r;
    Header(r, "answer-1", concern_version);
    r.set_concern_id("c1");
    r.set_request_id(s.research_request_id);
    r.set_answer("Seen in October with a bruised wrist.");
    r.add_markings(cv1::HANDLING_MARKING_NOT_TO_ADULT_OR_FAMILY);
    Request(dir, "AnswerResearch", 6, kGp, r);
  }
  {
    api::RecordThresholdDecisionRequest r;
    Header(r, "decide-2", concern_version);
    r.set_concern_id("c1");
    r.set_has_care_and_support_needs(true);
    r.set_experiencing_or_at_risk(true);
    r.set_unable_to_protect_self(true);
    r.set_route(cv1::THRESHOLD_ROUTE_S42_ENQUIRY);
    r.set_rationale("All three criteria met.");
    r.set_referrer_feedback_given(true);
    r.set_referrer_feedback("A s42 enquiry has been opened.");
    Request(dir, "RecordThresholdDecision", 7, kAsc, r);
  }
  {
    api::RecordSharingConsentRequest r;
    Header(r, "consent-1", concern_version);
    r.set_concern_id("c1");
    r.set_consent_given(false);
    r.add_override_grounds(cv1::OVERRIDE_GROUND_RISK_TO_OTHERS);
    r.set_justification("Her grandson is at risk.");
    r.set_adults_words("I don't want the police told.");
    Request(dir, "RecordSharingConsent", 8, kAsc, r);
  }
  {
    api::RecordReferrerFeedbackRequest r;
    Header(r, "feedback-1", concern_version);
    r.set_concern_id("c1");
    r.set_feedback("Triaged amber; research under way.");
    Request(dir, "RecordReferrerFeedback", 9, kAsc, r);
  }
  // Enquiry (10-23) and advocacy (24-31): each on e1 at its current version.
  // Closure steps are also aimed at the concluded enquiry (bit 2 of the caller byte).
  constexpr uint8_t kConcluded = 4;
  auto enquiry = [&](auto r, const std::string& name, uint8_t kind, uint8_t caller) {
    Header(r, absl::StrCat("cmd-", static_cast<int>(kind)), enquiry_version);
    r.set_enquiry_id("e1");
    Request(dir, name, kind, caller, r);
    const bool closure_step = kind == 12 || kind == 18 || kind == 21 || kind == 23;
    if (closure_step) Request(dir, name + "-concluded", kind, caller | kConcluded, r);
  };
  {
    api::AssignLeadRequest r;
    r.set_lead_agency_id("police-northshire");
    r.set_officer_name("DC Green");
    r.set_caused(true);
    r.set_scope("the financial abuse allegation");
    enquiry(r, "AssignLead", 10, kAsc);
  }
  {
    api::RecordStrategyDiscussionRequest r;
    *r.mutable_held_at() = domain::ToTimestamp(kScenarioNow - absl::Minutes(10));
    r.add_participants("Sam Patel (ASC)");
    r.add_decisions("Visit with an advocate.");
    cv1::AgreedAction* a = r.add_actions();
    a->set_description("Visit Mary at home");
    a->set_owner_agency_id("asc-northshire");
    a->set_owner_name("Sam Patel");
    *a->mutable_due_at() = domain::ToTimestamp(kScenarioNow + absl::Hours(48));
    r.set_adults_views("Wants her nephew kept away.");
    enquiry(r, "RecordStrategyDiscussion", 11, kAsc);
  }
  {
    api::CompleteActionRequest r;
    r.set_action_id(s.action_id);
    r.set_note("Statements checked: withdrawals of 200 pounds weekly.");
    enquiry(r, "CompleteAction", 12, kPolice);
  }
  {
    api::ReviseDesiredOutcomesRequest r;
    r.add_added()->set_text("to see her grandson");
    cv1::DesiredOutcome* changed = r.add_changed();
    changed->set_outcome_id(s.outcome_ids.at(0));
    changed->set_text("to feel safe at home, with her nephew kept away");
    r.set_reason("Said at the visit.");
    enquiry(r, "ReviseDesiredOutcomes", 13, kAsc);
  }
  {
    api::RecordCapacityAssessmentRequest r;
    r.set_decision("where to live");
    *r.mutable_assessed_at() = domain::ToTimestamp(kScenarioNow - absl::Minutes(5));
    r.set_assessor("Sam Patel");
    r.set_finding(cv1::CAPACITY_FINDING_HAS_CAPACITY);
    r.set_evidence("Understood and weighed the options.");
    enquiry(r, "RecordCapacityAssessment", 14, kAsc);
  }
  {
    api::RecordBestInterestsDecisionRequest r;
    r.set_capacity_assessment_id(s.capacity_assessment_id);
    r.set_decision("how to manage her money");
    cv1::BestInterestsOption* o = r.add_options();
    o->set_option("a deputyship application");
    o->add_factors_for("stops the withdrawals");
    o->add_factors_against("takes months");
    r.add_people_consulted("Ann Jones (daughter)");
    r.set_adults_known_wishes("Has always managed her own money.");
    r.set_chosen_option("a deputyship application");
    r.set_rationale("The least restrictive option that stops the withdrawals.");
    enquiry(r, "RecordBestInterestsDecision", 15, kAsc);
  }
  {
    api::RecordRiskAssessmentRequest r;
    r.set_dangers("Nephew visits daily.");
    r.set_safety("Daughter nearby.");
    r.set_strengths("Clear about what she wants.");
    enquiry(r, "RecordRiskAssessment", 16, kAsc);
  }
  {
    api::RecordProtectionPlanRequest r;
    cv1::PlanItem* item = r.add_items();
    item->set_risk("Withdrawals by the nephew");
    item->set_action("Bank to flag withdrawals");
    item->set_by_whom("Sam Patel");
    item->set_by_agency_id("asc-northshire");
    *item->mutable_by_when() = domain::ToTimestamp(kScenarioNow + absl::Hours(24 * 14));
    *r.mutable_next_review_at() = domain::ToTimestamp(kScenarioNow + absl::Hours(24 * 28));
    r.set_agreed_with_adult(true);
    enquiry(r, "RecordProtectionPlan", 17, kAsc);
  }
  {
    api::ReviewProtectionPlanRequest r;
    r.set_notes("Working.");
    *r.mutable_next_review_at() = domain::ToTimestamp(kScenarioNow + absl::Hours(24 * 56));
    enquiry(r, "ReviewProtectionPlan", 18, kAsc);
  }
  {
    api::RecordCoercionConcernRequest r;
    r.mutable_coercion()->set_suspected(true);
    r.mutable_coercion()->set_reasons("Nephew answers for her.");
    enquiry(r, "RecordCoercionConcern", 19, kAsc);
  }
  {
    api::RecordSpokenToAloneRequest r;
    r.mutable_spoken()->set_spoken_to_alone(true);
    enquiry(r, "RecordSpokenToAlone", 20, kAsc);
  }
  {
    api::RecordDutyOfCareDecisionRequest r;
    r.set_decision("Continue despite her wish to stop.");
    r.set_reasons("Coercion suspected.");
    enquiry(r, "RecordDutyOfCareDecision", 21, kAsc);
  }
  {
    api::ConcludeEnquiryRequest r;
    cv1::ConcludedRisk* risk = r.add_risks();
    risk->set_type(cv1::TYPE_OF_RISK_FINANCIAL_OR_MATERIAL_ABUSE);
    risk->set_location(cv1::LOCATION_OF_RISK_OWN_HOME);
    risk->set_source(cv1::SOURCE_OF_RISK_OTHER_KNOWN_TO_INDIVIDUAL);
    r.set_action_and_result(cv1::ACTION_AND_RESULT_RISK_IDENTIFIED_ACTION_TAKEN);
    r.set_risk_outcome(cv1::RISK_OUTCOME_REDUCED);
    r.set_capacity(cv1::CAPACITY_ANSWER_LACKED_CAPACITY);
    r.set_outcomes_asked(cv1::OUTCOMES_ASKED_YES_EXPRESSED);
    for (const std::string& id : s.outcome_ids) {
      cv1::OutcomeResult* result = r.add_outcome_results();
      result->set_outcome_id(id);
      result->set_achievement(cv1::OUTCOME_ACHIEVEMENT_FULLY);
    }
    r.set_summary("Withdrawals stopped; Mary feels safe.");
    enquiry(r, "ConcludeEnquiry", 22, kAsc);
  }
  {
    api::CloseEnquiryRequest r;
    r.set_reason(cv1::CLOSURE_REASON_OUTCOMES_MET);
    r.set_adults_view("Glad it is over.");
    r.set_referrer_informed(true);
    r.set_sar_considered(true);
    enquiry(r, "CloseEnquiry", 23, kAsc);
  }
  {
    api::AssessSubstantialDifficultyRequest r;
    r.set_understanding(true);
    r.set_retaining(true);
    r.set_notes("Struggles to retain.");
    enquiry(r, "AssessSubstantialDifficulty", 24, kAsc);
  }
  {
    api::AssessAppropriateIndividualRequest r;
    r.set_exists(true);
    r.set_name("Ann Jones");
    r.set_relationship("daughter");
    r.set_unpaid(true);
    r.set_not_source_of_risk(true);
    r.set_adult_consents(true);
    enquiry(r, "AssessAppropriateIndividual", 25, kAsc);
  }
  {
    api::RecordAdvocacyExceptionsRequest r;
    r.set_hospital_28_days_or_more(true);
    r.set_notes("Admitted last month.");
    enquiry(r, "RecordAdvocacyExceptions", 26, kAsc);
  }
  {
    api::ReferForAdvocacyRequest r;
    r.set_provider_agency_id("advocacy-northshire");
    r.set_reason("Substantial difficulty.");
    enquiry(r, "ReferForAdvocacy", 27, kAsc);
  }
  {
    api::AcceptAdvocacyReferralRequest r;
    r.set_referral_id(s.referral_id);
    enquiry(r, "AcceptAdvocacyReferral", 28, kAdvocate);
  }
  {
    api::DeclineAdvocacyReferralRequest r;
    r.set_referral_id(s.referral_id);
    r.set_reason("No capacity this month.");
    enquiry(r, "DeclineAdvocacyReferral", 29, kAdvocate);
  }
  {
    api::AllocateAdvocateRequest r;
    r.set_referral_id(s.referral_id);
    r.set_advocate_name("Jo Brown");
    r.set_advocate_user_id("advocate-1");
    r.set_contact("01632 960000");
    enquiry(r, "AllocateAdvocate", 30, kAdvocate);
  }
  {
    api::RecordAdvocateViewsRequest r;
    r.set_referral_id(s.referral_id);
    r.set_views("Mary wants to stay at home and see her grandson.");
    enquiry(r, "RecordAdvocateViews", 31, kAdvocate);
  }
  // EventStore and LogAdmin (32-37).
  {
    api::AppendRequest r;
    r.set_stream("orders-1");
    r.mutable_expected_version()->set_no_stream(true);
    api::NewEvent* e = r.add_events();
    e->set_type("OrderPlaced");
    e->set_payload("{\"id\":1}");
    e->mutable_metadata()->set_actor_agency("asc-northshire");
    api::NewEvent* f = r.add_events();
    f->set_event_id("0b6cf1a2-5a4f-4c8e-9d3e-2f1f5b6a7c8d");
    f->set_type("OrderShipped");
    f->set_schema_version(2);
    r.set_idempotency_key("order-1-placed");
    Request(dir, "Append", 32, kAsc, r);
  }
  {
    api::ReadStreamRequest r;
    r.set_stream("concern-c1");
    r.set_direction(api::READ_DIRECTION_BACKWARD);
    r.set_from_version(-1);
    r.set_limit(10);
    Request(dir, "ReadStream", 33, kAsc, r);
  }
  {
    api::ReadAllRequest r;
    r.set_from_position(5);
    r.set_limit(500);
    r.set_stream_prefix("concern-");
    r.set_event_type("ConcernRaised");
    Request(dir, "ReadAll", 34, kAsc, r);
  }
  {
    api::SubscribeRequest r;
    r.set_from_position(0);
    r.set_stream_prefix("enquiry-");
    Request(dir, "Subscribe", 35, kAsc, r);
  }
  {
    api::VerifyRequest r;
    r.set_check_expected(true);
    r.set_expected_position(9);
    r.set_expected_link_hex(std::string(64, 'f'));
    Request(dir, "Verify", 36, kAsc, r);
  }
  {
    api::BackupRequest r;
    r.set_directory("/srv/backups/hub-2026-01-05");
    Request(dir, "Backup", 37, kAsc, r);
  }
}

// ---- fuzz_agreement_parse ----

void AgreementSeeds(const fs::path& dir) {
  const std::string path = std::string(HUB_SOURCE_DIR) + "/deploy/agreement.example.textproto";
  std::ifstream in(path, std::ios::binary);
  const std::string example((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  HUB_FUZZ_CHECK(!example.empty(), "cannot read " + path);
  Write(dir, "example-agreement", example);
  Write(dir, "minimal",
        "version: \"1\"\n"
        "rules {\n  name: \"lead-all\"\n  agency_kinds: AGENCY_KIND_ADULT_SOCIAL_CARE\n"
        "  relationships: RELATIONSHIP_LEAD\n  purposes: PURPOSE_SAFEGUARDING_ENQUIRY\n"
        "  categories: INFORMATION_CATEGORY_IDENTITY\n"
        "  lawful_bases: LAWFUL_BASIS_UK_GDPR_6_1_E_PUBLIC_TASK\n}\n");
  Write(dir, "consent-and-lookup",
        "version: \"2\"\nlookup_purposes: [PURPOSE_TRIAGE, PURPOSE_RESEARCH]\n"
        "how_to_raise_a_concern: \"Call the MASH\"\n"
        "rules {\n  name: \"police-research\"\n  agency_kinds: [AGENCY_KIND_POLICE, AGENCY_KIND_GP]\n"
        "  roles: [ROLE_MASH_RESEARCHER]\n"
        "  relationships: [RELATIONSHIP_RESEARCH_PARTNER, RELATIONSHIP_INVOLVED_PARTNER]\n"
        "  purposes: PURPOSE_RESEARCH\n"
        "  categories: [INFORMATION_CATEGORY_IDENTITY, INFORMATION_CATEGORY_CONCERN_SUMMARY]\n"
        "  lawful_bases: [LAWFUL_BASIS_UK_GDPR_6_1_E_PUBLIC_TASK, "
        "LAWFUL_BASIS_UK_GDPR_9_2_G_SUBSTANTIAL_PUBLIC_INTEREST]\n"
        "  requires_consent_or_override: true\n  note: \"only while the adult consents\"\n}\n");
  Write(dir, "refused-duplicate-name",
        "version: \"3\"\nrules { name: \"a\" agency_kinds: 1 relationships: 1 purposes: 1 "
        "categories: 1 lawful_bases: 1 }\nrules { name: \"a\" agency_kinds: 2 relationships: 2 "
        "purposes: 2 categories: 2 lawful_bases: 2 }\n");
}

}  // namespace
}  // namespace hub::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR   (normally tests/fuzz/corpus)\n", argv[0]);
    return 2;
  }
  const std::filesystem::path out(argv[1]);
  const hub::fuzz::Scenario scenario = hub::fuzz::BuildScenario();
  hub::fuzz::EventDecodeSeeds(scenario, out / "fuzz_event_decode");
  hub::fuzz::RequestSeeds(scenario, out / "fuzz_request_translate");
  hub::fuzz::AgreementSeeds(out / "fuzz_agreement_parse");
  std::printf("seed corpora written to %s\n", argv[1]);
  return 0;
}
