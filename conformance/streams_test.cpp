// SPDX-License-Identifier: MIT
// AD. Streams (STREAM-*): what every stream kind — TCP over both loopbacks and v4-mapped, AF_UNIX
// by socketpair, path and abstract name — does with send boundaries, urgent data, MSG_WAITALL and
// traffic both ways at once.
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <string>

#include "support/fixtures.hpp"
#include "support/socket_kinds.hpp"

namespace socklab::conformance {
namespace {

KIND_TEST(MergedSendsOverKinds, STREAM_01_SendsMergeInTheStream) {
  auto [a, b] = pair();
  a.send(as_bytes("ab"));
  a.send(as_bytes("cd"));
  ASSERT_TRUE(queued_within(b, 4));
  const auto read = decode(b.recv(64));
  observe("read", read);
  EXPECT_EQ(read, "abcd");
}

KIND_TEST(UrgentOverKinds, STREAM_02_MsgOobSendsOneUrgentByte) {
  auto [a, b] = pair();
  a.send(as_bytes("ab"));
  a.send(as_bytes("!"), msg::oob);
  ASSERT_TRUE(polls_within(b, POLLPRI));
  const auto urgent = decode(b.recv(1, msg::oob));
  const auto ordinary = decode(b.recv(64));
  observe("urgent", urgent);
  observe("ordinary", ordinary);
  EXPECT_EQ(urgent, "!");
  EXPECT_EQ(ordinary, "ab");
}

KIND_TEST(OobInlineOverKinds, STREAM_03_OobinlineKeepsTheUrgentByteInTheStream) {
  auto [a, b] = pair();
  b.setsockopt(SOL_SOCKET, SO_OOBINLINE, 1);
  a.send(as_bytes("ab"));
  a.send(as_bytes("!"), msg::oob);
  ASSERT_TRUE(queued_within(b, 3));
  std::string stream;
  for (int reads = 0; reads < 3 && stream.size() < 3; ++reads) stream += decode(b.recv(64));
  b.setblocking(true);  // in timeout mode CPython would first wait for data (TMO-12)
  const auto oob_read = outcome_of([&b = b] { (void)b.recv(1, msg::oob); });
  observe("stream", stream);
  observe("oob_read", oob_read);
  EXPECT_EQ(stream, "ab!");
  EXPECT_EQ(oob_read, "OSError EINVAL");
}

KIND_TEST(BlockingWaitallOverKinds, STREAM_04_WaitallWaitsForTheWholeBuffer) {
  auto [a, b] = pair();
  b.setblocking(true);
  a.sendall(as_bytes(std::string(100, 'a')));
  const int reader = current_tid();
  peer sender([&a = a, reader] {
    const bool blocked = wait_until_blocked(reader);
    a.sendall(as_bytes(std::string(100, 'b')));  // sent either way, so the recv returns
    if (!blocked) throw std::runtime_error("the reader was never seen blocked in recv");
  });
  const auto got = b.recv(200, msg::waitall);
  sender.join();
  observe("received", static_cast<int>(got.size()));
  EXPECT_EQ(got.size(), 200U);
}

KIND_TEST(BothWaysOverKinds, STREAM_05_BothEndsSendAtOnce) {
  auto [a, b] = pair();
  const std::string from_a(1 << 20, 'a'), from_b(1 << 20, 'b');
  const auto send_then_close = [](socket& s, const std::string& data) {
    s.sendall(as_bytes(data));
    s.shutdown(shut::wr);
  };
  peer a_sends([&a = a, &from_a, &send_then_close] { send_then_close(a, from_a); });
  peer b_sends([&b = b, &from_b, &send_then_close] { send_then_close(b, from_b); });
  std::string a_got;
  peer a_reads([&a = a, &a_got] { a_got = recv_all(a); });
  const auto b_got = recv_all(b);
  a_reads.join();
  a_sends.join();
  b_sends.join();
  observe("a_read_all", a_got == from_b);
  observe("b_read_all", b_got == from_a);
  EXPECT_TRUE(a_got == from_b);
  EXPECT_TRUE(b_got == from_a);
}

KIND_TEST(TruncOverKinds, STREAM_06_MsgTruncDiscardsStreamBytes) {
  auto [a, b] = pair();
  a.sendall(as_bytes("0123456789"));
  ASSERT_TRUE(queued_within(b, 10));
  std::array<std::byte, 4> buffer{};
  buffer.fill(std::byte{'-'});
  const auto n = b.recv_into(buffer, 0, MSG_TRUNC);
  const int left = queued_bytes(b);
  const auto rest = decode(b.recv(16));
  observe("returned", n);
  observe("buffer_after", decode(buffer));
  observe("left", left);
  observe("rest", rest);
  EXPECT_EQ(n, 4U);
  EXPECT_EQ(decode(buffer), kind().family == family::unix_domain ? "0123" : "----")
      << "only TCP skips the copy";
  EXPECT_EQ(left, 6) << "the four bytes are consumed";
  EXPECT_EQ(rest, "456789");
}

}  // namespace
}  // namespace socklab::conformance
