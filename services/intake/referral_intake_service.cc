#include "services/intake/referral_intake_service.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status_macros.h"
#include "domain/common/streams.h"
#include "domain/intake/concern.h"
#include "domain/people/person.h"
#include "app/case_standing.h"
#include "app/command_request.h"
#include "app/command_rules.h"
#include "services/common/deadline.h"
#include "services/common/grpc_status.h"
#include "services/intake/people_service.h"
#include "services/intake/translate.h"

namespace hub::services {

using app::CaseStore;
using app::LoadedStream;
using app::CommandOutcome;
using app::FindApplied;
using app::ToProto;
using app::AuthorizeCall;
using app::StandingOnCase;
using app::DeriveId;
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

constexpr char kRaiseConcern[] = "hub.api.v1.ReferralIntake/RaiseConcern";

// What the raiser may learn of the adult's history. A concern that finds an adult by an
// identifier must not tell the raiser whom the hub already knows: the MASH (which stands to
// every person) learns the link and the history; any other agency only the earlier concerns it
// is itself connected to, and the person id and episode only when the history holds nothing
// else (then they tell it nothing new).
struct HistoryShown {
  bool all = false;
  std::vector<std::string> previous_concern_ids;  // those shown, when not all
};

absl::StatusOr<HistoryShown> HistoryFor(CaseStore& store, const domain::CommandContext& ctx,
                                        const config::Partnership& partnership,
                                        const events::v1::ConcernRaised& raised,
                                        absl::Time deadline) {
  const domain::Caller& caller = ctx.caller;
  HistoryShown shown;
  const std::vector<std::string>& host = partnership.host_asc_agency_ids();
  if (domain::access::StandingOf({}, caller.agency_id, host).connected()) {
    shown.all = true;
    return shown;
  }
  // Who linked each earlier concern (its raiser): known from the person stream even while a
  // concern raised at the same moment has not yet written its own stream.
  HUB_ASSIGN_OR_RETURN(LoadedStream person,
                       store.Load(domain::PersonStream(raised.person_id()), deadline));
  std::vector<std::string> raised_by_caller;
  for (const events::v1::Event& event : person.events) {
    if (event.has_person_concern_linked() && event.actor().agency_id() == caller.agency_id) {
      raised_by_caller.push_back(event.person_concern_linked().concern_id());
    }
  }
  for (const std::string& concern_id : raised.previous_concern_ids()) {
    if (std::find(raised_by_caller.begin(), raised_by_caller.end(), concern_id) !=
        raised_by_caller.end()) {
      shown.previous_concern_ids.push_back(concern_id);
      continue;
    }
    HUB_ASSIGN_OR_RETURN(LoadedStream earlier,
                         store.Load(domain::ConcernStream(concern_id), deadline));
    HUB_ASSIGN_OR_RETURN(domain::access::CaseStanding standing,
                         StandingOnCase(store, earlier, caller.agency_id, host, deadline));
    if (standing.connected()) shown.previous_concern_ids.push_back(concern_id);
  }
  // A first concern that found a record someone else made tells nothing of it either (one this
  // command made itself, completing an earlier claim, tells nothing new).
  const bool made_here =
      !person.events.empty() && person.events.front().command_id() == ctx.command_key;
  shown.all = static_cast<int>(shown.previous_concern_ids.size()) ==
                  raised.previous_concern_ids_size() &&
              (!raised.linked_to_existing_person() || made_here ||
               !shown.previous_concern_ids.empty());
  return shown;
}

void ToResponse(const events::v1::ConcernRaised& raised, const CommandOutcome& outcome,
                const HistoryShown& history, api::v1::RaiseConcernResponse& response) {
  ToProto(outcome, response.mutable_result());
  response.set_concern_id(raised.concern_id());
  if (history.all) {
    response.set_person_id(raised.person_id());
    response.set_linked_to_existing_person(raised.linked_to_existing_person());
    response.set_episode(raised.episode());
    *response.mutable_previous_concern_ids() = raised.previous_concern_ids();
  } else {
    for (const std::string& id : history.previous_concern_ids) {
      response.add_previous_concern_ids(id);
    }
  }
  for (const common::v1::DesiredOutcome& outcome : raised.details().desired_outcomes()) {
    response.add_desired_outcome_ids(outcome.outcome_id());
  }
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
  HUB_RETURN_IF_ERROR(AuthorizeCall(caller, kRaiseConcern));
  HUB_ASSIGN_OR_RETURN(domain::intake::RaiseConcern command,
                       RaiseConcernFromProto(caller, request, deps_.clock.Now()));
  const absl::Time deadline = DeadlineFromGrpc(context.deadline());
  const domain::CommandContext& ctx = command.ctx;
  command.concern_id = DeriveId(ctx.command_key, "concern");
  command.host_local_authority_code = deps_.partnership.config().host_local_authority_code();
  // Answers from the concern as written: the first attempt's, for a retry.
  auto respond = [&](const events::v1::ConcernRaised& raised,
                     const CommandOutcome& outcome) -> absl::Status {
    HUB_ASSIGN_OR_RETURN(HistoryShown history,
                         HistoryFor(store_, ctx, deps_.partnership, raised, deadline));
    ToResponse(raised, outcome, history, response);
    return absl::OkStatus();
  };
  auto respond_from_stream = [&](const LoadedStream& stream) -> absl::Status {
    std::optional<CommandOutcome> original = FindApplied(stream, ctx.command_key);
    if (!original.has_value() || !stream.events.front().has_concern_raised()) {
      return absl::InternalError("concern stream " + stream.name + " was not written by " +
                                 ctx.command_key);
    }
    return respond(stream.events.front().concern_raised(), *original);
  };
  const std::string stream = domain::ConcernStream(command.concern_id);
  HUB_ASSIGN_OR_RETURN(LoadedStream existing, store_.Load(stream, deadline));
  if (existing.exists()) return respond_from_stream(existing);

  const bool known_person = !command.person_id.empty();
  if (known_person) {
    // Raising about a person by id copies their record into the concern: only for an agency
    // already connected to them (the MASH always is).
    HUB_ASSIGN_OR_RETURN(LoadedStream person,
                         store_.Load(domain::PersonStream(command.person_id), deadline));
    HUB_RETURN_IF_ERROR(
        OnPerson(store_, caller, kRaiseConcern, deps_.partnership, deadline)(person));
  }
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
    return respond_from_stream(written);
  }
  if (!appended.ok()) return appended.status();
  return respond(events.front().concern_raised(), *appended);
}

}  // namespace hub::services
