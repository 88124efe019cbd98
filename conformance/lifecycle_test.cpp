// SPDX-License-Identifier: MIT
// I. close / fileno / detach / dup / shutdown (LIFE-*).
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <span>

#include "support/fixtures.hpp"
#include "support/socket_kinds.hpp"

namespace socklab::conformance {
namespace {

bool fd_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

TEST(Lifecycle, LIFE_01_CloseIsIdempotent) {
  socket s;
  s.close();
  EXPECT_NO_THROW(s.close());
  EXPECT_NO_THROW(s.close());
}

TEST(Lifecycle, LIFE_02_ClosedSocketsRaiseEbadf) {
  auto pair = tcp_pair();
  auto& s = pair.client;
  s.settimeout(1s);
  s.close();
  EXPECT_EQ(s.fileno(), -1);
  EXPECT_NE(to_string(s).find("[closed]"), std::string::npos);
  EXPECT_TRUE(raises(std::errc::bad_file_descriptor, [&] { s.send(as_bytes("x")); }));
  EXPECT_TRUE(raises(std::errc::bad_file_descriptor, [&] { s.recv(1); }));
  EXPECT_TRUE(raises(std::errc::bad_file_descriptor, [&] { s.getsockname(); }));
  EXPECT_TRUE(raises(std::errc::bad_file_descriptor, [&] { s.listen(); }));
  EXPECT_TRUE(raises(std::errc::bad_file_descriptor, [&] { s.shutdown(shut::rdwr); }));
}

TEST(Lifecycle, LIFE_03_CloseReportsEbadfButNotReset) {
  socket s;
  socket::from_fd(s.fileno()).close();  // another object closes the same descriptor
  EXPECT_TRUE(raises(std::errc::bad_file_descriptor, [&] { s.close(); }));
  auto pair = tcp_pair();
  pair.server.sendall(as_bytes("unread"));
  pair.client.close();  // RST to the server side
  pair.server.settimeout(loopback_timeout);
  EXPECT_THROW(pair.server.recv(1), connection_reset_error);
  EXPECT_NO_THROW(pair.server.close());
}

TEST(Lifecycle, LIFE_04_DetachAndAdopt) {
  socket s(family::inet6, type::dgram);
  const int fd = s.detach();
  EXPECT_EQ(s.fileno(), -1);
  EXPECT_TRUE(fd_open(fd));
  EXPECT_THROW(s.recv(1), error);
  auto adopted = socket::from_fd(fd);
  EXPECT_EQ(adopted.family(), family::inet6);
  EXPECT_EQ(adopted.type(), type::dgram);
  EXPECT_EQ(adopted.proto(), IPPROTO_UDP);
  socket u(family::unix_domain, type::stream);
  EXPECT_EQ(socket::from_fd(u.detach()).family(), family::unix_domain);
  auto pair = tcp_pair();
  auto rebuilt = socket::from_fd(pair.server.detach());
  pair.client.sendall(as_bytes("still works"));
  EXPECT_EQ(decode(rebuilt.recv(64)), "still works");
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  EXPECT_TRUE(raises(std::errc::not_a_socket, [&] { socket::from_fd(fds[0]); }));
  ::close(fds[0]);
  ::close(fds[1]);
  EXPECT_TRUE(raises(std::errc::bad_file_descriptor, [&] { socket::from_fd(fds[0]); }));
}

TEST(Lifecycle, LIFE_05_DupIsIndependent) {
  auto pair = tcp_pair();
  socket d = pair.server.dup();
  pair.server.close();
  pair.client.sendall(as_bytes("to the dup"));
  d.settimeout(loopback_timeout);
  EXPECT_EQ(decode(d.recv(64)), "to the dup");
}

TEST(Lifecycle, LIFE_06_ScopeExitCloses) {
  int fd = -1;
  {
    socket s;
    fd = s.fileno();
  }
  EXPECT_FALSE(fd_open(fd));
  try {
    socket s;
    fd = s.fileno();
    throw std::runtime_error("leave the scope by exception");
  } catch (const std::runtime_error&) {
  }
  EXPECT_FALSE(fd_open(fd));
  {
    socket s;
    fd = s.fileno();
    s.close();
  }
  EXPECT_FALSE(fd_open(fd));
}

KIND_TEST(HalfClose, LIFE_07_ShutdownHalfCloses) {
  {
    auto [c, s] = pair();
    c.shutdown(shut::wr);
    observe("peer_reads", decode(s.recv(16)));
    s.sendall(as_bytes("still open"));
    observe("half_closed_side_reads", decode(c.recv(16)));
  }
  socket fresh(kind().family, kind().type);
  try {
    fresh.shutdown(shut::rdwr);
    observe("unconnected_shutdown", "none");  // Linux AF_UNIX accepts it
  } catch (const error& e) {
    observe("unconnected_shutdown", e.code() == std::errc::not_connected ? "ENOTCONN" : e.what());
  }
  // close() of one of two descriptors ends nothing; shutdown() does.
  auto [c, s] = pair();
  socket other = c.dup();
  c.close();
  s.setblocking(false);
  EXPECT_THROW((void)s.recv(1), blocking_io_error) << "close() of one dup must not end the connection";
  other.shutdown(shut::wr);
  s.settimeout(loopback_timeout);
  observe("after_the_dups_shutdown", decode(s.recv(1)));
}

KIND_TEST(DupOverKinds, LIFE_08_ADupIsTheSameEndpoint) {
  auto [a, b] = pair();
  auto d = b.dup();
  d.settimeout(loopback_timeout);
  a.send(as_bytes("to dup"));
  const auto dup_read = decode(d.recv(64));
  d.send(as_bytes("from dup"));
  const auto peer_read = decode(a.recv(64));
  observe("dup_read", dup_read);
  observe("peer_read", peer_read);
  EXPECT_EQ(dup_read, "to dup");
  EXPECT_EQ(peer_read, "from dup");
}

KIND_TEST(RebuiltOverKinds, LIFE_09_ARebuiltSocketKnowsWhatItIs) {
  auto [a, b] = pair();
  const auto rebuilt = socket::from_fd(b.dup().detach());
  const bool same_kind = rebuilt.family() == b.family() && rebuilt.type() == b.type();
  const bool same_names =
      rebuilt.getsockname() == b.getsockname() && rebuilt.getpeername() == b.getpeername();
  observe("same_kind", same_kind);
  observe("same_names", same_names);
  observe("original_proto", b.proto());
  observe("rebuilt_proto", rebuilt.proto());
  const int kernels = kind().family == family::unix_domain ? 0
                      : kind().type == type::stream        ? IPPROTO_TCP
                                                           : IPPROTO_UDP;
  EXPECT_EQ(rebuilt.proto(), kernels);
  EXPECT_TRUE(same_kind);
  EXPECT_TRUE(same_names);
}

// SO_COOKIE: the kernel's 64-bit identity of the socket behind a descriptor.
std::uint64_t cookie_of(const socket& s) {
  std::uint64_t cookie = 0;
  s.getsockopt(SOL_SOCKET, SO_COOKIE, std::as_writable_bytes(std::span(&cookie, 1)));
  return cookie;
}

KIND_TEST(CookieOverKinds, LIFE_10_TheCookieNamesTheSocketNotTheDescriptor) {
  auto [a, b] = pair();
  const auto d = b.dup();
  const auto first_read = cookie_of(b);
  observe("set", cookie_of(b) != 0);
  observe("the_dups_is_the_same", cookie_of(d) == cookie_of(b));
  observe("the_peers_differs", cookie_of(a) != cookie_of(b));
  observe("stable", cookie_of(b) == first_read);
  EXPECT_NE(cookie_of(b), 0U);
  EXPECT_EQ(cookie_of(d), cookie_of(b));
  EXPECT_NE(cookie_of(a), cookie_of(b));
}

KIND_TEST(InheritableOverKinds, LIFE_11_NeitherEndNorADupIsInheritable) {
  auto [a, b] = pair();
  const auto d = b.dup();
  observe("first", a.get_inheritable());
  observe("second", b.get_inheritable());
  observe("dup", d.get_inheritable());
  EXPECT_FALSE(a.get_inheritable());
  EXPECT_FALSE(b.get_inheritable());
  EXPECT_FALSE(d.get_inheritable());
}

}  // namespace
}  // namespace socklab::conformance
