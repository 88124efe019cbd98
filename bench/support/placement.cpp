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

cpu_plan plan_for(placement p) {
  if (p == placement::unpinned) return {std::nullopt, std::nullopt, "unpinned"};
  if (!pinning_supported()) return {std::nullopt, std::nullopt, "unpinned (pinning unavailable on this OS)"};
  const auto cpus = usable_cpus();
  if (cpus.empty()) return {std::nullopt, std::nullopt, "unpinned (no usable CPU list)"};
  if (p == placement::same_cpu) return {cpus[0], cpus[0], "same-cpu"};
  if (cpus.size() < 2) return {cpus[0], cpus[0], "same-cpu (only one CPU usable)"};
  return {cpus[0], cpus[1], "cross-cpu"};
}

}  // namespace socklab::bench
