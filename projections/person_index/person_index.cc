#include "projections/person_index/person_index.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "domain/common/streams.h"

namespace hub::projections {
namespace {

namespace cv1 = ::hub::common::v1;
namespace ev1 = ::hub::events::v1;
namespace vv1 = ::hub::views::v1;

using google::protobuf::RepeatedPtrField;

std::string PersonKey(const std::string& person_id) { return absl::StrCat("person/", person_id); }
std::string ConcernKey(const std::string& concern_id) {
  return absl::StrCat("concern/", concern_id);
}
std::string EnquiryKey(const std::string& enquiry_id) {
  return absl::StrCat("enquiry/", enquiry_id);
}

// Identifier values compared without white space and ASCII case ("943 476 5919" is
// "9434765919"; "AB/123" is "ab/123").
std::string NormaliseIdentifier(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (!absl::ascii_isspace(static_cast<unsigned char>(c))) out.push_back(absl::ascii_tolower(c));
  }
  return out;
}

// "" when the value is blank: nothing to index.
std::string IdentKey(cv1::IdentifierKind kind, const std::string& value) {
  const std::string normalised = NormaliseIdentifier(value);
  if (normalised.empty()) return "";
  return absl::StrCat("ident/", static_cast<int>(kind), "/", normalised);
}

// ASCII letters only, lower case: "O'Brien" and "OBRIEN" are both "obrien".
std::string NormaliseName(const std::string& name) {
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    if (absl::ascii_isalpha(static_cast<unsigned char>(c))) out.push_back(absl::ascii_tolower(c));
  }
  return out;
}

void AppendPadded(std::string* out, int value, int width) {
  std::string digits = absl::StrCat(value < 0 ? 0 : value);
  if (static_cast<int>(digits.size()) < width) out->append(width - digits.size(), '0');
  out->append(digits);
}

// "name/<family>/<given>/<YYYYMMDD>/"; "" when either name has no letters (never matched).
std::string NamePrefix(const std::string& family, const std::string& given,
                       const cv1::Date& dob) {
  const std::string f = NormaliseName(family);
  const std::string g = NormaliseName(given);
  if (f.empty() || g.empty()) return "";
  std::string out = absl::StrCat("name/", f, "/", g, "/");
  AppendPadded(&out, dob.year(), 4);
  AppendPadded(&out, dob.month(), 2);
  AppendPadded(&out, dob.day(), 2);
  out.push_back('/');
  return out;
}

std::string NameKey(const cv1::AdultDetails& details, const std::string& person_id) {
  const std::string prefix =
      NamePrefix(details.name().family(), details.name().given(), details.date_of_birth());
  return prefix.empty() ? "" : absl::StrCat(prefix, person_id);
}

// Postcodes compared ignoring case and spaces.
std::string NormalisePostcode(const std::string& postcode) {
  std::string out;
  for (char c : postcode) {
    if (!absl::ascii_isspace(static_cast<unsigned char>(c))) out.push_back(absl::ascii_toupper(c));
  }
  return out;
}

std::vector<std::string> IdentKeys(const cv1::AdultDetails& details) {
  std::vector<std::string> keys;
  for (const cv1::Identifier& id : details.identifiers()) {
    std::string key = IdentKey(id.kind(), id.value());
    if (!key.empty()) keys.push_back(std::move(key));
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

bool Contains(const std::vector<std::string>& sorted, const std::string& key) {
  return std::binary_search(sorted.begin(), sorted.end(), key);
}

void InsertSorted(RepeatedPtrField<std::string>* ids, const std::string& id) {
  if (id.empty()) return;
  auto it = std::lower_bound(ids->begin(), ids->end(), id);
  if (it != ids->end() && *it == id) return;
  const int index = static_cast<int>(it - ids->begin());
  ids->Add(std::string(id));
  std::rotate(ids->begin() + index, ids->end() - 1, ids->end());
}

// The person's case for `concern_id`, added when new (`added` says so).
vv1::PersonCase* CaseIn(vv1::PersonEntry& entry, const std::string& concern_id, bool* added) {
  for (vv1::PersonCase& c : *entry.mutable_cases()) {
    if (c.concern_id() == concern_id) return &c;
  }
  *added = true;
  vv1::PersonCase* c = entry.add_cases();
  c->set_concern_id(concern_id);
  c->set_open(true);
  return c;
}

// Episodes oldest first (a concern may be folded before or after its link to the person).
void SortCases(vv1::PersonEntry& entry) {
  auto* cases = entry.mutable_cases();
  std::sort(cases->pointer_begin(), cases->pointer_end(),
            [](const vv1::PersonCase* a, const vv1::PersonCase* b) {
              if (a->episode() != b->episode()) return a->episode() < b->episode();
              return a->concern_id() < b->concern_id();
            });
}

// Status moves forward only (as in the case file), whatever order the streams interleave in.
void Advance(vv1::PersonCase& c, vv1::CaseStatus status) {
  if (status > c.status()) c.set_status(status);
  c.set_open(c.status() != vv1::CASE_STATUS_DECIDED_NO_ENQUIRY &&
             c.status() != vv1::CASE_STATUS_ENQUIRY_CLOSED);
}

}  // namespace

PersonIndexProjection::PersonIndexProjection(CacheLimits limits)
    : persons_(limits), maps_({limits.records, limits.records * 64}) {}

absl::StatusOr<vv1::PersonEntry*> PersonIndexProjection::EntryFor(Txn& txn,
                                                                  const std::string& person_id) {
  if (vv1::PersonEntry* entry = persons_.Find(person_id, /*dirty=*/true)) return entry;
  const std::string key = PersonKey(person_id);
  HUB_ASSIGN_OR_RETURN(std::optional<std::string> bytes, txn.Get(key));
  vv1::PersonEntry entry;
  if (!bytes) {
    entry.set_person_id(person_id);
  } else if (!entry.ParseFromString(*bytes)) {
    return ReadModelCorruptError(key);  // the store's damage: retried, never quarantined
  }
  return persons_.Insert(person_id, std::move(entry), bytes ? bytes->size() : 0, /*dirty=*/true);
}

absl::StatusOr<std::string> PersonIndexProjection::Lookup(Txn& txn, const std::string& key) {
  if (const std::string* value = maps_.Find(key, /*dirty=*/false)) return *value;
  HUB_ASSIGN_OR_RETURN(std::optional<std::string> value, txn.Get(key));
  if (!value) return std::string();
  const size_t bytes = key.size() + value->size();
  return *maps_.Insert(key, *std::move(value), bytes, /*dirty=*/false);
}

void PersonIndexProjection::Link(const std::string& key, const std::string& value) {
  if (value.empty()) return;
  std::string* current = maps_.Find(key, /*dirty=*/false);
  if (current == nullptr) {
    maps_.Insert(key, value, 0, /*dirty=*/true);
  } else if (*current != value) {
    *current = value;
    maps_.Find(key, /*dirty=*/true);
  }
}

absl::Status PersonIndexProjection::SetDetails(Txn& txn, vv1::PersonEntry& entry,
                                               const cv1::AdultDetails& details) {
  const std::string& person_id = entry.person_id();
  const std::vector<std::string> old_idents = IdentKeys(entry.details());
  const std::vector<std::string> new_idents = IdentKeys(details);
  for (const std::string& key : old_idents) {
    if (Contains(new_idents, key)) continue;
    HUB_ASSIGN_OR_RETURN(std::optional<std::string> holder, txn.Get(key));
    if (holder && *holder == person_id) txn.Delete(key);
  }
  for (const std::string& key : new_idents) {
    if (Contains(old_idents, key)) continue;
    // The first person to hold a value keeps it, as on the identifier's claim stream.
    HUB_ASSIGN_OR_RETURN(std::optional<std::string> holder, txn.Get(key));
    if (!holder) txn.Put(key, person_id);
  }
  const std::string old_name = entry.has_details() ? NameKey(entry.details(), person_id) : "";
  const std::string new_name = NameKey(details, person_id);
  if (!old_name.empty() && old_name != new_name) txn.Delete(old_name);
  if (!new_name.empty()) txn.Put(new_name, details.address().postcode());
  *entry.mutable_details() = details;
  return absl::OkStatus();
}

absl::Status PersonIndexProjection::ApplyPersonEvent(const ev1::Event& event, Txn& txn,
                                                     int64_t position) {
  std::string person_id;
  switch (event.payload_case()) {
    case ev1::Event::kPersonRegistered:
      person_id = event.person_registered().person_id();
      break;
    case ev1::Event::kPersonDetailsCorrected:
      person_id = event.person_details_corrected().person_id();
      break;
    case ev1::Event::kRepresentativeRecorded:
      person_id = event.representative_recorded().person_id();
      break;
    case ev1::Event::kPersonConcernLinked:
      person_id = event.person_concern_linked().person_id();
      break;
    default:
      return absl::OkStatus();
  }
  if (person_id.empty()) return absl::OkStatus();
  HUB_ASSIGN_OR_RETURN(vv1::PersonEntry * entry, EntryFor(txn, person_id));
  switch (event.payload_case()) {
    case ev1::Event::kPersonRegistered:
      HUB_RETURN_IF_ERROR(SetDetails(txn, *entry, event.person_registered().details()));
      break;
    case ev1::Event::kPersonDetailsCorrected:
      HUB_RETURN_IF_ERROR(SetDetails(txn, *entry, event.person_details_corrected().details()));
      break;
    case ev1::Event::kRepresentativeRecorded: {
      const ev1::RepresentativeRecorded& r = event.representative_recorded();
      auto* reps = entry->mutable_representatives();
      if (!r.replaces_representative_id().empty()) {
        for (int i = reps->size() - 1; i >= 0; --i) {
          if (reps->Get(i).representative_id() == r.replaces_representative_id()) {
            reps->DeleteSubrange(i, 1);
          }
        }
      }
      *reps->Add() = r.representative();
      break;
    }
    case ev1::Event::kPersonConcernLinked: {
      const ev1::PersonConcernLinked& l = event.person_concern_linked();
      Link(ConcernKey(l.concern_id()), person_id);
      bool added = false;
      vv1::PersonCase* c = CaseIn(*entry, l.concern_id(), &added);
      const bool moved = added || c->episode() != l.episode();
      c->set_episode(l.episode());
      if (moved) SortCases(*entry);
      break;
    }
    default:
      break;
  }
  entry->set_last_position(position);
  return absl::OkStatus();
}

absl::Status PersonIndexProjection::ApplyCaseEvent(const eventstore::RecordedEvent& record,
                                                   const ev1::Event& event, Txn& txn) {
  std::string concern_id;
  std::string person_id;
  switch (event.payload_case()) {
    case ev1::Event::kConcernRaised:
      concern_id = event.concern_raised().concern_id();
      if (concern_id.empty()) concern_id = domain::ConcernIdOf(record.stream);
      person_id = event.concern_raised().person_id();
      if (!concern_id.empty()) Link(ConcernKey(concern_id), person_id);
      break;
    case ev1::Event::kConcernTriaged:
    case ev1::Event::kResearchRequested:
    case ev1::Event::kThresholdDecisionMade:
      concern_id = domain::ConcernIdOf(record.stream);
      break;
    case ev1::Event::kEnquiryOpened:
      concern_id = event.enquiry_opened().concern_id();
      if (!concern_id.empty()) {
        Link(EnquiryKey(event.enquiry_opened().enquiry_id()), concern_id);
      }
      break;
    case ev1::Event::kEnquiryLeadAssigned:
    case ev1::Event::kStrategyDiscussionRecorded:
    case ev1::Event::kProtectionPlanRecorded:
    case ev1::Event::kEnquiryConcluded:
    case ev1::Event::kEnquiryClosed:
    case ev1::Event::kAdvocacyReferred: {
      const std::string enquiry_id = domain::EnquiryIdOf(record.stream);
      if (enquiry_id.empty()) return absl::OkStatus();
      HUB_ASSIGN_OR_RETURN(concern_id, Lookup(txn, EnquiryKey(enquiry_id)));
      break;
    }
    default:
      return absl::OkStatus();  // nothing the index shows
  }
  if (concern_id.empty()) return absl::OkStatus();
  if (person_id.empty()) {
    HUB_ASSIGN_OR_RETURN(person_id, Lookup(txn, ConcernKey(concern_id)));
    if (person_id.empty()) return absl::OkStatus();  // a concern the index never saw raised
  }
  HUB_ASSIGN_OR_RETURN(vv1::PersonEntry * entry, EntryFor(txn, person_id));
  bool added = false;
  vv1::PersonCase* c = CaseIn(*entry, concern_id, &added);
  auto* involved = entry->mutable_involved_agency_ids();
  bool resort = added;
  switch (event.payload_case()) {
    case ev1::Event::kConcernRaised: {
      const ev1::ConcernRaised& r = event.concern_raised();
      if (r.episode() != 0 && r.episode() != c->episode()) {
        c->set_episode(r.episode());
        resort = true;
      }
      *c->mutable_raised_at() = event.occurred_at();
      c->set_raised_by_agency_id(event.actor().agency_id());
      c->mutable_types_of_risk()->CopyFrom(r.details().types_of_risk());
      Advance(*c, vv1::CASE_STATUS_AWAITING_TRIAGE);
      InsertSorted(involved, event.actor().agency_id());
      break;
    }
    case ev1::Event::kConcernTriaged:
      c->set_mash_agency_id(event.actor().agency_id());
      Advance(*c, vv1::CASE_STATUS_TRIAGED);
      InsertSorted(involved, event.actor().agency_id());
      break;
    case ev1::Event::kResearchRequested:
      InsertSorted(involved, event.research_requested().agency_id());
      break;
    case ev1::Event::kThresholdDecisionMade: {
      const std::string& enquiry_id = event.threshold_decision_made().enquiry_id();
      if (enquiry_id.empty()) {
        Advance(*c, vv1::CASE_STATUS_DECIDED_NO_ENQUIRY);
      } else {
        c->set_enquiry_id(enquiry_id);
        Advance(*c, vv1::CASE_STATUS_ENQUIRY_OPEN);
        Link(EnquiryKey(enquiry_id), concern_id);
      }
      break;
    }
    case ev1::Event::kEnquiryOpened:
      c->set_enquiry_id(event.enquiry_opened().enquiry_id());
      Advance(*c, vv1::CASE_STATUS_ENQUIRY_OPEN);
      break;
    case ev1::Event::kEnquiryLeadAssigned: {
      const ev1::EnquiryLeadAssigned& l = event.enquiry_lead_assigned();
      c->set_lead_agency_id(l.lead_agency_id());
      c->set_responsible_agency_id(l.responsible_agency_id());
      InsertSorted(involved, l.lead_agency_id());
      InsertSorted(involved, l.responsible_agency_id());
      break;
    }
    case ev1::Event::kStrategyDiscussionRecorded:
      for (const cv1::AgreedAction& a : event.strategy_discussion_recorded().actions()) {
        InsertSorted(involved, a.owner_agency_id());
      }
      break;
    case ev1::Event::kProtectionPlanRecorded:
      for (const cv1::PlanItem& item : event.protection_plan_recorded().items()) {
        InsertSorted(involved, item.by_agency_id());
      }
      break;
    case ev1::Event::kEnquiryConcluded:
      Advance(*c, vv1::CASE_STATUS_ENQUIRY_CONCLUDED);
      break;
    case ev1::Event::kEnquiryClosed:
      Advance(*c, vv1::CASE_STATUS_ENQUIRY_CLOSED);
      break;
    case ev1::Event::kAdvocacyReferred:
      InsertSorted(involved, event.advocacy_referred().provider_agency_id());
      break;
    default:
      break;
  }
  if (resort) SortCases(*entry);
  entry->set_last_position(record.position.value());
  return absl::OkStatus();
}

absl::Status PersonIndexProjection::Apply(const eventstore::RecordedEvent& record,
                                          const ev1::Event& event, Txn& txn) {
  // CatchUp, unlike the engine, does not Reset after a failed write: notice the refold here.
  if (record.position.value() < next_position_) Reset();
  next_position_ = record.position.value() + 1;
  switch (event.payload_case()) {
    case ev1::Event::kPersonRegistered:
    case ev1::Event::kPersonDetailsCorrected:
    case ev1::Event::kRepresentativeRecorded:
    case ev1::Event::kPersonConcernLinked:
      return ApplyPersonEvent(event, txn, record.position.value());
    case ev1::Event::kIdentifierClaimed: {
      // The claim stream's first event wins; the index keeps the first holder too.
      const ev1::IdentifierClaimed& claim = event.identifier_claimed();
      const std::string key = IdentKey(claim.identifier().kind(), claim.identifier().value());
      if (key.empty() || claim.person_id().empty()) return absl::OkStatus();
      HUB_ASSIGN_OR_RETURN(std::optional<std::string> holder, txn.Get(key));
      if (!holder) txn.Put(key, claim.person_id());
      return absl::OkStatus();
    }
    default:
      return ApplyCaseEvent(record, event, txn);
  }
}

absl::Status PersonIndexProjection::Flush(Txn& txn) {
  persons_.Flush([&txn](const std::string& person_id, const vv1::PersonEntry& entry) {
    std::string bytes = SerializeRecord(entry);
    const size_t size = bytes.size();
    txn.Put(PersonKey(person_id), std::move(bytes));
    return size;
  });
  maps_.Flush([&txn](const std::string& key, const std::string& value) {
    txn.Put(key, value);
    return key.size() + value.size();
  });
  return absl::OkStatus();
}

void PersonIndexProjection::Reset() {
  persons_.Clear();
  maps_.Clear();
  next_position_ = 0;
}

absl::StatusOr<std::optional<vv1::PersonEntry>> LoadPerson(eventstore::KvStore& store,
                                                           const std::string& person_id) {
  vv1::PersonEntry entry;
  HUB_ASSIGN_OR_RETURN(bool found,
                       ReadMessage(store, kPersonIndexName, PersonKey(person_id), &entry));
  if (!found) return std::nullopt;
  return entry;
}

absl::StatusOr<std::optional<std::string>> FindByIdentifier(eventstore::KvStore& store,
                                                            cv1::IdentifierKind kind,
                                                            const std::string& value) {
  const std::string key = IdentKey(kind, value);
  if (key.empty()) return std::nullopt;
  return store.Get(DataKey(kPersonIndexName, key));
}

absl::StatusOr<std::vector<std::string>> FindByNameAndBirth(eventstore::KvStore& store,
                                                            const std::string& family,
                                                            const std::string& given,
                                                            const cv1::Date& date_of_birth,
                                                            const std::string& postcode) {
  std::vector<std::string> found;
  const std::string prefix = NamePrefix(family, given, date_of_birth);
  if (prefix.empty()) return found;
  const std::string begin = DataKey(kPersonIndexName, prefix);
  const std::string wanted = NormalisePostcode(postcode);
  HUB_RETURN_IF_ERROR(store.Scan(begin, eventstore::PrefixEnd(begin),
                                 [&](std::string_view key, std::string_view value) {
                                   if (wanted.empty() ||
                                       NormalisePostcode(std::string(value)) == wanted) {
                                     found.emplace_back(key.substr(begin.size()));
                                   }
                                   return true;
                                 }));
  return found;
}

}  // namespace hub::projections
