// SPDX-License-Identifier: MIT
// F. UDP and datagrams: sendto / recvfrom (UDP-*).
#include <linux/sock_diag.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "support/fixtures.hpp"

namespace socklab::conformance {
namespace {

socket bound_dgram(family f, const temp_dir& dir, const std::string& name) {
  socket s(f, type::dgram);
  s.settimeout(loopback_timeout);
  if (f == family::inet6)
    s.bind(ipv6_address::loopback());
  else if (f == family::inet)
    s.bind(ipv4_address::loopback());
  else
    s.bind(unix_address(dir.file(name)));
  return s;
}

class Datagram : public ::testing::TestWithParam<family> {
 protected:
  void SetUp() override {
    if (GetParam() == family::inet6 && !ipv6_available())
      GTEST_SKIP() << "IPv6 loopback (::1) is not available here";
  }
  socket make(const std::string& name) { return bound_dgram(GetParam(), dir_, name); }

 private:
  temp_dir dir_;
};

TEST_P(Datagram, UDP_01_SendtoReturnsTheLengthAndTheDatagramArrivesWhole) {
  auto server = make("srv");
  auto client = make("cli");
  const std::string msg(1000, 'm');
  EXPECT_EQ(client.sendto(as_bytes(msg), server.getsockname()), msg.size());
  EXPECT_EQ(decode(server.recv(static_cast<std::ptrdiff_t>(msg.size()))), msg);
}

TEST_P(Datagram, UDP_02_RecvfromReturnsTheSendersAddress) {
  auto server = make("srv");
  auto one = make("one");
  auto two = make("two");
  one.sendto(as_bytes("from one"), server.getsockname());
  two.sendto(as_bytes("from two"), server.getsockname());
  auto first = server.recvfrom(64);
  auto second = server.recvfrom(64);
  EXPECT_EQ(as_text(first.data), "from one");
  EXPECT_EQ(first.addr, one.getsockname());
  EXPECT_EQ(as_text(second.data), "from two");
  EXPECT_EQ(second.addr, two.getsockname());
  EXPECT_NE(first.addr, second.addr);
  std::array<std::byte, 16> buf{};
  one.sendto(as_bytes("into"), server.getsockname());
  const auto r = server.recvfrom_into(buf);
  EXPECT_EQ(r.addr, one.getsockname());
  if (GetParam() == family::inet6) {
    const auto& v6 = std::get<ipv6_address>(*r.addr);  // the full 4-tuple
    EXPECT_EQ(v6.flowinfo, 0u);
    EXPECT_EQ(v6.scope_id, 0u);
  }
}

TEST_P(Datagram, UDP_03_BoundariesAreKept) {
  auto server = make("srv");
  auto client = make("cli");
  client.sendto(as_bytes("bacon"), server.getsockname());
  client.sendto(as_bytes("egg"), server.getsockname());
  EXPECT_EQ(decode(server.recvfrom(8192).data), "bacon");
  EXPECT_EQ(decode(server.recvfrom(8192).data), "egg");
}

TEST_P(Datagram, UDP_04_TruncationDiscardsTheRestOfTheDatagram) {
  auto server = make("srv");
  auto client = make("cli");
  client.sendto(as_bytes("0123456789"), server.getsockname());
  client.sendto(as_bytes("next"), server.getsockname());
  EXPECT_EQ(decode(server.recv(3)), "012");
  EXPECT_EQ(decode(server.recv(64)), "next");
#if defined(__linux__)
  client.sendto(as_bytes("0123456789"), server.getsockname());
  std::array<std::byte, 4> buf{};
  EXPECT_EQ(server.recv_into(buf, 0, msg::trunc), 10u) << "MSG_TRUNC returns the real length on Linux";
#endif
}

TEST_P(Datagram, UDP_05_ZeroLengthDatagramIsNotEof) {
  auto server = make("srv");
  auto client = make("cli");
  EXPECT_EQ(client.sendto({}, server.getsockname()), 0u);
  auto [data, from] = server.recvfrom(64);
  EXPECT_TRUE(data.empty());
  EXPECT_EQ(from, client.getsockname());
}

INSTANTIATE_TEST_SUITE_P(Families, Datagram,
                         ::testing::Values(family::inet, family::inet6, family::unix_domain),
                         [](const auto& info) { return std::string(to_string(info.param)); });

TEST(Udp, UDP_02_UnboundUnixSenderHasNoAddress) {
  temp_dir dir;
  auto server = bound_dgram(family::unix_domain, dir, "srv");
  socket unbound(family::unix_domain, type::dgram);
  unbound.sendto(as_bytes("anon"), server.getsockname());
  EXPECT_EQ(server.recvfrom(16).addr, std::nullopt);  // Python: None
}

TEST(Udp, UDP_06_OversizedDatagramIsEmsgsize) {
  temp_dir dir;
  auto server = bound_dgram(family::inet, dir, "");
  socket client(family::inet, type::dgram);
  std::vector<std::byte> max(65507), over(65508);
  EXPECT_EQ(client.sendto(max, server.getsockname()), max.size());
  EXPECT_EQ(server.recv(70000).size(), max.size());
  observe("max_udp_payload", max.size());
  EXPECT_TRUE(raises(std::errc::message_size, [&] { client.sendto(over, server.getsockname()); }));
}

TEST(Udp, UDP_07_ConnectedSocketFiltersPeersAndReportsRefusal) {
  temp_dir dir;
  auto peer_sock = bound_dgram(family::inet, dir, "");
  auto other = bound_dgram(family::inet, dir, "");
  auto s = bound_dgram(family::inet, dir, "");
  s.connect(peer_sock.getsockname());
  other.sendto(as_bytes("stranger"), s.getsockname());  // dropped: not from the connected peer
  peer_sock.sendto(as_bytes("friend"), s.getsockname());
  EXPECT_EQ(decode(s.recv(64)), "friend");
  s.send(as_bytes("no address needed"));
  EXPECT_EQ(decode(peer_sock.recv(64)), "no address needed");

  const address closed = unused_port(type::dgram);
  auto c = bound_dgram(family::inet, dir, "");
  c.connect(closed);
  c.send(as_bytes("x"));
  EXPECT_THROW(c.recv(8), connection_refused_error);
  // An unconnected socket sending to the same closed port sees no error. (Whether anything else
  // arrives on it is not this behaviour's business: only that no refusal is reported.)
  auto u = bound_dgram(family::inet, dir, "");
  EXPECT_NO_THROW(u.sendto(as_bytes("x"), closed));
  u.setblocking(false);
  try {
    (void)u.recv(8);
  } catch (const connection_refused_error&) {
    ADD_FAILURE() << "an unconnected UDP socket reported the port-unreachable error";
  } catch (const blocking_io_error&) {
  }
}

TEST(Udp, UDP_08_SendWithoutADestinationFails) {
  socket s(family::inet, type::dgram);
  EXPECT_TRUE(raises(std::errc::destination_address_required, [&] { s.send(as_bytes("x")); }));
}

TEST(Udp, UDP_09_FirstSendtoBindsImplicitly) {
  temp_dir dir;
  auto server = bound_dgram(family::inet, dir, "");
  socket client(family::inet, type::dgram);
  client.settimeout(loopback_timeout);
  EXPECT_EQ(std::get<ipv4_address>(client.getsockname()).port, 0);
  client.sendto(as_bytes("hello"), server.getsockname());
  EXPECT_NE(std::get<ipv4_address>(client.getsockname()).port, 0);
  auto [data, from] = server.recvfrom(16);
  server.sendto(as_bytes("reply"), *from);
  EXPECT_EQ(decode(client.recv(16)), "reply");
}

TEST(Udp, UDP_10_AnUnconnectedSocketIsNotToldOfUnreachablePorts) {
  socket s(family::inet, type::dgram);
  const auto nobody = unused_port(type::dgram);
  s.sendto(as_bytes("x"), nobody);
  s.settimeout(std::chrono::milliseconds(200));
  const auto recv = outcome_of([&] { (void)s.recv(1); });
  const int so_error = s.getsockopt(SOL_SOCKET, SO_ERROR);
  const auto next_sendto = outcome_of([&] { s.sendto(as_bytes("y"), nobody); });
  observe("recv", recv);
  observe("so_error", so_error);
  observe("next_sendto", next_sendto);
  EXPECT_EQ(recv, "TimeoutError None");
  EXPECT_EQ(so_error, 0);
  EXPECT_EQ(next_sendto, "none");
}

socket loopback_dgram() {
  socket s(family::inet, type::dgram);
  s.settimeout(loopback_timeout);
  s.bind(ipv4_address::loopback());
  return s;
}

TEST(Udp, UDP_11_BroadcastNeedsSoBroadcast) {
  socket receiver(family::inet, type::dgram);
  receiver.settimeout(loopback_timeout);
  receiver.bind(ipv4_address("127.255.255.255", 0));  // loopback's broadcast address
  auto sender = loopback_dgram();
  const int initially = sender.getsockopt(option::broadcast);
  const auto without = outcome_of([&] { sender.sendto(as_bytes("b"), receiver.getsockname()); });
  const auto connect_without = outcome_of([&] { sender.connect(receiver.getsockname()); });
  sender.setsockopt(option::broadcast, 1);
  const auto with = outcome_of([&] { sender.sendto(as_bytes("b"), receiver.getsockname()); });
  const auto got = receiver.recvfrom(16);
  observe("default", initially);
  observe("without", without);
  observe("connect_without", connect_without);
  observe("with", with);
  observe("received", decode(got.data));
  observe("from_the_sender", got.addr == sender.getsockname());
  EXPECT_EQ(initially, 0);
  EXPECT_EQ(without, "PermissionError EACCES");
  EXPECT_EQ(connect_without, "PermissionError EACCES");
  EXPECT_EQ(with, "none");
  EXPECT_EQ(decode(got.data), "b");
}

TEST(Udp, UDP_12_ConnectingAgainChangesThePeer) {
  auto a = loopback_dgram(), old_peer = loopback_dgram(), new_peer = loopback_dgram();
  a.connect(old_peer.getsockname());
  old_peer.sendto(as_bytes("queued"), a.getsockname());
  a.connect(new_peer.getsockname());
  old_peer.sendto(as_bytes("from the old peer"), a.getsockname());
  new_peer.sendto(as_bytes("from the new peer"), a.getsockname());
  const auto first = decode(a.recv(64));
  const auto second = decode(a.recv(64));
  observe("peer_is_the_new_one", a.getpeername() == new_peer.getsockname());
  observe("first", first);
  observe("second", second);
  EXPECT_EQ(a.getpeername(), new_peer.getsockname());
  EXPECT_EQ(first, "queued") << "what was queued before stays";
  EXPECT_EQ(second, "from the new peer") << "the old peer's later datagram is dropped";
}

TEST(Udp, UDP_13_ConnectingToPortZero) {
  socket udp(family::inet, type::dgram);
  const auto connect = outcome_of([&] { udp.connect(ipv4_address::loopback(0)); });
  const auto peer = outcome_of([&] { (void)udp.getpeername(); });
  const auto send = outcome_of([&] { (void)udp.send(as_bytes("x")); });
  socket tcp(family::inet, type::stream);
  tcp.settimeout(loopback_timeout);
  const auto tcp_connect = outcome_of([&] { tcp.connect(ipv4_address::loopback(0)); });
  observe("connect", connect);
  observe("peer", peer);
  observe("send", send);
  observe("tcp_connect", tcp_connect);
  EXPECT_EQ(connect, "none");
  EXPECT_EQ(peer, "OSError ENOTCONN") << "port 0 counts as no peer";
  EXPECT_EQ(send, "none") << "yet the socket sends to it";
  EXPECT_EQ(tcp_connect, "ConnectionRefusedError ECONNREFUSED");
}

TEST(Udp, UDP_14_RxqOvflCountsTheDatagramsDropped) {
  auto receiver = loopback_dgram();
  receiver.setsockopt(option::rcvbuf, 1);  // the minimum: room for a few datagrams
  receiver.setsockopt(SOL_SOCKET, SO_RXQ_OVFL, 1);
  socket sender(family::inet, type::dgram);
  const std::string payload(100, 'x');
  constexpr int sent = 100;
  for (int i = 0; i < sent; ++i) sender.sendto(as_bytes(payload), receiver.getsockname());
  receiver.setblocking(false);
  int read = 0;
  std::vector<std::string> first_items;
  try {
    for (; read < sent; ++read) {
      const auto m = receiver.recvmsg(200, 64);
      if (read == 0) first_items = item_names(m.ancdata);
    }
  } catch (const blocking_io_error&) {
  }
  sender.sendto(as_bytes("after"), receiver.getsockname());
  const auto next = receiver.recvmsg(200, 64);
  const int counter = int_at(item_data(next.ancdata, SOL_SOCKET, SO_RXQ_OVFL));
  std::array<std::uint32_t, SK_MEMINFO_VARS> meminfo{};
  receiver.getsockopt(SOL_SOCKET, SO_MEMINFO, std::as_writable_bytes(std::span(meminfo)));
  observe("items_before_a_drop", first_items);
  observe("dropped_plus_read", counter + read);
  observe("counter_is_the_drop_count", counter == static_cast<int>(meminfo[SK_MEMINFO_DROPS]));
  ASSERT_GT(read, 0);
  EXPECT_LT(read, sent) << "the receive buffer held them all";
  EXPECT_TRUE(first_items.empty()) << "no count before anything was dropped";
  EXPECT_EQ(counter + read, sent);
  EXPECT_EQ(counter, static_cast<int>(meminfo[SK_MEMINFO_DROPS]));
}

}  // namespace
}  // namespace socklab::conformance
