// fuzz_agreement_parse: the information sharing agreement (policy/agreement.h), read from a
// text-format file at start-up and evaluated on every read of personal data.
//
// Input: the file's text. FromText parses and validates it; when it loads, each rule (the first
// kMaxRules) is evaluated for a viewer it should match, and the results are checked against
// what the agreement promises (deny by default).
//
// Invariants (beyond "no crash, no sanitizer report"):
//   - a refused file is kInvalidArgument naming the source; a loaded one has a version and the
//     file's SHA-256 as 64 lowercase hex digits, and prints back to text that loads the same;
//   - every decision partitions the twelve categories into permitted and withheld, sorted,
//     with sorted unique lawful bases, and permits something exactly when a rule granted it;
//   - a rule grants all its categories, on all its lawful bases, to a viewer it matches;
//     without consent, only rules that do not rely on it grant anything, and nothing beyond
//     what consent would allow;
//   - no purpose (UNSPECIFIED) and a viewer without a role see nothing; lookup needs a purpose;
//   - an owner always receives its own research item; an unknown marking withholds it from
//     everyone else.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "policy/agreement.h"
#include "tests/fuzz/fuzz_support.h"

namespace hub::fuzz {
namespace {

namespace cv1 = ::hub::common::v1;
using policy::Decision;

constexpr int kMaxRules = 24;

bool Has(const std::vector<cv1::InformationCategory>& v, int c) {
  return std::find(v.begin(), v.end(), c) != v.end();
}

void CheckDecision(const Decision& d, const std::string& what) {
  const std::vector<cv1::InformationCategory>& all = policy::AllCategories();
  HUB_FUZZ_CHECK(d.permitted.size() + d.withheld.size() == all.size(),
                 absl::StrCat(what, ": permitted and withheld do not cover the categories"));
  HUB_FUZZ_CHECK(std::is_sorted(d.permitted.begin(), d.permitted.end()) &&
                     std::is_sorted(d.withheld.begin(), d.withheld.end()),
                 absl::StrCat(what, ": categories not sorted"));
  for (cv1::InformationCategory c : all) {
    HUB_FUZZ_CHECK(Has(d.permitted, c) != Has(d.withheld, c),
                   absl::StrCat(what, ": category ", c, " is both or neither"));
    HUB_FUZZ_CHECK(d.Permits(c) == Has(d.permitted, c), absl::StrCat(what, ": Permits disagrees"));
  }
  HUB_FUZZ_CHECK(std::is_sorted(d.lawful_bases.begin(), d.lawful_bases.end()) &&
                     std::adjacent_find(d.lawful_bases.begin(), d.lawful_bases.end()) ==
                         d.lawful_bases.end(),
                 absl::StrCat(what, ": lawful bases not sorted and unique"));
  HUB_FUZZ_CHECK(d.any() == !d.rules.empty(),
                 absl::StrCat(what, ": something permitted without a granting rule, or the reverse"));
  HUB_FUZZ_CHECK(d.rules.empty() == d.lawful_bases.empty(),
                 absl::StrCat(what, ": a grant without a lawful basis"));
}

void CheckRule(const policy::Agreement& agreement, const config::v1::SharingRule& rule) {
  policy::Viewer viewer;
  viewer.agency_id = "fuzz-agency";
  viewer.kind = static_cast<cv1::AgencyKind>(rule.agency_kinds(0));
  viewer.roles = {rule.roles().empty() ? cv1::ROLE_REFERRER : static_cast<cv1::Role>(rule.roles(0))};
  const auto purpose = static_cast<cv1::Purpose>(rule.purposes(0));
  policy::CaseAccess access;
  access.relationship = static_cast<cv1::Relationship>(rule.relationships(0));
  access.consent_to_share = true;
  const std::string what = absl::StrCat("rule \"", rule.name(), "\"");

  const Decision with_consent = agreement.Evaluate(viewer, purpose, access);
  CheckDecision(with_consent, what);
  for (int c : rule.categories()) {
    HUB_FUZZ_CHECK(Has(with_consent.permitted, c),
                   absl::StrCat(what, " does not grant its category ", c, " to a viewer it matches"));
  }
  for (int b : rule.lawful_bases()) {
    HUB_FUZZ_CHECK(std::binary_search(with_consent.lawful_bases.begin(),
                                      with_consent.lawful_bases.end(), b),
                   absl::StrCat(what, ": lawful basis ", b, " not recorded"));
  }
  HUB_FUZZ_CHECK(std::find(with_consent.rules.begin(), with_consent.rules.end(), rule.name()) !=
                     with_consent.rules.end(),
                 absl::StrCat(what, " is not listed among the granting rules"));

  access.consent_to_share = false;
  const Decision without = agreement.Evaluate(viewer, purpose, access);
  CheckDecision(without, what + " without consent");
  for (cv1::InformationCategory c : without.permitted) {
    HUB_FUZZ_CHECK(Has(with_consent.permitted, c),
                   absl::StrCat(what, ": withdrawing consent granted more"));
  }
  HUB_FUZZ_CHECK(rule.requires_consent_or_override() ||
                     std::all_of(rule.categories().begin(), rule.categories().end(),
                                 [&](int c) { return Has(without.permitted, c); }),
                 absl::StrCat(what, " relies on no consent but stops without it"));
  access.override_ground_recorded = true;
  const Decision overridden = agreement.Evaluate(viewer, purpose, access);
  HUB_FUZZ_CHECK(overridden.permitted == with_consent.permitted,
                 absl::StrCat(what, ": an override ground grants other than consent"));

  HUB_FUZZ_CHECK(!agreement.Evaluate(viewer, cv1::PURPOSE_UNSPECIFIED, access).any(),
                 absl::StrCat(what, ": something permitted with no purpose"));
  policy::Viewer no_role = viewer;
  no_role.roles.clear();
  HUB_FUZZ_CHECK(!agreement.Evaluate(no_role, purpose, access).any(),
                 absl::StrCat(what, ": something permitted to a user without a role"));

  // Research items: the owner always; an unknown marking never to anyone else.
  HUB_FUZZ_CHECK(policy::MayReceiveItem({static_cast<cv1::HandlingMarking>(99)}, viewer.agency_id,
                                        viewer, access.relationship, purpose),
                 "an owner was refused its own research item");
  HUB_FUZZ_CHECK(!policy::MayReceiveItem({static_cast<cv1::HandlingMarking>(99)}, "other-agency",
                                         viewer, access.relationship, purpose),
                 "an unknown handling marking did not withhold the item");
  for (int m = 0; m <= 3; ++m) {
    (void)policy::MayReceiveItem({static_cast<cv1::HandlingMarking>(m)}, "other-agency", viewer,
                                 access.relationship, purpose);
  }
}

}  // namespace
}  // namespace hub::fuzz

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  google::protobuf::SetLogHandler(nullptr);  // the text parser logs what it cannot parse
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hub;
  using namespace hub::fuzz;
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<policy::Agreement> agreement = policy::Agreement::FromText(text, "fuzz.textproto");
  if (!agreement.ok()) {
    HUB_FUZZ_CHECK(agreement.status().code() == absl::StatusCode::kInvalidArgument,
                   "a refused agreement is not kInvalidArgument: " + agreement.status().ToString());
    HUB_FUZZ_CHECK(absl::StartsWith(agreement.status().message(), "fuzz.textproto: ") &&
                       agreement.status().message().size() > 16,
                   "a refusal does not name the file and the reason: " +
                       agreement.status().ToString());
    return 0;
  }
  const policy::Agreement& a = *agreement;
  HUB_FUZZ_CHECK(!a.version().empty(), "an agreement loaded without a version");
  HUB_FUZZ_CHECK(a.hash().size() == 64 && std::all_of(a.hash().begin(), a.hash().end(), [](char c) {
                   return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                 }),
                 "the hash is not 64 lowercase hex digits: " + a.hash());

  // What was loaded prints back to text that loads to the same agreement.
  std::string printed;
  HUB_FUZZ_CHECK(google::protobuf::TextFormat::PrintToString(a.config(), &printed), "cannot print");
  absl::StatusOr<policy::Agreement> again = policy::Agreement::FromText(printed, "printed");
  HUB_FUZZ_CHECK(again.ok(), "the loaded agreement, printed, does not load: " +
                                 again.status().ToString());
  HUB_FUZZ_CHECK(google::protobuf::util::MessageDifferencer::Equals(a.config(), again->config()),
                 "the loaded agreement, printed and loaded again, differs");

  for (int i = 0; i < a.config().rules_size() && i < kMaxRules; ++i) {
    CheckRule(a, a.config().rules(i));
  }
  HUB_FUZZ_CHECK(!a.LookupPermitted(common::v1::PURPOSE_UNSPECIFIED), "lookup without a purpose");
  for (int p = 1; p <= 7; ++p) (void)a.LookupPermitted(static_cast<common::v1::Purpose>(p));
  return 0;
}
