// SPDX-License-Identifier: MIT
// Module-level functions: getaddrinfo, gethostname, create_connection, create_server, socketpair.
#include "socklab/connection.hpp"

#include <gtest/gtest.h>

#include <typeinfo>

#include "socklab/resolve.hpp"
#include "support.hpp"

namespace socklab {
namespace {

using namespace test;

TEST(Getaddrinfo, NumericHostNeedsNoDns) {
  auto rows = getaddrinfo("127.0.0.1", 8080, family::inet, type::stream, 0, ai::numerichost);
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows.front().family, family::inet);
  EXPECT_EQ(rows.front().type, type::stream);
  EXPECT_EQ(rows.front().addr, address(ipv4_address("127.0.0.1", 8080)));
}

TEST(Getaddrinfo, PassiveNullHostIsTheWildcard) {
  auto rows = getaddrinfo(std::nullopt, "9", family::inet, type::dgram, 0, ai::passive);
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows.front().addr, address(ipv4_address::any(9)));
}

TEST(Getaddrinfo, ErrorsAreGaiErrors) {
  EXPECT_THROW(getaddrinfo("localhost", "http", std::nullopt, std::nullopt, 0, ai::numericserv), gai_error);
  EXPECT_THROW(getaddrinfo("localhost", 80, std::nullopt, std::nullopt, 0, ai::numerichost), gai_error);
  EXPECT_THROW(getaddrinfo("127.0.0.1", 70000), std::out_of_range);
  try {
    getaddrinfo("localhost", 80, std::nullopt, std::nullopt, 0, ai::numerichost);
  } catch (const gai_error& e) {
    EXPECT_EQ(e.code().category(), gai_category());
    EXPECT_EQ(e.operation(), "getaddrinfo(localhost, 80)");  // the call, with what it was asked
  }
}

TEST(Gethostname, IsNotEmpty) { EXPECT_FALSE(gethostname().empty()); }

TEST(CreateConnection, ConnectsByNameAndTakesTheDefaultTimeout) {
  default_timeout_guard guard;
  auto l = listener();
  const auto port = std::get<ipv4_address>(l.getsockname()).port;
  setdefaulttimeout(7s);
  auto c = create_connection("127.0.0.1", port);
  EXPECT_EQ(c.gettimeout(), timeout(7s));
  auto d = create_connection("127.0.0.1", port, std::nullopt);
  EXPECT_EQ(d.gettimeout(), std::nullopt);
  auto [conn, addr] = l.accept();
  EXPECT_EQ(addr, c.getsockname());
}

TEST(CreateConnection, BindsTheSourceAddress) {
  auto l = listener();
  const address source = unused_port();
  auto c = create_connection(l.getsockname(), loopback_timeout, source);
  EXPECT_EQ(c.getsockname(), source);
}

TEST(CreateConnection, RaisesTheLastErrorWhenAllAddressesFail) {
  const auto port = unused_port().port;
  // "localhost" may resolve to ::1 and 127.0.0.1: every candidate is tried, the last error kept.
  EXPECT_THROW(create_connection("localhost", port, loopback_timeout), connection_refused_error);
}

TEST(CreateServer, ListensWithReuseAddr) {
  auto s = create_server(ipv4_address::loopback());
  EXPECT_EQ(s.getsockopt(option::reuse_addr), 1);
  EXPECT_EQ(s.getsockopt(option::acceptconn), 1);
  auto c = create_connection(s.getsockname(), loopback_timeout);
  auto [conn, addr] = s.accept();
  EXPECT_EQ(addr, c.getsockname());
}

TEST(CreateServer, Ipv6OnlyUnlessDualstack) {
  if (!ipv6_available()) GTEST_SKIP() << "IPv6 loopback (::1) is not available here";
  auto v6only = create_server(ipv6_address::loopback());
  EXPECT_EQ(v6only.getsockopt(option::ipv6_v6only), 1);
  ASSERT_TRUE(has_dualstack_ipv6());
  server_options dualstack;  // (designated initializers trip GCC 12's -Wmissing-field-initializers)
  dualstack.dualstack_ipv6 = true;
  auto dual = create_server(ipv6_address::any(), dualstack);
  EXPECT_EQ(dual.getsockopt(option::ipv6_v6only), 0);
  const auto port = std::get<ipv6_address>(dual.getsockname()).port;
  auto c = create_connection(ipv4_address::loopback(port), loopback_timeout);
  dual.settimeout(loopback_timeout);
  auto [conn, addr] = dual.accept();
  const auto& peer = std::get<ipv6_address>(addr);
  EXPECT_TRUE(peer.is_v4_mapped());
  EXPECT_EQ(peer.host_string(), "::ffff:127.0.0.1");
  EXPECT_THROW(create_server(ipv4_address::loopback(), dualstack), std::invalid_argument);
}

TEST(CreateServer, ReusePortAndBacklog) {
  server_options options;
  options.backlog = 4;
  options.reuse_port = true;
  auto a = create_server(ipv4_address::loopback(), options);
  EXPECT_EQ(a.getsockopt(option::reuse_port), 1);
  auto b = create_server(a.getsockname(), options);  // both hold SO_REUSEPORT: allowed
  EXPECT_EQ(b.getsockname(), a.getsockname());
}

TEST(CreateServer, AHostAndPortAreResolvedWithinTheFamilyGiven) {
  auto v4 = create_server("localhost", 0);  // family inet by default, as Python's
  EXPECT_EQ(host_of(v4.getsockname()), "127.0.0.1");
  EXPECT_EQ(v4.getsockopt(option::acceptconn), 1);
  try {
    (void)create_server("::1", 0, family::inet);
    ADD_FAILURE() << "an IPv6 host for an IPv4 server";
  } catch (const error& e) {
    EXPECT_EQ(typeid(e), typeid(error)) << "a plain error (Python: OSError), not gai_error";
    EXPECT_EQ(e.code().category(), gai_category());
    EXPECT_NE(std::string(e.what()).find("while attempting to bind on address ('::1', 0)"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW((void)create_server("x", 0, family::unix_domain), std::invalid_argument);
  if (!ipv6_available()) GTEST_SKIP() << "IPv6 loopback (::1) is not available here";
  server_options options;
  options.backlog = 2;
  auto v6 = create_server("::1", 0, family::inet6, options);
  EXPECT_EQ(host_of(v6.getsockname()), "::1");
  EXPECT_EQ(v6.getsockopt(option::ipv6_v6only), 1);
}

TEST(Socketpair, DefaultsToConnectedUnixStream) {
  auto [a, b] = socketpair();
  EXPECT_EQ(a.family(), family::unix_domain);
  EXPECT_EQ(a.type(), type::stream);
  EXPECT_FALSE(a.get_inheritable());
  a.sendall(as_bytes("msg"));
  EXPECT_EQ(decode(b.recv(8)), "msg");
  EXPECT_EQ(a.getpeername(), address(unix_address{}));
  auto [s1, s2] = socketpair(family::unix_domain, type::seqpacket);
  s1.sendall(as_bytes("12345"));
  s1.sendall(as_bytes("678"));
  EXPECT_EQ(decode(s2.recv(64)), "12345");
  EXPECT_EQ(decode(s2.recv(64)), "678");
}

}  // namespace
}  // namespace socklab
