#include "services/common/grpc_status.h"

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hub::services {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ToGrpcStatusTest, OkStaysOk) { EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok()); }

TEST(ToGrpcStatusTest, ClientErrorsKeepCodeAndMessage) {
  const struct {
    absl::Status in;
    grpc::StatusCode want;
  } cases[] = {
      {absl::InvalidArgumentError("events[1].type: required"), grpc::INVALID_ARGUMENT},
      {absl::AbortedError("stream s: expected 3, actual 4"), grpc::ABORTED},
      {absl::AlreadyExistsError("idempotency key reused"), grpc::ALREADY_EXISTS},
      {absl::DeadlineExceededError("deadline passed"), grpc::DEADLINE_EXCEEDED},
      {absl::UnavailableError("log closed"), grpc::UNAVAILABLE},
      {absl::FailedPreconditionError("locked"), grpc::FAILED_PRECONDITION},
      {absl::NotFoundError("no such thing"), grpc::NOT_FOUND},
  };
  for (const auto& c : cases) {
    const grpc::Status out = ToGrpcStatus(c.in);
    EXPECT_EQ(out.error_code(), c.want) << c.in;
    EXPECT_EQ(out.error_message(), c.in.message()) << c.in;
  }
}

TEST(ToGrpcStatusTest, ServerInsidesAreNotSentToTheClient) {
  const absl::Status internals[] = {
      absl::DataLossError("record at key 0x0001 in /var/data/000012.sst: bad checksum"),
      absl::InternalError("rocksdb: /var/data/LOCK: something odd"),
      absl::UnknownError("/var/data: mystery"),
  };
  for (const absl::Status& in : internals) {
    const grpc::Status out = ToGrpcStatus(in);
    EXPECT_EQ(static_cast<int>(out.error_code()), static_cast<int>(in.code()));
    EXPECT_THAT(out.error_message(), Not(HasSubstr("/var/data")));
    EXPECT_THAT(out.error_message(), HasSubstr("server log"));
  }
}

}  // namespace
}  // namespace hub::services
