// SPDX-License-Identifier: MIT
// C. listen() backlog (TCP-BACKLOG-*). Capacities are counted on the server side, never from
// client connect() results (older kernels let clients complete connections they then dropped).
#include <sys/resource.h>

#include <cstdlib>

#include "run_context.hpp"
#include "support/fixtures.hpp"

namespace socklab::conformance {
namespace {

struct capacity_probe {
  int accepted;
  int clients_connected;  // clients whose handshake completed: on Linux, exactly the admitted ones
};

capacity_probe measure(std::optional<int> backlog, int attempts) {
  socket server;
  server.bind(ipv4_address::loopback());
  server.listen(backlog);
  std::vector<socket> clients;
  const int accepted = tcp_accept_queue_capacity(server, attempts, clients);
  int connected = 0;
  for (const auto& c : clients) {
    try {
      c.getpeername();
      ++connected;
    } catch (const error&) {
    }
  }
  return {accepted, connected};
}

void expect_capacity(int capacity, int backlog) {
#if defined(__linux__)
  EXPECT_EQ(capacity, backlog + 1) << "Linux admits backlog + 1";
#else
  EXPECT_GE(capacity, std::max(backlog, 1));
#endif
}

TEST(Backlog, TCP_BACKLOG_01_NegativeIsClampedAndDefaultExists) {
  for (const std::optional<int> b : {std::optional<int>{}, std::optional<int>{0}, std::optional<int>{-1}}) {
    socket s;
    s.bind(ipv4_address::loopback());
    EXPECT_NO_THROW(s.listen(b));
  }
  const auto negative = measure(-1, 3);
  observe("accept_queue_capacity[backlog=-1]", negative.accepted);
  expect_capacity(negative.accepted, 0);
}

TEST(Backlog, TCP_BACKLOG_02_HugeBacklogIsCappedBySomaxconn) {
  socket s;
  s.bind(ipv4_address::loopback());
  EXPECT_NO_THROW(s.listen(1'000'000));
  const auto somaxconn_text = harness::read_sysctl("net/core/somaxconn");
  if (!somaxconn_text) GTEST_SKIP() << "net.core.somaxconn is not readable here";
  const int somaxconn = std::atoi(somaxconn_text->c_str());
  observe("somaxconn", somaxconn);
  // Each admitted connection costs two descriptors (client and accepted end).
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  const rlim_t needed = 2 * static_cast<rlim_t>(somaxconn) + 64;
  if (lim.rlim_cur < needed && lim.rlim_max >= needed) {
    lim.rlim_cur = needed;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
  if (somaxconn > 8192 || lim.rlim_cur < needed)
    GTEST_SKIP() << "somaxconn " << somaxconn << " needs " << needed << " descriptors; the limit is "
                 << lim.rlim_cur;
  const auto huge = measure(1'000'000, somaxconn + 2);
  observe("accept_queue_capacity[backlog=huge]", huge.accepted);
  expect_capacity(huge.accepted, somaxconn);
}

TEST(Backlog, TCP_BACKLOG_03_QueueHoldsBacklogPlusOne) {
  for (const int backlog : {0, 1, 4, 16}) {
    const auto probe = measure(backlog, backlog + 3);
    observe("accept_queue_capacity[backlog=" + std::to_string(backlog) + "]", probe.accepted);
    expect_capacity(probe.accepted, backlog);
#if defined(__linux__)
    EXPECT_EQ(probe.clients_connected, probe.accepted) << "clients beyond the queue must not complete";
#endif
  }
}

TEST(Backlog, TCP_BACKLOG_04_ListenNeedsAConnectionOrientedSocket) {
  socket s(family::inet, type::dgram);
  EXPECT_TRUE(raises(std::errc::operation_not_supported, [&] { s.listen(); }));
}

TEST(Backlog, TCP_BACKLOG_05_UnboundListenAutobindsTcpButNotUnix) {
  socket tcp;
  tcp.listen();
  EXPECT_NE(std::get<ipv4_address>(tcp.getsockname()).port, 0);
  socket unix_stream(family::unix_domain, type::stream);
  EXPECT_TRUE(raises(std::errc::invalid_argument, [&] { unix_stream.listen(); }));
}

}  // namespace
}  // namespace socklab::conformance
