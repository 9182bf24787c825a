#include "tests/testing/temp_dir.h"

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "base/check.h"

namespace hub::testing {

TempDir::TempDir() {
  const char* root = std::getenv("TEST_TMPDIR");
  std::string templ = std::string(root && *root ? root : "/tmp") + "/hubtest.XXXXXX";
  HUB_CHECK(::mkdtemp(templ.data()) != nullptr);
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace hub::testing
