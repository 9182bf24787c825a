#include "projections/worklists/worklists.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "domain/common/envelope.h"
#include "domain/common/streams.h"
#include "eventstore/rocksdb/rocksdb_event_log.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/log_and_store.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hub::projections {
namespace {

namespace cv1 = ::hub::common::v1;
namespace ev1 = ::hub::events::v1;
namespace vv1 = ::hub::views::v1;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kT0 = absl::FromCivil(absl::CivilSecond(2025, 6, 2, 9, 0, 0), absl::UTCTimeZone());

google::protobuf::Timestamp Ts(absl::Time t) { return domain::ToTimestamp(t); }

// A log and a read-model store in a temporary directory; events are appended as the services
// append them (one envelope per record, typed by its payload) and folded with CatchUp.
class Hub : public LogAndStore {
 public:
  // An envelope at `at` by a practitioner of `agency`.
  static ev1::Event At(absl::Time at, const std::string& agency = "mash-la") {
    ev1::Event event;
    *event.mutable_occurred_at() = Ts(at);
    event.mutable_actor()->set_agency_id(agency);
    event.mutable_actor()->set_user_id(absl::StrCat(agency, "-user"));
    return event;
  }

  void Append(const std::string& stream, const ev1::Event& event) { AppendEvent(stream, event); }

  void Fold(int batch_size = 1024) {
    HUB_ASSERT_OK(
        CatchUp(log(), store(), projection_, /*from_scratch=*/false, nullptr, batch_size));
  }

  // ---- concern-<id> ----
  void Raise(const std::string& id, absl::Time at, bool immediate_risk = false,
             const std::string& agency = "police") {
    ev1::Event e = At(at, agency);
    ev1::ConcernRaised* raised = e.mutable_concern_raised();
    raised->set_concern_id(id);
    raised->set_person_id(absl::StrCat("p-", id));
    raised->set_episode(2);
    raised->mutable_adult()->mutable_name()->set_family("Smith");
    cv1::ConcernDetails* details = raised->mutable_details();
    details->set_what_happened("narrative that must not reach a worklist");
    details->add_types_of_risk(cv1::TYPE_OF_RISK_FINANCIAL_OR_MATERIAL_ABUSE);
    details->add_types_of_risk(cv1::TYPE_OF_RISK_PSYCHOLOGICAL_ABUSE);
    details->set_location_of_risk(cv1::LOCATION_OF_RISK_OWN_HOME);
    details->set_immediate_risk(immediate_risk);
    details->set_local_authority_code("E06000023");
    Append(domain::ConcernStream(id), e);
  }
  void Triage(const std::string& id, absl::Time at, cv1::RagRating rating, absl::Time due) {
    ev1::Event e = At(at);
    e.mutable_concern_triaged()->set_rating(rating);
    *e.mutable_concern_triaged()->mutable_decision_due_at() = Ts(due);
    Append(domain::ConcernStream(id), e);
  }
  void Request(const std::string& concern, const std::string& request, absl::Time at,
               const std::string& agency, absl::Time due) {
    ev1::Event e = At(at);
    e.mutable_research_requested()->set_request_id(request);
    e.mutable_research_requested()->set_agency_id(agency);
    e.mutable_research_requested()->set_questions("what do you hold?");
    *e.mutable_research_requested()->mutable_due_at() = Ts(due);
    Append(domain::ConcernStream(concern), e);
  }
  void Answer(const std::string& concern, const std::string& request, absl::Time at,
              const std::string& agency) {
    ev1::Event e = At(at, agency);
    e.mutable_research_answered()->set_request_id(request);
    e.mutable_research_answered()->set_agency_id(agency);
    e.mutable_research_answered()->set_nothing_known(true);
    Append(domain::ConcernStream(concern), e);
  }
  void Decide(const std::string& concern, absl::Time at) {
    ev1::Event e = At(at);
    e.mutable_threshold_decision_made()->set_route(cv1::THRESHOLD_ROUTE_NO_FURTHER_ACTION);
    e.mutable_threshold_decision_made()->set_rationale("no care and support needs");
    Append(domain::ConcernStream(concern), e);
  }

  // ---- enquiry-<id> ----
  void Open(const std::string& enquiry, const std::string& concern, absl::Time at) {
    ev1::Event e = At(at);
    e.mutable_enquiry_opened()->set_enquiry_id(enquiry);
    e.mutable_enquiry_opened()->set_concern_id(concern);
    e.mutable_enquiry_opened()->set_type(cv1::ENQUIRY_TYPE_SECTION_42);
    Append(domain::EnquiryStream(enquiry), e);
  }
  void OnEnquiry(const std::string& enquiry, const ev1::Event& e) {
    Append(domain::EnquiryStream(enquiry), e);
  }
  void Difficulty(const std::string& enquiry, absl::Time at, bool understanding) {
    ev1::Event e = At(at);
    e.mutable_substantial_difficulty_assessed()->set_understanding(understanding);
    OnEnquiry(enquiry, e);
  }
  void Close(const std::string& enquiry, absl::Time at) {
    ev1::Event e = At(at);
    e.mutable_enquiry_closed()->set_reason(cv1::CLOSURE_REASON_OUTCOMES_MET);
    OnEnquiry(enquiry, e);
  }

 private:
  WorklistsProjection projection_;
};

std::vector<std::string> ConcernIds(const std::vector<vv1::MashQueueItem>& items) {
  std::vector<std::string> out;
  for (const auto& i : items) out.push_back(i.concern_id());
  return out;
}

std::vector<std::string> Overdue(const std::vector<vv1::MashQueueItem>& items) {
  std::vector<std::string> out;
  for (const auto& i : items) {
    if (i.overdue()) out.push_back(i.concern_id());
  }
  return out;
}

template <typename Item>
std::vector<std::string> ItemIds(const std::vector<Item>& items) {
  std::vector<std::string> out;
  for (const auto& i : items) {
    if constexpr (std::is_same_v<Item, vv1::ResearchRequestItem>) {
      out.push_back(absl::StrCat(i.request_id(), i.overdue() ? "!" : ""));
    } else {
      out.push_back(absl::StrCat(i.item_id(), i.overdue() ? "!" : ""));
    }
  }
  return out;
}

TEST(WorklistsTest, MashQueueInWorkingOrderWithOverdueFlags) {
  Hub hub;
  const absl::Duration m = absl::Minutes(1), h = absl::Hours(1);
  hub.Raise("c-untriaged-old", kT0);
  hub.Raise("c-immediate-late", kT0 + 20 * m, /*immediate_risk=*/true);
  hub.Raise("c-immediate-early", kT0 + 5 * m, /*immediate_risk=*/true);
  hub.Raise("c-untriaged-new", kT0 + 10 * m);
  hub.Raise("c-red-late", kT0 + 1 * m);
  hub.Triage("c-red-late", kT0 + 2 * m, cv1::RAG_RATING_RED, kT0 + 4 * h);
  hub.Raise("c-red-early", kT0 + 3 * m);
  hub.Triage("c-red-early", kT0 + 4 * m, cv1::RAG_RATING_RED, kT0 + 1 * h);
  // Due before both reds, but amber comes after red.
  hub.Raise("c-amber", kT0 + 6 * m);
  hub.Triage("c-amber", kT0 + 7 * m, cv1::RAG_RATING_AMBER, kT0 + 30 * m);
  // Immediate risk, but triaged green: it is worked as green.
  hub.Raise("c-green", kT0 + 8 * m, /*immediate_risk=*/true);
  hub.Triage("c-green", kT0 + 9 * m, cv1::RAG_RATING_GREEN, kT0 + 72 * h);
  hub.Raise("c-decided", kT0 + 11 * m);
  hub.Triage("c-decided", kT0 + 12 * m, cv1::RAG_RATING_RED, kT0 + 1 * h);
  hub.Decide("c-decided", kT0 + 50 * m);
  // Two research requests on c-red-late, one answered.
  hub.Request("c-red-late", "r1", kT0 + 13 * m, "police", kT0 + 2 * h);
  hub.Request("c-red-late", "r2", kT0 + 14 * m, "health", kT0 + 2 * h);
  hub.Answer("c-red-late", "r1", kT0 + 15 * m, "police");
  hub.Fold();

  auto queue = ListMashQueue(hub.store(), kT0 + 2 * h);
  HUB_ASSERT_OK(queue);
  EXPECT_THAT(ConcernIds(*queue),
              ElementsAre("c-immediate-early", "c-immediate-late", "c-red-early", "c-red-late",
                          "c-amber", "c-green", "c-untriaged-old", "c-untriaged-new"));
  // At T0+2h: red-early (due T0+1h) and amber (due T0+30m) are past their deadlines.
  EXPECT_THAT(Overdue(*queue), ElementsAre("c-red-early", "c-amber"));
  // Before any deadline nothing is overdue; long after, every triaged concern is.
  EXPECT_THAT(Overdue(*ListMashQueue(hub.store(), kT0 + 10 * m)), IsEmpty());
  EXPECT_THAT(Overdue(*ListMashQueue(hub.store(), kT0 + 100 * h)),
              ElementsAre("c-red-early", "c-red-late", "c-amber", "c-green"));

  const vv1::MashQueueItem& red_late = (*queue)[3];
  EXPECT_EQ(red_late.person_id(), "p-c-red-late");
  EXPECT_EQ(red_late.episode(), 2);
  EXPECT_EQ(domain::FromTimestamp(red_late.raised_at()), kT0 + 1 * m);
  EXPECT_EQ(red_late.raised_by_agency_id(), "police");
  EXPECT_THAT(red_late.types_of_risk(), ElementsAre(cv1::TYPE_OF_RISK_FINANCIAL_OR_MATERIAL_ABUSE,
                                                    cv1::TYPE_OF_RISK_PSYCHOLOGICAL_ABUSE));
  EXPECT_EQ(red_late.location_of_risk(), cv1::LOCATION_OF_RISK_OWN_HOME);
  EXPECT_FALSE(red_late.immediate_risk());
  EXPECT_EQ(red_late.rating(), cv1::RAG_RATING_RED);
  EXPECT_EQ(domain::FromTimestamp(red_late.decision_due_at()), kT0 + 4 * h);
  EXPECT_EQ(red_late.research_outstanding(), 1);
  EXPECT_EQ(red_late.local_authority_code(), "E06000023");
  EXPECT_EQ((*queue)[0].rating(), cv1::RAG_RATING_UNSPECIFIED);
  EXPECT_FALSE((*queue)[0].has_decision_due_at());
}

// One damaged entry (a disk fault, a bug) leaves the rest of the queue working: it is left out
// and counted for the operators, and a rebuild writes it again.
TEST(WorklistsTest, AnUnreadableEntryIsLeftOutOfTheQueueCountedAndRebuilt) {
  Hub hub;
  hub.Raise("c-1", kT0);
  hub.Raise("c-2", kT0 + absl::Minutes(1));
  hub.Fold();
  const int64_t before = UnreadableEntries(WorklistsProjection::kName);
  eventstore::KvBatch damage;
  damage.Put(DataKey(WorklistsProjection::kName, "mash/c-1"), std::string("\xff\xff\x01", 3));
  HUB_ASSERT_OK(hub.store().Write(damage));

  auto queue = ListMashQueue(hub.store(), kT0 + absl::Hours(1));
  HUB_ASSERT_OK(queue);
  ASSERT_EQ(queue->size(), 1u);
  EXPECT_EQ((*queue)[0].concern_id(), "c-2");
  EXPECT_EQ(UnreadableEntries(WorklistsProjection::kName), before + 1);

  WorklistsProjection rebuilt;
  HUB_ASSERT_OK(CatchUp(hub.log(), hub.store(), rebuilt, /*from_scratch=*/true));
  queue = ListMashQueue(hub.store(), kT0 + absl::Hours(1));
  HUB_ASSERT_OK(queue);
  EXPECT_EQ(queue->size(), 2u);
}

// A record whose stream name the log would never accept (damaged on disk) is quarantined at
// the fold, not written as a queue entry that cannot be read back.
TEST(WorklistsTest, ARecordOnADamagedStreamNameIsQuarantinedNotQueued) {
  Hub hub;
  hub.Raise("c-1", kT0);
  hub.Fold();
  // The log refuses such a name on append, so the damaged record is handed to the fold as a
  // read from a damaged disk would hand it.
  ev1::Event raised = Hub::At(kT0);
  raised.mutable_concern_raised()->set_person_id("p-x");
  eventstore::RecordedEvent damaged;
  damaged.type = "ConcernRaised";
  damaged.payload = raised.SerializeAsString();
  damaged.stream = std::string("concern-\xc3\x28", 10);  // not UTF-8
  damaged.position = GlobalPosition(1);
  WorklistsProjection projection;
  FoldOutcome outcome;
  HUB_ASSERT_OK(FoldRecords(hub.store(), projection, {damaged}, 2, outcome));
  ASSERT_EQ(outcome.quarantined.size(), 1u);
  EXPECT_EQ(outcome.quarantined[0].position, 1);
  EXPECT_EQ(outcome.quarantined[0].stream, "concern-\\xc3(");
  EXPECT_THAT(outcome.quarantined[0].reason, ::testing::HasSubstr("would never accept"));
  auto queue = ListMashQueue(hub.store(), kT0 + absl::Hours(1));
  HUB_ASSERT_OK(queue);
  ASSERT_EQ(queue->size(), 1u);
  EXPECT_EQ((*queue)[0].concern_id(), "c-1");
}

TEST(WorklistsTest, ResearchRequestsByAgencyDueFirstUntilAnswered) {
  Hub hub;
  const absl::Duration m = absl::Minutes(1), h = absl::Hours(1);
  hub.Raise("c1", kT0);
  hub.Triage("c1", kT0 + 1 * m, cv1::RAG_RATING_AMBER, kT0 + 24 * h);
  hub.Raise("c2", kT0 + 2 * m);
  hub.Triage("c2", kT0 + 3 * m, cv1::RAG_RATING_GREEN, kT0 + 72 * h);
  hub.Request("c1", "r1", kT0 + 4 * m, "police", kT0 + 3 * h);
  hub.Request("c1", "r2", kT0 + 5 * m, "police", kT0 + 1 * h);
  hub.Request("c1", "r3", kT0 + 6 * m, "health", kT0 + 2 * h);
  hub.Request("c2", "r4", kT0 + 7 * m, "police", kT0 + 2 * h);
  hub.Fold();

  const absl::Time now = kT0 + 90 * m;
  auto police = ListResearchRequests(hub.store(), "police", now);
  HUB_ASSERT_OK(police);
  EXPECT_THAT(ItemIds(*police), ElementsAre("r2!", "r4", "r1"));
  EXPECT_EQ((*police)[0].agency_id(), "police");
  EXPECT_EQ((*police)[0].concern_id(), "c1");
  EXPECT_EQ((*police)[0].rating(), cv1::RAG_RATING_AMBER);
  EXPECT_EQ((*police)[1].rating(), cv1::RAG_RATING_GREEN);
  EXPECT_EQ(domain::FromTimestamp((*police)[0].requested_at()), kT0 + 5 * m);
  EXPECT_EQ(domain::FromTimestamp((*police)[0].due_at()), kT0 + 1 * h);
  EXPECT_THAT(ItemIds(*ListResearchRequests(hub.store(), "health", now)), ElementsAre("r3"));
  EXPECT_THAT(ItemIds(*ListResearchRequests(hub.store(), "probation", now)), IsEmpty());

  // Answered leaves; a re-rating reaches the requests; the decision empties the MASH queue but
  // not the partners' outstanding requests.
  hub.Answer("c1", "r2", kT0 + 100 * m, "police");
  hub.Triage("c1", kT0 + 101 * m, cv1::RAG_RATING_RED, kT0 + 5 * h);
  hub.Decide("c1", kT0 + 102 * m);
  hub.Fold();
  police = ListResearchRequests(hub.store(), "police", now);
  HUB_ASSERT_OK(police);
  EXPECT_THAT(ItemIds(*police), ElementsAre("r4", "r1"));
  EXPECT_EQ((*police)[1].rating(), cv1::RAG_RATING_RED);
  EXPECT_THAT(ConcernIds(*ListMashQueue(hub.store(), now)), ElementsAre("c2"));
  EXPECT_THAT(ItemIds(*ListResearchRequests(hub.store(), "health", now)), ElementsAre("r3"));

  // Once the decided concern has nothing outstanding, nothing of it is kept.
  hub.Answer("c1", "r1", kT0 + 110 * m, "police");
  hub.Answer("c1", "r3", kT0 + 111 * m, "health");
  hub.Fold();
  EXPECT_THAT(ItemIds(*ListResearchRequests(hub.store(), "police", now)), ElementsAre("r4"));
  EXPECT_THAT(ItemIds(*ListResearchRequests(hub.store(), "health", now)), IsEmpty());
  auto kept = hub.store().Get(DataKey("worklists", "concern/c1"));
  HUB_ASSERT_OK(kept);
  EXPECT_FALSE(kept->has_value());
}

TEST(WorklistsTest, ActionsAssignedCompletedReplacedAndClosed) {
  Hub hub;
  const absl::Duration d = absl::Hours(24);
  hub.Open("e1", "c1", kT0);
  hub.Open("e2", "c2", kT0);
  ev1::Event strategy = Hub::At(kT0 + absl::Hours(1));
  auto* s = strategy.mutable_strategy_discussion_recorded();
  s->set_discussion_id("sd1");
  auto add_action = [&](const std::string& id, const std::string& owner, absl::Duration due) {
    cv1::AgreedAction* a = s->add_actions();
    a->set_action_id(id);
    a->set_description("visit with the district nurse");
    a->set_owner_agency_id(owner);
    a->set_owner_name("PC Jones");
    *a->mutable_due_at() = Ts(kT0 + due);
  };
  add_action("a1", "police", 5 * d);
  add_action("a2", "health", 1 * d);
  add_action("a3", "police", 1 * d);
  hub.OnEnquiry("e1", strategy);
  ev1::Event plan = Hub::At(kT0 + absl::Hours(2));
  auto add_item = [&](ev1::Event& e, const std::string& id, const std::string& agency,
                      absl::Duration by) {
    cv1::PlanItem* item = e.mutable_protection_plan_recorded()->add_items();
    item->set_item_id(id);
    item->set_risk("financial abuse by nephew");
    item->set_action("bank to flag the account");
    item->set_by_whom(agency.empty() ? "the adult's daughter" : "duty officer");
    item->set_by_agency_id(agency);
    *item->mutable_by_when() = Ts(kT0 + by);
  };
  add_item(plan, "p1", "police", 3 * d);
  add_item(plan, "p2", "", 2 * d);  // owned by family, not an agency: on no worklist
  hub.OnEnquiry("e1", plan);
  ev1::Event other = Hub::At(kT0 + absl::Hours(3));
  add_item(other, "q1", "police", 20 * d);
  hub.OnEnquiry("e2", other);
  hub.Fold();

  const absl::Time now = kT0 + 2 * d;
  auto police = ListActions(hub.store(), "police", now);
  HUB_ASSERT_OK(police);
  EXPECT_THAT(ItemIds(*police), ElementsAre("a3!", "p1", "a1", "q1"));
  EXPECT_EQ((*police)[0].kind(), vv1::ACTION_KIND_AGREED_ACTION);
  EXPECT_EQ((*police)[1].kind(), vv1::ACTION_KIND_PLAN_ITEM);
  EXPECT_EQ((*police)[0].enquiry_id(), "e1");
  EXPECT_EQ((*police)[0].concern_id(), "c1");
  EXPECT_EQ((*police)[0].agency_id(), "police");
  EXPECT_EQ(domain::FromTimestamp((*police)[1].due_at()), kT0 + 3 * d);
  EXPECT_THAT(ItemIds(*ListActions(hub.store(), "health", now)), ElementsAre("a2!"));

  // Completed agreed actions leave; a new plan replaces the old plan's items.
  ev1::Event done = Hub::At(kT0 + 2 * d, "police");
  done.mutable_action_completed()->set_action_id("a3");
  hub.OnEnquiry("e1", done);
  ev1::Event replan = Hub::At(kT0 + 2 * d);
  add_item(replan, "p3", "police", 10 * d);
  hub.OnEnquiry("e1", replan);
  hub.Fold();
  EXPECT_THAT(ItemIds(*ListActions(hub.store(), "police", now)), ElementsAre("a1", "p3", "q1"));

  // Closing the enquiry takes every action and plan item of it off every list.
  hub.Close("e1", kT0 + 3 * d);
  hub.Fold();
  EXPECT_THAT(ItemIds(*ListActions(hub.store(), "police", now)), ElementsAre("q1"));
  EXPECT_THAT(ItemIds(*ListActions(hub.store(), "health", now)), IsEmpty());
}

TEST(WorklistsTest, AwaitingAdvocacyWhileTheDutyAppliesAndNoAdvocateIsAllocated) {
  Hub hub;
  const absl::Duration h = absl::Hours(1);
  auto awaiting = [&] {
    hub.Fold();
    auto items = ListAwaitingAdvocacy(hub.store());
    EXPECT_TRUE(items.ok()) << items.status();
    return items.ok() ? *items : std::vector<vv1::AwaitingAdvocacyItem>{};
  };
  auto ids = [](const std::vector<vv1::AwaitingAdvocacyItem>& items) {
    std::vector<std::string> out;
    for (const auto& i : items) out.push_back(i.enquiry_id());
    return out;
  };
  auto referral_event = [&](absl::Time at, const std::string& agency) {
    return Hub::At(at, agency);
  };

  hub.Open("e1", "c1", kT0);
  hub.Open("e2", "c2", kT0);
  hub.Open("e3", "c3", kT0);
  hub.Open("e4", "c4", kT0);
  // No substantial difficulty: no duty.
  hub.Difficulty("e4", kT0 + 1 * h, /*understanding=*/false);
  EXPECT_THAT(ids(awaiting()), IsEmpty());

  // e1: difficulty and no appropriate individual assessed -> the duty applies.
  hub.Difficulty("e1", kT0 + 2 * h, true);
  auto items = awaiting();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].enquiry_id(), "e1");
  EXPECT_EQ(items[0].concern_id(), "c1");
  EXPECT_EQ(domain::FromTimestamp(items[0].since()), kT0 + 2 * h);
  EXPECT_FALSE(items[0].referral_outstanding());
  EXPECT_EQ(items[0].provider_agency_id(), "");

  // Referred: outstanding with the provider; declined: not; referred again, then accepted.
  ev1::Event referred = referral_event(kT0 + 3 * h, "mash-la");
  referred.mutable_advocacy_referred()->set_referral_id("ref1");
  referred.mutable_advocacy_referred()->set_provider_agency_id("advocacy-one");
  hub.OnEnquiry("e1", referred);
  items = awaiting();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_TRUE(items[0].referral_outstanding());
  EXPECT_EQ(items[0].provider_agency_id(), "advocacy-one");
  EXPECT_EQ(domain::FromTimestamp(items[0].since()), kT0 + 2 * h);

  ev1::Event declined = referral_event(kT0 + 4 * h, "advocacy-one");
  declined.mutable_advocacy_referral_declined()->set_referral_id("ref1");
  declined.mutable_advocacy_referral_declined()->set_reason("no capacity this month");
  hub.OnEnquiry("e1", declined);
  items = awaiting();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_FALSE(items[0].referral_outstanding());
  EXPECT_EQ(items[0].provider_agency_id(), "");

  ev1::Event again = referral_event(kT0 + 5 * h, "mash-la");
  again.mutable_advocacy_referred()->set_referral_id("ref2");
  again.mutable_advocacy_referred()->set_provider_agency_id("advocacy-two");
  hub.OnEnquiry("e1", again);
  ev1::Event accepted = referral_event(kT0 + 6 * h, "advocacy-two");
  accepted.mutable_advocacy_referral_accepted()->set_referral_id("ref2");
  hub.OnEnquiry("e1", accepted);
  items = awaiting();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_FALSE(items[0].referral_outstanding());
  EXPECT_EQ(items[0].provider_agency_id(), "advocacy-two");

  // e2: an appropriate individual qualifies -> no duty; an exception then applies -> duty.
  hub.Difficulty("e2", kT0 + 7 * h, true);
  ev1::Event individual = Hub::At(kT0 + 7 * h);
  auto* ai = individual.mutable_appropriate_individual_assessed();
  ai->set_exists(true);
  ai->set_name("Mary Smith");
  ai->set_unpaid(true);
  ai->set_not_source_of_risk(true);
  ai->set_adult_consents(true);
  hub.OnEnquiry("e2", individual);
  EXPECT_THAT(ids(awaiting()), ElementsAre("e1"));
  ev1::Event exceptions = Hub::At(kT0 + 8 * h);
  exceptions.mutable_advocacy_exceptions_recorded()->set_hospital_28_days_or_more(true);
  hub.OnEnquiry("e2", exceptions);
  // e3 waits too, until it is closed.
  hub.Difficulty("e3", kT0 + 9 * h, true);
  items = awaiting();
  EXPECT_THAT(ids(items), ElementsAre("e1", "e2", "e3"));  // longest waiting first
  // e2's duty arose for a moment at 7h (difficulty before the individual was assessed), ceased,
  // and arose again with the exception at 8h: it is awaited from 8h.
  EXPECT_EQ(domain::FromTimestamp(items[1].since()), kT0 + 8 * h);

  // An advocate allocated on e1: it leaves. e3 closed: it leaves.
  ev1::Event allocated = referral_event(kT0 + 10 * h, "advocacy-two");
  allocated.mutable_advocate_allocated()->set_referral_id("ref2");
  allocated.mutable_advocate_allocated()->set_advocate_name("Sam Advocate");
  hub.OnEnquiry("e1", allocated);
  hub.Close("e3", kT0 + 10 * h);
  EXPECT_THAT(ids(awaiting()), ElementsAre("e2"));
}

// Worklists name no one: every string is an id or an ONS code, and nothing holds the adult's
// details, a referrer or free text.
TEST(WorklistsTest, WorklistMessagesCarryNoPersonalData) {
  const google::protobuf::FileDescriptor* file = vv1::MashQueueItem::descriptor()->file();
  for (int d = 0; d < file->dependency_count(); ++d) {
    EXPECT_NE(file->dependency(d)->name(), "hub/common/v1/values.proto")
        << "AdultDetails, Referrer and the other personal values live there";
  }
  ASSERT_GE(file->message_type_count(), 4);
  for (int i = 0; i < file->message_type_count(); ++i) {
    const google::protobuf::Descriptor* message = file->message_type(i);
    for (int f = 0; f < message->field_count(); ++f) {
      const google::protobuf::FieldDescriptor* field = message->field(f);
      SCOPED_TRACE(field->full_name());
      if (field->type() == google::protobuf::FieldDescriptor::TYPE_STRING ||
          field->type() == google::protobuf::FieldDescriptor::TYPE_BYTES) {
        EXPECT_TRUE(absl::EndsWith(field->name(), "_id") || absl::EndsWith(field->name(), "_code"));
      } else if (field->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE) {
        EXPECT_TRUE(field->message_type()->full_name() == "google.protobuf.Timestamp" ||
                    field->message_type()->file() == file);
      }
    }
  }
  // And the narrative and name given when raising do not reach the stored entries.
  Hub hub;
  hub.Raise("c1", kT0);
  hub.Request("c1", "r1", kT0, "police", kT0 + absl::Hours(1));
  hub.Fold();
  HUB_ASSERT_OK(hub.store().Scan("p/worklists/", eventstore::PrefixEnd("p/worklists/"),
                                 [](std::string_view key, std::string_view value) {
                                   EXPECT_EQ(value.find("Smith"), std::string_view::npos) << key;
                                   EXPECT_EQ(value.find("narrative"), std::string_view::npos)
                                       << key;
                                   return true;
                                 }));
}

void AppendMixedDay(Hub& hub) {
  const absl::Duration m = absl::Minutes(1), h = absl::Hours(1);
  for (int i = 0; i < 12; ++i) {
    const std::string c = absl::StrCat("c", i);
    hub.Raise(c, kT0 + i * m, i % 4 == 0);
    if (i % 3 != 0) hub.Triage(c, kT0 + (i + 1) * m, cv1::RAG_RATING_AMBER, kT0 + (24 + i) * h);
    if (i % 3 != 0) hub.Request(c, absl::StrCat("r", i), kT0 + (i + 2) * m, "police", kT0 + 2 * h);
    if (i % 2 == 0 && i % 3 != 0) hub.Answer(c, absl::StrCat("r", i), kT0 + 3 * h, "police");
    if (i % 5 == 1) hub.Decide(c, kT0 + 4 * h);
    if (i % 5 == 1) {
      const std::string e = absl::StrCat("e", i);
      hub.Open(e, c, kT0 + 4 * h);
      hub.Difficulty(e, kT0 + 5 * h, true);
      ev1::Event strategy = Hub::At(kT0 + 6 * h);
      cv1::AgreedAction* a = strategy.mutable_strategy_discussion_recorded()->add_actions();
      a->set_action_id(absl::StrCat("a", i));
      a->set_owner_agency_id("health");
      *a->mutable_due_at() = Ts(kT0 + 48 * h);
      hub.OnEnquiry(e, strategy);
      if (i == 1) hub.Close(e, kT0 + 7 * h);
    }
  }
}

// Entries are a function of the records, not of where batches end.
TEST(WorklistsTest, SameReadModelWhateverTheBatchBoundaries) {
  Hub one_by_one;
  Hub all_at_once;
  AppendMixedDay(one_by_one);
  AppendMixedDay(all_at_once);
  one_by_one.Fold(/*batch_size=*/1);
  all_at_once.Fold(/*batch_size=*/1000);
  auto a = Digest(one_by_one.store(), "worklists");
  auto b = Digest(all_at_once.store(), "worklists");
  HUB_ASSERT_OK(a);
  HUB_ASSERT_OK(b);
  EXPECT_EQ(*a, *b);
  auto queue = ListMashQueue(all_at_once.store(), kT0);
  HUB_ASSERT_OK(queue);
  EXPECT_EQ(queue->size(), 9u);  // 12 raised, c1, c6 and c11 decided
  EXPECT_EQ(ListAwaitingAdvocacy(all_at_once.store())->size(), 2u);  // e6, e11 (e1 closed)
}

// A batch that failed (no Flush) is folded again from its checkpoint: what the failed attempt
// cached must not count twice.
TEST(WorklistsTest, ABatchFoldedAgainAfterAFailureCountsOnce) {
  testing::TempDir dir;
  auto store = eventstore::OpenRocksDbKvStore(dir.Sub("kv"), {});
  HUB_ASSERT_OK(store);
  WorklistsProjection projection;
  auto record = [](int64_t position, const std::string& stream) {
    eventstore::RecordedEvent r;
    r.position = GlobalPosition(position);
    r.stream = stream;
    return r;
  };
  ev1::Event raised = Hub::At(kT0);
  raised.mutable_concern_raised()->set_concern_id("c1");
  ev1::Event requested = Hub::At(kT0);
  requested.mutable_research_requested()->set_request_id("r1");
  requested.mutable_research_requested()->set_agency_id("police");
  auto commit = [&](Txn& txn) {
    HUB_ASSERT_OK(projection.Flush(txn));
    eventstore::KvBatch batch;
    txn.CommitTo(batch);
    HUB_ASSERT_OK((*store)->Write(batch));
  };
  {
    Txn txn(**store, "worklists");
    HUB_ASSERT_OK(projection.Apply(record(0, "concern-c1"), raised, txn));
    commit(txn);
  }
  {
    Txn failed(**store, "worklists");  // the batch fails after this event: never flushed
    HUB_ASSERT_OK(projection.Apply(record(1, "concern-c1"), requested, failed));
  }
  {
    Txn txn(**store, "worklists");
    HUB_ASSERT_OK(projection.Apply(record(1, "concern-c1"), requested, txn));
    commit(txn);
  }
  auto queue = ListMashQueue(**store, kT0);
  HUB_ASSERT_OK(queue);
  ASSERT_EQ(queue->size(), 1u);
  EXPECT_EQ((*queue)[0].research_outstanding(), 1);
}

}  // namespace
}  // namespace hub::projections
