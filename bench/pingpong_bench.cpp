// SPDX-License-Identifier: MIT
// Request/response latency (TCP, UDP, AF_UNIX stream): one `size`-byte message out, the same back,
// one round trip per operation, on one connection for the whole benchmark. Every round trip's
// duration goes into a histogram per repetition, and the percentiles come from it (never from
// means): p50, p90, p99, p99.9, max, in microseconds; p50 is the headline.
//   tcp_pingpong_busy_poll, udp_pingpong_busy_poll: the same with SO_BUSY_POLL at 50 us on both
//                                                   ends (left out where the kernel refuses it).
#include <algorithm>

#include "families.hpp"
#include "socklab/fast_paths.hpp"
#include "support/loops.hpp"
#include "support/twins.hpp"

namespace socklab::bench {
namespace {

constexpr std::chrono::microseconds busy_poll_spin{50};  // the kernel documentation's suggested value

template <class Io>
class pingpong_session final : public session {
 public:
  pingpong_session(std::size_t size, family f, type t, bool busy_poll = false)
      : size_(size), type_(t), msg_(pattern(size)), reply_(size) {
    auto pair = t == type::stream ? stream_pair(f, current().nodelay) : dgram_pair(f, /*connected=*/true);
    if (busy_poll) {
      Io::set_busy_poll(pair.near, busy_poll_spin);
      Io::set_busy_poll(pair.far, busy_poll_spin);
    }
    near_ = std::move(pair.near);
    peer_.emplace(start_peer(std::move(pair.far), [size, t](peer_context& ctx) {
      buffer buf(std::max<std::size_t>(size + 1, 16));
      if (t == type::stream)
        echo_stream<Io>(ctx.sock, buf, ctx);
      else
        echo_datagrams<Io>(ctx.sock, buf, size, ctx);
    }));
  }

  sample measure(std::uint64_t n) override {
    if (type_ == type::stream) {
      peer_->expect_bytes(done_ += n * size_);
    } else {
      peer_->expect_messages(done_ += n);
    }
    return timed_round_trips(n, *peer_, last_, msg_, reply_, [&](latency_histogram& h) {
      round_trips<Io>(near_, type_, msg_, reply_, h, /*tolerate_loss=*/false, count{n});
    });
  }

  std::string finish() override {
    if (type_ == type::stream) {
      return end_stream_peer(near_, *peer_);
    }
    const auto stop = marker_datagram(0, size_);
    return peer_->join(join_limit(), [&] { (void)near_.try_send(stop); });
  }

 private:
  std::size_t size_;
  type type_;
  buffer msg_;
  buffer reply_;
  socket near_;
  std::optional<peer_runner> peer_;
  std::uint64_t done_ = 0;  // bytes (stream) or messages (datagram) echoed in all
  peer_report last_;
};

}  // namespace

std::vector<bench_case> pingpong_cases(profile p) {
  const bool quick = p == profile::quick;
  const auto stream_sizes =
      quick ? std::vector<std::int64_t>{1, 16384} : std::vector<std::int64_t>{1, 64, 1024, 16384, 65536};
  const auto udp_sizes =
      quick ? std::vector<std::int64_t>{1, 16384} : std::vector<std::int64_t>{1, 64, 1024, 16384, 65507};
  std::vector<bench_case> out;
  add_twins<pingpong_session>(out, "tcp_pingpong", stream_sizes, family::inet, type::stream);
  add_twins<pingpong_session>(out, "udp_pingpong", udp_sizes, family::inet, type::dgram);
  add_twins<pingpong_session>(out, "unix_pingpong", stream_sizes, family::unix_domain, type::stream);
  if (!quick && kernel_paths().busy_poll) {  // else left out (the context says when the kernel refused)
    const auto sizes = std::vector<std::int64_t>{1};
    add_twins<pingpong_session>(out, "tcp_pingpong_busy_poll", sizes, family::inet, type::stream, true);
    add_twins<pingpong_session>(out, "udp_pingpong_busy_poll", sizes, family::inet, type::dgram, true);
  }
  return out;
}

}  // namespace socklab::bench
