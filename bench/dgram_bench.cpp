// SPDX-License-Identifier: MIT
// Datagram throughput (UDP and AF_UNIX): the measuring thread sends as fast as the kernel takes
// datagrams; the peer counts what arrives. On loopback the receiver, not the wire, drops, so every
// row carries the sender's rate (bytes_per_second, items_per_second: the headline, as iperf3 -b 0
// reports it), the receiver's (recv_bytes_per_second) and the loss between them.
//   udp_stream, unix_dgram: a connected socket and send(), as iperf3 sends; no route lookup or
//                           address copy per datagram.
//   udp_sendto:             an unconnected socket, sendto() with the address each time and
//                           recvfrom() at the receiver: what Python's UDP servers and clients do.
// A repetition ends with a marker datagram (resent until acknowledged: it may be dropped too).
#include <algorithm>

#include "families.hpp"
#include "support/loops.hpp"
#include "support/twins.hpp"

namespace socklab::bench {
namespace {

enum class addressing { connected, unconnected };

template <class Io>
class dgram_session final : public session {
 public:
  dgram_session(std::size_t size, family f, addressing a)
      : size_(size), msg_(pattern(size)), unconnected_(a == addressing::unconnected) {
    auto pair = dgram_pair(f, !unconnected_);
    near_ = std::move(pair.near);
    to_ = pair.far_target;
    const bool from = unconnected_;
    peer_.emplace(start_peer(std::move(pair.far), [size, from](peer_context& ctx) {
      buffer buf(std::max<std::size_t>(size + 1, 16));  // room for a marker, and to see oversized data
      receive_datagrams<Io>(ctx.sock, buf, size, from, ctx);
    }));
  }

  sample measure(std::uint64_t n) override {
    const auto marker = peer_->expect_marker(size_);
    const auto c0 = thread_cost::now();
    const auto t0 = clock::now();
    const auto sent = send_datagrams<Io>(near_, msg_, unconnected_ ? &to_ : nullptr, count{n});
    const auto t_sent = clock::now();
    const auto c1 = thread_cost::now();
    const auto seen = peer_->acknowledged(current().watchdog, [&] { send_marker(marker); });
    const auto t1 = clock::now();
    const auto received = seen.messages - last_.messages;
    if (received > sent) throw std::runtime_error("the receiver counted more datagrams than were sent");
    sample s{n, seconds_between(t0, t_sent), c1 - c0, seen.cost - last_.cost, {}, -1};
    last_ = seen;
    const double secs = s.seconds;
    s.counters = {
        {"bytes_per_second", static_cast<double>(sent * size_) / secs},
        {"items_per_second", static_cast<double>(sent) / secs},
        {"recv_bytes_per_second", static_cast<double>(received * size_) / seconds_between(t0, t1)},
        {"loss_ratio", sent ? 1.0 - static_cast<double>(received) / static_cast<double>(sent) : 1.0}};
    return s;
  }

  std::string finish() override {
    const auto stop = marker_datagram(0, size_);
    return peer_->join(join_limit(), [&] { send_marker(stop); });
  }

 private:
  // Not measured: plain calls whose failure (a full queue) only means "send it again".
  void send_marker(const std::vector<std::byte>& m) {
    (void)(unconnected_ ? near_.try_sendto(m, to_.addr) : near_.try_send(m));
  }

  std::size_t size_;
  buffer msg_;
  bool unconnected_;
  socket near_;
  target to_;
  std::optional<peer_runner> peer_;
  peer_report last_;
};

}  // namespace

std::vector<bench_case> dgram_cases(profile p) {
  const bool quick = p == profile::quick;
  const auto udp = quick ? std::vector<std::int64_t>{64, 1472, 32768}
                         : std::vector<std::int64_t>{64, 512, 1472, 8192, 32768, 65507};
  std::vector<bench_case> out;
  add_twins<dgram_session>(out, "udp_stream", udp, family::inet, addressing::connected);
  add_twins<dgram_session>(out, "udp_sendto",
                           quick ? std::vector<std::int64_t>{1472} : std::vector<std::int64_t>{64, 1472},
                           family::inet, addressing::unconnected);
  add_twins<dgram_session>(
      out, "unix_dgram",
      quick ? std::vector<std::int64_t>{64, 8192} : std::vector<std::int64_t>{64, 1472, 8192, 32768},
      family::unix_domain, addressing::connected);
  return out;
}

}  // namespace socklab::bench
