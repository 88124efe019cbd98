// SPDX-License-Identifier: MIT
// Timeouts: blocking, non-blocking and timeout modes, the module default, deadlines.
#include "socklab/socket.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>

#include "support.hpp"

namespace socklab {
namespace {

using namespace test;

bool fd_nonblocking(const socket& s) { return (::fcntl(s.fileno(), F_GETFL) & O_NONBLOCK) != 0; }

// A timeout may end up to its fuzz late (scheduling on a loaded 2-core machine), never early.
void expect_near_deadline(double elapsed, std::chrono::duration<double> t) {
  EXPECT_GE(elapsed, t.count() - 0.002);
  EXPECT_LT(elapsed, t.count() + 2.0);
}

TEST(Timeout, ModesAndTheirDescriptorFlag) {
  socket s;
  EXPECT_EQ(s.gettimeout(), std::nullopt);
  EXPECT_FALSE(fd_nonblocking(s));
  s.settimeout(1500ms);
  EXPECT_EQ(s.gettimeout(), timeout(1500ms));
  EXPECT_TRUE(s.getblocking());  // timeout mode still counts as blocking, as in Python
  EXPECT_TRUE(fd_nonblocking(s));
  s.settimeout(0s);
  EXPECT_FALSE(s.getblocking());
  EXPECT_TRUE(fd_nonblocking(s));
  s.setblocking(true);
  EXPECT_EQ(s.gettimeout(), std::nullopt);
  EXPECT_FALSE(fd_nonblocking(s));
  s.setblocking(false);
  EXPECT_EQ(s.gettimeout(), timeout(0s));
  s.settimeout(std::nullopt);
  EXPECT_TRUE(s.getblocking());
  EXPECT_THROW(s.settimeout(-1ms), std::invalid_argument);
  EXPECT_EQ(s.gettimeout(), std::nullopt) << "a rejected timeout must not change the mode";
}

TEST(Timeout, RecvTimesOutNearTheDeadline) {
  auto pair = socketpair();
  auto& a = pair.first;
  a.settimeout(200ms);
  double elapsed = seconds_taken([&] { EXPECT_THROW(a.recv(16), timeout_error); });
  expect_near_deadline(elapsed, 200ms);
  std::array<std::byte, 4> buf{};
  elapsed = seconds_taken([&] { EXPECT_THROW(a.recv_into(buf), timeout_error); });
  expect_near_deadline(elapsed, 200ms);
}

TEST(Timeout, ZeroTimeoutRaisesWouldBlockNeverTimeout) {
  auto pair = socketpair();
  auto& a = pair.first;
  a.settimeout(0s);
  try {
    a.recv(16);
    FAIL() << "recv with no data returned";
  } catch (const timeout_error&) {
    FAIL() << "non-blocking mode raised timeout_error";
  } catch (const blocking_io_error& e) {
    EXPECT_EQ(e.operation(), "recv");
  }
  auto l = listener();
  l.setblocking(false);
  EXPECT_THROW(l.accept(), blocking_io_error);
}

TEST(Timeout, AcceptAndRecvfromTimeOut) {
  auto l = listener();
  l.settimeout(150ms);
  expect_near_deadline(seconds_taken([&] { EXPECT_THROW(l.accept(), timeout_error); }), 150ms);
  socket u(family::inet, type::dgram);
  u.bind(ipv4_address::loopback());
  u.settimeout(150ms);
  expect_near_deadline(seconds_taken([&] { EXPECT_THROW(u.recvfrom(16), timeout_error); }), 150ms);
}

TEST(Timeout, EachCallGetsItsOwnDeadline) {
  auto pair = socketpair();
  auto& a = pair.first;
  a.settimeout(150ms);
  for (int i = 0; i < 2; ++i)
    expect_near_deadline(seconds_taken([&] { EXPECT_THROW(a.recv(1), timeout_error); }), 150ms);
}

TEST(Timeout, SendTimesOutWhenThePeerNeverReads) {
  auto pair = tcp_pair();
  auto& c = pair.client;
  c.settimeout(100ms);
  std::vector<std::byte> chunk(200000);
  bool timed_out = false;
  for (int i = 0; i < 1000 && !timed_out; ++i) {
    try {
      c.send(chunk);
    } catch (const timeout_error&) {
      timed_out = true;
    }
  }
  EXPECT_TRUE(timed_out);
}

TEST(Timeout, SendallTimeoutIsOneTotalDeadline) {
  auto pair = tcp_pair();
  auto& c = pair.client;
  auto& s = pair.server;
  c.setsockopt(option::sndbuf, 16384);
  slow_reader reader(s, 16384, 10ms);  // always making progress, never fast enough
  c.settimeout(300ms);
  std::vector<std::byte> big(std::size_t{64} << 20);
  const double elapsed = seconds_taken([&] {
    try {
      c.sendall(big);
      ADD_FAILURE() << "64 MiB went through a peer reading ~1.6 MB/s in 300 ms";
    } catch (const timeout_error& e) {
      ASSERT_TRUE(e.bytes_sent().has_value());
      EXPECT_GT(*e.bytes_sent(), 0u);
    }
  });
  // A per-chunk timeout would keep going for as long as the reader makes progress (~40 s here).
  expect_near_deadline(elapsed, 300ms);
}

TEST(Timeout, ConnectTimesOutAgainstAFullAcceptQueue) {
  socket l;
  l.bind(ipv4_address::loopback());
  l.listen(0);  // Linux queues backlog + 1 = 1 connection; later SYNs are dropped
  std::vector<socket> fillers;
  // Fill the queue (bounded): connect until one attempt times out.
  bool timed_out = false;
  for (int i = 0; i < 8 && !timed_out; ++i) {
    socket c;
    c.settimeout(200ms);
    try {
      c.connect(l.getsockname());
      fillers.push_back(std::move(c));
    } catch (const timeout_error&) {
      timed_out = true;
    }
  }
  ASSERT_TRUE(timed_out) << "the accept queue never filled";
  EXPECT_GE(fillers.size(), 1u);
  socket d;
  d.settimeout(100ms);
  EXPECT_EQ(d.connect_ex(l.getsockname()), EWOULDBLOCK);
}

TEST(Timeout, NonBlockingConnectRaisesInProgressOrSucceeds) {
  auto l = listener();
  socket c;
  c.setblocking(false);
  const int rc = c.connect_ex(l.getsockname());
  EXPECT_TRUE(rc == 0 || rc == EINPROGRESS) << rc;
}

TEST(DefaultTimeout, AppliesOnlyToLaterSockets) {
  default_timeout_guard guard;
  EXPECT_EQ(getdefaulttimeout(), std::nullopt);
  socket before;
  setdefaulttimeout(5s);
  EXPECT_EQ(getdefaulttimeout(), timeout(5s));
  socket after;
  EXPECT_EQ(before.gettimeout(), std::nullopt);
  EXPECT_EQ(after.gettimeout(), timeout(5s));
  EXPECT_TRUE(fd_nonblocking(after));
  auto pair = socketpair();
  auto& a = pair.first;
  EXPECT_EQ(a.gettimeout(), timeout(5s));
  EXPECT_THROW(setdefaulttimeout(-1s), std::invalid_argument);
  EXPECT_EQ(getdefaulttimeout(), timeout(5s));
}

TEST(DefaultTimeout, AcceptedSocketsFollowPythonsRule) {
  default_timeout_guard guard;
  {
    // No default: the accepted socket is blocking, whatever the listener's mode.
    auto l = listener();
    l.settimeout(loopback_timeout);
    socket c;
    c.connect(l.getsockname());
    auto [conn, addr] = l.accept();
    EXPECT_EQ(conn.gettimeout(), std::nullopt);
    EXPECT_FALSE(fd_nonblocking(conn));
  }
  {
    auto l = listener();
    socket c;
    c.connect(l.getsockname());
    setdefaulttimeout(3s);
    auto [conn, addr] = l.accept();
    EXPECT_EQ(conn.gettimeout(), timeout(3s));
    EXPECT_TRUE(fd_nonblocking(conn));
  }
}

}  // namespace
}  // namespace socklab
