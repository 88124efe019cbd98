// SPDX-License-Identifier: MIT
// A. Construction (CON-*).
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "support/fixtures.hpp"

namespace socklab::conformance {
namespace {

TEST(Construction, CON_01_DefaultsAndAttributes) {
  socket s;
  EXPECT_EQ(s.family(), family::inet);
  EXPECT_EQ(s.type(), type::stream);
  EXPECT_EQ(s.proto(), 0);
  const auto repr = to_string(s);
  for (const char* part : {"fd=", "family=inet", "type=stream", "proto=0"})
    EXPECT_NE(repr.find(part), std::string::npos) << repr;
  s.bind(ipv4_address::loopback());
  EXPECT_NE(to_string(s).find("laddr=127.0.0.1:"), std::string::npos) << to_string(s);
  socket u(family::inet6, type::dgram, IPPROTO_UDP);
  EXPECT_EQ(u.family(), family::inet6);
  EXPECT_EQ(u.type(), type::dgram);
  EXPECT_EQ(u.proto(), IPPROTO_UDP);
}

TEST(Construction, CON_02_TypeNeverShowsModeFlags) {
  socket s;
  for (const timeout t : {timeout(1s), timeout(0s), timeout{}}) {
    s.settimeout(t);
    EXPECT_EQ(s.type(), type::stream);
    EXPECT_EQ(s.getsockopt(SOL_SOCKET, SO_TYPE), SOCK_STREAM);
  }
  s.setblocking(false);
  EXPECT_EQ(s.type(), type::stream);
  s.setblocking(true);
  EXPECT_EQ(s.type(), type::stream);
}

TEST(Construction, CON_03_InvalidCombinationsFailWithoutLeaking) {
  const auto before = open_fds();
  auto expect_errno = [](family f, type t, int proto, std::errc expected) {
    try {
      socket s(f, t, proto);
      ADD_FAILURE() << "socket(" << f << ", " << to_string(t) << ", " << proto << ") succeeded";
    } catch (const error& e) {
      EXPECT_EQ(e.code(), expected) << e.what();
    }
  };
  expect_errno(family::inet, type::dgram, IPPROTO_TCP, std::errc::protocol_not_supported);
  expect_errno(family::inet, type::stream, IPPROTO_UDP, std::errc::protocol_not_supported);
  EXPECT_EQ(open_fds(), before);
}

TEST(Construction, CON_04_SocketsAreNotInheritable) {
  socket s;
  EXPECT_FALSE(s.get_inheritable());
  EXPECT_NE(::fcntl(s.fileno(), F_GETFD) & FD_CLOEXEC, 0);
  EXPECT_FALSE(s.dup().get_inheritable());
  auto pair = socketpair();
  EXPECT_FALSE(pair.first.get_inheritable());
  EXPECT_FALSE(pair.second.get_inheritable());
  s.set_inheritable(true);
  EXPECT_EQ(::fcntl(s.fileno(), F_GETFD) & FD_CLOEXEC, 0);
  s.set_inheritable(false);
  EXPECT_NE(::fcntl(s.fileno(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST(Construction, CON_05_SocketpairIsConnectedUnixStream) {
  auto [a, b] = socketpair();
  EXPECT_EQ(a.family(), family::unix_domain);
  EXPECT_EQ(a.type(), type::stream);
  a.sendall(as_bytes("across"));
  EXPECT_EQ(decode(b.recv(64)), "across");
  b.sendall(as_bytes("back"));
  EXPECT_EQ(decode(a.recv(64)), "back");
}

}  // namespace
}  // namespace socklab::conformance
