// SPDX-License-Identifier: MIT
// Q. Flags on recv and send (FLAG-*): MSG_PEEK, MSG_DONTWAIT, MSG_WAITALL and MSG_TRUNC, in each
// timeout mode.
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <array>
#include <chrono>
#include <span>
#include <string>
#include <vector>

#include "support/fixtures.hpp"
#include "support/socket_kinds.hpp"

namespace socklab::conformance {
namespace {

using namespace std::chrono_literals;

// The Python name of what a call raised, or "none".
template <class F>
std::string raised(F&& call) {
  try {
    call();
  } catch (const timeout_error&) {
    return "TimeoutError";
  } catch (const blocking_io_error&) {
    return "BlockingIOError";
  } catch (const error&) {
    return "OSError";
  }
  return "none";
}

KIND_TEST(PeekOverKinds, FLAG_01_PeekLeavesTheDataForTheNextRecv) {
  auto [a, b] = pair();
  a.send(as_bytes("hello"));
  observe("peeked", decode(b.recv(3, msg::peek)));
  observe("then", decode(b.recv(10)));
}

KIND_TEST(DontwaitOverKinds, FLAG_02_DontwaitNeverBlocksButATimeoutStillWaits) {
  auto [a, b] = pair();
  b.settimeout(std::nullopt);
  observe("blocking_socket", raised([&b = b] { (void)b.recv(10, msg::dontwait); }));
  b.settimeout(200ms);
  std::string what;
  const double waited =
      seconds_taken([&b = b, &what] { what = raised([&b] { (void)b.recv(10, msg::dontwait); }); });
  observe("timeout_socket", what);
  observe("timeout_waited_s", waited);
  EXPECT_GE(waited, 0.19);  // the timeout, not the flag, decides how long it waits
  EXPECT_LT(waited, 5.0);
}

KIND_TEST(WaitallOverKinds, FLAG_03_WaitallInTimeoutModeReturnsWhatIsThere) {
  auto [a, b] = pair();
  b.settimeout(200ms);
  a.send(as_bytes("ab"));
  observe("got", decode(b.recv(10, msg::waitall)));
}

TEST(Flags, FLAG_04_TruncReportsTheDatagramsRealLength) {
  socket server(family::inet, type::dgram), client(family::inet, type::dgram);
  server.settimeout(10s);
  server.bind(ipv4_address::loopback());
  client.sendto(as_bytes("0123456789"), server.getsockname());
  std::array<std::byte, 4> buf{};
  observe("recv_into_returns", static_cast<int>(server.recv_into(buf, 0, msg::trunc)));
  observe("recv_into_filled", std::string(as_text(buf)));
  client.sendto(as_bytes("0123456789"), server.getsockname());
  observe("recv_length", static_cast<int>(server.recv(4, msg::trunc).size()));
}

TEST(Flags, FLAG_05_PeekOnADatagramLeavesItWhole) {
  socket server(family::inet, type::dgram), client(family::inet, type::dgram);
  server.settimeout(10s);
  server.bind(ipv4_address::loopback());
  client.sendto(as_bytes("abcdef"), server.getsockname());
  observe("peeked", decode(server.recv(3, msg::peek)));
  auto [data, sender] = server.recvfrom(100);
  observe("then", decode(data));
  observe("same_sender",
          sender && port_of(*sender) == port_of(client.getsockname()));  // client: 0.0.0.0:port
}

constexpr int send_fill_limit = 10000;  // 64 KiB sends: far past any socket buffer, so the loop ends

KIND_TEST(DontwaitSendOverKinds, FLAG_06_DontwaitOnSendNeverWaitsForRoom) {
  auto [a, b] = pair();
  a.settimeout(std::nullopt);
  const std::vector<std::byte> chunk(65536, std::byte{'x'});
  std::string what = "none";
  for (int i = 0; i < send_fill_limit && what == "none"; ++i)
    what = raised([&a = a, &chunk] { (void)a.send(chunk, msg::dontwait); });
  observe("raised", what);
  observe("still_blocking", a.getblocking() && !a.gettimeout());
}

KIND_TEST(ErrqueueOverKinds, FLAG_07_ErrqueueReadsOnlyTheErrorQueue) {
  auto [a, b] = pair();
  a.send(as_bytes("data"));
  ASSERT_TRUE(polls_within(b, POLLIN));
  b.setblocking(true);
  const ::timeval bound{2, 0};  // were the call to wait, it would give up after this instead of hanging
  b.setsockopt(SOL_SOCKET, SO_RCVTIMEO, std::as_bytes(std::span(&bound, 1)));
  std::string got;
  const auto errqueue = outcome_of([&b = b, &got] { got = decode(b.recvmsg(16, 0, MSG_ERRQUEUE).data); });
  const bool data_still_waiting = queued_bytes(b) > 0;
  observe("errqueue", errqueue);
  observe("returned", got);
  observe("data_still_waiting", data_still_waiting);
  // IP sockets read the (empty) error queue and never block on it; AF_UNIX has no error queue and
  // ignores the flag: it reads the data.
  const bool ip = kind().family != family::unix_domain;
  EXPECT_EQ(errqueue, ip ? "BlockingIOError EAGAIN" : "none");
  EXPECT_EQ(got, ip ? "" : "data");
  EXPECT_EQ(data_still_waiting, ip);
}

}  // namespace
}  // namespace socklab::conformance
