// Views: reads of the hub, each through the information sharing agreement (policy/), and the
// operators' projection admin.
//
// Every read of personal data follows one path: authenticate -> validate (INVALID_ARGUMENT
// naming the field) -> authorise the RPC by role -> wait for the read models to reach the
// caller's min_position (read-your-writes, bounded by the call deadline) -> load the read
// model -> evaluate the agreement for the caller's agency kind, roles, relationship to the
// case, declared purpose and the adult's consent -> redact (absent categories are listed as
// withheld; research answers also pass their owners' handling markings) -> append a
// DisclosureRecorded event to disclosures-<person> and wait until it is durable -> answer.
// If the disclosure cannot be recorded, nothing is returned (UNAVAILABLE).
// Worklists and the SAC carry no identifying data and record no disclosure.
//
// Break-glass: RequestEmergencyAccess records an EmergencyAccessGranted (stream
// emergency-access-<concern_id>) for one named practitioner; while it lasts, that practitioner's
// GetCase on the case, for the grant's purpose, where the agreement alone shows them nothing,
// returns the case as the lead agency's enquiry officer sees it for a safeguarding enquiry, less
// the disclosure log, with research answers still passing their owners' handling markings for
// the practitioner themselves; the read is recorded as break-glass. Expiry is judged against
// the service's clock. Restricted cases (Mash.RestrictCase) say so in the view, and every case
// view records the lead and the restriction's owner so that the notifications projection can
// tell them. ListNotifications / WatchNotifications give an agency its own notifications.
//
// Thread-safe. Lifecycle: construct with the engine and agreement that outlive it; call
// Shutdown() before grpc::Server::Shutdown so that notification watches end at once (they
// otherwise end when the server's drain deadline cancels them).
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "domain/access/emergency_access.h"
#include "hub/api/v1/views_service.grpc.pb.h"
#include "policy/agreement.h"
#include "projections/engine/projection.h"
#include "services/common/service_deps.h"

namespace hub::services {

// Settings that do not come with a request; hubd sets them from flags.
struct ViewsOptions {
  // How long a break-glass grant lasts (a request may ask for less).
  absl::Duration emergency_access_duration = domain::access::kDefaultEmergencyAccessDuration;
  // While no new event arrives, how often a notification watch looks for a cancelled call or a
  // shutdown between waits on the projection engine.
  absl::Duration watch_poll = absl::Milliseconds(250);
  // Each watch holds a server thread for as long as it is open: at most this many at once in
  // all, and per caller (agency + user). More are RESOURCE_EXHAUSTED.
  int max_watches = 64;
  int max_watches_per_caller = 4;
  // The key of the digests that record lookups which found no one (KeyedDigest). hubd keeps it
  // in the data directory so that an auditor's digest of a query stays comparable across
  // restarts; empty: a random key for this process.
  std::string lookup_key;
};

class ViewsService final : public api::v1::Views::Service {
 public:
  ViewsService(ServiceDeps deps, projections::ProjectionEngine& engine,
               const policy::Agreement& agreement, ViewsOptions options = {});

  // Ends every notification watch with UNAVAILABLE ("server shutting down") and refuses new
  // ones; unary reads are unaffected. Idempotent.
  void Shutdown();

  grpc::Status GetCase(grpc::ServerContext* context, const api::v1::GetCaseRequest* request,
                       api::v1::GetCaseResponse* response) override;
  grpc::Status LookupPerson(grpc::ServerContext* context,
                            const api::v1::LookupPersonRequest* request,
                            api::v1::LookupPersonResponse* response) override;
  grpc::Status GetPerson(grpc::ServerContext* context, const api::v1::GetPersonRequest* request,
                         api::v1::GetPersonResponse* response) override;
  grpc::Status ListLookups(grpc::ServerContext* context, const api::v1::ListLookupsRequest* request,
                           api::v1::ListLookupsResponse* response) override;
  grpc::Status GetDisclosureLog(grpc::ServerContext* context,
                                const api::v1::GetDisclosureLogRequest* request,
                                api::v1::GetDisclosureLogResponse* response) override;
  grpc::Status ExportSubjectAccess(grpc::ServerContext* context,
                                   const api::v1::ExportSubjectAccessRequest* request,
                                   api::v1::ExportSubjectAccessResponse* response) override;
  grpc::Status GetMashQueue(grpc::ServerContext* context,
                            const api::v1::GetMashQueueRequest* request,
                            api::v1::GetMashQueueResponse* response) override;
  grpc::Status ListResearchRequests(grpc::ServerContext* context,
                                    const api::v1::ListResearchRequestsRequest* request,
                                    api::v1::ListResearchRequestsResponse* response) override;
  grpc::Status ListActions(grpc::ServerContext* context, const api::v1::ListActionsRequest* request,
                           api::v1::ListActionsResponse* response) override;
  grpc::Status ListAwaitingAdvocacy(grpc::ServerContext* context,
                                    const api::v1::ListAwaitingAdvocacyRequest* request,
                                    api::v1::ListAwaitingAdvocacyResponse* response) override;
  grpc::Status GetSafeguardingAdultsCollection(
      grpc::ServerContext* context, const api::v1::GetSafeguardingAdultsCollectionRequest* request,
      api::v1::GetSafeguardingAdultsCollectionResponse* response) override;
  grpc::Status RequestEmergencyAccess(grpc::ServerContext* context,
                                      const api::v1::RequestEmergencyAccessRequest* request,
                                      api::v1::RequestEmergencyAccessResponse* response) override;
  grpc::Status ListNotifications(grpc::ServerContext* context,
                                 const api::v1::ListNotificationsRequest* request,
                                 api::v1::ListNotificationsResponse* response) override;
  grpc::Status WatchNotifications(
      grpc::ServerContext* context, const api::v1::WatchNotificationsRequest* request,
      grpc::ServerWriter<api::v1::WatchNotificationsResponse>* writer) override;

 private:
  struct Read;  // what every read has established before touching a read model
  // The refusal of a case the agreement shows the caller nothing of.
  [[nodiscard]] absl::Status NothingToSee(const Read& read,
                                          common::v1::Relationship relationship) const;
  // The answer for a case (or person) `what` that does not exist: kNotFound to the MASH and to
  // callers the agreement shows unconnected cases; to everyone else `refusal` (default
  // NothingToSee), the same words a case they may not see gets, so that ids cannot be probed.
  [[nodiscard]] absl::Status UnknownCase(const Read& read, std::string_view what,
                                         absl::Status refusal = absl::OkStatus()) const;
  // With `system_callers`, an agency's system (its certificate, no practitioner token) passes
  // whatever its roles; practitioners still need a role of the method's rule.
  [[nodiscard]] absl::StatusOr<Read> BeginRead(const grpc::ServerContextBase& context,
                                               const api::v1::ReadHeader& header,
                                               std::string_view method, bool purpose_required,
                                               bool system_callers = false);

  // The caller's agency's relationship to the case, and what the agreement lets it see.
  common::v1::Relationship RelationshipOf(const views::v1::CaseFile& file,
                                          const domain::Caller& caller) const;
  policy::Decision Decide(const views::v1::CaseFile& file, const Read& read,
                          common::v1::Relationship relationship) const;
  // Who leads the case: the lead agency, else the MASH that triaged it, else the first host
  // adult social care agency (a concern awaiting triage).
  std::string LeadAgencyOf(const views::v1::CaseFile& file) const;
  // What a break-glass read discloses: the lead's enquiry officer's view for a safeguarding
  // enquiry, less the disclosure log (an audit record, not emergency information).
  policy::Decision BreakGlassDecision(const views::v1::CaseFile& file) const;
  // What the break-glass decision needs to know of the case (absent: unknown) and the caller.
  domain::access::EmergencyAccessFacts EmergencyFacts(const std::optional<views::v1::CaseFile>& file,
                                                      const domain::Caller& caller,
                                                      common::v1::Purpose purpose) const;

  [[nodiscard]] absl::Status GetCaseImpl(const grpc::ServerContextBase& context,
                                         const api::v1::GetCaseRequest& request,
                                         api::v1::GetCaseResponse& response);
  [[nodiscard]] absl::Status LookupPersonImpl(const grpc::ServerContextBase& context,
                                              const api::v1::LookupPersonRequest& request,
                                              api::v1::LookupPersonResponse& response);
  [[nodiscard]] absl::Status GetPersonImpl(const grpc::ServerContextBase& context,
                                           const api::v1::GetPersonRequest& request,
                                           api::v1::GetPersonResponse& response);
  [[nodiscard]] absl::Status PersonLogImpl(
      const grpc::ServerContextBase& context, const api::v1::ReadHeader& header,
      const std::string& person_id, bool lookups_only, std::string_view method,
      google::protobuf::RepeatedPtrField<views::v1::DisclosureEntry>* out);
  [[nodiscard]] absl::Status ExportSubjectAccessImpl(
      const grpc::ServerContextBase& context, const api::v1::ExportSubjectAccessRequest& request,
      api::v1::ExportSubjectAccessResponse& response);
  [[nodiscard]] absl::Status GetMashQueueImpl(const grpc::ServerContextBase& context,
                                              const api::v1::GetMashQueueRequest& request,
                                              api::v1::GetMashQueueResponse& response);
  [[nodiscard]] absl::Status ListResearchRequestsImpl(
      const grpc::ServerContextBase& context, const api::v1::ListResearchRequestsRequest& request,
      api::v1::ListResearchRequestsResponse& response);
  [[nodiscard]] absl::Status ListActionsImpl(const grpc::ServerContextBase& context,
                                             const api::v1::ListActionsRequest& request,
                                             api::v1::ListActionsResponse& response);
  [[nodiscard]] absl::Status ListAwaitingAdvocacyImpl(
      const grpc::ServerContextBase& context, const api::v1::ListAwaitingAdvocacyRequest& request,
      api::v1::ListAwaitingAdvocacyResponse& response);
  [[nodiscard]] absl::Status GetSacImpl(
      const grpc::ServerContextBase& context,
      const api::v1::GetSafeguardingAdultsCollectionRequest& request,
      api::v1::GetSafeguardingAdultsCollectionResponse& response);
  [[nodiscard]] absl::Status RequestEmergencyAccessImpl(
      const grpc::ServerContextBase& context, const api::v1::RequestEmergencyAccessRequest& request,
      api::v1::RequestEmergencyAccessResponse& response);
  [[nodiscard]] absl::Status ListNotificationsImpl(const grpc::ServerContextBase& context,
                                                   const api::v1::ListNotificationsRequest& request,
                                                   api::v1::ListNotificationsResponse& response);
  [[nodiscard]] absl::Status WatchNotificationsImpl(
      grpc::ServerContext& context, const api::v1::WatchNotificationsRequest& request,
      grpc::ServerWriterInterface<api::v1::WatchNotificationsResponse>& writer);

  ServiceDeps deps_;
  projections::ProjectionEngine& engine_;
  const policy::Agreement& agreement_;
  const ViewsOptions options_;
  // The host authority's adult social care (the partnership's): the MASH, lead until a lead
  // is named.
  const std::vector<std::string>& host_asc_agency_ids_;
  std::atomic<bool> shutting_down_{false};
  const std::string lookup_key_;
  // Open notification watches, in all and per caller (agency/user).
  absl::Mutex watches_mu_;
  int open_watches_ ABSL_GUARDED_BY(watches_mu_) = 0;
  absl::flat_hash_map<std::string, int> watches_by_caller_ ABSL_GUARDED_BY(watches_mu_);
};

class ProjectionAdminService final : public api::v1::ProjectionAdmin::Service {
 public:
  ProjectionAdminService(ServiceDeps deps, projections::ProjectionEngine& engine)
      : deps_(deps), engine_(engine) {}
  grpc::Status GetProjectionStatus(grpc::ServerContext* context,
                                   const api::v1::GetProjectionStatusRequest* request,
                                   api::v1::GetProjectionStatusResponse* response) override;
  grpc::Status RebuildProjection(grpc::ServerContext* context,
                                 const api::v1::RebuildProjectionRequest* request,
                                 api::v1::RebuildProjectionResponse* response) override;

 private:
  ServiceDeps deps_;
  projections::ProjectionEngine& engine_;
};

// The projections hubd runs, in the order status lists them.
std::vector<std::unique_ptr<projections::Projection>> HubProjections();

// Appends AgreementTookEffect to the "agreement" stream when `agreement`'s hash differs from
// the last one recorded; returns true when it appended.
[[nodiscard]] absl::StatusOr<bool> RecordAgreementInForce(eventstore::EventLog& log,
                                                          const policy::Agreement& agreement,
                                                          const std::string& loaded_from,
                                                          const std::string& host, absl::Time now);

}  // namespace hub::services
