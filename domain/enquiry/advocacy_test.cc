// Care Act s68 advocacy on the enquiry stream: the duty's truth table (each area of substantial
// difficulty, each condition of an appropriate individual, each exception, each step towards
// meeting it), then each command's rules with a passing and a refusing case.
#include "domain/enquiry/advocacy.h"

#include <functional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "domain/common/envelope.h"
#include "domain/enquiry/enquiry.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hub::domain::enquiry {
namespace {

namespace cv1 = ::hub::common::v1;
namespace ev1 = ::hub::events::v1;
using ::hub::testing::IsOk;
using ::hub::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

constexpr char kLa[] = "asc-northshire";
constexpr char kProvider[] = "voiceability";
const absl::Time kT0 = absl::FromUnixSeconds(1717236000);  // 2024-06-01 10:00 UTC
const absl::Time kNow = kT0 + absl::Hours(24 * 10);

Caller Officer() {
  return Caller{kLa, cv1::AGENCY_KIND_ADULT_SOCIAL_CARE, "u-officer", {cv1::ROLE_ENQUIRY_OFFICER}};
}
Caller Advocate(std::string agency = kProvider, cv1::Role role = cv1::ROLE_ADVOCATE) {
  return Caller{std::move(agency), cv1::AGENCY_KIND_ADVOCACY_PROVIDER, "u-advocate", {role}};
}
Caller PoliceOfficer() {
  return Caller{"police-northshire", cv1::AGENCY_KIND_POLICE, "u-dc", {cv1::ROLE_ENQUIRY_OFFICER}};
}
CommandContext Ctx(Caller caller = Officer()) {
  return CommandContext{std::move(caller), kNow, "agency/cmd-7", "n7"};
}

ev1::Event At(int hour) {
  ev1::Event e;
  *e.mutable_occurred_at() = ToTimestamp(kT0 + absl::Hours(hour));
  e.set_command_id("asc-northshire/earlier");
  return e;
}

ev1::Event Opened(cv1::EnquiryType type = cv1::ENQUIRY_TYPE_SECTION_42) {
  ev1::Event e = At(0);
  e.mutable_enquiry_opened()->set_enquiry_id("e1");
  e.mutable_enquiry_opened()->set_type(type);
  return e;
}

ev1::Event Lead() {
  ev1::Event e = At(1);
  e.mutable_enquiry_lead_assigned()->set_lead_agency_id(kLa);
  e.mutable_enquiry_lead_assigned()->set_officer_name("Sam Patel");
  return e;
}

ev1::Event Difficulty(bool understanding, bool retaining, bool using_or_weighing,
                      bool communicating) {
  ev1::Event e = At(2);
  ev1::SubstantialDifficultyAssessed* d = e.mutable_substantial_difficulty_assessed();
  d->set_understanding(understanding);
  d->set_retaining(retaining);
  d->set_using_or_weighing(using_or_weighing);
  d->set_communicating(communicating);
  return e;
}
ev1::Event SomeDifficulty() { return Difficulty(true, false, false, false); }

struct Individual {
  bool exists = true;
  bool unpaid = true;
  bool not_source_of_risk = true;
  bool adult_consents = true;
  bool in_best_interests = false;
};
ev1::Event IndividualAssessed(Individual i) {
  ev1::Event e = At(3);
  ev1::AppropriateIndividualAssessed* a = e.mutable_appropriate_individual_assessed();
  a->set_exists(i.exists);
  a->set_name(i.exists ? "Jo Smith" : "");
  a->set_relationship("daughter");
  a->set_unpaid(i.unpaid);
  a->set_not_source_of_risk(i.not_source_of_risk);
  a->set_adult_consents(i.adult_consents);
  a->set_in_best_interests(i.in_best_interests);
  return e;
}
ev1::Event GoodIndividual() { return IndividualAssessed(Individual{}); }

ev1::Event Exceptions(bool hospital, bool care_home, bool disagreement) {
  ev1::Event e = At(4);
  ev1::AdvocacyExceptionsRecorded* x = e.mutable_advocacy_exceptions_recorded();
  x->set_hospital_28_days_or_more(hospital);
  x->set_care_home_8_weeks_or_more(care_home);
  x->set_disagreement_with_appropriate_individual(disagreement);
  return e;
}

ev1::Event Referred(const std::string& id = "r1", const std::string& provider = kProvider) {
  ev1::Event e = At(5);
  e.mutable_advocacy_referred()->set_referral_id(id);
  e.mutable_advocacy_referred()->set_provider_agency_id(provider);
  e.mutable_advocacy_referred()->set_reason("substantial difficulty; no family");
  return e;
}
ev1::Event Accepted(const std::string& id = "r1") {
  ev1::Event e = At(6);
  e.mutable_advocacy_referral_accepted()->set_referral_id(id);
  return e;
}
ev1::Event Declined(const std::string& id = "r1") {
  ev1::Event e = At(6);
  e.mutable_advocacy_referral_declined()->set_referral_id(id);
  e.mutable_advocacy_referral_declined()->set_reason("no capacity this month");
  return e;
}
ev1::Event Allocated(const std::string& id = "r1") {
  ev1::Event e = At(7);
  e.mutable_advocate_allocated()->set_referral_id(id);
  e.mutable_advocate_allocated()->set_advocate_name("Alex Rowe");
  return e;
}
ev1::Event Views(const std::string& id = "r1") {
  ev1::Event e = At(8);
  e.mutable_advocate_views_recorded()->set_referral_id(id);
  e.mutable_advocate_views_recorded()->set_views("she wants to stay at home and see her son");
  return e;
}

template <typename... More>
std::vector<ev1::Event> Given(More... more) {
  return {Opened(), Lead(), more...};
}

// ---- The duty's truth table ----

struct DutyCase {
  std::string name;
  std::vector<ev1::Event> given;
  bool applies;
  bool met;
  std::string explanation;  // a fragment
};

void PrintTo(const DutyCase& c, std::ostream* os) { *os << c.name; }

class AdvocacyDutyTest : public ::testing::TestWithParam<DutyCase> {};

TEST_P(AdvocacyDutyTest, ComputesTheDuty) {
  const DutyCase& c = GetParam();
  const AdvocacyDuty duty = ComputeAdvocacyDuty(Fold(c.given));
  EXPECT_EQ(duty.applies, c.applies);
  EXPECT_EQ(duty.met, c.met);
  EXPECT_THAT(duty.explanation, HasSubstr(c.explanation));
}

std::vector<DutyCase> DifficultyCases() {
  return {
      {"NotAssessed", Given(), false, true, "substantial difficulty has not been assessed"},
      {"NoDifficulty", Given(Difficulty(false, false, false, false)), false, true,
       "no substantial difficulty recorded"},
      {"Understanding", Given(Difficulty(true, false, false, false)), true, false,
       "substantial difficulty in understanding information;"},
      {"Retaining", Given(Difficulty(false, true, false, false)), true, false,
       "substantial difficulty in retaining information;"},
      {"UsingOrWeighing", Given(Difficulty(false, false, true, false)), true, false,
       "substantial difficulty in using or weighing information;"},
      {"Communicating", Given(Difficulty(false, false, false, true)), true, false,
       "substantial difficulty in communicating their views;"},
      {"SeveralAreasNamed", Given(Difficulty(true, false, true, true)), true, false,
       "understanding information, using or weighing information and communicating their views"},
      {"LatestAssessmentCounts", Given(SomeDifficulty(), Difficulty(false, false, false, false)),
       false, true, "no substantial difficulty recorded"},
  };
}
INSTANTIATE_TEST_SUITE_P(Difficulty, AdvocacyDutyTest, ::testing::ValuesIn(DifficultyCases()),
                         [](const auto& info) { return info.param.name; });

std::vector<DutyCase> IndividualCases() {
  return {
      {"QualifyingIndividualWithConsent", Given(SomeDifficulty(), GoodIndividual()), false, true,
       "but Jo Smith is an appropriate individual: the s68 advocacy duty does not arise"},
      {"QualifyingIndividualInBestInterests",
       Given(SomeDifficulty(), IndividualAssessed({true, true, true, false, true})), false, true,
       "Jo Smith is an appropriate individual"},
      {"IndividualNotAssessed", Given(SomeDifficulty()), true, false,
       "no appropriate individual has been assessed"},
      {"NoIndividual",
       Given(SomeDifficulty(), IndividualAssessed({false, true, true, true, false})), true, false,
       "there is no appropriate individual"},
      {"PaidIndividual",
       Given(SomeDifficulty(), IndividualAssessed({true, false, true, true, false})), true, false,
       "Jo Smith cannot be the appropriate individual: is paid or professional"},
      {"IndividualIsSourceOfRisk",
       Given(SomeDifficulty(), IndividualAssessed({true, true, false, true, false})), true, false,
       "is implicated as a source of risk"},
      {"NeitherConsentNorBestInterests",
       Given(SomeDifficulty(), IndividualAssessed({true, true, true, false, false})), true, false,
       "is neither consented to by the adult nor in their best interests"},
      {"IndividualWithoutDifficulty",
       Given(Difficulty(false, false, false, false),
             IndividualAssessed({false, false, false, false, false})),
       false, true, "no substantial difficulty recorded"},
  };
}
INSTANTIATE_TEST_SUITE_P(AppropriateIndividual, AdvocacyDutyTest,
                         ::testing::ValuesIn(IndividualCases()),
                         [](const auto& info) { return info.param.name; });

std::vector<DutyCase> ExceptionCases() {
  return {
      {"Hospital28Days", Given(SomeDifficulty(), GoodIndividual(), Exceptions(true, false, false)),
       true, false,
       "Jo Smith is an appropriate individual, but the adult is likely to be in "
       "hospital for 28 days or more"},
      {"CareHome8Weeks", Given(SomeDifficulty(), GoodIndividual(), Exceptions(false, true, false)),
       true, false, "in a care home for 8 weeks or more"},
      {"Disagreement", Given(SomeDifficulty(), GoodIndividual(), Exceptions(false, false, true)),
       true, false, "the local authority and Jo Smith disagree"},
      {"NoExceptionRecorded",
       Given(SomeDifficulty(), GoodIndividual(), Exceptions(false, false, false)), false, true,
       "does not arise"},
      {"ExceptionWithoutDifficulty",
       Given(Difficulty(false, false, false, false), GoodIndividual(),
             Exceptions(true, true, true)),
       false, true, "no substantial difficulty recorded"},
      {"ExceptionAlongsideNoIndividual",
       Given(SomeDifficulty(), IndividualAssessed({true, false, true, true, false}),
             Exceptions(true, false, false)),
       true, false, "is paid or professional; also the adult is likely to be in hospital"},
  };
}
INSTANTIATE_TEST_SUITE_P(Exceptions, AdvocacyDutyTest, ::testing::ValuesIn(ExceptionCases()),
                         [](const auto& info) { return info.param.name; });

std::vector<DutyCase> MeetingCases() {
  return {
      {"NoReferral", Given(SomeDifficulty()), true, false,
       "refer to an advocacy provider before concluding"},
      {"ReferralPending", Given(SomeDifficulty(), Referred()), true, false,
       "referral r1 to voiceability awaits the provider's acceptance"},
      {"ReferralDeclined", Given(SomeDifficulty(), Referred(), Declined()), true, false,
       "voiceability declined referral r1 (no capacity this month); refer to another advocacy "
       "provider"},
      {"ReferralAccepted", Given(SomeDifficulty(), Referred(), Accepted()), true, false,
       "voiceability accepted referral r1; an advocate must be allocated"},
      {"AdvocateAllocatedWithoutViews",
       Given(SomeDifficulty(), Referred(), Accepted(), Allocated()), true, false,
       "advocate Alex Rowe (voiceability) is allocated; record the advocate's views"},
      {"AdvocateViewsRecorded",
       Given(SomeDifficulty(), Referred(), Accepted(), Allocated(), Views()), true, true,
       "the s68 duty applies and is met: advocate Alex Rowe (voiceability) is allocated and their "
       "views are recorded"},
      {"SecondProviderAfterDecline",
       Given(SomeDifficulty(), Referred(), Declined(), Referred("r2"), Accepted("r2"),
             Allocated("r2"), Views("r2")),
       true, true, "is met"},
      {"DutyNotApplyingIsMet", Given(SomeDifficulty(), GoodIndividual()), false, true,
       "does not arise"},
  };
}
INSTANTIATE_TEST_SUITE_P(Meeting, AdvocacyDutyTest, ::testing::ValuesIn(MeetingCases()),
                         [](const auto& info) { return info.param.name; });

// ---- Commands ----

using DecideFn = std::function<absl::StatusOr<Events>(const EnquiryState&)>;

template <typename Cmd>
DecideFn When(Cmd cmd) {
  return [cmd = std::move(cmd)](const EnquiryState& state) { return Decide(state, cmd); };
}

struct CommandCase {
  std::string name;
  std::vector<ev1::Event> given;
  DecideFn when;
  absl::StatusCode code = absl::StatusCode::kOk;
  std::string message;
  std::function<void(const ev1::Event&)> check;
};

void PrintTo(const CommandCase& c, std::ostream* os) { *os << c.name; }

class AdvocacyRulesTest : public ::testing::TestWithParam<CommandCase> {};

TEST_P(AdvocacyRulesTest, DecidesAsTheRuleSays) {
  const CommandCase& c = GetParam();
  absl::StatusOr<Events> events = c.when(Fold(c.given));
  if (c.code == absl::StatusCode::kOk) {
    ASSERT_THAT(events, IsOk());
    ASSERT_THAT(*events, SizeIs(1));
    EXPECT_EQ(events->front().command_id(), "agency/cmd-7");
    if (c.check) c.check(events->front());
  } else {
    EXPECT_THAT(events, StatusIs(c.code, HasSubstr(c.message)));
  }
}

constexpr auto kOk = absl::StatusCode::kOk;
constexpr auto kRefused = absl::StatusCode::kFailedPrecondition;
constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
constexpr auto kDenied = absl::StatusCode::kPermissionDenied;
constexpr auto kUnknown = absl::StatusCode::kNotFound;

ReferForAdvocacy Referral() {
  return ReferForAdvocacy{Ctx(), kProvider, cv1::AGENCY_KIND_ADVOCACY_PROVIDER, "no family"};
}

std::vector<CommandCase> AssessmentCases() {
  return {
      {"DifficultyAssessed", Given(),
       When(AssessSubstantialDifficulty{Ctx(), false, true, false, true, "forgets quickly"}), kOk,
       "",
       [](const ev1::Event& e) {
         EXPECT_TRUE(e.substantial_difficulty_assessed().retaining());
         EXPECT_TRUE(e.substantial_difficulty_assessed().communicating());
         EXPECT_FALSE(e.substantial_difficulty_assessed().understanding());
       }},
      {"IndividualAssessed", Given(),
       When(AssessAppropriateIndividual{Ctx(), true, "Jo Smith", "daughter", true, true, true,
                                        false, ""}),
       kOk, "",
       [](const ev1::Event& e) {
         EXPECT_EQ(e.appropriate_individual_assessed().name(), "Jo Smith");
       }},
      {"NoIndividualNeedsNoName",
       Given(),
       When(AssessAppropriateIndividual{Ctx(), false, "", "", false, false, false, false, ""}),
       kOk,
       "",
       {}},
      {"IndividualNeedsAName",
       Given(),
       When(AssessAppropriateIndividual{Ctx(), true, " ", "daughter", true, true, true, false, ""}),
       kInvalid,
       "name: required",
       {}},
      {"ExceptionsRecorded", Given(),
       When(RecordAdvocacyExceptions{Ctx(), true, false, false, "hip fracture"}), kOk, "",
       [](const ev1::Event& e) {
         EXPECT_TRUE(e.advocacy_exceptions_recorded().hospital_28_days_or_more());
       }},
      {"NothingOnAnUnopenedEnquiry",
       {},
       When(RecordAdvocacyExceptions{Ctx(), true, false, false, ""}),
       kUnknown,
       "enquiry_id: no such enquiry",
       {}},
  };
}
INSTANTIATE_TEST_SUITE_P(Assessments, AdvocacyRulesTest, ::testing::ValuesIn(AssessmentCases()),
                         [](const auto& info) { return info.param.name; });

std::vector<CommandCase> ReferralCases() {
  ReferForAdvocacy to_police = Referral();
  to_police.provider_agency_id = "police-northshire";
  to_police.provider_agency_kind = cv1::AGENCY_KIND_POLICE;
  ReferForAdvocacy no_provider = Referral();
  no_provider.provider_agency_id = "";
  return {
      {"Referred", Given(SomeDifficulty()), When(Referral()), kOk, "",
       [](const ev1::Event& e) {
         EXPECT_EQ(e.advocacy_referred().referral_id(), "n7");
         EXPECT_EQ(e.advocacy_referred().provider_agency_id(), kProvider);
       }},
      {"ReferralNeedsAProvider",
       Given(),
       When(no_provider),
       kInvalid,
       "provider_agency_id: required",
       {}},
      {"OnlyToAnAdvocacyProvider",
       Given(),
       When(to_police),
       kRefused,
       "police-northshire is not an advocacy provider",
       {}},
      {"NotWhilePending",
       Given(Referred()),
       When(Referral()),
       kRefused,
       "referral r1 to voiceability is open (awaiting the provider's answer)",
       {}},
      {"NotWhileAccepted",
       Given(Referred(), Accepted()),
       When(Referral()),
       kRefused,
       "is open (accepted)",
       {}},
      {"AgainAfterDecline", Given(Referred(), Declined()), When(Referral()), kOk, "", {}},

      {"ProviderAccepts", Given(Referred()), When(AcceptAdvocacyReferral{Ctx(Advocate()), "r1"}),
       kOk, "",
       [](const ev1::Event& e) { EXPECT_EQ(e.advocacy_referral_accepted().referral_id(), "r1"); }},
      {"ProviderManagerAccepts",
       Given(Referred()),
       When(AcceptAdvocacyReferral{Ctx(Advocate(kProvider, cv1::ROLE_SAFEGUARDING_MANAGER)), "r1"}),
       kOk,
       "",
       {}},
      {"OnlyTheProviderAccepts",
       Given(Referred()),
       When(AcceptAdvocacyReferral{Ctx(Advocate("other-advocacy")), "r1"}),
       kDenied,
       "accepting an advocacy referral is for voiceability, the advocacy provider referral r1 "
       "was sent to",
       {}},
      {"AcceptingNeedsTheRole",
       Given(Referred()),
       When(AcceptAdvocacyReferral{Ctx(Advocate(kProvider, cv1::ROLE_REFERRER)), "r1"}),
       kDenied,
       "needs the Advocate or Safeguarding manager role",
       {}},
      {"AcceptUnknownReferral",
       Given(Referred()),
       When(AcceptAdvocacyReferral{Ctx(Advocate()), "r9"}),
       kUnknown,
       "referral_id: no advocacy referral r9",
       {}},
      {"AcceptOnlyPending",
       Given(Referred(), Declined()),
       When(AcceptAdvocacyReferral{Ctx(Advocate()), "r1"}),
       kRefused,
       "was already declined",
       {}},
      {"ProviderDeclines", Given(Referred()),
       When(DeclineAdvocacyReferral{Ctx(Advocate()), "r1", "no advocates free"}), kOk, "",
       [](const ev1::Event& e) {
         EXPECT_EQ(e.advocacy_referral_declined().reason(), "no advocates free");
       }},
      {"DeclineNeedsReason",
       Given(Referred()),
       When(DeclineAdvocacyReferral{Ctx(Advocate()), "r1", ""}),
       kInvalid,
       "reason: required",
       {}},
      {"DeclineOnlyPending",
       Given(Referred(), Accepted()),
       When(DeclineAdvocacyReferral{Ctx(Advocate()), "r1", "busy"}),
       kRefused,
       "was already accepted",
       {}},
      {"OnlyTheProviderDeclines",
       Given(Referred()),
       When(DeclineAdvocacyReferral{Ctx(Officer()), "r1", "busy"}),
       kDenied,
       "declining an advocacy referral is for voiceability",
       {}},
  };
}
INSTANTIATE_TEST_SUITE_P(Referrals, AdvocacyRulesTest, ::testing::ValuesIn(ReferralCases()),
                         [](const auto& info) { return info.param.name; });

std::vector<CommandCase> AdvocateCases() {
  const AllocateAdvocate allocate{Ctx(Advocate()), "r1", "Alex Rowe", "u-alex", "07700 900123"};
  return {
      {"AdvocateAllocated", Given(Referred(), Accepted()), When(allocate), kOk, "",
       [](const ev1::Event& e) {
         EXPECT_EQ(e.advocate_allocated().advocate_name(), "Alex Rowe");
         EXPECT_EQ(e.advocate_allocated().contact(), "07700 900123");
       }},
      {"AllocateOnlyWhenAccepted",
       Given(Referred()),
       When(allocate),
       kRefused,
       "referral r1 is awaiting the provider's answer: the provider accepts a referral before "
       "allocating",
       {}},
      {"AllocateNeedsAName",
       Given(Referred(), Accepted()),
       When(AllocateAdvocate{Ctx(Advocate()), "r1", "", "", ""}),
       kInvalid,
       "advocate_name: required",
       {}},
      {"OnlyTheProviderAllocates",
       Given(Referred(), Accepted()),
       When(AllocateAdvocate{Ctx(Officer()), "r1", "Alex Rowe", "", ""}),
       kDenied,
       "allocating an advocate is for voiceability",
       {}},
      {"ReallocationReplacesTheAdvocate",
       Given(Referred(), Accepted(), Allocated()),
       When(allocate),
       kOk,
       "",
       {}},
      {"ViewsRecorded", Given(Referred(), Accepted(), Allocated()),
       When(RecordAdvocateViews{Ctx(Advocate()), "r1", "wants to stay at home"}), kOk, "",
       [](const ev1::Event& e) {
         EXPECT_EQ(e.advocate_views_recorded().views(), "wants to stay at home");
       }},
      {"ViewsNeedAnAdvocate",
       Given(Referred(), Accepted()),
       When(RecordAdvocateViews{Ctx(Advocate()), "r1", "wants to stay"}),
       kRefused,
       "no advocate is allocated on referral r1",
       {}},
      {"ViewsNeedContent",
       Given(Referred(), Accepted(), Allocated()),
       When(RecordAdvocateViews{Ctx(Advocate()), "r1", " "}),
       kInvalid,
       "views: required",
       {}},
      {"OnlyTheProviderRecordsViews",
       Given(Referred(), Accepted(), Allocated()),
       When(RecordAdvocateViews{Ctx(Officer()), "r1", "wants to stay"}),
       kDenied,
       "recording an advocate's views is for voiceability",
       {}},
      {"ViewsForUnknownReferral",
       Given(Referred(), Accepted(), Allocated()),
       When(RecordAdvocateViews{Ctx(Advocate()), "r2", "wants to stay"}),
       kUnknown,
       "referral_id: no advocacy referral r2",
       {}},
  };
}
INSTANTIATE_TEST_SUITE_P(Advocates, AdvocacyRulesTest, ::testing::ValuesIn(AdvocateCases()),
                         [](const auto& info) { return info.param.name; });

// ---- Who may act on the advocacy, and who may read the duty ----

std::vector<CommandCase> WhoMayActCases() {
  ReferForAdvocacy by_provider = Referral();
  by_provider.ctx = Ctx(Advocate());
  return {
      {"PartnerCannotAssessDifficulty",
       Given(),
       When(AssessSubstantialDifficulty{Ctx(PoliceOfficer()), true, false, false, false, ""}),
       kDenied,
       "assessing substantial difficulty: this enquiry is led by asc-northshire; "
       "police-northshire is not the lead agency or the local authority responsible",
       {}},
      {"PartnerCannotAssessIndividual",
       Given(),
       When(AssessAppropriateIndividual{Ctx(PoliceOfficer()), false, "", "", false, false, false,
                                        false, ""}),
       kDenied,
       "police-northshire is not the lead agency",
       {}},
      {"PartnerCannotRecordExceptions",
       Given(),
       When(RecordAdvocacyExceptions{Ctx(PoliceOfficer()), true, false, false, ""}),
       kDenied,
       "police-northshire is not the lead agency",
       {}},
      {"ProviderCannotReferToItself",
       Given(SomeDifficulty()),
       When(by_provider),
       kDenied,
       "referring for advocacy: this enquiry is led by asc-northshire; voiceability is not",
       {}},
      {"BeforeLeadAdultSocialCareRefers", {Opened(), SomeDifficulty()}, When(Referral()), kOk, "",
       {}},
  };
}
INSTANTIATE_TEST_SUITE_P(WhoMayAct, AdvocacyRulesTest, ::testing::ValuesIn(WhoMayActCases()),
                         [](const auto& info) { return info.param.name; });

struct ReadCase {
  std::string name;
  std::vector<ev1::Event> given;
  Caller caller;
  bool allowed;
};

void PrintTo(const ReadCase& c, std::ostream* os) { *os << c.name; }

class AdvocacyReadTest : public ::testing::TestWithParam<ReadCase> {};

TEST_P(AdvocacyReadTest, OnlyThoseOnTheCaseRead) {
  const ReadCase& c = GetParam();
  const absl::Status status = CheckMayReadAdvocacy(Fold(c.given), c.caller);
  if (c.allowed) {
    EXPECT_THAT(status, IsOk());
  } else {
    EXPECT_THAT(status, StatusIs(kDenied, HasSubstr("reading the advocacy duty: this enquiry is "
                                                    "led by")));
    EXPECT_THAT(status.message(), HasSubstr("nor an advocacy provider referred to"));
  }
}

std::vector<ReadCase> ReadCases() {
  ev1::Event caused = At(1);
  caused.mutable_enquiry_lead_assigned()->set_lead_agency_id("police-northshire");
  caused.mutable_enquiry_lead_assigned()->set_caused(true);
  caused.mutable_enquiry_lead_assigned()->set_responsible_agency_id(kLa);
  return {
      {"LeadReads", Given(), Officer(), true},
      {"CausedLeadReads", {Opened(), caused}, PoliceOfficer(), true},
      {"ResponsibleAuthorityReads", {Opened(), caused}, Officer(), true},
      {"ReferredProviderReads", Given(Referred()), Advocate(), true},
      {"DeclinedProviderStillReads", Given(Referred(), Declined()), Advocate(), true},
      {"UnreferredAdvocateRefused", Given(Referred()), Advocate("other-advocacy"), false},
      {"AdvocateWithNoReferralRefused", Given(), Advocate(), false},
      {"PartnerOfficerRefused", Given(Referred()), PoliceOfficer(), false},
  };
}
INSTANTIATE_TEST_SUITE_P(Read, AdvocacyReadTest, ::testing::ValuesIn(ReadCases()),
                         [](const auto& info) { return info.param.name; });

// ---- The duty and conclusion, end to end on one stream ----

ConcludeEnquiry Conclusion() {
  ConcludeEnquiry c{Ctx()};
  cv1::ConcludedRisk risk;
  risk.set_type(cv1::TYPE_OF_RISK_NEGLECT_AND_ACTS_OF_OMISSION);
  risk.set_location(cv1::LOCATION_OF_RISK_CARE_HOME_RESIDENTIAL);
  risk.set_source(cv1::SOURCE_OF_RISK_SERVICE_PROVIDER);
  c.risks = {risk};
  c.action_and_result = cv1::ACTION_AND_RESULT_NO_RISK_ACTION_TAKEN;
  c.capacity = cv1::CAPACITY_ANSWER_LACKED_CAPACITY;
  c.supported_by_advocate_family_or_friend = true;
  c.outcomes_asked = cv1::OUTCOMES_ASKED_YES_NONE_EXPRESSED;
  return c;
}

TEST(AdvocacyConclusionTest, ConclusionWaitsForTheAdvocatesViews) {
  EnquiryState state =
      Fold(Given(SomeDifficulty(), IndividualAssessed({true, false, true, true, false})));
  const std::vector<std::function<absl::StatusOr<Events>(const EnquiryState&)>> steps = {
      When(Referral()),
      When(AcceptAdvocacyReferral{Ctx(Advocate()), "n7"}),
      When(AllocateAdvocate{Ctx(Advocate()), "n7", "Alex Rowe", "", ""}),
      When(RecordAdvocateViews{Ctx(Advocate()), "n7", "she wants her carers changed"}),
  };
  for (const auto& step : steps) {
    EXPECT_THAT(Decide(state, Conclusion()),
                StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("advocacy duty unmet")));
    absl::StatusOr<Events> events = step(state);
    ASSERT_THAT(events, IsOk());
    state = Fold(state, *events);
  }
  EXPECT_TRUE(ComputeAdvocacyDuty(state).met);
  EXPECT_THAT(Decide(state, Conclusion()), IsOk());
}

TEST(AdvocacyConclusionTest, OtherEnquiriesAreNotBlocked) {
  const EnquiryState state = Fold({Opened(cv1::ENQUIRY_TYPE_OTHER), Lead(), SomeDifficulty()});
  EXPECT_FALSE(ComputeAdvocacyDuty(state).met);
  EXPECT_THAT(Decide(state, Conclusion()), IsOk());
}

TEST(AdvocacyConclusionTest, DutyStillReadableAfterConclusion) {
  const EnquiryState state = Fold(Given(SomeDifficulty(), GoodIndividual()));
  absl::StatusOr<Events> concluded = Decide(state, Conclusion());
  ASSERT_THAT(concluded, IsOk());
  const EnquiryState after = Fold(state, *concluded);
  EXPECT_THAT(Decide(after, Referral()), Not(IsOk()));
  EXPECT_FALSE(ComputeAdvocacyDuty(after).applies);
}

}  // namespace
}  // namespace hub::domain::enquiry
