// SPDX-License-Identifier: MIT
// The library's overhead: each socklab benchmark against its raw POSIX twin, from the medians of
// their repetitions in one run.
#pragma once

#include <iosfwd>
#include <nlohmann/json.hpp>

namespace socklab::bench {

/// Rows {benchmark, metric, socklab, raw, ratio} from Google Benchmark JSON: rates compare as
/// socklab / raw (1.0 = no loss), latencies (p50_us) as socklab / raw (1.0 = nothing added).
nlohmann::json overhead_table(const nlohmann::json& gbench);

void print_overhead(std::ostream& out, const nlohmann::json& rows);

/// Google Benchmark writes non-finite counters as bare NaN / inf, which JSON does not allow:
/// parses its output with those values read as null.
nlohmann::json parse_gbench_json(const std::string& text);

}  // namespace socklab::bench
