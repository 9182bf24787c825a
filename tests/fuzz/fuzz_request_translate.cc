// fuzz_request_translate: the translation of wire requests into domain commands, the one place
// request fields are validated (services/intake/translate.h, services/enquiry/translate.h,
// services/eventstore/translate.h), followed by what a handler does next with an accepted
// command: the domain's Decide against a real case (fuzz_scenario.h) and the append the
// service would make.
//
// Input: [request kind][caller and stage][serialized request]. The first byte picks one of the
// 38 request kinds (modulo; see Requests()); the second's low two bits one of ScenarioCallers()
// and its bit 2 the enquiry an enquiry or advocacy command meets (0: open, 1: concluded); the
// rest is parsed as that request message.
//
// Invariants (beyond "no crash, no sanitizer report"):
//   - a refused request is kInvalidArgument (or kNotFound for an unknown agency) and its
//     message names the field first ("details.what_happened: required");
//   - an accepted command names a valid stream, and the domain's answer is either events or an
//     error with a message (a refusal, a missing role, an unknown item, or a missing part
//     naming its field);
//   - every event the domain returns has a payload, survives serialisation (so it could be
//     read back from the log: proto3 strings must be valid UTF-8), folds into the state, and
//     the append the service would make passes the log's own validation;
//   - an accepted EventStore request satisfies the bounds its translation promises.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "domain/common/envelope.h"
#include "domain/common/streams.h"
#include "eventstore/event_log.h"
#include "eventstore/internal/record_codec.h"
#include "eventstore/internal/sha256.h"
#include "google/protobuf/stubs/logging.h"
#include "services/enquiry/translate.h"
#include "services/eventstore/translate.h"
#include "services/intake/translate.h"
#include "tests/fuzz/fuzz_scenario.h"
#include "tests/fuzz/fuzz_support.h"

namespace hub::fuzz {
namespace {

namespace api = ::hub::api::v1;
namespace ev1 = ::hub::events::v1;
namespace intake = ::hub::domain::intake;
namespace enq = ::hub::domain::enquiry;
namespace people = ::hub::domain::people;
using Events = std::vector<ev1::Event>;

const Scenario* scenario = nullptr;
const domain::enquiry::EnquiryState* enquiry_state = nullptr;  // for this input

// A translation refused the request.
void CheckRefusal(const absl::Status& status, const std::string& request) {
  HUB_FUZZ_CHECK(!status.ok(), "not a refusal");
  HUB_FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument ||
                     status.code() == absl::StatusCode::kNotFound,
                 absl::StrCat(request, ": translation answered ", status.ToString()));
  HUB_FUZZ_CHECK(NamesAField(status.message()),
                 absl::StrCat(request, ": refusal does not name a field: ", status.ToString()));
}

// The stream an accepted command will be appended to must be one the log accepts.
void CheckStream(const std::string& stream, const std::string& request) {
  const absl::Status valid = eventstore::ValidateStreamName(stream, eventstore::Limits{});
  HUB_FUZZ_CHECK(valid.ok(), absl::StrCat(request, ": accepted id makes stream \"", stream,
                                          "\" the log refuses: ", valid.ToString()));
}

// The domain's answer to an accepted command. Returns the events when it decided.
std::optional<Events> CheckDecided(const absl::StatusOr<Events>& decided,
                                   const domain::CommandContext& ctx, const std::string& stream,
                                   const std::string& request) {
  if (!decided.ok()) {
    const absl::Status& s = decided.status();
    HUB_FUZZ_CHECK(!s.message().empty(), absl::StrCat(request, ": Decide failed without a message"));
    const bool known = s.code() == absl::StatusCode::kFailedPrecondition ||
                       s.code() == absl::StatusCode::kPermissionDenied ||
                       s.code() == absl::StatusCode::kNotFound ||
                       s.code() == absl::StatusCode::kInvalidArgument;
    HUB_FUZZ_CHECK(known, absl::StrCat(request, ": Decide answered ", s.ToString()));
    if (s.code() == absl::StatusCode::kInvalidArgument || s.code() == absl::StatusCode::kNotFound) {
      HUB_FUZZ_CHECK(NamesAField(s.message()),
                     absl::StrCat(request, ": Decide's error names no field: ", s.ToString()));
    }
    return std::nullopt;
  }
  // The append CaseStore::Append would make (services/common/case_store.cc).
  eventstore::AppendRequest append;
  append.stream = stream;
  append.idempotency_key = ctx.command_key;
  for (const ev1::Event& event : *decided) {
    eventstore::NewEvent& record = append.events.emplace_back();
    record.type = domain::EventTypeName(event);
    HUB_FUZZ_CHECK(!record.type.empty(), absl::StrCat(request, ": Decide made an event without a payload"));
    HUB_FUZZ_CHECK(event.SerializeToString(&record.payload),
                   absl::StrCat(request, ": an event cannot be serialised"));
    ev1::Event read_back;
    HUB_FUZZ_CHECK(read_back.ParseFromString(record.payload),
                   absl::StrCat(request, ": a ", record.type,
                                " event would be written but could never be read back "
                                "(a string field that is not UTF-8?)"));
    HUB_FUZZ_CHECK(read_back.SerializeAsString() == record.payload,
                   absl::StrCat(request, ": a ", record.type, " event does not read back the same"));
    record.metadata.actor_agency = ctx.caller.agency_id;
    record.metadata.actor_user = ctx.caller.user_id;
    record.metadata.causation_id = ctx.command_key;
  }
  if (!append.events.empty()) {
    const absl::Status valid = eventstore::ValidateAppendRequest(append, eventstore::Limits{});
    HUB_FUZZ_CHECK(valid.ok(), absl::StrCat(request, ": the log would refuse the command's events: ",
                                            valid.ToString()));
    (void)::eventstore_internal::AppendDigest(append);
  }
  return *decided;
}

// ---- intake ----

template <typename Request>
bool Parse(std::string_view bytes, Request& request) {
  return request.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

template <typename Translated, typename Decider>
void Intake(const absl::StatusOr<Translated>& in, const std::string& request,
            std::string (*stream_of)(const std::string&), Decider decide) {
  if (!in.ok()) return CheckRefusal(in.status(), request);
  const std::string stream = stream_of(in->id);
  CheckStream(stream, request);
  decide(*in, stream);
}

void PersonCommand(std::string_view bytes, const domain::Caller& caller, int which) {
  const Scenario& s = *scenario;
  switch (which) {
    case 0: {
      api::RegisterPersonRequest r;
      if (!Parse(bytes, r)) return;
      absl::StatusOr<people::RegisterPerson> in =
          services::RegisterPersonFromProto(caller, r, kScenarioNow);
      if (!in.ok()) return CheckRefusal(in.status(), "RegisterPerson");
      people::RegisterPerson command = *in;
      command.person_id = app::DeriveId(command.ctx.command_key, "person");
      const std::string stream = domain::PersonStream(command.person_id);
      CheckStream(stream, "RegisterPerson");
      if (auto events = CheckDecided(people::Decide(people::PersonState{}, command), command.ctx,
                                     stream, "RegisterPerson")) {
        people::PersonState state = people::Fold(*events);
        for (const cv1::Identifier& id : state.details.identifiers()) {
          CheckStream(domain::IdentifierStream(id), "RegisterPerson (identifier claim)");
        }
      }
      (void)CheckDecided(people::Decide(s.person, command), command.ctx, "person-p1",
                         "RegisterPerson (again)");
      return;
    }
    case 1: {
      api::CorrectPersonDetailsRequest r;
      if (!Parse(bytes, r)) return;
      Intake(services::CorrectPersonDetailsFromProto(caller, r, kScenarioNow),
             "CorrectPersonDetails", &domain::PersonStream, [&](const auto& in, const std::string& stream) {
               if (auto events = CheckDecided(people::Decide(s.person, in.command), in.command.ctx,
                                              stream, "CorrectPersonDetails")) {
                 people::PersonState state = s.person;
                 for (const ev1::Event& e : *events) state = people::Evolve(std::move(state), e);
                 for (const cv1::Identifier& id : state.details.identifiers()) {
                   CheckStream(domain::IdentifierStream(id), "CorrectPersonDetails (claim)");
                 }
               }
             });
      return;
    }
    default: {
      api::RecordRepresentativeRequest r;
      if (!Parse(bytes, r)) return;
      Intake(services::RecordRepresentativeFromProto(caller, r, kScenarioNow),
             "RecordRepresentative", &domain::PersonStream, [&](const auto& in, const std::string& stream) {
               if (auto events = CheckDecided(people::Decide(s.person, in.command), in.command.ctx,
                                              stream, "RecordRepresentative")) {
                 people::PersonState state = s.person;
                 for (const ev1::Event& e : *events) state = people::Evolve(std::move(state), e);
               }
             });
      return;
    }
  }
}

void RaiseConcern(std::string_view bytes, const domain::Caller& caller) {
  const Scenario& s = *scenario;
  api::RaiseConcernRequest r;
  if (!Parse(bytes, r)) return;
  absl::StatusOr<intake::RaiseConcern> in = services::RaiseConcernFromProto(caller, r, kScenarioNow);
  if (!in.ok()) return CheckRefusal(in.status(), "RaiseConcern");
  intake::RaiseConcern command = *in;
  // What ReferralIntakeService fills in: the concern id, the host authority, and the person
  // (the scenario's for a known person, a new one otherwise) with their history.
  command.concern_id = app::DeriveId(command.ctx.command_key, "concern");
  command.host_local_authority_code = s.partnership.config().host_local_authority_code();
  if (!command.person_id.empty()) {
    CheckStream(domain::PersonStream(command.person_id), "RaiseConcern (person_id)");
    command.person_id = "p1";
    command.adult = s.person.details;
    command.linked_to_existing_person = true;
    command.episode = static_cast<int>(s.person.concern_ids.size()) + 1;
    command.previous_concern_ids = s.person.concern_ids;
  } else {
    command.person_id = app::DeriveId(command.ctx.command_key, "person");
    for (const cv1::Identifier& id : command.adult.identifiers()) {
      CheckStream(domain::IdentifierStream(id), "RaiseConcern (identifier claim)");
    }
  }
  const std::string stream = domain::ConcernStream(command.concern_id);
  CheckStream(stream, "RaiseConcern");
  if (auto events = CheckDecided(intake::Decide(intake::ConcernState{}, command), command.ctx,
                                 stream, "RaiseConcern")) {
    intake::ConcernState state = intake::Fold(*events);
    (void)CheckDecided(people::Decide(s.person, people::LinkConcern{command.ctx, state.concern_id}),
                       command.ctx, "person-p1", "RaiseConcern (link to person)");
  }
}

// Decides on the scenario's concern and folds what was decided.
template <typename Command>
void OnConcern(const services::IntakeStreamCommand<Command>& in, const std::string& stream,
               const std::string& request) {
  if (auto events = CheckDecided(intake::Decide(scenario->concern, in.command), in.command.ctx,
                                 stream, request)) {
    intake::ConcernState state = scenario->concern;
    for (const ev1::Event& e : *events) state = intake::Evolve(std::move(state), e);
  }
}

void MashCommand(std::string_view bytes, const domain::Caller& caller, int which) {
  const Scenario& s = *scenario;
  switch (which) {
    case 0: {
      api::TriageConcernRequest r;
      if (!Parse(bytes, r)) return;
      Intake(services::TriageConcernFromProto(caller, r, kScenarioNow), "TriageConcern",
             &domain::ConcernStream, [&](auto in, const std::string& stream) {
               in.command.timescales = s.partnership.config().timescales();
               in.command.calendar = s.calendar;
               OnConcern(in, stream, "TriageConcern");
             });
      return;
    }
    case 1: {
      api::RequestResearchRequest r;
      if (!Parse(bytes, r)) return;
      Intake(services::RequestResearchFromProto(caller, r, kScenarioNow), "RequestResearch",
             &domain::ConcernStream, [&](auto in, const std::string& stream) {
               const config::v1::Agency* agency = s.partnership.FindAgency(in.command.agency_id);
               if (agency == nullptr) return;  // the service answers kNotFound "agency_id: ..."
               in.command.agency_kind = agency->kind();
               OnConcern(in, stream, "RequestResearch");
             });
      return;
    }
    case 2: {
      api::AnswerResearchRequest r;
      if (!Parse(bytes, r)) return;
      Intake(services::AnswerResearchFromProto(caller, r, kScenarioNow), "AnswerResearch",
             &domain::ConcernStream,
             [&](const auto& in, const std::string& stream) { OnConcern(in, stream, "AnswerResearch"); });
      return;
    }
    case 3: {
      api::RecordThresholdDecisionRequest r;
      if (!Parse(bytes, r)) return;
      Intake(services::RecordThresholdDecisionFromProto(caller, r, kScenarioNow),
             "RecordThresholdDecision", &domain::ConcernStream, [&](auto in, const std::string& stream) {
               in.command.enquiry_id = app::DeriveId(in.command.ctx.command_key, "enquiry");
               absl::StatusOr<intake::ThresholdDecisionEvents> decided =
                   intake::DecideThreshold(s.concern, in.command);
               absl::StatusOr<Events> concern_events =
                   decided.ok() ? absl::StatusOr<Events>(decided->concern_events)
                                : absl::StatusOr<Events>(decided.status());
               if (!CheckDecided(concern_events, in.command.ctx, stream, "RecordThresholdDecision")) {
                 return;
               }
               if (decided->enquiry_opened.has_value()) {
                 const std::string enquiry = domain::EnquiryStream(in.command.enquiry_id);
                 CheckStream(enquiry, "RecordThresholdDecision (enquiry)");
                 (void)CheckDecided(Events{*decided->enquiry_opened}, in.command.ctx, enquiry,
                                    "RecordThresholdDecision (enquiry opened)");
                 (void)enq::ComputeAdvocacyDuty(enq::Fold({*decided->enquiry_opened}));
               }
             });
      return;
    }
    case 4: {
      api::RecordSharingConsentRequest r;
      if (!Parse(bytes, r)) return;
      Intake(services::RecordSharingConsentFromProto(caller, r, kScenarioNow),
             "RecordSharingConsent", &domain::ConcernStream, [&](const auto& in, const std::string& stream) {
               OnConcern(in, stream, "RecordSharingConsent");
             });
      return;
    }
    default: {
      api::RecordReferrerFeedbackRequest r;
      if (!Parse(bytes, r)) return;
      Intake(services::RecordReferrerFeedbackFromProto(caller, r, kScenarioNow),
             "RecordReferrerFeedback", &domain::ConcernStream, [&](const auto& in, const std::string& stream) {
               OnConcern(in, stream, "RecordReferrerFeedback");
             });
      return;
    }
  }
}

// ---- enquiry and advocacy ----

template <typename Request>
void Enquiry(std::string_view bytes, const domain::Caller& caller, const std::string& name) {
  Request r;
  if (!Parse(bytes, r)) return;
  auto in = services::FromProto(r, caller, kScenarioNow, scenario->partnership);
  if (!in.ok()) return CheckRefusal(in.status(), name);
  const std::string stream = domain::EnquiryStream(in->enquiry_id);
  CheckStream(stream, name);
  if (auto events = CheckDecided(enq::Decide(*enquiry_state, in->command), in->command.ctx,
                                 stream, name)) {
    const enq::EnquiryState state = enq::Fold(*enquiry_state, *events);
    api::AdvocacyDuty duty;
    services::ToProto(enq::ComputeAdvocacyDuty(state), &duty);
    (void)enq::ReasonsAgainstCeasing(state);
  }
}

// ---- EventStore and LogAdmin ----

void EventStoreRequest(std::string_view bytes, int which) {
  const eventstore::Limits limits;
  switch (which) {
    case 0: {
      api::AppendRequest r;
      if (!Parse(bytes, r)) return;
      absl::StatusOr<eventstore::AppendRequest> in =
          services::AppendRequestFromProto(r, absl::InfiniteFuture(), limits);
      if (!in.ok()) return CheckRefusal(in.status(), "Append");
      HUB_FUZZ_CHECK(eventstore::ValidateAppendRequest(*in, limits).ok(), "Append: not valid");
      HUB_FUZZ_CHECK(in->events.size() == static_cast<size_t>(r.events_size()),
                     "Append: events lost in translation");
      // Read back as the log would return them, paged by size: at least one event per page,
      // and a page that leaves events out says where to continue.
      eventstore::ReadAllResult result;
      for (size_t i = 0; i < in->events.size(); ++i) {
        eventstore::RecordedEvent& e = result.events.emplace_back();
        e.event_id = in->events[i].event_id;
        e.type = in->events[i].type;
        e.schema_version = in->events[i].schema_version;
        e.payload = in->events[i].payload;
        e.metadata = in->events[i].metadata;
        e.stream = in->stream;
        e.stream_version = StreamVersion(static_cast<int64_t>(i));
        e.position = GlobalPosition(static_cast<int64_t>(i));
        e.link.assign(::eventstore_internal::kDigestSize, '\0');
        (void)::eventstore_internal::EncodeStoredRecord(e);
      }
      result.next = GlobalPosition(static_cast<int64_t>(in->events.size()));
      result.end_of_log = true;
      api::ReadAllResponse page;
      services::ReadAllResultToProto(result, 64, &page);
      HUB_FUZZ_CHECK(page.events_size() >= 1, "ReadAll page without an event");
      HUB_FUZZ_CHECK(page.end_of_log() == (page.events_size() == static_cast<int>(in->events.size())),
                     "ReadAll page: end_of_log wrong");
      HUB_FUZZ_CHECK(page.next_position() == page.events_size(), "ReadAll page: next_position wrong");
      return;
    }
    case 1: {
      api::ReadStreamRequest r;
      if (!Parse(bytes, r)) return;
      absl::StatusOr<services::ReadStreamQuery> q = services::ReadStreamQueryFromProto(r, limits);
      if (!q.ok()) return CheckRefusal(q.status(), "ReadStream");
      HUB_FUZZ_CHECK(q->options.limit >= 1 && q->options.limit <= services::kMaxReadLimit,
                     "ReadStream: limit out of range");
      HUB_FUZZ_CHECK(q->options.from.value() >= (q->options.direction == eventstore::Direction::kForward ? 0 : -1),
                     "ReadStream: from_version out of range");
      CheckStream(q->stream, "ReadStream");
      return;
    }
    case 2: {
      api::ReadAllRequest r;
      if (!Parse(bytes, r)) return;
      absl::StatusOr<eventstore::ReadAllOptions> o =
          services::ReadAllOptionsFromProto(r, absl::InfiniteFuture(), limits);
      if (!o.ok()) return CheckRefusal(o.status(), "ReadAll");
      HUB_FUZZ_CHECK(o->from.value() >= 0 && o->limit >= 1 && o->limit <= services::kMaxReadLimit,
                     "ReadAll: bounds");
      return;
    }
    case 3: {
      api::SubscribeRequest r;
      if (!Parse(bytes, r)) return;
      absl::StatusOr<services::SubscribeQuery> q = services::SubscribeQueryFromProto(r, limits);
      if (!q.ok()) return CheckRefusal(q.status(), "Subscribe");
      HUB_FUZZ_CHECK(q->from.value() >= 0, "Subscribe: negative position");
      return;
    }
    case 4: {
      api::VerifyRequest r;
      if (!Parse(bytes, r)) return;
      absl::StatusOr<eventstore::VerifyOptions> o = services::VerifyOptionsFromProto(r);
      if (!o.ok()) return CheckRefusal(o.status(), "Verify");
      if (o->expected_position.has_value()) {
        HUB_FUZZ_CHECK(o->expected_position->value() >= 0 &&
                           o->expected_link.size() == ::eventstore_internal::kDigestSize,
                       "Verify: expected head out of range");
      }
      return;
    }
    default: {
      api::BackupRequest r;
      if (!Parse(bytes, r)) return;
      // Whatever is asked, an accepted backup lands directly in the backup directory.
      constexpr char kBackupDir[] = "/srv/backups";  // the seed names an entry in it
      absl::StatusOr<std::string> dir = services::BackupDirectoryFromProto(r, kBackupDir);
      if (!dir.ok()) return CheckRefusal(dir.status(), "Backup");
      const std::filesystem::path path(*dir);
      HUB_FUZZ_CHECK(path.parent_path() == kBackupDir && path.filename() != "." &&
                         path.filename() != ".." && path.lexically_normal() == path,
                     "Backup: outside the backup directory");
      return;
    }
  }
}

using Handler = std::function<void(std::string_view, const domain::Caller&)>;

const std::vector<Handler>& Requests() {
  static const auto* handlers = new std::vector<Handler>{
      // 0-2 People, 3 ReferralIntake, 4-9 Mash
      [](auto b, const auto& c) { PersonCommand(b, c, 0); },
      [](auto b, const auto& c) { PersonCommand(b, c, 1); },
      [](auto b, const auto& c) { PersonCommand(b, c, 2); },
      [](auto b, const auto& c) { RaiseConcern(b, c); },
      [](auto b, const auto& c) { MashCommand(b, c, 0); },
      [](auto b, const auto& c) { MashCommand(b, c, 1); },
      [](auto b, const auto& c) { MashCommand(b, c, 2); },
      [](auto b, const auto& c) { MashCommand(b, c, 3); },
      [](auto b, const auto& c) { MashCommand(b, c, 4); },
      [](auto b, const auto& c) { MashCommand(b, c, 5); },
      // 10-23 Enquiry
      [](auto b, const auto& c) { Enquiry<api::AssignLeadRequest>(b, c, "AssignLead"); },
      [](auto b, const auto& c) { Enquiry<api::RecordStrategyDiscussionRequest>(b, c, "RecordStrategyDiscussion"); },
      [](auto b, const auto& c) { Enquiry<api::CompleteActionRequest>(b, c, "CompleteAction"); },
      [](auto b, const auto& c) { Enquiry<api::ReviseDesiredOutcomesRequest>(b, c, "ReviseDesiredOutcomes"); },
      [](auto b, const auto& c) { Enquiry<api::RecordCapacityAssessmentRequest>(b, c, "RecordCapacityAssessment"); },
      [](auto b, const auto& c) { Enquiry<api::RecordBestInterestsDecisionRequest>(b, c, "RecordBestInterestsDecision"); },
      [](auto b, const auto& c) { Enquiry<api::RecordRiskAssessmentRequest>(b, c, "RecordRiskAssessment"); },
      [](auto b, const auto& c) { Enquiry<api::RecordProtectionPlanRequest>(b, c, "RecordProtectionPlan"); },
      [](auto b, const auto& c) { Enquiry<api::ReviewProtectionPlanRequest>(b, c, "ReviewProtectionPlan"); },
      [](auto b, const auto& c) { Enquiry<api::RecordCoercionConcernRequest>(b, c, "RecordCoercionConcern"); },
      [](auto b, const auto& c) { Enquiry<api::RecordSpokenToAloneRequest>(b, c, "RecordSpokenToAlone"); },
      [](auto b, const auto& c) { Enquiry<api::RecordDutyOfCareDecisionRequest>(b, c, "RecordDutyOfCareDecision"); },
      [](auto b, const auto& c) { Enquiry<api::ConcludeEnquiryRequest>(b, c, "ConcludeEnquiry"); },
      [](auto b, const auto& c) { Enquiry<api::CloseEnquiryRequest>(b, c, "CloseEnquiry"); },
      // 24-31 Advocacy
      [](auto b, const auto& c) { Enquiry<api::AssessSubstantialDifficultyRequest>(b, c, "AssessSubstantialDifficulty"); },
      [](auto b, const auto& c) { Enquiry<api::AssessAppropriateIndividualRequest>(b, c, "AssessAppropriateIndividual"); },
      [](auto b, const auto& c) { Enquiry<api::RecordAdvocacyExceptionsRequest>(b, c, "RecordAdvocacyExceptions"); },
      [](auto b, const auto& c) { Enquiry<api::ReferForAdvocacyRequest>(b, c, "ReferForAdvocacy"); },
      [](auto b, const auto& c) { Enquiry<api::AcceptAdvocacyReferralRequest>(b, c, "AcceptAdvocacyReferral"); },
      [](auto b, const auto& c) { Enquiry<api::DeclineAdvocacyReferralRequest>(b, c, "DeclineAdvocacyReferral"); },
      [](auto b, const auto& c) { Enquiry<api::AllocateAdvocateRequest>(b, c, "AllocateAdvocate"); },
      [](auto b, const auto& c) { Enquiry<api::RecordAdvocateViewsRequest>(b, c, "RecordAdvocateViews"); },
      // 32-37 EventStore and LogAdmin
      [](auto b, const auto&) { EventStoreRequest(b, 0); },
      [](auto b, const auto&) { EventStoreRequest(b, 1); },
      [](auto b, const auto&) { EventStoreRequest(b, 2); },
      [](auto b, const auto&) { EventStoreRequest(b, 3); },
      [](auto b, const auto&) { EventStoreRequest(b, 4); },
      [](auto b, const auto&) { EventStoreRequest(b, 5); },
  };
  return *handlers;
}

}  // namespace
}  // namespace hub::fuzz

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  google::protobuf::SetLogHandler(nullptr);  // unparseable inputs are expected here
  hub::fuzz::scenario = new hub::fuzz::Scenario(hub::fuzz::BuildScenario());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hub::fuzz;
  if (size < 2) return 0;
  const std::vector<Handler>& requests = Requests();
  const Handler& handler = requests[data[0] % requests.size()];
  const hub::domain::Caller& caller = scenario->callers[(data[1] & 3) % scenario->callers.size()];
  enquiry_state = (data[1] & 4) ? &scenario->concluded : &scenario->enquiry;
  handler(std::string_view(reinterpret_cast<const char*>(data) + 2, size - 2), caller);
  return 0;
}
