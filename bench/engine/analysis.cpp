// SPDX-License-Identifier: MIT
#include "engine/analysis.hpp"

#include <cmath>
#include <limits>
#include <map>

namespace socklab::bench {
namespace {

double per_op(double total, std::uint64_t iterations) {
  return iterations ? total / static_cast<double>(iterations) : std::numeric_limits<double>::quiet_NaN();
}

template <class F>
std::vector<double> each(const std::vector<sample>& samples, F f) {
  std::vector<double> out;
  out.reserve(samples.size());
  for (const auto& s : samples) out.push_back(f(s));
  return out;
}

}  // namespace

double estimate::half_width() const {
  return ci ? stats::relative_half_width(*ci, median) : std::numeric_limits<double>::infinity();
}

estimate estimate_of(std::vector<double> values, double confidence) {
  const int n = static_cast<int>(values.size());
  auto ci = stats::median_interval(values, confidence);
  return {stats::median(std::move(values)), ci, n};
}

std::vector<double> case_result::values(const std::string& metric) const {
  return each(samples, [&](const sample& s) { return s.counter(metric); });
}

row_summary summarize(const case_result& r, double confidence, double target) {
  row_summary out;
  out.headline = estimate_of(r.values(r.headline), confidence);
  out.settled = out.headline.half_width() <= target;
  const auto& xs = r.samples;
  out.cpu_ns_per_op = estimate_of(
      each(xs, [](const sample& s) { return per_op(s.near.cpu_s() * 1e9, s.iterations); }), confidence);
  out.peer_cpu_ns_per_op = estimate_of(
      each(xs, [](const sample& s) { return per_op(s.far.cpu_s() * 1e9, s.iterations); }), confidence);
  const auto med = [&](auto f) { return stats::median(each(xs, f)); };
  out.syscalls_per_op =
      med([](const sample& s) { return per_op(static_cast<double>(s.near.syscalls), s.iterations); });
  out.peer_syscalls_per_op =
      med([](const sample& s) { return per_op(static_cast<double>(s.far.syscalls), s.iterations); });
  out.switches_per_op = med([](const sample& s) {
    return per_op(static_cast<double>(s.near.voluntary_switches + s.near.involuntary_switches), s.iterations);
  });
  out.peer_switches_per_op = med([](const sample& s) {
    return per_op(static_cast<double>(s.far.voluntary_switches + s.far.involuntary_switches), s.iterations);
  });
  return out;
}

twin_comparison compare_twins(const case_result& socklab, const case_result& raw, double confidence,
                              double threshold) {
  std::map<int, const sample*> by_round;
  for (const auto& s : raw.samples) by_round[s.round] = &s;
  std::vector<double> ratios, added, share;
  for (const auto& s : socklab.samples) {
    const auto it = by_round.find(s.round);
    if (it == by_round.end()) continue;
    const auto& r = *it->second;
    ratios.push_back(s.counter(socklab.headline) / r.counter(raw.headline));
    const double ours = per_op(s.near.cpu_s() * 1e9, s.iterations);
    const double theirs = per_op(r.near.cpu_s() * 1e9, r.iterations);
    added.push_back(ours - theirs);
    share.push_back(ours / theirs - 1);
  }
  twin_comparison c;
  c.metric = socklab.headline;
  c.ratio = estimate_of(ratios, confidence);
  c.cpu_ns_added = estimate_of(added, confidence);
  c.cpu_share_added = estimate_of(share, confidence);
  if (!c.ratio.ci) {
    c.verdict = "too few rounds";
    return c;
  }
  // Worse is a smaller rate or a longer latency.
  const bool below = c.ratio.ci->high < 1 - threshold;
  const bool above = c.ratio.ci->low > 1 + threshold;
  const bool up = higher_is_better(c.metric);
  c.verdict = (up ? below : above) ? "slower" : (up ? above : below) ? "faster" : "no measurable difference";
  return c;
}

}  // namespace socklab::bench
