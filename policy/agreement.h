// The partnership's information sharing agreement (hub.config.v1.SharingAgreement): loaded once
// at start-up from a protobuf text-format file, validated, and evaluated on every read. Deny by
// default: a category of a case is visible only when some rule grants it to the caller's agency
// kind and role, for the declared purpose, at the caller's relationship to the case, and (for
// rules that rely on consent) while the adult consents or an override ground is recorded.
// Item-level handling markings on research answers narrow it further (MayReceiveItem).
//
// Thread-safety: an Agreement is immutable after FromText/Load; every const method may be called
// from any number of threads. The free functions are pure.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "hub/common/v1/reference.pb.h"
#include "hub/config/v1/agreement.pb.h"
#include "hub/views/v1/case_file.pb.h"

namespace hub::policy {

// Who is asking: the caller's agency and the roles the user holds there.
struct Viewer {
  std::string agency_id;
  common::v1::AgencyKind kind = common::v1::AGENCY_KIND_UNSPECIFIED;
  std::vector<common::v1::Role> roles;
};

// What the case says about the caller and the adult's consent, as it now stands.
struct CaseAccess {
  common::v1::Relationship relationship = common::v1::RELATIONSHIP_NONE;
  bool consent_to_share = false;
  bool override_ground_recorded = false;
};

// The outcome of one evaluation; recorded as is in the disclosure log.
struct Decision {
  std::vector<common::v1::InformationCategory> permitted;  // sorted by enum number
  std::vector<common::v1::InformationCategory> withheld;   // the other 11..12, sorted
  std::vector<common::v1::LawfulBasis> lawful_bases;       // of the granting rules, sorted unique
  std::vector<std::string> rules;                          // granting rules, in file order

  bool any() const { return !permitted.empty(); }
  bool Permits(common::v1::InformationCategory category) const;
};

// The twelve information categories, in enum order (every category except UNSPECIFIED).
const std::vector<common::v1::InformationCategory>& AllCategories();

class Agreement {
 public:
  // Parses and validates text-format `text`; `source` names it in errors. Every error is
  // kInvalidArgument and names the field, e.g.
  // `f: rules[3] ("police-research").lawful_bases: at least one is required`.
  [[nodiscard]] static absl::StatusOr<Agreement> FromText(const std::string& text,
                                                          const std::string& source);
  // Reads `path` (kNotFound if it cannot be read) and calls FromText on its bytes.
  [[nodiscard]] static absl::StatusOr<Agreement> Load(const std::string& path);

  // Which categories of a case `viewer` may see for `purpose`. PURPOSE_UNSPECIFIED, an unknown
  // agency kind, or a relationship no rule lists permits nothing.
  Decision Evaluate(const Viewer& viewer, common::v1::Purpose purpose,
                    const CaseAccess& access) const;

  // "No wrong door": whether a practitioner of any participating agency may look a person up
  // for `purpose`. Empty lookup_purposes = any purpose except STATISTICS (and UNSPECIFIED).
  bool LookupPermitted(common::v1::Purpose purpose) const;

  const std::string& version() const { return config_.version(); }
  // Lowercase hex SHA-256 of the bytes the agreement was read from; recorded in the log.
  const std::string& hash() const { return hash_; }
  const std::string& how_to_raise_a_concern() const { return config_.how_to_raise_a_concern(); }
  const config::v1::SharingAgreement& config() const { return config_; }

 private:
  Agreement() = default;  // only through FromText/Load, so every Agreement is validated

  config::v1::SharingAgreement config_;
  std::string hash_;
};

// The caller's agency's strongest relationship to a case:
//   LEAD: lead_agency_id or responsible_agency_id; while no lead is assigned, mash_agency_id;
//         while neither a lead nor a MASH agency is set (awaiting triage), any of
//         `host_asc_agency_ids` (the adult social care agencies running the MASH).
//   INVOLVED_PARTNER: raised_by_agency_id or one of involved_agency_ids.
//   RESEARCH_PARTNER: one of research_agency_ids.
//   NONE otherwise, and for an empty agency id.
common::v1::Relationship RelationshipTo(const views::v1::CaseParties& parties,
                                        const std::string& agency_id,
                                        const std::vector<std::string>& host_asc_agency_ids = {});

// Whether one research answer, carrying its owner's handling `markings`, may be shown to
// `viewer` (whose agency has `relationship` to the case) for `purpose`. Applies on top of the
// category decision. The owning agency always sees its own item; otherwise every marking must
// allow it (see agreement.cc for each marking's rule and reason). A marking this build does not
// know withholds the item.
bool MayReceiveItem(const std::vector<common::v1::HandlingMarking>& markings,
                    const std::string& owner_agency_id, const Viewer& viewer,
                    common::v1::Relationship relationship, common::v1::Purpose purpose);
// The same for a research answer as the case file holds it (markings and agency_id).
bool MayReceiveItem(const views::v1::ResearchItem& item, const Viewer& viewer,
                    common::v1::Relationship relationship, common::v1::Purpose purpose);

}  // namespace hub::policy
