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

}  // namespace
}  // namespace socklab::conformance
