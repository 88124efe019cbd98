// SPDX-License-Identifier: MIT
// Latency under a chosen load, measured as wrk2 measures it. Requests are due on a schedule at a
// target rate (evenly spaced, or Poisson arrivals); each connection has one request in flight, so
// a late answer delays the next send. A closed-loop tester times each request from when it went
// out and so never sees the requests that should have gone out meanwhile (coordinated omission);
// here each one is also timed from when it was due. Both are recorded: `corrected` (from the due
// time, the latency a user arriving on schedule sees) and `uncorrected` (from the send), side by
// side, so that the omission error is visible.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "engine/session.hpp"
#include "histogram.hpp"
#include "options.hpp"

namespace socklab::bench {

/// When each request is due, as an offset from the start of a run: the i-th at i / rate, or after
/// exponentially distributed gaps of mean 1 / rate (a Poisson process), from a seeded generator.
class arrival_schedule {
 public:
  arrival_schedule(double rate_per_second, arrivals kind, std::uint64_t seed = 1)
      : gap_ns_(1e9 / rate_per_second), kind_(kind), rng_(seed) {}

  std::chrono::nanoseconds next() {
    const double at = kind_ == arrivals::constant ? static_cast<double>(count_) * gap_ns_ : poisson_at_;
    if (kind_ == arrivals::poisson) poisson_at_ += std::exponential_distribution<double>(1.0)(rng_) * gap_ns_;
    ++count_;
    return std::chrono::nanoseconds(std::llround(at));
  }

 private:
  double gap_ns_;
  arrivals kind_;
  std::mt19937_64 rng_;
  std::uint64_t count_ = 0;
  double poisson_at_ = 0;
};

/// What a run of open-loop requests came to.
struct open_loop_record {
  latency_histogram corrected;    // answered - due
  latency_histogram uncorrected;  // answered - sent
  std::uint64_t late = 0;         // requests sent after their due time had passed by a gap or more
  std::vector<request_times>* log = nullptr;  // every request, when someone asked for the samples

  void add(std::int64_t due, std::int64_t sent, std::int64_t answered, std::int64_t gap) {
    corrected.record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, answered - due)));
    uncorrected.record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, answered - sent)));
    if (sent - due >= gap) ++late;
    if (log != nullptr) log->push_back({due, sent, answered});
  }
};

/// Runs n requests on one connection. wait_until(t) returns when t has come (or at once if it has
/// passed) and gives the time then; round_trip() sends a request, waits for its answer and gives the
/// time it came. Times are clock time points; `start` is when the first request is due.
template <class TimePoint, class WaitUntil, class RoundTrip>
void run_open_loop(arrival_schedule& schedule, TimePoint start, std::uint64_t n, std::chrono::nanoseconds gap,
                   WaitUntil wait_until, RoundTrip round_trip, open_loop_record& record) {
  const auto since = [start](TimePoint t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t - start).count();
  };
  for (std::uint64_t i = 0; i < n; ++i) {
    const auto due = start + schedule.next();
    const TimePoint sent = wait_until(due);
    const TimePoint answered = round_trip();
    record.add(since(due), since(sent), since(answered), gap.count());
  }
}

}  // namespace socklab::bench
