// SPDX-License-Identifier: MIT
// The statistics every benchmark row is judged with: medians and distribution-free confidence
// intervals of the median (order statistics), for a row's repetitions and for the paired ratios of
// two twins measured in the same rounds. No normality is assumed: this VM's repetitions are
// skewed and sometimes bimodal.
#pragma once

#include <optional>
#include <vector>

namespace socklab::bench::stats {

/// The median; NaN for no values.
double median(std::vector<double> values);

struct interval {
  double low;
  double high;
  double coverage;  // the interval's exact coverage probability, >= the confidence asked for
};

/// The confidence interval of the median from order statistics: [x_(k), x_(n+1-k)] with the largest
/// k whose coverage 1 - 2 P(Binomial(n, 1/2) <= k-1) is at least `confidence`. Exact for any
/// continuous distribution. std::nullopt when even [min, max] covers too little (n < 6 for 95 %).
std::optional<interval> median_interval(std::vector<double> values, double confidence = 0.95);

/// The interval's half-width relative to the median, (high - low) / 2 / |median|: what
/// "settled within 3 %" means.
double relative_half_width(const interval& i, double median);

/// The smallest number of values whose median interval exists at `confidence`.
int minimum_count(double confidence = 0.95);

}  // namespace socklab::bench::stats
