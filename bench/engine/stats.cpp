// SPDX-License-Identifier: MIT
#include "engine/stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace socklab::bench::stats {
namespace {

// P(Binomial(n, 1/2) <= k), summed in logarithms so that large n neither overflows nor underflows.
double binomial_half_cdf(int n, int k) {
  double sum = 0;
  for (int i = 0; i <= k; ++i)
    sum +=
        std::exp(std::lgamma(n + 1.0) - std::lgamma(i + 1.0) - std::lgamma(n - i + 1.0) - n * std::log(2.0));
  return std::min(sum, 1.0);
}

}  // namespace

double median(std::vector<double> values) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  const auto n = values.size();
  std::sort(values.begin(), values.end());
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

std::optional<interval> median_interval(std::vector<double> values, double confidence) {
  const int n = static_cast<int>(values.size());
  std::optional<interval> best;
  std::sort(values.begin(), values.end());
  // k = 1 is [min, max]; each larger k narrows the interval and lowers its coverage.
  for (int k = 1; 2 * k <= n + 1; ++k) {
    const double coverage = 1 - 2 * binomial_half_cdf(n, k - 1);
    if (coverage < confidence) break;
    best =
        interval{values[static_cast<std::size_t>(k - 1)], values[static_cast<std::size_t>(n - k)], coverage};
  }
  return best;
}

double relative_half_width(const interval& i, double median) {
  if (median == 0 || !std::isfinite(median)) return std::numeric_limits<double>::infinity();
  return (i.high - i.low) / 2 / std::abs(median);
}

int minimum_count(double confidence) {
  int n = 1;
  while (1 - 2 * binomial_half_cdf(n, 0) < confidence) ++n;
  return n;
}

}  // namespace socklab::bench::stats
