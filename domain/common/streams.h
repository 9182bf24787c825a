// Stream names of the hub's aggregates (see proto/hub/events/v1/events.proto for what each
// holds). Thread-safe (no state).
#pragma once

#include <string>
#include <string_view>

#include "hub/common/v1/values.pb.h"

namespace hub::domain {

// Every stream name the hub writes, and its parser: the one vocabulary of streams.
std::string PersonStream(const std::string& person_id);
std::string ConcernStream(const std::string& concern_id);
std::string EnquiryStream(const std::string& enquiry_id);
// "ident-nhs-9434765919": the claim stream of one identifier (value normalised).
std::string IdentifierStream(const common::v1::Identifier& identifier);
// The disclosure records about a person (DisclosureRecorded); lookups that found no one go to
// kUnmatchedDisclosuresStream.
std::string DisclosureStream(const std::string& person_id);
inline constexpr char kUnmatchedDisclosuresStream[] = "disclosures-unmatched";
// Break-glass grants on a case (EmergencyAccessGranted): beside the concern, never on it, so
// that a grant never moves the case's version under the practitioners working it.
std::string EmergencyAccessStream(const std::string& concern_id);
// AgreementTookEffect, each time the information sharing agreement's file changes.
inline constexpr char kAgreementStream[] = "agreement";

// The id in a concern-, enquiry- or person- stream's name; "" for any other stream.
std::string ConcernIdOf(std::string_view stream);
std::string EnquiryIdOf(std::string_view stream);
std::string PersonIdOf(std::string_view stream);

// The audit stream of raw log access by operators (RawLogAccessed): every raw read, every
// subscription opened and every backup.
inline constexpr char kOperatorAccessStream[] = "operator-access";
// Holds one ServedWithTls event once hubd has served the data directory over mutual TLS; a
// development identity is refused on such a directory.
inline constexpr char kServedWithTlsStream[] = "served-with-tls";

// True when `stream` is one the hub's services write (person-, ident-, concern-, enquiry-,
// disclosures-, emergency-access-, agreement, operator-access, served-with-tls): hub events
// enter those only through the domain's commands, never through a raw append, which could
// move a case's version or poison its stream.
bool IsHubStream(std::string_view stream);

}  // namespace hub::domain
