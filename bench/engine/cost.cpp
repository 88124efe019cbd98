// SPDX-License-Identifier: MIT
#include "engine/cost.hpp"

#include <sys/resource.h>

#include "socklab/counters.hpp"

namespace socklab::bench {

thread_local std::uint64_t raw_syscalls = 0;

bool thread_cost_supported() {
#if defined(RUSAGE_THREAD)
  return true;
#else
  return false;
#endif
}

thread_cost thread_cost::now() {
  thread_cost c;
#if defined(RUSAGE_THREAD)
  rusage u{};
  if (::getrusage(RUSAGE_THREAD, &u) == 0) {
    c.user_s = static_cast<double>(u.ru_utime.tv_sec) + static_cast<double>(u.ru_utime.tv_usec) * 1e-6;
    c.system_s = static_cast<double>(u.ru_stime.tv_sec) + static_cast<double>(u.ru_stime.tv_usec) * 1e-6;
    c.voluntary_switches = static_cast<std::uint64_t>(u.ru_nvcsw);
    c.involuntary_switches = static_cast<std::uint64_t>(u.ru_nivcsw);
  }
#endif
  c.syscalls = socklab::thread_syscalls() + raw_syscalls;
  return c;
}

thread_cost thread_cost::operator-(const thread_cost& earlier) const {
  return {user_s - earlier.user_s, system_s - earlier.system_s,
          voluntary_switches - earlier.voluntary_switches,
          involuntary_switches - earlier.involuntary_switches, syscalls - earlier.syscalls};
}

thread_cost thread_cost::operator+(const thread_cost& other) const {
  return {user_s + other.user_s, system_s + other.system_s, voluntary_switches + other.voluntary_switches,
          involuntary_switches + other.involuntary_switches, syscalls + other.syscalls};
}

}  // namespace socklab::bench
