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
// Entries touched in a batch are decoded once, kept in memory and written out in Flush.
//
// Thread-safety: the projection is thread-compatible (the engine drives it from one worker);
// the query functions are thread-safe (KvStore is).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "eventstore/kv_store.h"
#include "google/protobuf/arena.h"
#include "hub/common/v1/values.pb.h"
#include "hub/views/v1/person_index.pb.h"
#include "projections/engine/projection.h"

namespace hub::projections {

inline constexpr char kPersonIndexName[] = "person_index";

class PersonIndexProjection final : public Projection {
 public:
  std::string_view name() const override { return kPersonIndexName; }
  absl::Status Apply(const eventstore::RecordedEvent& record, const events::v1::Event& event,
                     Txn& txn) override;
  absl::Status Flush(Txn& txn) override;
  void Reset() override;

 private:
  // The cached entry of `person_id`, read on first use in the batch, created when absent.
  absl::StatusOr<views::v1::PersonEntry*> EntryFor(Txn& txn, const std::string& person_id);
  // The concern/ and enquiry/ maps, through the batch cache; "" when unknown.
  absl::StatusOr<std::string> Lookup(Txn& txn, const std::string& key);
  void Link(Txn& txn, const std::string& key, const std::string& value);
  // Replaces the person's details, moving their identifier and name keys.
  absl::Status SetDetails(Txn& txn, views::v1::PersonEntry& entry,
                          const common::v1::AdultDetails& details);
  absl::Status ApplyPersonEvent(const events::v1::Event& event, Txn& txn, int64_t position);
  absl::Status ApplyCaseEvent(const eventstore::RecordedEvent& record,
                              const events::v1::Event& event, Txn& txn);

  // Live for one batch only (cleared in Flush and Reset); map keys are the store keys.
  // Messages live on the arena, reset after each batch: decoding a batch's messages and
  // dropping them costs no malloc/free per field.
  google::protobuf::Arena arena_;
  absl::flat_hash_map<std::string, views::v1::PersonEntry*> persons_;
  absl::flat_hash_map<std::string, std::string> maps_;
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
