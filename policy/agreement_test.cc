#include "policy/agreement.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "hub/config/v1/partnership.pb.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hub::policy {
namespace {

using common::v1::AgencyKind;
using common::v1::HandlingMarking;
using common::v1::InformationCategory;
using common::v1::LawfulBasis;
using common::v1::Purpose;
using common::v1::Relationship;
using common::v1::Role;
using ::hub::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Short names, so the expected table below reads as a table.
constexpr AgencyKind kPolice = common::v1::AGENCY_KIND_POLICE;
constexpr AgencyKind kAcute = common::v1::AGENCY_KIND_ACUTE_HEALTH;
constexpr AgencyKind kCommunity = common::v1::AGENCY_KIND_COMMUNITY_HEALTH;
constexpr AgencyKind kMentalHealth = common::v1::AGENCY_KIND_MENTAL_HEALTH;
constexpr AgencyKind kGp = common::v1::AGENCY_KIND_GP;
constexpr AgencyKind kAmbulance = common::v1::AGENCY_KIND_AMBULANCE;
constexpr AgencyKind kAsc = common::v1::AGENCY_KIND_ADULT_SOCIAL_CARE;
constexpr AgencyKind kCsc = common::v1::AGENCY_KIND_CHILDRENS_SOCIAL_CARE;
constexpr AgencyKind kHousing = common::v1::AGENCY_KIND_HOUSING;
constexpr AgencyKind kCareProvider = common::v1::AGENCY_KIND_CARE_PROVIDER;
constexpr AgencyKind kAdvocacy = common::v1::AGENCY_KIND_ADVOCACY_PROVIDER;

constexpr Role kRef = common::v1::ROLE_REFERRER;
constexpr Role kTri = common::v1::ROLE_MASH_TRIAGE;
constexpr Role kRes = common::v1::ROLE_MASH_RESEARCHER;
constexpr Role kEo = common::v1::ROLE_ENQUIRY_OFFICER;
constexpr Role kSm = common::v1::ROLE_SAFEGUARDING_MANAGER;
constexpr Role kAdv = common::v1::ROLE_ADVOCATE;
constexpr Role kBa = common::v1::ROLE_BOARD_ANALYST;
constexpr Role kAud = common::v1::ROLE_AUDITOR;

constexpr Relationship kLead = common::v1::RELATIONSHIP_LEAD;
constexpr Relationship kInv = common::v1::RELATIONSHIP_INVOLVED_PARTNER;
constexpr Relationship kResP = common::v1::RELATIONSHIP_RESEARCH_PARTNER;
constexpr Relationship kNone = common::v1::RELATIONSHIP_NONE;

constexpr Purpose kSe = common::v1::PURPOSE_SAFEGUARDING_ENQUIRY;
constexpr Purpose kTriage = common::v1::PURPOSE_TRIAGE;
constexpr Purpose kResearch = common::v1::PURPOSE_RESEARCH;
constexpr Purpose kCp = common::v1::PURPOSE_CARE_PROVISION;
constexpr Purpose kAudit = common::v1::PURPOSE_AUDIT;
constexpr Purpose kStats = common::v1::PURPOSE_STATISTICS;
constexpr Purpose kSar = common::v1::PURPOSE_SUBJECT_ACCESS;
constexpr Purpose kNoPurpose = common::v1::PURPOSE_UNSPECIFIED;

constexpr InformationCategory kId = common::v1::INFORMATION_CATEGORY_IDENTITY;
constexpr InformationCategory kCr = common::v1::INFORMATION_CATEGORY_CONTACT_ROUTES;
constexpr InformationCategory kCs = common::v1::INFORMATION_CATEGORY_CONCERN_SUMMARY;
constexpr InformationCategory kNa = common::v1::INFORMATION_CATEGORY_NARRATIVE;
constexpr InformationCategory kHe = common::v1::INFORMATION_CATEGORY_HEALTH;
constexpr InformationCategory kPo = common::v1::INFORMATION_CATEGORY_POLICE_INFORMATION;
constexpr InformationCategory kCa = common::v1::INFORMATION_CATEGORY_CAPACITY_AND_BEST_INTERESTS;
constexpr InformationCategory kVo = common::v1::INFORMATION_CATEGORY_VOICE_AND_OUTCOMES;
constexpr InformationCategory kRp = common::v1::INFORMATION_CATEGORY_RISK_AND_PLAN;
constexpr InformationCategory kAd = common::v1::INFORMATION_CATEGORY_ADVOCACY;
constexpr InformationCategory kRa = common::v1::INFORMATION_CATEGORY_RESEARCH_ANSWERS;
constexpr InformationCategory kDl = common::v1::INFORMATION_CATEGORY_DISCLOSURE_LOG;

constexpr HandlingMarking kDecisionMakersOnly =
    common::v1::HANDLING_MARKING_MASH_DECISION_MAKERS_ONLY;
constexpr HandlingMarking kNotToAdult = common::v1::HANDLING_MARKING_NOT_TO_ADULT_OR_FAMILY;
constexpr HandlingMarking kOwnerAgreement =
    common::v1::HANDLING_MARKING_OWNER_AGREEMENT_BEFORE_ONWARD_SHARING;

using Categories = std::vector<InformationCategory>;

std::string ExamplePath() {
  return std::string(HUB_SOURCE_DIR) + "/deploy/agreement.example.textproto";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

// ---- (a) the policy matrix ----------------------------------------------------------------

// What the Northshire agreement grants, stated per agency kind, independently of the rules in
// deploy/agreement.example.textproto (which are grouped differently). Each row covers every
// combination of its kinds x roles x relationships x purposes, and states the complete grant
// for a viewer holding one of those roles: `always` whatever the consent state, `with_consent`
// only while the adult consents or an override ground is recorded. Rows never overlap (checked
// below). Every combination no row covers must permit nothing.
struct ExpectedGrant {
  std::vector<AgencyKind> kinds;
  std::vector<Role> roles;
  std::vector<Relationship> relationships;
  std::vector<Purpose> purposes;
  Categories always;
  Categories with_consent;
};

const std::vector<ExpectedGrant>& ExpectedGrants() {
  // clang-format off
  static const auto* const kTable = new std::vector<ExpectedGrant>{
      // Adult social care: the Council hosting the MASH and keeping s42 responsibility.
      {{kAsc}, {kTri, kEo, kSm}, {kLead}, {kTriage, kSe},
       {kId, kCr, kCs, kNa, kHe, kPo, kCa, kVo, kRp, kAd, kRa, kDl}, {}},
      {{kAsc}, {kRef}, {kLead, kInv}, {kSe}, {kId, kCr, kCs}, {kNa, kVo, kRp}},
      {{kAsc}, {kEo, kSm}, {kInv}, {kSe}, {kId, kCr, kCs}, {kNa, kVo, kRp}},
      {{kAsc}, {kEo, kSm}, {kLead, kInv}, {kCp}, {kId, kCr, kCs, kCa, kVo, kRp, kAd}, {}},
      {{kAsc}, {kRes}, {kLead}, {kResearch}, {kId, kCs}, {}},
      {{kAsc}, {kRes}, {kInv, kResP}, {kResearch}, {}, {kId, kCs}},
      {{kAsc}, {kSm}, {kLead}, {kSar}, {kId, kCr, kCs, kNa, kCa, kVo, kRp, kAd, kRa, kDl}, {}},
      {{kAsc}, {kAud}, {kLead}, {kAudit}, {kCs, kDl}, {}},
      {{kAsc}, {kBa}, {kLead}, {kStats}, {kCs}, {}},
      // Police.
      {{kPolice}, {kRef, kEo, kSm}, {kLead, kInv}, {kSe}, {kId, kCr, kCs, kPo}, {kNa, kRp}},
      {{kPolice}, {kRes}, {kLead, kInv, kResP}, {kResearch}, {}, {kId, kCs}},
      // NHS trusts: acute, community, mental health.
      {{kAcute, kCommunity, kMentalHealth}, {kEo, kSm}, {kLead}, {kSe},
       {kId, kCr, kCs, kNa, kHe, kCa, kVo, kRp, kAd}, {}},
      {{kAcute, kCommunity, kMentalHealth}, {kRef}, {kLead, kInv}, {kSe, kCp}, {kId, kCr, kCs},
       {kNa, kHe, kCa, kVo, kRp}},
      {{kAcute, kCommunity, kMentalHealth}, {kEo, kSm}, {kInv}, {kSe, kCp}, {kId, kCr, kCs},
       {kNa, kHe, kCa, kVo, kRp}},
      {{kAcute, kCommunity, kMentalHealth}, {kEo, kSm}, {kLead}, {kCp}, {kId, kCr, kCs},
       {kNa, kHe, kCa, kVo, kRp}},
      // General practice and ambulance.
      {{kGp}, {kRef, kEo, kSm}, {kLead, kInv}, {kSe, kCp}, {kId, kCr, kCs}, {kHe, kVo, kRp}},
      {{kAmbulance}, {kRef, kEo, kSm}, {kLead, kInv}, {kSe, kCp}, {kId, kCr, kCs}, {}},
      // Children's social care and housing.
      {{kCsc}, {kRef, kEo, kSm}, {kLead, kInv}, {kSe}, {kId, kCr, kCs}, {kNa, kRp}},
      {{kHousing}, {kRef, kEo, kSm}, {kLead, kInv}, {kSe}, {kId, kCr, kCs}, {kRp}},
      // Care providers.
      {{kCareProvider}, {kRef, kEo, kSm}, {kLead, kInv}, {kCp}, {kId, kCr}, {kRp}},
      {{kCareProvider}, {kEo, kSm}, {kLead}, {kSe}, {kId, kCr, kCs, kNa, kCa, kVo, kRp, kAd}, {}},
      // Independent advocacy.
      {{kAdvocacy}, {kAdv}, {kLead, kInv}, {kSe, kCp}, {kId, kCr, kCs, kCa, kVo, kAd}, {}},
      // MASH research by every other signatory.
      {{kAcute, kCommunity, kMentalHealth, kGp, kAmbulance, kCsc, kHousing, kCareProvider,
        kAdvocacy},
       {kRes}, {kLead, kInv, kResP}, {kResearch}, {}, {kId, kCs}},
      // Probation, voluntary sector (not signatories), unknown kinds: nothing.
  };
  // clang-format on
  return *kTable;
}

template <typename T>
bool Has(const std::vector<T>& values, T v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

std::string Names(const Categories& categories) {
  std::vector<std::string> names;
  for (InformationCategory c : categories) {
    names.push_back(InformationCategory_Name(c).substr(sizeof("INFORMATION_CATEGORY_") - 1));
  }
  return absl::StrCat("{", absl::StrJoin(names, ","), "}");
}

std::string Describe(AgencyKind kind, const std::vector<Role>& roles, Relationship rel,
                     Purpose purpose, bool consent, bool override_ground) {
  std::vector<std::string> role_names;
  for (Role r : roles) role_names.push_back(Role_Name(r));
  std::string kind_name = AgencyKind_Name(kind);
  if (kind_name.empty()) kind_name = absl::StrCat("AgencyKind(", static_cast<int>(kind), ")");
  return absl::StrCat(kind_name, " roles=[", absl::StrJoin(role_names, ","), "] ",
                      Relationship_Name(rel), " ", Purpose_Name(purpose), " consent=", consent,
                      " override=", override_ground);
}

TEST(PolicyMatrixTest, ExampleAgreementGrantsExactlyTheExpectedTable) {
  auto agreement = Agreement::Load(ExamplePath());
  ASSERT_TRUE(agreement.ok()) << agreement.status();

  std::vector<AgencyKind> kinds;
  for (int k = common::v1::AgencyKind_MIN; k <= common::v1::AgencyKind_MAX; ++k) {
    kinds.push_back(static_cast<AgencyKind>(k));
  }
  kinds.push_back(static_cast<AgencyKind>(99));  // a kind this build does not know
  std::vector<Role> all_roles;
  for (int r = common::v1::Role_MIN; r <= common::v1::Role_MAX; ++r) {
    all_roles.push_back(static_cast<Role>(r));
  }
  // Role sets: none, each role alone, every pair (grants are the union over held roles).
  std::vector<std::vector<Role>> role_sets = {{}};
  for (size_t i = 0; i < all_roles.size(); ++i) {
    role_sets.push_back({all_roles[i]});
    for (size_t j = i + 1; j < all_roles.size(); ++j)
      role_sets.push_back({all_roles[i], all_roles[j]});
  }

  std::vector<std::string> failures;
  int combinations = 0;
  int granting = 0;
  std::vector<int> row_used(ExpectedGrants().size(), 0);
  for (AgencyKind kind : kinds) {
    for (const std::vector<Role>& roles : role_sets) {
      for (int rel = common::v1::Relationship_MIN; rel <= common::v1::Relationship_MAX; ++rel) {
        for (int p = common::v1::Purpose_MIN; p <= common::v1::Purpose_MAX; ++p) {
          for (int consent_state = 0; consent_state < 4; ++consent_state) {
            const bool consent = consent_state & 1;
            const bool override_ground = consent_state & 2;
            const auto relationship = static_cast<Relationship>(rel);
            const auto purpose = static_cast<Purpose>(p);
            ++combinations;

            std::set<InformationCategory> expected;
            for (Role role : roles) {
              int rows = 0;
              for (size_t i = 0; i < ExpectedGrants().size(); ++i) {
                const ExpectedGrant& g = ExpectedGrants()[i];
                if (!Has(g.kinds, kind) || !Has(g.roles, role) ||
                    !Has(g.relationships, relationship) || !Has(g.purposes, purpose)) {
                  continue;
                }
                ++rows;
                ++row_used[i];
                expected.insert(g.always.begin(), g.always.end());
                if (consent || override_ground) {
                  expected.insert(g.with_consent.begin(), g.with_consent.end());
                }
              }
              if (rows > 1) {
                failures.push_back(
                    "expected table rows overlap at " +
                    Describe(kind, {role}, relationship, purpose, consent, override_ground));
              }
            }

            const Decision d =
                agreement->Evaluate(Viewer{"agency-x", kind, roles}, purpose,
                                    CaseAccess{relationship, consent, override_ground});
            const Categories want(expected.begin(), expected.end());
            if (d.permitted != want) {
              failures.push_back(absl::StrCat(
                  Describe(kind, roles, relationship, purpose, consent, override_ground),
                  ": expected ", Names(want), " got ", Names(d.permitted)));
            }
            if (!want.empty()) ++granting;

            // The decision's own consistency: withheld is the complement, both sorted; the
            // lawful bases and rule names are there exactly when something is granted.
            Categories all = d.permitted;
            all.insert(all.end(), d.withheld.begin(), d.withheld.end());
            std::sort(all.begin(), all.end());
            if (all != AllCategories() || !std::is_sorted(d.withheld.begin(), d.withheld.end()) ||
                d.any() != !d.permitted.empty() || d.rules.empty() != d.permitted.empty() ||
                d.lawful_bases.empty() != d.permitted.empty()) {
              failures.push_back("inconsistent decision at " + Describe(kind, roles, relationship,
                                                                        purpose, consent,
                                                                        override_ground));
            }
            // The police rely on DPA 2018 Part 3 / Sch 8; nobody else does.
            for (LawfulBasis b : d.lawful_bases) {
              const bool law_enforcement =
                  b == common::v1::LAWFUL_BASIS_DPA_PART3_LAW_ENFORCEMENT ||
                  b == common::v1::LAWFUL_BASIS_DPA_SCH8_SAFEGUARDING;
              if (law_enforcement != (kind == kPolice)) {
                failures.push_back(absl::StrCat(
                    "lawful basis ", LawfulBasis_Name(b), " at ",
                    Describe(kind, roles, relationship, purpose, consent, override_ground)));
              }
            }
          }
        }
      }
    }
  }
  EXPECT_EQ(combinations, 15 * 56 * 5 * 8 * 4);
  EXPECT_GT(granting, 0);
  for (size_t i = 0; i < row_used.size(); ++i) {
    EXPECT_GT(row_used[i], 0) << "expected row " << i << " never applies";
  }
  for (size_t i = 0; i < failures.size() && i < 40; ++i) ADD_FAILURE() << failures[i];
  EXPECT_THAT(failures, IsEmpty()) << failures.size() << " differences";
}

TEST(PolicyMatrixTest, ExampleIsSignedByEveryAgencyOfTheExamplePartnership) {
  auto agreement = Agreement::Load(ExamplePath());
  ASSERT_TRUE(agreement.ok()) << agreement.status();
  config::v1::Partnership partnership;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      ReadFile(std::string(HUB_SOURCE_DIR) + "/deploy/partnership.example.textproto"),
      &partnership));
  std::set<std::string> agencies;
  for (const auto& a : partnership.agencies()) agencies.insert(a.agency_id());
  std::set<std::string> signatories(agreement->config().signatories().begin(),
                                    agreement->config().signatories().end());
  EXPECT_FALSE(agencies.empty());
  EXPECT_EQ(signatories, agencies);
  EXPECT_EQ(agreement->version(), "2026.1");
  EXPECT_THAT(agreement->how_to_raise_a_concern(), HasSubstr("01632 960001"));
  EXPECT_THAT(agreement->how_to_raise_a_concern(), HasSubstr("999"));
}

TEST(PolicyMatrixTest, LawfulBasesAndRuleNamesOfTypicalDecisions) {
  auto agreement = Agreement::Load(ExamplePath());
  ASSERT_TRUE(agreement.ok()) << agreement.status();

  Decision lead = agreement->Evaluate(Viewer{"asc-northshire", kAsc, {kEo}}, kSe,
                                      CaseAccess{kLead, true, false});
  EXPECT_THAT(lead.lawful_bases,
              ElementsAre(common::v1::LAWFUL_BASIS_UK_GDPR_6_1_E_PUBLIC_TASK,
                          common::v1::LAWFUL_BASIS_UK_GDPR_9_2_G_SUBSTANTIAL_PUBLIC_INTEREST,
                          common::v1::LAWFUL_BASIS_UK_GDPR_9_2_H_HEALTH_AND_SOCIAL_CARE,
                          common::v1::LAWFUL_BASIS_DPA_SCH1_PARA18_SAFEGUARDING));
  EXPECT_THAT(lead.rules, ElementsAre("asc-lead-mash-and-enquiry", "council-and-housing-involved",
                                      "asc-involved-detail"));
  EXPECT_THAT(lead.withheld, IsEmpty());

  Decision police = agreement->Evaluate(Viewer{"police-northshire", kPolice, {kSm}}, kSe,
                                        CaseAccess{kInv, true, false});
  EXPECT_THAT(police.lawful_bases, ElementsAre(common::v1::LAWFUL_BASIS_DPA_PART3_LAW_ENFORCEMENT,
                                               common::v1::LAWFUL_BASIS_DPA_SCH8_SAFEGUARDING));
  EXPECT_THAT(police.rules, ElementsAre("police-involved", "police-involved-narrative"));

  Decision sar = agreement->Evaluate(Viewer{"asc-northshire", kAsc, {kSm}}, kSar,
                                     CaseAccess{kLead, false, false});
  EXPECT_THAT(sar.lawful_bases, ElementsAre(common::v1::LAWFUL_BASIS_UK_GDPR_6_1_C_LEGAL_OBLIGATION,
                                            common::v1::LAWFUL_BASIS_UK_GDPR_15_RIGHT_OF_ACCESS));
  EXPECT_THAT(sar.withheld, ElementsAre(kHe, kPo));
}

TEST(PolicyMatrixTest, LookupPurposes) {
  auto agreement = Agreement::Load(ExamplePath());
  ASSERT_TRUE(agreement.ok()) << agreement.status();
  for (Purpose p : {kSe, kTriage, kResearch, kCp}) EXPECT_TRUE(agreement->LookupPermitted(p)) << p;
  for (Purpose p : {kNoPurpose, kAudit, kStats, kSar}) {
    EXPECT_FALSE(agreement->LookupPermitted(p)) << p;
  }

  // No list: any purpose but statistics.
  auto open = Agreement::FromText("version: \"1\"", "inline");
  ASSERT_TRUE(open.ok()) << open.status();
  for (Purpose p : {kSe, kTriage, kResearch, kCp, kAudit, kSar}) {
    EXPECT_TRUE(open->LookupPermitted(p)) << p;
  }
  EXPECT_FALSE(open->LookupPermitted(kStats));
  EXPECT_FALSE(open->LookupPermitted(kNoPurpose));
}

// ---- (b) validation --------------------------------------------------------------------------

// A valid rule r0, then rule r1 whose field `field` is replaced by `value` ("" removes it).
std::string TwoRules(const std::string& field, const std::string& value) {
  const std::vector<std::pair<std::string, std::string>> fields = {
      {"name", "name: \"r1\""},
      {"agency_kinds", "agency_kinds: AGENCY_KIND_GP"},
      {"roles", "roles: ROLE_REFERRER"},
      {"relationships", "relationships: RELATIONSHIP_LEAD"},
      {"purposes", "purposes: PURPOSE_TRIAGE"},
      {"categories", "categories: INFORMATION_CATEGORY_IDENTITY"},
      {"lawful_bases", "lawful_bases: LAWFUL_BASIS_UK_GDPR_6_1_E_PUBLIC_TASK"},
  };
  std::string r1;
  for (const auto& [name, text] : fields) absl::StrAppend(&r1, name == field ? value : text, " ");
  return absl::StrCat(
      "version: \"t\"\n"
      "rules { name: \"r0\" agency_kinds: AGENCY_KIND_GP relationships: RELATIONSHIP_LEAD "
      "purposes: PURPOSE_TRIAGE categories: INFORMATION_CATEGORY_IDENTITY "
      "lawful_bases: LAWFUL_BASIS_UK_GDPR_6_1_E_PUBLIC_TASK }\n"
      "rules { ",
      r1, "}\n");
}

TEST(ValidationTest, TheTemplateIsValid) {
  HUB_EXPECT_OK(Agreement::FromText(TwoRules("", ""), "f"));
  HUB_EXPECT_OK(Agreement::FromText(TwoRules("roles", ""), "f"));  // empty roles: any role
}

TEST(ValidationTest, RefusesEachBadField) {
  struct Case {
    std::string field;
    std::string value;
    std::string message;
  };
  const Case cases[] = {
      {"name", "", "f: rules[1] (\"\").name: required"},
      {"name", "name: \"r0\"", "f: rules[1] (\"r0\").name: used by an earlier rule"},
      {"agency_kinds", "", "f: rules[1] (\"r1\").agency_kinds: at least one is required"},
      {"agency_kinds", "agency_kinds: AGENCY_KIND_UNSPECIFIED",
       "rules[1] (\"r1\").agency_kinds: UNSPECIFIED is not allowed"},
      {"agency_kinds", "agency_kinds: 99", "rules[1] (\"r1\").agency_kinds: unknown value 99"},
      {"roles", "roles: ROLE_UNSPECIFIED", "rules[1] (\"r1\").roles: UNSPECIFIED is not allowed"},
      {"relationships", "", "rules[1] (\"r1\").relationships: at least one is required"},
      {"relationships", "relationships: RELATIONSHIP_UNSPECIFIED",
       "rules[1] (\"r1\").relationships: UNSPECIFIED is not allowed"},
      {"purposes", "", "rules[1] (\"r1\").purposes: at least one is required"},
      {"purposes", "purposes: [PURPOSE_TRIAGE, PURPOSE_UNSPECIFIED]",
       "rules[1] (\"r1\").purposes: UNSPECIFIED is not allowed"},
      {"categories", "", "rules[1] (\"r1\").categories: at least one is required"},
      {"categories", "categories: INFORMATION_CATEGORY_UNSPECIFIED",
       "rules[1] (\"r1\").categories: UNSPECIFIED is not allowed"},
      {"lawful_bases", "", "rules[1] (\"r1\").lawful_bases: at least one is required"},
      {"lawful_bases", "lawful_bases: LAWFUL_BASIS_UNSPECIFIED",
       "rules[1] (\"r1\").lawful_bases: UNSPECIFIED is not allowed"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(Agreement::FromText(TwoRules(c.field, c.value), "f").status(),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << c.field << " = " << c.value;
  }
}

TEST(ValidationTest, RefusesBadDocument) {
  EXPECT_THAT(Agreement::FromText("title: \"no version\"", "f").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("f: version: required")));
  EXPECT_THAT(
      Agreement::FromText("version: \"1\" lookup_purposes: PURPOSE_UNSPECIFIED", "f").status(),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("f: lookup_purposes: UNSPECIFIED is not allowed")));
  EXPECT_THAT(Agreement::FromText("version: \"1\" rules { name: ", "f").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("f: line 1")));
  EXPECT_THAT(Agreement::FromText("version: \"1\" colour: \"blue\"", "f").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("colour")));
  EXPECT_THAT(Agreement::Load("/nonexistent/agreement.textproto").status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent/agreement.textproto")));
}

// ---- (c) the hash ----------------------------------------------------------------------------

// `printf 'version: "7"\n' | sha256sum`, computed outside the hub.
constexpr char kSmall[] = "version: \"7\"\n";
constexpr char kSmallSha256[] = "6d3c483546293ccfea1c376737cd2bba2a2c53f1a48cef7bfaecacc1d9120c26";

TEST(HashTest, IsTheSha256OfTheFileBytes) {
  hub::testing::TempDir dir;
  const std::string path = dir.Sub("agreement.textproto");
  WriteFile(path, kSmall);
  auto loaded = Agreement::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->hash(), kSmallSha256);
  auto again = Agreement::Load(path);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->hash(), loaded->hash());

  // A comment changes nothing but the bytes, and so the hash.
  WriteFile(path, std::string(kSmall) + "# reviewed\n");
  auto edited = Agreement::Load(path);
  ASSERT_TRUE(edited.ok()) << edited.status();
  EXPECT_EQ(edited->version(), "7");
  EXPECT_NE(edited->hash(), loaded->hash());
}

TEST(HashTest, ExampleHashIsLowercaseHexAndMatchesFromText) {
  auto loaded = Agreement::Load(ExamplePath());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->hash().size(), 64u);
  EXPECT_TRUE(std::all_of(loaded->hash().begin(), loaded->hash().end(),
                          [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }));
  auto from_text = Agreement::FromText(ReadFile(ExamplePath()), "example");
  ASSERT_TRUE(from_text.ok()) << from_text.status();
  EXPECT_EQ(from_text->hash(), loaded->hash());
}

// ---- (d) handling markings -------------------------------------------------------------------

TEST(MarkingsTest, TruthTable) {
  const Viewer asc_triage{"asc-northshire", kAsc, {kTri}};
  const Viewer asc_manager{"asc-northshire", kAsc, {kSm}};
  const Viewer asc_officer{"asc-northshire", kAsc, {kEo}};
  const Viewer police_manager{"police-northshire", kPolice, {kSm}};
  const Viewer police_researcher{"police-northshire", kPolice, {kRes}};
  const Viewer advocate{"advocacy-northshire", kAdvocacy, {kAdv}};
  const Viewer nameless{"", kHousing, {kSm}};
  struct Case {
    std::vector<HandlingMarking> markings;
    std::string owner;
    const Viewer* viewer;
    Relationship relationship;
    Purpose purpose;
    bool may;
  };
  const std::string police = "police-northshire";
  const std::string acute = "nhs-northshire-acute";
  const Case cases[] = {
      {{}, police, &advocate, kInv, kSe, true},
      {{}, police, &asc_manager, kLead, kSar, true},
      // MASH decision-makers only.
      {{kDecisionMakersOnly}, police, &asc_triage, kLead, kTriage, true},
      {{kDecisionMakersOnly}, police, &asc_manager, kLead, kSe, true},
      {{kDecisionMakersOnly}, police, &asc_officer, kLead, kSe, false},
      {{kDecisionMakersOnly}, police, &asc_manager, kInv, kSe, false},
      {{kDecisionMakersOnly}, police, &asc_manager, kLead, kSar, false},
      {{kDecisionMakersOnly}, police, &asc_manager, kLead, kAudit, false},
      {{kDecisionMakersOnly}, police, &police_researcher, kResP, kResearch, true},  // owner
      {{kDecisionMakersOnly}, acute, &police_manager, kLead, kSe, true},
      // Not to the adult or family.
      {{kNotToAdult}, police, &asc_officer, kLead, kSe, true},
      {{kNotToAdult}, police, &asc_manager, kLead, kSar, false},
      {{kNotToAdult}, acute, &advocate, kInv, kSe, false},
      {{kNotToAdult}, acute, &police_manager, kInv, kSe, true},
      {{kNotToAdult}, "advocacy-northshire", &advocate, kInv, kSe, true},  // owner
      // Owner's agreement before onward sharing.
      {{kOwnerAgreement}, police, &asc_officer, kLead, kSe, true},
      {{kOwnerAgreement}, acute, &police_manager, kInv, kSe, false},
      {{kOwnerAgreement}, acute, &advocate, kInv, kSe, false},
      {{kOwnerAgreement}, police, &asc_manager, kLead, kSar, false},
      {{kOwnerAgreement}, "", &nameless, kInv, kSe, false},  // an empty id owns nothing
      // Several markings: all must allow.
      {{kDecisionMakersOnly, kNotToAdult}, police, &asc_manager, kLead, kSe, true},
      {{kDecisionMakersOnly, kOwnerAgreement}, police, &asc_officer, kLead, kSe, false},
      {{kNotToAdult, kOwnerAgreement}, acute, &advocate, kLead, kSe, false},
      {{kNotToAdult, kOwnerAgreement}, acute, &asc_officer, kLead, kSe, true},
      // Unmarked (0) restricts nothing; an unknown marking withholds.
      {{common::v1::HANDLING_MARKING_UNSPECIFIED}, police, &advocate, kInv, kSe, true},
      {{static_cast<HandlingMarking>(42)}, police, &asc_manager, kLead, kSe, false},
  };
  for (size_t i = 0; i < std::size(cases); ++i) {
    const Case& c = cases[i];
    EXPECT_EQ(MayReceiveItem(c.markings, c.owner, *c.viewer, c.relationship, c.purpose), c.may)
        << "case " << i;
    views::v1::ResearchItem item;
    item.set_agency_id(c.owner);
    for (HandlingMarking m : c.markings) item.add_markings(m);
    EXPECT_EQ(MayReceiveItem(item, *c.viewer, c.relationship, c.purpose), c.may) << "case " << i;
  }
}

TEST(MarkingsTest, SeveralMarkingsAllowOnlyWhenEachDoes) {
  const std::vector<HandlingMarking> known = {kDecisionMakersOnly, kNotToAdult, kOwnerAgreement};
  int checked = 0;
  for (AgencyKind kind : {kAsc, kPolice, kAdvocacy, kAcute}) {
    for (Role role : {kTri, kSm, kEo, kAdv}) {
      const Viewer viewer{"viewer", kind, {role}};
      for (int rel = common::v1::Relationship_MIN; rel <= common::v1::Relationship_MAX; ++rel) {
        for (int p = common::v1::Purpose_MIN; p <= common::v1::Purpose_MAX; ++p) {
          const auto relationship = static_cast<Relationship>(rel);
          const auto purpose = static_cast<Purpose>(p);
          for (int mask = 0; mask < 8; ++mask) {
            std::vector<HandlingMarking> markings;
            bool each = true;
            for (int b = 0; b < 3; ++b) {
              if (!(mask & (1 << b))) continue;
              markings.push_back(known[b]);
              each = each && MayReceiveItem({known[b]}, "owner", viewer, relationship, purpose);
            }
            EXPECT_EQ(MayReceiveItem(markings, "owner", viewer, relationship, purpose), each);
            EXPECT_TRUE(MayReceiveItem(markings, "viewer", viewer, relationship, purpose));
            ++checked;
          }
        }
      }
    }
  }
  EXPECT_EQ(checked, 4 * 4 * 5 * 8 * 8);
}

// ---- (e) relationship to a case --------------------------------------------------------------

TEST(RelationshipTest, StrongestRelationshipWins) {
  views::v1::CaseParties parties;
  parties.set_raised_by_agency_id("police");
  parties.set_lead_agency_id("acute");
  parties.set_responsible_agency_id("asc");
  parties.set_mash_agency_id("asc-mash");
  parties.add_involved_agency_ids("advocacy");
  parties.add_involved_agency_ids("acute");
  parties.add_research_agency_ids("gp");
  parties.add_research_agency_ids("police");
  parties.add_research_agency_ids("advocacy");
  struct Case {
    std::string agency;
    Relationship want;
  };
  const Case cases[] = {
      {"acute", kLead},     // lead, also involved
      {"asc", kLead},       // responsible local authority
      {"asc-mash", kNone},  // triaged it, but a lead is now assigned
      {"police", kInv},     // raised it, also asked for research
      {"advocacy", kInv},   // involved, also asked for research
      {"gp", kResP},       {"housing", kNone}, {"", kNone},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(RelationshipTo(parties, c.agency, {"asc-mash"}), c.want) << c.agency;
  }
}

TEST(RelationshipTest, MashAndHostLeadUntilALeadIsAssigned) {
  views::v1::CaseParties awaiting_triage;
  awaiting_triage.set_raised_by_agency_id("police");
  EXPECT_EQ(RelationshipTo(awaiting_triage, "asc", {"asc"}), kLead);
  EXPECT_EQ(RelationshipTo(awaiting_triage, "asc"), kNone);  // not named as host
  EXPECT_EQ(RelationshipTo(awaiting_triage, "asc-other", {"asc"}), kNone);
  EXPECT_EQ(RelationshipTo(awaiting_triage, "police", {"asc"}), kInv);
  EXPECT_EQ(RelationshipTo(awaiting_triage, "", {""}), kNone);

  views::v1::CaseParties triaged = awaiting_triage;
  triaged.set_mash_agency_id("asc");
  triaged.add_research_agency_ids("asc");
  EXPECT_EQ(RelationshipTo(triaged, "asc"), kLead);
  // Once a MASH agency triaged it, other hosts are no longer lead.
  EXPECT_EQ(RelationshipTo(triaged, "asc-other", {"asc", "asc-other"}), kNone);

  views::v1::CaseParties led = triaged;
  led.set_lead_agency_id("mh");
  EXPECT_EQ(RelationshipTo(led, "mh", {"asc"}), kLead);
  EXPECT_EQ(RelationshipTo(led, "asc", {"asc"}), kResP);  // falls back to what else it is
  led.set_responsible_agency_id("asc");
  EXPECT_EQ(RelationshipTo(led, "asc", {"asc"}), kLead);
}

// ---- (f) consent, purpose, unknown callers, rule selectors ---------------------------------

TEST(EvaluateTest, ConsentWithdrawnNarrowsPartnersButNotTheLeadsStatutoryGrants) {
  auto agreement = Agreement::Load(ExamplePath());
  ASSERT_TRUE(agreement.ok()) << agreement.status();
  const CaseAccess consented{kLead, true, false};
  const CaseAccess withdrawn{kLead, false, false};
  const CaseAccess overridden{kLead, false, true};

  const Viewer lead{"asc-northshire", kAsc, {kEo}};
  EXPECT_EQ(agreement->Evaluate(lead, kSe, withdrawn).permitted, AllCategories());
  EXPECT_EQ(agreement->Evaluate(lead, kSe, consented).permitted, AllCategories());

  const Viewer police{"police-northshire", kPolice, {kEo}};
  CaseAccess involved = consented;
  involved.relationship = kInv;
  EXPECT_THAT(agreement->Evaluate(police, kSe, involved).permitted,
              ElementsAre(kId, kCr, kCs, kNa, kPo, kRp));
  involved.consent_to_share = false;
  const Decision narrowed = agreement->Evaluate(police, kSe, involved);
  EXPECT_THAT(narrowed.permitted, ElementsAre(kId, kCr, kCs, kPo));
  EXPECT_THAT(narrowed.rules, ElementsAre("police-involved"));
  involved.override_ground_recorded = true;
  EXPECT_THAT(agreement->Evaluate(police, kSe, involved).permitted,
              ElementsAre(kId, kCr, kCs, kNa, kPo, kRp));

  const Viewer gp{"gp-riverside", kGp, {kSm}};
  EXPECT_THAT(agreement->Evaluate(gp, kCp, CaseAccess{kInv, false, false}).permitted,
              ElementsAre(kId, kCr, kCs));
  EXPECT_THAT(agreement->Evaluate(gp, kCp, CaseAccess{kInv, true, false}).permitted,
              ElementsAre(kId, kCr, kCs, kHe, kVo, kRp));

  // Research partners stop searching when consent is withdrawn without an override.
  const Viewer researcher{"nhs-northshire-mh", kMentalHealth, {kRes}};
  EXPECT_FALSE(agreement->Evaluate(researcher, kResearch, CaseAccess{kResP, false, false}).any());
  EXPECT_THAT(agreement->Evaluate(researcher, kResearch, overridden).permitted,
              ElementsAre(kId, kCs));
}

TEST(EvaluateTest, NothingWithoutPurposeKindRelationshipOrRole) {
  auto agreement = Agreement::Load(ExamplePath());
  ASSERT_TRUE(agreement.ok()) << agreement.status();
  const CaseAccess lead{kLead, true, true};
  const Decision no_purpose =
      agreement->Evaluate(Viewer{"asc-northshire", kAsc, {kSm}}, kNoPurpose, lead);
  EXPECT_FALSE(no_purpose.any());
  EXPECT_EQ(no_purpose.withheld, AllCategories());
  EXPECT_THAT(no_purpose.rules, IsEmpty());
  EXPECT_THAT(no_purpose.lawful_bases, IsEmpty());
  EXPECT_FALSE(no_purpose.Permits(kId));

  EXPECT_FALSE(
      agreement->Evaluate(Viewer{"x", common::v1::AGENCY_KIND_UNSPECIFIED, {kSm}}, kSe, lead)
          .any());
  EXPECT_FALSE(
      agreement->Evaluate(Viewer{"x", static_cast<AgencyKind>(99), {kSm}}, kSe, lead).any());
  EXPECT_FALSE(
      agreement->Evaluate(Viewer{"probation", common::v1::AGENCY_KIND_PROBATION, {kSm}}, kSe, lead)
          .any());
  EXPECT_FALSE(
      agreement->Evaluate(Viewer{"asc-northshire", kAsc, {kSm}}, kSe, CaseAccess{kNone, true, true})
          .any());
  EXPECT_FALSE(agreement->Evaluate(Viewer{"asc-northshire", kAsc, {}}, kSe, lead).any());
  EXPECT_FALSE(
      agreement
          ->Evaluate(Viewer{"asc-northshire", kAsc, {common::v1::ROLE_ADMINISTRATOR}}, kSe, lead)
          .any());

  const Decision lead_decision =
      agreement->Evaluate(Viewer{"asc-northshire", kAsc, {kSm}}, kSe, lead);
  EXPECT_TRUE(lead_decision.Permits(kDl));
  EXPECT_FALSE(lead_decision.Permits(common::v1::INFORMATION_CATEGORY_UNSPECIFIED));
}

TEST(EvaluateTest, RuleSelectorsAndConsentFlag) {
  auto agreement = Agreement::FromText(
      R"pb(
        version: "t"
        rules {
          name: "any-role"
          agency_kinds: [ AGENCY_KIND_HOUSING, AGENCY_KIND_GP ]
          relationships: RELATIONSHIP_INVOLVED_PARTNER
          purposes: PURPOSE_SAFEGUARDING_ENQUIRY
          categories: [ INFORMATION_CATEGORY_CONTACT_ROUTES, INFORMATION_CATEGORY_IDENTITY ]
          lawful_bases: LAWFUL_BASIS_UK_GDPR_6_1_E_PUBLIC_TASK
        }
        rules {
          name: "with-consent"
          agency_kinds: AGENCY_KIND_HOUSING
          roles: [ ROLE_REFERRER ]
          relationships: RELATIONSHIP_INVOLVED_PARTNER
          purposes: PURPOSE_SAFEGUARDING_ENQUIRY
          categories: [ INFORMATION_CATEGORY_RISK_AND_PLAN, INFORMATION_CATEGORY_IDENTITY ]
          lawful_bases: [
            LAWFUL_BASIS_DPA_SCH1_PARA18_SAFEGUARDING,
            LAWFUL_BASIS_UK_GDPR_6_1_E_PUBLIC_TASK
          ]
          requires_consent_or_override: true
        }
      )pb",
      "inline");
  ASSERT_TRUE(agreement.ok()) << agreement.status();
  const CaseAccess consented{kInv, true, false};

  // Empty roles: any role, but a viewer holding none matches no rule.
  EXPECT_THAT(agreement->Evaluate(Viewer{"h", kHousing, {kAud}}, kSe, consented).permitted,
              ElementsAre(kId, kCr));
  EXPECT_FALSE(agreement->Evaluate(Viewer{"h", kHousing, {}}, kSe, consented).any());

  const Decision both = agreement->Evaluate(Viewer{"h", kHousing, {kRef}}, kSe, consented);
  EXPECT_THAT(both.permitted, ElementsAre(kId, kCr, kRp));
  EXPECT_THAT(both.withheld, ElementsAre(kCs, kNa, kHe, kPo, kCa, kVo, kAd, kRa, kDl));
  EXPECT_THAT(both.rules, ElementsAre("any-role", "with-consent"));
  EXPECT_THAT(both.lawful_bases,
              ElementsAre(common::v1::LAWFUL_BASIS_UK_GDPR_6_1_E_PUBLIC_TASK,
                          common::v1::LAWFUL_BASIS_DPA_SCH1_PARA18_SAFEGUARDING));

  const Decision no_consent =
      agreement->Evaluate(Viewer{"h", kHousing, {kRef}}, kSe, CaseAccess{kInv, false, false});
  EXPECT_THAT(no_consent.permitted, ElementsAre(kId, kCr));
  EXPECT_THAT(no_consent.rules, ElementsAre("any-role"));
  EXPECT_THAT(no_consent.lawful_bases,
              ElementsAre(common::v1::LAWFUL_BASIS_UK_GDPR_6_1_E_PUBLIC_TASK));

  // Every selector must match.
  EXPECT_FALSE(agreement->Evaluate(Viewer{"h", kHousing, {kRef}}, kCp, consented).any());
  EXPECT_FALSE(
      agreement->Evaluate(Viewer{"h", kHousing, {kRef}}, kSe, CaseAccess{kLead, true, false})
          .any());
  EXPECT_THAT(agreement->Evaluate(Viewer{"g", kGp, {kRef}}, kSe, consented).permitted,
              ElementsAre(kId, kCr));
}

}  // namespace
}  // namespace hub::policy
