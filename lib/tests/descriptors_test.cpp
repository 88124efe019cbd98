// SPDX-License-Identifier: MIT
// Descriptors over AF_UNIX (SCM_RIGHTS): send_fds / recv_fds as Python's, with owned,
// close-on-exec descriptors; truncation (MSG_CTRUNC) without a leak; the item builder and parser.
#include "socklab/descriptors.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <stdexcept>
#include <string>
#include <vector>

#include "support.hpp"

namespace socklab {
namespace {

using namespace test;

std::span<const std::byte> text(const std::string& s) { return as_bytes(s); }

TEST(UniqueFd, ClosesOnDestructionAndMovesOwnership) {
  int raw = -1;
  {
    auto p = make_pipe();
    raw = p.write.get();
    unique_fd moved = std::move(p.write);
    EXPECT_FALSE(p.write);
    EXPECT_EQ(moved.get(), raw);
    EXPECT_NE(::fcntl(raw, F_GETFD), -1);
  }
  EXPECT_EQ(::fcntl(raw, F_GETFD), -1);  // closed with its owner
  auto p = make_pipe();
  const int kept = p.read.release();
  EXPECT_FALSE(p.read);
  EXPECT_EQ(::close(kept), 0);  // released: the caller's to close
}

TEST(SendFds, ADescriptorArrivesWorkingOwnedAndCloseOnExec) {
  auto [a, b] = socketpair(family::unix_domain, type::stream);
  b.settimeout(loopback_timeout);
  auto p = make_pipe();
  const std::string hi = "hi";
  const std::array<std::span<const std::byte>, 1> data{text(hi)};
  const std::array<int, 1> fds{p.write.get()};
  EXPECT_EQ(send_fds(a, data, fds), 2u);
  auto r = recv_fds(b, 16, 4);
  EXPECT_EQ(as_text(r.data), "hi");
  ASSERT_EQ(r.fds.size(), 1u);
  EXPECT_NE(r.fds[0].get(), p.write.get());  // a new descriptor for the same pipe
  EXPECT_TRUE(::fcntl(r.fds[0].get(), F_GETFD) & FD_CLOEXEC);
  EXPECT_EQ(r.msg_flags & msg::ctrunc, 0);
  ASSERT_EQ(::write(r.fds[0].get(), "!", 1), 1);
  char got = 0;
  ASSERT_EQ(::read(p.read.get(), &got, 1), 1);
  EXPECT_EQ(got, '!');
}

TEST(SendFds, ManyDescriptorsInOneMessage) {
  auto [a, b] = socketpair(family::unix_domain, type::dgram);
  b.settimeout(loopback_timeout);
  std::vector<pipe_pair> pipes;
  std::vector<int> fds;
  for (int i = 0; i < 64; ++i) {
    pipes.push_back(make_pipe());
    fds.push_back(pipes.back().write.get());
  }
  const std::string x = "x";
  const std::array<std::span<const std::byte>, 1> data{text(x)};
  send_fds(a, data, fds);
  auto r = recv_fds(b, 1, 64);
  ASSERT_EQ(r.fds.size(), 64u);
  for (std::size_t i = 0; i < 64; ++i) {
    ASSERT_EQ(::write(r.fds[i].get(), "y", 1), 1) << i;
    char got = 0;
    ASSERT_EQ(::read(pipes[i].read.get(), &got, 1), 1) << i;  // each arrives in order, to its own pipe
  }
}

TEST(RecvFds, MoreDescriptorsThanRoomIsCtruncAndLeaksNone) {
  const auto before = open_fds();
  {
    auto [a, b] = socketpair(family::unix_domain, type::stream);
    b.settimeout(loopback_timeout);
    auto p = make_pipe();
    const std::string x = "x";
    const std::array<std::span<const std::byte>, 1> data{text(x)};
    const std::array<int, 3> fds{p.write.get(), p.read.get(), p.write.get()};
    send_fds(a, data, fds);
    auto r = recv_fds(b, 16, 1);
    EXPECT_TRUE(r.msg_flags & msg::ctrunc);
    EXPECT_EQ(r.fds.size(), 1u);  // the kernel closed the two that did not fit
  }
  EXPECT_EQ(open_fds(), before);
}

TEST(Recvmsg, ATooSmallControlBufferKeepsWhatFitsAsPythonDoes) {
  auto [a, b] = socketpair(family::unix_domain, type::stream);
  b.settimeout(loopback_timeout);
  auto p = make_pipe();
  const std::string x = "x";
  const std::array<std::span<const std::byte>, 1> data{text(x)};
  const std::array<int, 2> fds{p.write.get(), p.read.get()};
  send_fds(a, data, fds);
  // Room for the header and one int and a half: one descriptor arrives, the item is cut.
  auto r = b.recvmsg(16, cmsg_len(sizeof(int) + sizeof(int) / 2));
  EXPECT_TRUE(r.msg_flags & msg::ctrunc);
  ASSERT_EQ(r.ancdata.size(), 1u);
  const auto got = rights_of(r.ancdata[0]);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(::close(got[0]), 0);  // recvmsg's descriptors are the caller's
}

TEST(Rights, BuildsAndParsesTheItem) {
  const std::array<int, 3> fds{3, 7, 42};
  const auto item = rights(fds);
  EXPECT_EQ(item.level, scm::sol_socket);
  EXPECT_EQ(item.type, scm::rights);
  EXPECT_EQ(item.data.size(), 3 * sizeof(int));
  EXPECT_EQ(rights_of(item), std::vector<int>(fds.begin(), fds.end()));
  auto cut = item;
  cut.data.resize(2 * sizeof(int) + 1);
  EXPECT_EQ(rights_of(cut), (std::vector<int>{3, 7}));  // a partial int is dropped, as Python's recv_fds
  EXPECT_THROW((void)rights_of({scm::sol_socket, scm::credentials, {}}), std::invalid_argument);
  EXPECT_LT(cmsg_len(4), cmsg_space(4));
  EXPECT_EQ(cmsg_space(0), cmsg_len(0));
}

TEST(SendFds, OverTcpTheDataArrivesAndNoDescriptor) {
  // Linux ignores SCM_RIGHTS on a TCP socket rather than refusing it: nothing is passed.
  auto [client, server] = tcp_pair();
  server.settimeout(loopback_timeout);
  auto p = make_pipe();
  const std::string x = "x";
  const std::array<std::span<const std::byte>, 1> data{text(x)};
  const std::array<int, 1> fds{p.write.get()};
  EXPECT_EQ(send_fds(client, data, fds), 1u);
  auto r = recv_fds(server, 16, 1);
  EXPECT_EQ(as_text(r.data), "x");
  EXPECT_TRUE(r.fds.empty());
}

TEST(PeerCredentials, NameTheProcessAtTheOtherEnd) {
  auto [a, b] = socketpair(family::unix_domain, type::stream);
  const auto c = peer_credentials_of(b);
  EXPECT_EQ(c.pid, ::getpid());
  EXPECT_EQ(c.uid, ::getuid());
  EXPECT_EQ(c.gid, ::getgid());
  // Also through listen and connect: the accepted end names the connecting process.
  const temp_dir dir;
  const unix_address path(dir.file("s"));
  socket l(family::unix_domain, type::stream);
  l.bind(path);
  l.listen();
  socket client(family::unix_domain, type::stream);
  client.connect(path);
  l.settimeout(loopback_timeout);
  auto [conn, from] = l.accept();
  EXPECT_EQ(peer_credentials_of(conn).pid, ::getpid());
  // An unconnected socket has no peer: pid 0.
  socket lonely(family::unix_domain, type::stream);
  EXPECT_EQ(peer_credentials_of(lonely).pid, 0);
}

}  // namespace
}  // namespace socklab
