// SPDX-License-Identifier: MIT
// io_uring against the plain calls (tcp_stream, tcp_pingpong), socklab::uring against raw liburing:
//   tcp_stream_uring:   one-way TCP as tcp_stream, sent as chains of uring_chain linked zero-copy
//                       sends from a registered buffer (one submission per chain), received by one
//                       multishot receive into provided buffers of the message's size.
//   tcp_pingpong_uring: request/response as tcp_pingpong, each side's send and its next receive (a
//                       registered buffer) in one submission: one system call per round trip and
//                       side where the plain loop makes two.
// Left out, with the reason in the run's context, where the kernel or the build lacks io_uring.
#include <algorithm>
#include <bit>
#include <type_traits>

#include "families.hpp"
#include "support/loops.hpp"
#include "support/raw_uring.hpp"
#include "support/twins.hpp"
#include "support/uring_loops.hpp"

namespace socklab::bench {
namespace {

// socklab's twin uses the library's ring, the raw twin liburing by hand.
template <class Io>
using ring_for = std::conditional_t<std::is_same_v<Io, via_posix>, raw_ring, uring>;

// Provided buffers for a stream receiver: the message size each, as the plain receiver reads, and
// as many as fit in 16 MiB (4 to 64, a power of two).
std::uint16_t provided_count(std::size_t size) {
  const auto fit = std::clamp<std::size_t>((std::size_t{16} << 20) / size, 4, 64);
  return static_cast<std::uint16_t>(std::bit_floor(fit));
}

template <class Io>
class uring_stream_session final : public session {
 public:
  explicit uring_stream_session(std::size_t size) : size_(size), msg_(pattern(size)) {
    auto pair = stream_pair(family::inet, /*nodelay=*/false);
    near_ = std::move(pair.near);
    const std::array<std::span<std::byte>, 1> registered{std::span(msg_)};
    ring_.register_buffers(registered);
    peer_.emplace(start_peer(std::move(pair.far), [size](peer_context& ctx) {
      receive_stream_on_own_ring<ring_for<Io>>(ctx.sock, provided_count(size), size, ctx, current().watchdog);
    }));
  }

  sample measure(std::uint64_t n) override {
    sent_ += n * size_;
    peer_->expect_bytes(sent_);
    const auto c0 = thread_cost::now();
    const auto t0 = clock::now();
    send_stream_uring(ring_, near_, msg_, current().watchdog, count{n});
    const auto seen = peer_->acknowledged(current().watchdog);
    const auto t1 = clock::now();
    const auto c1 = thread_cost::now();
    check_stream_receipt(seen, sent_, msg_);
    sample s{n, seconds_between(t0, t1), c1 - c0, seen.cost - last_.cost, {}, -1};
    last_ = seen;
    s.counters = {{"bytes_per_second", static_cast<double>(n * size_) / s.seconds},
                  {"items_per_second", static_cast<double>(n) / s.seconds}};
    return s;
  }

  std::string finish() override { return end_stream_peer(near_, *peer_); }

 private:
  std::size_t size_;
  buffer msg_;
  ring_for<Io> ring_{64};
  socket near_;
  std::optional<peer_runner> peer_;
  std::uint64_t sent_ = 0;
  peer_report last_;
};

template <class Io>
class uring_pingpong_session final : public session {
 public:
  explicit uring_pingpong_session(std::size_t size) : size_(size), msg_(pattern(size)), reply_(size) {
    auto pair = stream_pair(family::inet, current().nodelay);
    near_ = std::move(pair.near);
    const std::array<std::span<std::byte>, 1> registered{std::span(reply_)};
    ring_.register_buffers(registered);
    peer_.emplace(start_peer(std::move(pair.far), [size](peer_context& ctx) {
      echo_stream_on_own_ring<ring_for<Io>>(ctx.sock, size, ctx, current().watchdog);
    }));
  }

  sample measure(std::uint64_t n) override {
    peer_->expect_bytes(done_ += n * size_);
    return timed_round_trips(n, *peer_, last_, msg_, reply_, [&](latency_histogram& h) {
      round_trips_uring(ring_, near_, msg_, reply_, h, current().watchdog, count{n});
    });
  }

  std::string finish() override { return end_stream_peer(near_, *peer_); }

 private:
  std::size_t size_;
  buffer msg_;
  buffer reply_;
  ring_for<Io> ring_{8};
  socket near_;
  std::optional<peer_runner> peer_;
  std::uint64_t done_ = 0;
  peer_report last_;
};

}  // namespace

std::vector<bench_case> uring_cases(profile p) {
  std::vector<bench_case> out;
  const auto& offered = uring_paths();
  if (!offered.complete()) return out;
  const bool quick = p == profile::quick;
  add_twins<uring_stream_session>(
      out, "tcp_stream_uring",
      quick ? std::vector<std::int64_t>{65536} : std::vector<std::int64_t>{4096, 65536, 1 << 20});
  add_twins<uring_pingpong_session>(
      out, "tcp_pingpong_uring",
      quick ? std::vector<std::int64_t>{1} : std::vector<std::int64_t>{1, 64, 1024, 16384});
  return out;
}

}  // namespace socklab::bench
