// SPDX-License-Identifier: MIT
// Datagram throughput (UDP and AF_UNIX): the measuring thread sends as fast as the kernel takes
// datagrams; the peer counts what arrives. On loopback the receiver, not the wire, drops, so every
// row carries the sender's rate (bytes_per_second, items_per_second: the headline, as iperf3 -b 0
// reports it), the receiver's (recv_bytes_per_second) and the loss between them.
//   udp_stream, unix_dgram: a connected socket and send(), as iperf3 sends; no route lookup or
//                           address copy per datagram.
//   udp_sendto:             an unconnected socket, sendto() with the address each time and
//                           recvfrom() at the receiver: what Python's UDP servers and clients do.
// And Linux's fast paths (socklab/fast_paths.hpp), on a connected UDP socket, against udp_stream:
//   udp_stream_mmsg:        sendmmsg batches of 32, recvmmsg at the receiver.
//   udp_stream_gso:         one UDP_SEGMENT send of up to 64 datagrams per call (64 KiB at most);
//                           the receiver reads them one by one, as a program unaware of GSO does.
//   udp_stream_gso_gro:     the same sends to a receiver with UDP_GRO, which reads them coalesced.
// Each row carries datagrams_per_call, so that a rate per call can be read back to datagrams.
// A repetition ends with a marker datagram (resent until acknowledged: it may be dropped too).
#include <algorithm>
#include <span>
#include <vector>

#include "families.hpp"
#include "socklab/fast_paths.hpp"
#include "support/loops.hpp"
#include "support/twins.hpp"

namespace socklab::bench {
namespace {

enum class addressing { connected, unconnected };

// How the datagrams go: one per call; a batch per call; one segmented send per call, read one by
// one or coalesced.
enum class path { plain, batched, segmented, offloaded };

constexpr std::size_t datagrams_per_batch = 32;
constexpr std::size_t most_segments = 64;       // UDP_MAX_SEGMENTS before Linux 6.x
constexpr std::size_t largest_payload = 65507;  // what one UDP/IPv4 send may carry
constexpr std::size_t coalesced_room = 65536;   // a GRO read's buffer

std::size_t datagrams_per_call(path p, std::size_t size) {
  switch (p) {
    case path::plain:
      return 1;
    case path::batched:
      return datagrams_per_batch;
    case path::segmented:
    case path::offloaded:
      return std::max<std::size_t>(1,
                                   std::min(most_segments, largest_payload / std::max<std::size_t>(size, 1)));
  }
  return 1;
}

// The peer's loop for a path: it counts each datagram of `size` bytes, whatever way they come.
template <class Io>
peer_body receiver_for(path p, std::size_t size, bool from) {
  return [p, size, from](peer_context& ctx) {
    const std::size_t room =
        std::max<std::size_t>(size + 1, 16);  // room for a marker, and to see oversized data
    if (p == path::batched) {
      std::vector<buffer> bufs(datagrams_per_batch, buffer(room));
      std::vector<std::span<std::byte>> views(bufs.begin(), bufs.end());
      std::vector<std::size_t> sizes(views.size());
      receive_batches<Io>(ctx.sock, views, sizes, size, ctx);
    } else if (p == path::offloaded) {
      buffer buf(coalesced_room);
      receive_coalesced<Io>(ctx.sock, buf, size, ctx);
    } else {
      buffer buf(room);
      receive_datagrams<Io>(ctx.sock, buf, size, from, ctx);
    }
  };
}

template <class Io>
class dgram_session final : public session {
 public:
  dgram_session(std::size_t size, family f, addressing a, path p = path::plain)
      : size_(size),
        path_(p),
        per_call_(datagrams_per_call(p, size)),
        // A segmented send carries all its datagrams in one buffer; the others send `size` bytes.
        msg_(pattern(p == path::segmented || p == path::offloaded ? size * per_call_ : size)),
        batch_(p == path::batched ? per_call_ : 0, std::span<const std::byte>(msg_)),
        unconnected_(a == addressing::unconnected) {
    auto pair = dgram_pair(f, !unconnected_);
    near_ = std::move(pair.near);
    to_ = pair.far_target;
    if (p == path::offloaded) set_coalescing(pair.far, true);
    peer_.emplace(start_peer(std::move(pair.far), receiver_for<Io>(p, size, unconnected_)));
  }

  sample measure(std::uint64_t n) override {
    const auto marker = peer_->expect_marker(size_);
    const auto c0 = thread_cost::now();
    const auto t0 = clock::now();
    const auto sent = send(n);
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
        {"loss_ratio", sent ? 1.0 - static_cast<double>(received) / static_cast<double>(sent) : 1.0},
        {"datagrams_per_call", static_cast<double>(per_call_)}};
    // CPU per datagram on each end, so that paths that move many datagrams per call compare.
    if (sent > 0)
      s.counters.emplace_back("cpu_ns_per_datagram", 1e9 * s.near.cpu_s() / static_cast<double>(sent));
    if (received > 0)
      s.counters.emplace_back("peer_cpu_ns_per_datagram",
                              1e9 * s.far.cpu_s() / static_cast<double>(received));
    return s;
  }

  std::string finish() override {
    const auto stop = marker_datagram(0, size_);
    return peer_->join(join_limit(), [&] { send_marker(stop); });
  }

 private:
  // n calls of the path's kind; how many datagrams the kernel took.
  std::uint64_t send(std::uint64_t n) {
    switch (path_) {
      case path::batched:
        return send_batches<Io>(near_, batch_, count{n});
      case path::segmented:
      case path::offloaded:
        return send_segments<Io>(near_, msg_, size_, count{n});
      case path::plain:
        break;
    }
    return send_datagrams<Io>(near_, msg_, unconnected_ ? &to_ : nullptr, count{n});
  }

  // Not measured: plain calls whose failure (a full queue) only means "send it again".
  void send_marker(const std::vector<std::byte>& m) {
    (void)(unconnected_ ? near_.try_sendto(m, to_.addr) : near_.try_send(m));
  }

  std::size_t size_;
  path path_;
  std::size_t per_call_;
  buffer msg_;
  std::vector<std::span<const std::byte>> batch_;  // per_call_ views of msg_
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
  // A kernel without a path gets no benchmark for it: the run's context says what was left out.
  const auto& offered = kernel_paths();
  const std::vector<std::int64_t> fast{64, 1472};
  if (offered.batches)
    add_twins<dgram_session>(out, "udp_stream_mmsg", fast, family::inet, addressing::connected,
                             path::batched);
  if (offered.segmentation)
    add_twins<dgram_session>(out, "udp_stream_gso", fast, family::inet, addressing::connected,
                             path::segmented);
  if (offered.segmentation && offered.coalescing)
    add_twins<dgram_session>(out, "udp_stream_gso_gro", fast, family::inet, addressing::connected,
                             path::offloaded);
  return out;
}

}  // namespace socklab::bench
