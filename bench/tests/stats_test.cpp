// SPDX-License-Identifier: MIT
// The median's confidence interval on samples whose answer is known: the order statistics chosen
// (checked against scipy.stats.binom), and the coverage it promises, by simulation.
#include "engine/stats.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>

namespace socklab::bench::stats {
namespace {

std::vector<double> one_to(int n) {
  std::vector<double> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), 1.0);
  return v;
}

TEST(Median, OfOddEvenAndNone) {
  EXPECT_EQ(median({3, 1, 2}), 2);
  EXPECT_EQ(median({4, 1, 3, 2}), 2.5);
  EXPECT_TRUE(std::isnan(median({})));
}

TEST(MedianInterval, TooFewValuesHaveNone) {
  EXPECT_EQ(minimum_count(0.95), 6);  // [min, max] of 5 covers only 1 - 2/32 = 93.75 %
  EXPECT_FALSE(median_interval(one_to(5)).has_value());
  EXPECT_TRUE(median_interval(one_to(6)).has_value());
}

// k for n values: the largest with 1 - 2 P(Binomial(n, 1/2) <= k-1) >= 0.95 (scipy.stats.binom.cdf).
TEST(MedianInterval, PicksTheOrderStatisticsOfTheBinomial) {
  struct known {
    int n;
    double low, high, coverage;
  };
  for (const auto& k : {known{6, 1, 6, 0.96875}, known{10, 2, 9, 0.978515625}, known{15, 4, 12, 0.96484375},
                        known{20, 6, 15, 0.9586105346679688}, known{30, 10, 21, 0.9572260547429323}}) {
    auto values = one_to(k.n);
    std::shuffle(values.begin(), values.end(), std::mt19937(7));  // order does not matter
    const auto i = median_interval(values);
    ASSERT_TRUE(i) << k.n;
    EXPECT_EQ(i->low, k.low) << k.n;
    EXPECT_EQ(i->high, k.high) << k.n;
    EXPECT_NEAR(i->coverage, k.coverage, 1e-12) << k.n;
  }
}

TEST(MedianInterval, CoversTheTrueMedianAsOftenAsItSays) {
  // Exponential samples (skewed, like this VM's repetitions): the true median is ln 2.
  std::mt19937_64 rng(12345);
  std::exponential_distribution<double> dist(1.0);
  const int trials = 4000;
  int covered = 0;
  for (int t = 0; t < trials; ++t) {
    std::vector<double> v(15);
    for (auto& x : v) x = dist(rng);
    const auto i = median_interval(v);
    covered += i->low <= std::log(2.0) && std::log(2.0) <= i->high;
  }
  // Promised 96.5 % for n = 15; 4,000 trials put the observed share within about +-0.9 % of it.
  EXPECT_NEAR(static_cast<double>(covered) / trials, 0.96484375, 0.009);
}

TEST(MedianInterval, HalfWidthIsRelativeToTheMedian) {
  EXPECT_DOUBLE_EQ(relative_half_width({90, 110, 0.95}, 100), 0.10);
  EXPECT_TRUE(std::isinf(relative_half_width({-1, 1, 0.95}, 0)));
}

}  // namespace
}  // namespace socklab::bench::stats
