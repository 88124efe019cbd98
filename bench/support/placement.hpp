// SPDX-License-Identifier: MIT
// CPU placement of the measuring thread and the peer: on a small VM it moves ping-pong latency by
// 5x (a wake-up on another, halted vCPU), so it is controlled and recorded, never left to chance.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "options.hpp"

namespace socklab::bench {

struct cpu_plan {
  std::optional<int> main_cpu;  // std::nullopt: not pinned
  std::optional<int> peer_cpu;
  std::string effective;    // what was really applied, e.g. "same-cpu (only one CPU usable)"
  std::vector<int> usable;  // every CPU this process could run on when the plan was made
};

/// The CPUs to use for `p`, chosen among those this process may run on.
cpu_plan plan_for(placement p);

/// Pins the calling thread to `cpu`; false where the OS offers no pinning (recorded as such).
bool pin_current_thread(int cpu);

/// Lets the calling thread run on any of `cpus` again (a thread inherits its creator's pinning);
/// false where the OS offers no pinning or the list is empty.
bool unpin_current_thread(const std::vector<int>& cpus);

/// Whether this OS lets socklab-bench pin threads at all.
bool pinning_supported();

}  // namespace socklab::bench
