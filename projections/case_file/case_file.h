// CaseFileProjection ("case_file"): one hub.views.v1.CaseFile per concern, folded from the
// concern-<id> stream and the enquiry-<id> stream of the enquiry it led to (advocacy
// included), every field grouped by information category for the Views service to redact.
//
// The case's access controls (CaseFile.access) come from CaseRestricted / CaseRestrictionLifted
// on the concern stream and EmergencyAccessGranted on emergency-access-<concern_id>: every grant
// is kept; whether one is live is judged at read time (FindEmergencyGrants), as a projection
// reads no clock.
//
// Keys (under "p/case_file/"):
//   case/<concern_id>      -> hub.views.v1.CaseFile
//   enquiry/<enquiry_id>   -> concern_id (from ThresholdDecisionMade or EnquiryOpened, whichever
//                             comes first in the log)
// Decoded case files and enquiry links stay cached across batches (record_cache.h): a case
// file is parsed once while it is in use and serialised once per batch that changes it, however
// many cases the log interleaves.
//
// Thread-safety: the projection is thread-compatible (the engine drives it from one worker);
// the query functions are thread-safe (KvStore is).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "eventstore/kv_store.h"
#include "hub/views/v1/case_file.pb.h"
#include "projections/engine/record_cache.h"
#include "projections/engine/projection.h"

namespace hub::projections {

inline constexpr char kCaseFileName[] = "case_file";

class CaseFileProjection final : public Projection {
 public:
  CaseFileProjection() : CaseFileProjection(CacheLimits{}) {}
  // `limits` bounds the case files kept decoded (and, by record count, the enquiry links).
  explicit CaseFileProjection(CacheLimits limits);

  std::string_view name() const override { return kCaseFileName; }
  [[nodiscard]] absl::Status Apply(const eventstore::RecordedEvent& record,
                                   const events::v1::Event& event, Txn& txn) override;
  [[nodiscard]] absl::Status Flush(Txn& txn) override;
  void Reset() override;

 private:
  // The case file of `concern_id`, to be changed: from the cache, else read from the store,
  // else created empty.
  [[nodiscard]] absl::StatusOr<views::v1::CaseFile*> CaseFor(Txn& txn,
                                                             const std::string& concern_id);
  // The concern an enquiry belongs to; "" when no decision or opening names it yet.
  [[nodiscard]] absl::StatusOr<std::string> ConcernOf(Txn& txn, const std::string& enquiry_id);
  // Records the link (written in Flush when it changed).
  void LinkEnquiry(const std::string& enquiry_id, const std::string& concern_id);

  // Keyed by concern id and by enquiry id; dirty entries are written in Flush.
  RecordCache<views::v1::CaseFile> cases_;
  RecordCache<std::string> enquiry_concerns_;
  // The position after the last event folded: an event before it means the batch is being
  // folded again (after a failed write), so the cache no longer matches the store.
  int64_t next_position_ = 0;
};

// The case file of a concern; nullopt when the concern is unknown.
[[nodiscard]] absl::StatusOr<std::optional<views::v1::CaseFile>> LoadCaseFile(
    eventstore::KvStore& store, const std::string& concern_id);

// The break-glass grants of one practitioner (agency + user) on a case, judged at `now`: the
// live grant lasting longest, and otherwise the one that expired last (so that a refusal can
// name the expiry). Pointers into `file`; null when there is none.
struct EmergencyGrants {
  const views::v1::EmergencyGrant* active = nullptr;
  const views::v1::EmergencyGrant* expired = nullptr;
};
EmergencyGrants FindEmergencyGrants(const views::v1::CaseFile& file, const std::string& agency_id,
                                    const std::string& user_id, absl::Time now);

// The concern an enquiry was opened for; nullopt when the enquiry is unknown.
[[nodiscard]] absl::StatusOr<std::optional<std::string>> ConcernForEnquiry(
    eventstore::KvStore& store, const std::string& enquiry_id);

}  // namespace hub::projections
