// SPDX-License-Identifier: MIT
// Connection-oriented calls: bind, listen, accept, connect, send/sendall, recv/recv_into, shutdown.
#include "socklab/socket.hpp"

#include <gtest/gtest.h>

#include "support.hpp"

namespace socklab {
namespace {

using namespace test;

class StreamFamilies : public ::testing::TestWithParam<family> {
 protected:
  void SetUp() override {
    if (GetParam() == family::inet6 && !ipv6_available())
      GTEST_SKIP() << "IPv6 loopback (::1) is not available here";
  }
};

TEST_P(StreamFamilies, ConnectAcceptExchange) {
  auto l = listener(GetParam());
  const address where = l.getsockname();
  socket c(GetParam(), type::stream);
  c.connect(where);
  auto [conn, addr] = l.accept();
  EXPECT_EQ(addr, c.getsockname());
  EXPECT_EQ(conn.getpeername(), c.getsockname());
  EXPECT_EQ(c.getpeername(), where);
  EXPECT_EQ(conn.family(), GetParam());
  EXPECT_FALSE(conn.get_inheritable());
  EXPECT_EQ(c.send(as_bytes("hello")), 5u);
  EXPECT_EQ(decode(conn.recv(64)), "hello");
  conn.sendall(as_bytes("world"));
  std::array<std::byte, 16> buf{};
  const auto n = c.recv_into(buf);
  EXPECT_EQ(as_text(std::span(buf).first(n)), "world");
}

INSTANTIATE_TEST_SUITE_P(Ip, StreamFamilies, ::testing::Values(family::inet, family::inet6),
                         [](const auto& info) { return std::string(to_string(info.param)); });

TEST(Stream, UnixStreamByPath) {
  temp_dir dir;
  const unix_address where(dir.file("s.sock"));
  socket l(family::unix_domain, type::stream);
  l.bind(where);
  l.listen();
  EXPECT_EQ(l.getsockname(), address(where));
  socket c(family::unix_domain, type::stream);
  c.connect(where);
  auto [conn, addr] = l.accept();
  EXPECT_EQ(addr, address(unix_address{}));  // the client never bound: unnamed
  c.sendall(as_bytes("over unix"));
  EXPECT_EQ(decode(conn.recv(64)), "over unix");
}

TEST(Stream, ConnectToClosedPortIsRefused) {
  const address closed = unused_port();
  socket c;
  EXPECT_THROW(c.connect(closed), connection_refused_error);
  socket d;
  EXPECT_EQ(d.connect_ex(closed), ECONNREFUSED);
  socket e;
  auto l = listener();
  EXPECT_EQ(e.connect_ex(l.getsockname()), 0);
}

TEST(Stream, ConnectToMissingUnixPathIsFileNotFound) {
  temp_dir dir;
  socket c(family::unix_domain, type::stream);
  EXPECT_THROW(c.connect(unix_address(dir.file("absent.sock"))), file_not_found_error);
}

TEST(Stream, WrongAddressFamilyIsAnArgumentError) {
  socket s;  // inet
  EXPECT_THROW(s.bind(ipv6_address::loopback()), std::invalid_argument);
  EXPECT_THROW(s.connect(unix_address("/x")), std::invalid_argument);
  EXPECT_THROW(s.connect_ex(unix_address("/x")), std::invalid_argument);
}

TEST(Stream, BindErrors) {
  socket a;
  a.bind(ipv4_address::loopback());
  EXPECT_NE(std::get<ipv4_address>(a.getsockname()).port, 0);
  EXPECT_TRUE(raises(std::errc::invalid_argument, [&] { a.bind(ipv4_address::loopback()); }));
  a.listen();
  socket b;
  try {
    b.bind(a.getsockname());
    ADD_FAILURE() << "bind to a port in use succeeded";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), std::errc::address_in_use);
    EXPECT_NE(std::string(e.what()).find("bind"), std::string::npos);
  }
}

TEST(Stream, ListenBacklogForms) {
  for (std::optional<int> backlog :
       {std::optional<int>{}, std::optional<int>{0}, std::optional<int>{-1}, std::optional<int>{1'000'000}}) {
    socket s;
    s.bind(ipv4_address::loopback());
    EXPECT_NO_THROW(s.listen(backlog));
  }
  socket u(family::inet, type::dgram);
  EXPECT_TRUE(raises(std::errc::operation_not_supported, [&] { u.listen(); }));
}

TEST(Stream, AcceptOnANonListeningSocketIsEinval) {
  socket s;
  s.bind(ipv4_address::loopback());
  try {
    s.accept();
    FAIL() << "accept succeeded";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), std::errc::invalid_argument);
    EXPECT_EQ(e.operation(), "accept");
  }
}

TEST(Stream, TryAcceptReturnsWouldBlockWithoutThrowing) {
  auto l = listener();
  l.setblocking(false);
  auto r = l.try_accept();
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error() == std::errc::resource_unavailable_try_again ||
              r.error() == std::errc::operation_would_block);
}

TEST(Stream, SendReturnsAShortCountWhenTheBufferFills) {
  auto pair = tcp_pair();
  auto& c = pair.client;
  c.setsockopt(option::sndbuf, 4096);
  c.setblocking(false);
  std::vector<std::byte> big(std::size_t{8} << 20);
  const auto n = c.send(big);
  EXPECT_GT(n, 0u);
  EXPECT_LT(n, big.size());
  EXPECT_THROW(
      {
        for (int i = 0; i < 1000; ++i) c.send(big);  // the buffers are full: this must fail at once
      },
      blocking_io_error);
}

TEST(Stream, TrySendReportsWouldBlockWithoutThrowing) {
  auto pair = tcp_pair();
  auto& c = pair.client;
  c.setsockopt(option::sndbuf, 4096);
  c.setblocking(false);
  std::vector<std::byte> big(1 << 20);
  std::error_code last;
  for (int i = 0; i < 1000 && !last; ++i) last = c.try_send(big).error();
  EXPECT_TRUE(last == std::errc::resource_unavailable_try_again || last == std::errc::operation_would_block)
      << last.message();
}

TEST(Stream, RecvReturnsAtMostBufsizeAndEmptyOnEof) {
  auto pair = tcp_pair();
  auto& c = pair.client;
  auto& s = pair.server;
  c.sendall(as_bytes("abcdefgh"));
  c.close();
  EXPECT_EQ(decode(s.recv(3)), "abc");
  EXPECT_EQ(recv_all(s), "defgh");
  EXPECT_TRUE(s.recv(16).empty());  // EOF repeats
}

TEST(Stream, RecvZeroMakesNoSyscallAndConsumesNothing) {
  auto pair = tcp_pair();
  auto& c = pair.client;
  auto& s = pair.server;
  EXPECT_TRUE(s.recv(0).empty());  // would block forever if it reached the kernel
  c.sendall(as_bytes("data"));
  EXPECT_TRUE(s.recv(0).empty());
  EXPECT_EQ(decode(s.recv(16)), "data");
}

TEST(Stream, RecvArgumentErrors) {
  auto pair = tcp_pair();
  auto& c = pair.client;
  auto& s = pair.server;
  std::array<std::byte, 8> buf{};
  EXPECT_THROW(s.recv(-1), std::invalid_argument);
  EXPECT_THROW(s.recv_into(buf, -1), std::invalid_argument);
  EXPECT_THROW(s.recv_into(buf, 9), std::invalid_argument);
  EXPECT_EQ(s.recv_into(std::span<std::byte>{}), 0u);
  c.sendall(as_bytes("0123456789"));
  EXPECT_EQ(s.recv_into(buf, 4), 4u);
  EXPECT_EQ(as_text(std::span(buf).first(4)), "0123");
}

TEST(Stream, SendallReportsBytesSentOnFailure) {
  auto pair = tcp_pair();
  auto& c = pair.client;
  c.setsockopt(option::sndbuf, 4096);
  c.settimeout(50ms);
  std::vector<std::byte> big(std::size_t{16} << 20);
  try {
    c.sendall(big);
    FAIL() << "16 MiB fitted in the buffers of a peer that never reads";
  } catch (const timeout_error& e) {
    ASSERT_TRUE(e.bytes_sent().has_value());
    EXPECT_GT(*e.bytes_sent(), 0u);
    EXPECT_LT(*e.bytes_sent(), big.size());
  }
}

}  // namespace
}  // namespace socklab

namespace socklab {
namespace {

using namespace test;

TEST(Stream, TryRecvIntoReportsWouldBlockThenData) {
  auto [a, b] = socketpair();
  b.setblocking(false);
  std::array<std::byte, 8> buf{};
  auto none = b.try_recv_into(buf);
  ASSERT_FALSE(none);
  EXPECT_TRUE(none.error() == std::errc::resource_unavailable_try_again);
  a.sendall(as_bytes("data"));
  b.setblocking(true);
  auto got = b.try_recv_into(buf);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, 4u);
}

TEST(Stream, GetpeernameOnAnUnconnectedSocketIsEnotconn) {
  socket s;
  EXPECT_TRUE(raises(std::errc::not_connected, [&] { s.getpeername(); }));
}

}  // namespace
}  // namespace socklab
