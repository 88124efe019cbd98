// SPDX-License-Identifier: MIT
// What an operation costs the thread that makes it, beside the rate: CPU time (user and system),
// context switches and system calls. Rates on a shared 2-vCPU VM drift by 20 % within minutes;
// the CPU time per operation of the same code drifts much less, so it is the steadier measure of
// what a library adds.
#pragma once

#include <cstdint>

namespace socklab::bench {

/// Cumulative counts for the calling thread (std::rusage fields and the syscall counters).
struct thread_cost {
  double user_s = 0;
  double system_s = 0;
  std::uint64_t voluntary_switches = 0;    // the thread blocked (waited for data, a lock, ...)
  std::uint64_t involuntary_switches = 0;  // the scheduler took the CPU away
  std::uint64_t syscalls = 0;              // through socklab (thread_syscalls) or the raw twin

  /// The calling thread's counts now: getrusage(RUSAGE_THREAD) where the OS has it (else the CPU
  /// and switch fields stay 0), plus both syscall counters.
  static thread_cost now();

  double cpu_s() const { return user_s + system_s; }
  thread_cost operator-(const thread_cost& earlier) const;
  thread_cost operator+(const thread_cost& other) const;  // two threads' costs together
};

/// Whether thread_cost::now() can see per-thread CPU time on this OS.
bool thread_cost_supported();

/// The raw POSIX twin's system calls on this thread (it counts its own; socklab counts its).
extern thread_local std::uint64_t raw_syscalls;

}  // namespace socklab::bench
