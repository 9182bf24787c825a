// The label of a reference-data enum value: the national (SAC) spelling where there is one,
// from the `(hub.common.v1.label)` option in reference.proto; so labels are spelled in one
// place. Thread-safe (descriptors are immutable).
#pragma once

#include <string>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/generated_enum_reflection.h"

namespace hub::domain {

// The label of `value` in `descriptor`; "" for an unknown value or one without a label.
std::string Label(const google::protobuf::EnumDescriptor* descriptor, int value);

template <typename E>
std::string Label(E value) {
  return Label(google::protobuf::GetEnumDescriptor<E>(), static_cast<int>(value));
}

}  // namespace hub::domain
