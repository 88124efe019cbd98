// SPDX-License-Identifier: MIT
// What every family needs around its timed loop: the CPU plan, a peer with the run's options,
// error mapping, checksums.
#pragma once

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <new>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "endpoints.hpp"
#include "io.hpp"
#include "options.hpp"
#include "peer.hpp"
#include "placement.hpp"

namespace socklab::bench {

/// The placement in force for this run (computed once from the options).
const cpu_plan& plan();

/// `body`, or the fault --inject-peer-fault asks for in its place.
peer_body with_fault(peer_body body);

/// A peer for `sock` in the configured mode, pinned as the plan says.
inline peer_runner start_peer(socket sock, peer_body body) {
  return peer_runner(current().peer, plan().peer_cpu, std::move(sock), with_fault(std::move(body)));
}

/// How long to wait for a peer to finish once told to: the watchdog plus a margin.
inline std::chrono::milliseconds join_limit() { return current().watchdog + std::chrono::seconds(5); }

/// Whether a socket call failed because its kernel timeout (SO_RCVTIMEO/SO_SNDTIMEO) expired.
inline bool timed_out(const std::system_error& e) {
  return e.code() == std::errc::resource_unavailable_try_again ||
         e.code() == std::errc::operation_would_block;
}

/// Runs a family's body; any exception ends the benchmark with SkipWithError (Google Benchmark
/// then records error_occurred, and socklab-bench exits non-zero).
template <class F>
void guarded(benchmark::State& st, F&& body) {
  try {
    body();
  } catch (const std::system_error& e) {
    // The kernel timeouts are the watchdog: one expiring means the peer went silent.
    const std::string message = timed_out(e)
                                    ? std::string(e.what()) + " (peer silent past the " +
                                          std::to_string(current().watchdog.count()) + " ms watchdog)"
                                    : e.what();
    st.SkipWithError(message.c_str());  // Google Benchmark 1.7 copies the text
  } catch (const std::exception& e) {
    st.SkipWithError(e.what());
  }
}

/// Prints "socklab-bench: [  42 s] NAME" on stderr, at most every few seconds: with interleaved
/// repetitions Google Benchmark reports only near the end, so this is the run's sign of life.
void show_progress(const std::string& name);

/// Registers `fn(state, args...)` under `name` (sizes are appended as the argument), on wall-clock time.
template <class Fn, class... Args>
benchmark::internal::Benchmark* register_one(const std::string& name, const std::string& shown, Fn fn,
                                             Args... args) {
  return benchmark::RegisterBenchmark(name.c_str(),
                                      [shown, fn, args...](benchmark::State& st) {
                                        show_progress(shown);
                                        fn(st, args...);
                                      })
      ->UseRealTime();
}

/// Registers `fn(Io{}, state, args...)` as "<family>/<Io::name>/<size>" for each size.
template <class Io, class Fn, class... Args>
void register_sizes(const std::string& family_name, Fn fn, const std::vector<std::int64_t>& sizes,
                    Args... args) {
  const auto base = family_name + "/" + Io::name;
  const double planted_share = std::is_same_v<Io, via_socklab_slowed> ? current().plant_fraction : 0.0;
  const auto run = [fn, planted_share](benchmark::State& st, Args... a) {
    plant_slowdown(planted_share);
    fn(Io{}, st, a...);
    plant_slowdown(0.0);
  };
  for (const auto size : sizes)
    register_one(base, base + "/" + std::to_string(size), run, args...)->Arg(size);
}

/// Registers a family's two implementations, socklab and raw POSIX. `fn` is generic over the
/// implementation: fn(Io{}, state, args...). The socklab twin of the family that --plant-slowdown
/// names is the slowed one.
template <class Fn, class... Args>
void register_twins(const std::string& family_name, Fn fn, const std::vector<std::int64_t>& sizes,
                    Args... args) {
  if (current().plant_family == family_name)
    register_sizes<via_socklab_slowed>(family_name, fn, sizes, args...);
  else
    register_sizes<via_socklab>(family_name, fn, sizes, args...);
  register_sizes<via_posix>(family_name, fn, sizes, args...);
}

/// Throws if the peer reported an error.
void check_peer(const peer_result& r);

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
