// SPDX-License-Identifier: MIT
// Y. IP-level options (IP-*): TTL, TOS and hop-limit bounds, and what a UDP receiver learns of each
// datagram through ancillary data (IP_PKTINFO, IP_RECVTTL, IP_RECVTOS and their IPv6 twins), the
// path MTU and the ICMP error queue.
#include <time.h>  // before linux/errqueue.h, which uses struct timespec

#include <linux/errqueue.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>

#include <span>
#include <string>

#include "socklab/resolve.hpp"
#include "support/fixtures.hpp"

namespace socklab::conformance {
namespace {

// A UDP socket bound to the loopback of `f` that will report what `options` (level IPPROTO_IP or
// IPPROTO_IPV6, by family) ask for.
socket receiver(family f, std::initializer_list<int> options) {
  socket r(f, type::dgram);
  r.bind(loopback_of(f));
  for (const int o : options) r.setsockopt(f == family::inet6 ? IPPROTO_IPV6 : IPPROTO_IP, o, 1);
  return r;
}

std::string address_at(family f, const std::vector<std::byte>& data, std::size_t offset) {
  const std::size_t size = f == family::inet6 ? 16 : 4;
  if (data.size() < offset + size) return "short";
  return inet_ntop(f, std::span(data).subspan(offset, size));
}

TEST(IpOptions, IP_01_TtlTakesOneTo255AndMinusOneRestoresTheDefault) {
  socket s(family::inet, type::dgram);
  const int initial = s.getsockopt(IPPROTO_IP, IP_TTL);
  observe("default", initial);
  const auto got = setting_outcomes(s, IPPROTO_IP, IP_TTL, {-2, -1, 0, 1, 255, 256});
  observe("settings", got);
  s.setsockopt(IPPROTO_IP, IP_TTL, 7);
  s.setsockopt(IPPROTO_IP, IP_TTL, -1);
  observe("after_minus_one", s.getsockopt(IPPROTO_IP, IP_TTL));
  EXPECT_EQ(got, "-2:OSError EINVAL -1:none 0:OSError EINVAL 1:none 255:none 256:OSError EINVAL");
  EXPECT_EQ(s.getsockopt(IPPROTO_IP, IP_TTL), initial);
}

TEST(IpOptions, IP_02_TosKeepsTcpsEcnBitsAndCutsToOneByte) {
  socket udp(family::inet, type::dgram), tcp(family::inet, type::stream);
  udp.setsockopt(IPPROTO_IP, IP_TOS, 0xff);
  tcp.setsockopt(IPPROTO_IP, IP_TOS, 0xff);
  observe("udp", udp.getsockopt(IPPROTO_IP, IP_TOS));
  observe("tcp", tcp.getsockopt(IPPROTO_IP, IP_TOS));
  udp.setsockopt(IPPROTO_IP, IP_TOS, 256);
  observe("udp_256", udp.getsockopt(IPPROTO_IP, IP_TOS));
  EXPECT_EQ(udp.getsockopt(IPPROTO_IP, IP_TOS), 0);
  EXPECT_EQ(tcp.getsockopt(IPPROTO_IP, IP_TOS), 0xfc);
}

TEST(IpOptions, IP_03_PktinfoNamesTheInterfaceAndTheDestination) {
  auto r = receiver(family::inet, {IP_PKTINFO});
  socket w(family::inet, type::dgram);
  const auto items = items_of_a_datagram(w, r);
  observe("items", item_names(items));
  const auto info = item_data(items, IPPROTO_IP, IP_PKTINFO);
  observe("on_lo", int_at(info) == static_cast<int>(if_nametoindex("lo")));
  observe("spec_dst", address_at(family::inet, info, 4));
  observe("addr", address_at(family::inet, info, 8));
  EXPECT_EQ(info.size(), sizeof(in_pktinfo));
  EXPECT_EQ(address_at(family::inet, info, 8), "127.0.0.1");
}

TEST(IpOptions, IP_04_RecvttlGivesTheSendersTtl) {
  auto r = receiver(family::inet, {IP_RECVTTL});
  socket w(family::inet, type::dgram);
  w.setsockopt(IPPROTO_IP, IP_TTL, 7);
  const auto items = items_of_a_datagram(w, r);
  observe("items", item_names(items));
  observe("ttl", int_at(item_data(items, IPPROTO_IP, IP_TTL)));
  EXPECT_EQ(int_at(item_data(items, IPPROTO_IP, IP_TTL)), 7);
}

TEST(IpOptions, IP_05_RecvtosGivesTheSendersTosInOneByte) {
  auto r = receiver(family::inet, {IP_RECVTOS});
  socket w(family::inet, type::dgram);
  w.setsockopt(IPPROTO_IP, IP_TOS, 0x28);
  const auto items = items_of_a_datagram(w, r);
  const auto tos = item_data(items, IPPROTO_IP, IP_TOS);
  observe("items", item_names(items));
  observe("size", static_cast<int>(tos.size()));
  observe("tos", tos.empty() ? -1 : std::to_integer<int>(tos[0]));
  ASSERT_EQ(tos.size(), 1U);
  EXPECT_EQ(std::to_integer<int>(tos[0]), 0x28);
}

TEST(IpOptions, IP_06_UnicastHopsTakesMinusOneTo255) {
  if (!ipv6_available()) GTEST_SKIP() << "no IPv6 loopback (::1) here";
  socket s(family::inet6, type::dgram);
  observe("default", s.getsockopt(IPPROTO_IPV6, IPV6_UNICAST_HOPS));
  const auto got = setting_outcomes(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, {-2, -1, 0, 255, 256});
  observe("settings", got);
  EXPECT_EQ(got, "-2:OSError EINVAL -1:none 0:none 255:none 256:OSError EINVAL");
}

TEST(IpOptions, IP_07_Ipv6PktinfoNamesTheDestinationAndTheInterface) {
  if (!ipv6_available()) GTEST_SKIP() << "no IPv6 loopback (::1) here";
  auto r = receiver(family::inet6, {IPV6_RECVPKTINFO});
  socket w(family::inet6, type::dgram);
  const auto items = items_of_a_datagram(w, r);
  const auto info = item_data(items, IPPROTO_IPV6, IPV6_PKTINFO);
  observe("items", item_names(items));
  observe("addr", address_at(family::inet6, info, 0));
  observe("on_lo", int_at(info, 16) == static_cast<int>(if_nametoindex("lo")));
  EXPECT_EQ(address_at(family::inet6, info, 0), "::1");
}

TEST(IpOptions, IP_08_HopLimitAndTrafficClassArriveAsInts) {
  if (!ipv6_available()) GTEST_SKIP() << "no IPv6 loopback (::1) here";
  auto r = receiver(family::inet6, {IPV6_RECVHOPLIMIT, IPV6_RECVTCLASS});
  socket w(family::inet6, type::dgram);
  w.setsockopt(IPPROTO_IPV6, IPV6_UNICAST_HOPS, 9);
  w.setsockopt(IPPROTO_IPV6, IPV6_TCLASS, 0x28);
  const auto items = items_of_a_datagram(w, r);
  observe("items", item_names(items));
  observe("hoplimit", int_at(item_data(items, IPPROTO_IPV6, IPV6_HOPLIMIT)));
  observe("tclass", int_at(item_data(items, IPPROTO_IPV6, IPV6_TCLASS)));
  EXPECT_EQ(int_at(item_data(items, IPPROTO_IPV6, IPV6_HOPLIMIT)), 9);
  EXPECT_EQ(int_at(item_data(items, IPPROTO_IPV6, IPV6_TCLASS)), 0x28);
}

TEST(IpOptions, IP_09_Inet6TakesIpOptionsInetDoesNotTakeIpv6Ones) {
  socket v4(family::inet, type::dgram);
  const auto ipv6_on_inet = outcome_of([&] { v4.setsockopt(IPPROTO_IPV6, IPV6_UNICAST_HOPS, 5); });
  observe("ipv6_on_inet", ipv6_on_inet);
  EXPECT_EQ(ipv6_on_inet, "OSError ENOPROTOOPT");
  if (!ipv6_available()) GTEST_SKIP() << "no IPv6 loopback (::1) here";
  socket v6(family::inet6, type::dgram);
  const auto ip_on_inet6 = outcome_of([&] { v6.setsockopt(IPPROTO_IP, IP_TTL, 5); });
  observe("ip_on_inet6", ip_on_inet6);
  EXPECT_EQ(ip_on_inet6, "none");
}

TEST(IpOptions, IP_10_MulticastStaysLocalAndLoopsBackByDefault) {
  socket s(family::inet, type::dgram);
  observe("multicast_ttl", s.getsockopt(IPPROTO_IP, IP_MULTICAST_TTL));
  observe("multicast_loop", s.getsockopt(IPPROTO_IP, IP_MULTICAST_LOOP));
  const auto too_big = outcome_of([&] { s.setsockopt(IPPROTO_IP, IP_MULTICAST_TTL, 256); });
  observe("ttl_256", too_big);
  EXPECT_EQ(s.getsockopt(IPPROTO_IP, IP_MULTICAST_TTL), 1);
  EXPECT_EQ(s.getsockopt(IPPROTO_IP, IP_MULTICAST_LOOP), 1);
  EXPECT_EQ(too_big, "OSError EINVAL");
}

TEST(IpOptions, IP_11_MtuIsTheConnectedRoutes) {
  socket s(family::inet, type::dgram);
  const auto unconnected = outcome_of([&] { (void)s.getsockopt(IPPROTO_IP, IP_MTU); });
  s.connect(ipv4_address::loopback(9));
  const int connected = s.getsockopt(IPPROTO_IP, IP_MTU);
  observe("unconnected", unconnected);
  observe("connected", connected);
  observe("discover", s.getsockopt(IPPROTO_IP, IP_MTU_DISCOVER));
  EXPECT_EQ(unconnected, "OSError ENOTCONN");
  EXPECT_GT(connected, 0);
}

TEST(IpOptions, IP_12_RecverrKeepsIcmpErrorsInAnErrorQueue) {
  socket s(family::inet, type::dgram);
  s.setsockopt(IPPROTO_IP, IP_RECVERR, 1);
  s.sendto(as_bytes("x"), unused_port(type::dgram));
  ASSERT_TRUE(polls_within(s, POLLERR));
  s.setblocking(false);  // the error queue never blocks; a wait in timeout mode would be for data
  const auto r = s.recvmsg(16, 512, MSG_ERRQUEUE);
  const auto err = item_data(r.ancdata, IPPROTO_IP, IP_RECVERR);
  sock_extended_err ee{};
  if (err.size() >= sizeof ee) std::memcpy(&ee, err.data(), sizeof ee);
  observe("data", decode(r.data));
  observe("items", item_names(r.ancdata));
  observe("ee_errno", errno_name_of(static_cast<int>(ee.ee_errno)));
  observe("ee_origin", static_cast<int>(ee.ee_origin));
  observe("ee_type", static_cast<int>(ee.ee_type));
  observe("ee_code", static_cast<int>(ee.ee_code));
  observe("errqueue_flag", (r.msg_flags & MSG_ERRQUEUE) != 0);
  const auto then = outcome_of([&] { (void)s.recvmsg(16, 512, MSG_ERRQUEUE); });
  observe("then", then);
  EXPECT_EQ(errno_name_of(static_cast<int>(ee.ee_errno)), "ECONNREFUSED");
  EXPECT_EQ(ee.ee_origin, SO_EE_ORIGIN_ICMP);
  EXPECT_EQ(then, "BlockingIOError EAGAIN");
}

}  // namespace
}  // namespace socklab::conformance
