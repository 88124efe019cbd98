// SPDX-License-Identifier: MIT
#include "engine/output.hpp"

#include <cmath>
#include <cstdio>
#include <map>
#include <ostream>
#include <string>

namespace socklab::bench {
namespace {

// JSON has no NaN or infinity: such a number is null.
nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

nlohmann::json interval_of(const estimate& e) {
  return {{"median", number(e.median)},
          {"ci_low", e.ci ? number(e.ci->low) : nullptr},
          {"ci_high", e.ci ? number(e.ci->high) : nullptr},
          {"n", e.n}};
}

double per_op(double total, std::uint64_t n) { return n ? total / static_cast<double>(n) : NAN; }

// The dimensions beyond the size ({"load": 50}), only in rows of benchmarks that have them.
void add_params(nlohmann::json& row, const bench_id& id) {
  if (id.params.empty()) return;
  auto& params = row["params"] = nlohmann::json::object();
  for (const auto& [name, value] : id.params) params[name] = value;
}

nlohmann::json identity(const bench_id& id) {
  nlohmann::json row{{"name", id.name()},
                     {"family", id.family},
                     {"implementation", id.implementation},
                     {"size", id.size ? nlohmann::json(*id.size) : nlohmann::json(nullptr)}};
  add_params(row, id);
  return row;
}

// The fields of Google Benchmark's row that every repetition (and an error) of a benchmark has.
nlohmann::json row_head(const case_result& r, std::size_t repetition_index, std::size_t family_index) {
  auto row = identity(r.id);
  row.update({{"run_name", r.id.name()},
              {"run_type", "iteration"},
              {"family_index", family_index},
              {"per_family_instance_index", 0},
              {"repetitions", r.samples.size()},
              {"repetition_index", repetition_index},
              {"threads", 1},
              {"time_unit", "ns"}});
  return row;
}

nlohmann::json repetition_row(const case_result& r, std::size_t index, std::size_t family_index) {
  const auto& s = r.samples[index];
  auto row = row_head(r, index, family_index);
  row.update({{"round", s.round},
              {"iterations", s.iterations},
              {"real_time", number(per_op(s.seconds * 1e9, s.iterations))},
              {"cpu_time", number(per_op(s.near.cpu_s() * 1e9, s.iterations))},
              {"cpu_user_ns_per_op", number(per_op(s.near.user_s * 1e9, s.iterations))},
              {"cpu_sys_ns_per_op", number(per_op(s.near.system_s * 1e9, s.iterations))},
              {"peer_cpu_user_ns_per_op", number(per_op(s.far.user_s * 1e9, s.iterations))},
              {"peer_cpu_sys_ns_per_op", number(per_op(s.far.system_s * 1e9, s.iterations))},
              {"switches_per_op",
               number(per_op(static_cast<double>(s.near.voluntary_switches + s.near.involuntary_switches),
                             s.iterations))},
              {"peer_switches_per_op",
               number(per_op(static_cast<double>(s.far.voluntary_switches + s.far.involuntary_switches),
                             s.iterations))},
              {"syscalls_per_op", number(per_op(static_cast<double>(s.near.syscalls), s.iterations))},
              {"peer_syscalls_per_op", number(per_op(static_cast<double>(s.far.syscalls), s.iterations))}});
  for (const auto& [k, v] : s.counters) row[k] = number(v);
  return row;
}

nlohmann::json error_row(const case_result& r, std::size_t family_index) {
  auto row = row_head(r, r.samples.size(), family_index);
  row.update({{"iterations", 0},
              {"real_time", 0},
              {"cpu_time", 0},
              {"error_occurred", true},
              {"error_message", r.error}});
  return row;
}

nlohmann::json summary_of(const case_result& r, const schedule& plan) {
  const auto s = summarize(r, plan.confidence, plan.target);
  auto row = identity(r.id);
  row.update({{"metric", r.headline},
              {"higher_is_better", higher_is_better(r.headline)},
              {"median", number(s.headline.median)},
              {"ci_low", s.headline.ci ? number(s.headline.ci->low) : nullptr},
              {"ci_high", s.headline.ci ? number(s.headline.ci->high) : nullptr},
              {"ci_coverage", s.headline.ci ? number(s.headline.ci->coverage) : nullptr},
              {"half_width", number(s.headline.half_width())},
              {"repetitions", r.samples.size()},
              {"settled", s.settled},
              {"iterations_per_repetition", r.iterations},
              {"sessions", r.sessions},
              {"warmup",
               {{"seconds", r.warmup.seconds}, {"slices", r.warmup.slices}, {"settled", r.warmup.settled}}},
              {"cpu_ns_per_op", interval_of(s.cpu_ns_per_op)},
              {"peer_cpu_ns_per_op", interval_of(s.peer_cpu_ns_per_op)},
              {"syscalls_per_op", number(s.syscalls_per_op)},
              {"peer_syscalls_per_op", number(s.peer_syscalls_per_op)},
              {"switches_per_op", number(s.switches_per_op)},
              {"peer_switches_per_op", number(s.peer_switches_per_op)},
              {"error", r.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.error)}});
  return row;
}

nlohmann::json comparison_of(const case_result& ours, const case_result& raw, const schedule& plan,
                             double threshold) {
  const auto c = compare_twins(ours, raw, plan.confidence, threshold);
  nlohmann::json row{{"benchmark", ours.id.key()},
                     {"family", ours.id.family},
                     {"size", ours.id.size ? nlohmann::json(*ours.id.size) : nlohmann::json(nullptr)},
                     {"metric", c.metric},
                     {"socklab", number(stats::median(ours.values(c.metric)))},
                     {"raw", number(stats::median(raw.values(c.metric)))},
                     {"ratio", number(c.ratio.median)},
                     {"ratio_ci_low", c.ratio.ci ? number(c.ratio.ci->low) : nullptr},
                     {"ratio_ci_high", c.ratio.ci ? number(c.ratio.ci->high) : nullptr},
                     {"rounds", c.ratio.n},
                     {"threshold", threshold},
                     {"verdict", c.verdict},
                     {"cpu_ns_added", interval_of(c.cpu_ns_added)},
                     {"cpu_share_added", interval_of(c.cpu_share_added)}};
  add_params(row, ours.id);
  return row;
}

// "12.61 Gbit/s", "6,412 /s", "110.3 µs"
std::string shown(const std::string& metric, double v) {
  if (!std::isfinite(v)) return "–";
  char buf[48];
  if (metric.find("bytes_per_second") != std::string::npos)
    (void)std::snprintf(buf, sizeof buf, "%.3f Gbit/s", v * 8e-9);
  else if (metric.find("per_second") != std::string::npos)
    (void)std::snprintf(buf, sizeof buf, "%.0f /s", v);
  else
    (void)std::snprintf(buf, sizeof buf, "%.1f us", v);
  return buf;
}

double value(const nlohmann::json& j) { return j.is_number() ? j.get<double>() : NAN; }

}  // namespace

nlohmann::json results_document(nlohmann::json context, const std::vector<case_result>& results,
                                const schedule& plan, double overhead_threshold) {
  nlohmann::json rows = nlohmann::json::array();
  nlohmann::json summary = nlohmann::json::array();
  nlohmann::json overhead = nlohmann::json::array();
  std::map<std::string, std::size_t> family_index;
  std::map<std::string, const case_result*> socklab_twin;
  for (const auto& r : results) {
    const auto index = family_index.try_emplace(r.id.key(), family_index.size()).first->second;
    for (std::size_t i = 0; i < r.samples.size(); ++i) rows.push_back(repetition_row(r, i, index));
    if (!r.error.empty()) rows.push_back(error_row(r, index));
    summary.push_back(summary_of(r, plan));
    if (r.id.implementation == "socklab") socklab_twin[r.id.key()] = &r;
    const auto twin = socklab_twin.find(r.id.key());
    if (r.id.implementation == "raw" && twin != socklab_twin.end() && r.error.empty() &&
        twin->second->error.empty())
      overhead.push_back(comparison_of(*twin->second, r, plan, overhead_threshold));
  }
  return {{"context", std::move(context)},
          {"benchmarks", std::move(rows)},
          {"socklab",
           {{"schema_version", bench_schema_version},
            {"schedule",
             {{"rep_seconds", plan.rep_seconds},
              {"min_reps", plan.min_reps},
              {"max_reps", plan.max_reps},
              {"target", plan.target},
              {"budget_s", plan.budget_s},
              {"warmup_max_s", plan.warmup_max_s},
              {"rotate", plan.rotate},
              {"confidence", plan.confidence},
              {"seed", plan.seed}}},
            {"thread_cost", thread_cost_supported()},
            {"summary", std::move(summary)},
            {"overhead", std::move(overhead)}}}};
}

std::string samples_text(const std::vector<case_result>& results, bool csv) {
  std::string out = csv ? "benchmark,repetition,round,request,due_ns,sent_ns,answered_ns,latency_ns,"
                          "uncorrected_latency_ns\n"
                        : "";
  char line[320];
  for (const auto& r : results) {
    const auto name = r.id.name();
    for (std::size_t rep = 0; rep < r.samples.size(); ++rep) {
      const auto& s = r.samples[rep];
      for (std::size_t i = 0; i < s.requests.size(); ++i) {
        const auto& t = s.requests[i];
        const char* format =
            csv ? "%s,%zu,%d,%zu,%lld,%lld,%lld,%lld,%lld\n"
                : R"({"benchmark":"%s","repetition":%zu,"round":%d,"request":%zu,"due_ns":%lld,)"
                  R"("sent_ns":%lld,"answered_ns":%lld,"latency_ns":%lld,"uncorrected_latency_ns":%lld})"
                  "\n";
        (void)std::snprintf(line, sizeof line, format, name.c_str(), rep, s.round, i,
                            static_cast<long long>(t.due), static_cast<long long>(t.sent),
                            static_cast<long long>(t.answered), static_cast<long long>(t.answered - t.due),
                            static_cast<long long>(t.answered - t.sent));
        out += line;
      }
    }
  }
  return out;
}

void print_results(std::ostream& out, const nlohmann::json& doc) {
  char line[256];
  out << "\nbenchmark                                    metric              median           95 % CI        "
         "          "
         "  n  "
         "settled  CPU ns/op  syscalls/op\n";
  for (const auto& s : doc["socklab"]["summary"]) {
    const auto metric = s["metric"].get<std::string>();
    const std::string ci = s["ci_low"].is_number() ? "[" + shown(metric, value(s["ci_low"])) + ", " +
                                                         shown(metric, value(s["ci_high"])) + "]"
                                                   : "(too few repetitions)";
    (void)std::snprintf(line, sizeof line, "%-44s %-18s %-16s %-26s %3d  %-7s %9.0f  %11.2f%s\n",
                        s["name"].get<std::string>().c_str(), metric.c_str(),
                        shown(metric, value(s["median"])).c_str(), ci.c_str(), s["repetitions"].get<int>(),
                        s["settled"].get<bool>() ? "yes" : "NO", value(s["cpu_ns_per_op"]["median"]),
                        value(s["syscalls_per_op"]),
                        s["error"].is_string() ? ("  ERROR: " + s["error"].get<std::string>()).c_str() : "");
    out << line;
  }
  out << "\nsocklab / raw POSIX, round by round (95 % CI; 'slower' or 'faster' only when the whole interval "
         "is "
         "beyond the threshold)\n";
  for (const auto& c : doc["socklab"]["overhead"]) {
    const std::string ci = c["ratio_ci_low"].is_number()
                               ? std::to_string(value(c["ratio_ci_low"])).substr(0, 5) + "–" +
                                     std::to_string(value(c["ratio_ci_high"])).substr(0, 5)
                               : "–";
    (void)std::snprintf(line, sizeof line, "  %-24s %-17s %6.3f  [%-11s]  %-25s CPU %+7.1f ns/op\n",
                        c["benchmark"].get<std::string>().c_str(), c["metric"].get<std::string>().c_str(),
                        value(c["ratio"]), ci.c_str(), c["verdict"].get<std::string>().c_str(),
                        value(c["cpu_ns_added"]["median"]));
    out << line;
  }
}

}  // namespace socklab::bench
