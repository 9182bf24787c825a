#include "domain/people/person.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "domain/common/envelope.h"
#include "domain/common/labels.h"
#include "domain/common/refusal.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/message_differencer.h"

namespace hub::domain::people {
namespace {

using common::v1::AdultDetails;
using common::v1::Representative;
using events::v1::Event;

bool IsLpa(common::v1::RepresentativeKind kind) {
  return kind == common::v1::REPRESENTATIVE_KIND_LPA_HEALTH_AND_WELFARE ||
         kind == common::v1::REPRESENTATIVE_KIND_LPA_PROPERTY_AND_FINANCE;
}

bool HasNameOrIdentifier(const AdultDetails& details) {
  const common::v1::PersonName& name = details.name();
  return details.identifiers_size() > 0 || !absl::StripAsciiWhitespace(name.given()).empty() ||
         !absl::StripAsciiWhitespace(name.family()).empty() ||
         !absl::StripAsciiWhitespace(name.preferred()).empty();
}

bool Blank(const std::string& s) { return absl::StripAsciiWhitespace(s).empty(); }

void AppendChanged(const google::protobuf::Message& before, const google::protobuf::Message& after,
                   const std::string& prefix, std::vector<std::string>& out) {
  const google::protobuf::Descriptor* descriptor = before.GetDescriptor();
  const google::protobuf::Reflection* reflection = before.GetReflection();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = descriptor->field(i);
    const std::string path =
        prefix.empty() ? field->name() : absl::StrCat(prefix, ".", field->name());
    if (!field->is_repeated() &&
        field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      // An absent sub-message reads as its default instance: absent == empty.
      AppendChanged(reflection->GetMessage(before, field), reflection->GetMessage(after, field),
                    path, out);
      continue;
    }
    google::protobuf::util::MessageDifferencer differencer;
    if (!differencer.CompareWithFields(before, after, {field}, {field})) out.push_back(path);
  }
}

}  // namespace

bool IsValidNhsNumber(std::string_view value) {
  const std::string digits = NormaliseNhsNumber(value);
  if (digits.size() != 10) return false;
  for (char c : digits) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  int sum = 0;
  for (int i = 0; i < 9; ++i) sum += (digits[i] - '0') * (10 - i);
  int check = 11 - (sum % 11);
  if (check == 11) check = 0;
  if (check == 10) return false;  // no number with this check digit is ever issued
  return check == digits[9] - '0';
}

std::string NormaliseNhsNumber(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c != ' ') out.push_back(c);
  }
  return out;
}

const Representative* PersonState::FindRepresentative(const std::string& id) const {
  for (const Representative& r : representatives) {
    if (r.representative_id() == id) return &r;
  }
  return nullptr;
}

int PersonState::EpisodeOf(const std::string& concern_id) const {
  for (size_t i = 0; i < concern_ids.size(); ++i) {
    if (concern_ids[i] == concern_id) return static_cast<int>(i) + 1;
  }
  return 0;
}

PersonState Evolve(PersonState state, const Event& event) {
  switch (event.payload_case()) {
    case Event::kPersonRegistered:
      state.exists = true;
      state.person_id = event.person_registered().person_id();
      state.details = event.person_registered().details();
      break;
    case Event::kPersonDetailsCorrected:
      state.details = event.person_details_corrected().details();
      break;
    case Event::kRepresentativeRecorded: {
      const events::v1::RepresentativeRecorded& recorded = event.representative_recorded();
      if (!recorded.replaces_representative_id().empty()) {
        std::erase_if(state.representatives, [&](const Representative& r) {
          return r.representative_id() == recorded.replaces_representative_id();
        });
      }
      state.representatives.push_back(recorded.representative());
      break;
    }
    case Event::kPersonConcernLinked:
      state.concern_ids.push_back(event.person_concern_linked().concern_id());
      break;
    default:
      break;  // events of other streams do not change a person
  }
  return state;
}

PersonState Fold(const std::vector<Event>& events) {
  PersonState state;
  for (const Event& event : events) state = Evolve(std::move(state), event);
  return state;
}

std::vector<std::string> ChangedFields(const AdultDetails& before, const AdultDetails& after) {
  std::vector<std::string> out;
  AppendChanged(before, after, "", out);
  return out;
}

absl::StatusOr<std::vector<Event>> Decide(const PersonState& state, const RegisterPerson& command) {
  // One person, one record: a second registration would split the adult's history.
  if (state.exists) {
    return Refused(absl::StrCat("person ", state.person_id,
                                " is already registered: correct their details instead"));
  }
  if (command.person_id.empty()) return absl::InvalidArgumentError("person_id: required");
  // A record nobody can recognise cannot be linked to later concerns ("keep an open door").
  if (!HasNameOrIdentifier(command.details)) {
    return Refused(
        "a person record needs a name or an identifier: record what the referrer knows (a "
        "preferred name is enough)");
  }
  Event event = NewEvent(command.ctx);
  events::v1::PersonRegistered* registered = event.mutable_person_registered();
  registered->set_person_id(command.person_id);
  *registered->mutable_details() = command.details;
  return std::vector<Event>{std::move(event)};
}

absl::StatusOr<std::vector<Event>> Decide(const PersonState& state,
                                          const CorrectPersonDetails& command) {
  if (!state.exists) return UnknownItem("person_id", "no such person");
  // Corrections never edit history: each is a new event with its reason and corrector.
  if (Blank(command.reason)) {
    return Refused("a correction needs a reason: say why the details were wrong");
  }
  if (!HasNameOrIdentifier(command.details)) {
    return Refused("a person record needs a name or an identifier: keep at least one");
  }
  std::vector<std::string> changed = ChangedFields(state.details, command.details);
  if (changed.empty()) {
    return Refused("nothing to correct: the details given are the same as those recorded");
  }
  Event event = NewEvent(command.ctx);
  events::v1::PersonDetailsCorrected* corrected = event.mutable_person_details_corrected();
  corrected->set_person_id(state.person_id);
  *corrected->mutable_details() = command.details;
  corrected->set_reason(command.reason);
  for (std::string& field : changed) corrected->add_fields_changed(std::move(field));
  return std::vector<Event>{std::move(event)};
}

absl::StatusOr<std::vector<Event>> Decide(const PersonState& state,
                                          const RecordRepresentative& command) {
  if (!state.exists) return UnknownItem("person_id", "no such person");
  const Representative& rep = command.representative;
  if (rep.kind() == common::v1::REPRESENTATIVE_KIND_UNSPECIFIED) {
    return Refused("say what kind of representative this is (LPA, deputy, advocate ...)");
  }
  // MCA 2005 s9-s10 and Sch 1: an LPA has no legal effect until registered with the OPG.
  if (IsLpa(rep.kind()) && !rep.registered_with_opg()) {
    return Refused(absl::StrCat(
        "an unregistered ", Label(rep.kind()),
        " has no legal effect: record it once the Office of the Public Guardian has registered "
        "it (note the person as family or friend meanwhile)"));
  }
  // Care Act 2014 s68(4): a paid or professional carer cannot be the appropriate individual.
  if (rep.kind() == common::v1::REPRESENTATIVE_KIND_APPROPRIATE_INDIVIDUAL && !rep.unpaid()) {
    return Refused(
        "an appropriate individual must be unpaid (Care Act s68(4)): a paid or professional "
        "carer cannot be one; consider an independent advocate instead");
  }
  if (!command.replaces_representative_id.empty()) {
    if (state.FindRepresentative(command.replaces_representative_id) == nullptr) {
      return UnknownItem("replaces_representative_id",
                         "no such current representative for this person");
    }
    // Corrections never edit history: a replacement says why the earlier record ends.
    if (Blank(command.reason)) {
      return Refused("replacing a representative needs a reason (e.g. \"LPA now registered\")");
    }
  }
  Event event = NewEvent(command.ctx);
  events::v1::RepresentativeRecorded* recorded = event.mutable_representative_recorded();
  recorded->set_person_id(state.person_id);
  *recorded->mutable_representative() = rep;
  recorded->mutable_representative()->set_representative_id(command.ctx.new_id);
  recorded->set_replaces_representative_id(command.replaces_representative_id);
  recorded->set_reason(command.reason);
  return std::vector<Event>{std::move(event)};
}

absl::StatusOr<std::vector<Event>> Decide(const PersonState& state, const LinkConcern& command) {
  if (!state.exists) return UnknownItem("person_id", "no such person");
  if (command.concern_id.empty()) return absl::InvalidArgumentError("concern_id: required");
  // Idempotent: a concern is one episode of the person's history, linked once.
  if (state.EpisodeOf(command.concern_id) != 0) return std::vector<Event>{};
  Event event = NewEvent(command.ctx);
  events::v1::PersonConcernLinked* linked = event.mutable_person_concern_linked();
  linked->set_person_id(state.person_id);
  linked->set_concern_id(command.concern_id);
  // "Keep an open door": each concern about the person is their next episode.
  linked->set_episode(static_cast<int>(state.concern_ids.size()) + 1);
  return std::vector<Event>{std::move(event)};
}

}  // namespace hub::domain::people
