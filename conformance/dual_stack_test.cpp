// SPDX-License-Identifier: MIT
// W. IPv6 sockets and IPv4 (DUAL-*): IPV6_V6ONLY, the ports a dual-stack socket holds in both
// families, and IPv4 peers seen as v4-mapped IPv6 addresses.
#include <stdexcept>
#include <string>
#include <utility>

#include "socklab/connection.hpp"
#include "support/fixtures.hpp"

namespace socklab::conformance {
namespace {

// ::ffff:127.0.0.1, IPv4's loopback seen through IPv6.
ipv6_address mapped_loopback(int port = 0) { return {"::ffff:127.0.0.1", port}; }

// An AF_INET6 socket of type `t` with IPV6_V6ONLY set to `v6only`.
socket v6_socket(bool v6only, type t = type::stream) {
  socket s(family::inet6, t);
  s.setsockopt(option::ipv6_v6only, v6only ? 1 : 0);
  return s;
}

class DualStack : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!ipv6_available()) GTEST_SKIP() << "no IPv6 loopback here";
  }
};

TEST_F(DualStack, DUAL_01_V6onlyDefaultsToOffAndIsSetBeforeBind) {
  const socket tcp(family::inet6, type::stream), udp(family::inet6, type::dgram);
  observe("tcp_default", tcp.getsockopt(option::ipv6_v6only));
  observe("udp_default", udp.getsockopt(option::ipv6_v6only));
  EXPECT_EQ(tcp.getsockopt(option::ipv6_v6only), 0) << "net.ipv6.bindv6only is 0 on Linux";
  socket v4(family::inet, type::stream);
  const auto on_inet = outcome_of([&] { v4.setsockopt(option::ipv6_v6only, 1); });
  socket bound(family::inet6, type::stream);
  bound.bind(ipv6_address::loopback());
  const auto after_bind = outcome_of([&] { bound.setsockopt(option::ipv6_v6only, 1); });
  observe("on_inet", on_inet);
  observe("after_bind", after_bind);
  EXPECT_EQ(on_inet, "OSError ENOPROTOOPT");
  EXPECT_EQ(after_bind, "OSError EINVAL");
}

// Stream sockets that never listen: bound to a wildcard, they are reachable from nowhere.
// Copies of this suite running at once (the soak) take ports from one range, and an IPv6 socket's
// port says nothing of the IPv4 port of the same number, which another process may hold. So each
// check runs on fresh sockets, `attempt()` giving its outcome and the port it used, and once those
// sockets are gone `held_elsewhere(port)` says whether someone else has that port: then the outcome
// proves nothing and the check runs again on another port.
template <class Attempt, class Probe>
std::string unless_held_elsewhere(Attempt attempt, Probe held_elsewhere) {
  for (int tries = 0; tries < 20; ++tries) {
    const auto [outcome, port] = attempt();
    if (!held_elsewhere(port)) return outcome;
  }
  throw std::runtime_error("20 ports in a row were held by another process");
}

bool v4_port_taken(int port) {
  socket probe(family::inet, type::stream);
  return outcome_of([&] { probe.bind(ipv4_address::loopback(port)); }) != "none";
}

TEST_F(DualStack, DUAL_02_ADualStackWildcardHoldsTheIpv4PortToo) {
  for (const bool v6only : {false, true}) {
    const auto got = unless_held_elsewhere(
        [&] {
          auto wildcard = v6_socket(v6only);
          wildcard.bind(ipv6_address::any());
          const int port = port_of(wildcard.getsockname());
          socket v4(family::inet, type::stream);
          return std::pair{outcome_of([&] { v4.bind(ipv4_address::loopback(port)); }), port};
        },
        v4_port_taken);
    observe(v6only ? "v6only_then_v4" : "dual_then_v4", got);
    EXPECT_EQ(got, v6only ? "none" : "OSError EADDRINUSE");
  }
}

TEST_F(DualStack, DUAL_03_AnIpv4WildcardBlocksADualStackBindOnly) {
  for (const bool v6only : {false, true}) {
    const auto got = unless_held_elsewhere(
        [&] {
          socket v4(family::inet, type::stream);
          v4.bind(ipv4_address::any());
          const int port = port_of(v4.getsockname());
          auto v6 = v6_socket(v6only);
          return std::pair{outcome_of([&] { v6.bind(ipv6_address::any(port)); }), port};
        },
        [](int port) {  // a dual-stack bind meets every holder of the port, of either family
          auto probe = v6_socket(false);
          return outcome_of([&] { probe.bind(ipv6_address::any(port)); }) != "none";
        });
    observe(v6only ? "v6only_after_v4" : "dual_after_v4", got);
    EXPECT_EQ(got, v6only ? "none" : "OSError EADDRINUSE");
  }
}

TEST_F(DualStack, DUAL_04_AV6onlyListenerRefusesIpv4Clients) {
  for (const bool v6only : {false, true}) {
    const auto got = unless_held_elsewhere(
        [&] {
          auto l = v6_socket(v6only);
          l.bind(ipv6_address::any());
          l.listen();
          const int port = port_of(l.getsockname());
          socket client(family::inet, type::stream);
          client.settimeout(loopback_timeout);
          return std::pair{outcome_of([&] { client.connect(ipv4_address::loopback(port)); }), port};
        },
        [](int port) {  // someone else listens on the IPv4 port
          socket probe(family::inet, type::stream);
          probe.settimeout(loopback_timeout);
          return outcome_of([&] { probe.connect(ipv4_address::loopback(port)); }) == "none";
        });
    observe(v6only ? "v6only" : "dual", got);
    EXPECT_EQ(got, v6only ? "ConnectionRefusedError ECONNREFUSED" : "none");
  }
}

TEST_F(DualStack, DUAL_05_ADualStackSocketCanBindAMappedAddress) {
  auto l = v6_socket(false);
  l.bind(mapped_loopback());
  l.listen();
  const auto name = std::get<ipv6_address>(l.getsockname());
  auto client = create_connection(ipv4_address::loopback(name.port), loopback_timeout);
  l.settimeout(loopback_timeout);
  const auto [conn, peer] = l.accept();
  observe("bound_host", name.host_string());
  observe("peer_host", std::get<ipv6_address>(peer).host_string());
  auto v6only = v6_socket(true);
  const auto refused = outcome_of([&] { v6only.bind(mapped_loopback()); });
  observe("v6only_bind", refused);
  EXPECT_EQ(name.host_string(), "::ffff:127.0.0.1");
  EXPECT_EQ(refused, "OSError EINVAL");
}

TEST_F(DualStack, DUAL_06_OnlyADualStackSocketReachesAMappedAddress) {
  const auto discard = mapped_loopback(unused_port(type::dgram).port);
  auto v6only = v6_socket(true, type::dgram);
  observe("v6only_sendto", outcome_of([&] { v6only.sendto(as_bytes("x"), discard); }));
  observe("v6only_connect", outcome_of([&] { v6only.connect(discard); }));
  socket on_v6_loopback(family::inet6, type::dgram);
  on_v6_loopback.bind(ipv6_address::loopback());
  const auto from_v6 = outcome_of([&] { on_v6_loopback.sendto(as_bytes("x"), discard); });
  socket on_mapped(family::inet6, type::dgram);
  on_mapped.bind(mapped_loopback());
  const auto to_v6 = outcome_of([&] { on_mapped.sendto(as_bytes("x"), ipv6_address::loopback(9)); });
  observe("bound_to_v6_sendto_mapped", from_v6);
  observe("bound_to_mapped_sendto_v6", to_v6);
  EXPECT_EQ(from_v6, "OSError ENETUNREACH");
  EXPECT_EQ(to_v6, "OSError EAFNOSUPPORT");
}

TEST_F(DualStack, DUAL_07_AnIpv6ClientReachesAnIpv4ListenerThroughAMappedAddress) {
  auto l = listener(family::inet);
  socket client(family::inet6, type::stream);
  client.settimeout(loopback_timeout);
  client.connect(mapped_loopback(port_of(l.getsockname())));
  l.settimeout(loopback_timeout);
  const auto [conn, peer] = l.accept();
  observe("listener_sees", std::get<ipv4_address>(peer).host_string());
  observe("client_name", std::get<ipv6_address>(client.getsockname()).host_string());
  observe("client_peer", std::get<ipv6_address>(client.getpeername()).host_string());
  EXPECT_EQ(std::get<ipv4_address>(peer).port, std::get<ipv6_address>(client.getsockname()).port);
}

TEST_F(DualStack, DUAL_08_UdpOverDualStackSpeaksToIpv4ThroughMappedAddresses) {
  socket v6(family::inet6, type::dgram), v4(family::inet, type::dgram);
  v6.settimeout(loopback_timeout);
  v4.settimeout(loopback_timeout);
  v6.bind(mapped_loopback());
  v4.bind(ipv4_address::loopback());
  v4.sendto(as_bytes("ping"), ipv4_address::loopback(port_of(v6.getsockname())));
  const auto got = v6.recvfrom(16);
  const auto& sender = std::get<ipv6_address>(*got.addr);
  observe("v6_got_from", sender.host_string());
  EXPECT_EQ(sender.port, port_of(v4.getsockname()));
  v6.sendto(as_bytes("pong"), sender);
  const auto reply = v4.recvfrom(16);
  observe("v4_got", decode(reply.data));
  observe("v4_got_from", std::get<ipv4_address>(*reply.addr).host_string());
}

}  // namespace
}  // namespace socklab::conformance
