// SPDX-License-Identifier: MIT
#include "support/fairness.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace socklab::bench {
namespace {

double jain(const std::vector<std::uint64_t>& x) { return jain_index(std::span<const std::uint64_t>(x)); }

TEST(JainIndex, EqualSharesAreOne) { EXPECT_DOUBLE_EQ(jain({5, 5, 5, 5}), 1.0); }

TEST(JainIndex, OneFlowWithEverythingIsOneOverN) { EXPECT_DOUBLE_EQ(jain({0, 0, 0, 12}), 0.25); }

TEST(JainIndex, KnownValues) {
  // (1+2+3)^2 / (3 * (1+4+9)) = 36/42
  EXPECT_DOUBLE_EQ(jain({1, 2, 3}), 36.0 / 42.0);
  // Half the flows at full rate, half starved: 1/2.
  EXPECT_DOUBLE_EQ(jain({10, 10, 0, 0}), 0.5);
}

TEST(JainIndex, DoesNotDependOnTheScale) { EXPECT_DOUBLE_EQ(jain({1, 2, 3}), jain({1000, 2000, 3000})); }

TEST(JainIndex, NothingMovedIsNotUnfair) {
  EXPECT_DOUBLE_EQ(jain({0, 0, 0}), 1.0);
  EXPECT_DOUBLE_EQ(jain({}), 1.0);
}

}  // namespace
}  // namespace socklab::bench
