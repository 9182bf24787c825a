// The person at the centre of concerns (stream person-<id>): registration, corrections,
// representatives, and the concerns linked to them (episodes, "keep an open door").
//
// Pure functions over values: Decide(state, command) -> events | Status and Evolve(state,
// event) -> state. No I/O, no clock. Used by services/intake (People and ReferralIntake).
// Thread-safe (no state).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "domain/common/context.h"
#include "hub/common/v1/values.pb.h"
#include "hub/events/v1/events.pb.h"

namespace hub::domain::people {

// NHS numbers: 10 digits (spaces allowed on input) whose last digit is the mod-11 check digit
// of the first nine (weights 10..2; check = 11 - sum mod 11, 11 -> 0, 10 -> never issued).
bool IsValidNhsNumber(std::string_view value);
// `value` without spaces ("943 476 5919" -> "9434765919"); other characters are kept.
std::string NormaliseNhsNumber(std::string_view value);

struct PersonState {
  bool exists = false;
  std::string person_id;
  common::v1::AdultDetails details;  // as they now stand (after corrections)
  // Current representatives, in the order recorded; a replaced record is dropped here (its
  // history stays in the stream).
  std::vector<common::v1::Representative> representatives;
  std::vector<std::string> concern_ids;  // linked concerns, oldest first (episode = index + 1)

  // The current representative with this id, or nullptr.
  const common::v1::Representative* FindRepresentative(const std::string& id) const;
  // The episode of a linked concern (1-based), or 0 if it is not linked.
  int EpisodeOf(const std::string& concern_id) const;
};

PersonState Evolve(PersonState state, const events::v1::Event& event);
PersonState Fold(const std::vector<events::v1::Event>& events);

// Registers a person. The service chooses person_id (derived from the command key, or the
// id an identifier claim already names) and links identifiers before registering.
struct RegisterPerson {
  CommandContext ctx;
  std::string person_id;
  common::v1::AdultDetails details;
};

// Replaces the details with `details` in full, with a reason; history is never edited.
struct CorrectPersonDetails {
  CommandContext ctx;
  common::v1::AdultDetails details;
  std::string reason;
};

// Records a representative; its id is ctx.new_id.
struct RecordRepresentative {
  CommandContext ctx;
  common::v1::Representative representative;
  std::string replaces_representative_id;  // optional
  std::string reason;                      // required when replacing
};

// Links a concern to the person as their next episode.
struct LinkConcern {
  CommandContext ctx;
  std::string concern_id;
};

// Errors: kFailedPrecondition for a refused rule (message says what to do), kNotFound when
// the person or a named item does not exist.
[[nodiscard]] absl::StatusOr<std::vector<events::v1::Event>> Decide(const PersonState& state,
                                                                    const RegisterPerson& command);
[[nodiscard]] absl::StatusOr<std::vector<events::v1::Event>> Decide(
    const PersonState& state, const CorrectPersonDetails& command);
[[nodiscard]] absl::StatusOr<std::vector<events::v1::Event>> Decide(
    const PersonState& state, const RecordRepresentative& command);
// Idempotent per concern: a concern already linked yields an EMPTY vector, which callers treat
// as "nothing to do" (the existing episode is state.EpisodeOf(concern_id)).
[[nodiscard]] absl::StatusOr<std::vector<events::v1::Event>> Decide(const PersonState& state,
                                                                    const LinkConcern& command);

// The dotted paths of the fields that differ between `before` and `after`, in field order
// ("address.postcode", "name.given", "identifiers"); a repeated field is one path.
std::vector<std::string> ChangedFields(const common::v1::AdultDetails& before,
                                       const common::v1::AdultDetails& after);

}  // namespace hub::domain::people
