#include "services/intake/referral_intake_service.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status_macros.h"
#include "domain/common/streams.h"
#include "domain/intake/concern.h"
#include "domain/people/person.h"
#include "services/common/command_request.h"
#include "services/common/command_rules.h"
#include "services/common/deadline.h"
#include "services/common/grpc_status.h"
#include "services/intake/people_service.h"
#include "services/intake/translate.h"

namespace hub::services {
namespace {

using domain::people::PersonState;
using events::v1::Event;

// The concern's place in the person's history: its episode (the one already linked, on a
// retry) and the concerns before it.
void SetHistory(domain::intake::RaiseConcern& command, const PersonState& person) {
  int episode = person.EpisodeOf(command.concern_id);
  if (episode == 0) episode = static_cast<int>(person.concern_ids.size()) + 1;
  command.episode = episode;
  command.previous_concern_ids.assign(person.concern_ids.begin(),
                                      person.concern_ids.begin() + (episode - 1));
}

void ToResponse(const events::v1::ConcernRaised& raised, const CommandOutcome& outcome,
                api::v1::RaiseConcernResponse& response) {
  ToProto(outcome, response.mutable_result());
  response.set_concern_id(raised.concern_id());
  response.set_person_id(raised.person_id());
  response.set_linked_to_existing_person(raised.linked_to_existing_person());
  response.set_episode(raised.episode());
  *response.mutable_previous_concern_ids() = raised.previous_concern_ids();
  for (const common::v1::DesiredOutcome& outcome : raised.details().desired_outcomes()) {
    response.add_desired_outcome_ids(outcome.outcome_id());
  }
}

// Answers a retry from the concern stream this command already wrote.
absl::Status RespondFromStream(const LoadedStream& stream, const std::string& command_key,
                               api::v1::RaiseConcernResponse& response) {
  std::optional<CommandOutcome> original = FindApplied(stream, command_key);
  if (!original.has_value() || !stream.events.front().has_concern_raised()) {
    return absl::InternalError("concern stream " + stream.name + " was not written by " +
                               command_key);
  }
  ToResponse(stream.events.front().concern_raised(), *original, response);
  return absl::OkStatus();
}

}  // namespace

ReferralIntakeService::ReferralIntakeService(const ServiceDeps& deps)
    : deps_(deps), store_(deps.log) {}

grpc::Status ReferralIntakeService::RaiseConcern(grpc::ServerContext* context,
                                                 const api::v1::RaiseConcernRequest* request,
                                                 api::v1::RaiseConcernResponse* response) {
  return FinishCall(*context, RaiseConcernImpl(*context, *request, *response));
}

absl::Status ReferralIntakeService::RaiseConcernImpl(const grpc::ServerContextBase& context,
                                                     const api::v1::RaiseConcernRequest& request,
                                                     api::v1::RaiseConcernResponse& response) {
  HUB_ASSIGN_OR_RETURN(domain::Caller caller, deps_.authenticator.Authenticate(context));
  HUB_ASSIGN_OR_RETURN(domain::intake::RaiseConcern command,
                       RaiseConcernFromProto(caller, request, deps_.clock.Now()));
  HUB_RETURN_IF_ERROR(AuthorizeCall(caller, "hub.api.v1.ReferralIntake/RaiseConcern"));
  const absl::Time deadline = DeadlineFromGrpc(context.deadline());
  const domain::CommandContext& ctx = command.ctx;
  command.concern_id = DeriveId(ctx.command_key, "concern");
  command.host_local_authority_code = deps_.partnership.config().host_local_authority_code();
  const std::string stream = domain::ConcernStream(command.concern_id);
  HUB_ASSIGN_OR_RETURN(LoadedStream existing, store_.Load(stream, deadline));
  if (existing.exists()) return RespondFromStream(existing, ctx.command_key, response);

  const bool known_person = !command.person_id.empty();
  // Fills the command from the person it is about; the concern is decided (and so validated)
  // before anything is written, and the person stream gets the link.
  auto about = [&](const std::string& person_id, bool linked, const PersonState& person) {
    command.person_id = person_id;
    command.linked_to_existing_person = linked;
    if (known_person) command.adult = person.details;
    SetHistory(command, person);
  };
  auto link = [&](const std::string& person_id, bool linked,
                  const PersonState& person) -> absl::StatusOr<std::vector<Event>> {
    about(person_id, linked, person);
    HUB_RETURN_IF_ERROR(domain::intake::Decide(domain::intake::ConcernState{}, command).status());
    return domain::people::Decide(person, domain::people::LinkConcern{ctx, command.concern_id});
  };
  HUB_ASSIGN_OR_RETURN(PersonWrite person,
                       known_person
                           ? UpdateKnownPerson(store_, ctx, command.person_id, deadline, link)
                           : FindOrRegisterPerson(store_, ctx, command.adult, deadline, link));
  about(person.person_id, person.linked_to_existing_person, person.state);
  HUB_ASSIGN_OR_RETURN(std::vector<Event> events,
                       domain::intake::Decide(domain::intake::ConcernState{}, command));
  absl::StatusOr<CommandOutcome> appended =
      store_.Append(stream, eventstore::ExpectedVersion::NoStream(), events, ctx, deadline);
  if (appended.status().code() == absl::StatusCode::kAborted) {
    // The same command, retried while the original was in flight, wrote the concern first.
    HUB_ASSIGN_OR_RETURN(LoadedStream written, store_.Load(stream, deadline));
    return RespondFromStream(written, ctx.command_key, response);
  }
  if (!appended.ok()) return appended.status();
  ToResponse(events.front().concern_raised(), *appended, response);
  return absl::OkStatus();
}

}  // namespace hub::services
