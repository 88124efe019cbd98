// SPDX-License-Identifier: MIT
// Runs benchmarks the way a noisy machine needs: each benchmark warms up until its rate has
// settled, then repetitions are interleaved — in every round the benchmarks run in a fresh random
// order, and the two twins of a benchmark back to back, first one then the other — so that drift
// lands on both twins alike. Repetitions are adaptive (the Phoronix Test Suite's dynamic run count,
// Lancet's convergence test): a benchmark keeps repeating until the confidence interval of its
// median, and of its twins' ratio, is within the target, or its time budget is spent; then it is
// "unsettled", and says so.
//
// A connection (and its peer) serves several repetitions, but not all: every `rotate` rounds each
// twin gets a new one, warmed up again. Two sessions of the same code differ by a few percent that
// stays for their whole life (where their buffers landed, which socket slab): measured with
// socklab against itself, one session per twin put 9 % of 95 % intervals away from 1.0 and called
// 1 of 57 rows "slower". Rotating puts that difference into the samples, where the interval sees it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/analysis.hpp"
#include "engine/session.hpp"

namespace socklab::bench {

struct schedule {
  double rep_seconds = 0.1;        // the length of one repetition
  int min_reps = 8;                // before any stopping rule applies (what a gate needs)
  int max_reps = 30;               // never more
  double target = 0.03;            // settled: the median's interval within ±3 %
  double budget_s = 6;             // a benchmark (both twins) stops after this much measuring
  double warmup_max_s = 0.5;       // warm-up ends here even if the rate has not settled
  double warmup_tolerance = 0.10;  // settled: three slices within ±10 % of their median
  int rotate = 4;                  // rounds per connection: then a new one (0: one for all)
  double confidence = 0.95;
  std::uint64_t seed = 1;  // the interleaving order
};

/// Warms `s` up: slices of a quarter repetition until three in a row agree (or the time limit),
/// and returns the count of operations that makes one repetition last rep_seconds. With
/// `iterations` known (a later session of the same benchmark) the slices are a quarter of it and
/// the count stays.
std::uint64_t warm_up(session& s, const schedule& plan, warmup_info& info, std::uint64_t iterations = 0);

/// Runs every case and returns their results, in the order given. `progress` gets a line now and
/// then (every few seconds), for a long run's sign of life.
std::vector<case_result> run_schedule(const std::vector<bench_case>& cases, const schedule& plan,
                                      const std::function<void(const std::string&)>& progress);

}  // namespace socklab::bench
