// SPDX-License-Identifier: MIT
// Datagram throughput (UDP and AF_UNIX): the measuring thread sends as fast as sendto allows; the
// peer counts what arrives. Reported: sender rate (bytes_per_second, items_per_second = datagrams),
// receiver rate and loss ratio, since on loopback UDP the receiver, not the wire, drops.
#include <sys/time.h>

#include "families.hpp"
#include "support/harness.hpp"
#include "support/io.hpp"

namespace socklab::bench {
namespace {

template <class Io>
void dgram_throughput(benchmark::State& st, family f) {
  guarded(st, [&] {
    const auto size = static_cast<std::size_t>(st.range(0));
    auto pair = dgram_pair(f);
    // The receiver has no EOF: it wakes every 20 ms to see whether it was told to stop.
    const timeval poll_interval{0, 20000};
    pair.far.setsockopt(SOL_SOCKET, SO_RCVTIMEO, std::as_bytes(std::span{&poll_interval, 1}));
    auto peer = start_peer(std::move(pair.far), [size](peer_context& ctx) {
      buffer buf(size + 1);
      auto& r = ctx.result;
      clock::time_point first{}, last{};
      auto silent_since = clock::now();
      for (;;) {
        try {
          const auto n = Io::recv_from(ctx.sock, buf);
          if (r.messages == 0) first = clock::now();
          ++r.messages;
          r.bytes += n;
          last = silent_since = clock::now();
        } catch (const std::system_error& e) {
          if (!timed_out(e)) throw;  // SO_RCVTIMEO: time to look for a stop request
          if (ctx.stop_requested()) break;
          if (clock::now() - silent_since > current().watchdog)
            throw std::runtime_error("no datagram and no stop");
        }
      }
      r.seconds = seconds_between(first, last);
    });
    const auto msg = pattern(size);
    constexpr std::uint64_t warm = 64;
    for (std::uint64_t i = 0; i < warm; ++i) Io::send_to(pair.near, msg, pair.far_target);
    for (auto _ : st) Io::send_to(pair.near, msg, pair.far_target);
    const auto sent = warm + static_cast<std::uint64_t>(st.iterations());
    peer.request_stop();
    const auto r = peer.join(join_limit());
    check_peer(r);
    if (r.messages > sent) throw std::runtime_error("receiver counted more datagrams than were sent");
    // Some loss is the measurement; none arriving at all means the receiver is stalled or gone.
    if (r.messages == 0)
      throw std::runtime_error("the receiver got none of " + std::to_string(sent) + " datagrams");
    st.SetBytesProcessed(st.iterations() * static_cast<std::int64_t>(size));
    st.SetItemsProcessed(st.iterations());
    st.counters["loss_ratio"] = 1.0 - static_cast<double>(r.messages) / static_cast<double>(sent);
    if (r.seconds > 0) st.counters["recv_bytes_per_second"] = static_cast<double>(r.bytes) / r.seconds;
  });
}

}  // namespace

void register_dgram_benchmarks(profile p) {
  const bool quick = p == profile::quick;
  const std::vector<std::int64_t> udp = quick ? std::vector<std::int64_t>{64, 1472, 32768}
                                              : std::vector<std::int64_t>{64, 512, 1472, 8192, 32768, 65507};
  const std::vector<std::int64_t> unix_sizes =
      quick ? std::vector<std::int64_t>{64, 8192} : std::vector<std::int64_t>{64, 1472, 8192, 32768};
  const auto fn = [](auto io, benchmark::State& st, family f) { dgram_throughput<decltype(io)>(st, f); };
  register_twins("udp_stream", fn, udp, family::inet);
  register_twins("unix_dgram", fn, unix_sizes, family::unix_domain);
}

}  // namespace socklab::bench
