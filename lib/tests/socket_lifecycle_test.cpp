// SPDX-License-Identifier: MIT
// Construction, ownership, close/detach/dup, options and the repr.
#include "socklab/socket.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support.hpp"

namespace socklab {
namespace {

using namespace test;

bool fd_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

TEST(Construction, DefaultsAreInetStreamProtoZero) {
  socket s;
  EXPECT_EQ(s.family(), family::inet);
  EXPECT_EQ(s.type(), type::stream);
  EXPECT_EQ(s.proto(), 0);
  EXPECT_GE(s.fileno(), 0);
  EXPECT_EQ(s.gettimeout(), std::nullopt);
  EXPECT_TRUE(s.getblocking());
}

TEST(Construction, EchoesFamilyTypeAndProto) {
  socket s(family::inet, type::dgram, IPPROTO_UDP);
  EXPECT_EQ(s.type(), type::dgram);
  EXPECT_EQ(s.proto(), IPPROTO_UDP);
  socket u(family::unix_domain, type::seqpacket);
  EXPECT_EQ(u.family(), family::unix_domain);
  EXPECT_EQ(u.type(), type::seqpacket);
}

TEST(Construction, InvalidProtocolThrowsTheOsError) {
  try {
    socket s(family::inet, type::dgram, IPPROTO_TCP);
    FAIL() << "no exception";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), std::errc::protocol_not_supported);
    EXPECT_EQ(e.operation(), "socket");
  }
}

TEST(Construction, RawSocketWorksOrRaisesPermissionError) {
  try {
    socket s(family::inet, type::raw, IPPROTO_ICMP);
    EXPECT_EQ(s.type(), type::raw);
  } catch (const permission_error& e) {
    EXPECT_EQ(e.code(), std::errc::operation_not_permitted);
  }
}

TEST(Construction, NewSocketsAreCloseOnExec) {
  socket s;
  EXPECT_FALSE(s.get_inheritable());
  EXPECT_NE(::fcntl(s.fileno(), F_GETFD) & FD_CLOEXEC, 0);
  s.set_inheritable(true);
  EXPECT_TRUE(s.get_inheritable());
  s.set_inheritable(false);
  EXPECT_FALSE(s.get_inheritable());
}

TEST(Lifecycle, DestructorClosesTheDescriptor) {
  int fd = -1;
  {
    socket s;
    fd = s.fileno();
    ASSERT_TRUE(fd_open(fd));
  }
  EXPECT_FALSE(fd_open(fd));
}

TEST(Lifecycle, MoveTransfersOwnership) {
  socket a;
  const int fd = a.fileno();
  socket b(std::move(a));
  // NOLINTNEXTLINE(bugprone-use-after-move,clang-analyzer-cplusplus.Move): the moved-from state is specified
  EXPECT_EQ(a.fileno(), -1);
  EXPECT_EQ(b.fileno(), fd);
  socket c(family::inet, type::dgram);
  const int old = c.fileno();
  c = std::move(b);
  EXPECT_EQ(c.fileno(), fd);
  EXPECT_EQ(c.type(), type::stream);
  EXPECT_FALSE(fd_open(old)) << "move assignment must close the replaced descriptor";
}

TEST(Lifecycle, CloseIsIdempotentAndFilenoBecomesMinusOne) {
  socket s;
  const int fd = s.fileno();
  s.close();
  EXPECT_EQ(s.fileno(), -1);
  EXPECT_FALSE(fd_open(fd));
  EXPECT_NO_THROW(s.close());
  EXPECT_NO_THROW(s.close());
}

TEST(Lifecycle, OperationsAfterCloseRaiseEbadf) {
  auto pair = socketpair();
  auto& a = pair.first;
  a.close();
  std::array<std::byte, 4> buf{};
  EXPECT_TRUE(raises(std::errc::bad_file_descriptor, [&] { a.send(as_bytes("x")); })) << "send";
  EXPECT_TRUE(raises(std::errc::bad_file_descriptor, [&] { a.sendall(as_bytes("x")); })) << "sendall";
  EXPECT_TRUE(raises(std::errc::bad_file_descriptor, [&] { a.recv(4); })) << "recv";
  EXPECT_TRUE(raises(std::errc::bad_file_descriptor, [&] { a.recv_into(buf); })) << "recv_into";
  EXPECT_TRUE(raises(std::errc::bad_file_descriptor, [&] { a.getsockname(); })) << "getsockname";
  EXPECT_TRUE(raises(std::errc::bad_file_descriptor, [&] { a.listen(); })) << "listen";
  EXPECT_TRUE(raises(std::errc::bad_file_descriptor, [&] { a.settimeout(1s); })) << "settimeout";
  EXPECT_TRUE(raises(std::errc::bad_file_descriptor, [&] { a.getsockopt(option::sndbuf); })) << "getsockopt";
}

TEST(Lifecycle, CloseReportsAnAlreadyClosedDescriptor) {
  socket s;
  ASSERT_EQ(::close(s.fileno()), 0);  // closed behind the object's back
  try {
    s.close();
    FAIL() << "close() hid EBADF";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), std::errc::bad_file_descriptor);
    EXPECT_EQ(e.operation(), "close");
  }
  EXPECT_EQ(s.fileno(), -1);
}

TEST(Lifecycle, DetachHandsOverTheDescriptor) {
  socket s;
  const int fd = s.detach();
  EXPECT_EQ(s.fileno(), -1);
  EXPECT_TRUE(fd_open(fd));
  auto adopted = socket::from_fd(fd);  // takes ownership again: closed at scope end
  EXPECT_EQ(adopted.fileno(), fd);
}

TEST(Lifecycle, FromFdDetectsFamilyTypeAndProto) {
  socket u(family::inet6, type::dgram);
  auto adopted = socket::from_fd(u.detach());
  EXPECT_EQ(adopted.family(), family::inet6);
  EXPECT_EQ(adopted.type(), type::dgram);
  EXPECT_EQ(adopted.proto(), IPPROTO_UDP);
  socket x(family::unix_domain, type::stream);
  EXPECT_EQ(socket::from_fd(x.detach()).family(), family::unix_domain);
}

TEST(Lifecycle, FromFdRejectsBadDescriptorsAndLeavesThemOpen) {
  EXPECT_THROW(socket::from_fd(-1), std::invalid_argument);
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  EXPECT_TRUE(raises(std::errc::not_a_socket, [&] { socket::from_fd(pipe_fds[0]); }));
  EXPECT_TRUE(fd_open(pipe_fds[0])) << "from_fd closed a descriptor it refused";
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
  try {
    socket::from_fd(pipe_fds[0]);  // now closed
    ADD_FAILURE() << "a closed descriptor was accepted";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), std::errc::bad_file_descriptor);
  }
}

TEST(Lifecycle, DupIsIndependentButSharesTheEndpoint) {
  auto pair = socketpair();
  auto& a = pair.first;
  auto& b = pair.second;
  a.settimeout(2s);
  socket d = a.dup();
  EXPECT_NE(d.fileno(), a.fileno());
  EXPECT_EQ(d.gettimeout(), a.gettimeout());
  EXPECT_FALSE(d.get_inheritable());
  a.close();
  b.sendall(as_bytes("still here"));
  EXPECT_EQ(decode(d.recv(64)), "still here");
}

TEST(Options, TypedOptionsRoundTrip) {
  socket s;
  s.setsockopt(option::reuse_addr, 1);
  EXPECT_EQ(s.getsockopt(option::reuse_addr), 1);
  s.setsockopt(option::keepalive, 1);
  EXPECT_EQ(s.getsockopt(option::keepalive), 1);
  s.setsockopt(option::tcp_nodelay, 1);
  EXPECT_EQ(s.getsockopt(option::tcp_nodelay), 1);
  s.setsockopt(option::tcp_nodelay, 0);
  EXPECT_EQ(s.getsockopt(option::tcp_nodelay), 0);
  s.setsockopt(option::sndbuf, 65536);
  EXPECT_GE(s.getsockopt(option::sndbuf), 65536);  // Linux doubles it: never assert equality
  EXPECT_EQ(s.getsockopt(option::error), 0);
  EXPECT_EQ(s.getsockopt(option::acceptconn), 0);
  s.bind(ipv4_address::loopback());
  s.listen();
  EXPECT_EQ(s.getsockopt(option::acceptconn), 1);
}

TEST(Options, RawEscapeHatchTakesIntsAndBytes) {
  socket s;
  s.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
  EXPECT_EQ(s.getsockopt(IPPROTO_TCP, TCP_NODELAY), 1);
#if defined(TCP_CONGESTION)
  std::array<std::byte, 16> name{};
  const auto len = s.getsockopt(IPPROTO_TCP, TCP_CONGESTION, name);
  EXPECT_GT(len, 0u);
  s.setsockopt(IPPROTO_TCP, TCP_CONGESTION, as_bytes("reno"));
  name.fill(std::byte{0});
  s.getsockopt(IPPROTO_TCP, TCP_CONGESTION, name);
  EXPECT_EQ(std::string(as_text(name).substr(0, 4)), "reno");
#endif
  try {
    s.setsockopt(SOL_SOCKET, 123456, 1);
    FAIL() << "unknown option accepted";
  } catch (const error& e) {
    EXPECT_EQ(e.operation(), "setsockopt");
  }
}

TEST(Repr, ShowsDescriptorFamilyTypeAndAddresses) {
  socket s;
  EXPECT_EQ(
      to_string(s).rfind(
          "<socklab.socket fd=" + std::to_string(s.fileno()) + ", family=inet, type=stream, proto=0", 0),
      0u)
      << to_string(s);
  s.bind(ipv4_address::loopback());
  EXPECT_NE(to_string(s).find("laddr=127.0.0.1:"), std::string::npos) << to_string(s);
  s.close();
  EXPECT_NE(to_string(s).find("[closed] fd=-1"), std::string::npos) << to_string(s);
}

}  // namespace
}  // namespace socklab
