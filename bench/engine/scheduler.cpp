// SPDX-License-Identifier: MIT
#include "engine/scheduler.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <random>
#include <system_error>

namespace socklab::bench {
namespace {

using clock = std::chrono::steady_clock;

// The twins of one benchmark (or a benchmark alone), scheduled together.
struct group {
  std::vector<std::size_t> members;  // indexes into the cases, socklab before raw
  double spent_s = 0;
  bool done = false;
};

struct running {
  std::unique_ptr<session> open;
  int rounds_open = 0;  // rounds measured on the current session
  case_result result;
};

void close(running& r) {
  if (!r.open) return;
  if (auto why = r.open->finish(); !why.empty() && r.result.error.empty()) r.result.error = why;
  r.open.reset();
}

void fail(running& r, const std::string& why) {
  r.result.error = why;  // the first error is the one that matters
  close(r);
}

// A session's calls are bounded by kernel timeouts (the watchdog): say so when one expired.
std::string reason(const std::exception& e) {
  const auto* sys = dynamic_cast<const std::system_error*>(&e);
  if (sys && (sys->code() == std::errc::resource_unavailable_try_again ||
              sys->code() == std::errc::operation_would_block))
    return std::string(e.what()) + " (the peer was silent past the watchdog)";
  return e.what();
}

bool settled(const group& g, const std::vector<running>& runs, const schedule& plan) {
  std::vector<const case_result*> live;
  for (auto i : g.members)
    if (runs[i].result.error.empty()) live.push_back(&runs[i].result);
  for (const auto* r : live)
    if (!summarize(*r, plan.confidence, plan.target).settled) return false;
  if (live.size() == 2 && live[0]->id.implementation == "socklab" && live[1]->id.implementation == "raw")
    return compare_twins(*live[0], *live[1], plan.confidence, 0).ratio.half_width() <= plan.target;
  return true;
}

std::size_t repetitions(const group& g, const std::vector<running>& runs) {
  std::size_t n = SIZE_MAX;
  for (auto i : g.members)
    if (runs[i].result.error.empty()) n = std::min(n, runs[i].result.samples.size());
  return n;
}

}  // namespace

std::uint64_t warm_up(session& s, const schedule& plan, warmup_info& info, std::uint64_t iterations) {
  const double slice = plan.rep_seconds / 4;
  const auto started_at = info.seconds;
  info.settled = false;
  std::uint64_t n = iterations ? std::max<std::uint64_t>(1, iterations / 4) : 1;
  std::vector<double> rates;  // operations per second of the slices long enough to count
  for (;;) {
    const auto x = s.measure(n);
    info.seconds += x.seconds;
    ++info.slices;
    const double rate = static_cast<double>(n) / std::max(x.seconds, 1e-9);
    if (x.seconds >= slice / 2) rates.push_back(rate);
    if (rates.size() >= 3) {
      const std::vector<double> last(rates.end() - 3, rates.end());
      const double mid = stats::median(last);
      info.settled = std::all_of(last.begin(), last.end(),
                                 [&](double r) { return std::abs(r - mid) <= plan.warmup_tolerance * mid; });
    }
    const double recent =
        rates.empty() ? rate
                      : stats::median({rates.end() - std::min<std::size_t>(3, rates.size()), rates.end()});
    if (info.settled || info.seconds - started_at >= plan.warmup_max_s) {
      if (iterations) return iterations;
      return std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::llround(recent * plan.rep_seconds)));
    }
    if (iterations) continue;
    // The first slices calibrate: at most a hundredfold at a time, so one odd fast call cannot
    // make the next slice run for minutes.
    n = std::clamp<std::uint64_t>(static_cast<std::uint64_t>(std::llround(rate * slice)), 1, n * 100);
  }
}

std::vector<case_result> run_schedule(const std::vector<bench_case>& cases, const schedule& plan,
                                      const std::function<void(const std::string&)>& progress) {
  std::vector<running> runs(cases.size());
  std::vector<group> groups;
  std::map<std::string, std::size_t> group_of;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    runs[i].result.id = cases[i].id;
    runs[i].result.headline = cases[i].headline;
    const auto [it, fresh] = group_of.try_emplace(cases[i].id.key(), groups.size());
    if (fresh) groups.emplace_back();
    groups[it->second].members.push_back(i);
  }
  std::mt19937_64 rng(plan.seed);
  const auto start = clock::now();
  auto last_note = start;
  for (int round = 0;; ++round) {
    std::vector<std::size_t> order;
    for (std::size_t g = 0; g < groups.size(); ++g)
      if (!groups[g].done) order.push_back(g);
    if (order.empty()) break;
    std::shuffle(order.begin(), order.end(), rng);
    for (const auto g : order) {
      auto members = groups[g].members;
      if ((round + static_cast<int>(g)) % 2 == 1) std::reverse(members.begin(), members.end());
      for (const auto i : members) {
        auto& r = runs[i];
        if (!r.result.error.empty()) continue;
        try {
          if (r.open && plan.rotate > 0 && r.rounds_open >= plan.rotate) close(r);
          if (!r.open) {
            r.open = cases[i].open();
            r.rounds_open = 0;
            ++r.result.sessions;
            r.result.iterations = warm_up(*r.open, plan, r.result.warmup, r.result.iterations);
          }
          ++r.rounds_open;
          auto s = r.open->measure(r.result.iterations);
          s.round = round;
          groups[g].spent_s += s.seconds;
          r.result.samples.push_back(std::move(s));
        } catch (const std::exception& e) {
          fail(r, reason(e));
        }
      }
      const auto reps = repetitions(groups[g], runs);
      groups[g].done = reps == SIZE_MAX || static_cast<int>(reps) >= plan.max_reps ||
                       (static_cast<int>(reps) >= plan.min_reps &&
                        (groups[g].spent_s >= plan.budget_s || settled(groups[g], runs, plan)));
      if (groups[g].done)
        for (const auto i : groups[g].members) close(runs[i]);  // its peers end as soon as it is done
    }
    const auto now = clock::now();
    if (now - last_note >= std::chrono::seconds(5)) {
      last_note = now;
      const auto left = std::count_if(groups.begin(), groups.end(), [](const group& x) { return !x.done; });
      progress("[" + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now - start).count()) +
               " s] round " + std::to_string(round + 1) + ": " + std::to_string(left) + " of " +
               std::to_string(groups.size()) + " benchmarks still measuring");
    }
  }
  std::vector<case_result> out;
  for (auto& r : runs) out.push_back(std::move(r.result));
  return out;
}

}  // namespace socklab::bench
