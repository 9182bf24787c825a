// The national labels, compared against the Safeguarding Adults Collection reference list
// (domain-reference.md §2.3-2.4), in publication order; and the envelope and stream helpers.
#include <string>
#include <vector>

#include "domain/common/context.h"
#include "domain/common/envelope.h"
#include "domain/common/labels.h"
#include "domain/common/streams.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hub::domain {
namespace {

using ::testing::ElementsAreArray;

// Labels of every value after _UNSPECIFIED, in number order.
std::vector<std::string> Labels(const google::protobuf::EnumDescriptor* e) {
  std::vector<std::string> out;
  for (int i = 0; i < e->value_count(); ++i) {
    if (e->value(i)->number() != 0) out.push_back(Label(e, e->value(i)->number()));
  }
  return out;
}

TEST(LabelsTest, SacLabelsAreExactlyTheNationalOnes) {
  EXPECT_THAT(Labels(common::v1::TypeOfRisk_descriptor()),
              ElementsAreArray({"Physical Abuse", "Sexual Abuse", "Psychological Abuse",
                                "Financial or Material Abuse", "Discriminatory Abuse",
                                "Organisational Abuse", "Neglect and Acts of Omission",
                                "Domestic Abuse", "Sexual Exploitation", "Modern Slavery",
                                "Self-Neglect"}));
  EXPECT_THAT(Labels(common::v1::LocationOfRisk_descriptor()),
              ElementsAreArray({"Own Home", "In the Community", "Community Service",
                                "Care Home - Nursing", "Care Home - Residential",
                                "Hospital - Acute", "Hospital - Mental Health",
                                "Hospital - Community", "Other"}));
  EXPECT_THAT(Labels(common::v1::SourceOfRisk_descriptor()),
              ElementsAreArray({"Service Provider", "Other - Known to individual",
                                "Other - Unknown to individual"}));
  EXPECT_THAT(Labels(common::v1::ActionAndResult_descriptor()),
              ElementsAreArray({"Risk identified and action taken",
                                "Risk identified and no action taken",
                                "Risk Assessment inconclusive and action taken",
                                "Risk Assessment inconclusive and no action taken",
                                "No risk identified and action taken",
                                "No risk identified and no action taken",
                                "Enquiry ceased at individual's request and no action taken"}));
  EXPECT_THAT(Labels(common::v1::RiskOutcome_descriptor()),
              ElementsAreArray({"Risk remained", "Risk reduced", "Risk removed"}));
  EXPECT_THAT(Labels(common::v1::CapacityAnswer_descriptor()),
              ElementsAreArray({"Yes, they lacked capacity", "No, they did not lack capacity",
                                "Don't know", "Not recorded"}));
  EXPECT_THAT(Labels(common::v1::OutcomesAsked_descriptor()),
              ElementsAreArray({"Yes they were asked and outcomes were expressed",
                                "Yes they were asked but no outcomes were expressed", "No",
                                "Don't Know", "Not Recorded"}));
  EXPECT_THAT(Labels(common::v1::OutcomeAchievement_descriptor()),
              ElementsAreArray({"Fully Achieved", "Partially Achieved", "Not Achieved"}));
  EXPECT_THAT(Labels(common::v1::Gender_descriptor()),
              ElementsAreArray({"Male", "Female", "Not Known"}));
  EXPECT_THAT(Labels(common::v1::EthnicityGroup_descriptor()),
              ElementsAreArray({"White", "Mixed / Multiple", "Asian / Asian British",
                                "Black / African / Caribbean / Black British",
                                "Other Ethnic Group", "Refused", "Undeclared / Not Known"}));
  EXPECT_THAT(Labels(common::v1::PrimarySupportReason_descriptor()),
              ElementsAreArray({"Physical Support", "Sensory Support",
                                "Support with Memory and Cognition",
                                "Learning Disability Support", "Mental Health Support",
                                "Social Support", "No Support Reason", "Not Known"}));
  EXPECT_EQ(Label(common::v1::ENQUIRY_TYPE_SECTION_42), "Section 42 Enquiries");
  EXPECT_EQ(Label(common::v1::ENQUIRY_TYPE_OTHER), "Other Enquiries");
}

TEST(LabelsTest, EveryReferenceValueHasALabel) {
  const google::protobuf::FileDescriptor* file = common::v1::TypeOfRisk_descriptor()->file();
  for (int e = 0; e < file->enum_type_count(); ++e) {
    for (const std::string& label : Labels(file->enum_type(e))) {
      EXPECT_FALSE(label.empty()) << file->enum_type(e)->name();
    }
  }
  EXPECT_EQ(Label(static_cast<common::v1::TypeOfRisk>(99)), "");
}

TEST(EnvelopeTest, StampsTimeActorAndCommand) {
  CommandContext ctx;
  ctx.caller = {"police-north", common::v1::AGENCY_KIND_POLICE, "pc-1",
                {common::v1::ROLE_REFERRER}};
  ctx.now = absl::FromUnixMicros(1700000000123456);
  ctx.command_key = "police-north/c1";
  events::v1::Event e = NewEvent(ctx);
  EXPECT_EQ(FromTimestamp(e.occurred_at()), ctx.now);
  EXPECT_EQ(e.actor().agency_kind(), common::v1::AGENCY_KIND_POLICE);
  EXPECT_EQ(e.command_id(), "police-north/c1");
  EXPECT_EQ(EventTypeName(e), "");
  e.mutable_concern_triaged();
  EXPECT_EQ(EventTypeName(e), "ConcernTriaged");
  EXPECT_EQ(FromTimestamp(ToTimestamp(absl::FromUnixMicros(-1))), absl::FromUnixMicros(-1));
}

TEST(StreamsTest, IdentifierStreamsAreSafeAndDistinct) {
  common::v1::Identifier nhs;
  nhs.set_kind(common::v1::IDENTIFIER_KIND_NHS_NUMBER);
  nhs.set_value("9434765919");
  EXPECT_EQ(IdentifierStream(nhs), "ident-nhs-9434765919");
  common::v1::Identifier la;
  la.set_kind(common::v1::IDENTIFIER_KIND_LA_CLIENT_ID);
  la.set_issuer("E06000999");
  la.set_value("CF 1234/5");
  EXPECT_EQ(IdentifierStream(la), "ident-la-e06000999:cf_201234_2f5");
  la.set_value("CF_201234_2f5");  // cannot collide with the escaped form above
  EXPECT_NE(IdentifierStream(la), "ident-la-e06000999:cf_201234_2f5");
  EXPECT_EQ(SubId("abc", 2), "abc-2");
}

TEST(StreamsTest, TheHubsOwnStreamsAreRecognised) {
  common::v1::Identifier nhs;
  nhs.set_kind(common::v1::IDENTIFIER_KIND_NHS_NUMBER);
  nhs.set_value("9434765919");
  for (const std::string& stream :
       {PersonStream("p1"), ConcernStream("c1"), EnquiryStream("e1"), IdentifierStream(nhs),
        std::string("disclosures-p1"), std::string("disclosures-unmatched"),
        std::string("emergency-access-c1"), std::string("agreement"),
        std::string(kOperatorAccessStream), std::string(kServedWithTlsStream)}) {
    EXPECT_TRUE(IsHubStream(stream)) << stream;
  }
  for (const char* stream : {"case-9", "bench-1", "agreements", "persons-1", "", "Person-1",
                             "operator-access-2"}) {
    EXPECT_FALSE(IsHubStream(stream)) << stream;
  }
}

TEST(EnvelopeTest, HubEventTypesAreThePayloadNames) {
  EXPECT_TRUE(IsHubEventType("EmergencyAccessGranted"));
  EXPECT_TRUE(IsHubEventType("ConcernRaised"));
  EXPECT_TRUE(IsHubEventType("RawLogAccessed"));
  EXPECT_FALSE(IsHubEventType("emergency_access_granted"));  // the field, not the type
  EXPECT_FALSE(IsHubEventType("NoteAdded"));
  EXPECT_FALSE(IsHubEventType(""));
  // Every payload a command can produce is a hub event type.
  events::v1::Event e;
  e.mutable_disclosure_recorded();
  EXPECT_TRUE(IsHubEventType(EventTypeName(e)));
}

}  // namespace
}  // namespace hub::domain
