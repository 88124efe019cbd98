// SPDX-License-Identifier: MIT
// What a run's samples say: each benchmark's median with its interval and costs, and each pair of
// twins compared round by round. The scheduler uses it to decide when a benchmark has settled; the
// writer records it in bench.json.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/session.hpp"
#include "engine/stats.hpp"

namespace socklab::bench {

/// A median with its confidence interval (none with too few values).
struct estimate {
  double median;
  std::optional<stats::interval> ci;
  int n = 0;
  /// The interval's relative half-width; infinity without an interval.
  double half_width() const;
};
estimate estimate_of(std::vector<double> values, double confidence);

struct warmup_info {
  double seconds = 0;  // spent warming up, all sessions together (not measured)
  int slices = 0;
  bool settled = false;  // the last warm-up's rate had settled; otherwise the time limit ended it
};

/// One benchmark's run: every repetition, the calibrated count, its warm-up, or why it failed.
struct case_result {
  bench_id id;
  std::string headline;
  std::vector<sample> samples;
  std::uint64_t iterations = 0;  // per repetition
  int sessions = 0;              // connections (with their peers) the repetitions were spread over
  warmup_info warmup;
  std::string error;  // "" when it ran to the end

  std::vector<double> values(const std::string& metric) const;
};

/// Costs are per operation (message, round trip, connection); CPU in nanoseconds.
struct row_summary {
  estimate headline;
  bool settled = false;  // the headline's interval is within the target
  estimate cpu_ns_per_op;
  estimate peer_cpu_ns_per_op;
  double syscalls_per_op = 0;
  double peer_syscalls_per_op = 0;
  double switches_per_op = 0;
  double peer_switches_per_op = 0;
};
row_summary summarize(const case_result& r, double confidence, double target);

/// socklab against its raw POSIX twin, from the repetitions the two made in the same rounds.
struct twin_comparison {
  std::string metric;
  estimate ratio;            // socklab ÷ raw of the headline
  estimate cpu_ns_added;     // socklab's measuring-thread CPU per operation minus raw's
  estimate cpu_share_added;  // the same as a share of raw's (per byte, for a fixed message size)
  std::string verdict;       // slower, faster, no measurable difference, too few rounds
};
/// The verdict is "slower" or "faster" only when the whole interval lies beyond `threshold`
/// (0.02: 2 %) in that direction; otherwise "no measurable difference".
twin_comparison compare_twins(const case_result& socklab, const case_result& raw, double confidence,
                              double threshold);

}  // namespace socklab::bench
