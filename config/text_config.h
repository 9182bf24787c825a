// Text-format protobuf configuration files (the partnership, the access file, the information
// sharing agreement): read a file, parse it, and say where it is wrong. Thread-safe (no state).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"

namespace hub::config {

// Parses text-format `text` into `message`; kInvalidArgument "<source>: line L:C: reason".
[[nodiscard]] absl::Status ParseTextConfig(std::string_view text, std::string_view source,
                                           google::protobuf::Message& message);
// The whole of a configuration file; kNotFound "cannot read <what> file <path>".
[[nodiscard]] absl::StatusOr<std::string> ReadConfigFile(const std::string& path,
                                                         std::string_view what);

}  // namespace hub::config
