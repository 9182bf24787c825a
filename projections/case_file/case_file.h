// CaseFileProjection ("case_file"): one hub.views.v1.CaseFile per concern, folded from the
// concern-<id> stream and the enquiry-<id> stream of the enquiry it led to (advocacy
// included), every field grouped by information category for the Views service to redact.
//
// Keys (under "p/case_file/"):
//   case/<concern_id>      -> hub.views.v1.CaseFile
//   enquiry/<enquiry_id>   -> concern_id (from ThresholdDecisionMade or EnquiryOpened, whichever
//                             comes first in the log)
// Case files touched in a batch are decoded once, kept in memory and written out in Flush, so
// a catch-up does not parse and serialise a case file per event.
//
// Thread-safety: the projection is thread-compatible (the engine drives it from one worker);
// the query functions are thread-safe (KvStore is).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "eventstore/kv_store.h"
#include "google/protobuf/arena.h"
#include "hub/views/v1/case_file.pb.h"
#include "projections/engine/projection.h"

namespace hub::projections {

inline constexpr char kCaseFileName[] = "case_file";

class CaseFileProjection final : public Projection {
 public:
  std::string_view name() const override { return kCaseFileName; }
  absl::Status Apply(const eventstore::RecordedEvent& record, const events::v1::Event& event,
                     Txn& txn) override;
  absl::Status Flush(Txn& txn) override;
  void Reset() override;

 private:
  // The cached case file of `concern_id`, read from the store on first use in the batch and
  // created empty when absent.
  absl::StatusOr<views::v1::CaseFile*> CaseFor(Txn& txn, const std::string& concern_id);
  // The concern an enquiry belongs to; "" when no decision or opening names it yet.
  absl::StatusOr<std::string> ConcernOf(Txn& txn, const std::string& enquiry_id);
  void LinkEnquiry(Txn& txn, const std::string& enquiry_id, const std::string& concern_id);

  // Both live for one batch only (cleared in Flush and Reset).
  // Messages live on the arena, reset after each batch: decoding a batch's messages and
  // dropping them costs no malloc/free per field.
  google::protobuf::Arena arena_;
  absl::flat_hash_map<std::string, views::v1::CaseFile*> cases_;
  absl::flat_hash_map<std::string, std::string> enquiry_concerns_;
};

// The case file of a concern; nullopt when the concern is unknown.
[[nodiscard]] absl::StatusOr<std::optional<views::v1::CaseFile>> LoadCaseFile(
    eventstore::KvStore& store, const std::string& concern_id);

// The concern an enquiry was opened for; nullopt when the enquiry is unknown.
[[nodiscard]] absl::StatusOr<std::optional<std::string>> ConcernForEnquiry(
    eventstore::KvStore& store, const std::string& enquiry_id);

}  // namespace hub::projections
