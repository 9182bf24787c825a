// What hubd hands every safeguarding service's constructor: no singletons, so tests build the
// same services over a temp-dir log with a manual clock.
#pragma once

#include "base/clock.h"
#include "eventstore/event_log.h"
#include "services/common/authenticator.h"
#include "config/partnership.h"

namespace hub::services {

struct ServiceDeps {
  eventstore::EventLog& log;
  const config::Partnership& partnership;
  const Clock& clock;
  const Authenticator& authenticator;
};

}  // namespace hub::services
