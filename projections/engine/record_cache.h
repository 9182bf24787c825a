// RecordCache: decoded read-model records a projection keeps across batches (header-only;
// used by the case file and person index projections).
//
// A projection is the only writer of its keys, so what it last wrote is what the store holds:
// keeping the decoded record saves a store read and a parse per event when the log interleaves
// many cases (a batch of 1,024 events then touches ~1,000 records, most of them touched in
// earlier batches too). Records changed in the current batch are dirty until Flush hands them
// to the batch; only clean records are evicted (least recently used first), so no change is
// dropped before it is in a batch. Bounded by a record count and by the records' stored size
// (checked after each Flush, so a batch may exceed the bounds by the records it touches).
// Whatever is cached, the bytes written are the same: a record is serialised from the same
// state whether it was kept or parsed again from the store.
//
// Thread-compatible (a projection's worker uses it alone).
#pragma once

#include <cstddef>
#include <list>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/message_lite.h"

namespace hub::projections {

struct CacheLimits {
  size_t records = 50000;   // records kept
  size_t bytes = 32 << 20;  // their stored (serialised) size; decoded they take several times it
};

// The same bytes as SerializeDeterministic (projection.h), written into a string sized once
// instead of one grown as it fills: a catch-up serialises about one record per event.
inline std::string SerializeRecord(const google::protobuf::MessageLite& message) {
  std::string out(message.ByteSizeLong(), '\0');
  google::protobuf::io::ArrayOutputStream array(out.data(), static_cast<int>(out.size()));
  google::protobuf::io::CodedOutputStream coded(&array);
  coded.SetSerializationDeterministic(true);
  message.SerializeWithCachedSizes(&coded);
  return out;
}

template <typename Value>
class RecordCache {
 public:
  explicit RecordCache(CacheLimits limits) : limits_(limits) {}
  RecordCache(const RecordCache&) = delete;
  RecordCache& operator=(const RecordCache&) = delete;

  // The value cached under `key`, now the most recently used; nullptr when not cached. With
  // `dirty`, the caller is going to change it: the next Flush writes it.
  Value* Find(absl::string_view key, bool dirty) {
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    entries_.splice(entries_.begin(), entries_, it->second);
    Entry& entry = *it->second;
    if (dirty) MarkDirty(entry);
    return &entry.value;
  }

  // Caches `value` under `key` (not cached yet) as the most recently used. `bytes` is its
  // stored size (0 when the store does not hold it); `dirty` as for Find.
  Value* Insert(const std::string& key, Value value, size_t bytes, bool dirty) {
    entries_.push_front(Entry{key, std::move(value), bytes, false});
    Entry& entry = entries_.front();
    index_.emplace(absl::string_view(entry.key), entries_.begin());
    bytes_ += bytes;
    if (dirty) MarkDirty(entry);
    return &entry.value;
  }

  // Hands every dirty value to `write(key, value)`, which returns its stored size, marks them
  // clean, then evicts least recently used values while over the limits.
  template <typename Write>
  void Flush(const Write& write) {
    for (Entry* entry : dirty_) {
      const size_t bytes = write(entry->key, static_cast<const Value&>(entry->value));
      bytes_ = bytes_ - entry->bytes + bytes;
      entry->bytes = bytes;
      entry->dirty = false;
    }
    dirty_.clear();
    while (!entries_.empty() && (entries_.size() > limits_.records || bytes_ > limits_.bytes)) {
      Entry& last = entries_.back();
      bytes_ -= last.bytes;
      index_.erase(absl::string_view(last.key));
      entries_.pop_back();
    }
  }

  // Forgets everything, dirty values included (the batch that changed them is abandoned).
  void Clear() {
    dirty_.clear();
    index_.clear();
    entries_.clear();
    bytes_ = 0;
  }

  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string key;
    Value value;
    size_t bytes;  // stored size when last written or read
    bool dirty;
  };

  void MarkDirty(Entry& entry) {
    if (entry.dirty) return;
    entry.dirty = true;
    dirty_.push_back(&entry);
  }

  CacheLimits limits_;
  std::list<Entry> entries_;  // most recently used first; nodes never move
  absl::flat_hash_map<absl::string_view, typename std::list<Entry>::iterator> index_;
  std::vector<Entry*> dirty_;
  size_t bytes_ = 0;
};

}  // namespace hub::projections
