// SPDX-License-Identifier: MIT
// AE. Non-blocking sockets and the kernel's own timeouts (NB-*): full buffers, writability coming
// back, EISCONN, EOF without blocking, AF_UNIX connects that never wait, SO_RCVTIMEO/SO_SNDTIMEO.
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "support/fixtures.hpp"
#include "support/socket_kinds.hpp"

namespace socklab::conformance {
namespace {

constexpr int fill_attempts = 100000;  // 400 MB of 4 KiB sends: more than any buffer here holds

// Sends 4 KiB at a time until a send fails; what it raised ("none" if it never did).
std::string fill(socket& s) {
  const std::vector<std::byte> chunk(4096);
  for (int i = 0; i < fill_attempts; ++i) {
    auto outcome = outcome_of([&] { s.send(chunk); });
    if (outcome != "none") return outcome;
  }
  return "none";
}

KIND_TEST(FullBufferOverKinds, NB_01_ANonBlockingSendToAFullBufferRaises) {
  auto [a, b] = pair();
  a.setblocking(false);
  const auto raised = fill(a);
  observe("raised", raised);
  EXPECT_EQ(raised, "BlockingIOError EAGAIN");
}

KIND_TEST(WritableAgainOverKinds, NB_02_ASocketPollsWritableOnceItsPeerReads) {
  auto [a, b] = pair();
  a.setblocking(false);
  b.setblocking(false);
  ASSERT_EQ(fill(a), "BlockingIOError EAGAIN");
  std::vector<std::byte> sink(65536);
  bool writable = false;
  const auto deadline = std::chrono::steady_clock::now() + loopback_timeout;
  while (!writable && std::chrono::steady_clock::now() < deadline) {
    for (auto got = b.try_recv_into(sink); got && *got > 0; got = b.try_recv_into(sink)) {
    }
    writable = polls_within(a, POLLOUT, std::chrono::milliseconds(10));
  }
  const auto send_after = outcome_of([&a = a] { a.send(as_bytes("x")); });
  observe("writable_again", writable);
  observe("send_after", send_after);
  EXPECT_TRUE(writable);
  EXPECT_EQ(send_after, "none");
}

KIND_TEST(IsConnectedOverKinds, NB_03_ConnectExOnAConnectedSocketIsEisconnAfterTheFirst) {
  auto [a, b] = pair();
  std::vector<std::string> calls;
  for (const timeout mode : {timeout{}, timeout{std::chrono::seconds(0)}, timeout{loopback_timeout}}) {
    a.settimeout(mode);
    const int code = a.connect_ex(a.getpeername());
    calls.push_back(code == 0 ? "0" : errno_name_of(code));
  }
  observe("calls", calls);
  const auto expected = kind().swapped ? std::vector<std::string>{"EISCONN", "EISCONN", "EISCONN"}
                                       : std::vector<std::string>{"0", "EISCONN", "EISCONN"};
  EXPECT_EQ(calls, expected) << (kind().swapped ? "the accepted end" : "the connecting end");
}

KIND_TEST(EofWithoutBlockingOverKinds, NB_04_AfterEofANonBlockingRecvIsEmpty) {
  auto [a, b] = pair();
  a.shutdown(shut::wr);
  ASSERT_TRUE(polls_within(b, POLLRDHUP));
  b.setblocking(false);
  const auto first = decode(b.recv(16)), second = decode(b.recv(16));
  observe("first", first);
  observe("second", second);
  EXPECT_EQ(first, "");
  EXPECT_EQ(second, "");
}

TEST(Nonblocking, NB_05_AUnixConnectNeverWaits) {
  const temp_dir dir;
  for (const auto& [t, tname] :
       {std::pair{type::stream, "stream"}, std::pair{type::seqpacket, "seqpacket"}}) {
    for (const bool abstract : {false, true}) {
      const auto where = abstract ? unix_address::abstract(fresh_abstract_name())
                                  : unix_address(dir.file(std::string(tname) + ".sock"));
      socket listener(family::unix_domain, t), client(family::unix_domain, t);
      listener.bind(where);
      listener.listen(1);
      client.setblocking(false);
      const int code = client.connect_ex(where);
      observe(std::string(tname) + (abstract ? "_abstract" : "_path"), code);
      EXPECT_EQ(code, 0) << tname;
      EXPECT_EQ(client.getpeername(), address(where));
    }
  }
}

// Sets a kernel timeout option (SO_RCVTIMEO, SO_SNDTIMEO) to `ms` milliseconds.
void set_kernel_timeout(socket& s, int option, int ms) {
  const timeval tv{0, static_cast<suseconds_t>(ms) * 1000};
  std::array<std::byte, sizeof tv> raw{};
  std::memcpy(raw.data(), &tv, sizeof tv);
  s.setsockopt(SOL_SOCKET, option, raw);
}

KIND_TEST(KernelRecvTimeoutOverKinds, NB_06_SoRcvtimeoIsBlockingIoErrorNotTimeout) {
  auto [a, b] = pair();
  b.setblocking(true);
  set_kernel_timeout(b, SO_RCVTIMEO, 50);
  std::string raised;
  const double seconds = seconds_taken([&b = b, &raised] { raised = outcome_of([&] { (void)b.recv(1); }); });
  observe("raised", raised);
  observe("seconds", seconds);
  EXPECT_EQ(raised, "BlockingIOError EAGAIN");
  EXPECT_GE(seconds, 0.03);
  EXPECT_LT(seconds, 5.0);
}

TEST(Nonblocking, NB_07_SoSndtimeoEndsASendThatFindsTheBufferFull) {
  auto [client, server] = tcp_pair();
  client.setblocking(true);
  set_kernel_timeout(client, SO_SNDTIMEO, 50);
  const auto raised = fill(client);
  observe("raised", raised);
  EXPECT_EQ(raised, "BlockingIOError EAGAIN");
}

}  // namespace
}  // namespace socklab::conformance
