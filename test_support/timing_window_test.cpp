// SPDX-License-Identifier: MIT
// expect_window must fail a late call on a real platform, skip it on an emulated one, and fail
// an early deadline on both: each outcome is caught here as the test part gtest would record.
#include "timing_window.hpp"

#include <gtest/gtest-spi.h>
#include <stdlib.h>

namespace socklab::test {
namespace {

class Platform {
 public:
  explicit Platform(const char* emulated) {
    if (emulated != nullptr) {
      ::setenv("SOCKLAB_EMULATED", emulated, 1);
    } else {
      ::unsetenv("SOCKLAB_EMULATED");
    }
  }
  ~Platform() { ::unsetenv("SOCKLAB_EMULATED"); }
  Platform(const Platform&) = delete;
  Platform& operator=(const Platform&) = delete;
};

struct Parts {
  int failed = 0;
  int skipped = 0;
};

Parts parts_of(double elapsed, double at_least, double under) {
  testing::TestPartResultArray results;
  {
    const testing::ScopedFakeTestPartResultReporter reporter(
        testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &results);
    expect_window(elapsed, at_least, under, "the call");
  }
  Parts parts;
  for (int i = 0; i < results.size(); ++i) {
    parts.failed += results.GetTestPartResult(i).failed() ? 1 : 0;
    parts.skipped += results.GetTestPartResult(i).skipped() ? 1 : 0;
  }
  return parts;
}

TEST(TimingWindow, InsideTheWindowPassesEverywhere) {
  for (const char* emulated : {static_cast<const char*>(nullptr), "1"}) {
    const Platform platform(emulated);
    const Parts parts = parts_of(0.35, 0.3, 2.3);
    EXPECT_EQ(parts.failed, 0);
    EXPECT_EQ(parts.skipped, 0);
  }
}

TEST(TimingWindow, LateOnARealPlatformFails) {
  for (const char* emulated : {static_cast<const char*>(nullptr), "0", ""}) {
    const Platform platform(emulated);
    const Parts parts = parts_of(5.0, 0.3, 2.3);
    EXPECT_EQ(parts.failed, 1);
    EXPECT_EQ(parts.skipped, 0);
  }
}

TEST(TimingWindow, LateOnAnEmulatedPlatformIsTooSlowToJudge) {
  const Platform platform("1");
  const Parts parts = parts_of(5.0, 0.3, 2.3);
  EXPECT_EQ(parts.failed, 0);
  EXPECT_EQ(parts.skipped, 1);
}

TEST(TimingWindow, EarlyFailsEvenWhenEmulated) {
  const Platform platform("1");
  const Parts parts = parts_of(0.1, 0.3, 2.3);
  EXPECT_EQ(parts.failed, 1);
  EXPECT_EQ(parts.skipped, 0);
}

}  // namespace
}  // namespace socklab::test
