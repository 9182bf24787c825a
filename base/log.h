// Minimal logging to stderr with UTC timestamps (Debian 12's Abseil has no absl/log).
// Usage: HUB_LOG(INFO) << "listening on " << addr;  Thread-safe: one write(2) per line.
#pragma once

#include <sstream>
#include <string_view>

namespace hub {

enum class LogSeverity { kInfo, kWarning, kError };

class LogMessage {
 public:
  LogMessage(LogSeverity severity, const char* file, int line);
  ~LogMessage();
  std::ostream& stream() { return stream_; }

 private:
  std::ostringstream stream_;
};

}  // namespace hub

#define HUB_LOG_SEVERITY_INFO ::hub::LogSeverity::kInfo
#define HUB_LOG_SEVERITY_WARNING ::hub::LogSeverity::kWarning
#define HUB_LOG_SEVERITY_ERROR ::hub::LogSeverity::kError
#define HUB_LOG(sev) ::hub::LogMessage(HUB_LOG_SEVERITY_##sev, __FILE__, __LINE__).stream()
