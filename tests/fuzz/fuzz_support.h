// Helpers shared by the fuzz targets (tests/fuzz/README.md): an invariant check that aborts
// with a message (so that libFuzzer saves the input and the replay test fails), a splitter of
// inputs into tagged chunks, and an in-memory KvStore for folding projections without RocksDB.
// Header-only; used by the fuzz targets, the replay driver and the seed generator only.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "eventstore/kv_store.h"

// An invariant of the code under test failed: print what and abort (libFuzzer saves the input
// as crash-<sha1>; the replay test fails).
#define HUB_FUZZ_CHECK(cond, what)                                                     \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n  %s\n", __FILE__,        \
                   __LINE__, #cond, std::string(what).c_str());                        \
      std::abort();                                                                    \
    }                                                                                  \
  } while (0)

namespace hub::fuzz {

// One piece of a chunked input: [tag: u8][length: u16 little-endian][length bytes]. A final
// chunk shorter than its length takes what is left, so every input splits somehow.
struct Chunk {
  uint8_t tag = 0;
  std::string_view bytes;
};

inline std::vector<Chunk> SplitChunks(const uint8_t* data, size_t size, size_t max_chunks) {
  std::vector<Chunk> chunks;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  while (in.size() >= 3 && chunks.size() < max_chunks) {
    Chunk c;
    c.tag = static_cast<uint8_t>(in[0]);
    const size_t len = static_cast<uint8_t>(in[1]) | (size_t{static_cast<uint8_t>(in[2])} << 8);
    in.remove_prefix(3);
    c.bytes = in.substr(0, len);
    in.remove_prefix(c.bytes.size());
    chunks.push_back(c);
  }
  return chunks;
}

// The inverse of SplitChunks, for the seed generator.
inline void AppendChunk(std::string& out, uint8_t tag, std::string_view bytes) {
  HUB_FUZZ_CHECK(bytes.size() <= 0xffff, "chunk too long for its u16 length");
  out.push_back(static_cast<char>(tag));
  out.push_back(static_cast<char>(bytes.size() & 0xff));
  out.push_back(static_cast<char>(bytes.size() >> 8));
  out.append(bytes);
}

// True if `message` names a field first, as every INVALID_ARGUMENT of the translation layer must
// ("details.identifiers[0].value: not a valid NHS number"): a non-empty path of [a-z0-9_.[]]
// characters followed by ": " and a non-empty reason.
inline bool NamesAField(std::string_view message) {
  const size_t colon = message.find(": ");
  if (colon == 0 || colon == std::string_view::npos || colon + 2 >= message.size()) return false;
  for (char c : message.substr(0, colon)) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
                    c == '[' || c == ']';
    if (!ok) return false;
  }
  return true;
}
// Debian's Abseil has its own string_view (Status::message() returns it).
inline bool NamesAField(absl::string_view message) {
  return NamesAField(std::string_view(message.data(), message.size()));
}

// An ordered in-memory KvStore (eventstore/kv_store.h), so that projections fold without
// RocksDB: fast, deterministic, and nothing to clean up between inputs. Not thread-safe (the
// fuzz targets are single-threaded).
class MemoryKvStore final : public eventstore::KvStore {
 public:
  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) override {
    auto it = data_.find(std::string(key));
    if (it == data_.end()) return std::nullopt;
    return it->second;
  }
  absl::Status Write(const eventstore::KvBatch& batch) override {
    for (const eventstore::KvBatch::Entry& e : batch.entries()) {
      switch (e.op) {
        case eventstore::KvBatch::Op::kPut:
          data_[e.key] = e.value;
          break;
        case eventstore::KvBatch::Op::kDelete:
          data_.erase(e.key);
          break;
        case eventstore::KvBatch::Op::kDeleteRange:  // [key, value); empty if value <= key
          if (e.key < e.value) data_.erase(data_.lower_bound(e.key), data_.lower_bound(e.value));
          break;
      }
    }
    return absl::OkStatus();
  }
  absl::Status Scan(std::string_view begin, std::string_view end,
                    const eventstore::KvVisitor& visit) override {
    for (auto it = data_.lower_bound(std::string(begin)); it != data_.end(); ++it) {
      if (!end.empty() && it->first >= end) break;
      if (!visit(it->first, it->second)) break;
    }
    return absl::OkStatus();
  }
  absl::Status ScanBackward(std::string_view begin, std::string_view end,
                            const eventstore::KvVisitor& visit) override {
    auto it = end.empty() ? data_.end() : data_.lower_bound(std::string(end));
    while (it != data_.begin()) {
      --it;
      if (it->first < begin) break;
      if (!visit(it->first, it->second)) break;
    }
    return absl::OkStatus();
  }
  // Puts a value directly (a stored read model supplied by the input).
  void Put(std::string key, std::string value) { data_[std::move(key)] = std::move(value); }
  size_t size() const { return data_.size(); }

 private:
  std::map<std::string, std::string, std::less<>> data_;
};

}  // namespace hub::fuzz
