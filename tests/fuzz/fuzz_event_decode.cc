// fuzz_event_decode: everything that decodes bytes read back from disk.
//
//   - the event log's record framing, key and idempotency codecs and the hash chain
//     (eventstore/internal/record_codec.h, sha256.h; LinkFromHex);
//   - the hub event payload of a record (hub.events.v1.Event), folded by the domain (Evolve of
//     the person, concern and enquiry aggregates, and what is computed from their state);
//   - the projections: every event folded into all six read models over an in-memory store,
//     stored read-model values the input supplies (as if the store were corrupt or written by
//     another version), and every query the Views service makes of them.
//
// Input: chunks (fuzz_support.h), [tag][u16 length][bytes]; tag % 5 is
//   0  a stored log record (the `log` column family's value): decoded, and folded if it is a
//      hub event (one whose payload does not parse is folded too, as a poisoned event);
//   1  an event payload: first byte picks the stream (kStreams), the rest is a serialized
//      hub.events.v1.Event, folded as a record of that stream;
//   2  key bytes: decoded as a position key, an idempotency value and a hex link;
//   3  a stored read-model value: [u8 key length][key][value], put into the store first (keys
//      as the projections write them, e.g. "p/case_file/case/c1");
//   4  compute the Safeguarding Adults Collection return for the year in the bytes (u16
//      little-endian; empty = the year of the first concern). On request only: it formats
//      hundreds of fixed rows, more than half the time of an input otherwise.
//
// Invariants (beyond "no crash, no sanitizer report"):
//   - a record that decodes re-encodes to the same bytes, and its canonical bytes are the
//     record less its link; codecs round-trip;
//   - a payload that parses re-serialises to bytes that parse to the same message;
//   - every error carries a message;
//   - folding is deterministic and the projections' caches are invisible: folding in one batch
//     with the default cache and in batches of three with a two-record cache gives
//     byte-identical read models and quarantines the same events;
//   - a poisoned event (a hub-typed record whose payload does not parse, or one a projection
//     rejects as corrupt) never stops a projection: it is quarantined with a reason, and every
//     undecodable payload is; only a damaged read model (stored values the input supplies)
//     stops one;
//   - when the input supplies no stored values (the projections wrote the whole store), every
//     query succeeds.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "domain/common/envelope.h"
#include "domain/enquiry/advocacy.h"
#include "domain/enquiry/enquiry.h"
#include "domain/intake/concern.h"
#include "domain/people/person.h"
#include "eventstore/event_log.h"
#include "eventstore/internal/record_codec.h"
#include "eventstore/internal/sha256.h"
#include "google/protobuf/stubs/logging.h"
#include "hub/events/v1/events.pb.h"
#include "projections/case_file/case_file.h"
#include "projections/disclosure_log/disclosure_log.h"
#include "projections/engine/projection.h"
#include "projections/notifications/notifications.h"
#include "projections/person_index/person_index.h"
#include "projections/sac/sac.h"
#include "projections/sac/sac_report.h"
#include "projections/worklists/worklists.h"
#include "tests/fuzz/fuzz_support.h"

namespace hub::fuzz {
namespace {

namespace ev1 = ::hub::events::v1;
using eventstore::RecordedEvent;

constexpr size_t kMaxChunks = 48;
// The streams a payload chunk may belong to: the seed generator uses these ids.
constexpr const char* kStreams[] = {"person-p1",      "concern-c1",    "concern-c2",
                                    "enquiry-e1",     "enquiry-e2",    "disclosures-p1",
                                    "agreement",      "ident-nhs-9434765919",
                                    "emergency-access-c1"};
const absl::Time kNow = absl::FromUnixSeconds(1767225600);  // 2026-01-01T00:00:00Z

void CheckError(const absl::Status& status, const std::string& what) {
  HUB_FUZZ_CHECK(status.ok() || !status.message().empty(),
                 absl::StrCat(what, " failed without a message: ", status.ToString()));
}


// Parses a payload; when it parses, checks that it re-serialises stably.
std::optional<ev1::Event> ParseEvent(std::string_view bytes) {
  ev1::Event event;
  if (!event.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return std::nullopt;
  const std::string once = projections::SerializeDeterministic(event);
  ev1::Event again;
  HUB_FUZZ_CHECK(again.ParseFromString(once), "a parsed event does not parse once re-serialised");
  HUB_FUZZ_CHECK(projections::SerializeDeterministic(again) == once,
                 "an event's deterministic serialisation is not stable");
  return event;
}

void DecodeKeys(std::string_view bytes) {
  absl::StatusOr<int64_t> position = eventstore_internal::DecodePositionKey(bytes);
  CheckError(position.status(), "DecodePositionKey");
  if (position.ok()) {
    HUB_FUZZ_CHECK(eventstore_internal::EncodePositionKey(*position) == bytes,
                   "position key does not round-trip");
  }
  std::string digest;
  absl::StatusOr<eventstore::AppendResult> result =
      eventstore_internal::DecodeIdempotencyValue(bytes, &digest);
  CheckError(result.status(), "DecodeIdempotencyValue");
  if (result.ok()) {
    HUB_FUZZ_CHECK(eventstore_internal::EncodeIdempotencyValue(digest, *result) == bytes,
                   "idempotency value does not round-trip");
  }
  const std::string text(bytes);
  absl::StatusOr<std::string> link = eventstore::LinkFromHex(text);
  CheckError(link.status(), "LinkFromHex");
  if (link.ok()) {
    HUB_FUZZ_CHECK(link->size() == eventstore_internal::kDigestSize, "link is not 32 bytes");
    absl::StatusOr<std::string> back = eventstore::LinkFromHex(eventstore::LinkToHex(*link));
    HUB_FUZZ_CHECK(back.ok() && *back == *link, "link does not round-trip through hex");
  }
}

// A stored record: decodes, re-encodes identically, and extends a hash chain. Returns the
// record when it decoded.
std::optional<RecordedEvent> DecodeRecord(std::string_view bytes, std::string& chain) {
  std::string_view canonical;
  absl::StatusOr<RecordedEvent> record = eventstore_internal::DecodeStoredRecord(bytes, &canonical);
  CheckError(record.status(), "DecodeStoredRecord");
  if (!record.ok()) {
    HUB_FUZZ_CHECK(record.status().code() == absl::StatusCode::kDataLoss,
                   "a malformed record is not kDataLoss: " + record.status().ToString());
    return std::nullopt;
  }
  HUB_FUZZ_CHECK(eventstore_internal::EncodeStoredRecord(*record) == bytes,
                 "a decoded record does not re-encode to the same bytes");
  HUB_FUZZ_CHECK(eventstore_internal::EncodeCanonicalRecord(*record) == canonical,
                 "canonical bytes differ from the record less its link");
  HUB_FUZZ_CHECK(canonical.size() + eventstore_internal::kDigestSize == bytes.size(),
                 "canonical bytes are not the record less its link");
  chain = eventstore_internal::ChainLink(chain, canonical);
  HUB_FUZZ_CHECK(chain.size() == eventstore_internal::kDigestSize, "chain link is not 32 bytes");
  return *std::move(record);
}

struct Folded {
  RecordedEvent record;
  ev1::Event event;
};

// The six projections, freshly built; with `tiny_caches`, the caching ones keep at most two
// records, so that almost every batch evicts.
std::vector<std::unique_ptr<projections::Projection>> MakeProjections(bool tiny_caches) {
  const projections::CacheLimits limits =
      tiny_caches ? projections::CacheLimits{2, 1024} : projections::CacheLimits{};
  std::vector<std::unique_ptr<projections::Projection>> out;
  out.push_back(std::make_unique<projections::CaseFileProjection>(limits));
  out.push_back(std::make_unique<projections::PersonIndexProjection>(limits));
  out.push_back(std::make_unique<projections::WorklistsProjection>());
  out.push_back(std::make_unique<projections::SacProjection>());
  out.push_back(std::make_unique<projections::DisclosureLogProjection>());
  out.push_back(std::make_unique<projections::NotificationsProjection>());
  return out;
}

// Folds `records` into `store` in batches of `batch_size` through the engine's FoldRecords; a
// projection whose batch fails stops there, the rest of its batch unwritten.
struct FoldResult {
  std::vector<bool> failed;                      // per projection
  std::vector<std::vector<int64_t>> quarantined;  // per projection, positions in order
};
FoldResult Fold(const std::vector<RecordedEvent>& records, MemoryKvStore& store, bool tiny_caches,
                size_t batch_size) {
  std::vector<std::unique_ptr<projections::Projection>> all = MakeProjections(tiny_caches);
  FoldResult result{std::vector<bool>(all.size(), false),
                    std::vector<std::vector<int64_t>>(all.size())};
  for (size_t p = 0; p < all.size(); ++p) {
    projections::Projection& projection = *all[p];
    for (size_t begin = 0; begin < records.size(); begin += batch_size) {
      const size_t end = std::min(records.size(), begin + batch_size);
      const std::vector<RecordedEvent> batch(records.begin() + begin, records.begin() + end);
      projections::FoldOutcome outcome;
      absl::Status status = projections::FoldRecords(store, projection, batch,
                                                     static_cast<int64_t>(end), outcome);
      CheckError(status, absl::StrCat("projection ", std::string(projection.name())));
      for (const projections::QuarantinedEvent& q : outcome.quarantined) {
        HUB_FUZZ_CHECK(!q.reason.empty(), "a quarantined event has no reason");
        result.quarantined[p].push_back(q.position);
      }
      if (!status.ok()) {
        HUB_FUZZ_CHECK(!projections::IsPoisonedEvent(status),
                       "a poisoned event stopped a projection: " + status.ToString());
        result.failed[p] = true;
        break;
      }
    }
  }
  return result;
}

// Every key and value under "p/<name>/" and its quarantine records under "q/<name>/".
std::map<std::string, std::string> Keys(MemoryKvStore& store, std::string_view name) {
  std::map<std::string, std::string> out;
  for (const char* space : {"p/", "q/"}) {
    const std::string prefix = absl::StrCat(space, std::string(name), "/");
    HUB_FUZZ_CHECK(store
                       .Scan(prefix, eventstore::PrefixEnd(prefix),
                             [&](std::string_view k, std::string_view v) {
                               out.emplace(std::string(k), std::string(v));
                               return true;
                             })
                       .ok(),
                   "in-memory scan failed");
  }
  return out;
}

// The domain's view of the same events: each aggregate folded from its stream, and what the
// services compute from the state.
void FoldDomain(const std::vector<Folded>& events) {
  std::map<std::string, domain::people::PersonState> people;
  std::map<std::string, domain::intake::ConcernState> concerns;
  std::map<std::string, domain::enquiry::EnquiryState> enquiries;
  for (const Folded& f : events) {
    const std::string& stream = f.record.stream;
    if (stream.rfind("person-", 0) == 0) {
      people[stream] = domain::people::Evolve(std::move(people[stream]), f.event);
    } else if (stream.rfind("concern-", 0) == 0) {
      concerns[stream] = domain::intake::Evolve(std::move(concerns[stream]), f.event);
    } else if (stream.rfind("enquiry-", 0) == 0) {
      enquiries[stream] = domain::enquiry::Evolve(std::move(enquiries[stream]), f.event);
    }
    (void)domain::EventTypeName(f.event);
  }
  domain::CommandContext ctx;
  ctx.now = kNow;
  ctx.command_key = "fuzz/1";
  ctx.new_id = "n1";
  for (const auto& [stream, person] : people) {
    for (const std::string& concern_id : person.concern_ids) (void)person.EpisodeOf(concern_id);
    for (const auto& rep : person.representatives) {
      (void)person.FindRepresentative(rep.representative_id());
    }
  }
  for (const auto& [stream, concern] : concerns) {
    (void)domain::intake::EnquiryOpenedFor(concern, ctx);
  }
  for (const auto& [stream, enquiry] : enquiries) {
    (void)domain::enquiry::ComputeAdvocacyDuty(enquiry);
    (void)domain::enquiry::ReasonsAgainstCeasing(enquiry);
    CheckError(domain::enquiry::CheckCanRecord(enquiry, false), "CheckCanRecord");
    CheckError(domain::enquiry::CheckCanRecord(enquiry, true), "CheckCanRecord");
  }
}

// The queries the Views service and hubctl make of the read models; `must_succeed` when the
// projections wrote the whole store.
void Query(MemoryKvStore& store, const std::vector<Folded>& events,
           const std::vector<int>& sac_years, bool must_succeed) {
  auto check = [&](const absl::Status& status, const std::string& what) {
    CheckError(status, what);
    HUB_FUZZ_CHECK(!must_succeed || status.ok(),
                   absl::StrCat(what, " failed on read models the projections wrote: ",
                                status.ToString()));
  };
  std::vector<std::string> concern_ids = {"c1"}, enquiry_ids = {"e1"}, person_ids = {"p1"},
                           agency_ids = {"police-northshire"};
  int year = 2025;
  for (const Folded& f : events) {
    const ev1::Event& e = f.event;
    if (e.has_concern_raised() && concern_ids.size() < 4) {
      concern_ids.push_back(e.concern_raised().concern_id());
      person_ids.push_back(e.concern_raised().person_id());
      const int64_t y = absl::ToCivilYear(domain::FromTimestamp(e.occurred_at()), absl::UTCTimeZone())
                            .year();
      if (y >= 1000 && y <= 9998) year = static_cast<int>(y);
    }
    if (e.has_enquiry_opened() && enquiry_ids.size() < 4) {
      enquiry_ids.push_back(e.enquiry_opened().enquiry_id());
    }
    if (e.has_research_requested() && agency_ids.size() < 4) {
      agency_ids.push_back(e.research_requested().agency_id());
    }
    if (e.has_case_restricted() && agency_ids.size() < 4) {
      agency_ids.push_back(e.case_restricted().owner_agency_id());
    }
    if (e.has_strategy_discussion_recorded() && agency_ids.size() < 4) {
      for (const auto& action : e.strategy_discussion_recorded().actions()) {
        agency_ids.push_back(action.owner_agency_id());
      }
    }
  }
  for (const std::string& id : concern_ids) {
    check(projections::LoadCaseFile(store, id).status(), "LoadCaseFile");
  }
  for (const std::string& id : enquiry_ids) {
    check(projections::ConcernForEnquiry(store, id).status(), "ConcernForEnquiry");
  }
  for (const std::string& id : person_ids) {
    absl::StatusOr<std::optional<views::v1::PersonEntry>> person = projections::LoadPerson(store, id);
    check(person.status(), "LoadPerson");
    if (person.ok() && person->has_value()) {
      const common::v1::AdultDetails& d = (*person)->details();
      for (const common::v1::Identifier& identifier : d.identifiers()) {
        check(projections::FindByIdentifier(store, identifier.kind(), identifier.value()).status(),
              "FindByIdentifier");
      }
      check(projections::FindByNameAndBirth(store, d.name().family(), d.name().given(),
                                            d.date_of_birth(), d.address().postcode())
                .status(),
            "FindByNameAndBirth");
    }
    projections::DisclosureQuery query;
    query.person_id = id;
    check(projections::ListDisclosures(store, query).status(), "ListDisclosures");
  }
  check(projections::ListMashQueue(store, kNow).status(), "ListMashQueue");
  for (const std::string& agency : agency_ids) {
    check(projections::ListResearchRequests(store, agency, kNow).status(), "ListResearchRequests");
    check(projections::ListActions(store, agency, kNow).status(), "ListActions");
    projections::NotificationQuery notifications;
    notifications.agency_id = agency;
    check(projections::ListNotifications(store, notifications).status(), "ListNotifications");
  }
  check(projections::ListAwaitingAdvocacy(store).status(), "ListAwaitingAdvocacy");
  for (int sac_year : sac_years) {
    // kInvalidArgument outside 1000-9998, as documented: not a failure of the read models.
    const int y = sac_year == 0 ? year : sac_year;
    absl::StatusOr<std::vector<projections::SacRow>> sac =
        projections::ComputeSacReturn(store, y, "E06000999", "E06000999");
    if (y < 1000 || y > 9998) {
      HUB_FUZZ_CHECK(sac.status().code() == absl::StatusCode::kInvalidArgument,
                     absl::StrCat("ComputeSacReturn accepted year ", y));
      continue;
    }
    check(sac.status(), "ComputeSacReturn");  // (SacCsv only formats the rows: not fuzzed)
  }
}

}  // namespace
}  // namespace hub::fuzz

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  // Payloads that do not parse are expected here: keep protobuf's error log quiet.
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hub::fuzz;
  std::vector<RecordedEvent> records;  // what the projections fold, poisoned ones included
  std::vector<size_t> decoded;         // indexes into `records` of those that decode
  std::vector<ev1::Event> payloads;    // their events, in the same order
  MemoryKvStore one_batch, small_batches;
  bool supplied_values = false;
  std::vector<int> sac_years;
  std::string chain(::eventstore_internal::kDigestSize, '\0');
  for (const Chunk& chunk : SplitChunks(data, size, kMaxChunks)) {
    switch (chunk.tag % 5) {
      case 0: {
        std::optional<RecordedEvent> record = DecodeRecord(chunk.bytes, chain);
        if (!record || !hub::domain::IsHubEventType(record->type)) break;
        // A payload that does not parse is a poisoned event: the projections quarantine it.
        std::optional<ev1::Event> event = ParseEvent(record->payload);
        if (event) {
          decoded.push_back(records.size());
          payloads.push_back(*std::move(event));
        }
        records.push_back(*std::move(record));
        break;
      }
      case 1: {
        if (chunk.bytes.empty()) break;
        std::optional<ev1::Event> event = ParseEvent(chunk.bytes.substr(1));
        if (!event) break;
        RecordedEvent record;
        record.stream = kStreams[static_cast<uint8_t>(chunk.bytes[0]) % std::size(kStreams)];
        record.type = hub::domain::EventTypeName(*event);
        if (record.type.empty()) break;  // no payload: not a hub event
        record.payload = std::string(chunk.bytes.substr(1));
        decoded.push_back(records.size());
        payloads.push_back(*std::move(event));
        records.push_back(std::move(record));
        break;
      }
      case 2:
        DecodeKeys(chunk.bytes);
        break;
      case 3: {
        if (chunk.bytes.empty()) break;
        const size_t key_length = static_cast<uint8_t>(chunk.bytes[0]);
        const std::string_view rest = chunk.bytes.substr(1);
        const std::string key(rest.substr(0, key_length));
        const std::string value(rest.substr(std::min(key_length, rest.size())));
        one_batch.Put(key, value);
        small_batches.Put(key, value);
        supplied_values = true;
        break;
      }
      case 4:
        if (sac_years.size() < 2) {
          sac_years.push_back(chunk.bytes.size() < 2
                                  ? 0
                                  : static_cast<uint8_t>(chunk.bytes[0]) |
                                        (static_cast<uint8_t>(chunk.bytes[1]) << 8));
        }
        break;
    }
  }
  // Positions as the log hands them out: dense and increasing (what a record claims was
  // checked above; the projections rely on the log's order, not on the record's word).
  for (size_t i = 0; i < records.size(); ++i) {
    records[i].position = hub::GlobalPosition(static_cast<int64_t>(i));
  }
  std::vector<Folded> events;
  std::vector<int64_t> poisoned;  // positions of records whose payload does not decode
  for (size_t i = 0, d = 0; i < records.size(); ++i) {
    if (d < decoded.size() && decoded[d] == i) {
      events.push_back({records[i], std::move(payloads[d])});
      ++d;
    } else {
      poisoned.push_back(static_cast<int64_t>(i));
    }
  }
  FoldDomain(events);
  const FoldResult one = Fold(records, one_batch, /*tiny_caches=*/false, records.size() + 1);
  const FoldResult small = Fold(records, small_batches, /*tiny_caches=*/true, 3);
  const std::string names[] = {
      hub::projections::kCaseFileName, hub::projections::kPersonIndexName,
      std::string(hub::projections::WorklistsProjection::kName),
      std::string(hub::projections::SacProjection::kName), hub::projections::kDisclosureLogName,
      hub::projections::kNotificationsName};
  for (size_t p = 0; p < std::size(names); ++p) {
    // Only a damaged read model stops a projection; a poisoned event never does.
    HUB_FUZZ_CHECK(supplied_values || !one.failed[p],
                   absl::StrCat("projection ", names[p], " stopped on read models it wrote"));
    HUB_FUZZ_CHECK(one.failed[p] == small.failed[p],
                   absl::StrCat("projection ", names[p],
                                " fails in one batch but not in small batches, or the reverse"));
    if (one.failed[p]) continue;
    // Every undecodable payload is quarantined, and what is quarantined does not depend on
    // batches or caches.
    HUB_FUZZ_CHECK(std::includes(one.quarantined[p].begin(), one.quarantined[p].end(),
                                 poisoned.begin(), poisoned.end()),
                   absl::StrCat("projection ", names[p], " did not quarantine a poisoned event"));
    HUB_FUZZ_CHECK(one.quarantined[p] == small.quarantined[p],
                   absl::StrCat("projection ", names[p],
                                " quarantines differently in small batches"));
    HUB_FUZZ_CHECK(Keys(one_batch, names[p]) == Keys(small_batches, names[p]),
                   absl::StrCat("projection ", names[p],
                                " folds differently in small batches with a small cache"));
  }
  Query(one_batch, events, sac_years, !supplied_values);
  return 0;
}
