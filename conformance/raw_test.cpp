// SPDX-License-Identifier: MIT
// L. SOCK_RAW (RAW-*): ICMP echo on 127.0.0.1 when privileged, a clean permission error when not.
#include <netinet/in.h>

#include "support/fixtures.hpp"

namespace socklab::conformance {
namespace {

bool raw_allowed() {
  try {
    socket s(family::inet, type::raw, IPPROTO_ICMP);
    return true;
  } catch (const permission_error&) {
    return false;
  }
}

TEST(Raw, RAW_01_RawSocketsNeedPrivilege) {
  const bool privileged = raw_allowed();
  observe("raw_socket_privileged", privileged);
  if (::geteuid() == 0) {
    // Root can also show the unprivileged side: a child gives up root and must get EPERM.
    const int status = in_child([] {
      if (::setgid(65534) != 0 || ::setuid(65534) != 0) return 3;
      try {
        socket s(family::inet, type::raw, IPPROTO_ICMP);
        return 1;  // created without privilege
      } catch (const permission_error& e) {
        return e.code() == std::errc::operation_not_permitted ? 0 : 2;
      } catch (...) {
        return 2;
      }
    });
    EXPECT_EQ(status, 0) << "1: created without privilege, 2: wrong error, 3: could not drop root";
  } else if (!privileged) {
    EXPECT_THROW(socket(family::inet, type::raw, IPPROTO_ICMP), permission_error);
  }  // else: not root but CAP_NET_RAW; raw_allowed() already proved the socket is created
}

std::uint16_t inet_checksum(std::span<const std::uint8_t> data) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < data.size(); i += 2) sum += (data[i] << 8) | data[i + 1];
  if (data.size() % 2) sum += data.back() << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

TEST(Raw, RAW_02_RawIcmpSeesTheIpHeader) {
  if (!raw_allowed()) GTEST_SKIP() << "raw sockets need root or CAP_NET_RAW";
  socket s(family::inet, type::raw, IPPROTO_ICMP);
  s.settimeout(loopback_timeout);
  std::array<std::uint8_t, 16> echo{8, 0, 0, 0, 0x12, 0x34, 0, 1, 's', 'o', 'c', 'k', 'l', 'a', 'b', '!'};
  const auto sum = inet_checksum(echo);
  echo[2] = static_cast<std::uint8_t>(sum >> 8);
  echo[3] = static_cast<std::uint8_t>(sum & 0xff);
  s.sendto(std::as_bytes(std::span(echo)), ipv4_address::loopback());
  auto [data, from] = s.recvfrom(1024);
  ASSERT_GE(data.size(), 28u);
  EXPECT_EQ(std::to_integer<int>(data[0]) >> 4, 4) << "IPv4 raw sockets deliver the IP header";
  EXPECT_EQ(from, address(ipv4_address::loopback(0)));
  EXPECT_TRUE(raises(std::errc::operation_not_supported, [&] { s.listen(); }));
}

}  // namespace
}  // namespace socklab::conformance
