// Stream names of the hub's aggregates (see proto/hub/events/v1/events.proto for what each
// holds). Thread-safe (no state).
#pragma once

#include <string>

#include "hub/common/v1/values.pb.h"

namespace hub::domain {

std::string PersonStream(const std::string& person_id);
std::string ConcernStream(const std::string& concern_id);
std::string EnquiryStream(const std::string& enquiry_id);
// "ident-nhs-9434765919": the claim stream of one identifier (value normalised).
std::string IdentifierStream(const common::v1::Identifier& identifier);

}  // namespace hub::domain
