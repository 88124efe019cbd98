// SPDX-License-Identifier: MIT
// B. Addressing and bind (ADDR-*).
#include <cstring>
#include <vector>

#include "support/fixtures.hpp"
#include "support/socket_kinds.hpp"

namespace socklab::conformance {
namespace {

TEST(Addressing, ADDR_01_PortZeroPicksAnEphemeralPort) {
  auto a = listener();
  const auto port = std::get<ipv4_address>(a.getsockname()).port;
  EXPECT_NE(port, 0);
  observe("ephemeral_port", port);
  socket b;
  EXPECT_TRUE(raises(std::errc::address_in_use, [&] { b.bind(ipv4_address::loopback(port)); }));
}

TEST(Addressing, ADDR_02_EmptyHostIsAnyAndBroadcastIsAllOnes) {
  socket s(family::inet, type::dgram);
  s.bind(ipv4_address("", 0));
  EXPECT_EQ(std::get<ipv4_address>(s.getsockname()).host_string(), "0.0.0.0");
  EXPECT_EQ(ipv4_address("<broadcast>", 0).host_string(), "255.255.255.255");
}

TEST(Addressing, ADDR_03_Ipv6AddressIsAFourTuple) {
  if (!ipv6_available()) GTEST_SKIP() << "IPv6 loopback (::1) is not available here";
  socket s(family::inet6, type::stream);
  s.bind(ipv6_address::loopback());
  const auto local = std::get<ipv6_address>(s.getsockname());
  EXPECT_EQ(local.host_string(), "::1");
  EXPECT_NE(local.port, 0);
  EXPECT_EQ(local.flowinfo, 0u);
  EXPECT_EQ(local.scope_id, 0u);
  EXPECT_THROW(ipv6_address("::1", 0, -10), std::out_of_range);
  EXPECT_THROW(ipv6_address("::1", 0, 1 << 20), std::out_of_range);
}

TEST(Addressing, ADDR_04_PortOutOfRangeIsAnArgumentError) {
  EXPECT_THROW(ipv4_address("127.0.0.1", 65536), std::out_of_range);
  EXPECT_THROW(ipv4_address("127.0.0.1", -1), std::out_of_range);
  EXPECT_THROW(ipv6_address("::1", 65536), std::out_of_range);
  EXPECT_THROW(ipv6_address("::1", -65536), std::out_of_range);
}

TEST(Addressing, ADDR_05_ASocketBindsOnlyOnce) {
  socket s;
  s.bind(ipv4_address::loopback());
  EXPECT_TRUE(raises(std::errc::invalid_argument, [&] { s.bind(ipv4_address::loopback()); }));
}

TEST(Addressing, ADDR_06_DualStackListenerSeesMappedIpv4Clients) {
  if (!ipv6_available() || !has_dualstack_ipv6()) GTEST_SKIP() << "no dual-stack IPv6 here";
  EXPECT_EQ(create_server(ipv6_address::loopback()).getsockopt(option::ipv6_v6only), 1);
  server_options dual;
  dual.dualstack_ipv6 = true;
  auto server = create_server(ipv6_address::any(), dual);
  const auto port = std::get<ipv6_address>(server.getsockname()).port;
  auto client = create_connection(ipv4_address::loopback(port), loopback_timeout);
  server.settimeout(loopback_timeout);
  auto [conn, addr] = server.accept();
  const auto& peer = std::get<ipv6_address>(addr);
  EXPECT_EQ(peer.host_string(), "::ffff:127.0.0.1");
  EXPECT_EQ(peer.port, std::get<ipv4_address>(client.getsockname()).port);
}

std::string hex(const std::vector<std::byte>& bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const auto b : bytes) {
    out += digits[std::to_integer<int>(b) >> 4];
    out += digits[std::to_integer<int>(b) & 0xf];
  }
  return out;
}

TEST(Addressing, ADDR_07_TextAndPackedAddressesConvertBothWays) {
  EXPECT_EQ(inet_ntop(family::inet, inet_pton(family::inet, "1.2.3.4")), "1.2.3.4");
  const auto mapped = inet_pton(family::inet6, "::ffff:1.2.3.4");
  observe("pton_v6", hex(mapped));
  observe("ntop_v6", inet_ntop(family::inet6, inet_pton(family::inet6, "2001:0db8:0:0:0:0:0:1")));
  observe("aton_shorthand", inet_ntoa(inet_aton("127.1")));
  EXPECT_THROW(inet_pton(family::inet, "1.2.3"), socklab::error);  // Python: OSError
  EXPECT_THROW(inet_pton(family::inet6, "::g"), socklab::error);
  EXPECT_THROW(inet_aton("1.2.3.4.5"), socklab::error);
  const std::vector<std::byte> three(3);
  EXPECT_THROW(inet_ntop(family::inet, three), std::invalid_argument);  // Python: ValueError
  EXPECT_THROW(inet_ntoa(three), socklab::error);                       // Python: OSError
}

// The host create_server(host, 0, f) bound, or the Python class and errno of what it threw.
std::string bound_host_or_error(std::string_view host, family f) {
  try {
    return host_of(create_server(host, 0, f).getsockname());
  } catch (const gai_error& e) {
    return "gaierror " + std::to_string(e.code().value());
  } catch (const error& e) {
    return "OSError " + std::to_string(e.code().value());
  }
}

TEST(Addressing, ADDR_08_CreateServerResolvesWithinItsFamily) {
  if (!ipv6_available()) GTEST_SKIP() << "no IPv6 loopback here";
  observe("inet6_numeric", bound_host_or_error("::1", family::inet6));
  observe("inet_localhost", bound_host_or_error("localhost", family::inet));
  observe("inet_with_ipv6_host", bound_host_or_error("::1", family::inet));
  observe("inet6_with_ipv4_host", bound_host_or_error("127.0.0.1", family::inet6));
}

template <class T>
bool in_memory_is(T value, std::vector<unsigned char> bytes) {
  return bytes.size() == sizeof(T) && std::memcmp(&value, bytes.data(), sizeof(T)) == 0;
}

TEST(Addressing, ADDR_09_NetworkByteOrder) {
  observe("htons_0x1234", to_network_order(std::uint16_t{0x1234}));
  observe("htonl_0x12345678", to_network_order(std::uint32_t{0x12345678}));
  observe("round_trip", from_network_order(to_network_order(std::uint16_t{0xBEEF})) == 0xBEEF &&
                            from_network_order(to_network_order(std::uint32_t{0xDEADBEEF})) == 0xDEADBEEF);
  observe("in_memory_big_endian",
          in_memory_is(to_network_order(std::uint16_t{0x1234}), {0x12, 0x34}) &&
              in_memory_is(to_network_order(std::uint32_t{0x12345678}), {0x12, 0x34, 0x56, 0x78}));
}

KIND_TEST(MirroredNames, ADDR_10_TheTwoEndsNamesMirrorEachOther) {
  auto [a, b] = pair();
  observe("mine_is_the_peers_peer", a.getsockname() == b.getpeername());
  observe("the_peers_is_my_peer", b.getsockname() == a.getpeername());
  EXPECT_EQ(a.getsockname(), b.getpeername());
  EXPECT_EQ(b.getsockname(), a.getpeername());
}

KIND_TEST(UnboundName, ADDR_11_AnUnboundSocketsNameIsTheWildcard) {
  const socket fresh(kind().family, kind().type);
  const auto name = fresh.getsockname();
  observe("host", host_of(name));
  if (kind().family != family::unix_domain) observe("port", port_of(name));
  EXPECT_EQ(host_of(name), kind().family == family::inet    ? "0.0.0.0"
                           : kind().family == family::inet6 ? "::"
                                                            : "");
  if (kind().family != family::unix_domain) {
    EXPECT_EQ(port_of(name), 0);
  }
}

KIND_TEST(NoPeerName, ADDR_12_AnUnconnectedSocketHasNoPeerName) {
  const socket fresh(kind().family, kind().type);
  const auto bound = unconnected_of(kind());
  const auto of_fresh = outcome_of([&] { (void)fresh.getpeername(); });
  const auto of_bound = outcome_of([&] { (void)bound.getpeername(); });
  auto [a, b] = pair();
  b.close();
  const auto after_peer_closed = outcome_of([&a = a] { (void)a.getpeername(); });
  observe("fresh", of_fresh);
  observe("bound", of_bound);
  observe("after_the_peer_closed", after_peer_closed);
  EXPECT_EQ(of_fresh, "OSError ENOTCONN");
  EXPECT_EQ(of_bound, "OSError ENOTCONN");
  EXPECT_EQ(after_peer_closed, "none");
}

}  // namespace
}  // namespace socklab::conformance
