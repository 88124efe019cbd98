// SPDX-License-Identifier: MIT
// thread_syscalls(): every system call socklab makes is counted once, per thread, so that a
// benchmark can show how many calls an operation costs.
#include "socklab/counters.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "support.hpp"

namespace socklab {
namespace {

using namespace test;

// The system calls `op` made on this thread.
template <class F>
std::uint64_t calls_of(F&& op) {
  const auto before = thread_syscalls();
  op();
  return thread_syscalls() - before;
}

TEST(ThreadSyscalls, OneCallPerSendAndRecvOnTheFastPath) {
  auto [a, b] = socketpair();
  std::array<std::byte, 16> buf{};
  EXPECT_EQ(calls_of([&] { a.sendall(as_bytes("sixteen bytes!!!")); }), 1u);
  EXPECT_EQ(calls_of([&] { (void)b.recv_into(buf); }), 1u);
  // recv(0) makes no system call at all (Python's rule).
  EXPECT_EQ(calls_of([&] { (void)b.recv(0); }), 0u);
}

TEST(ThreadSyscalls, ATimeoutWaitCountsItsPollAndTheRetry) {
  auto [a, b] = socketpair();
  b.settimeout(1ms);
  std::array<std::byte, 4> buf{};
  // Nothing to read: recv (EAGAIN), then poll until the deadline (one poll, or a few if it
  // wakes early), then nothing more: at least two calls, never one.
  const auto n = calls_of([&] { EXPECT_THROW((void)b.recv_into(buf), timeout_error); });
  EXPECT_GE(n, 2u);
  // With data ready, timeout mode costs no poll: the call is made first.
  a.sendall(as_bytes("x"));
  EXPECT_EQ(calls_of([&] { (void)b.recv_into(buf); }), 1u);
}

TEST(ThreadSyscalls, SettingATimeoutReadsAndWritesTheFlags) {
  auto [a, b] = socketpair();
  EXPECT_EQ(calls_of([&] { a.settimeout(1s); }), 2u);  // F_GETFL, then F_SETFL
  EXPECT_EQ(calls_of([&] { a.settimeout(2s); }), 1u);  // O_NONBLOCK already set: F_GETFL only
  EXPECT_EQ(calls_of([&] { a.close(); }), 1u);
}

TEST(ThreadSyscalls, AreCountedPerThread) {
  auto [a, b] = socketpair();
  const auto before = thread_syscalls();
  std::uint64_t other = 0;
  std::thread t([&] {
    const auto start = thread_syscalls();
    a.sendall(as_bytes("ab"));
    a.sendall(as_bytes("cd"));
    other = thread_syscalls() - start;
  });
  t.join();
  EXPECT_EQ(other, 2u);
  EXPECT_EQ(thread_syscalls(), before);  // the other thread's calls are its own
}

}  // namespace
}  // namespace socklab
