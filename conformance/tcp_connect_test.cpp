// SPDX-License-Identifier: MIT
// C. TCP connect and accept (TCP-CONN-*, TCP-ACCEPT-*).
#include <fcntl.h>
#include <poll.h>

#include "support/fixtures.hpp"

namespace socklab::conformance {
namespace {

// A listener whose accept queue is full (listen(0) admits one on Linux), with the queued clients.
struct full_queue {
  socket server;
  std::vector<socket> clients;
};

full_queue fill_accept_queue() {
  full_queue q{socket(), {}};
  q.server.bind(ipv4_address::loopback());
  q.server.listen(0);
  for (int i = 0; i < 4; ++i) {
    socket c;
    c.settimeout(200ms);
    if (c.connect_ex(q.server.getsockname()) != 0) break;  // the queue is full
    q.clients.push_back(std::move(c));
  }
  return q;
}

TEST(TcpConnect, TCP_CONN_01_ClosedPortIsRefusedAtOnce) {
  const auto where = unused_port();
  socket s;
  const double elapsed = seconds_taken([&] { EXPECT_THROW(s.connect(where), connection_refused_error); });
  observe("refusal_ms", elapsed * 1000);
  expect_window(elapsed, 0, 2.0, "a refused connect");
  socket t;
  EXPECT_EQ(t.connect_ex(where), ECONNREFUSED);
}

TEST(TcpConnect, TCP_CONN_02_NonBlockingConnectCompletesThroughSoError) {
  auto l = listener();
  socket ok;
  ok.setblocking(false);
  const int rc = ok.connect_ex(l.getsockname());
  ASSERT_TRUE(rc == 0 || rc == EINPROGRESS) << rc;
  ASSERT_TRUE(writable_within(ok, 10s));
  EXPECT_EQ(ok.getsockopt(option::error), 0);

  socket refused;
  refused.setblocking(false);
  const int rc2 = refused.connect_ex(unused_port());
  if (rc2 == EINPROGRESS) {
    ASSERT_TRUE(writable_within(refused, 10s));
    EXPECT_EQ(refused.getsockopt(option::error), ECONNREFUSED);
  } else {
    EXPECT_EQ(rc2, ECONNREFUSED);
  }
  socket raising;
  raising.setblocking(false);
  try {
    raising.connect(l.getsockname());
  } catch (const blocking_io_error& e) {
    EXPECT_EQ(e.code(), std::errc::operation_in_progress);
  }
}

TEST(TcpConnect, TCP_CONN_03_TimeoutModeConnectTimesOut) {
  auto q = fill_accept_queue();
  socket s;
  s.settimeout(300ms);
  const double elapsed =
      seconds_taken([&] { EXPECT_THROW(s.connect(q.server.getsockname()), timeout_error); });
  observe("connect_timeout_elapsed_s", elapsed);
  expect_window(elapsed, 0.298, 2.3, "connect with a 300 ms timeout");
  socket t;
  t.settimeout(100ms);
  EXPECT_EQ(t.connect_ex(q.server.getsockname()), EWOULDBLOCK);
}

TEST(TcpConnect, TCP_CONN_04_CreateConnectionTriesAllAndKeepsTheLastError) {
  default_timeout_guard guard;
  const auto where = unused_port();
  EXPECT_THROW(create_connection("localhost", where.port, loopback_timeout), connection_refused_error);
  auto l = listener();
  const auto port = std::get<ipv4_address>(l.getsockname()).port;
  setdefaulttimeout(42s);
  EXPECT_EQ(create_connection("127.0.0.1", port).gettimeout(), timeout(42s));
  EXPECT_EQ(create_connection("127.0.0.1", port, std::nullopt).gettimeout(), std::nullopt);
  const auto source = unused_port();
  EXPECT_EQ(create_connection("127.0.0.1", port, loopback_timeout, source).getsockname(), address(source));
}

TEST(TcpConnect, TCP_CONN_05_AllErrorsRaisesAGroupOfEveryCandidatesError) {
  const auto where = unused_port();
  const auto candidates = getaddrinfo("localhost", where.port, std::nullopt, type::stream).size();
  try {
    (void)create_connection("localhost", where.port, loopback_timeout, std::nullopt, /*all_errors=*/true);
    ADD_FAILURE() << "a closed port accepted";
  } catch (const error_group& group) {
    observe("group_size_is_candidates", group.exceptions().size() == candidates);
    std::string each;
    for (const auto& e : group.exceptions()) {
      try {
        std::rethrow_exception(e);
      } catch (const connection_refused_error&) {
        each += each.empty() ? "ConnectionRefusedError" : "";
      } catch (const std::exception& other) {
        each = std::string("other: ") + other.what();
        break;
      }
    }
    observe("each", each);
    EXPECT_EQ(dynamic_cast<const socklab::error*>(&group), nullptr);  // not an OSError, as in Python
  }
}

TEST(TcpConnect, TCP_CONN_06_ASocketCanConnectToItself) {
  // TCP's simultaneous open: a socket bound to a port and connected to that same address is
  // connected to itself, and reads what it sends.
  for (const auto f : {family::inet, family::inet6}) {
    if (f == family::inet6 && !ipv6_available()) continue;
    const std::string name = f == family::inet ? "inet" : "inet6";
    socket s(f, type::stream);
    s.settimeout(loopback_timeout);
    s.bind(f == family::inet ? address(ipv4_address::loopback()) : address(ipv6_address::loopback()));
    s.connect(s.getsockname());
    const bool itself = s.getpeername() == s.getsockname();
    observe(name + "_peer_is_itself", itself);
    EXPECT_TRUE(itself) << name;
    s.sendall(as_bytes("echo"));
    const auto reads = decode(s.recv(16));
    observe(name + "_reads", reads);
    EXPECT_EQ(reads, "echo") << name;
  }
}

TEST(TcpAccept, TCP_ACCEPT_01_ReturnsTheClientAddressAndANewSocket) {
  auto l = listener();
  socket c;
  c.connect(l.getsockname());
  auto [conn, addr] = l.accept();
  EXPECT_EQ(addr, c.getsockname());
  EXPECT_EQ(conn.getpeername(), addr);
  EXPECT_EQ(conn.family(), l.family());
  EXPECT_NE(conn.fileno(), l.fileno());
  EXPECT_FALSE(conn.get_inheritable());
}

TEST(TcpAccept, TCP_ACCEPT_02_NonBlockingAcceptFailsAtOnceThenSucceedsWhenReadable) {
  auto l = listener();
  l.setblocking(false);
  const double elapsed = seconds_taken([&] { EXPECT_THROW(l.accept(), blocking_io_error); });
  expect_window(elapsed, 0, 1.0, "a non-blocking accept");
  socket c;
  c.connect(l.getsockname());
  pollfd p{l.fileno(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 10000), 1);
  auto [conn, addr] = l.accept();
  EXPECT_EQ(addr, c.getsockname());
}

TEST(TcpAccept, TCP_ACCEPT_03_AcceptedSocketTakesTheDefaultTimeout) {
  default_timeout_guard guard;
  auto nonblocking = [](const socket& s) { return (::fcntl(s.fileno(), F_GETFL) & O_NONBLOCK) != 0; };
  for (const timeout listener_mode : {timeout{}, timeout(10s), timeout(0s)}) {
    auto l = listener();
    l.settimeout(listener_mode);
    socket c;
    c.connect(l.getsockname());
    pollfd p{l.fileno(), POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 10000), 1);
    auto [conn, addr] = l.accept();
    EXPECT_EQ(conn.gettimeout(), std::nullopt);
    EXPECT_FALSE(nonblocking(conn)) << "listener mode " << (listener_mode ? listener_mode->count() : -1);
  }
  setdefaulttimeout(20s);
  auto l = listener();
  l.settimeout(0s);
  socket c;
  c.connect(l.getsockname());
  pollfd p{l.fileno(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 10000), 1);
  auto [conn, addr] = l.accept();
  EXPECT_EQ(conn.gettimeout(), timeout(20s));
  EXPECT_TRUE(nonblocking(conn));
}

TEST(TcpAccept, TCP_ACCEPT_04_AcceptOnANonListeningSocketIsEinval) {
  socket s;
  s.bind(ipv4_address::loopback());
  EXPECT_TRUE(raises(std::errc::invalid_argument, [&] { s.accept(); }));
}

TEST(TcpConnect, TCP_CONN_07_ARefusedNonBlockingConnectThenARetry) {
  socket s;
  s.setblocking(false);
  const int started = s.connect_ex(unused_port());
  ASSERT_TRUE(polls_within(s, POLLERR));
  const auto events = poll_events(s);
  const auto first_error = errno_name_of(s.getsockopt(option::error));
  const auto second_error = errno_name_of(s.getsockopt(option::error));
  const auto l = listener();
  s.settimeout(loopback_timeout);
  // The failed attempt still counts as "connecting": the next connect() reports how it ended (its
  // error, or ECONNABORTED once SO_ERROR has been read) and makes the socket unconnected.
  const auto retry = outcome_of([&] { s.connect(l.getsockname()); });
  const auto again = outcome_of([&] { s.connect(l.getsockname()); });
  observe("connect", errno_name_of(started));
  observe("events", events);
  observe("so_error", first_error);
  observe("so_error_again", second_error);
  observe("retry", retry);
  observe("again", again);
  EXPECT_EQ(errno_name_of(started), "EINPROGRESS");
  EXPECT_EQ(first_error, "ECONNREFUSED");
  EXPECT_EQ(second_error, "0") << "reading SO_ERROR clears it";
  EXPECT_EQ(retry, "ConnectionAbortedError ECONNABORTED");
  EXPECT_EQ(again, "none");
  EXPECT_EQ(s.getpeername(), l.getsockname());
}

TEST(TcpConnect, TCP_CONN_08_AListenerCannotConnect) {
  auto l = listener();
  const auto other = listener();
  const auto connect = outcome_of([&] { l.connect(other.getsockname()); });
  const auto connect_ex = errno_name_of(l.connect_ex(other.getsockname()));
  observe("connect", connect);
  observe("connect_ex", connect_ex);
  observe("still_listening", l.getsockopt(option::acceptconn));
  EXPECT_EQ(connect, "OSError EISCONN");
  EXPECT_EQ(connect_ex, "EISCONN");
  EXPECT_EQ(l.getsockopt(option::acceptconn), 1);
}

}  // namespace
}  // namespace socklab::conformance
