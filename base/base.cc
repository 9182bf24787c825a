#include <unistd.h>

#include <cstring>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "base/log.h"

namespace hub {

Clock& SystemClock::Get() {
  static SystemClock* clock = new SystemClock();
  return *clock;
}

LogMessage::LogMessage(LogSeverity severity, const char* file, int line) {
  const char* tag = severity == LogSeverity::kInfo      ? "I"
                    : severity == LogSeverity::kWarning ? "W"
                                                        : "E";
  const char* base = std::strrchr(file, '/');
  stream_ << absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ ", absl::Now(), absl::UTCTimeZone())
          << tag << " " << (base ? base + 1 : file) << ":" << line << "] ";
}

LogMessage::~LogMessage() {
  stream_ << '\n';
  const std::string line = stream_.str();
  // One write per line so that lines from different threads never interleave.
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace hub
