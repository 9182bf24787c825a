#include "services/intake/people_service.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "domain/common/envelope.h"
#include "domain/common/labels.h"
#include "domain/common/refusal.h"
#include "domain/common/streams.h"
#include "app/case_standing.h"
#include "app/command_request.h"
#include "app/command_rules.h"
#include "services/common/deadline.h"
#include "services/common/grpc_status.h"
#include "services/intake/translate.h"

namespace hub::services {

using app::CaseStore;
using app::LoadedStream;
using app::CommandOutcome;
using app::FindApplied;
using app::FindAppliedEvent;
using app::RunCommand;
using app::ToProto;
using app::AuthorizeCall;
using app::AuthorizeOnCase;
using app::StandingOnPerson;
using app::DeriveId;
namespace {

using common::v1::AdultDetails;
using common::v1::Identifier;
using domain::people::PersonState;
using events::v1::Event;

// Concurrent claims can move a command at most a few times (each retry finds one more claim).
constexpr int kMaxAttempts = 8;

// Linking order: NHS number (national, check-digit validated), then LA client id, then
// police reference.
int LinkingPriority(common::v1::IdentifierKind kind) {
  switch (kind) {
    case common::v1::IDENTIFIER_KIND_NHS_NUMBER:
      return 0;
    case common::v1::IDENTIFIER_KIND_LA_CLIENT_ID:
      return 1;
    case common::v1::IDENTIFIER_KIND_POLICE_REFERENCE:
      return 2;
    default:
      return 3;
  }
}

std::vector<Identifier> InLinkingOrder(const AdultDetails& details) {
  std::vector<Identifier> ordered(details.identifiers().begin(), details.identifiers().end());
  std::stable_sort(ordered.begin(), ordered.end(), [](const Identifier& a, const Identifier& b) {
    return LinkingPriority(a.kind()) < LinkingPriority(b.kind());
  });
  std::vector<Identifier> unique;
  for (Identifier& id : ordered) {
    const bool seen = std::any_of(unique.begin(), unique.end(), [&](const Identifier& u) {
      return domain::IdentifierStream(u) == domain::IdentifierStream(id);
    });
    if (!seen) unique.push_back(std::move(id));
  }
  return unique;
}

// The person the first claim on an ident- stream names; "" if the identifier is unclaimed.
std::string Claimant(const LoadedStream& stream) {
  for (const Event& event : stream.events) {
    if (event.has_identifier_claimed()) return event.identifier_claimed().person_id();
  }
  return "";
}

CommandOutcome Head(const LoadedStream& stream) {
  CommandOutcome outcome;
  outcome.stream = stream.name;
  outcome.version = stream.version;
  if (!stream.positions.empty()) outcome.position = stream.positions.back();
  return outcome;
}

// Where one attempt writes: the person, and the identifiers still to claim for them.
struct Target {
  std::string person_id;
  bool linked = false;
  std::vector<Identifier> unclaimed;
};

absl::StatusOr<Target> Resolve(CaseStore& store, const AdultDetails& details,
                               const std::string& own_person_id, absl::Time deadline) {
  Target target;
  for (Identifier& id : InLinkingOrder(details)) {
    HUB_ASSIGN_OR_RETURN(LoadedStream claim, store.Load(domain::IdentifierStream(id), deadline));
    const std::string claimant = Claimant(claim);
    if (claimant.empty()) {
      target.unclaimed.push_back(std::move(id));
    } else if (target.person_id.empty()) {
      target.person_id = claimant;
    }
    // A later identifier claimed by a different person keeps its claim (README: conflicts).
  }
  if (target.person_id.empty()) target.person_id = own_person_id;
  target.linked = target.person_id != own_person_id;
  return target;
}

// Claims `target.unclaimed` for the target person. False when a claim was lost to a
// concurrent command while this one was about to create a new person: resolve again, since the
// winner's person is then this adult's.
absl::StatusOr<bool> Claim(CaseStore& store, const domain::CommandContext& ctx,
                           const Target& target, absl::Time deadline) {
  for (const Identifier& id : target.unclaimed) {
    Event event = domain::NewEvent(ctx);
    *event.mutable_identifier_claimed()->mutable_identifier() = id;
    event.mutable_identifier_claimed()->set_person_id(target.person_id);
    const std::string stream = domain::IdentifierStream(id);
    absl::StatusOr<CommandOutcome> claimed =
        store.Append(stream, eventstore::ExpectedVersion::NoStream(), {event}, ctx, deadline);
    if (claimed.ok()) continue;
    if (claimed.status().code() != absl::StatusCode::kAborted) return claimed.status();
    HUB_ASSIGN_OR_RETURN(LoadedStream reloaded, store.Load(stream, deadline));
    if (Claimant(reloaded) == target.person_id) continue;
    if (!target.linked) return false;
  }
  return true;
}

// The identifiers a correction adds, to claim for `person_id` once it is written. An
// identifier another person record holds would make linking ambiguous: refused before anything
// is written.
absl::StatusOr<Target> ClaimsForCorrection(CaseStore& store, const std::string& person_id,
                                           const AdultDetails& details, absl::Time deadline) {
  Target claims{person_id, true, {}};
  for (Identifier& id : InLinkingOrder(details)) {
    HUB_ASSIGN_OR_RETURN(LoadedStream claim, store.Load(domain::IdentifierStream(id), deadline));
    const std::string claimant = Claimant(claim);
    if (claimant.empty()) {
      claims.unclaimed.push_back(std::move(id));
    } else if (claimant != person_id) {
      return domain::Refused(
          absl::StrCat("this ", domain::Label(id.kind()),
                       " already belongs to another person record (", claimant,
                       "): if they are the same person the records need merging, which a "
                       "correction cannot do"));
    }
  }
  return claims;
}

// The shared loop of FindOrRegisterPerson and UpdateKnownPerson: resolve the target, decide,
// claim, append; again from the top if a concurrent command wrote first.
absl::StatusOr<PersonWrite> WriteToPerson(CaseStore& store, const domain::CommandContext& ctx,
                                          const AdultDetails* details, absl::Time deadline,
                                          absl::FunctionRef<absl::StatusOr<Target>()> resolve,
                                          PersonEventsFn more) {
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    HUB_ASSIGN_OR_RETURN(Target target, resolve());
    HUB_ASSIGN_OR_RETURN(LoadedStream stream,
                         store.Load(domain::PersonStream(target.person_id), deadline));
    PersonState state = domain::people::Fold(stream.events);
    std::vector<Event> events;
    if (!state.exists) {
      // Also completes a claim whose registration never happened (a crash between the steps).
      if (details == nullptr) return domain::UnknownItem("person_id", "no such person");
      HUB_ASSIGN_OR_RETURN(
          events, domain::people::Decide(
                      state, domain::people::RegisterPerson{ctx, target.person_id, *details}));
      state = domain::people::Evolve(std::move(state), events.front());
    }
    HUB_ASSIGN_OR_RETURN(std::vector<Event> extra, more(target.person_id, target.linked, state));
    HUB_ASSIGN_OR_RETURN(bool claimed, Claim(store, ctx, target, deadline));
    if (!claimed) continue;
    for (Event& event : extra) {
      state = domain::people::Evolve(std::move(state), event);
      events.push_back(std::move(event));
    }
    PersonWrite write{target.person_id, target.linked, std::move(state), {}};
    if (events.empty()) {
      write.outcome = FindApplied(stream, ctx.command_key).value_or(Head(stream));
      return write;
    }
    const eventstore::ExpectedVersion expected =
        stream.exists() ? eventstore::ExpectedVersion::Exact(stream.version)
                        : eventstore::ExpectedVersion::NoStream();
    absl::StatusOr<CommandOutcome> appended =
        store.Append(stream.name, expected, events, ctx, deadline);
    if (appended.ok()) {
      write.outcome = *appended;
      return write;
    }
    if (appended.status().code() != absl::StatusCode::kAborted) return appended.status();
    // Another command registered or linked this person first: decide again on what it wrote.
  }
  return absl::AbortedError(
      "the person record was being changed by other commands at the same time; retry the "
      "command with the same command_id");
}

}  // namespace

std::function<absl::Status(const LoadedStream&)> OnPerson(CaseStore& store,
                                                          const domain::Caller& caller,
                                                          std::string_view method,
                                                          const config::Partnership& partnership,
                                                          absl::Time deadline) {
  return [&store, &caller, method, &partnership, deadline](const LoadedStream& loaded) -> absl::Status {
    HUB_ASSIGN_OR_RETURN(
        domain::access::CaseStanding standing,
        StandingOnPerson(store, domain::people::Fold(loaded.events), caller.agency_id,
                         partnership.host_asc_agency_ids(), deadline));
    return AuthorizeOnCase(caller, method, standing, "person_id");
  };
}

absl::StatusOr<PersonWrite> FindOrRegisterPerson(CaseStore& store,
                                                 const domain::CommandContext& ctx,
                                                 const AdultDetails& details, absl::Time deadline,
                                                 PersonEventsFn more) {
  const std::string own_person_id = DeriveId(ctx.command_key, "person");
  return WriteToPerson(
      store, ctx, &details, deadline,
      [&]() { return Resolve(store, details, own_person_id, deadline); }, more);
}

absl::StatusOr<PersonWrite> UpdateKnownPerson(CaseStore& store, const domain::CommandContext& ctx,
                                              const std::string& person_id, absl::Time deadline,
                                              PersonEventsFn more) {
  return WriteToPerson(
      store, ctx, nullptr, deadline,
      [&]() -> absl::StatusOr<Target> {
        return Target{person_id, true, {}};
      },
      more);
}

PeopleService::PeopleService(const ServiceDeps& deps) : deps_(deps), store_(deps.log) {}

grpc::Status PeopleService::RegisterPerson(grpc::ServerContext* context,
                                           const api::v1::RegisterPersonRequest* request,
                                           api::v1::RegisterPersonResponse* response) {
  return FinishCall(*context, RegisterPersonImpl(*context, *request, *response));
}

grpc::Status PeopleService::CorrectPersonDetails(
    grpc::ServerContext* context, const api::v1::CorrectPersonDetailsRequest* request,
    api::v1::CorrectPersonDetailsResponse* response) {
  return FinishCall(*context, CorrectPersonDetailsImpl(*context, *request, *response));
}

grpc::Status PeopleService::RecordRepresentative(
    grpc::ServerContext* context, const api::v1::RecordRepresentativeRequest* request,
    api::v1::RecordRepresentativeResponse* response) {
  return FinishCall(*context, RecordRepresentativeImpl(*context, *request, *response));
}

absl::Status PeopleService::RegisterPersonImpl(const grpc::ServerContextBase& context,
                                               const api::v1::RegisterPersonRequest& request,
                                               api::v1::RegisterPersonResponse& response) {
  constexpr char kMethod[] = "hub.api.v1.People/RegisterPerson";
  HUB_ASSIGN_OR_RETURN(domain::Caller caller, deps_.authenticator.Authenticate(context));
  HUB_RETURN_IF_ERROR(AuthorizeCall(caller, kMethod));
  // Registering finds a person already known by an identifier, so it is the MASH's: no one
  // else learns through it whom the hub knows.
  HUB_RETURN_IF_ERROR(AuthorizeOnCase(
      caller, kMethod,
      domain::access::StandingOf({}, caller.agency_id, deps_.partnership.host_asc_agency_ids()),
      "details"));
  HUB_ASSIGN_OR_RETURN(domain::people::RegisterPerson command,
                       RegisterPersonFromProto(caller, request, deps_.clock.Now()));
  HUB_ASSIGN_OR_RETURN(
      PersonWrite written,
      FindOrRegisterPerson(store_, command.ctx, command.details,
                           DeadlineFromGrpc(context.deadline()),
                           [](const std::string&, bool, const PersonState&) {
                             return absl::StatusOr<std::vector<Event>>(std::vector<Event>{});
                           }));
  ToProto(written.outcome, response.mutable_result());
  response.set_person_id(written.person_id);
  response.set_linked_to_existing_person(written.linked_to_existing_person);
  return absl::OkStatus();
}

absl::Status PeopleService::CorrectPersonDetailsImpl(
    const grpc::ServerContextBase& context, const api::v1::CorrectPersonDetailsRequest& request,
    api::v1::CorrectPersonDetailsResponse& response) {
  constexpr char kMethod[] = "hub.api.v1.People/CorrectPersonDetails";
  HUB_ASSIGN_OR_RETURN(domain::Caller caller, deps_.authenticator.Authenticate(context));
  HUB_RETURN_IF_ERROR(AuthorizeCall(caller, kMethod));
  HUB_ASSIGN_OR_RETURN(auto in, CorrectPersonDetailsFromProto(caller, request, deps_.clock.Now()));
  const absl::Time deadline = DeadlineFromGrpc(context.deadline());
  // Who may act first: a refused caller learns nothing of the identifiers' claims.
  HUB_ASSIGN_OR_RETURN(LoadedStream person, store_.Load(domain::PersonStream(in.id), deadline));
  HUB_RETURN_IF_ERROR(OnPerson(store_, caller, kMethod, deps_.partnership, deadline)(person));
  HUB_ASSIGN_OR_RETURN(Target claims,
                       ClaimsForCorrection(store_, in.id, in.command.details, deadline));
  HUB_ASSIGN_OR_RETURN(
      CommandOutcome outcome,
      RunCommand(store_, domain::PersonStream(in.id), "person_id", "person", in.expected_version,
                 in.command.ctx, deadline,
                 OnPerson(store_, caller, kMethod, deps_.partnership, deadline),
                 [&](const LoadedStream& stream) {
                   return domain::people::Decide(domain::people::Fold(stream.events), in.command);
                 }));
  // New identifiers link later concerns to this person (a concurrent claim elsewhere wins).
  HUB_RETURN_IF_ERROR(Claim(store_, in.command.ctx, claims, deadline).status());
  HUB_ASSIGN_OR_RETURN(LoadedStream stream, store_.Load(outcome.stream, deadline));
  if (const Event* event = FindAppliedEvent(stream, in.command.ctx.command_key)) {
    *response.mutable_fields_changed() = event->person_details_corrected().fields_changed();
  }
  ToProto(outcome, response.mutable_result());
  return absl::OkStatus();
}

absl::Status PeopleService::RecordRepresentativeImpl(
    const grpc::ServerContextBase& context, const api::v1::RecordRepresentativeRequest& request,
    api::v1::RecordRepresentativeResponse& response) {
  constexpr char kMethod[] = "hub.api.v1.People/RecordRepresentative";
  HUB_ASSIGN_OR_RETURN(domain::Caller caller, deps_.authenticator.Authenticate(context));
  HUB_RETURN_IF_ERROR(AuthorizeCall(caller, kMethod));
  HUB_ASSIGN_OR_RETURN(auto in, RecordRepresentativeFromProto(caller, request, deps_.clock.Now()));
  const absl::Time deadline = DeadlineFromGrpc(context.deadline());
  HUB_ASSIGN_OR_RETURN(
      CommandOutcome outcome,
      RunCommand(store_, domain::PersonStream(in.id), "person_id", "person", in.expected_version,
                 in.command.ctx, deadline,
                 OnPerson(store_, caller, kMethod, deps_.partnership, deadline),
                 [&](const LoadedStream& stream) {
                   return domain::people::Decide(domain::people::Fold(stream.events), in.command);
                 }));
  ToProto(outcome, response.mutable_result());
  response.set_representative_id(in.command.ctx.new_id);
  return absl::OkStatus();
}

}  // namespace hub::services
