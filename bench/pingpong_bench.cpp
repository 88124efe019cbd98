// SPDX-License-Identifier: MIT
// Request/response latency (TCP, UDP, AF_UNIX stream): one `size`-byte message out, the same back,
// one round trip per iteration. Every round trip's duration goes into a histogram, and the
// percentiles come from it (never from means): p50, p90, p99, p99.9, max, in microseconds.
#include <sys/time.h>

#include "families.hpp"
#include "support/harness.hpp"
#include "support/histogram.hpp"
#include "support/io.hpp"

namespace socklab::bench {
namespace {

// Reads exactly buf.size() bytes from a stream (the echo may come back in pieces).
template <class Io>
void recv_exact(socket& s, std::span<std::byte> buf) {
  for (std::size_t got = 0; got < buf.size();) {
    const auto n = Io::recv_some(s, buf.subspan(got));
    if (n == 0) throw std::runtime_error("peer closed mid-message");
    got += n;
  }
}

template <class Io>
void round_trip(socket& s, type t, std::span<const std::byte> msg, std::span<std::byte> reply,
                const target& to) {
  if (t == type::stream) {
    Io::send_all(s, msg);
    recv_exact<Io>(s, reply);
  } else {
    Io::send_to(s, msg, to);
    if (Io::recv_from(s, reply) != msg.size()) throw std::runtime_error("echoed datagram has the wrong size");
  }
}

template <class Io>
peer_body echo_body(type t, std::size_t size, target back) {
  return [t, size, back](peer_context& ctx) {
    buffer buf(size + 1);
    if (t == type::stream) {
      for (std::size_t n = Io::recv_some(ctx.sock, buf); n != 0; n = Io::recv_some(ctx.sock, buf)) {
        Io::send_all(ctx.sock, std::span(buf).first(n));
        ctx.result.bytes += n;
      }
      return;
    }
    for (;;) {
      try {
        const auto n = Io::recv_from(ctx.sock, buf);
        Io::send_to(ctx.sock, std::span(buf).first(n), back);
        ++ctx.result.messages;
      } catch (const std::system_error& e) {
        if (e.code() != std::errc::resource_unavailable_try_again || !ctx.stop_requested()) throw;
        return;
      }
    }
  };
}

template <class Io>
void pingpong(benchmark::State& st, family f, type t) {
  guarded(st, [&] {
    const auto size = static_cast<std::size_t>(st.range(0));
    auto pair = t == type::stream ? stream_pair(f, current().nodelay) : dgram_pair(f);
    if (t == type::dgram) {
      // The echo wakes every 20 ms so that it can notice the stop request.
      const timeval poll_interval{0, 20000};
      pair.far.setsockopt(SOL_SOCKET, SO_RCVTIMEO, std::as_bytes(std::span{&poll_interval, 1}));
    }
    auto peer = start_peer(std::move(pair.far), echo_body<Io>(t, size, pair.near_target));
    const auto msg = pattern(size);
    buffer reply(size);
    for (int i = 0; i < 100; ++i) round_trip<Io>(pair.near, t, msg, reply, pair.far_target);  // warm-up
    latency_histogram h;
    for (auto _ : st) {
      const auto t0 = clock::now();
      round_trip<Io>(pair.near, t, msg, reply, pair.far_target);
      h.record(static_cast<std::uint64_t>(std::chrono::nanoseconds(clock::now() - t0).count()));
    }
    if (reply != msg) throw std::runtime_error("the echo changed the message");
    if (t == type::stream) pair.near.shutdown(shut::wr);
    peer.request_stop();
    check_peer(peer.join(join_limit()));
    st.SetItemsProcessed(st.iterations());  // items_per_second = round trips per second
    const auto us = [&](double q) { return static_cast<double>(h.quantile(q)) / 1000.0; };
    st.counters["p50_us"] = us(0.50);
    st.counters["p90_us"] = us(0.90);
    st.counters["p99_us"] = us(0.99);
    st.counters["p999_us"] = us(0.999);
    st.counters["max_us"] = static_cast<double>(h.max()) / 1000.0;
  });
}

}  // namespace

void register_pingpong_benchmarks(profile p) {
  const bool quick = p == profile::quick;
  const std::vector<std::int64_t> stream_sizes =
      quick ? std::vector<std::int64_t>{1, 16384} : std::vector<std::int64_t>{1, 64, 1024, 16384, 65536};
  const std::vector<std::int64_t> udp_sizes =
      quick ? std::vector<std::int64_t>{1, 16384} : std::vector<std::int64_t>{1, 64, 1024, 16384, 65507};
  const auto fn = [](auto io, benchmark::State& st, family f, type t) { pingpong<decltype(io)>(st, f, t); };
  register_twins("tcp_pingpong", fn, stream_sizes, family::inet, type::stream);
  register_twins("udp_pingpong", fn, udp_sizes, family::inet, type::dgram);
  register_twins("unix_pingpong", fn, stream_sizes, family::unix_domain, type::stream);
}

}  // namespace socklab::bench
