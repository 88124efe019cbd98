// SPDX-License-Identifier: MIT
// The batched and offloaded datagram paths: every datagram accounted for, in order, with its
// bytes; GSO's segments arrive as the datagrams they stand for; GRO's reads add up to them.
#include "socklab/fast_paths.hpp"

#include <gtest/gtest.h>

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
  // Linux 5.0 and later offer all three; this suite runs on 6.1 and later.
  EXPECT_TRUE(s.batches);
  EXPECT_TRUE(s.segmentation);
  EXPECT_TRUE(s.coalescing);
}

}  // namespace
}  // namespace socklab
