// SPDX-License-Identifier: MIT
// makefile(): a buffered byte stream over a socket — exact reads across segments, lines across
// buffer boundaries, writes held until flush, close and move, timeouts that end reading, a
// non-blocking socket, EINTR and bad arguments.
#include "socklab/socket_file.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "blocked_calls.hpp"
#include "support.hpp"

namespace socklab {
namespace {

using namespace test;

std::string text(const std::vector<std::byte>& b) { return decode(b); }

// A file over one end of a stream socketpair (the other end returned), each with a bound timeout.
std::pair<socket_file, socket> file_and_peer(std::string_view mode,
                                             std::optional<std::size_t> buffering = std::nullopt) {
  auto [a, b] = socketpair(family::unix_domain, type::stream);
  a.settimeout(loopback_timeout);
  b.settimeout(loopback_timeout);
  return {socket_file(std::move(a), mode, buffering), std::move(b)};
}

TEST(SocketFile, ReadOfNWaitsForAllNAcrossSegmentsAndIsShortOnlyAtTheEnd) {
  auto [f, other] = file_and_peer("rb");
  other.send(as_bytes("abc"));
  const int reader = current_tid();
  peer writer([&, &other = other] {
    if (!wait_until_blocked(reader)) throw std::runtime_error("read(6) never waited for the rest");
    other.sendall(as_bytes("defgh"));
    other.shutdown(shut::wr);
  });
  EXPECT_EQ(text(f.read(6)), "abcdef");  // one recv() would have given "abc"
  writer.join();
  EXPECT_EQ(text(f.read(10)), "gh");
  EXPECT_EQ(text(f.read(10)), "");
  EXPECT_EQ(text(f.read()), "");
}

TEST(SocketFile, ReadWithoutACountReadsToTheEndOfStream) {
  auto [f, other] = file_and_peer("r", 1024);
  std::string content(100000, '\0');
  for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>('a' + i % 26);
  peer writer([&, &other = other] {
    other.sendall(as_bytes(content));
    other.close();
  });
  EXPECT_EQ(text(f.read(3)), "abc");  // leaves read-ahead in the buffer, which read() returns first
  EXPECT_EQ(text(f.read()), content.substr(3));
  writer.join();
}

TEST(SocketFile, LinesAcrossBufferBoundariesWithAndWithoutALimit) {
  auto [f, other] = file_and_peer("rb", 4);  // lines longer than the buffer
  other.sendall(as_bytes("hello world\nx\n\nsecond line\nlast"));
  other.shutdown(shut::wr);
  EXPECT_EQ(text(f.readline()), "hello world\n");
  EXPECT_EQ(text(f.readline()), "x\n");
  EXPECT_EQ(text(f.readline()), "\n");
  EXPECT_EQ(text(f.readline(3)), "sec");
  EXPECT_EQ(text(f.readline(0)), "");
  EXPECT_EQ(text(f.readline(100)), "ond line\n");
  EXPECT_EQ(text(f.readline()), "last");  // the end of stream ends the last line
  EXPECT_EQ(text(f.readline()), "");
}

TEST(SocketFile, ReadintoFillsTheBufferThenReportsTheShortRest) {
  auto [f, other] = file_and_peer("rb", 16);
  other.sendall(as_bytes("0123456789abcdefghijklmnopqrstuvwxyz"));  // 36 bytes
  other.shutdown(shut::wr);
  std::vector<std::byte> big(20), small(5);
  EXPECT_EQ(f.readinto(small), 5u);  // through the buffer
  EXPECT_EQ(text(small), "01234");
  EXPECT_EQ(f.readinto(big), 20u);  // the rest of the buffer, then straight from the socket
  EXPECT_EQ(text(big), "56789abcdefghijklmno");
  EXPECT_EQ(f.readinto(big), 11u);
  EXPECT_EQ(decode(std::span(big).first(11)), "pqrstuvwxyz");
  EXPECT_EQ(f.readinto(big), 0u);
}

TEST(SocketFile, Read1ReturnsWhatOneCallGivesWithoutWaitingForMore) {
  auto [f, other] = file_and_peer("rb");
  other.send(as_bytes("abc"));
  // The peer stays open: a read that waited for the 10 bytes would time out instead.
  EXPECT_EQ(text(f.read1(10)), "abc");
  other.send(as_bytes("defg"));
  EXPECT_EQ(text(f.read1(2)), "de");  // from the buffer
  EXPECT_EQ(text(f.read1(10)), "fg");
  EXPECT_EQ(text(f.read1(0)), "");
  other.shutdown(shut::wr);
  EXPECT_EQ(text(f.read1(10)), "");
}

TEST(SocketFile, WritesStayBufferedUntilFlushOrAFullBuffer) {
  auto [f, other] = file_and_peer("wb", 8);
  EXPECT_EQ(f.write(as_bytes("ab")), 2u);
  other.settimeout(std::chrono::nanoseconds::zero());
  EXPECT_THROW((void)other.recv(10), blocking_io_error);  // nothing sent yet
  f.flush();
  other.settimeout(loopback_timeout);
  EXPECT_EQ(text(other.recv(10)), "ab");
  EXPECT_EQ(f.write(as_bytes("0123456789")), 10u);  // past the buffer's 8: out without a flush
  EXPECT_EQ(text(other.recv(20)), "0123456789");
}

TEST(SocketFile, CloseFlushesClosesTheSocketAndIsIdempotent) {
  auto [f, other] = file_and_peer("rwb");
  const auto before = open_fds();
  EXPECT_TRUE(before.contains(f.fileno()));
  f.write(as_bytes("cd"));
  f.close();
  EXPECT_TRUE(f.closed());
  EXPECT_EQ(f.fileno(), -1);
  EXPECT_EQ(open_fds().size(), before.size() - 1);
  EXPECT_EQ(recv_all(other), "cd");  // the flushed bytes, then end of stream
  f.close();
  EXPECT_THROW((void)f.read(1), std::invalid_argument);
  EXPECT_THROW((void)f.readline(), std::invalid_argument);
  EXPECT_THROW(f.write(as_bytes("x")), std::invalid_argument);
  EXPECT_THROW(f.flush(), std::invalid_argument);
}

TEST(SocketFile, TheDestructorFlushes) {
  auto [f, other] = file_and_peer("wb");
  {
    socket_file gone = std::move(f);
    gone.write(as_bytes("bye"));
  }
  EXPECT_EQ(recv_all(other), "bye");
}

TEST(SocketFile, MovingHandsOverTheBuffersAndAssignmentFlushesWhatItReplaces) {
  auto [f, first_peer] = file_and_peer("rwb");
  auto [g, second_peer] = file_and_peer("rwb");
  first_peer.sendall(as_bytes("one\ntwo\n"));
  EXPECT_EQ(text(f.readline()), "one\n");  // "two\n" is now read-ahead in f
  f.write(as_bytes("pending"));
  socket_file moved(std::move(f));
  EXPECT_TRUE(f.closed());  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  EXPECT_EQ(text(moved.readline()), "two\n");
  g.write(as_bytes("replaced"));
  g = std::move(moved);
  EXPECT_EQ(recv_all(second_peer), "replaced");  // flushed and closed by the assignment
  g.close();
  EXPECT_EQ(recv_all(first_peer), "pending");
}

TEST(SocketFile, AfterATimedOutReadTheFileRefusesToReadButTheSocketStillCan) {
  auto [f, other] = file_and_peer("rwb");
  f.sock().settimeout(50ms);
  const double waited = seconds_taken([&f = f] { EXPECT_THROW((void)f.read(1), timeout_error); });
  EXPECT_GE(waited, 0.045);
  other.sendall(as_bytes("late\n"));
  try {
    (void)f.readline();
    ADD_FAILURE() << "readline after a timeout read";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), socklab_errc::read_after_timeout);
    EXPECT_EQ(std::string(e.what()), "readline: cannot read from timed out object");
  }
  EXPECT_THROW((void)f.read1(1), error);
  f.sock().settimeout(loopback_timeout);
  EXPECT_EQ(text(f.sock().recv(10)), "late\n");
  f.write(as_bytes("still writes"));  // only reading is refused, as in Python
  f.flush();
  EXPECT_EQ(text(other.recv(20)), "still writes");
}

TEST(SocketFile, ANonBlockingSocketGivesWhatThereIsOrBlockingIoError) {
  auto [f, other] = file_and_peer("rb");
  f.sock().setblocking(false);
  EXPECT_THROW((void)f.read(5), blocking_io_error);
  EXPECT_THROW((void)f.readline(), blocking_io_error);
  EXPECT_THROW((void)f.read(), blocking_io_error);
  other.send(as_bytes("ab\ncd"));
  EXPECT_EQ(text(f.readline()), "ab\n");
  EXPECT_EQ(text(f.read(5)), "cd");  // short: nothing more has arrived
  other.send(as_bytes("ef"));
  EXPECT_EQ(text(f.read()), "ef");
  EXPECT_THROW((void)f.read(1), blocking_io_error);  // not a timeout: the file still reads
  other.send(as_bytes("g"));
  EXPECT_EQ(text(f.read(1)), "g");
}

TEST(SocketFile, AFlushThatTimesOutKeepsWhatWasNotSent) {
  auto [f, other] = file_and_peer("wb", 1 << 20);
  std::string content(8 << 20, '\0');  // far more than the socket buffers hold
  for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>('a' + (i / 4093) % 26);
  f.sock().settimeout(100ms);
  std::size_t taken = 0;  // a write whose flush fails has still taken its bytes
  try {
    while (taken < content.size()) {
      const auto chunk = std::string_view(content).substr(taken, 65536);
      taken += chunk.size();
      f.write(as_bytes(chunk));
    }
    ADD_FAILURE() << "a peer that does not read never stalled the flush";
  } catch (const timeout_error&) {
  }
  EXPECT_LT(taken, content.size());
  // Every byte taken arrives exactly once, in order, when the peer reads and the file closes.
  std::string got;
  peer reader([&, &other = other] { got = recv_all(other); });
  f.sock().settimeout(loopback_timeout);
  f.close();
  reader.join();
  EXPECT_EQ(got, content.substr(0, taken));
}

TEST(SocketFile, CloseClosesTheSocketEvenWhenItsFlushFails) {
  auto [f, other] = file_and_peer("wb");
  other.close();
  f.write(as_bytes("nobody reads this"));
  EXPECT_THROW(f.flush(), broken_pipe_error);
  EXPECT_THROW(f.close(), broken_pipe_error);  // the bytes were still buffered
  EXPECT_TRUE(f.closed());
  EXPECT_EQ(f.fileno(), -1);
}

TEST(SocketFile, ABlockedReadSurvivesASignalStorm) {
  auto [f, other] = file_and_peer("rb");
  f.sock().settimeout(std::nullopt);
  const long before = signal_storm::delivered();
  signal_storm storm;
  peer writer([&, &other = other] {
    if (!storm_reached(before, 50)) throw std::runtime_error("the storm never reached 50 signals");
    other.sendall(as_bytes("line\n"));
  });
  EXPECT_EQ(text(f.readline()), "line\n");
  writer.join();
}

TEST(SocketFile, ModesAndBadArguments) {
  auto [a, b] = socketpair(family::unix_domain, type::stream);
  const int fd = a.fileno();
  EXPECT_THROW(socket_file(std::move(a), "rx"), std::invalid_argument);
  EXPECT_EQ(a.fileno(), fd);  // NOLINT(bugprone-use-after-move): a refused file leaves the socket
  EXPECT_THROW(socket_file(std::move(a), "r", 0), std::invalid_argument);
  EXPECT_EQ(a.fileno(), fd);  // NOLINT(bugprone-use-after-move)
  {
    const socket_file binary(std::move(a), "b");  // neither r nor w: reads, as Python's
    EXPECT_TRUE(binary.readable());
    EXPECT_FALSE(binary.writable());
  }
  auto [reading, r_peer] = file_and_peer("r");
  EXPECT_THROW(reading.write(as_bytes("x")), std::invalid_argument);
  auto [writing, w_peer] = file_and_peer("w");
  EXPECT_FALSE(writing.readable());
  EXPECT_THROW((void)writing.read(1), std::invalid_argument);
  EXPECT_THROW((void)writing.readline(), std::invalid_argument);
  std::vector<std::byte> buf(1);
  EXPECT_THROW((void)writing.readinto(buf), std::invalid_argument);
  auto both = makefile(std::move(b), "rwb");
  EXPECT_TRUE(both.readable());
  EXPECT_TRUE(both.writable());
}

}  // namespace
}  // namespace socklab
