// SPDX-License-Identifier: MIT
// The batched and offloaded datagram paths: every datagram accounted for, in order, with its
// bytes; GSO's segments arrive as the datagrams they stand for; GRO's reads add up to them.
#include "socklab/fast_paths.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>

#include <array>
#include <chrono>
#include <numeric>
#include <string>
#include <vector>

#include "support.hpp"

namespace socklab {
namespace {

using namespace test;
using namespace std::chrono_literals;

// A UDP socket on 127.0.0.1 with the loopback timeout.
socket bound_udp() {
  socket s(family::inet, type::dgram);
  s.settimeout(loopback_timeout);
  s.bind(ipv4_address::loopback());
  return s;
}

// `count` datagrams of `size` bytes, the i-th filled with the byte 'a' + i % 26.
std::vector<std::vector<std::byte>> numbered(std::size_t count, std::size_t size) {
  std::vector<std::vector<std::byte>> out;
  for (std::size_t i = 0; i < count; ++i) out.emplace_back(size, static_cast<std::byte>('a' + i % 26));
  return out;
}

template <class Buffers>
std::vector<std::span<const std::byte>> views_of(const Buffers& buffers) {
  return {buffers.begin(), buffers.end()};
}

class FastPaths : public ::testing::Test {
 protected:
  void SetUp() override {
    support = probe_fast_paths();
    if (!support.batches || !support.segmentation || !support.coalescing)
      GTEST_SKIP() << "this kernel lacks sendmmsg/recvmmsg, UDP_SEGMENT or UDP_GRO";
    sender.connect(receiver.getsockname());
  }
  fast_path_support support;
  socket receiver = bound_udp();
  socket sender = bound_udp();
};

TEST_F(FastPaths, ABatchArrivesAsItsDatagramsInOrder) {
  std::vector<std::vector<std::byte>> sent;
  for (std::size_t i = 0; i < 10; ++i) sent.emplace_back(i + 1, static_cast<std::byte>('a' + i));
  ASSERT_EQ(send_batch(sender, views_of(sent)), 10U);
  std::vector<std::vector<std::byte>> room(16, std::vector<std::byte>(64));
  std::vector<std::span<std::byte>> buffers(room.begin(), room.end());
  std::vector<std::size_t> sizes(buffers.size());
  std::size_t got = 0;
  for (int calls = 0; got < sent.size() && calls < 10; ++calls)
    got += recv_batch(receiver, std::span(buffers).subspan(got), std::span(sizes).subspan(got));
  ASSERT_EQ(got, sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i) {
    ASSERT_EQ(sizes[i], sent[i].size()) << "datagram " << i;
    EXPECT_TRUE(std::equal(sent[i].begin(), sent[i].end(), room[i].begin())) << "datagram " << i;
  }
}

TEST_F(FastPaths, ABatchLargerThanTheLimitSendsTheLimit) {
  const auto many = numbered(batch_limit + 10, 8);
  receiver.setsockopt(option::rcvbuf, 1 << 20);  // room for them all
  EXPECT_EQ(send_batch(sender, views_of(many)), batch_limit);
}

TEST_F(FastPaths, RecvBatchCutsADatagramToItsBuffer) {
  const auto one = numbered(1, 100);
  send_batch(sender, views_of(one));
  std::array<std::byte, 10> small{};
  const std::array<std::span<std::byte>, 1> buffers{std::span(small)};
  std::array<std::size_t, 1> sizes{};
  ASSERT_EQ(recv_batch(receiver, buffers, sizes), 1U);
  EXPECT_EQ(sizes[0], small.size());
}

TEST_F(FastPaths, RecvBatchTimesOutAsRecvDoes) {
  receiver.settimeout(100ms);
  std::array<std::byte, 16> room{};
  const std::array<std::span<std::byte>, 1> buffers{std::span(room)};
  std::array<std::size_t, 1> sizes{};
  const auto took = seconds_taken([&] { EXPECT_THROW(recv_batch(receiver, buffers, sizes), timeout_error); });
  EXPECT_GE(took, 0.09);
  EXPECT_LT(took, 5.0);
}

TEST_F(FastPaths, SizesShorterThanBuffersAreRefused) {
  std::array<std::byte, 16> room{};
  const std::array<std::span<std::byte>, 2> buffers{std::span(room), std::span(room)};
  std::array<std::size_t, 1> sizes{};
  const auto r = try_recv_batch(receiver, buffers, sizes);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::invalid_argument);
}

TEST_F(FastPaths, SegmentsArriveAsEqualDatagramsAndAShorterLastOne) {
  std::vector<std::byte> data(10 * 100 + 50);
  std::iota(reinterpret_cast<unsigned char*>(data.data()),
            reinterpret_cast<unsigned char*>(data.data()) + data.size(), static_cast<unsigned char>(0));
  ASSERT_EQ(send_segmented(sender, data, 100), data.size());
  std::vector<std::byte> back;
  std::array<std::byte, 2048> room{};
  for (int i = 0; i < 11; ++i) {
    const auto n = receiver.recv_into(room);
    EXPECT_EQ(n, i < 10 ? 100U : 50U) << "datagram " << i;
    back.insert(back.end(), room.begin(), room.begin() + static_cast<std::ptrdiff_t>(n));
  }
  EXPECT_EQ(back, data);
}

TEST_F(FastPaths, CoalescedReadsAddUpToTheSegmentsSent) {
  set_coalescing(receiver, true);
  const std::size_t segments = 20, size = 64;
  std::vector<std::byte> data(segments * size, std::byte{'g'});
  ASSERT_EQ(send_segmented(sender, data, static_cast<std::uint16_t>(size)), data.size());
  std::vector<std::byte> room(65536);
  std::size_t bytes = 0, datagrams = 0, coalesced_reads = 0;
  for (std::size_t reads = 0; bytes < data.size() && reads < segments; ++reads) {
    const auto r = recv_coalesced(receiver, room);
    EXPECT_TRUE(r.segment == 0 || r.segment == size) << "segment " << r.segment;
    if (r.segment != 0) ++coalesced_reads;
    bytes += r.bytes;
    datagrams += r.datagrams();
  }
  EXPECT_EQ(bytes, data.size());
  EXPECT_EQ(datagrams, segments);
  EXPECT_GE(coalesced_reads, 1U) << "loopback hands a GSO send to a GRO socket whole";
}

TEST_F(FastPaths, WithoutCoalescingAReadIsOneDatagram) {
  const auto one = numbered(1, 64);
  send_batch(sender, views_of(one));
  std::vector<std::byte> room(65536);
  const auto r = recv_coalesced(receiver, room);
  EXPECT_EQ(r.bytes, 64U);
  EXPECT_EQ(r.segment, 0U);
  EXPECT_EQ(r.datagrams(), 1U);
}

TEST_F(FastPaths, TooManySegmentsIsAnErrorNamingTheCall) {
  const std::vector<std::byte> data(1000, std::byte{'x'});  // 1,000 one-byte segments: past any limit
  try {
    send_segmented(sender, data, 1);
    FAIL() << "the kernel took 1,000 segments in one call";
  } catch (const error& e) {
    EXPECT_NE(std::string(e.what()).find("sendmsg(UDP_SEGMENT)"), std::string::npos) << e.what();
  }
}

TEST_F(FastPaths, TryFormsReturnTheErrorInsteadOfThrowing) {
  sender.close();
  const auto one = numbered(1, 4);
  const auto r = try_send_batch(sender, views_of(one));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::bad_file_descriptor);
  EXPECT_THROW(send_batch(sender, views_of(one)), error);
}

TEST(FastPathsProbe, SaysWhatThisKernelOffers) {
  const auto s = probe_fast_paths();
  // Linux 5.0 and later offer all four; this suite runs on 6.1 and later.
  EXPECT_TRUE(s.batches);
  EXPECT_TRUE(s.segmentation);
  EXPECT_TRUE(s.coalescing);
  EXPECT_TRUE(s.zerocopy);
}

TEST(BusyPoll, SetsTheSpinTheKernelReadsBackOrSaysWhyNot) {
  auto pair = test::tcp_pair();
  EXPECT_THROW(set_busy_poll(pair.client, std::chrono::microseconds(-1)), std::invalid_argument);
  if (!probe_fast_paths().busy_poll) {
    EXPECT_THROW(set_busy_poll(pair.client, std::chrono::microseconds(50)), std::system_error);
    GTEST_SKIP() << "SO_BUSY_POLL is missing or may not be raised here (CAP_NET_ADMIN)";
  }
  set_busy_poll(pair.client, std::chrono::microseconds(50));
  int value = 0;
  socklen_t len = sizeof value;
  ASSERT_EQ(::getsockopt(pair.client.fileno(), SOL_SOCKET, SO_BUSY_POLL, &value, &len), 0);
  EXPECT_EQ(value, 50);
  set_busy_poll(pair.client, std::chrono::microseconds(0));
  ASSERT_EQ(::getsockopt(pair.client.fileno(), SOL_SOCKET, SO_BUSY_POLL, &value, &len), 0);
  EXPECT_EQ(value, 0);
  // The round trip still works with the spin on (loopback has no NAPI queue to spin on).
  set_busy_poll(pair.server, std::chrono::microseconds(50));
  const std::array<std::byte, 3> ping{std::byte{1}, std::byte{2}, std::byte{3}};
  pair.client.sendall(ping);
  std::array<std::byte, 3> got{};
  ASSERT_EQ(pair.server.recv_into(got), got.size());
  EXPECT_EQ(got, ping);
}

class Zerocopy : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!probe_fast_paths().zerocopy) GTEST_SKIP() << "this kernel lacks SO_ZEROCOPY";
    pair.client.settimeout(loopback_timeout);
    pair.server.settimeout(loopback_timeout);
  }
  // Reads `n` bytes on the server end, so that the client's sends complete.
  void drain(std::size_t n) {
    std::vector<std::byte> room(65536);
    for (std::size_t got = 0; got < n;) got += pair.server.recv_into(room);
  }
  connected_pair pair = tcp_pair();
};

TEST_F(Zerocopy, CompletionsCoverEverySendOnce) {
  set_zerocopy(pair.client, true);
  const std::vector<std::byte> chunk(4096, std::byte{'z'});
  constexpr std::uint32_t sends = 20;
  for (std::uint32_t i = 0; i < sends; ++i) ASSERT_EQ(send_zerocopy(pair.client, chunk), chunk.size());
  drain(sends * chunk.size());
  // Completions arrive once the data has been read; each covers the next calls, in order.
  std::uint64_t covered = 0;
  bool all_copied = true;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (covered < sends && std::chrono::steady_clock::now() < deadline) {
    if (const auto done = read_zerocopy_done(pair.client)) {
      EXPECT_EQ(done->first, covered) << "a gap or an overlap in the completions";
      covered += done->calls();
      all_copied = all_copied && done->copied;
    }
  }
  EXPECT_EQ(covered, sends);
  EXPECT_TRUE(all_copied) << "loopback hands the receiver a copy, never the sender's pages";
  EXPECT_FALSE(read_zerocopy_done(pair.client).has_value()) << "nothing beyond the sends made";
}

TEST_F(Zerocopy, WithoutTheOptionTheFlagIsIgnored) {
  const std::vector<std::byte> chunk(1000, std::byte{'n'});
  EXPECT_EQ(send_zerocopy(pair.client, chunk), chunk.size());
  drain(chunk.size());
  EXPECT_FALSE(read_zerocopy_done(pair.client).has_value());
}

TEST_F(Zerocopy, AnotherKindOfErrorQueueItemIsRefused) {
  // An unconnected UDP socket with IP_RECVERR queues the port-unreachable error of its datagram.
  socket udp(family::inet, type::dgram);
  udp.setsockopt(IPPROTO_IP, IP_RECVERR, 1);
  udp.sendto(as_bytes("x"), unused_port(type::dgram));
  pollfd ready{udp.fileno(), POLLERR, 0};
  ASSERT_EQ(::poll(&ready, 1, 10000), 1) << "the ICMP error never arrived";
  const auto r = try_read_zerocopy_done(udp);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::protocol_error);
}

TEST(ZerocopyErrors, AnAfUnixSocketRefusesTheOption) {
  auto [a, b] = socketpair();
  try {
    set_zerocopy(a, true);
    FAIL() << "AF_UNIX took SO_ZEROCOPY";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), std::errc::operation_not_supported);
    EXPECT_NE(std::string(e.what()).find("SO_ZEROCOPY"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace socklab
