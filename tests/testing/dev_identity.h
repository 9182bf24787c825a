// Tests and benchmarks only: a client interceptor that names the hub's operator in the
// development identity metadata (hubd --dev_identity_from_metadata) on every call that names
// no caller of its own, so that raw-log clients need not repeat it on each call. Header-only
// so that benchmark binaries can use it without the test library.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "grpcpp/support/client_interceptor.h"

namespace hub::testing {

class OperatorIdentity final : public grpc::experimental::Interceptor {
 public:
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      std::multimap<std::string, std::string>* metadata = methods->GetSendInitialMetadata();
      if (metadata->find("x-hub-agency") == metadata->end()) {
        metadata->emplace("x-hub-agency", "asc-northshire");
        metadata->emplace("x-hub-user", "operator");
        metadata->emplace("x-hub-roles", "administrator");
      }
    }
    methods->Proceed();
  }
};

class OperatorIdentityFactory final
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo*) override {
    return new OperatorIdentity;
  }
};

// A plaintext channel to `target` whose calls are made as the operator unless they say
// otherwise.
inline std::shared_ptr<grpc::Channel> OperatorChannel(
    const std::string& target, const grpc::ChannelArguments& args = grpc::ChannelArguments()) {
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> factories;
  factories.push_back(std::make_unique<OperatorIdentityFactory>());
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      target, grpc::InsecureChannelCredentials(), args, std::move(factories));
}

}  // namespace hub::testing
