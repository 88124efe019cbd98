// SPDX-License-Identifier: MIT
// What every family needs around its loops: the CPU plan, a peer with the run's options, buffers
// and checksums.
#pragma once

#include <chrono>
#include <cstdint>
#include <new>
#include <span>
#include <string>
#include <vector>

#include "endpoints.hpp"
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

}  // namespace socklab::bench
