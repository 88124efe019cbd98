// SPDX-License-Identifier: MIT
// The readiness set: events arrive with their keys, level and edge triggering differ as the kernel
// says, a wait ends at its timeout and not before (signals or not), and registration errors name
// the operation.
#include "socklab/selector.hpp"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <set>
#include <vector>

#include "blocked_calls.hpp"
#include "support.hpp"

namespace socklab {
namespace {

using namespace test;
using namespace std::chrono_literals;

std::span<const std::byte> one_byte() {
  static const std::array<std::byte, 1> b{std::byte{'x'}};
  return b;
}

TEST(Selector, ReportsNothingUntilDataArrivesThenTheKeyAsReadable) {
  auto [a, b] = tcp_pair();
  selector sel;
  sel.add(b, interest::readable, 42);
  std::array<ready_event, 4> out{};
  EXPECT_EQ(sel.wait(out, 0s), 0u);
  a.sendall(one_byte());
  ASSERT_EQ(sel.wait(out, loopback_timeout), 1u);
  EXPECT_EQ(out[0].key, 42u);
  EXPECT_TRUE(out[0].readable);
  EXPECT_FALSE(out[0].writable);
  EXPECT_FALSE(out[0].error);
}

TEST(Selector, AConnectedSocketIsWritableAtOnce) {
  auto [a, b] = tcp_pair();
  selector sel;
  sel.add(a, interest::readable | interest::writable, 7);
  std::array<ready_event, 4> out{};
  ASSERT_EQ(sel.wait(out, 0s), 1u);
  EXPECT_EQ(out[0].key, 7u);
  EXPECT_TRUE(out[0].writable);
  EXPECT_FALSE(out[0].readable);
}

TEST(Selector, LevelTriggeredRepeatsWhileDataIsUnreadEdgeTriggeredReportsOnce) {
  auto [a, b] = tcp_pair();
  auto [c, d] = tcp_pair();
  selector level;
  selector edge;
  level.add(b, interest::readable, 1, trigger::level);
  edge.add(d, interest::readable, 2, trigger::edge);
  a.sendall(one_byte());
  c.sendall(one_byte());
  std::array<ready_event, 4> out{};
  ASSERT_EQ(level.wait(out, loopback_timeout), 1u);
  ASSERT_EQ(edge.wait(out, loopback_timeout), 1u);
  EXPECT_EQ(level.wait(out, 0s), 1u) << "level: the unread byte is reported again";
  EXPECT_EQ(edge.wait(out, 0s), 0u) << "edge: nothing new arrived";
  c.sendall(one_byte());
  ASSERT_EQ(edge.wait(out, loopback_timeout), 1u) << "edge: new data is a new edge";
  EXPECT_EQ(out[0].key, 2u);
}

TEST(Selector, ModifyChangesTheEventsAndTheKey) {
  auto [a, b] = tcp_pair();
  selector sel;
  sel.add(a, interest::readable, 1);
  std::array<ready_event, 4> out{};
  EXPECT_EQ(sel.wait(out, 0s), 0u);
  sel.modify(a, interest::writable, 9);
  ASSERT_EQ(sel.wait(out, 0s), 1u);
  EXPECT_EQ(out[0].key, 9u);
  EXPECT_TRUE(out[0].writable);
  sel.remove(a);
  EXPECT_EQ(sel.wait(out, 0s), 0u);
}

TEST(Selector, RegistrationErrorsNameTheOperation) {
  auto [a, b] = tcp_pair();
  selector sel;
  sel.add(a, interest::readable, 1);
  EXPECT_TRUE(raises(std::errc::file_exists, [&] { sel.add(a, interest::readable, 1); }));
  EXPECT_TRUE(raises(std::errc::no_such_file_or_directory, [&] { sel.modify(b, interest::readable, 1); }));
  EXPECT_TRUE(raises(std::errc::no_such_file_or_directory, [&] { sel.remove(b); }));
  EXPECT_EQ(sel.try_remove(b), std::errc::no_such_file_or_directory);
  EXPECT_FALSE(sel.try_remove(a));
  try {
    sel.remove(b);
    FAIL() << "removing an unregistered socket did not throw";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("selector remove"), std::string::npos) << e.what();
  }
  std::array<ready_event, 1> out{};
  EXPECT_EQ(sel.try_wait(std::span(out).first(0), 0s).error(), std::errc::invalid_argument);
}

TEST(Selector, TheTimeoutEndsTheWaitNotBefore) {
  auto [a, b] = tcp_pair();
  selector sel;
  sel.add(b, interest::readable, 1);
  std::array<ready_event, 1> out{};
  for (const auto t : {2ms, 30ms}) {
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(sel.wait(out, t), 0u);
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_GE(took, t);
    EXPECT_LT(took, t + 2s);  // generous: a loaded machine, not a precision claim
  }
}

TEST(Selector, SignalsDoNotEndTheWaitEarly) {
  auto [a, b] = tcp_pair();
  selector sel;
  sel.add(b, interest::readable, 1);
  std::array<ready_event, 1> out{};
  const long before = signal_storm::delivered();
  const auto start = std::chrono::steady_clock::now();
  {
    signal_storm storm(std::chrono::microseconds(2000));
    EXPECT_EQ(sel.wait(out, 150ms), 0u);
  }
  EXPECT_GE(std::chrono::steady_clock::now() - start, 150ms);
  EXPECT_GE(signal_storm::delivered() - before, 5) << "the storm must have interrupted the wait";
}

TEST(Selector, APeerThatClosesIsReadableWithEndOfFile) {
  auto [a, b] = tcp_pair();
  selector sel;
  sel.add(b, interest::readable, 3);
  a.close();
  std::array<ready_event, 1> out{};
  ASSERT_EQ(sel.wait(out, loopback_timeout), 1u);
  EXPECT_TRUE(out[0].readable);
  std::array<std::byte, 4> buf{};
  EXPECT_EQ(b.recv_into(buf), 0u);
}

TEST(Selector, ReportsEverySocketOnceAcrossWaitsSmallerThanTheSet) {
  constexpr std::uint64_t pairs = 100;
  std::vector<connected_pair> all;
  selector sel;
  for (std::uint64_t i = 0; i < pairs; ++i) {
    all.push_back(tcp_pair());
    sel.add(all.back().server, interest::readable, i);
    all.back().client.sendall(one_byte());
  }
  std::set<std::uint64_t> seen;
  std::array<ready_event, 8> out{};
  std::array<std::byte, 4> buf{};
  const auto deadline = std::chrono::steady_clock::now() + loopback_timeout;
  while (seen.size() < pairs && std::chrono::steady_clock::now() < deadline) {
    const auto n = sel.wait(out, 100ms);
    ASSERT_LE(n, out.size());
    for (std::size_t i = 0; i < n; ++i) {
      ASSERT_LT(out[i].key, pairs);
      EXPECT_TRUE(seen.insert(out[i].key).second) << "key " << out[i].key << " reported twice";
      EXPECT_EQ(all[out[i].key].server.recv_into(buf), 1u);  // read, so level triggering stops
    }
  }
  EXPECT_EQ(seen.size(), pairs);
}

TEST(Selector, IsMoveOnlyAndClosesItsDescriptor) {
  const auto before = open_fds();
  {
    selector a;
    const int fd = a.fileno();
    ASSERT_GE(fd, 0);
    selector b(std::move(a));
    EXPECT_EQ(a.fileno(), -1);  // NOLINT(bugprone-use-after-move): the moved-from state is the point
    EXPECT_EQ(b.fileno(), fd);
    selector c;
    c = std::move(b);
    EXPECT_EQ(c.fileno(), fd);
  }
  EXPECT_EQ(open_fds(), before);
}

}  // namespace
}  // namespace socklab
