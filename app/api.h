// The hub's API as its front doors see it: every public method by its full gRPC name
// ("hub.api.v1.Mash/TriageConcern"), callable once the door has established who is calling.
// The gRPC services and the JSON API both call these and hold no rule of their own: who may
// call, validation, who may act, the decision, the disclosure record and idempotency all
// happen behind `Method::unary` / `Method::server_stream`.
//
// Thread-safe once built: the table is read-only after the hub registers its methods.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "domain/common/context.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace hub::app {

// What a front door knows of one call, after authentication.
struct Call {
  domain::Caller caller;
  // The client's deadline (infinite when it gave none); long work stops with kDeadlineExceeded.
  absl::Time deadline = absl::InfiniteFuture();
  // True once the client has gone away: a stream stops writing and returns.
  std::function<bool()> cancelled = [] { return false; };
};

// Sends one message of a server stream; false when the client has gone away.
using StreamWrite = absl::FunctionRef<bool(const google::protobuf::Message&)>;

// A unary method: fills `response` (a message of the method's output type) or returns the
// refusal. `request` is of the method's input type.
using UnaryFn = std::function<absl::Status(const Call&, const google::protobuf::Message& request,
                                           google::protobuf::Message& response)>;
// A server-streaming method: writes messages until done, the caller's credentials expire, the
// deadline passes or the client goes away; returns how the stream ended.
using ServerStreamFn = std::function<absl::Status(
    const Call&, const google::protobuf::Message& request, StreamWrite write)>;

struct Method {
  const google::protobuf::MethodDescriptor* descriptor = nullptr;
  UnaryFn unary;                 // set for unary methods
  ServerStreamFn server_stream;  // set for server-streaming methods

  std::string full_name() const;  // "<package>.<Service>/<Method>"
};

// The table of methods. Registration fails loudly (a programming error) on a duplicate or on a
// method whose kind does not match its descriptor.
class Api {
 public:
  void Add(Method method);
  // nullptr when no such method is offered.
  const Method* Find(std::string_view full_name) const;
  // In registration order (the order OpenAPI lists them).
  const std::vector<Method>& methods() const { return methods_; }

 private:
  std::vector<Method> methods_;
  absl::flat_hash_map<std::string, size_t> by_name_;
};

// Adapts a typed handler to the table: `Fn` is callable as
// absl::Status(const Call&, const Request&, Response&).
template <typename Request, typename Response, typename Fn>
UnaryFn Unary(Fn fn) {
  return [fn = std::move(fn)](const Call& call, const google::protobuf::Message& request,
                              google::protobuf::Message& response) -> absl::Status {
    return fn(call, static_cast<const Request&>(request), static_cast<Response&>(response));
  };
}

// Adapts a typed streaming handler: `Fn` is callable as
// absl::Status(const Call&, const Request&, absl::FunctionRef<bool(const Response&)>).
template <typename Request, typename Response, typename Fn>
ServerStreamFn ServerStream(Fn fn) {
  return [fn = std::move(fn)](const Call& call, const google::protobuf::Message& request,
                              StreamWrite write) -> absl::Status {
    return fn(call, static_cast<const Request&>(request),
              [&write](const Response& message) { return write(message); });
  };
}

}  // namespace hub::app
