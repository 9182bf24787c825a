#include "app/api.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/string_view.h"
#include "base/log.h"

namespace hub::app {

std::string Method::full_name() const {
  return descriptor->service()->full_name() + "/" + descriptor->name();
}

void Api::Add(Method method) {
  const bool streams = method.descriptor->server_streaming();
  const bool well_formed =
      !method.descriptor->client_streaming() &&
      (streams ? (method.server_stream && !method.unary) : (method.unary && !method.server_stream));
  std::string name = method.full_name();
  if (!well_formed || by_name_.contains(name)) {
    HUB_LOG(ERROR) << "api: bad or duplicate registration of " << name;
    std::abort();
  }
  by_name_.emplace(name, methods_.size());
  methods_.push_back(std::move(method));
}

const Method* Api::Find(std::string_view full_name) const {
  auto it = by_name_.find(absl::string_view(full_name.data(), full_name.size()));
  return it == by_name_.end() ? nullptr : &methods_[it->second];
}

}  // namespace hub::app
