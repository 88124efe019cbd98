// SPDX-License-Identifier: MIT
// The scheduler on synthetic sessions whose samples are known: a steady benchmark stops at the
// minimum, a noisy one runs to its limit and says it is unsettled, the budget ends a slow one,
// twins run back to back in alternating order, connections rotate, a failure is recorded while
// its twin goes on, and the warm-up calibrates the repetition's length.
#include "engine/scheduler.hpp"

#include <gtest/gtest.h>

#include <map>

namespace socklab::bench {
namespace {

struct log {
  std::vector<std::string> measured;  // names, in the order measured (warm-ups included)
  std::map<std::string, int> opened;
};

// Operations per second is `rate(k)` for the k-th repetition of this session type's benchmark.
class fake_session final : public session {
 public:
  fake_session(std::string name, log& l, std::function<double(int)> rate, int fail_at)
      : name_(std::move(name)), log_(l), rate_(std::move(rate)), fail_at_(fail_at) {}
  sample measure(std::uint64_t n) override {
    log_.measured.push_back(name_);
    const int k = calls_[name_]++;
    if (k == fail_at_) throw std::runtime_error("planted failure");
    const double rate = rate_(k);
    sample s;
    s.iterations = n;
    s.seconds = static_cast<double>(n) / rate;
    s.counters = {{"items_per_second", rate}};
    return s;
  }
  std::string finish() override { return ""; }

 private:
  std::string name_;
  log& log_;
  std::function<double(int)> rate_;
  int fail_at_;
  static inline std::map<std::string, int> calls_;
};

std::vector<bench_case> twins(const std::string& family, log& l, std::function<double(int)> rate,
                              int raw_fails_at = -1) {
  std::vector<bench_case> out;
  for (const char* impl : {"socklab", "raw"}) {
    const bench_id id{family, impl, std::nullopt};
    const int fail = std::string(impl) == "raw" ? raw_fails_at : -1;
    out.push_back({id, "items_per_second", [&l, id, rate, fail] {
                     ++l.opened[id.name()];
                     return std::make_unique<fake_session>(id.name(), l, rate, fail);
                   }});
  }
  return out;
}

schedule quick_plan() {
  schedule p;
  p.rep_seconds = 0.1;
  p.min_reps = 8;
  p.max_reps = 20;
  p.budget_s = 1000;
  p.warmup_max_s = 1;
  p.rotate = 0;
  p.seed = 3;
  return p;
}

const case_result& named(const std::vector<case_result>& rs, const std::string& name) {
  for (const auto& r : rs)
    if (r.id.name() == name) return r;
  throw std::runtime_error("no result " + name);
}

TEST(Scheduler, ASteadyBenchmarkStopsAtTheMinimumAndIsSettled) {
  log l;
  const auto rs = run_schedule(twins("steady", l, [](int) { return 1000.0; }), quick_plan(), [](auto&) {});
  for (const auto& r : rs) {
    EXPECT_EQ(r.samples.size(), 8u) << r.id.name();
    EXPECT_TRUE(summarize(r, 0.95, 0.03).settled);
    EXPECT_TRUE(r.error.empty());
  }
}

TEST(Scheduler, ANoisyBenchmarkRunsToItsLimitUnsettled) {
  log l;
  // Alternating 1000 and 2000: the median's interval never narrows below +-33 %.
  const auto rs = run_schedule(twins("noisy", l, [](int k) { return k % 2 ? 2000.0 : 1000.0; }), quick_plan(),
                               [](auto&) {});
  for (const auto& r : rs) {
    EXPECT_EQ(r.samples.size(), 20u) << r.id.name();
    EXPECT_FALSE(summarize(r, 0.95, 0.03).settled);
  }
}

TEST(Scheduler, TheBudgetEndsANoisyBenchmarkAfterTheMinimum) {
  log l;
  auto plan = quick_plan();
  plan.budget_s = 2.5;  // each repetition lasts 0.1 s: 2 twins x 8 rounds = 1.6 s, then 2 more rounds
  const auto rs =
      run_schedule(twins("slow", l, [](int k) { return k % 2 ? 2000.0 : 1000.0; }), plan, [](auto&) {});
  const auto n = rs[0].samples.size();
  EXPECT_GE(n, 8u);
  EXPECT_LT(n, 20u);
}

TEST(Scheduler, TwinsRunBackToBackInAlternatingOrder) {
  log l;
  auto cases = twins("a", l, [](int) { return 1000.0; });
  for (auto& c : twins("b", l, [](int) { return 1000.0; })) cases.push_back(std::move(c));
  const auto rs = run_schedule(cases, quick_plan(), [](auto&) {});
  // Drop the warm-up calls (each session's first few): from then on, measurements come in pairs.
  std::vector<std::string> reps;
  std::map<std::string, int> seen;
  for (const auto& name : l.measured)
    if (++seen[name] > static_cast<int>(named(rs, name).warmup.slices)) reps.push_back(name);
  ASSERT_EQ(reps.size(), 4u * 8u);
  int socklab_first = 0;
  for (std::size_t i = 0; i < reps.size(); i += 2) {
    EXPECT_EQ(reps[i].substr(0, 2), reps[i + 1].substr(0, 2)) << "twins of one benchmark back to back";
    socklab_first += reps[i].find("socklab") != std::string::npos;
  }
  EXPECT_EQ(socklab_first, 8) << "each twin goes first in half the rounds";
}

TEST(Scheduler, ConnectionsRotate) {
  log l;
  auto plan = quick_plan();
  plan.rotate = 4;
  plan.min_reps = plan.max_reps = 12;
  const auto rs = run_schedule(twins("rot", l, [](int) { return 1000.0; }), plan, [](auto&) {});
  EXPECT_EQ(l.opened["rot/socklab"], 3);
  EXPECT_EQ(rs[0].sessions, 3);
  EXPECT_EQ(rs[0].samples.size(), 12u);
}

TEST(Scheduler, AFailureIsRecordedAndItsTwinGoesOn) {
  log l;
  const auto rs = run_schedule(twins(
                                   "half", l, [](int) { return 1000.0; }, /*raw_fails_at=*/6),
                               quick_plan(), [](auto&) {});
  EXPECT_EQ(named(rs, "half/raw").error, "planted failure");
  EXPECT_TRUE(named(rs, "half/socklab").error.empty());
  EXPECT_EQ(named(rs, "half/socklab").samples.size(), 8u);
}

TEST(Scheduler, TheWarmUpSettlesThenCalibratesTheRepetition) {
  log l;
  // Slow for the first six calls (a connection's start), then a steady 10,000 operations/s.
  const auto rs = run_schedule(twins("warm", l, [](int k) { return k < 6 ? 100.0 * (k + 1) : 10000.0; }),
                               quick_plan(), [](auto&) {});
  for (const auto& r : rs) {
    EXPECT_TRUE(r.warmup.settled) << r.id.name();
    EXPECT_GE(r.warmup.slices, 9);  // six slow calls, then three steady slices that agree
    EXPECT_EQ(r.iterations, 1000u) << "10,000/s x 0.1 s";
  }
}

}  // namespace
}  // namespace socklab::bench
