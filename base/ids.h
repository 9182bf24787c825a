// Strong types for positions and versions so that a stream version is never passed where a
// global position is meant. Header-only; values are plain and thread-compatible.
#pragma once

#include <compare>
#include <cstdint>
#include <ostream>

namespace hub {

// A signed 64-bit counter distinguished by `Tag`.
template <typename Tag>
class StrongInt {
 public:
  constexpr StrongInt() = default;
  constexpr explicit StrongInt(int64_t value) : value_(value) {}
  constexpr int64_t value() const { return value_; }
  constexpr auto operator<=>(const StrongInt&) const = default;
  constexpr StrongInt Next() const { return StrongInt(value_ + 1); }
  friend std::ostream& operator<<(std::ostream& os, StrongInt v) { return os << v.value_; }
  template <typename H>
  friend H AbslHashValue(H h, StrongInt v) {
    return H::combine(std::move(h), v.value_);
  }

 private:
  int64_t value_ = 0;
};

struct GlobalPositionTag {};
struct StreamVersionTag {};

// Position of an event in the whole log: 0-based, dense, monotonic.
using GlobalPosition = StrongInt<GlobalPositionTag>;
// Version of an event within its stream: 0-based, dense per stream.
using StreamVersion = StrongInt<StreamVersionTag>;

// The version a stream "has" before its first event.
inline constexpr StreamVersion kNoStreamVersion{-1};

}  // namespace hub
