#include "config/partnership.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hub::config {
namespace {

using ::hub::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kMinimal[] = R"pb(
  name: "Northshire Safeguarding Adults Partnership"
  host_local_authority_code: "E06000901"
  agencies { agency_id: "asc-northshire" name: "Northshire Adult Social Care"
             kind: AGENCY_KIND_ADULT_SOCIAL_CARE duty_office_hours: "01632 960000" }
  agencies { agency_id: "police-northshire" name: "Northshire Police" kind: AGENCY_KIND_POLICE }
)pb";

TEST(PartnershipTest, FillsDefaults) {
  auto p = Partnership::FromText(kMinimal, "inline");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->config().timescales().red_hours(), 4);
  EXPECT_EQ(p->config().timescales().amber_hours(), 24);
  EXPECT_EQ(p->config().timescales().green_hours(), 72);
  EXPECT_EQ(p->config().calendar().time_zone(), "Europe/London");
  EXPECT_EQ(p->config().calendar().day_start_minute(), 540);
  EXPECT_EQ(p->config().calendar().working_weekdays_size(), 5);
  ASSERT_NE(p->FindAgency("police-northshire"), nullptr);
  EXPECT_EQ(p->FindAgency("police-northshire")->kind(), common::v1::AGENCY_KIND_POLICE);
  EXPECT_EQ(p->FindAgency("nobody"), nullptr);
}

TEST(PartnershipTest, RefusesBadConfig) {
  EXPECT_THAT(Partnership::FromText("agencies { agency_id: ", "f").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("f: line")));
  EXPECT_THAT(Partnership::FromText("name: \"x\"", "f").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("host_local_authority_code")));
  EXPECT_THAT(Partnership::FromText(R"pb(host_local_authority_code: "E1"
                                         agencies { agency_id: "a" kind: AGENCY_KIND_GP }
                                         agencies { agency_id: "a" kind: AGENCY_KIND_GP })pb",
                                    "f")
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("repeated")));
  EXPECT_THAT(Partnership::FromText(R"pb(host_local_authority_code: "E1"
                                         agencies { agency_id: "a" })pb",
                                    "f")
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("kind: required")));
  EXPECT_THAT(Partnership::FromText(R"pb(host_local_authority_code: "E1"
                                         calendar { time_zone: "Mars/Olympus" })pb",
                                    "f")
                  .status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("Mars/Olympus")));
}

}  // namespace
}  // namespace hub::config
