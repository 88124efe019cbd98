// SPDX-License-Identifier: MIT
// G. Timeouts (TMO-*). Deadlines are asserted within a generous window: never early, at most
// 2 s late (CPython's own fuzz), because these machines are shared and noisy; later than that on
// an emulated platform is too slow to judge (timing_window.hpp).
#include <fcntl.h>
#include <sys/socket.h>

#include <atomic>

#include "support/fixtures.hpp"
#include "support/socket_kinds.hpp"

namespace socklab::conformance {
namespace {

bool nonblocking(const socket& s) { return (::fcntl(s.fileno(), F_GETFL) & O_NONBLOCK) != 0; }

void expect_deadline(double elapsed, double t) {
  expect_window(elapsed, t - 0.002, t + 2.0, "a call with a " + std::to_string(t) + " s timeout");
}

TEST(Timeouts, TMO_01_DefaultTimeoutAppliesToLaterSocketsOnly) {
  default_timeout_guard guard;
  EXPECT_EQ(getdefaulttimeout(), std::nullopt);
  socket before;
  setdefaulttimeout(10s);
  socket after;
  EXPECT_EQ(after.gettimeout(), timeout(10s));
  EXPECT_EQ(before.gettimeout(), std::nullopt);
  EXPECT_THROW(setdefaulttimeout(-1s), std::invalid_argument);
  EXPECT_EQ(getdefaulttimeout(), timeout(10s));
}

TEST(Timeouts, TMO_02_SettimeoutValidatesAndReadsBack) {
  socket s;
  s.settimeout(3s);
  EXPECT_EQ(s.gettimeout(), timeout(3s));
  EXPECT_THROW(s.settimeout(-1s), std::invalid_argument);
  EXPECT_THROW(s.settimeout(-1ns), std::invalid_argument);
  EXPECT_EQ(s.gettimeout(), timeout(3s)) << "a rejected value must leave the timeout alone";
  s.settimeout(std::nullopt);
  EXPECT_EQ(s.gettimeout(), std::nullopt);
}

TEST(Timeouts, TMO_03_SetblockingAndSettimeoutOverwriteEachOther) {
  socket s;
  s.settimeout(10s);
  s.setblocking(true);
  EXPECT_EQ(s.gettimeout(), std::nullopt);
  EXPECT_TRUE(s.getblocking());
  s.setblocking(false);
  EXPECT_EQ(s.gettimeout(), timeout(0s));
  EXPECT_FALSE(s.getblocking());
  s.settimeout(1s);
  EXPECT_EQ(s.gettimeout(), timeout(1s));
  EXPECT_TRUE(s.getblocking());
}

TEST(Timeouts, TMO_04_ZeroMeansNonBlockingNeverTimeout) {
  auto l = listener();
  l.settimeout(0s);
  try {
    l.accept();
    FAIL() << "accept returned";
  } catch (const timeout_error&) {
    FAIL() << "timeout zero raised timeout_error";
  } catch (const blocking_io_error&) {
  }
  socket u(family::inet, type::dgram);
  u.bind(ipv4_address::loopback());
  u.settimeout(0s);
  try {
    u.recv(16);
    FAIL() << "recv returned";
  } catch (const timeout_error&) {
    FAIL() << "timeout zero raised timeout_error";
  } catch (const blocking_io_error&) {
  }
}

TEST(Timeouts, TMO_05_BlockedCallsTimeOutNearTheDeadline) {
  auto l = listener();
  l.settimeout(300ms);
  const double accept_elapsed = seconds_taken([&] { EXPECT_THROW(l.accept(), timeout_error); });
  observe("accept_timeout_elapsed_s", accept_elapsed);
  expect_deadline(accept_elapsed, 0.3);
  auto [a, b] = socketpair();
  a.settimeout(300ms);
  expect_deadline(seconds_taken([&, &a = a] { EXPECT_THROW(a.recv(16), timeout_error); }), 0.3);
  socket u(family::inet, type::dgram);
  u.bind(ipv4_address::loopback());
  u.settimeout(300ms);
  expect_deadline(seconds_taken([&] { EXPECT_THROW(u.recvfrom(16), timeout_error); }), 0.3);
}

TEST(Timeouts, TMO_06_SendsTimeOutWhenTheBufferStaysFull) {
  auto pair = tcp_pair();
  pair.client.settimeout(100ms);
  const std::vector<std::byte> chunk(200000);
  EXPECT_TRUE(eventually_throws<timeout_error>(100, [&] { pair.client.send(chunk); }))
      << "100 sends of 200 kB to a peer that never reads did not time out";
  EXPECT_TRUE(eventually_throws<timeout_error>(100, [&] { pair.client.sendall(chunk); }));
  // sendto: AF_UNIX datagrams block the sender once the receiver's queue is full.
  temp_dir dir;
  socket receiver(family::unix_domain, type::dgram);
  receiver.bind(unix_address(dir.file("rx.sock")));
  socket sender(family::unix_domain, type::dgram);
  sender.settimeout(100ms);
  const auto to = receiver.getsockname();
  EXPECT_TRUE(eventually_throws<timeout_error>(100000, [&] {
    sender.sendto(std::span(chunk).first(1000), to);
  })) << "datagram sends to a peer that never reads did not time out";
}

TEST(Timeouts, TMO_07_TimeoutModeIsNonBlockingUnderneath) {
  socket s;
  s.settimeout(5s);
  EXPECT_TRUE(nonblocking(s));
  EXPECT_TRUE(s.getblocking());
  socket d = s.dup();
  EXPECT_TRUE(nonblocking(d)) << "the flag lives on the open file description, shared by dup()";
  s.settimeout(std::nullopt);
  EXPECT_FALSE(nonblocking(s));
  EXPECT_FALSE(nonblocking(d));
}

TEST(Timeouts, TMO_08_FalseWakeupsLoopUntilTheDeadline) {
  socket s(family::inet, type::dgram);
  s.bind(ipv4_address::loopback());
  socket d = s.dup();
  s.settimeout(1s);
  d.settimeout(1s);
  std::atomic<int> tid_s{0}, tid_d{0};
  std::atomic<int> got_data{0}, timed_out{0}, would_block{0};
  auto waiter = [&](socket& sock, std::atomic<int>& tid) {
    return [&, sockp = &sock, tidp = &tid] {
      *tidp = current_tid();
      try {
        if (!sockp->recv(16).empty()) ++got_data;
      } catch (const timeout_error&) {
        ++timed_out;
      } catch (const blocking_io_error&) {
        ++would_block;
      }
    };
  };
  peer first(waiter(s, tid_s));
  peer second(waiter(d, tid_d));
  // Both must be asleep in the same wait before the one datagram arrives and wakes them both.
  const auto limit = std::chrono::steady_clock::now() + loopback_timeout;
  while ((tid_s == 0 || tid_d == 0) && std::chrono::steady_clock::now() < limit) std::this_thread::yield();
  const bool both_blocked =
      tid_s != 0 && tid_d != 0 && wait_until_blocked(tid_s) && wait_until_blocked(tid_d);
  socket sender(family::inet, type::dgram);
  sender.sendto(as_bytes("one"), s.getsockname());
  first.join();
  second.join();
  if (!both_blocked) GTEST_SKIP() << "could not see both waiters blocked (needs Linux /proc)";
  EXPECT_EQ(got_data, 1);
  EXPECT_EQ(timed_out, 1);
  EXPECT_EQ(would_block, 0) << "a false wake-up surfaced as would-block";
}

TEST(Timeouts, TMO_09_EachCallHasItsOwnDeadline) {
  auto [a, b] = socketpair();
  a.settimeout(200ms);
  for (int i = 0; i < 2; ++i)
    expect_deadline(seconds_taken([&, &a = a] { EXPECT_THROW(a.recv(1), timeout_error); }), 0.2);
}

TEST(Timeouts, TMO_10_InternalTimeoutSaysTimedOut) {
  auto [a, b] = socketpair();
  a.settimeout(50ms);
  try {
    a.recv(1);
    FAIL() << "no timeout";
  } catch (const timeout_error& e) {
    EXPECT_EQ(e.code().category(), socklab_category()) << "an internal timeout carries no errno";
    EXPECT_TRUE(e.code() == std::errc::timed_out);
    const std::string what = e.what();
    EXPECT_EQ(what.substr(what.size() - 9), "timed out");
  }
  EXPECT_THROW(throw_error(std::error_code(ETIMEDOUT, std::system_category()), "recv"), timeout_error);
}

KIND_TEST(RecvTimeoutOverKinds, TMO_11_ARecvTimesOutOnEveryKind) {
  auto [a, b] = pair();
  b.settimeout(std::chrono::milliseconds(100));
  std::string what;
  const double waited = seconds_taken([&b = b, &what] { what = outcome_of([&b] { (void)b.recv(10); }); });
  observe("raised", what);
  observe("waited_s", waited);
  EXPECT_EQ(what, "TimeoutError None");
  EXPECT_GE(waited, 0.098);
  EXPECT_LT(waited, 2.1);
}

TEST(Timeouts, TMO_12_TheCallIsTriedBeforeTheWait) {
  auto [client, server] = tcp_pair();
  server.setsockopt(SOL_SOCKET, SO_OOBINLINE, 1);
  server.settimeout(std::chrono::milliseconds(200));
  std::string outcome;
  const double waited = seconds_taken(
      [&server = server, &outcome] { outcome = outcome_of([&] { (void)server.recv(1, msg::oob); }); });
  observe("outcome", outcome);
  EXPECT_EQ(outcome, "OSError EINVAL");
  EXPECT_LT(waited, 0.15) << "raised without waiting for data";
}

}  // namespace
}  // namespace socklab::conformance
