// SPDX-License-Identifier: MIT
// Latency under load (TCP and AF_UNIX streams): requests of `size` bytes due on a schedule at an
// offered rate, one in flight on the connection, the peer echoing each (support/open_loop.hpp).
// The offered rate is a share of the maximum (load:PCT) — the closed-loop request rate of a raw
// connection to the same echo peer, measured once per family and size before the first repetition —
// or --rate's requests per second (rate:N). Percentiles are from the due time (the headline, p99)
// and from the send (p50/p99_uncorrected_us).
#include <sys/prctl.h>

#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "families.hpp"
#include "support/loops.hpp"
#include "support/open_loop.hpp"
#include "support/twins.hpp"

namespace socklab::bench {
namespace {

using namespace std::chrono_literals;

// How long the closed-loop maximum is measured, after a warm-up as long.
constexpr auto max_rate_window = 300ms;

// A request sleeps until this close to its due time, then spins: a sleeping thread wakes tens of
// microseconds late on a VM, and that lateness would be charged to the server. The measuring thread
// has its own CPU (the default placement), so spinning takes nothing from the peer.
constexpr auto spin_before_due = 60us;

// Timer slack: the kernel may defer a sleeping thread's wake-up by this much (50 us by default).
class tight_timers {
 public:
  tight_timers() : previous_(::prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0)) {
    (void)::prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0);
  }
  ~tight_timers() {
    if (previous_ > 0) (void)::prctl(PR_SET_TIMERSLACK, previous_, 0, 0, 0);
  }
  tight_timers(const tight_timers&) = delete;
  tight_timers& operator=(const tight_timers&) = delete;

 private:
  int previous_;
};

clock::time_point wait_until(clock::time_point due) {
  if (due - clock::now() > spin_before_due) std::this_thread::sleep_until(due - spin_before_due);
  auto now = clock::now();
  while (now < due) now = clock::now();
  return now;
}

// The maximum of a family and size, measured by the first session that needs it (either twin, any
// load), so that every load of both twins is a share of the same number.
double closed_loop_maximum(family f, std::size_t size, const std::function<double()>& measure) {
  static std::mutex guard;
  static std::map<std::pair<int, std::size_t>, double> known;
  const std::lock_guard lock(guard);
  const auto key = std::pair{static_cast<int>(f), size};
  const auto it = known.find(key);
  return it != known.end() ? it->second : known[key] = measure();
}

template <class Io>
class open_loop_session final : public session {
 public:
  /// offered: requests per second, or (when `percent`) percent of the closed-loop maximum.
  open_loop_session(std::size_t size, family f, double offered, bool percent)
      : size_(size), msg_(pattern(size)), reply_(size) {
    auto pair = stream_pair(f, current().nodelay);
    near_ = std::move(pair.near);
    peer_.emplace(start_peer(std::move(pair.far), [size](peer_context& ctx) {
      buffer buf(std::max<std::size_t>(size + 1, 16));
      echo_stream<Io>(ctx.sock, buf, ctx);
    }));
    max_rate_ = maximum_rate(f);
    rate_ = percent ? max_rate_ * offered / 100 : offered;
  }

  sample measure(std::uint64_t n) override {
    peer_->expect_bytes(done_ += n * size_);
    open_loop_record record;
    std::vector<request_times> log;
    if (!current().samples.empty()) {
      log.reserve(n);
      record.log = &log;
    }
    arrival_schedule schedule(rate_, current().arrival, ++repetition_);
    const auto gap = std::chrono::nanoseconds(std::llround(1e9 / rate_));
    const tight_timers timers;
    const auto c0 = thread_cost::now();
    const auto t0 = clock::now();
    run_open_loop(
        schedule, t0, n, gap, wait_until,
        [&] {
          Io::send_all(near_, msg_);
          recv_exact<Io>(near_, reply_);
          return clock::now();
        },
        record);
    const auto t1 = clock::now();
    const auto c1 = thread_cost::now();
    const auto seen = peer_->acknowledged(current().watchdog);
    if (reply_ != msg_) throw std::runtime_error("the echo changed the message");
    sample s{n, seconds_between(t0, t1), c1 - c0, seen.cost - last_.cost, {}, -1, std::move(log)};
    last_ = seen;
    const auto us = [](std::uint64_t ns) { return static_cast<double>(ns) / 1e3; };
    s.counters = percentiles_us(record.corrected);  // from the due time: the headline's
    s.counters.insert(s.counters.end(),
                      {{"items_per_second", static_cast<double>(n) / s.seconds},
                       {"offered_per_second", rate_},
                       {"max_rate_per_second", max_rate_},
                       {"p50_uncorrected_us", us(record.uncorrected.quantile(0.50))},
                       {"p99_uncorrected_us", us(record.uncorrected.quantile(0.99))},
                       {"late_ratio", static_cast<double>(record.late) / static_cast<double>(n)}});
    return s;
  }

  std::string finish() override { return end_stream_peer(near_, *peer_); }

 private:
  // The closed-loop request rate: back-to-back round trips through raw calls on this connection.
  double maximum_rate(family f) {
    return closed_loop_maximum(f, size_, [this] {
      latency_histogram ignored;
      double rate = 0;
      for (int pass = 0; pass < 2; ++pass) {  // the first pass warms the connection up
        const auto t0 = clock::now();
        const auto c = round_trips<via_posix>(near_, type::stream, msg_, reply_, ignored, false,
                                              until{t0 + max_rate_window});
        done_ += c.answered * size_;
        rate = static_cast<double>(c.answered) / seconds_between(t0, clock::now());
      }
      return rate;
    });
  }

  std::size_t size_;
  buffer msg_;
  buffer reply_;
  socket near_;
  std::optional<peer_runner> peer_;
  double max_rate_ = 0;
  double rate_ = 0;
  std::uint64_t repetition_ = 0;  // seeds each repetition's Poisson arrivals
  std::uint64_t done_ = 0;        // bytes echoed in all
  peer_report last_;
};

}  // namespace

std::vector<bench_case> open_loop_cases(profile p) {
  const bool quick = p == profile::quick;
  const auto sizes = quick ? std::vector<std::int64_t>{64} : std::vector<std::int64_t>{64, 1024};
  // The quick profile (the main job's) keeps the load the target names; the sweep is full's.
  const auto loads =
      quick ? std::vector<std::int64_t>{50} : std::vector<std::int64_t>{10, 25, 50, 75, 90, 100, 120};
  const auto rate = current().rate_bps;
  std::vector<bench_case> out;
  for (const auto& [name, f] :
       {std::pair{"tcp_rr_open", family::inet}, std::pair{"unix_rr_open", family::unix_domain}}) {
    for (const auto size : sizes) {
      if (rate > 0) {
        add_twin_pair<open_loop_session>(
            out, bench_id{name, "", size, {{"rate", static_cast<std::int64_t>(rate)}}}, f,
            static_cast<double>(rate), false);
        continue;
      }
      for (const auto load : loads)
        add_twin_pair<open_loop_session>(out, bench_id{name, "", size, {{"load", load}}}, f,
                                         static_cast<double>(load), true);
    }
  }
  return out;
}

}  // namespace socklab::bench
