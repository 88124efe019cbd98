// SPDX-License-Identifier: MIT
// E. recv (RECV-*).
#include <string>
#include <vector>

#include "support/fixtures.hpp"
#include "support/socket_kinds.hpp"

namespace socklab::conformance {
namespace {

socket bound_udp() {
  socket s(family::inet, type::dgram);
  s.bind(ipv4_address::loopback());
  s.settimeout(loopback_timeout);
  return s;
}

TEST(Recv, RECV_01_AtMostBufsizeAndNoBoundaries) {
  auto pair = tcp_pair();
  const std::string msg = "Michael Gilfix was here\n";
  pair.client.sendall(as_bytes(msg));
  pair.server.settimeout(loopback_timeout);
  std::string got(decode(pair.server.recv(static_cast<std::ptrdiff_t>(msg.size() - 3))));
  EXPECT_LE(got.size(), msg.size() - 3);
  while (got.size() < msg.size()) got += decode(pair.server.recv(1024));
  EXPECT_EQ(got, msg);
}

KIND_TEST(RecvAtEof, RECV_02_OrderlyShutdownReadsEmptyRepeatedly) {
  for (const bool use_shutdown : {false, true}) {
    auto [a, b] = pair();
    if (use_shutdown)
      a.shutdown(shut::wr);
    else
      a.close();
    std::vector<std::string> reads(3);
    for (auto& r : reads) r = decode(b.recv(16));
    observe(use_shutdown ? "after_shutdown" : "after_close", reads);
    pollfd p{b.fileno(), POLLIN, 0};
    EXPECT_EQ(::poll(&p, 1, 0), 1) << "end of stream polls readable";
  }
}

TEST(Recv, RECV_03_RecvZeroMakesNoCallButRecvfromZeroDoes) {
  auto pair = tcp_pair();
  EXPECT_TRUE(pair.server.recv(0).empty());  // blocking socket, no data: a real call would hang
  pair.client.sendall(as_bytes("kept"));
  EXPECT_TRUE(pair.server.recv(0).empty());
  EXPECT_EQ(decode(pair.server.recv(16)), "kept");

  auto server = bound_udp();
  socket client(family::inet, type::dgram);
  client.sendto(as_bytes("first"), server.getsockname());
  client.sendto(as_bytes("second"), server.getsockname());
  EXPECT_TRUE(server.recv(0).empty());
  EXPECT_EQ(decode(server.recv(64)), "first") << "recv(0) must not consume a datagram";
  std::array<std::byte, 8> buf{};
  pair.client.sendall(as_bytes("whole"));
  EXPECT_EQ(pair.server.recv_into(buf, 0), 5u);  // nbytes 0: use the whole buffer
  EXPECT_TRUE(server.recvfrom(0).data.empty());
  server.setblocking(false);
  EXPECT_THROW(server.recv(64), blocking_io_error) << "recvfrom(0) must consume the datagram";
}

TEST(Recv, RECV_04_BadSizesAreRejectedBeforeIo) {
  auto pair = tcp_pair();
  auto u = bound_udp();
  std::array<std::byte, 8> buf{};
  EXPECT_THROW(pair.server.recv(-1), std::invalid_argument);
  EXPECT_THROW(u.recvfrom(-1), std::invalid_argument);
  EXPECT_THROW(pair.server.recv_into(buf, -1), std::invalid_argument);
  EXPECT_THROW(pair.server.recv_into(buf, 1024), std::invalid_argument);
  EXPECT_THROW(u.recvfrom_into(buf, 1024), std::invalid_argument);
}

TEST(Recv, RECV_05_PeekDoesNotConsume) {
  auto pair = tcp_pair();
  pair.client.sendall(as_bytes("peekaboo"));
  pair.server.settimeout(loopback_timeout);
  EXPECT_EQ(decode(pair.server.recv(8, msg::peek)), "peekaboo");
  EXPECT_EQ(decode(pair.server.recv(8)), "peekaboo");
  auto server = bound_udp();
  socket client(family::inet, type::dgram);
  client.sendto(as_bytes("dgram"), server.getsockname());
  EXPECT_EQ(decode(server.recvfrom(16, msg::peek).data), "dgram");
  EXPECT_EQ(decode(server.recvfrom(16).data), "dgram");
}

TEST(Recv, RECV_06_WaitallInBlockingAndTimeoutMode) {
  {
    // The second half is sent only once the receiver is provably asleep inside recv: with
    // MSG_WAITALL a blocking recv must not return the first half alone.
    auto pair = tcp_pair();
    pair.client.sendall(as_bytes(std::string(100, 'a')));
    const int receiver = current_tid();
    peer sender([&] {
      const bool blocked = wait_until_blocked(receiver);
      pair.client.sendall(as_bytes(std::string(100, 'b')));  // sent either way: recv must return
      if (!blocked) throw std::runtime_error("the receiver was never seen blocked in recv");
    });
    const auto got = pair.server.recv(200, msg::waitall);
    sender.join();
    EXPECT_EQ(got.size(), 200u);
  }
  {
    auto pair = tcp_pair();
    pair.client.sendall(as_bytes(std::string(100, 'a')));
    pair.server.settimeout(1s);
    const auto got = pair.server.recv(200, msg::waitall);  // O_NONBLOCK underneath: may be short
    EXPECT_GE(got.size(), 100u);
    EXPECT_LE(got.size(), 200u);
  }
}

KIND_TEST(NonBlockingRecv, RECV_07_NonBlockingRecvFailsAtOnceThenSucceeds) {
  auto [a, b] = pair();
  b.setblocking(false);
  std::string first;
  const double elapsed = seconds_taken([&b = b, &first] {
    try {
      (void)b.recv(16);
      first = "data";
    } catch (const blocking_io_error&) {
      first = "BlockingIOError";
    }
  });
  observe("first", first);
  expect_window(elapsed, 0, 1.0, "a non-blocking recv");
  a.sendall(as_bytes("now"));
  pollfd p{b.fileno(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 10000), 1);
  observe("once_readable", decode(b.recv(16)));
}

KIND_TEST(RecvAfterReset, RECV_08_ResetIsAnErrorNotEof) {
  auto [a, b] = pair();
  b.sendall(as_bytes("never read"));
  a.close();  // unread data: TCP answers with RST instead of FIN, AF_UNIX flags ECONNRESET
  std::string first;
  try {
    (void)b.recv(16);
    first = "data";
  } catch (const connection_reset_error&) {
    first = "ConnectionResetError";
  }
  observe("first", first);
  observe("then", decode(b.recv(16)));  // the error is reported once; then end of stream
}

}  // namespace
}  // namespace socklab::conformance
