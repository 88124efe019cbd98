// SPDX-License-Identifier: MIT
// The open-loop scheduler on a simulated clock: a known schedule and known service times give
// known latencies, corrected from the due time and uncorrected from the send.
#include "support/open_loop.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

namespace socklab::bench {
namespace {

using namespace std::chrono_literals;
using time_point = std::chrono::steady_clock::time_point;

// Runs `service.size()` requests at 1,000 per second against a server whose i-th answer takes
// service[i]; returns every request's times.
std::vector<request_times> simulate(const std::vector<std::chrono::microseconds>& service,
                                    open_loop_record& r) {
  std::vector<request_times> log;
  r.log = &log;
  arrival_schedule schedule(1000.0, arrivals::constant);
  time_point now{};
  std::size_t i = 0;
  run_open_loop(
      schedule, time_point{}, service.size(), 1ms, [&](time_point due) { return now = std::max(now, due); },
      [&] { return now += service[i++]; }, r);
  return log;
}

TEST(OpenLoop, AStalledAnswerDelaysTheNextSendsAndOnlyTheCorrectedLatencyShowsIt) {
  // 100 us answers, but the third takes 5 ms: requests 3..7 leave late, one after another.
  std::vector<std::chrono::microseconds> service(10, 100us);
  service[2] = 5000us;
  open_loop_record r;
  const auto log = simulate(service, r);
  ASSERT_EQ(log.size(), 10u);
  const std::vector<std::int64_t> corrected_us{100, 100, 5000, 4100, 3200, 2300, 1400, 500, 100, 100};
  const std::vector<std::int64_t> uncorrected_us{100, 100, 5000, 100, 100, 100, 100, 100, 100, 100};
  for (std::size_t i = 0; i < log.size(); ++i) {
    EXPECT_EQ(log[i].due, static_cast<std::int64_t>(i) * 1'000'000) << i;
    EXPECT_EQ(log[i].answered - log[i].due, corrected_us[i] * 1000) << "corrected, request " << i;
    EXPECT_EQ(log[i].answered - log[i].sent, uncorrected_us[i] * 1000) << "uncorrected, request " << i;
  }
  EXPECT_EQ(r.late, 4u);  // requests 3, 4, 5 and 6 left a whole gap or more after they were due
  EXPECT_EQ(r.corrected.max(), 5'000'000u);
  EXPECT_EQ(r.uncorrected.max(), 5'000'000u);
  // The 90th percentile: the uncorrected one misses the queue behind the stall.
  EXPECT_NEAR(static_cast<double>(r.corrected.quantile(0.9)), 4'100'000, 4'100'000 * 0.01);
  EXPECT_NEAR(static_cast<double>(r.uncorrected.quantile(0.9)), 100'000, 100'000 * 0.01);
}

TEST(OpenLoop, AServerFasterThanTheScheduleShowsNoOmission) {
  open_loop_record r;
  const auto log = simulate(std::vector<std::chrono::microseconds>(50, 300us), r);
  for (const auto& t : log) {
    EXPECT_EQ(t.sent, t.due);
    EXPECT_EQ(t.answered - t.due, 300'000);
  }
  EXPECT_EQ(r.late, 0u);
  EXPECT_EQ(r.corrected.quantile(0.99), r.uncorrected.quantile(0.99));
}

TEST(ArrivalSchedule, ConstantArrivalsAreEvenlySpaced) {
  arrival_schedule s(4000.0, arrivals::constant);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(s.next(), std::chrono::nanoseconds(250'000LL * i));
}

TEST(ArrivalSchedule, PoissonArrivalsHaveTheRateAndTheSpreadOfAPoissonProcess) {
  arrival_schedule s(10'000.0, arrivals::poisson, 7);
  std::vector<double> gaps;
  auto last = s.next();
  EXPECT_EQ(last, 0ns);
  for (int i = 0; i < 100'000; ++i) {
    const auto at = s.next();
    ASSERT_GE(at, last);
    gaps.push_back(static_cast<double>((at - last).count()));
    last = at;
  }
  const double mean = std::accumulate(gaps.begin(), gaps.end(), 0.0) / static_cast<double>(gaps.size());
  double var = 0;
  for (const double g : gaps) var += (g - mean) * (g - mean);
  const double cv = std::sqrt(var / static_cast<double>(gaps.size())) / mean;
  EXPECT_NEAR(mean, 100'000.0, 100'000.0 * 0.02);  // 1 / rate, within 2 % over 100,000 gaps
  EXPECT_NEAR(cv, 1.0, 0.02);                      // exponential gaps: the spread equals the mean
  arrival_schedule again(10'000.0, arrivals::poisson, 7);
  arrival_schedule other(10'000.0, arrivals::poisson, 8);
  (void)again.next();
  (void)other.next();
  EXPECT_EQ(again.next().count(), static_cast<std::int64_t>(gaps[0]));  // seeded: reproducible
  EXPECT_NE(other.next().count(), static_cast<std::int64_t>(gaps[0]));
}

}  // namespace
}  // namespace socklab::bench
