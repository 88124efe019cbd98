// SPDX-License-Identifier: MIT
#pragma once
// A timing window: how late a deadline may fire, or how soon a call that must not wait returns.
// On a platform the platform runner emulates (QEMU's TCG, SOCKLAB_EMULATED=1), CPU work runs
// 40-60 times slower, so a call over a window's upper bound there says nothing about the library:
// the test is skipped as too slow to judge, never failed. The lower bound (a deadline that fires
// early) is the library's on any platform, and fails everywhere.

#include <gtest/gtest.h>

#include <cstdlib>
#include <string_view>

namespace socklab::test {

/// Whether this run is on an emulated platform (set by conformance/platforms/ for a TCG guest).
inline bool on_emulated_platform() {
  const char* flag = std::getenv("SOCKLAB_EMULATED");
  return flag != nullptr && std::string_view(flag) == "1";
}

/// Expects at_least <= elapsed < under (seconds) of `what`; see above for an emulated platform.
inline void expect_window(double elapsed, double at_least, double under, std::string_view what) {
  EXPECT_GE(elapsed, at_least) << what << " took " << elapsed << " s: before its window";
  if (elapsed >= under && on_emulated_platform()) {
    GTEST_SKIP() << "too slow to judge on an emulated platform: " << what << " took " << elapsed
                 << " s, its window ends at " << under << " s";
  }
  EXPECT_LT(elapsed, under) << what << " took " << elapsed << " s";
}

}  // namespace socklab::test
