// RunEnquiryCommand: the six steps every Enquiry and Advocacy command handler shares
// (STYLE 9.9), so that each handler is a call and a response mapping. Internal to
// services/enquiry. Thread-safe (the dependencies are).
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "base/status_macros.h"
#include "domain/common/streams.h"
#include "domain/enquiry/advocacy.h"
#include "domain/enquiry/enquiry.h"
#include "grpcpp/server_context.h"
#include "app/case_standing.h"
#include "app/case_store.h"
#include "app/command_rules.h"
#include "services/common/deadline.h"
#include "services/common/service_deps.h"
#include "services/enquiry/translate.h"

namespace hub::services {

using app::CaseStore;
using app::LoadedStream;
using app::CommandOutcome;
using app::RunCommand;
using app::AuthorizeCall;
using app::AuthorizeOnCase;
using app::StandingOnCase;

// What a command run did.
struct EnquiryCommandRun {
  CommandOutcome outcome;
  std::string new_id;  // the command's new_id: it names what the command created
  // The enquiry as the command left it; filled only when asked for.
  domain::enquiry::EnquiryState state;
};

// Authenticates the caller (kUnauthenticated), authorises `method` by role
// (kPermissionDenied), translates and validates `request` (kInvalidArgument, kNotFound for an
// unknown agency), then RunCommand on the enquiry's stream, authorising the caller's agency by
// how it stands to the case (kPermissionDenied, command_rules.h): a retry answers with the
// original outcome (replayed); kNotFound "enquiry_id: no such enquiry"; kAborted on a stale
// expected version; the domain's refusals unchanged. With `want_state`, the state after the
// command is folded too (for a retry: as the original command left it).
template <typename Request>
[[nodiscard]] absl::StatusOr<EnquiryCommandRun> RunEnquiryCommand(
    const ServiceDeps& deps, CaseStore& store, const grpc::ServerContextBase& context,
    std::string_view method, const Request& request, bool want_state = false) {
  HUB_ASSIGN_OR_RETURN(domain::Caller caller, deps.authenticator.Authenticate(context));
  HUB_RETURN_IF_ERROR(AuthorizeCall(caller, method));
  HUB_ASSIGN_OR_RETURN(auto translated,
                       FromProto(request, caller, deps.clock.Now(), deps.partnership));
  const std::string stream = domain::EnquiryStream(translated.enquiry_id);
  const absl::Time deadline = DeadlineFromGrpc(context.deadline());
  EnquiryCommandRun run;
  bool decided = false;
  HUB_ASSIGN_OR_RETURN(
      run.outcome,
      RunCommand(store, stream, "enquiry_id", "enquiry", translated.expected_version,
                 translated.command.ctx, deadline,
                 [&](const LoadedStream& loaded) -> absl::Status {
                   HUB_ASSIGN_OR_RETURN(
                       domain::access::CaseStanding standing,
                       StandingOnCase(store, loaded, caller.agency_id,
                                      deps.partnership.host_asc_agency_ids(), deadline));
                   return AuthorizeOnCase(caller, method, standing, "enquiry_id");
                 },
                 [&](const LoadedStream& loaded) -> absl::StatusOr<std::vector<events::v1::Event>> {
                   run.state = domain::enquiry::Fold(loaded.events);
                   HUB_ASSIGN_OR_RETURN(std::vector<events::v1::Event> events,
                                        domain::enquiry::Decide(run.state, translated.command));
                   run.state = domain::enquiry::Fold(std::move(run.state), events);
                   decided = true;
                   return events;
                 }));
  if (want_state && !decided) {
    HUB_ASSIGN_OR_RETURN(LoadedStream loaded, store.Load(stream, deadline));
    const size_t upto =
        std::min(loaded.events.size(), static_cast<size_t>(run.outcome.version.value() + 1));
    run.state = domain::enquiry::Fold(std::vector<events::v1::Event>(
        loaded.events.begin(), loaded.events.begin() + static_cast<std::ptrdiff_t>(upto)));
  }
  run.new_id = translated.command.ctx.new_id;
  return run;
}

}  // namespace hub::services
