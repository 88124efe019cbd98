// SPDX-License-Identifier: MIT
// O. Messages and ancillary data (ANC-*): sendmsg/recvmsg, descriptors over AF_UNIX.
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <span>
#include <string>
#include <vector>

#include "socklab/descriptors.hpp"
#include "support/fixtures.hpp"
#include "support/socket_kinds.hpp"

namespace socklab::conformance {
namespace {

std::span<const std::byte> text(const std::string& s) { return as_bytes(s); }

TEST(Ancillary, ANC_01_SendmsgGathersAndRecvmsgIntoScatters) {
  auto [a, b] = socketpair(family::unix_domain, type::stream);
  b.settimeout(std::chrono::seconds(10));
  const std::string one = "abc", two = "defgh";
  const std::array<std::span<const std::byte>, 2> out{text(one), text(two)};
  observe("sent", static_cast<int>(a.sendmsg(out)));
  std::array<std::byte, 2> x{};
  std::array<std::byte, 10> y{};
  const std::array<std::span<std::byte>, 2> in{std::span(x), std::span(y)};
  const auto r = b.recvmsg_into(in);
  observe("received", static_cast<int>(r.nbytes));
  observe("scattered",
          std::string(as_text(x)) + "|" + std::string(as_text(std::span(y).first(r.nbytes - 2))));
  observe("msg_flags", r.msg_flags);
}

TEST(Ancillary, ANC_02_DescriptorsPassOverUnixSockets) {
  auto [a, b] = socketpair(family::unix_domain, type::stream);
  b.settimeout(std::chrono::seconds(10));
  const auto [read_end, write_end] = make_pipe();
  const std::string hi = "hi";
  const std::array<std::span<const std::byte>, 1> data{text(hi)};
  const std::array<int, 2> fds{write_end.get(), write_end.get()};
  send_fds(a, data, fds);
  auto r = recv_fds(b, 16, 4);
  observe("data", std::string(as_text(r.data)));
  observe("fds_received", static_cast<int>(r.fds.size()));
  ASSERT_FALSE(r.fds.empty());
  EXPECT_NE(r.fds[0].get(), r.fds.back().get());  // one descriptor sent twice arrives as two
  ASSERT_EQ(::write(r.fds[0].get(), "!", 1), 1);
  char got = 0;
  ASSERT_EQ(::read(read_end.get(), &got, 1), 1);
  observe("same_pipe", got == '!');
}

TEST(Ancillary, ANC_03_MoreDescriptorsThanRoomSetsCtrunc) {
  auto [a, b] = socketpair(family::unix_domain, type::stream);
  b.settimeout(std::chrono::seconds(10));
  const auto [read_end, write_end] = make_pipe();
  const std::string x = "x";
  const std::array<std::span<const std::byte>, 1> data{text(x)};
  const std::array<int, 3> fds{write_end.get(), read_end.get(), write_end.get()};
  send_fds(a, data, fds);
  auto r = recv_fds(b, 16, 1);
  observe("ctrunc", (r.msg_flags & msg::ctrunc) != 0);
  observe("fds_received", static_cast<int>(r.fds.size()));
}

TEST(Ancillary, ANC_04_RecvmsgOfALongDatagramSetsTrunc) {
  socket server(family::inet, type::dgram), client(family::inet, type::dgram);
  server.settimeout(std::chrono::seconds(10));
  server.bind(ipv4_address::loopback());
  client.sendto(as_bytes("0123456789"), server.getsockname());
  const auto r = server.recvmsg(4);
  observe("data", decode(r.data));
  observe("trunc", (r.msg_flags & msg::trunc) != 0);
}

KIND_TEST(GatherLimitOverKinds, ANC_05_SendmsgGathersUpToIovMaxBuffers) {
  auto [a, b] = pair();
  const std::byte one{'x'};
  const std::vector<std::span<const std::byte>> most(1024, std::span(&one, 1)),
      too_many(1025, std::span(&one, 1));
  const auto sent = a.sendmsg(most);
  std::size_t received = 0;
  // A stream may deliver the bytes in more than one read; a message kind delivers one message.
  do {
    received += b.recv(2048).size();
  } while (kind().type == type::stream && received < sent);
  const auto over = outcome_of([&a = a, &too_many] { (void)a.sendmsg(too_many); });
  observe("sent", sent);
  observe("received", received);
  observe("over_the_limit", over);
  EXPECT_EQ(sent, 1024U);
  EXPECT_EQ(received, 1024U) << "in one message on a message kind";
  EXPECT_EQ(over, "OSError EMSGSIZE") << "1025 buffers are more than IOV_MAX";
}

}  // namespace
}  // namespace socklab::conformance
