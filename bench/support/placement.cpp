// SPDX-License-Identifier: MIT
#include "placement.hpp"

#if defined(__linux__)
#include <pthread.h>
#include <sched.h>
#endif

#include <vector>

namespace socklab::bench {
namespace {

std::vector<int> usable_cpus() {
  std::vector<int> cpus;
#if defined(__linux__)
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0)
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set)) cpus.push_back(c);
#endif
  return cpus;
}

}  // namespace

bool pinning_supported() {
#if defined(__linux__)
  return true;
#else
  return false;
#endif
}

bool pin_current_thread(int cpu) {
#if defined(__linux__)
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return ::pthread_setaffinity_np(::pthread_self(), sizeof set, &set) == 0;
#else
  (void)cpu;
  return false;
#endif
}

bool unpin_current_thread(const std::vector<int>& cpus) {
#if defined(__linux__)
  if (cpus.empty()) return false;
  cpu_set_t set;
  CPU_ZERO(&set);
  for (const int c : cpus) CPU_SET(c, &set);
  return ::pthread_setaffinity_np(::pthread_self(), sizeof set, &set) == 0;
#else
  (void)cpus;
  return false;
#endif
}

cpu_plan plan_for(placement p) {
  const auto cpus = usable_cpus();
  if (p == placement::unpinned) return {std::nullopt, std::nullopt, "unpinned", cpus};
  if (!pinning_supported())
    return {std::nullopt, std::nullopt, "unpinned (pinning unavailable on this OS)", cpus};
  if (cpus.empty()) return {std::nullopt, std::nullopt, "unpinned (no usable CPU list)", cpus};
  if (p == placement::same_cpu) return {cpus[0], cpus[0], "same-cpu", cpus};
  if (cpus.size() < 2) return {cpus[0], cpus[0], "same-cpu (only one CPU usable)", cpus};
  return {cpus[0], cpus[1], "cross-cpu", cpus};
}

}  // namespace socklab::bench
