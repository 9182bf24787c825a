// PeopleService: the hub.api.v1.People gRPC service (register, correct, record
// representatives), and deterministic linking of an adult to one person record, which
// ReferralIntakeService shares. See services/intake/README.md for the write sequence.
//
// Thread-safe: handlers share only the EventLog (thread-safe) and read-only configuration.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "domain/common/context.h"
#include "domain/people/person.h"
#include "grpcpp/server_context.h"
#include "hub/api/v1/people_service.grpc.pb.h"
#include "hub/common/v1/values.pb.h"
#include "hub/events/v1/events.pb.h"
#include "app/case_store.h"
#include "services/common/service_deps.h"

namespace hub::services {

using app::CaseStore;
using app::LoadedStream;
using app::CommandOutcome;
using app::RunCommand;

// What a command wrote to (or found on) a person stream.
struct PersonWrite {
  std::string person_id;
  // True when the person was found through an identifier another command had claimed.
  bool linked_to_existing_person = false;
  domain::people::PersonState state;  // the person after the write
  CommandOutcome outcome;             // the person stream for this command
};

// Given the person the command will write to (as it will stand once registered) returns the
// events to append to the person stream. Called before anything is written, so that it also
// validates the caller's own command; called again if a concurrent write forces a retry.
using PersonEventsFn = absl::FunctionRef<absl::StatusOr<std::vector<events::v1::Event>>(
    const std::string& person_id, bool linked_to_existing_person,
    const domain::people::PersonState& person)>;

// Finds the person `details` describes by deterministic linking, registering them if the hub
// does not know them, then appends `more` to their stream (with the registration, atomically,
// when registering). Identifier claims (ident-<kind>-<value>) are taken NHS number first, then
// LA client id, then police reference; the first claimed identifier names the person.
// Idempotent by ctx.command_key. Errors: kFailedPrecondition from the domain (nothing
// written); kAborted when concurrent claims kept moving (retry the command).
[[nodiscard]] absl::StatusOr<PersonWrite> FindOrRegisterPerson(
    CaseStore& store, const domain::CommandContext& ctx, const common::v1::AdultDetails& details,
    absl::Time deadline, PersonEventsFn more);

// Appends `more` to the existing person `person_id` (kNotFound "person_id: no such person").
[[nodiscard]] absl::StatusOr<PersonWrite> UpdateKnownPerson(CaseStore& store,
                                                            const domain::CommandContext& ctx,
                                                            const std::string& person_id,
                                                            absl::Time deadline,
                                                            PersonEventsFn more);

// Who may act on a person: the rule for `method` (command_rules.h), by how the caller's agency
// stands to the person's cases (the MASH stands to every person). For RunCommand's authorize
// step on a person stream; the references must outlive the returned function.
std::function<absl::Status(const LoadedStream&)> OnPerson(CaseStore& store,
                                                          const domain::Caller& caller,
                                                          std::string_view method,
                                                          const config::Partnership& partnership,
                                                          absl::Time deadline);

class PeopleService final : public api::v1::People::Service {
 public:
  explicit PeopleService(const ServiceDeps& deps);

  // hub::api::v1::People
  grpc::Status RegisterPerson(grpc::ServerContext* context,
                              const api::v1::RegisterPersonRequest* request,
                              api::v1::RegisterPersonResponse* response) override;
  grpc::Status CorrectPersonDetails(grpc::ServerContext* context,
                                    const api::v1::CorrectPersonDetailsRequest* request,
                                    api::v1::CorrectPersonDetailsResponse* response) override;
  grpc::Status RecordRepresentative(grpc::ServerContext* context,
                                    const api::v1::RecordRepresentativeRequest* request,
                                    api::v1::RecordRepresentativeResponse* response) override;

 private:
  [[nodiscard]] absl::Status RegisterPersonImpl(const grpc::ServerContextBase& context,
                                                const api::v1::RegisterPersonRequest& request,
                                                api::v1::RegisterPersonResponse& response);
  [[nodiscard]] absl::Status CorrectPersonDetailsImpl(
      const grpc::ServerContextBase& context, const api::v1::CorrectPersonDetailsRequest& request,
      api::v1::CorrectPersonDetailsResponse& response);
  [[nodiscard]] absl::Status RecordRepresentativeImpl(
      const grpc::ServerContextBase& context, const api::v1::RecordRepresentativeRequest& request,
      api::v1::RecordRepresentativeResponse& response);

  const ServiceDeps deps_;
  CaseStore store_;
};

}  // namespace hub::services
