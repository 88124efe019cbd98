// SPDX-License-Identifier: MIT
// What every family needs around its loops: the CPU plan, a peer with the run's options, buffers
// and checksums.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <new>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "endpoints.hpp"
#include "engine/session.hpp"
#include "histogram.hpp"
#include "io.hpp"
#include "options.hpp"
#include "peer.hpp"
#include "placement.hpp"
#include "socklab/uring.hpp"

namespace socklab::bench {

/// The placement in force for this run (computed once from the options).
const cpu_plan& plan();

/// The kernel's fast paths, probed once per run (each probe opens sockets): which families run,
/// and what the run's context says was left out.
const fast_path_support& kernel_paths();
/// What io_uring offers here (see probe_uring), found once per run.
const uring_support& uring_paths();

/// `body`, or the fault --inject-peer-fault asks for in its place.
peer_body with_fault(peer_body body);

/// A peer for `sock` in the configured mode, pinned as the plan says.
inline peer_runner start_peer(socket sock, peer_body body) {
  return peer_runner(current().peer, plan().peer_cpu, std::move(sock), with_fault(std::move(body)),
                     current().verify);
}

/// How long to wait for a peer to finish once told to: the watchdog plus a margin.
inline std::chrono::milliseconds join_limit() { return current().watchdog + std::chrono::seconds(5); }

/// Ends a stream session: the peer's end of file, then its end; "" or why it did not end well.
inline std::string end_stream_peer(socket& near, peer_runner& peer) {
  try {
    near.shutdown(shut::wr);
  } catch (const std::exception&) {
    // a peer that died has closed already: join() says what became of it
  }
  return peer.join(join_limit());
}

/// Allocates on page boundaries. Where a message buffer starts within a page changes the kernel's
/// copy speed: AF_UNIX 64 KiB throughput read 2.7 or 4.8 GB/s, steadily, from two builds of the
/// same code whose heaps were laid out differently. Page-aligned buffers are the same in every run.
template <class T>
struct page_allocator {
  using value_type = T;
  page_allocator() = default;
  template <class U>
  explicit page_allocator(const page_allocator<U>& /*other*/) {}
  T* allocate(std::size_t n) {
    return static_cast<T*>(::operator new (n * sizeof(T), std::align_val_t{4096}));
  }
  void deallocate(T* p, std::size_t /*n*/) { ::operator delete (p, std::align_val_t{4096}); }
  bool operator==(const page_allocator& /*other*/) const { return true; }
};

/// Every message and receive buffer of the benchmarks.
using buffer = std::vector<std::byte, page_allocator<std::byte>>;

/// A message buffer with a recognisable pattern, and the additive checksum of its bytes.
buffer pattern(std::size_t size);
inline std::uint64_t byte_sum(std::span<const std::byte> b) {
  std::uint64_t s = 0;
  for (const auto x : b) s += std::to_integer<std::uint64_t>(x);
  return s;
}

using clock = std::chrono::steady_clock;
inline double seconds_between(clock::time_point a, clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

/// What a stream's receiver acknowledged must be every byte sent in all, `msg` after `msg` (its
/// checksum too, with --verify); else the repetition fails.
inline void check_stream_receipt(const peer_report& seen, std::uint64_t sent,
                                 std::span<const std::byte> msg) {
  if (seen.bytes != sent)
    throw std::runtime_error("the receiver counted " + std::to_string(seen.bytes) + " of " +
                             std::to_string(sent) + " bytes");
  if (current().verify && seen.checksum != byte_sum(msg) * (sent / msg.size()))
    throw std::runtime_error("the receiver's checksum differs from the sender's");
}

/// One request/response repetition: `loop(h)` makes the n round trips, each into h; timed and
/// costed on this side, then the peer's acknowledgement (its cost since `last`), and the last
/// answer checked against the request.
template <class Loop>
sample timed_round_trips(std::uint64_t n, peer_runner& peer, peer_report& last,
                         std::span<const std::byte> msg, std::span<const std::byte> reply, Loop&& loop) {
  latency_histogram h;
  const auto c0 = thread_cost::now();
  const auto t0 = clock::now();
  loop(h);
  const auto t1 = clock::now();
  const auto c1 = thread_cost::now();
  const auto seen = peer.acknowledged(current().watchdog);
  if (!std::equal(reply.begin(), reply.end(), msg.begin(), msg.end()))
    throw std::runtime_error("the echo changed the message");
  sample s{n, seconds_between(t0, t1), c1 - c0, seen.cost - last.cost, {}, -1};
  last = seen;
  s.counters = percentiles_us(h);
  s.counters.emplace(s.counters.begin(), "items_per_second", static_cast<double>(n) / s.seconds);
  return s;
}

}  // namespace socklab::bench
