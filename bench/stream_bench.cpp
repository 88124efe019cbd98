// SPDX-License-Identifier: MIT
// One-way stream throughput (TCP and AF_UNIX): the measuring thread writes `size`-byte messages with
// sendall, the peer reads with the same buffer size (as iperf3 -l and the raw C anchors do). One
// connection serves the whole benchmark, warmed up until its rate has settled (as iperf3's --omit
// does): a fresh connection per repetition had measured TCP's start, 10-20 % below what one
// connection delivers at 64 KiB and more. A repetition lasts until the receiver has every byte.
//   tcp_stream_zerocopy: the same with SO_ZEROCOPY and MSG_ZEROCOPY sends; a repetition also lasts
//                        until every send's completion has been read, and zerocopy_copied_share
//                        says how many the kernel copied after all (on loopback, all of them).
//   tcp_stream_reverse:  the far end sends (iperf3 -R), asked for each repetition's messages by a
//                        request on the stream; this thread receives them, and its costs are the
//                        receiver's.
//   tcp_stream_bidir:    both at once on two connections (iperf3 --bidir): this thread sends on
//                        one while a second thread of this side receives on the other; the
//                        headline is both directions' bytes over the repetition, each direction
//                        reported too.
#include <future>

#include "families.hpp"
#include "socklab/fast_paths.hpp"
#include "support/loops.hpp"
#include "support/twins.hpp"

namespace socklab::bench {
namespace {

template <class Io>
class stream_session final : public session {
 public:
  stream_session(std::size_t size, family f, bool zerocopy = false)
      : size_(size), msg_(pattern(size)), zerocopy_(zerocopy) {
    auto pair = stream_pair(f, /*nodelay=*/false);
    near_ = std::move(pair.near);
    if (zerocopy_) set_zerocopy(near_, true);
    peer_.emplace(start_peer(std::move(pair.far), [size](peer_context& ctx) {
      buffer buf(size);
      receive_stream<Io>(ctx.sock, buf, ctx);
    }));
  }

  sample measure(std::uint64_t n) override {
    sent_ += n * size_;
    peer_->expect_bytes(sent_);
    const auto c0 = thread_cost::now();
    const auto t0 = clock::now();
    const auto before = tally_;
    if (zerocopy_) {
      send_stream_zerocopy<Io>(near_, msg_, tally_, count{n});
    } else {
      send_stream<Io>(near_, msg_, count{n});
    }
    const auto seen = peer_->acknowledged(current().watchdog);
    if (zerocopy_) await_completions();
    const auto t1 = clock::now();
    const auto c1 = thread_cost::now();
    check_stream_receipt(seen, sent_, msg_);
    sample s{n, seconds_between(t0, t1), c1 - c0, seen.cost - last_.cost, {}, -1};
    last_ = seen;
    const double secs = s.seconds;
    s.counters = {{"bytes_per_second", static_cast<double>(n * size_) / secs},
                  {"items_per_second", static_cast<double>(n) / secs}};
    if (zerocopy_ && tally_.done > before.done)
      s.counters.emplace_back("zerocopy_copied_share", static_cast<double>(tally_.copied - before.copied) /
                                                           static_cast<double>(tally_.done - before.done));
    return s;
  }

  std::string finish() override { return end_stream_peer(near_, *peer_); }

 private:
  // The last completions come once the receiver has read the data: wait for them, bounded.
  void await_completions() {
    const auto deadline = clock::now() + current().watchdog;
    for (collect_zerocopy<Io>(near_, tally_); tally_.done < tally_.calls; collect_zerocopy<Io>(near_, tally_))
      if (clock::now() > deadline)
        throw std::runtime_error(std::to_string(tally_.calls - tally_.done) +
                                 " zerocopy completions never came");
  }

  std::size_t size_;
  buffer msg_;
  bool zerocopy_;
  zerocopy_tally tally_;
  socket near_;
  std::optional<peer_runner> peer_;
  std::uint64_t sent_ = 0;
  peer_report last_;
};

// The reverse direction of a stream benchmark: a far end that sends on request.
template <class Io>
class reverse_stream {
 public:
  explicit reverse_stream(std::size_t size) : size_(size), msg_sum_(byte_sum(pattern(size))), buf_(size) {
    auto pair = stream_pair(family::inet, /*nodelay=*/false);
    near_ = std::move(pair.near);
    peer_.emplace(start_peer(std::move(pair.far), [size](peer_context& ctx) {
      const buffer msg = pattern(size);
      send_on_request<Io>(ctx.sock, msg, ctx);
    }));
  }

  /// The next repetition's count, announced to the far end's board before anything is timed.
  void expect(std::uint64_t n) { peer_->expect_bytes(sent_ += n * size_); }
  /// Receives the n messages just expected; throws if a byte is missing or, with --verify, wrong.
  void receive(std::uint64_t n) {
    const auto checksum = receive_requested<Io>(near_, n, buf_, current().verify);
    if (current().verify && checksum != msg_sum_ * n)
      throw std::runtime_error("the received bytes' checksum differs from the sender's");
  }
  /// The far end's report once it has sent everything: what it sent and what that cost it since
  /// the last repetition.
  thread_cost far_cost() {
    const auto seen = peer_->acknowledged(current().watchdog);
    if (seen.bytes != sent_)
      throw std::runtime_error("the sender reports " + std::to_string(seen.bytes) + " of " +
                               std::to_string(sent_) + " bytes");
    const auto cost = seen.cost - last_.cost;
    last_ = seen;
    return cost;
  }
  std::string finish() { return end_stream_peer(near_, *peer_); }

 private:
  std::size_t size_;
  std::uint64_t msg_sum_;  // the far end's message's checksum
  buffer buf_;
  socket near_;
  std::optional<peer_runner> peer_;
  std::uint64_t sent_ = 0;
  peer_report last_;
};

template <class Io>
class reverse_stream_session final : public session {
 public:
  explicit reverse_stream_session(std::size_t size) : size_(size), back_(size) {}

  sample measure(std::uint64_t n) override {
    back_.expect(n);
    const auto c0 = thread_cost::now();
    const auto t0 = clock::now();
    back_.receive(n);
    const auto t1 = clock::now();
    const auto c1 = thread_cost::now();
    sample s{n, seconds_between(t0, t1), c1 - c0, back_.far_cost(), {}, -1};
    s.counters = {{"bytes_per_second", static_cast<double>(n * size_) / s.seconds},
                  {"items_per_second", static_cast<double>(n) / s.seconds}};
    return s;
  }

  std::string finish() override { return back_.finish(); }

 private:
  std::size_t size_;
  reverse_stream<Io> back_;
};

template <class Io>
class bidir_stream_session final : public session {
 public:
  explicit bidir_stream_session(std::size_t size) : forth_(size, family::inet), back_(size), size_(size) {}

  sample measure(std::uint64_t n) override {
    back_.expect(n);
    const auto t0 = clock::now();
    // The second thread of this side: receives the reverse direction, timed and costed on its own.
    auto reverse = std::async(std::launch::async, [&] {
      const auto c0 = thread_cost::now();
      back_.receive(n);
      return std::pair{clock::now(), thread_cost::now() - c0};
    });
    sample forward;
    try {
      forward = forth_.measure(n);
    } catch (...) {
      reverse.wait();  // bounded: its receives time out with the watchdog
      throw;
    }
    const auto forward_end = clock::now();
    const auto [reverse_end, reverse_cost] = reverse.get();
    const auto t1 = std::max(forward_end, reverse_end);
    sample s{n, seconds_between(t0, t1), forward.near + reverse_cost, forward.far + back_.far_cost(), {}, -1};
    const double bytes = static_cast<double>(n * size_);
    s.counters = {{"bytes_per_second", 2 * bytes / s.seconds},
                  {"items_per_second", 2 * static_cast<double>(n) / s.seconds},
                  {"forward_bytes_per_second", bytes / forward.seconds},
                  {"reverse_bytes_per_second", bytes / seconds_between(t0, reverse_end)}};
    return s;
  }

  std::string finish() override {
    auto forward = forth_.finish();
    auto reverse = back_.finish();
    return forward.empty() ? reverse : forward;
  }

 private:
  stream_session<Io> forth_;
  reverse_stream<Io> back_;
  std::size_t size_;
};

}  // namespace

std::vector<bench_case> stream_cases(profile p) {
  const bool quick = p == profile::quick;
  std::vector<bench_case> out;
  add_twins<stream_session>(out, "tcp_stream",
                            quick ? std::vector<std::int64_t>{64, 4096, 65536, 1 << 20}
                                  : std::vector<std::int64_t>{64, 512, 4096, 16384, 65536, 262144, 1 << 20},
                            family::inet);
  add_twins<stream_session>(
      out, "unix_stream",
      quick ? std::vector<std::int64_t>{4096, 65536} : std::vector<std::int64_t>{64, 4096, 65536, 1 << 20},
      family::unix_domain);
  if (kernel_paths().zerocopy)  // else left out, and the run's context says so
    add_twins<stream_session>(out, "tcp_stream_zerocopy", std::vector<std::int64_t>{65536, 1 << 20},
                              family::inet,
                              /*zerocopy=*/true);
  const auto directed =
      quick ? std::vector<std::int64_t>{65536} : std::vector<std::int64_t>{4096, 65536, 1 << 20};
  add_twins<reverse_stream_session>(out, "tcp_stream_reverse", directed);
  add_twins<bidir_stream_session>(out, "tcp_stream_bidir", directed);
  return out;
}

}  // namespace socklab::bench
