#include "projections/worklists/worklists.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "domain/common/envelope.h"
#include "domain/common/streams.h"
#include "domain/enquiry/advocacy.h"

namespace hub::projections {
namespace {

namespace cv1 = ::hub::common::v1;
namespace ev1 = ::hub::events::v1;
namespace vv1 = ::hub::views::v1;
using eventstore::KvStore;

// A list entry: relative key and serialised value.
using Entries = std::vector<std::pair<std::string, std::string>>;

std::string ConcernKey(const std::string& id) { return absl::StrCat("concern/", id); }
std::string EnquiryKey(const std::string& id) { return absl::StrCat("enquiry/", id); }
std::string MashKey(const std::string& concern_id) { return absl::StrCat("mash/", concern_id); }
std::string ResearchPrefix(const std::string& agency_id) {
  return absl::StrCat("research/", agency_id, "/");
}
std::string ActionPrefix(const std::string& agency_id) {
  return absl::StrCat("action/", agency_id, "/");
}
constexpr char kAdvocacyPrefix[] = "advocacy/";

std::string ActionKey(const vv1::AgencyActionItem& a) {
  // The kind keeps an action id and a plan item id apart even if they were ever equal.
  return absl::StrCat(ActionPrefix(a.agency_id()), a.enquiry_id(), "/",
                      a.kind() == vv1::ACTION_KIND_PLAN_ITEM ? "plan" : "agreed", "/", a.item_id());
}

absl::Time T(const google::protobuf::Timestamp& t) { return domain::FromTimestamp(t); }

// ---- the lists, as a function of the bookkeeping records ----

Entries ListEntries(const vv1::WorklistConcern& concern) {
  Entries out;
  if (!concern.decided()) {
    vv1::MashQueueItem item = concern.item();
    item.set_research_outstanding(concern.outstanding_research_size());
    out.emplace_back(MashKey(item.concern_id()), SerializeDeterministic(item));
  }
  for (const vv1::ResearchRequestItem& request : concern.outstanding_research()) {
    vv1::ResearchRequestItem item = request;
    item.set_rating(concern.item().rating());
    out.emplace_back(
        absl::StrCat(ResearchPrefix(item.agency_id()), item.concern_id(), "/", item.request_id()),
        SerializeDeterministic(item));
  }
  return out;
}

bool AdvocateAllocated(const vv1::WorklistAdvocacy& advocacy) {
  for (const vv1::WorklistReferral& r : advocacy.referrals()) {
    if (r.status() == vv1::REFERRAL_STATUS_ACCEPTED && r.allocated()) return true;
  }
  return false;
}

Entries ListEntries(const vv1::WorklistEnquiry& enquiry) {
  Entries out;
  for (const vv1::AgencyActionItem& action : enquiry.actions()) {
    out.emplace_back(ActionKey(action), SerializeDeterministic(action));
  }
  const vv1::WorklistAdvocacy& advocacy = enquiry.advocacy();
  // Awaiting an advocate: once one is allocated, what remains (the advocate's views) is the
  // advocate's to do, and the enquiry's conclusion check enforces it.
  if (advocacy.duty_applies() && !AdvocateAllocated(advocacy)) {
    vv1::AwaitingAdvocacyItem item;
    item.set_enquiry_id(enquiry.enquiry_id());
    item.set_concern_id(enquiry.concern_id());
    *item.mutable_since() = advocacy.duty_since();
    for (const vv1::WorklistReferral& r : advocacy.referrals()) {
      if (r.status() == vv1::REFERRAL_STATUS_DECLINED) continue;
      item.set_provider_agency_id(r.provider_agency_id());
      item.set_referral_outstanding(r.status() == vv1::REFERRAL_STATUS_PENDING);
    }
    out.emplace_back(absl::StrCat(kAdvocacyPrefix, enquiry.enquiry_id()),
                     SerializeDeterministic(item));
  }
  return out;
}

// Loads a record once per batch, remembering the list keys it had.
template <typename Cached>
absl::StatusOr<Cached*> Load(absl::flat_hash_map<std::string, Cached>& cache, Txn& txn,
                             const std::string& key) {
  auto it = cache.find(key);
  if (it != cache.end()) return &it->second;
  Cached loaded;
  HUB_ASSIGN_OR_RETURN(loaded.exists, txn.GetMessage(key, &loaded.record));
  if (loaded.exists) {
    for (auto& entry : ListEntries(loaded.record)) loaded.loaded_keys.push_back(entry.first);
  }
  return &cache.emplace(key, std::move(loaded)).first->second;
}

// Writes a touched record and its list entries; deletes the entries it no longer has.
template <typename Cached>
void WriteBack(const std::string& key, const Cached& cached, Txn& txn) {
  Entries entries;
  if (cached.exists) entries = ListEntries(cached.record);
  absl::flat_hash_set<std::string> now;
  for (const auto& entry : entries) now.insert(entry.first);
  for (const std::string& old : cached.loaded_keys) {
    if (!now.contains(old)) txn.Delete(old);
  }
  for (auto& [entry_key, value] : entries) txn.Put(entry_key, std::move(value));
  if (cached.exists) {
    txn.PutMessage(key, cached.record);
  } else {
    txn.Delete(key);
  }
}

// The s68 duty by the domain's rule, from the facts kept here.
bool DutyApplies(const vv1::WorklistAdvocacy& advocacy) {
  domain::enquiry::AdvocacyFacts facts;
  facts.substantial_difficulty = advocacy.substantial_difficulty();
  facts.appropriate_individual_found = advocacy.appropriate_individual_found();
  facts.exception_applies = advocacy.exception_applies();
  for (const vv1::WorklistReferral& r : advocacy.referrals()) {
    if (r.status() == vv1::REFERRAL_STATUS_ACCEPTED && r.allocated() && r.views_recorded()) {
      facts.advocate_allocated_with_views = true;
    }
  }
  return domain::enquiry::ComputeAdvocacyDuty(facts).applies;
}

vv1::WorklistReferral* FindReferral(vv1::WorklistAdvocacy& advocacy, const std::string& id) {
  for (vv1::WorklistReferral& r : *advocacy.mutable_referrals()) {
    if (r.referral_id() == id) return &r;
  }
  return nullptr;
}

// Keeps the entries of `items` for which `keep` is true, in order.
template <typename Message, typename Keep>
void Retain(google::protobuf::RepeatedPtrField<Message>* items, Keep keep) {
  google::protobuf::RepeatedPtrField<Message> kept;
  for (Message& m : *items) {
    if (keep(m)) *kept.Add() = std::move(m);
  }
  items->Swap(&kept);
}

}  // namespace

// ---- WorklistsProjection ----

void WorklistsProjection::ClearCache() {
  concerns_.clear();
  enquiries_.clear();
}

void WorklistsProjection::Reset() {
  ClearCache();
  last_position_ = -1;
}

absl::StatusOr<WorklistsProjection::Cached<vv1::WorklistConcern>*> WorklistsProjection::Concern(
    Txn& txn, const std::string& id) {
  return Load(concerns_, txn, ConcernKey(id));
}

absl::StatusOr<WorklistsProjection::Cached<vv1::WorklistEnquiry>*> WorklistsProjection::Enquiry(
    Txn& txn, const std::string& id) {
  return Load(enquiries_, txn, EnquiryKey(id));
}

absl::Status WorklistsProjection::Apply(const eventstore::RecordedEvent& record,
                                        const ev1::Event& event, Txn& txn) {
  const int64_t position = record.position.value();
  if (position <= last_position_) ClearCache();
  last_position_ = position;
  absl::Status status;
  if (std::string concern_id = domain::ConcernIdOf(record.stream); !concern_id.empty()) {
    status = ApplyConcernEvent(concern_id, event, txn);
  } else if (std::string enquiry_id = domain::EnquiryIdOf(record.stream);
             !enquiry_id.empty()) {
    status = ApplyEnquiryEvent(enquiry_id, event, txn);
  }
  // The engine folds the batch again from its checkpoint: nothing cached may survive.
  if (!status.ok()) ClearCache();
  return status;
}

absl::Status WorklistsProjection::ApplyConcernEvent(const std::string& concern_id,
                                                    const ev1::Event& event, Txn& txn) {
  switch (event.payload_case()) {
    case ev1::Event::kConcernRaised:
    case ev1::Event::kConcernTriaged:
    case ev1::Event::kResearchRequested:
    case ev1::Event::kResearchAnswered:
    case ev1::Event::kThresholdDecisionMade:
      break;
    default:
      return absl::OkStatus();
  }
  HUB_ASSIGN_OR_RETURN(Cached<vv1::WorklistConcern> * cached, Concern(txn, concern_id));
  vv1::WorklistConcern& concern = cached->record;
  if (event.has_concern_raised()) {
    const ev1::ConcernRaised& raised = event.concern_raised();
    concern.Clear();
    vv1::MashQueueItem* item = concern.mutable_item();
    item->set_concern_id(concern_id);
    item->set_person_id(raised.person_id());
    item->set_episode(raised.episode());
    *item->mutable_raised_at() = event.occurred_at();
    item->set_raised_by_agency_id(event.actor().agency_id());
    for (int type : raised.details().types_of_risk()) {
      item->add_types_of_risk(static_cast<cv1::TypeOfRisk>(type));
    }
    item->set_location_of_risk(raised.details().location_of_risk());
    item->set_immediate_risk(raised.details().immediate_risk());
    item->set_local_authority_code(raised.details().local_authority_code());
    cached->exists = true;
    cached->dirty = true;
    return absl::OkStatus();
  }
  // Gone from the worklists (decided, research answered): later events change nothing here.
  if (!cached->exists) return absl::OkStatus();
  cached->dirty = true;
  switch (event.payload_case()) {
    case ev1::Event::kConcernTriaged:
      concern.mutable_item()->set_rating(event.concern_triaged().rating());
      *concern.mutable_item()->mutable_decision_due_at() =
          event.concern_triaged().decision_due_at();
      break;
    case ev1::Event::kResearchRequested: {
      const ev1::ResearchRequested& requested = event.research_requested();
      vv1::ResearchRequestItem* item = concern.add_outstanding_research();
      item->set_agency_id(requested.agency_id());
      item->set_concern_id(concern_id);
      item->set_request_id(requested.request_id());
      *item->mutable_requested_at() = event.occurred_at();
      *item->mutable_due_at() = requested.due_at();
      break;
    }
    case ev1::Event::kResearchAnswered: {
      const std::string& id = event.research_answered().request_id();
      Retain(concern.mutable_outstanding_research(),
             [&](const vv1::ResearchRequestItem& r) { return r.request_id() != id; });
      break;
    }
    case ev1::Event::kThresholdDecisionMade:
      concern.set_decided(true);
      break;
    default:
      break;
  }
  // Research may be answered after the decision; the concern leaves when nothing is left.
  if (concern.decided() && concern.outstanding_research().empty()) cached->exists = false;
  return absl::OkStatus();
}

absl::Status WorklistsProjection::ApplyEnquiryEvent(const std::string& enquiry_id,
                                                    const ev1::Event& event, Txn& txn) {
  switch (event.payload_case()) {
    case ev1::Event::kEnquiryOpened:
    case ev1::Event::kStrategyDiscussionRecorded:
    case ev1::Event::kActionCompleted:
    case ev1::Event::kProtectionPlanRecorded:
    case ev1::Event::kEnquiryClosed:
    case ev1::Event::kSubstantialDifficultyAssessed:
    case ev1::Event::kAppropriateIndividualAssessed:
    case ev1::Event::kAdvocacyExceptionsRecorded:
    case ev1::Event::kAdvocacyReferred:
    case ev1::Event::kAdvocacyReferralAccepted:
    case ev1::Event::kAdvocacyReferralDeclined:
    case ev1::Event::kAdvocateAllocated:
    case ev1::Event::kAdvocateViewsRecorded:
      break;
    default:
      return absl::OkStatus();
  }
  HUB_ASSIGN_OR_RETURN(Cached<vv1::WorklistEnquiry> * cached, Enquiry(txn, enquiry_id));
  vv1::WorklistEnquiry& enquiry = cached->record;
  if (event.has_enquiry_opened()) {
    enquiry.Clear();
    enquiry.set_enquiry_id(enquiry_id);
    enquiry.set_concern_id(event.enquiry_opened().concern_id());
    cached->exists = true;
    cached->dirty = true;
    return absl::OkStatus();
  }
  if (!cached->exists) return absl::OkStatus();  // closed, or never opened
  cached->dirty = true;
  vv1::WorklistAdvocacy& advocacy = *enquiry.mutable_advocacy();
  switch (event.payload_case()) {
    case ev1::Event::kStrategyDiscussionRecorded:
      for (const cv1::AgreedAction& a : event.strategy_discussion_recorded().actions()) {
        // The domain requires an owner; an action without one belongs to no agency's list.
        if (a.owner_agency_id().empty()) continue;
        vv1::AgencyActionItem* item = enquiry.add_actions();
        item->set_agency_id(a.owner_agency_id());
        item->set_enquiry_id(enquiry_id);
        item->set_concern_id(enquiry.concern_id());
        item->set_item_id(a.action_id());
        item->set_kind(vv1::ACTION_KIND_AGREED_ACTION);
        *item->mutable_due_at() = a.due_at();
      }
      break;
    case ev1::Event::kActionCompleted: {
      const std::string& id = event.action_completed().action_id();
      Retain(enquiry.mutable_actions(), [&](const vv1::AgencyActionItem& a) {
        return a.kind() != vv1::ACTION_KIND_AGREED_ACTION || a.item_id() != id;
      });
      break;
    }
    case ev1::Event::kProtectionPlanRecorded: {
      // The latest plan replaces the one before it.
      Retain(enquiry.mutable_actions(),
             [](const vv1::AgencyActionItem& a) { return a.kind() != vv1::ACTION_KIND_PLAN_ITEM; });
      for (const cv1::PlanItem& p : event.protection_plan_recorded().items()) {
        // "By whom" may be the adult or family: only items an agency owns are worklist items.
        if (p.by_agency_id().empty()) continue;
        vv1::AgencyActionItem* item = enquiry.add_actions();
        item->set_agency_id(p.by_agency_id());
        item->set_enquiry_id(enquiry_id);
        item->set_concern_id(enquiry.concern_id());
        item->set_item_id(p.item_id());
        item->set_kind(vv1::ACTION_KIND_PLAN_ITEM);
        *item->mutable_due_at() = p.by_when();
      }
      break;
    }
    case ev1::Event::kEnquiryClosed:
      cached->exists = false;  // every entry of the enquiry leaves with it
      return absl::OkStatus();
    case ev1::Event::kSubstantialDifficultyAssessed: {
      const ev1::SubstantialDifficultyAssessed& d = event.substantial_difficulty_assessed();
      advocacy.set_substantial_difficulty(d.understanding() || d.retaining() ||
                                          d.using_or_weighing() || d.communicating());
      break;
    }
    case ev1::Event::kAppropriateIndividualAssessed:
      advocacy.set_appropriate_individual_found(
          domain::enquiry::IsAppropriateIndividual(event.appropriate_individual_assessed()));
      break;
    case ev1::Event::kAdvocacyExceptionsRecorded: {
      const ev1::AdvocacyExceptionsRecorded& e = event.advocacy_exceptions_recorded();
      advocacy.set_exception_applies(e.hospital_28_days_or_more() ||
                                     e.care_home_8_weeks_or_more() ||
                                     e.disagreement_with_appropriate_individual());
      break;
    }
    case ev1::Event::kAdvocacyReferred: {
      vv1::WorklistReferral* r = advocacy.add_referrals();
      r->set_referral_id(event.advocacy_referred().referral_id());
      r->set_provider_agency_id(event.advocacy_referred().provider_agency_id());
      r->set_status(vv1::REFERRAL_STATUS_PENDING);
      break;
    }
    case ev1::Event::kAdvocacyReferralAccepted:
      if (auto* r = FindReferral(advocacy, event.advocacy_referral_accepted().referral_id())) {
        r->set_status(vv1::REFERRAL_STATUS_ACCEPTED);
      }
      break;
    case ev1::Event::kAdvocacyReferralDeclined:
      if (auto* r = FindReferral(advocacy, event.advocacy_referral_declined().referral_id())) {
        r->set_status(vv1::REFERRAL_STATUS_DECLINED);
      }
      break;
    case ev1::Event::kAdvocateAllocated:
      if (auto* r = FindReferral(advocacy, event.advocate_allocated().referral_id())) {
        r->set_allocated(true);
      }
      break;
    case ev1::Event::kAdvocateViewsRecorded:
      if (auto* r = FindReferral(advocacy, event.advocate_views_recorded().referral_id())) {
        r->set_views_recorded(true);
      }
      break;
    default:
      break;
  }
  // `since` dates the current stretch: a duty that ceased (an appropriate individual found)
  // and arose again (an exception) is awaited from when it arose again.
  advocacy.set_duty_applies(DutyApplies(advocacy));
  if (!advocacy.duty_applies()) {
    advocacy.clear_duty_since();
  } else if (!advocacy.has_duty_since()) {
    *advocacy.mutable_duty_since() = event.occurred_at();
  }
  return absl::OkStatus();
}

absl::Status WorklistsProjection::Flush(Txn& txn) {
  for (const auto& [key, cached] : concerns_) {
    if (cached.dirty) WriteBack(key, cached, txn);
  }
  for (const auto& [key, cached] : enquiries_) {
    if (cached.dirty) WriteBack(key, cached, txn);
  }
  ClearCache();
  return absl::OkStatus();
}

// ---- queries ----

namespace {

// The entries under `prefix`; one that cannot be parsed is left out and reported
// (ParseListEntry), so that the rest of the list still reaches the MASH.
template <typename Message>
absl::StatusOr<std::vector<Message>> ScanList(KvStore& store, const std::string& prefix) {
  const std::string begin = DataKey(WorklistsProjection::kName, prefix);
  std::vector<Message> out;
  HUB_RETURN_IF_ERROR(store.Scan(
      begin, eventstore::PrefixEnd(begin), [&](std::string_view key, std::string_view value) {
        Message item;
        if (ParseListEntry(WorklistsProjection::kName, key, value, item)) {
          out.push_back(std::move(item));
        }
        return true;
      }));
  return out;
}

template <typename Message>
void SetOverdue(Message& m, absl::Time now) {
  m.set_overdue(m.has_due_at() && now > T(m.due_at()));
}

// Sorts by due time, soonest first; entries without one last.
template <typename Message>
void SortByDue(std::vector<Message>& items) {
  auto key = [](const Message& m) {
    const bool none = !m.has_due_at();
    return std::make_tuple(none, none ? absl::InfinitePast() : T(m.due_at()));
  };
  std::stable_sort(items.begin(), items.end(),
                   [&](const Message& a, const Message& b) { return key(a) < key(b); });
}

}  // namespace

absl::StatusOr<std::vector<vv1::MashQueueItem>> ListMashQueue(KvStore& store, absl::Time now) {
  HUB_ASSIGN_OR_RETURN(std::vector<vv1::MashQueueItem> items,
                       ScanList<vv1::MashQueueItem>(store, "mash/"));
  // Group: 0 untriaged with immediate risk, 1-3 red/amber/green, 4 other untriaged.
  auto key = [](const vv1::MashQueueItem& m) {
    const bool untriaged = m.rating() == cv1::RAG_RATING_UNSPECIFIED;
    const int group = untriaged ? (m.immediate_risk() ? 0 : 4) : static_cast<int>(m.rating());
    const absl::Time when = untriaged ? T(m.raised_at()) : T(m.decision_due_at());
    return std::make_tuple(group, when, T(m.raised_at()));
  };
  // Items arrive in concern-id order, so ties stay deterministic.
  std::stable_sort(items.begin(), items.end(),
                   [&](const auto& a, const auto& b) { return key(a) < key(b); });
  for (vv1::MashQueueItem& item : items) {
    item.set_overdue(item.has_decision_due_at() && now > T(item.decision_due_at()));
  }
  return items;
}

absl::StatusOr<std::vector<vv1::ResearchRequestItem>> ListResearchRequests(
    KvStore& store, const std::string& agency_id, absl::Time now) {
  HUB_ASSIGN_OR_RETURN(std::vector<vv1::ResearchRequestItem> items,
                       ScanList<vv1::ResearchRequestItem>(store, ResearchPrefix(agency_id)));
  SortByDue(items);
  for (vv1::ResearchRequestItem& item : items) SetOverdue(item, now);
  return items;
}

absl::StatusOr<std::vector<vv1::AgencyActionItem>> ListActions(KvStore& store,
                                                               const std::string& agency_id,
                                                               absl::Time now) {
  HUB_ASSIGN_OR_RETURN(std::vector<vv1::AgencyActionItem> items,
                       ScanList<vv1::AgencyActionItem>(store, ActionPrefix(agency_id)));
  SortByDue(items);
  for (vv1::AgencyActionItem& item : items) SetOverdue(item, now);
  return items;
}

absl::StatusOr<std::vector<vv1::AwaitingAdvocacyItem>> ListAwaitingAdvocacy(KvStore& store) {
  HUB_ASSIGN_OR_RETURN(std::vector<vv1::AwaitingAdvocacyItem> items,
                       ScanList<vv1::AwaitingAdvocacyItem>(store, kAdvocacyPrefix));
  std::stable_sort(items.begin(), items.end(),
                   [](const auto& a, const auto& b) { return T(a.since()) < T(b.since()); });
  return items;
}

}  // namespace hub::projections
