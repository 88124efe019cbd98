// SPDX-License-Identifier: MIT
// Datagram calls: sendto, recvfrom, recvfrom_into, over UDP (IPv4, IPv6) and AF_UNIX.
#include "socklab/socket.hpp"

#include <gtest/gtest.h>

#include "support.hpp"

namespace socklab {
namespace {

using namespace test;

socket bound_udp(family f) {
  socket s(f, type::dgram);
  s.settimeout(loopback_timeout);
  if (f == family::inet6)
    s.bind(ipv6_address::loopback());
  else
    s.bind(ipv4_address::loopback());
  return s;
}

class UdpFamilies : public ::testing::TestWithParam<family> {
 protected:
  void SetUp() override {
    if (GetParam() == family::inet6 && !ipv6_available())
      GTEST_SKIP() << "IPv6 loopback (::1) is not available here";
  }
};

TEST_P(UdpFamilies, SendtoRecvfromReturnsPayloadAndSender) {
  auto server = bound_udp(GetParam());
  auto client = bound_udp(GetParam());
  EXPECT_EQ(client.sendto(as_bytes("ping"), server.getsockname()), 4u);
  auto [data, from] = server.recvfrom(64);
  EXPECT_EQ(as_text(data), "ping");
  ASSERT_TRUE(from.has_value());
  EXPECT_EQ(*from, client.getsockname());
  server.sendto(as_bytes("pong"), *from);
  std::array<std::byte, 16> buf{};
  auto r = client.recvfrom_into(buf);
  EXPECT_EQ(as_text(std::span(buf).first(r.nbytes)), "pong");
  EXPECT_EQ(r.addr, server.getsockname());
}

TEST_P(UdpFamilies, BoundariesAreKeptAndTruncationDiscardsTheRest) {
  auto server = bound_udp(GetParam());
  auto client = bound_udp(GetParam());
  client.sendto(as_bytes("0123456789"), server.getsockname());
  client.sendto(as_bytes("next"), server.getsockname());
  EXPECT_EQ(decode(server.recvfrom(3).data), "012");
  EXPECT_EQ(decode(server.recv(64)), "next");
}

TEST_P(UdpFamilies, ZeroLengthDatagramIsNotEof) {
  auto server = bound_udp(GetParam());
  auto client = bound_udp(GetParam());
  EXPECT_EQ(client.sendto({}, server.getsockname()), 0u);
  auto [data, from] = server.recvfrom(64);
  EXPECT_TRUE(data.empty());
  EXPECT_EQ(from, client.getsockname());
}

INSTANTIATE_TEST_SUITE_P(Ip, UdpFamilies, ::testing::Values(family::inet, family::inet6),
                         [](const auto& info) { return std::string(to_string(info.param)); });

TEST(Dgram, RecvZeroDoesNotConsumeADatagramButRecvfromZeroDoes) {
  auto server = bound_udp(family::inet);
  auto client = bound_udp(family::inet);
  client.sendto(as_bytes("one"), server.getsockname());
  client.sendto(as_bytes("two"), server.getsockname());
  EXPECT_TRUE(server.recv(0).empty());
  EXPECT_EQ(decode(server.recv(16)), "one");
  EXPECT_TRUE(server.recvfrom(0).data.empty());  // makes the call: "two" is gone
  server.setblocking(false);
  EXPECT_THROW(server.recv(16), blocking_io_error);
}

TEST(Dgram, SendWithoutDestinationFails) {
  socket s(family::inet, type::dgram);
  EXPECT_TRUE(raises(std::errc::destination_address_required, [&] { s.send(as_bytes("x")); }));
  EXPECT_THROW(s.sendto(as_bytes("x"), ipv6_address::loopback(9)), std::invalid_argument);
  auto r = s.try_sendto(as_bytes("x"), ipv6_address::loopback(9));
  EXPECT_FALSE(r);
}

TEST(Dgram, ConnectedUdpReportsPortUnreachableAsRefused) {
  const address closed = unused_port(type::dgram);
  socket s(family::inet, type::dgram);
  s.settimeout(loopback_timeout);
  s.connect(closed);
  s.send(as_bytes("x"));  // accepted; the ICMP error comes back asynchronously
  EXPECT_THROW(s.recv(8), connection_refused_error);
}

TEST(Dgram, UnixDatagramsCarryTheSenderPathOrNone) {
  temp_dir dir;
  socket server(family::unix_domain, type::dgram);
  server.bind(unix_address(dir.file("srv.sock")));
  server.settimeout(loopback_timeout);
  socket named(family::unix_domain, type::dgram);
  named.bind(unix_address(dir.file("cli.sock")));
  socket unnamed(family::unix_domain, type::dgram);
  named.sendto(as_bytes("a"), server.getsockname());
  unnamed.sendto(as_bytes("b"), server.getsockname());
  auto first = server.recvfrom(8);
  auto second = server.recvfrom(8);
  EXPECT_EQ(first.addr, address(unix_address(dir.file("cli.sock"))));
  EXPECT_EQ(second.addr, std::nullopt);  // Python: None
}

TEST(Dgram, TryRecvfromIntoDoesNotThrow) {
  auto s = bound_udp(family::inet);
  s.setblocking(false);
  std::array<std::byte, 8> buf{};
  auto r = s.try_recvfrom_into(buf);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error() == std::errc::resource_unavailable_try_again ||
              r.error() == std::errc::operation_would_block);
  EXPECT_THROW(s.recvfrom(-1), std::invalid_argument);
  EXPECT_THROW(s.recvfrom_into(buf, 9), std::invalid_argument);
}

TEST(Dgram, RecvfromOnAStreamGivesNoAddress) {
  auto [c, s] = tcp_pair();
  c.sendall(as_bytes("x"));
  auto r = s.recvfrom(8);
  EXPECT_EQ(as_text(r.data), "x");
  EXPECT_FALSE(r.addr.has_value());  // Python returns None here
}

}  // namespace
}  // namespace socklab
