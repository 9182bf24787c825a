// Key and record encodings of the event log (the on-disk contract; see eventstore/README.md).
// Pure functions over bytes; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "eventstore/event_log.h"

namespace eventstore_internal {

inline constexpr uint8_t kRecordFormatV1 = 1;

// 8-byte big-endian, so that RocksDB's bytewise order is numeric order.
std::string EncodePositionKey(int64_t position);
[[nodiscard]] absl::StatusOr<int64_t> DecodePositionKey(std::string_view key);
void AppendBigEndian64(std::string& out, uint64_t v);
uint64_t ReadBigEndian64(const char* p);

// streams CF: stream || 0x00 || big-endian version. Stream names never contain 0x00.
std::string EncodeStreamKey(std::string_view stream, int64_t version);
std::string StreamKeyPrefix(std::string_view stream);  // stream || 0x00

// idempotency CF: stream || 0x00 || key.
std::string EncodeIdempotencyKey(std::string_view stream, std::string_view key);
std::string EncodeIdempotencyValue(std::string_view digest, const hub::eventstore::AppendResult& r);
[[nodiscard]] absl::StatusOr<hub::eventstore::AppendResult> DecodeIdempotencyValue(
    std::string_view value, std::string* digest);

// The canonical bytes of a record: everything but the link. The chain hashes exactly these.
std::string EncodeCanonicalRecord(const hub::eventstore::RecordedEvent& event);

// A stored value: canonical bytes || 32-byte link.
std::string EncodeStoredRecord(const hub::eventstore::RecordedEvent& event);
// Decodes a stored value; `canonical` (optional) receives the canonical bytes. kDataLoss if
// the bytes are not a well-formed record.
[[nodiscard]] absl::StatusOr<hub::eventstore::RecordedEvent> DecodeStoredRecord(
    std::string_view value, std::string_view* canonical = nullptr);

// Digest of an append's content, for telling a retry from a reuse of its idempotency key.
// Covers what the client supplied (not generated ids or times).
std::string AppendDigest(const hub::eventstore::AppendRequest& request);

// A random (version 4) UUID in canonical lowercase form.
std::string NewUuid();

}  // namespace eventstore_internal
