// SPDX-License-Identifier: MIT
#include "harness.hpp"

#include <signal.h>
#include <unistd.h>

namespace socklab::bench {

const cpu_plan& plan() {
  static const cpu_plan p = plan_for(current().where);
  return p;
}

const fast_path_support& kernel_paths() {
  static const fast_path_support offered = probe_fast_paths();
  return offered;
}

const uring_support& uring_paths() {
  static const uring_support offered = probe_uring();
  return offered;
}

thread_local planted_slowdown planted;

void plant_slowdown(double fraction) { planted = {fraction, 0, clock::now()}; }

void planted_idle() {
  if (planted.fraction == 0.0 || ++planted.calls % 64 != 0) return;
  const auto now = clock::now();
  const auto until = now + std::chrono::duration_cast<clock::duration>(
                               (now - planted.since) * (planted.fraction / (1.0 - planted.fraction)));
  while (clock::now() < until) {
  }
  planted.since = clock::now();
}

peer_body with_fault(peer_body body) {
  switch (current().fault) {
    case peer_fault::none:
      return body;
    case peer_fault::stall:
      // Silent for far longer than the watchdog, yet bounded, and gone as soon as it is told to stop.
      return [](peer_context& ctx) { ctx.wait_for_stop(4 * current().watchdog); };
    case peer_fault::die:
      return [](peer_context& ctx) {
        if (current().peer == peer_mode::process) ::kill(::getpid(), SIGKILL);
        ctx.sock.close();  // a thread cannot be killed alone: its end of the connection goes away
      };
  }
  return body;
}

buffer pattern(std::size_t size) {
  buffer b(size);
  for (std::size_t i = 0; i < size; ++i) b[i] = static_cast<std::byte>(i * 31 + 7);
  return b;
}

}  // namespace socklab::bench
