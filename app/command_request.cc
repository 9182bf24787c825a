#include "app/command_request.h"

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "openssl/evp.h"
#include "openssl/hmac.h"
#include "openssl/rand.h"
#include "openssl/sha.h"

namespace hub::app {
namespace {

bool IsIdChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-'; }

bool IsPrintableAscii(std::string_view s) {
  for (char c : s) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

// Validates UTF-8 by hand (no ICU in the build): rejects overlongs, surrogates and > U+10FFFF.
bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    int n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    for (int k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

// "001B": a code point as Unicode writes it.
std::string CodePoint(uint32_t cp) {
  return absl::AsciiStrToUpper(absl::StrCat(absl::Hex(cp, absl::kZeroPad4)));
}

// The first character free text may not carry, described; nullopt if there is none. Control
// characters (other than tab and line breaks) corrupt logs, CSV exports and terminals; the
// bidirectional embedding, override and isolate controls make a record read differently from
// what it holds ("Trojan Source"). Valid UTF-8 is assumed.
std::optional<std::string> FindDisallowedCharacter(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
        return absl::StrCat("control character U+", CodePoint(c), " at byte ", i,
                            " is not allowed");
      }
      ++i;
      continue;
    }
    const int n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
    uint32_t cp = n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    const bool c1 = cp >= 0x80 && cp <= 0x9F;
    const bool bidi = (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
    if (c1 || bidi) {
      return absl::StrCat(bidi ? "bidirectional control" : "control character", " U+",
                          CodePoint(cp), " at byte ", i, " is not allowed");
    }
    i += n;
  }
  return std::nullopt;
}

}  // namespace

std::string Field(std::string_view parent, std::string_view child) {
  if (parent.empty()) return std::string(child);
  return absl::StrCat(std::string(parent), ".", std::string(child));
}

std::string Field(std::string_view parent, int index) {
  return absl::StrCat(std::string(parent), "[", index, "]");
}

absl::StatusOr<domain::CommandContext> MakeCommandContext(const domain::Caller& caller,
                                                          const api::v1::CommandHeader& header,
                                                          absl::Time now, bool creates,
                                                          int64_t* expected_version) {
  if (header.command_id().empty()) {
    return absl::InvalidArgumentError("header.command_id: required");
  }
  if (header.command_id().size() > kMaxCommandIdLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("header.command_id: at most ", kMaxCommandIdLength, " characters"));
  }
  if (!IsPrintableAscii(header.command_id()) ||
      header.command_id().find('/') != std::string::npos) {
    return absl::InvalidArgumentError(
        "header.command_id: printable ASCII without spaces or '/' (a UUID is ideal)");
  }
  if (creates) {
    if (header.has_expected_version() && header.expected_version() != -1) {
      return absl::InvalidArgumentError(
          "header.expected_version: must be unset (or -1): this command creates the stream");
    }
  } else {
    if (!header.has_expected_version()) {
      return absl::InvalidArgumentError(
          "header.expected_version: required (the version of the last response about it)");
    }
    if (header.expected_version() < 0) {
      return absl::InvalidArgumentError("header.expected_version: must be >= 0");
    }
    if (expected_version != nullptr) *expected_version = header.expected_version();
  }
  domain::CommandContext ctx;
  ctx.caller = caller;
  ctx.now = now;
  // Scoped to the practitioner (or system): two people of one agency who happen to pick the
  // same command id never meet each other's results.
  ctx.command_key = absl::StrCat(caller.agency_id, "/", caller.user_id, "/", header.command_id());
  ctx.new_id = DeriveId(ctx.command_key, "new");
  return ctx;
}

std::string KeyedDigest(std::string_view key, std::string_view purpose, std::string_view data) {
  const std::string input = absl::StrCat(std::string(purpose), "\n", std::string(data));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &length);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(mac), static_cast<size_t>(length)));
}

std::string RandomKey(size_t bytes) {
  std::string key(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(bytes)) != 1) {
    // No entropy is no way to keep a secret: stop rather than use a guessable key.
    std::abort();
  }
  return key;
}

std::string DeriveId(std::string_view command_key, std::string_view purpose) {
  const std::string input = absl::StrCat(std::string(purpose), "\n", std::string(command_key));
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  // UUID form with version 8 ("custom") and the RFC 4122 variant bits.
  digest[6] = static_cast<unsigned char>((digest[6] & 0x0F) | 0x80);
  digest[8] = static_cast<unsigned char>((digest[8] & 0x3F) | 0x80);
  const std::string hex = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), 16));
  return absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-", hex.substr(12, 4), "-",
                      hex.substr(16, 4), "-", hex.substr(20, 12));
}

absl::Status CheckId(std::string_view field, std::string_view value) {
  if (value.empty()) return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": required"));
  if (value.size() > 64) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": at most 64 characters"));
  }
  for (char c : value) {
    if (!IsIdChar(c)) {
      return absl::InvalidArgumentError(
          absl::StrCat(std::string(field), ": may contain only letters, digits and -"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckText(std::string_view field, std::string_view value, size_t max,
                       bool required) {
  if (value.size() > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(field), ": at most ", max, " bytes (got ", value.size(), ")"));
  }
  if (!IsValidUtf8(value)) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": not valid UTF-8"));
  }
  if (std::optional<std::string> bad = FindDisallowedCharacter(value)) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": ", *bad));
  }
  if (required && absl::StripAsciiWhitespace(absl::string_view(value.data(), value.size())).empty()) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": required"));
  }
  return absl::OkStatus();
}

namespace {
identity::RequestLimits g_request_limits;
}  // namespace

const identity::RequestLimits& CurrentRequestLimits() { return g_request_limits; }
void SetRequestLimits(const identity::RequestLimits& limits) { g_request_limits = limits; }

absl::Status CheckListSize(std::string_view field, int size, int min) {
  const size_t max = CurrentRequestLimits().max_list_length;
  if (size < 0 || static_cast<size_t>(size) > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(field), ": at most ", max, " entries"));
  }
  if (size < min) {
    return absl::InvalidArgumentError(
        min == 1 ? absl::StrCat(std::string(field), ": at least one entry is required")
                 : absl::StrCat(std::string(field), ": at least ", min, " entries"));
  }
  return absl::OkStatus();
}

absl::Status CheckEnum(std::string_view field, const google::protobuf::EnumDescriptor* descriptor,
                       int value, bool required) {
  if (descriptor->FindValueByNumber(value) == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": unknown value ", value,
                                                   " for ", descriptor->name()));
  }
  if (required && value == 0) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": required"));
  }
  return absl::OkStatus();
}

absl::Status CheckTimestamp(std::string_view field, const google::protobuf::Timestamp& value,
                            bool required) {
  // 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z, as google.protobuf.Timestamp defines.
  constexpr int64_t kMin = -62135596800;
  constexpr int64_t kMax = 253402300799;
  if (value.seconds() == 0 && value.nanos() == 0) {
    if (required) return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": required"));
    return absl::OkStatus();
  }
  if (value.seconds() < kMin || value.seconds() > kMax || value.nanos() < 0 ||
      value.nanos() > 999999999) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": out of range"));
  }
  return absl::OkStatus();
}

}  // namespace hub::app
