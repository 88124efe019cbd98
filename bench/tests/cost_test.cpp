// SPDX-License-Identifier: MIT
// The cost counters: a known number of calls is counted exactly, through socklab and through the
// raw twin alike; CPU time grows with work and not with waiting; a wait is a voluntary switch.
#include "engine/cost.hpp"

#include <gtest/gtest.h>

#include <array>

#include "support/io.hpp"

namespace socklab::bench {
namespace {

TEST(ThreadCost, CountsEveryCallOfBothTwinsExactly) {
  auto [a, b] = socketpair();
  const auto msg = as_bytes("0123456789");
  std::array<std::byte, 16> buf{};
  const auto before = thread_cost::now();
  for (int i = 0; i < 7; ++i) via_socklab::send_all(a, msg);
  for (int i = 0; i < 5; ++i) via_posix::send_all(a, msg);
  const auto middle = thread_cost::now();
  for (int i = 0; i < 12; ++i) (void)via_posix::recv_some(b, std::span(buf).first(10));
  const auto after = thread_cost::now();
  EXPECT_EQ((middle - before).syscalls, 12u);
  EXPECT_EQ((after - middle).syscalls, 12u);
}

TEST(ThreadCost, CpuTimeIsWorkNotWaiting) {
  if (!thread_cost_supported()) GTEST_SKIP() << "no per-thread CPU time on this OS";
  // Spinning accumulates CPU time: 30 ms of it, however long a loaded machine takes to give them
  // (bounded: 10 s of wall time).
  const auto t0 = thread_cost::now();
  const auto wall_limit = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  volatile std::uint64_t spin = 0;
  while ((thread_cost::now() - t0).cpu_s() < 0.030 && std::chrono::steady_clock::now() < wall_limit)
    for (int i = 0; i < 100000; ++i) spin = spin + 1;
  EXPECT_GE((thread_cost::now() - t0).cpu_s(), 0.030);
  // Blocked in the kernel for 50 ms (a receive timeout on a silent socket): almost no CPU.
  auto [a, b] = socketpair();
  b.settimeout(std::chrono::milliseconds(50));
  std::array<std::byte, 1> buf{};
  const auto t1 = thread_cost::now();
  EXPECT_THROW((void)b.recv_into(buf), timeout_error);
  const auto idle = thread_cost::now() - t1;
  EXPECT_LT(idle.cpu_s(), 0.01);
  EXPECT_GE(idle.voluntary_switches, 1u);
}

}  // namespace
}  // namespace socklab::bench
