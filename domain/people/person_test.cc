// Rules of the person stream, table-driven: given past events, a command, then the expected
// events or error. Every rule has a passing and a refusing case.
#include "domain/people/person.h"

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "domain/common/envelope.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hub::domain::people {
namespace {

using common::v1::AdultDetails;
using common::v1::Representative;
using events::v1::Event;
using ::hub::testing::IsOk;
using ::hub::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

const absl::Time kNow = absl::FromUnixSeconds(1717236000);  // 2024-06-01 10:00 UTC

CommandContext Ctx(const std::string& new_id = "new-1") {
  CommandContext ctx;
  ctx.caller.agency_id = "asc-northshire";
  ctx.caller.agency_kind = common::v1::AGENCY_KIND_ADULT_SOCIAL_CARE;
  ctx.caller.user_id = "sw-1";
  ctx.caller.roles = {common::v1::ROLE_MASH_TRIAGE};
  ctx.now = kNow;
  ctx.command_key = "asc-northshire/cmd-1";
  ctx.new_id = new_id;
  return ctx;
}

AdultDetails Details() {
  AdultDetails details;
  common::v1::Identifier* nhs = details.add_identifiers();
  nhs->set_kind(common::v1::IDENTIFIER_KIND_NHS_NUMBER);
  nhs->set_value("9434765919");
  details.mutable_name()->set_given("Mary");
  details.mutable_name()->set_family("Jones");
  details.mutable_address()->add_lines("1 High Street");
  details.mutable_address()->set_postcode("NS1 1AA");
  return details;
}

Event Registered(const std::string& person_id = "p-1") {
  Event event = NewEvent(Ctx());
  event.mutable_person_registered()->set_person_id(person_id);
  *event.mutable_person_registered()->mutable_details() = Details();
  return event;
}

Event RepresentativeEvent(const std::string& id, common::v1::RepresentativeKind kind) {
  Event event = NewEvent(Ctx());
  event.mutable_representative_recorded()->set_person_id("p-1");
  Representative* rep = event.mutable_representative_recorded()->mutable_representative();
  rep->set_representative_id(id);
  rep->set_kind(kind);
  rep->set_name("Ann Jones");
  return event;
}

Event Linked(const std::string& concern_id, int episode) {
  Event event = NewEvent(Ctx());
  event.mutable_person_concern_linked()->set_person_id("p-1");
  event.mutable_person_concern_linked()->set_concern_id(concern_id);
  event.mutable_person_concern_linked()->set_episode(episode);
  return event;
}

// The expectation of one case: an error code with a message fragment, or events to check.
struct Then {
  absl::StatusCode code = absl::StatusCode::kOk;
  std::string message;
  std::function<void(const std::vector<Event>&)> events;
};

template <typename Command>
struct Case {
  std::string name;
  std::vector<Event> given;
  std::function<void(Command&)> when;  // adjusts the base command
  Then then;
};

template <typename Command>
void RunCases(const Command& base, const std::vector<Case<Command>>& cases) {
  for (const Case<Command>& c : cases) {
    SCOPED_TRACE(c.name);
    Command command = base;
    if (c.when) c.when(command);
    absl::StatusOr<std::vector<Event>> result = Decide(Fold(c.given), command);
    if (c.then.code != absl::StatusCode::kOk) {
      EXPECT_THAT(result, StatusIs(c.then.code, HasSubstr(c.then.message)));
      continue;
    }
    ASSERT_THAT(result, IsOk());
    for (const Event& event : *result) {
      EXPECT_EQ(event.command_id(), base.ctx.command_key);
      EXPECT_EQ(FromTimestamp(event.occurred_at()), kNow);
      EXPECT_EQ(event.actor().agency_id(), "asc-northshire");
    }
    if (c.then.events) c.then.events(*result);
  }
}

TEST(NhsNumberTest, AcceptsValidCheckDigitsWithOrWithoutSpaces) {
  EXPECT_TRUE(IsValidNhsNumber("9434765919"));
  EXPECT_TRUE(IsValidNhsNumber("943 476 5919"));
  EXPECT_TRUE(IsValidNhsNumber("4010232137"));
  EXPECT_TRUE(IsValidNhsNumber("1234567881"));
}

TEST(NhsNumberTest, RefusesWrongCheckDigitLengthAndNonDigits) {
  EXPECT_FALSE(IsValidNhsNumber("9434765918"));   // wrong check digit
  EXPECT_FALSE(IsValidNhsNumber("943476591"));    // 9 digits
  EXPECT_FALSE(IsValidNhsNumber("94347659190"));  // 11 digits
  EXPECT_FALSE(IsValidNhsNumber("94347659A9"));
  EXPECT_FALSE(IsValidNhsNumber("943-476-5919"));
  EXPECT_FALSE(IsValidNhsNumber(""));
  // Check digit 10 is never issued, whatever the last digit.
  for (char last = '0'; last <= '9'; ++last) {
    EXPECT_FALSE(IsValidNhsNumber(std::string("000000006") + last));
  }
}

TEST(NhsNumberTest, NormaliseRemovesSpacesOnly) {
  EXPECT_EQ(NormaliseNhsNumber("943 476 5919"), "9434765919");
  EXPECT_EQ(NormaliseNhsNumber(" 9434765919 "), "9434765919");
  EXPECT_EQ(NormaliseNhsNumber("943-476"), "943-476");
}

TEST(PersonDecideTest, RegisterPerson) {
  RegisterPerson base{Ctx(), "p-1", Details()};
  RunCases<RegisterPerson>(
      base, {
                {"registers a new person",
                 {},
                 nullptr,
                 {.events =
                      [](const std::vector<Event>& events) {
                        ASSERT_THAT(events, SizeIs(1));
                        EXPECT_EQ(events[0].person_registered().person_id(), "p-1");
                        EXPECT_EQ(events[0].person_registered().details().name().family(), "Jones");
                      }}},
                {"a preferred name alone is enough",
                 {},
                 [](RegisterPerson& c) {
                   c.details.Clear();
                   c.details.mutable_name()->set_preferred("Molly");
                 },
                 {}},
                {"refuses a second registration",
                 {Registered()},
                 nullptr,
                 {absl::StatusCode::kFailedPrecondition, "already registered"}},
                {"refuses a record with neither name nor identifier",
                 {},
                 [](RegisterPerson& c) { c.details.Clear(); },
                 {absl::StatusCode::kFailedPrecondition, "needs a name or an identifier"}},
            });
}

TEST(PersonDecideTest, CorrectPersonDetails) {
  AdultDetails corrected = Details();
  corrected.mutable_name()->set_family("Jones-Smith");
  corrected.mutable_address()->set_postcode("NS2 2BB");
  CorrectPersonDetails base{Ctx(), corrected, "married name; moved house"};
  RunCases<CorrectPersonDetails>(
      base, {
                {"records the new details in full with the fields changed",
                 {Registered()},
                 nullptr,
                 {.events =
                      [&](const std::vector<Event>& events) {
                        ASSERT_THAT(events, SizeIs(1));
                        const events::v1::PersonDetailsCorrected& e =
                            events[0].person_details_corrected();
                        EXPECT_EQ(e.person_id(), "p-1");
                        EXPECT_EQ(e.reason(), "married name; moved house");
                        EXPECT_EQ(e.details().name().family(), "Jones-Smith");
                        EXPECT_EQ(e.details().name().given(), "Mary");
                        EXPECT_THAT(e.fields_changed(),
                                    ElementsAre("name.family", "address.postcode"));
                      }}},
                {"a changed identifier list is one field",
                 {Registered()},
                 [](CorrectPersonDetails& c) {
                   c.details = Details();
                   c.details.mutable_identifiers(0)->set_value("4010232137");
                 },
                 {.events =
                      [](const std::vector<Event>& events) {
                        EXPECT_THAT(events[0].person_details_corrected().fields_changed(),
                                    ElementsAre("identifiers"));
                      }}},
                {"refuses identical details",
                 {Registered()},
                 [](CorrectPersonDetails& c) { c.details = Details(); },
                 {absl::StatusCode::kFailedPrecondition, "nothing to correct"}},
                {"refuses a correction without a reason",
                 {Registered()},
                 [](CorrectPersonDetails& c) { c.reason = "  "; },
                 {absl::StatusCode::kFailedPrecondition, "needs a reason"}},
                {"refuses an unknown person",
                 {},
                 nullptr,
                 {absl::StatusCode::kNotFound, "person_id: no such person"}},
            });
}

TEST(PersonDecideTest, CorrectionsNeverEditHistory) {
  std::vector<Event> given = {Registered()};
  AdultDetails corrected = Details();
  corrected.set_phone("01234 567890");
  absl::StatusOr<std::vector<Event>> events =
      Decide(Fold(given), CorrectPersonDetails{Ctx(), corrected, "phone number given"});
  ASSERT_THAT(events, IsOk());
  given.insert(given.end(), events->begin(), events->end());
  EXPECT_EQ(given[0].person_registered().details().phone(), "");  // the original stands
  EXPECT_EQ(Fold(given).details.phone(), "01234 567890");
}

TEST(PersonDecideTest, RecordRepresentative) {
  Representative rep;
  rep.set_kind(common::v1::REPRESENTATIVE_KIND_LPA_HEALTH_AND_WELFARE);
  rep.set_name("Ann Jones");
  rep.set_relationship("daughter");
  rep.set_registered_with_opg(true);
  RecordRepresentative base{Ctx("rep-9"), rep, "", ""};
  RunCases<RecordRepresentative>(
      base,
      {
          {"records a registered LPA with the new id",
           {Registered()},
           nullptr,
           {.events =
                [](const std::vector<Event>& events) {
                  ASSERT_THAT(events, SizeIs(1));
                  const events::v1::RepresentativeRecorded& e = events[0].representative_recorded();
                  EXPECT_EQ(e.person_id(), "p-1");
                  EXPECT_EQ(e.representative().representative_id(), "rep-9");
                  EXPECT_EQ(e.representative().name(), "Ann Jones");
                }}},
          {"refuses an LPA not registered with the OPG",
           {Registered()},
           [](RecordRepresentative& c) { c.representative.set_registered_with_opg(false); },
           {absl::StatusCode::kFailedPrecondition, "has no legal effect"}},
          {"refuses an unregistered property and finance LPA too",
           {Registered()},
           [](RecordRepresentative& c) {
             c.representative.set_kind(common::v1::REPRESENTATIVE_KIND_LPA_PROPERTY_AND_FINANCE);
             c.representative.set_registered_with_opg(false);
           },
           {absl::StatusCode::kFailedPrecondition, "Office of the Public Guardian"}},
          {"records an unpaid appropriate individual",
           {Registered()},
           [](RecordRepresentative& c) {
             c.representative.set_kind(common::v1::REPRESENTATIVE_KIND_APPROPRIATE_INDIVIDUAL);
             c.representative.set_unpaid(true);
           },
           {}},
          {"refuses a paid appropriate individual",
           {Registered()},
           [](RecordRepresentative& c) {
             c.representative.set_kind(common::v1::REPRESENTATIVE_KIND_APPROPRIATE_INDIVIDUAL);
             c.representative.set_unpaid(false);
           },
           {absl::StatusCode::kFailedPrecondition, "s68(4)"}},
          {"records a deputy (no registration rule)",
           {Registered()},
           [](RecordRepresentative& c) {
             c.representative.set_kind(common::v1::REPRESENTATIVE_KIND_DEPUTY);
             c.representative.set_registered_with_opg(false);
           },
           {}},
          {"refuses a representative of no kind",
           {Registered()},
           [](RecordRepresentative& c) {
             c.representative.set_kind(common::v1::REPRESENTATIVE_KIND_UNSPECIFIED);
           },
           {absl::StatusCode::kFailedPrecondition, "what kind of representative"}},
          {"replaces an existing representative with a reason",
           {Registered(), RepresentativeEvent("rep-1", common::v1::REPRESENTATIVE_KIND_IMCA)},
           [](RecordRepresentative& c) {
             c.replaces_representative_id = "rep-1";
             c.reason = "LPA now registered";
           },
           {.events =
                [](const std::vector<Event>& events) {
                  EXPECT_EQ(events[0].representative_recorded().replaces_representative_id(),
                            "rep-1");
                  EXPECT_EQ(events[0].representative_recorded().reason(), "LPA now registered");
                }}},
          {"refuses replacing an unknown representative",
           {Registered()},
           [](RecordRepresentative& c) {
             c.replaces_representative_id = "rep-404";
             c.reason = "x";
           },
           {absl::StatusCode::kNotFound, "replaces_representative_id"}},
          {"refuses a replacement without a reason",
           {Registered(), RepresentativeEvent("rep-1", common::v1::REPRESENTATIVE_KIND_IMCA)},
           [](RecordRepresentative& c) { c.replaces_representative_id = "rep-1"; },
           {absl::StatusCode::kFailedPrecondition, "needs a reason"}},
          {"refuses an unknown person", {}, nullptr, {absl::StatusCode::kNotFound, "person_id"}},
      });
}

TEST(PersonDecideTest, LinkConcern) {
  LinkConcern base{Ctx(), "c-2"};
  RunCases<LinkConcern>(
      base,
      {
          {"the first concern is episode 1",
           {Registered()},
           nullptr,
           {.events =
                [](const std::vector<Event>& events) {
                  ASSERT_THAT(events, SizeIs(1));
                  EXPECT_EQ(events[0].person_concern_linked().concern_id(), "c-2");
                  EXPECT_EQ(events[0].person_concern_linked().episode(), 1);
                }}},
          {"the next concern is the next episode",
           {Registered(), Linked("c-1", 1)},
           nullptr,
           {.events =
                [](const std::vector<Event>& events) {
                  EXPECT_EQ(events[0].person_concern_linked().episode(), 2);
                }}},
          {"linking the same concern twice changes nothing",
           {Registered(), Linked("c-1", 1), Linked("c-2", 2)},
           nullptr,
           {.events = [](const std::vector<Event>& events) { EXPECT_THAT(events, IsEmpty()); }}},
          {"refuses an unknown person",
           {},
           nullptr,
           {absl::StatusCode::kNotFound, "no such person"}},
      });
}

TEST(PersonEvolveTest, KeepsCurrentRepresentativesAndEpisodes) {
  Event replacement = RepresentativeEvent("rep-2", common::v1::REPRESENTATIVE_KIND_DEPUTY);
  replacement.mutable_representative_recorded()->set_replaces_representative_id("rep-1");
  const PersonState state =
      Fold({Registered(), RepresentativeEvent("rep-1", common::v1::REPRESENTATIVE_KIND_IMCA),
            RepresentativeEvent("rep-3", common::v1::REPRESENTATIVE_KIND_IMHA), replacement,
            Linked("c-1", 1), Linked("c-2", 2)});
  EXPECT_TRUE(state.exists);
  EXPECT_EQ(state.person_id, "p-1");
  ASSERT_THAT(state.representatives, SizeIs(2));
  EXPECT_EQ(state.representatives[0].representative_id(), "rep-3");
  EXPECT_EQ(state.representatives[1].representative_id(), "rep-2");
  EXPECT_EQ(state.FindRepresentative("rep-1"), nullptr);
  EXPECT_THAT(state.concern_ids, ElementsAre("c-1", "c-2"));
  EXPECT_EQ(state.EpisodeOf("c-2"), 2);
  EXPECT_EQ(state.EpisodeOf("c-9"), 0);
}

}  // namespace
}  // namespace hub::domain::people
