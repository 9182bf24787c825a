#include "policy/agreement.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "config/text_config.h"

namespace hub::policy {
namespace {

using common::v1::HandlingMarking;
using common::v1::InformationCategory;
using common::v1::LawfulBasis;
using common::v1::Purpose;
using common::v1::Relationship;
using common::v1::Role;
using google::protobuf::RepeatedField;

constexpr int kCategoryCount = 12;  // INFORMATION_CATEGORY_IDENTITY .. _DISCLOSURE_LOG

absl::Status Invalid(const std::string& source, const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat(source, ": ", message));
}

// Checks one repeated enum selector: no UNSPECIFIED (0), no number this build does not know,
// and (when `required`) at least one value.
absl::Status CheckEnums(const RepeatedField<int>& values, bool required, bool (*is_valid)(int),
                        const std::string& field) {
  if (required && values.empty()) {
    return absl::InvalidArgumentError(field + ": at least one is required");
  }
  for (int v : values) {
    if (v == 0) return absl::InvalidArgumentError(field + ": UNSPECIFIED is not allowed");
    if (!is_valid(v)) return absl::InvalidArgumentError(absl::StrCat(field, ": unknown value ", v));
  }
  return absl::OkStatus();
}

absl::Status CheckRule(const config::v1::SharingRule& r, const std::string& field) {
  struct Selector {
    const RepeatedField<int>& values;
    bool required;
    bool (*is_valid)(int);
    const char* name;
  };
  const Selector selectors[] = {
      {r.agency_kinds(), true, &common::v1::AgencyKind_IsValid, "agency_kinds"},
      {r.roles(), false, &common::v1::Role_IsValid, "roles"},
      {r.relationships(), true, &common::v1::Relationship_IsValid, "relationships"},
      {r.purposes(), true, &common::v1::Purpose_IsValid, "purposes"},
      {r.categories(), true, &common::v1::InformationCategory_IsValid, "categories"},
      {r.lawful_bases(), true, &common::v1::LawfulBasis_IsValid, "lawful_bases"},
  };
  for (const Selector& s : selectors) {
    absl::Status status = CheckEnums(s.values, s.required, s.is_valid, field + "." + s.name);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

bool Contains(const RepeatedField<int>& values, int v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

// Every non-empty selector must match (agreement.proto). A viewer holding no role matches no
// rule, not even one with empty `roles` ("any role"): a user without a role has no business need.
bool Matches(const config::v1::SharingRule& rule, const Viewer& viewer, Purpose purpose,
             Relationship relationship) {
  if (!Contains(rule.agency_kinds(), viewer.kind)) return false;
  if (!Contains(rule.relationships(), relationship)) return false;
  if (!Contains(rule.purposes(), purpose)) return false;
  if (viewer.roles.empty()) return false;
  if (rule.roles().empty()) return true;
  return std::any_of(viewer.roles.begin(), viewer.roles.end(),
                     [&](Role role) { return Contains(rule.roles(), role); });
}

std::string Sha256Hex(const std::string& bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest;
  unsigned int length = 0;
  // One-shot EVP digest; fails only when out of memory, and FromText then refuses the result.
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    return "";
  }
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest.data()), length));
}

bool HasRole(const Viewer& viewer, Role role) {
  return std::find(viewer.roles.begin(), viewer.roles.end(), role) != viewer.roles.end();
}

}  // namespace

bool Decision::Permits(InformationCategory category) const {
  return std::binary_search(permitted.begin(), permitted.end(), category);
}

const std::vector<InformationCategory>& AllCategories() {
  static const auto* const kAll = [] {
    auto* all = new std::vector<InformationCategory>;
    for (int c = 1; c <= kCategoryCount; ++c) all->push_back(static_cast<InformationCategory>(c));
    return all;
  }();
  return *kAll;
}

absl::StatusOr<Agreement> Agreement::FromText(const std::string& text, const std::string& source) {
  Agreement a;
  HUB_RETURN_IF_ERROR(config::ParseTextConfig(text, source, a.config_));
  const config::v1::SharingAgreement& c = a.config_;
  if (c.version().empty()) return Invalid(source, "version: required");
  absl::flat_hash_set<std::string> names;
  for (int i = 0; i < c.rules_size(); ++i) {
    const config::v1::SharingRule& rule = c.rules(i);
    const std::string field = absl::StrCat("rules[", i, "] (\"", rule.name(), "\")");
    if (rule.name().empty()) return Invalid(source, field + ".name: required");
    if (!names.insert(rule.name()).second) {
      return Invalid(source, field + ".name: used by an earlier rule; names must be unique");
    }
    absl::Status status = CheckRule(rule, field);
    if (!status.ok()) return Invalid(source, std::string(status.message()));
  }
  absl::Status status =
      CheckEnums(c.lookup_purposes(), false, &common::v1::Purpose_IsValid, "lookup_purposes");
  if (!status.ok()) return Invalid(source, std::string(status.message()));
  a.hash_ = Sha256Hex(text);
  if (a.hash_.empty()) return absl::InternalError(source + ": SHA-256 failed");
  return a;
}

absl::StatusOr<Agreement> Agreement::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read agreement file ", path));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) return absl::NotFoundError(absl::StrCat("cannot read agreement file ", path));
  return FromText(bytes.str(), path);
}

Decision Agreement::Evaluate(const Viewer& viewer, Purpose purpose,
                             const CaseAccess& access) const {
  Decision d;
  std::array<bool, kCategoryCount + 1> granted{};
  if (purpose != common::v1::PURPOSE_UNSPECIFIED) {
    const bool consent_or_override = access.consent_to_share || access.override_ground_recorded;
    for (const config::v1::SharingRule& rule : config_.rules()) {
      if (!Matches(rule, viewer, purpose, access.relationship)) continue;
      if (rule.requires_consent_or_override() && !consent_or_override) continue;
      for (int c : rule.categories()) {
        if (c >= 1 && c <= kCategoryCount) granted[c] = true;  // validated; bounds kept anyway
      }
      for (int b : rule.lawful_bases()) d.lawful_bases.push_back(static_cast<LawfulBasis>(b));
      d.rules.push_back(rule.name());
    }
  }
  for (InformationCategory c : AllCategories())
    (granted[c] ? d.permitted : d.withheld).push_back(c);
  std::sort(d.lawful_bases.begin(), d.lawful_bases.end());
  d.lawful_bases.erase(std::unique(d.lawful_bases.begin(), d.lawful_bases.end()),
                       d.lawful_bases.end());
  return d;
}

bool Agreement::LookupPermitted(Purpose purpose) const {
  if (purpose == common::v1::PURPOSE_UNSPECIFIED) return false;
  if (config_.lookup_purposes().empty()) return purpose != common::v1::PURPOSE_STATISTICS;
  return Contains(config_.lookup_purposes(), purpose);
}

Relationship RelationshipTo(const views::v1::CaseParties& parties, const std::string& agency_id,
                            const std::vector<std::string>& host_asc_agency_ids) {
  if (agency_id.empty()) return common::v1::RELATIONSHIP_NONE;
  const bool no_lead = parties.lead_agency_id().empty();
  if (agency_id == parties.lead_agency_id() || agency_id == parties.responsible_agency_id()) {
    return common::v1::RELATIONSHIP_LEAD;
  }
  if (no_lead && agency_id == parties.mash_agency_id()) return common::v1::RELATIONSHIP_LEAD;
  // Awaiting triage: the MASH's own adult social care teams must see the concern to triage it.
  if (no_lead && parties.mash_agency_id().empty() &&
      std::find(host_asc_agency_ids.begin(), host_asc_agency_ids.end(), agency_id) !=
          host_asc_agency_ids.end()) {
    return common::v1::RELATIONSHIP_LEAD;
  }
  const auto& involved = parties.involved_agency_ids();
  if (agency_id == parties.raised_by_agency_id() ||
      std::find(involved.begin(), involved.end(), agency_id) != involved.end()) {
    return common::v1::RELATIONSHIP_INVOLVED_PARTNER;
  }
  const auto& research = parties.research_agency_ids();
  if (std::find(research.begin(), research.end(), agency_id) != research.end()) {
    return common::v1::RELATIONSHIP_RESEARCH_PARTNER;
  }
  return common::v1::RELATIONSHIP_NONE;
}

bool MayReceiveItem(const std::vector<HandlingMarking>& markings,
                    const std::string& owner_agency_id, const Viewer& viewer,
                    Relationship relationship, Purpose purpose) {
  // The owner already holds its own information; markings restrict others only.
  if (!owner_agency_id.empty() && viewer.agency_id == owner_agency_id) return true;
  const bool lead = relationship == common::v1::RELATIONSHIP_LEAD;
  for (HandlingMarking m : markings) {
    switch (m) {
      case common::v1::HANDLING_MARKING_UNSPECIFIED:
        break;  // carries no handling instruction
      case common::v1::HANDLING_MARKING_MASH_DECISION_MAKERS_ONLY:
        // Operationally sensitive: only the MASH's triage workers and safeguarding managers,
        // making triage or enquiry decisions; never into a subject access export.
        if (!lead ||
            !(HasRole(viewer, common::v1::ROLE_MASH_TRIAGE) ||
              HasRole(viewer, common::v1::ROLE_SAFEGUARDING_MANAGER)) ||
            (purpose != common::v1::PURPOSE_TRIAGE &&
             purpose != common::v1::PURPOSE_SAFEGUARDING_ENQUIRY)) {
          return false;
        }
        break;
      case common::v1::HANDLING_MARKING_NOT_TO_ADULT_OR_FAMILY:
        // Never to the adult (subject access) nor to an advocate, who speaks with the adult.
        if (purpose == common::v1::PURPOSE_SUBJECT_ACCESS ||
            viewer.kind == common::v1::AGENCY_KIND_ADVOCACY_PROVIDER) {
          return false;
        }
        break;
      case common::v1::HANDLING_MARKING_OWNER_AGREEMENT_BEFORE_ONWARD_SHARING:
        // MASH firewall: stays with the lead that received it; the adult's export is onward
        // sharing too, so it waits for the owner's agreement outside the hub.
        if (!lead || purpose == common::v1::PURPOSE_SUBJECT_ACCESS) return false;
        break;
      default:
        return false;  // a marking this build does not know: the owner's intent is unknown
    }
  }
  return true;
}

bool MayReceiveItem(const views::v1::ResearchItem& item, const Viewer& viewer,
                    Relationship relationship, Purpose purpose) {
  std::vector<HandlingMarking> markings;
  markings.reserve(item.markings_size());
  for (int m : item.markings()) markings.push_back(static_cast<HandlingMarking>(m));
  return MayReceiveItem(markings, item.agency_id(), viewer, relationship, purpose);
}

}  // namespace hub::policy
