// SPDX-License-Identifier: MIT
// H. Errors and the exception hierarchy (ERR-*), provoked by real calls wherever possible.
#include <netinet/in.h>

#include <type_traits>

#include "support/fixtures.hpp"

namespace socklab::conformance {
namespace {

TEST(Errors, ERR_01_HierarchyMirrorsPython) {
  static_assert(std::is_base_of_v<std::system_error, error>);             // OSError
  static_assert(std::is_base_of_v<error, timeout_error>);                 // TimeoutError
  static_assert(std::is_base_of_v<error, gai_error>);                     // gaierror
  static_assert(std::is_base_of_v<error, blocking_io_error>);             // BlockingIOError
  static_assert(std::is_base_of_v<error, connection_error>);              // ConnectionError
  static_assert(std::is_base_of_v<connection_error, broken_pipe_error>);  // BrokenPipeError
  static_assert(std::is_base_of_v<connection_error, connection_refused_error>);
  static_assert(std::is_base_of_v<connection_error, connection_reset_error>);
  static_assert(std::is_base_of_v<connection_error, connection_aborted_error>);
  // And a real timeout is catchable at every level.
  auto [a, b] = socketpair();
  a.settimeout(10ms);
  EXPECT_THROW(a.recv(1), std::system_error);
  EXPECT_THROW(a.recv(1), error);
  EXPECT_THROW(a.recv(1), timeout_error);
}

TEST(Errors, ERR_02_ErrnoMapsToPep3151Classes) {
  const address closed = unused_port();
  socket refused;
  EXPECT_THROW(refused.connect(closed), connection_refused_error);

  auto pair = tcp_pair();
  pair.server.sendall(as_bytes("unread"));
  pair.client.close();
  pair.server.settimeout(loopback_timeout);
  EXPECT_THROW(pair.server.recv(8), connection_reset_error);

  auto [a, b] = socketpair();
  b.close();
  EXPECT_THROW(a.sendall(as_bytes("x")), broken_pipe_error);

  auto [c, d] = socketpair();
  c.setblocking(false);
  EXPECT_THROW(c.recv(1), blocking_io_error);

  temp_dir dir;
  socket u(family::unix_domain, type::stream);
  EXPECT_THROW(u.connect(unix_address(dir.file("missing"))), file_not_found_error);

  if (::geteuid() != 0) {
    EXPECT_THROW(socket(family::inet, type::raw, IPPROTO_ICMP), permission_error);
  }
  EXPECT_THROW(throw_error(std::error_code(ECONNABORTED, std::system_category()), "accept"),
               connection_aborted_error);
  EXPECT_THROW(throw_error(std::error_code(EACCES, std::system_category()), "bind"), permission_error);
}

TEST(Errors, ERR_03_ResolverErrorsAreGaiErrors) {
  EXPECT_THROW(getaddrinfo("localhost", "http", std::nullopt, std::nullopt, 0, ai::numericserv), gai_error);
  try {
    getaddrinfo("localhost", 80, std::nullopt, std::nullopt, 0, ai::numerichost);
    FAIL() << "AI_NUMERICHOST resolved a name";
  } catch (const gai_error& e) {
    EXPECT_EQ(e.code().category(), gai_category());
    EXPECT_NE(e.code().value(), 0);
  }
}

TEST(Errors, ERR_04_ConnectExReturnsCodesButRaisesForArguments) {
  auto l = listener();
  socket ok;
  EXPECT_EQ(ok.connect_ex(l.getsockname()), 0);
  const address closed = unused_port();
  socket refused;
  EXPECT_EQ(refused.connect_ex(closed), ECONNREFUSED);
  socket nb;
  nb.setblocking(false);
  const int rc = nb.connect_ex(l.getsockname());
  EXPECT_TRUE(rc == EINPROGRESS || rc == 0) << rc;
  socket wrong;
  EXPECT_THROW(wrong.connect_ex(unix_address("/nowhere")), std::invalid_argument);
}

TEST(Errors, ERR_05_ArgumentErrorsNeverReachTheOs) {
  EXPECT_THROW(socket::from_fd(-1), std::invalid_argument);
  socket s;
  EXPECT_THROW(s.bind(ipv6_address::loopback()), std::invalid_argument);
  EXPECT_THROW(s.sendto(as_bytes("x"), unix_address("/x")), std::invalid_argument);
  EXPECT_THROW(s.recv(-5), std::invalid_argument);
  EXPECT_THROW(ipv4_address("127.0.0.1", 1 << 20), std::out_of_range);
  EXPECT_THROW(unix_address(std::string(4096, 'x')), socklab::error);
  EXPECT_FALSE(s.getsockopt(option::error)) << "none of the above touched the socket";
}

}  // namespace
}  // namespace socklab::conformance
