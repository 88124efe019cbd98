// SPDX-License-Identifier: MIT
// bench.json: Google Benchmark's JSON shape (a context and one "iteration" row per repetition, as
// compare.py reads it), with each row's parts and costs as fields of their own, and socklab's
// section: per benchmark its median, confidence interval, repetitions, settled or not and costs
// per operation; per pair of twins their ratio with its interval and a verdict. The schema is
// schemas/bench.schema.json.
#pragma once

#include <iosfwd>
#include <nlohmann/json.hpp>
#include <vector>

#include "engine/analysis.hpp"
#include "engine/scheduler.hpp"

namespace socklab::bench {

inline constexpr int bench_schema_version = 2;

/// The whole document for a run's results.
nlohmann::json results_document(nlohmann::json context, const std::vector<case_result>& results,
                                const schedule& plan, double overhead_threshold);

/// Every open-loop request of every repetition kept (warm-ups are not): one line each, CSV with a
/// header, or JSON lines; times in nanoseconds from when the repetition's first request was due.
std::string samples_text(const std::vector<case_result>& results, bool csv);

/// The benchmarks' summaries and the twins' comparisons as tables, for the console.
void print_results(std::ostream& out, const nlohmann::json& doc);

}  // namespace socklab::bench
