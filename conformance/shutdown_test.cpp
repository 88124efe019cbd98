// SPDX-License-Identifier: MIT
// T. shutdown() in each direction and state (SHUT-*), on each kind of connected socket.
#include <chrono>
#include <string>

#include "support/fixtures.hpp"
#include "support/socket_kinds.hpp"

namespace socklab::conformance {
namespace {

using namespace std::chrono_literals;

KIND_TEST(SendAfterShutWr, SHUT_01_SendingAfterShutWrIsABrokenPipe) {
  auto [a, b] = pair();
  a.shutdown(shut::wr);
  const auto sent = outcome_of([&a = a] { (void)a.send(as_bytes("x")); });
  observe("send", sent);
  EXPECT_EQ(sent, "BrokenPipeError EPIPE");
}

KIND_TEST(ShutdownTwice, SHUT_02_ASecondShutdownIsNoError) {
  auto [a, b] = pair();
  a.shutdown(shut::wr);
  const auto second = outcome_of([&a = a] { a.shutdown(shut::wr); });
  const auto both = outcome_of([&a = a] { a.shutdown(shut::rdwr); });
  observe("second_wr", second);
  observe("then_rdwr", both);
  EXPECT_EQ(second, "none");
  EXPECT_EQ(both, "none");
}

KIND_TEST(ShutRd, SHUT_03_AfterShutRd) {
  auto [a, b] = pair();
  b.shutdown(shut::rd);
  b.settimeout(200ms);
  std::string got;
  const auto received = outcome_of([&b = b, &got] { got = decode(b.recv(16)); });
  const auto peer_sent = outcome_of([&a = a] { (void)a.send(as_bytes("x")); });
  observe("recv", received);
  observe("recv_returned", got);
  observe("peer_send", peer_sent);
  EXPECT_EQ(received, kind().type == type::dgram ? "TimeoutError None" : "none");
  EXPECT_EQ(peer_sent, kind().family == family::unix_domain ? "BrokenPipeError EPIPE" : "none");
}

TEST(Shutdown, SHUT_04_ShuttingDownAListenerStopsItListening) {
  auto l = listener();
  const auto shutdown = outcome_of([&] { l.shutdown(shut::rd); });
  l.settimeout(loopback_timeout);
  const auto accept = outcome_of([&] { (void)l.accept(); });
  observe("shutdown", shutdown);
  observe("accept", accept);
  EXPECT_EQ(shutdown, "none");
  EXPECT_EQ(accept, "OSError EINVAL");
}

KIND_TEST(ShutdownUnconnected, SHUT_05_ShuttingDownAnUnconnectedSocket) {
  socket fresh(kind().family, kind().type);
  auto bound = unconnected_of(kind());
  const auto of_fresh = outcome_of([&] { fresh.shutdown(shut::rdwr); });
  const auto of_bound = outcome_of([&] { bound.shutdown(shut::rdwr); });
  observe("fresh", of_fresh);
  observe("bound", of_bound);
  // An IP socket checks that it is connected; AF_UNIX just marks the directions shut.
  const auto expected = kind().family == family::unix_domain ? "none" : "OSError ENOTCONN";
  EXPECT_EQ(of_fresh, expected);
  EXPECT_EQ(of_bound, expected);
}

TEST(Shutdown, SHUT_06_ShuttingDownWhileConnectingAbortsTheAttempt) {
  socket full(family::inet, type::stream);
  full.bind(loopback_of(family::inet));
  full.listen(0);  // admits one connection, then drops SYNs
  socket admitted(family::inet, type::stream);
  admitted.settimeout(loopback_timeout);
  admitted.connect(full.getsockname());
  socket s(family::inet, type::stream);
  s.setblocking(false);
  const int started = s.connect_ex(full.getsockname());
  // Its SYN was dropped: an admitted handshake completes within microseconds on loopback.
  const bool writable = writable_within(s, std::chrono::milliseconds(100));
  const auto shutdown = outcome_of([&] { s.shutdown(shut::rdwr); });
  const auto events = poll_events(s);
  const auto so_error = errno_name_of(s.getsockopt(option::error));
  const auto peer = outcome_of([&] { (void)s.getpeername(); });
  const auto other = listener();
  s.settimeout(loopback_timeout);
  const auto again = outcome_of([&] { s.connect(other.getsockname()); });
  observe("connect", errno_name_of(started));
  observe("writable_while_connecting", writable);
  observe("shutdown", shutdown);
  observe("events", events);
  observe("so_error", so_error);
  observe("peer", peer);
  observe("connect_again", again);
  ASSERT_EQ(errno_name_of(started), "EINPROGRESS");
  ASSERT_FALSE(writable) << "the listener's queue was not full";
  EXPECT_EQ(shutdown, "none");
  EXPECT_EQ(so_error, "ECONNRESET");
  EXPECT_EQ(peer, "OSError ENOTCONN");
  EXPECT_EQ(again, "none") << "the socket is unconnected again";
  EXPECT_EQ(s.getpeername(), other.getsockname());
}

}  // namespace
}  // namespace socklab::conformance
