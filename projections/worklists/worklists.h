// Worklists: the read models that drive a MASH's day (hub/views/v1/worklists.proto).
//
//   mash/<concern_id>                              concerns awaiting triage or decision
//   research/<agency_id>/<concern_id>/<request_id> research requests not yet answered
//   action/<agency_id>/<enquiry_id>/<kind>/<id>    agreed actions and plan items an agency owns
//   advocacy/<enquiry_id>                          open enquiries awaiting an advocate (s68)
//   concern/<concern_id>, enquiry/<enquiry_id>     bookkeeping the lists are derived from
//
// The lists hold ids, dates, ratings and codes only (no personal data): the practitioner opens
// the case, a disclosure-logged read, for more. The list entries are a function of the
// bookkeeping records, rewritten when a batch touches their record, so the read model does not
// depend on batch boundaries.
//
// WorklistsProjection is driven by one engine worker (not thread-safe); the List functions are
// thread-safe (they read one consistent snapshot of the store).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "eventstore/kv_store.h"
#include "hub/views/v1/worklists.pb.h"
#include "projections/engine/projection.h"

namespace hub::projections {

class WorklistsProjection final : public Projection {
 public:
  static constexpr std::string_view kName = "worklists";

  std::string_view name() const override { return kName; }
  [[nodiscard]] absl::Status Apply(const eventstore::RecordedEvent& record,
                                   const events::v1::Event& event, Txn& txn) override;
  [[nodiscard]] absl::Status Flush(Txn& txn) override;
  void Reset() override;

 private:
  // A bookkeeping record as loaded in this batch, with the list keys it had when loaded.
  template <typename Record>
  struct Cached {
    bool exists = false;
    bool dirty = false;
    Record record;
    std::vector<std::string> loaded_keys;
  };

  [[nodiscard]] absl::StatusOr<Cached<views::v1::WorklistConcern>*> Concern(Txn& txn,
                                                                            const std::string& id);
  [[nodiscard]] absl::StatusOr<Cached<views::v1::WorklistEnquiry>*> Enquiry(Txn& txn,
                                                                            const std::string& id);
  [[nodiscard]] absl::Status ApplyConcernEvent(const std::string& concern_id,
                                               const events::v1::Event& event, Txn& txn);
  [[nodiscard]] absl::Status ApplyEnquiryEvent(const std::string& enquiry_id,
                                               const events::v1::Event& event, Txn& txn);

  void ClearCache();

  absl::flat_hash_map<std::string, Cached<views::v1::WorklistConcern>> concerns_;
  absl::flat_hash_map<std::string, Cached<views::v1::WorklistEnquiry>> enquiries_;
  // The last position applied: a batch folded again after a failure starts at or before it,
  // and must not see what the failed attempt cached.
  int64_t last_position_ = -1;
};

// The MASH queue, in working order: untriaged concerns with immediate risk (oldest first), then
// red, amber and green concerns each by decision deadline, then the other untriaged concerns
// (oldest first). `overdue` is set where `now` is past the decision deadline.
[[nodiscard]] absl::StatusOr<std::vector<views::v1::MashQueueItem>> ListMashQueue(
    eventstore::KvStore& store, absl::Time now);

// The research requests `agency_id` has not yet answered, soonest due first.
[[nodiscard]] absl::StatusOr<std::vector<views::v1::ResearchRequestItem>> ListResearchRequests(
    eventstore::KvStore& store, const std::string& agency_id, absl::Time now);

// The agreed actions and protection-plan items `agency_id` owns on open enquiries, soonest due
// first.
[[nodiscard]] absl::StatusOr<std::vector<views::v1::AgencyActionItem>> ListActions(
    eventstore::KvStore& store, const std::string& agency_id, absl::Time now);

// Open enquiries where the s68 duty applies and no advocate is allocated, longest waiting first.
[[nodiscard]] absl::StatusOr<std::vector<views::v1::AwaitingAdvocacyItem>> ListAwaitingAdvocacy(
    eventstore::KvStore& store);

}  // namespace hub::projections
