#include "app/api.h"

#include "gtest/gtest.h"
#include "hub/api/v1/mash_service.pb.h"
#include "hub/api/v1/views_service.pb.h"

namespace hub::app {
namespace {

// Touching each file's messages links its descriptors in (a static library's unused objects
// are dropped).
const google::protobuf::MethodDescriptor* MethodNamed(std::string_view full_name) {
  (void)api::v1::TriageConcernRequest::descriptor();
  (void)api::v1::WatchNotificationsRequest::descriptor();
  return google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
      std::string(full_name));
}

TEST(ApiTest, FindsRegisteredMethodsByTheirGrpcNameAndCallsThem) {
  Api api;
  api.Add({MethodNamed("hub.api.v1.Mash.TriageConcern"),
           Unary<api::v1::TriageConcernRequest, api::v1::TriageConcernResponse>(
               [](const Call& call, const api::v1::TriageConcernRequest& request,
                  api::v1::TriageConcernResponse& response) {
                 response.mutable_result()->set_stream(call.caller.agency_id + ":" +
                                                       request.concern_id());
                 return absl::OkStatus();
               }),
           nullptr});
  const Method* method = api.Find("hub.api.v1.Mash/TriageConcern");
  ASSERT_NE(method, nullptr);
  EXPECT_EQ(method->full_name(), "hub.api.v1.Mash/TriageConcern");
  EXPECT_EQ(api.Find("hub.api.v1.Mash/NoSuchMethod"), nullptr);

  Call call;
  call.caller.agency_id = "mash-1";
  api::v1::TriageConcernRequest request;
  request.set_concern_id("c-1");
  api::v1::TriageConcernResponse response;
  ASSERT_TRUE(method->unary(call, request, response).ok());
  EXPECT_EQ(response.result().stream(), "mash-1:c-1");
}

TEST(ApiTest, RefusesADuplicateOrAMethodOfTheWrongKind) {
  auto triage = [] {
    return Method{MethodNamed("hub.api.v1.Mash.TriageConcern"),
                  [](const Call&, const google::protobuf::Message&, google::protobuf::Message&) {
                    return absl::OkStatus();
                  },
                  nullptr};
  };
  EXPECT_DEATH(
      {
        Api api;
        api.Add(triage());
        api.Add(triage());
      },
      "duplicate");
  const auto* watch = MethodNamed("hub.api.v1.Views.WatchNotifications");
  ASSERT_NE(watch, nullptr);
  ASSERT_TRUE(watch->server_streaming());
  EXPECT_DEATH(
      {
        Api api;
        api.Add({watch, triage().unary, nullptr});
      },
      "bad");
}

}  // namespace
}  // namespace hub::app
