// SPDX-License-Identifier: MIT
// TCP connection rate: per iteration, a new socket connects, the peer accepts and closes it at
// once, the client sees that close (EOF) and closes too. items_per_second = connections/s.
#include <sys/time.h>

#include "families.hpp"
#include "support/harness.hpp"
#include "support/io.hpp"

namespace socklab::bench {
namespace {

template <class Io>
void connect_rate(benchmark::State& st) {
  guarded(st, [&] {
    socket listener(family::inet, type::stream);
    listener.bind(ipv4_address::loopback());
    listener.listen(128);
    const auto to = target::of(listener);
    // The acceptor wakes every 20 ms so that it can notice the stop request.
    const timeval poll_interval{0, 20000};
    listener.setsockopt(SOL_SOCKET, SO_RCVTIMEO, std::as_bytes(std::span{&poll_interval, 1}));
    auto peer = start_peer(std::move(listener), [](peer_context& ctx) {
      for (;;) {
        try {
          Io::accept_and_close(ctx.sock);
          ++ctx.result.messages;
        } catch (const std::system_error& e) {
          if (e.code() != std::errc::resource_unavailable_try_again || !ctx.stop_requested()) throw;
          return;
        }
      }
    });
    for (int i = 0; i < 20; ++i) Io::connect_cycle(to);  // warm-up
    for (auto _ : st) Io::connect_cycle(to);
    peer.request_stop();
    const auto r = peer.join(join_limit());
    check_peer(r);
    if (r.messages != 20 + static_cast<std::uint64_t>(st.iterations()))
      throw std::runtime_error("the peer accepted " + std::to_string(r.messages) + " connections");
    st.SetItemsProcessed(st.iterations());
  });
}

}  // namespace

void register_connect_benchmarks(profile) {
  register_one("tcp_connect/socklab", "tcp_connect/socklab", connect_rate<via_socklab>);
  register_one("tcp_connect/raw", "tcp_connect/raw", connect_rate<via_posix>);
}

}  // namespace socklab::bench
