// PersonIndexProjection ("person_index"): who the hub knows and how to find them. One
// hub.views.v1.PersonEntry per person (details as they now stand, current representatives,
// their concerns as episodes, every agency connected to them), with lookup indexes by
// identifier and by name and date of birth.
//
// Keys (under "p/person_index/"):
//   person/<person_id>                                       -> hub.views.v1.PersonEntry
//   ident/<IdentifierKind number>/<value>                    -> person_id
//       value without white space, ASCII lower case; from the person's details and from
//       IdentifierClaimed (the first person to hold a value keeps it); a correction that drops
//       an identifier deletes its key.
//   name/<family>/<given>/<YYYYMMDD>/<person_id>             -> postcode as recorded
//       names normalised to ASCII lower-case letters only ("O'Brien" -> "obrien"); a correction
//       moves the key.
//   concern/<concern_id> -> person_id, enquiry/<enquiry_id> -> concern_id
//       this projection's own maps from case events to the person (never another
//       projection's keys).
// Decoded entries and the concern/enquiry maps stay cached across batches
// (engine/record_cache.h): an entry is parsed once while in use and serialised once per
// batch that changes it.
//
// Thread-safety: the projection is thread-compatible (the engine drives it from one worker);
// the query functions are thread-safe (KvStore is).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "eventstore/kv_store.h"
#include "hub/common/v1/values.pb.h"
#include "hub/views/v1/person_index.pb.h"
#include "projections/engine/record_cache.h"
#include "projections/engine/projection.h"

namespace hub::projections {

inline constexpr char kPersonIndexName[] = "person_index";

class PersonIndexProjection final : public Projection {
 public:
  PersonIndexProjection() : PersonIndexProjection(CacheLimits{}) {}
  // `limits` bounds the entries kept decoded (and, by record count, the cached maps).
  explicit PersonIndexProjection(CacheLimits limits);

  std::string_view name() const override { return kPersonIndexName; }
  [[nodiscard]] absl::Status Apply(const eventstore::RecordedEvent& record,
                                   const events::v1::Event& event, Txn& txn) override;
  [[nodiscard]] absl::Status Flush(Txn& txn) override;
  void Reset() override;

 private:
  // The entry of `person_id`, to be changed: from the cache, else read from the store, else
  // created.
  [[nodiscard]] absl::StatusOr<views::v1::PersonEntry*> EntryFor(Txn& txn,
                                                                 const std::string& person_id);
  // The concern/ and enquiry/ maps, through the cache; "" when unknown.
  [[nodiscard]] absl::StatusOr<std::string> Lookup(Txn& txn, const std::string& key);
  // Records a map entry (written in Flush when it changed).
  void Link(const std::string& key, const std::string& value);
  // Replaces the person's details, moving their identifier and name keys.
  [[nodiscard]] absl::Status SetDetails(Txn& txn, views::v1::PersonEntry& entry,
                                        const common::v1::AdultDetails& details);
  [[nodiscard]] absl::Status ApplyPersonEvent(const events::v1::Event& event, Txn& txn,
                                              int64_t position);
  [[nodiscard]] absl::Status ApplyCaseEvent(const eventstore::RecordedEvent& record,
                                            const events::v1::Event& event, Txn& txn);

  // Keyed by person id and by store key ("concern/..", "enquiry/.."); dirty entries are
  // written in Flush.
  RecordCache<views::v1::PersonEntry> persons_;
  RecordCache<std::string> maps_;
  // The position after the last event folded: an event before it means the batch is being
  // folded again (after a failed write), so the cache no longer matches the store.
  int64_t next_position_ = 0;
};

// The person's entry; nullopt when unknown.
[[nodiscard]] absl::StatusOr<std::optional<views::v1::PersonEntry>> LoadPerson(
    eventstore::KvStore& store, const std::string& person_id);

// The person holding an identifier (NHS numbers with or without spaces; every kind compared
// ignoring white space and ASCII case); nullopt when no one does.
[[nodiscard]] absl::StatusOr<std::optional<std::string>> FindByIdentifier(
    eventstore::KvStore& store, common::v1::IdentifierKind kind, const std::string& value);

// People with this family and given name (compared as ASCII letters, ignoring case) and date of
// birth, in person id order; with `postcode` non-empty, only those whose recorded postcode is
// the same ignoring case and spaces. One prefix scan: cost grows with the matches, not the
// index. A name with no letters matches no one.
[[nodiscard]] absl::StatusOr<std::vector<std::string>> FindByNameAndBirth(
    eventstore::KvStore& store, const std::string& family, const std::string& given,
    const common::v1::Date& date_of_birth, const std::string& postcode);

}  // namespace hub::projections
