// SPDX-License-Identifier: MIT
// U. Socket options (OPT-*) on each kind of connected socket: SO_LINGER, buffer sizes, what the
// socket says it is, TCP_NODELAY and SO_KEEPALIVE.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <string>

#include "support/fixtures.hpp"
#include "support/socket_kinds.hpp"

namespace socklab::conformance {
namespace {

std::string family_name(int domain) {
  return domain == AF_INET    ? "AF_INET"
         : domain == AF_INET6 ? "AF_INET6"
         : domain == AF_UNIX  ? "AF_UNIX"
                              : "?";
}

std::string type_name(int t) {
  return t == SOCK_STREAM      ? "SOCK_STREAM"
         : t == SOCK_DGRAM     ? "SOCK_DGRAM"
         : t == SOCK_SEQPACKET ? "SOCK_SEQPACKET"
                               : "?";
}

int domain_of(socklab::family f) {
  return f == family::inet ? AF_INET : f == family::inet6 ? AF_INET6 : AF_UNIX;
}

int type_of(socklab::type t) {
  return t == type::stream ? SOCK_STREAM : t == type::dgram ? SOCK_DGRAM : SOCK_SEQPACKET;
}

KIND_TEST(LingerZero, OPT_01_LingerZeroThenClose) {
  auto [a, b] = pair();
  const ::linger zero{1, 0};
  std::array<std::byte, sizeof zero> raw{};
  std::memcpy(raw.data(), &zero, sizeof zero);
  a.setsockopt(SOL_SOCKET, SO_LINGER, raw);
  a.close();
  std::string got;
  const auto received = outcome_of([&b = b, &got] { got = decode(b.recv(16)); });
  observe("peer_recv", received);
  observe("peer_recv_returned", got);
  EXPECT_EQ(received, kind().family == family::unix_domain ? "none" : "ConnectionResetError ECONNRESET");
}

KIND_TEST(BufferSizes, OPT_02_BufferSizesAreDoubledAndClamped) {
  auto [a, b] = pair();
  for (const auto& [opt, name] : {std::pair{option::rcvbuf, "rcvbuf"}, std::pair{option::sndbuf, "sndbuf"}}) {
    for (const int value : {65536, 1, 1 << 30}) {
      b.setsockopt(opt, value);
      const int got = b.getsockopt(opt);
      observe(std::string(name) + "_set_" + std::to_string(value), got);
      if (value == 65536) {
        EXPECT_EQ(got, 2 * value) << name << ": Linux doubles the value set";
      }
    }
  }
}

KIND_TEST(WhatItIs, OPT_03_TheSocketSaysWhatItIs) {
  auto [a, b] = pair();
  const int domain = b.getsockopt(SOL_SOCKET, SO_DOMAIN), so_type = b.getsockopt(SOL_SOCKET, SO_TYPE);
  observe("so_domain", family_name(domain));
  observe("so_type", type_name(so_type));
  observe("so_protocol", b.getsockopt(SOL_SOCKET, SO_PROTOCOL));
  EXPECT_EQ(domain, domain_of(kind().family));
  EXPECT_EQ(so_type, type_of(kind().type));
  observe("family", family_name(domain_of(b.family())));
  observe("type", type_name(type_of(b.type())));
}

KIND_TEST(NodelayKeepalive, OPT_04_TcpNodelayAndKeepalive) {
  auto [a, b] = pair();
  std::string nodelay = outcome_of([&b = b] { b.setsockopt(option::tcp_nodelay, 1); });
  if (nodelay == "none") nodelay = std::to_string(b.getsockopt(option::tcp_nodelay));
  observe("nodelay", nodelay);
  EXPECT_EQ(nodelay, kind().family == family::unix_domain ? "OSError ENOTSUP"
                     : kind().type == type::stream        ? "1"
                                                          : "OSError ENOPROTOOPT");
  b.setsockopt(option::keepalive, 1);
  observe("keepalive", b.getsockopt(option::keepalive));
}

KIND_TEST(RcvLowat, OPT_05_RcvlowatHoldsBackTcpReadinessOnly) {
  auto [a, b] = pair();
  b.setsockopt(option::rcvlowat, 10);
  a.send(as_bytes("12345"));
  ASSERT_TRUE(queued_within(b, 5));
  const auto with_5 = poll_events(b);
  observe("events_with_5_of_10", with_5);
  const bool tcp = kind().family != family::unix_domain && kind().type == type::stream;
  EXPECT_EQ(std::find(with_5.begin(), with_5.end(), "POLLIN") == with_5.end(), tcp)
      << "only TCP's poll honours it";
  a.send(as_bytes("67890"));
  ASSERT_TRUE(polls_within(b, POLLIN));
  observe("events_with_10", poll_events(b));
  b.settimeout(std::chrono::milliseconds(200));
  observe("recv", decode(b.recv(100)));
}

KIND_TEST(QueuedBytes, OPT_06_FionreadCountsWhatWaits) {
  auto [a, b] = pair();
  observe("empty", queued_bytes(b));
  a.send(as_bytes("abc"));
  a.send(as_bytes("defgh"));
  if (kind().type == type::stream) {
    ASSERT_TRUE(queued_within(b, 8));
  } else {
    ASSERT_TRUE(polls_within(b, POLLIN));
  }
  const int queued = queued_bytes(b);
  observe("queued", queued);
  EXPECT_EQ(queued, kind().type == type::dgram ? 3 : 8) << "a datagram socket counts its next datagram";
}

KIND_TEST(SoError, OPT_07_SoErrorHoldsAResetOnce) {
  auto [a, b] = pair();
  observe("fresh", errno_name_of(b.getsockopt(option::error)));
  b.send(as_bytes("unread"));
  a.close();
  ASSERT_TRUE(polls_within(b, POLLERR));
  const auto after = errno_name_of(b.getsockopt(option::error));
  observe("after_reset", after);
  observe("read_again", errno_name_of(b.getsockopt(option::error)));
  EXPECT_EQ(after, "ECONNRESET");
}

KIND_TEST(AcceptConn, OPT_08_ConnectedSocketsAreNotListening) {
  auto [a, b] = pair();
  observe("first", a.getsockopt(option::acceptconn));
  observe("second", b.getsockopt(option::acceptconn));
  EXPECT_EQ(a.getsockopt(option::acceptconn) + b.getsockopt(option::acceptconn), 0);
}

}  // namespace
}  // namespace socklab::conformance
