// SPDX-License-Identifier: MIT
#include "support/histogram.hpp"

#include <gtest/gtest.h>

#include <random>

namespace socklab::bench {
namespace {

TEST(Histogram, EmptyReportsZero) {
  latency_histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.quantile(0.5), 0u);
  EXPECT_EQ(h.max(), 0u);
}

TEST(Histogram, SmallValuesAreExact) {
  latency_histogram h;
  for (std::uint64_t v = 1; v <= 100; ++v) h.record(v);
  EXPECT_EQ(h.quantile(0.5), 50u);
  EXPECT_EQ(h.quantile(0.99), 99u);
  EXPECT_EQ(h.quantile(1.0), 100u);
  EXPECT_EQ(h.min(), 1u);
}

TEST(Histogram, PercentilesWithinOnePercentOverAWideRange) {
  latency_histogram h;
  std::vector<std::uint64_t> values(200000);
  std::mt19937_64 rng(3);
  std::lognormal_distribution<double> dist(10.0, 1.5);  // ~20 us median, a long tail
  for (auto& v : values) v = static_cast<std::uint64_t>(dist(rng)) + 1;
  for (auto v : values) h.record(v);
  std::sort(values.begin(), values.end());
  for (const double q : {0.5, 0.9, 0.99, 0.999, 0.9999}) {
    const auto rank = static_cast<std::size_t>(q * static_cast<double>(values.size()));
    const auto exact = static_cast<double>(values[rank - 1]);
    EXPECT_NEAR(static_cast<double>(h.quantile(q)), exact, exact * 0.01) << "q=" << q;
  }
  EXPECT_EQ(h.max(), values.back());
  EXPECT_EQ(h.count(), values.size());
}

TEST(Histogram, HugeValuesDoNotOverflow) {
  latency_histogram h;
  h.record(UINT64_MAX);
  h.record(1);
  EXPECT_EQ(h.max(), UINT64_MAX);
  EXPECT_GE(h.quantile(0.99), UINT64_MAX / 2);
}

TEST(Histogram, MergeAddsCounts) {
  latency_histogram a, b;
  for (int i = 0; i < 10; ++i) a.record(1000);
  for (int i = 0; i < 30; ++i) b.record(5000);
  a.merge(b);
  EXPECT_EQ(a.count(), 40u);
  EXPECT_NEAR(static_cast<double>(a.quantile(0.5)), 5000.0, 50.0);
  EXPECT_EQ(a.min(), 1000u);
}

}  // namespace
}  // namespace socklab::bench
