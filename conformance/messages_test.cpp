// SPDX-License-Identifier: MIT
// AC. Messages (MSG-*): what every message kind — SEQPACKET, UDP and AF_UNIX datagrams, by
// socketpair, path and abstract name — does with boundaries, truncation, empty and oversized
// messages, addresses on a connected socket, a closed peer and MSG_OOB.
#include <poll.h>

#include <array>
#include <string>
#include <vector>

#include "support/fixtures.hpp"
#include "support/socket_kinds.hpp"

namespace socklab::conformance {
namespace {

const std::string ten = "0123456789";

KIND_TEST(BoundariesOverKinds, MSG_01_EveryMessageKindKeepsBoundaries) {
  auto [a, b] = pair();
  std::vector<std::string> received;
  received.reserve(3);
  for (const char* m : {"one", "two", "three"}) a.send(as_bytes(m));
  for (int i = 0; i < 3; ++i) received.push_back(decode(b.recv(64)));
  observe("received", received);
  EXPECT_EQ(received, (std::vector<std::string>{"one", "two", "three"}));
}

KIND_TEST(TruncationOverKinds, MSG_02_ALongMessageIsCutAndItsRestDiscarded) {
  auto [a, b] = pair();
  a.send(as_bytes(ten));
  a.send(as_bytes("next"));
  const auto r = b.recvmsg(4);
  const auto next = decode(b.recv(64));
  observe("data", decode(r.data));
  observe("trunc", (r.msg_flags & msg::trunc) != 0);
  observe("next", next);
  EXPECT_EQ(decode(r.data), "0123");
  EXPECT_NE(r.msg_flags & msg::trunc, 0);
  EXPECT_EQ(next, "next");
}

KIND_TEST(EmptyMessageOverKinds, MSG_03_AZeroLengthMessageIsAMessage) {
  auto [a, b] = pair();
  a.send({});
  a.send(as_bytes("next"));
  const auto first = decode(b.recv(64)), second = decode(b.recv(64));
  observe("first", first);
  observe("second", second);
  EXPECT_EQ(first, "");
  EXPECT_EQ(second, "next");
}

KIND_TEST(TruncFlagOverKinds, MSG_04_RecvIntoWithTruncReturnsTheRealLength) {
  auto [a, b] = pair();
  a.send(as_bytes(ten));
  std::array<std::byte, 4> buffer{};
  const auto n = b.recv_into(buffer, 0, msg::trunc);
  observe("returned", static_cast<int>(n));
  observe("buffer", std::string(as_text(buffer)));
  EXPECT_EQ(n, ten.size());
  EXPECT_EQ(as_text(buffer), "0123");
}

KIND_TEST(PeekOverMessageKinds, MSG_05_APeekIntoAShortBufferConsumesNothing) {
  auto [a, b] = pair();
  a.send(as_bytes(ten));
  const auto peeked = decode(b.recv(3, msg::peek)), read = decode(b.recv(64));
  observe("peeked", peeked);
  observe("read", read);
  EXPECT_EQ(peeked, "012");
  EXPECT_EQ(read, ten);
}

KIND_TEST(OversizeOverKinds, MSG_06_AnOversizedMessageFailsWhole) {
  auto [a, b] = pair();
  const std::vector<std::byte> huge(std::size_t{1} << 20);
  const auto outcome = outcome_of([&a = a, &huge] { a.send(huge); });
  const bool peer_empty = poll_events(b) == std::vector<std::string>{"POLLOUT"};
  observe("outcome", outcome);
  observe("peer_empty", peer_empty);
  EXPECT_EQ(outcome, "OSError EMSGSIZE");
  EXPECT_TRUE(peer_empty);
}

// Which of two sockets becomes readable first ("peer", "elsewhere"), within the loopback timeout.
std::string readable_one(const socket& peer, const socket& elsewhere) {
  std::array<pollfd, 2> fds{pollfd{peer.fileno(), POLLIN, 0}, pollfd{elsewhere.fileno(), POLLIN, 0}};
  if (::poll(fds.data(), fds.size(), static_cast<int>(std::chrono::milliseconds(loopback_timeout).count())) <=
      0)
    return "neither";
  return (fds[0].revents & POLLIN) != 0 ? "peer" : "elsewhere";
}

KIND_TEST(SendtoWhenConnectedOverKinds, MSG_07_SendtoOnAConnectedMessageSocket) {
  auto [a, b] = pair();
  const auto elsewhere = unconnected_of(kind());
  a.sendto(as_bytes("m"), elsewhere.getsockname());
  const auto arrived_at = readable_one(b, elsewhere);
  observe("arrived_at", arrived_at);
  EXPECT_EQ(arrived_at, kind().type == type::seqpacket ? "peer" : "elsewhere");
}

KIND_TEST(ClosedPeerOverKinds, MSG_08_SendingToAPeerThatClosed) {
  auto [a, b] = pair();
  b.close();
  const auto first = outcome_of([&a = a] { a.send(as_bytes("x")); });
  // UDP learns of the closed port from an ICMP error that comes back after the first send.
  if (kind().family != family::unix_domain) {
    ASSERT_TRUE(polls_within(a, POLLERR));
  }
  const auto second = outcome_of([&a = a] { a.send(as_bytes("x")); });
  observe("first", first);
  observe("second", second);
  EXPECT_NE(second, "none");
}

KIND_TEST(OobOverMessageKinds, MSG_09_MsgOobIsNotForMessages) {
  auto [a, b] = pair();
  const auto outcome = outcome_of([&a = a] { a.send(as_bytes("!"), msg::oob); });
  observe("outcome", outcome);
  EXPECT_EQ(outcome, kind().kind == "udp6" ? "none" : "OSError ENOTSUP")
      << "udpv6_sendmsg does not check MSG_OOB";
}

}  // namespace
}  // namespace socklab::conformance
