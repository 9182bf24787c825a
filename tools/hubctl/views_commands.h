// hubctl's read-model commands: status, rebuild and sac. Against a running hubd (--server) they
// call ProjectionAdmin and Views; against a stopped hubd's directory (--data_dir) status and
// rebuild open the log and the read models directly.
#pragma once

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"

namespace hub::hubctl {

// Who the call is made as. Over mutual TLS: the client certificate (the channel) and, for a
// practitioner, `token` (sent as "authorization: Bearer <token>"). Against a development hubd
// (--dev_identity_from_metadata): agency, user and roles, sent as identity metadata.
struct CallIdentity {
  std::string agency;
  std::string user;
  std::string roles;
  std::string token;
};

// A client context with `as`'s identity and a deadline `timeout` from now.
std::unique_ptr<grpc::ClientContext> CallContext(const CallIdentity& as, absl::Duration timeout);

int StatusRemote(const std::shared_ptr<grpc::Channel>& channel, const CallIdentity& as,
                 absl::Duration timeout);
int RebuildRemote(const std::shared_ptr<grpc::Channel>& channel, const CallIdentity& as,
                  absl::Duration timeout, const std::string& name, bool wait);
int SacRemote(const std::shared_ptr<grpc::Channel>& channel, const CallIdentity& as,
              absl::Duration timeout, int year, const std::string& la_code);

// With `digest`, also prints each read model's SHA-256 (equal digests = byte-identical).
int StatusOffline(const std::string& data_dir, const std::string& views_dir, bool digest);
int RebuildOffline(const std::string& data_dir, const std::string& views_dir,
                   const std::string& name);

}  // namespace hub::hubctl
