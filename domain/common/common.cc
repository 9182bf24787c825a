#include <algorithm>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "domain/common/context.h"
#include "domain/common/envelope.h"
#include "domain/common/labels.h"
#include "domain/common/refusal.h"
#include "domain/common/streams.h"
#include "hub/common/v1/reference.pb.h"

namespace hub::domain {

bool Caller::HasRole(common::v1::Role role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

std::string SubId(const std::string& id, int n) { return absl::StrCat(id, "-", n); }

absl::Status Refused(std::string_view message) {
  return absl::FailedPreconditionError(std::string(message));
}

absl::Status RoleRequired(std::string_view role_label, std::string_view what) {
  return absl::PermissionDeniedError(
      absl::StrCat(std::string(what), " needs the ", std::string(role_label), " role"));
}

absl::Status UnknownItem(std::string_view field, std::string_view what) {
  return absl::NotFoundError(absl::StrCat(std::string(field), ": ", std::string(what)));
}

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t micros = absl::ToUnixMicros(t);
  int64_t seconds = micros / 1000000;
  int64_t rem = micros % 1000000;
  if (rem < 0) {
    rem += 1000000;
    --seconds;
  }
  ts.set_seconds(seconds);
  ts.set_nanos(static_cast<int32_t>(rem * 1000));
  return ts;
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

events::v1::Event NewEvent(const CommandContext& ctx) {
  events::v1::Event event;
  *event.mutable_occurred_at() = ToTimestamp(ctx.now);
  events::v1::Actor* actor = event.mutable_actor();
  actor->set_agency_id(ctx.caller.agency_id);
  actor->set_agency_kind(ctx.caller.agency_kind);
  actor->set_user_id(ctx.caller.user_id);
  for (common::v1::Role role : ctx.caller.roles) actor->add_roles(role);
  event.set_command_id(ctx.command_key);
  return event;
}

std::string EventTypeName(const events::v1::Event& event) {
  if (event.payload_case() == events::v1::Event::PAYLOAD_NOT_SET) return "";
  const google::protobuf::FieldDescriptor* field =
      events::v1::Event::descriptor()->FindFieldByNumber(event.payload_case());
  return field == nullptr ? "" : field->message_type()->name();
}

bool IsHubEventType(std::string_view type) {
  static const auto* const names = [] {
    auto* set = new absl::flat_hash_set<std::string>();
    const auto* oneof = events::v1::Event::descriptor()->FindOneofByName("payload");
    for (int i = 0; i < oneof->field_count(); ++i) {
      set->insert(oneof->field(i)->message_type()->name());
    }
    return set;
  }();
  return names->contains(absl::string_view(type.data(), type.size()));
}

std::string Label(const google::protobuf::EnumDescriptor* descriptor, int value) {
  const google::protobuf::EnumValueDescriptor* v = descriptor->FindValueByNumber(value);
  if (v == nullptr || !v->options().HasExtension(common::v1::label)) return "";
  return v->options().GetExtension(common::v1::label);
}

std::string PersonStream(const std::string& person_id) {
  return absl::StrCat("person-", person_id);
}
std::string ConcernStream(const std::string& concern_id) {
  return absl::StrCat("concern-", concern_id);
}
std::string EnquiryStream(const std::string& enquiry_id) {
  return absl::StrCat("enquiry-", enquiry_id);
}

std::string DisclosureStream(const std::string& person_id) {
  return person_id.empty() ? kUnmatchedDisclosuresStream : absl::StrCat("disclosures-", person_id);
}
std::string EmergencyAccessStream(const std::string& concern_id) {
  return absl::StrCat("emergency-access-", concern_id);
}

namespace {
std::string IdAfter(std::string_view stream, std::string_view prefix) {
  if (stream.size() <= prefix.size() || stream.substr(0, prefix.size()) != prefix) return "";
  return std::string(stream.substr(prefix.size()));
}
}  // namespace

std::string ConcernIdOf(std::string_view stream) { return IdAfter(stream, "concern-"); }
std::string EnquiryIdOf(std::string_view stream) { return IdAfter(stream, "enquiry-"); }
std::string PersonIdOf(std::string_view stream) { return IdAfter(stream, "person-"); }

std::string IdentifierStream(const common::v1::Identifier& identifier) {
  const char* kind = "other";
  switch (identifier.kind()) {
    case common::v1::IDENTIFIER_KIND_NHS_NUMBER: kind = "nhs"; break;
    case common::v1::IDENTIFIER_KIND_POLICE_REFERENCE: kind = "police"; break;
    case common::v1::IDENTIFIER_KIND_LA_CLIENT_ID: kind = "la"; break;
    default: break;
  }
  // Local identifiers are unique per issuer; NHS numbers are national. Characters a stream
  // name cannot hold are written as _XX (hex), so distinct values never share a stream.
  std::string raw = absl::AsciiStrToLower(identifier.value());
  if (identifier.kind() != common::v1::IDENTIFIER_KIND_NHS_NUMBER && !identifier.issuer().empty()) {
    raw = absl::StrCat(absl::AsciiStrToLower(identifier.issuer()), ":", raw);
  }
  std::string value;
  for (unsigned char c : raw) {
    if (absl::ascii_isalnum(c) || c == '-' || c == ':' || c == '.') {
      value.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&value, "_", absl::Hex(c, absl::kZeroPad2));
    }
  }
  return absl::StrCat("ident-", kind, "-", value);
}

bool IsHubStream(std::string_view stream) {
  // Exact names first, then prefixes followed by an id.
  for (std::string_view exact : {std::string_view(kAgreementStream),
                                 std::string_view(kOperatorAccessStream),
                                 std::string_view(kServedWithTlsStream)}) {
    if (stream == exact) return true;
  }
  for (std::string_view prefix : {"person-", "ident-", "concern-", "enquiry-", "disclosures-",
                                  "emergency-access-"}) {
    if (stream.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

}  // namespace hub::domain
