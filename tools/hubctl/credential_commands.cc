#include "tools/hubctl/credential_commands.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "identity/token_signer.h"

namespace hub::hubctl {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr char kDefaultKid[] = "trial-1";
// hubd's default TokenPolicy::max_lifetime: a longer token would only be refused.
constexpr absl::Duration kMaxTtl = absl::Hours(12);

constexpr char kUsage[] = R"(usage:
  hubctl jwks --signing_key=FILE [--kid=trial-1]
  hubctl token --signing_key=FILE [--kid=trial-1] --issuer=URL --audience=AUD[,AUD...]
               --user=ID --agency=ID [--roles=R1,R2] [--ttl=1h]
)";

const absl::flat_hash_set<std::string>& FlagsOf(const std::string& command) {
  static const auto* jwks = new absl::flat_hash_set<std::string>{"signing_key", "kid"};
  static const auto* token = new absl::flat_hash_set<std::string>{
      "signing_key", "kid", "issuer", "audience", "user", "agency", "roles", "ttl"};
  return command == "jwks" ? *jwks : *token;
}

int Usage(const std::string& problem) {
  std::cerr << "hubctl: " << problem << "\n\n" << kUsage;
  return kExitUsage;
}

int Fail(const std::string& problem) {
  std::cerr << "hubctl: " << problem << "\n";
  return kExitFailed;
}

absl::StatusOr<std::string> ReadKeyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream content;
  content << in.rdbuf();
  if (content.str().size() > (64 << 10)) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is too large to be a key"));
  }
  return content.str();
}

// A token id unique enough for trials (it only has to differ between tokens).
std::string NewTokenId() {
  std::random_device random;
  std::string id;
  for (int i = 0; i < 4; ++i) absl::StrAppend(&id, absl::Hex(random(), absl::kZeroPad8));
  return id;
}

std::vector<std::string> List(const std::string& text) {
  std::vector<std::string> out;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    out.emplace_back(absl::StripAsciiWhitespace(item));
  }
  return out;
}

int Jwks(const absl::flat_hash_map<std::string, std::string>& flags, const std::string& kid) {
  absl::StatusOr<std::string> pem = ReadKeyFile(flags.at("signing_key"));
  if (!pem.ok()) return Fail(std::string(pem.status().message()));
  absl::StatusOr<std::string> jwks = identity::PublicJwks({{*pem, kid}});
  if (!jwks.ok()) return Fail(std::string(jwks.status().message()));
  std::cout << *jwks;
  if (jwks->empty() || jwks->back() != '\n') std::cout << "\n";
  return kExitOk;
}

int Token(const absl::flat_hash_map<std::string, std::string>& flags, const std::string& kid) {
  for (const char* required : {"issuer", "audience", "user", "agency"}) {
    if (!flags.contains(required) || flags.at(required).empty()) {
      return Usage(absl::StrCat("token needs --", required));
    }
  }
  absl::Duration ttl = absl::Hours(1);
  if (flags.contains("ttl") && (!absl::ParseDuration(flags.at("ttl"), &ttl) ||
                                ttl <= absl::ZeroDuration() || ttl > kMaxTtl)) {
    return Usage("--ttl must be a duration such as 30m or 8h, at most 12h");
  }
  absl::StatusOr<std::string> pem = ReadKeyFile(flags.at("signing_key"));
  if (!pem.ok()) return Fail(std::string(pem.status().message()));

  identity::TokenToSign token;
  token.issuer = flags.at("issuer");
  token.audience = List(flags.at("audience"));
  token.subject = flags.at("user");
  token.agency_id = flags.at("agency");
  if (flags.contains("roles")) token.roles = List(flags.at("roles"));
  // Whole seconds, as the token carries them, so that exp - iat is exactly the ttl.
  const absl::Time now = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
  token.issued_at = now;
  token.not_before = now;
  token.expires_at = now + ttl;
  token.token_id = NewTokenId();
  absl::StatusOr<std::string> signed_token = identity::SignToken(*pem, kid, token);
  if (!signed_token.ok()) return Fail(std::string(signed_token.status().message()));
  std::cout << *signed_token << "\n";
  return kExitOk;
}

}  // namespace

std::optional<int> RunCredentialCommand(int argc, char** argv) {
  // The command is the first word that is not a flag or a flag's separate value.
  std::string command;
  int command_index = -1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.size() > 1 && arg[0] == '-') {
      if (arg.find('=') == std::string::npos && i + 1 < argc && argv[i + 1][0] != '-') ++i;
      continue;
    }
    command = arg;
    command_index = i;
    break;
  }
  if (command != "jwks" && command != "token") return std::nullopt;

  absl::flat_hash_map<std::string, std::string> flags;
  for (int i = 1; i < argc; ++i) {
    if (i == command_index) continue;
    std::string arg = argv[i];
    if (arg.size() < 2 || arg[0] != '-') return Usage(absl::StrCat(command, " takes no arguments"));
    arg = arg.substr(arg[1] == '-' ? 2 : 1);
    const size_t eq = arg.find('=');
    const std::string name = arg.substr(0, eq);
    if (name == "help") {
      std::cout << kUsage;
      return kExitOk;
    }
    if (!FlagsOf(command).contains(name)) {
      return Usage(absl::StrCat("--", name, " does not go with ", command));
    }
    if (eq != std::string::npos) {
      flags[name] = arg.substr(eq + 1);
    } else if (i + 1 < argc && i + 1 != command_index) {
      flags[name] = argv[++i];
    } else {
      return Usage(absl::StrCat("--", name, " needs a value"));
    }
  }
  if (!flags.contains("signing_key") || flags.at("signing_key").empty()) {
    return Usage(absl::StrCat(command, " needs --signing_key=FILE"));
  }
  const std::string kid = flags.contains("kid") ? flags.at("kid") : kDefaultKid;
  if (kid.empty()) return Usage("--kid must not be empty");
  return command == "jwks" ? Jwks(flags, kid) : Token(flags, kid);
}

}  // namespace hub::hubctl
