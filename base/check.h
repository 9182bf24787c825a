// HUB_CHECK: "cannot continue" invariants (there is no ABSL_CHECK in Debian 12's Abseil).
// Never for anything input or the environment can cause: that is a Status.
#pragma once

#include <cstdio>
#include <cstdlib>

#define HUB_CHECK(cond)                                                        \
  do {                                                                         \
    if (!(cond)) {                                                             \
      std::fprintf(stderr, "%s:%d: HUB_CHECK failed: %s\n", __FILE__, __LINE__, \
                   #cond);                                                     \
      std::abort();                                                            \
    }                                                                          \
  } while (0)
