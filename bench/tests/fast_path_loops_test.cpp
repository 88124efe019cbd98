// SPDX-License-Identifier: MIT
// The fast-path loops of udp_stream_mmsg, udp_stream_gso, udp_stream_gso_gro and
// tcp_stream_zerocopy, through both twins: what the sender says it sent is what the receiving loop
// counts, datagram by datagram, the marker that ends a repetition is told apart from data, and
// every zerocopy call's completion is collected.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <span>
#include <vector>

#include "socklab/fast_paths.hpp"
#include "support.hpp"
#include "support/harness.hpp"
#include "support/loops.hpp"
#include "support/peer.hpp"

namespace socklab::bench {
namespace {

// Counts what a receiving loop hands it and stops at the first marker.
struct counting_sink {
  std::uint64_t bytes = 0;
  std::uint64_t messages = 0;
  std::vector<std::vector<std::byte>> markers;
  void got(std::size_t n, std::span<const std::byte> /*data*/, std::uint64_t m = 1) {
    bytes += n;
    messages += m;
  }
  bool marker(std::span<const std::byte> d) {
    markers.emplace_back(d.begin(), d.end());
    return true;
  }
  template <class F>
  auto patiently(F&& io) -> std::optional<decltype(io())> {
    return io();
  }
};

template <class Io>
class FastPathLoops : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto offered = probe_fast_paths();
    if (!offered.batches || !offered.segmentation || !offered.coalescing)
      GTEST_SKIP() << "this kernel lacks sendmmsg/recvmmsg, UDP_SEGMENT or UDP_GRO";
    for (auto* s : {&sender, &receiver}) {
      s->settimeout(test::loopback_timeout);
      s->bind(ipv4_address::loopback());
    }
    sender.connect(receiver.getsockname());
  }
  // The marker a repetition ends with, sent as a plain datagram after the data.
  std::vector<std::byte> end_with_marker() {
    auto m = marker_datagram(7, size);
    sender.send(m);
    return m;
  }
  static constexpr std::size_t size = 64;
  socket sender{family::inet, type::dgram};
  socket receiver{family::inet, type::dgram};
  counting_sink sink;
};

using Twins = ::testing::Types<via_socklab, via_posix>;
TYPED_TEST_SUITE(FastPathLoops, Twins);

TYPED_TEST(FastPathLoops, BatchesAreCountedDatagramByDatagram) {
  const buffer msg = pattern(this->size);
  const std::vector<std::span<const std::byte>> batch(32, std::span<const std::byte>(msg));
  const auto sent = send_batches<TypeParam>(this->sender, batch, count{2});
  const auto marker = this->end_with_marker();
  std::vector<buffer> room(8, buffer(this->size + 1));
  std::vector<std::span<std::byte>> views(room.begin(), room.end());
  std::vector<std::size_t> sizes(views.size());
  receive_batches<TypeParam>(this->receiver, views, sizes, this->size, this->sink);
  EXPECT_EQ(sent, 64U);
  EXPECT_EQ(this->sink.messages, sent);
  EXPECT_EQ(this->sink.bytes, sent * this->size);
  ASSERT_EQ(this->sink.markers.size(), 1U);
  EXPECT_EQ(this->sink.markers[0], marker);
}

TYPED_TEST(FastPathLoops, SegmentsReadOneByOneAreEachADatagram) {
  const buffer msg = pattern(this->size * 64);
  const auto sent = send_segments<TypeParam>(this->sender, msg, this->size, count{1});
  const auto marker = this->end_with_marker();
  buffer room(this->size + 1);
  receive_datagrams<TypeParam>(this->receiver, room, this->size, false, this->sink);
  EXPECT_EQ(sent, 64U);
  EXPECT_EQ(this->sink.messages, sent);
  ASSERT_EQ(this->sink.markers.size(), 1U);
  EXPECT_EQ(this->sink.markers[0], marker);
}

TYPED_TEST(FastPathLoops, CoalescedReadsCountTheDatagramsTheyHold) {
  set_coalescing(this->receiver, true);
  const buffer msg = pattern(this->size * 64);
  const auto sent = send_segments<TypeParam>(this->sender, msg, this->size, count{5});
  const auto marker = this->end_with_marker();
  buffer room(65536);
  receive_coalesced<TypeParam>(this->receiver, room, this->size, this->sink);
  EXPECT_EQ(sent, 5U * 64);
  EXPECT_EQ(this->sink.messages, sent);
  EXPECT_EQ(this->sink.bytes, sent * this->size);
  ASSERT_EQ(this->sink.markers.size(), 1U);
  EXPECT_EQ(this->sink.markers[0], marker);
}

template <class Io>
class ZerocopyLoop : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!probe_fast_paths().zerocopy) GTEST_SKIP() << "this kernel lacks SO_ZEROCOPY";
    pair.client.settimeout(test::loopback_timeout);
    pair.server.settimeout(test::loopback_timeout);
    set_zerocopy(pair.client, true);
  }
  test::connected_pair pair = test::tcp_pair();
};
TYPED_TEST_SUITE(ZerocopyLoop, Twins);

TYPED_TEST(ZerocopyLoop, EveryCallsCompletionIsCollected) {
  const buffer msg = pattern(16384);
  zerocopy_tally tally;
  EXPECT_EQ(send_stream_zerocopy<TypeParam>(this->pair.client, msg, tally, count{8}), 8U);
  buffer room(65536);
  for (std::size_t got = 0; got < 8 * msg.size();) got += this->pair.server.recv_into(room);
  const auto deadline = clock::now() + std::chrono::seconds(10);
  while (tally.done < tally.calls && clock::now() < deadline)
    collect_zerocopy<TypeParam>(this->pair.client, tally);
  EXPECT_GE(tally.calls, 8U) << "at least one call per message";
  EXPECT_EQ(tally.done, tally.calls);
  EXPECT_EQ(tally.copied, tally.done) << "loopback copies";
}

}  // namespace
}  // namespace socklab::bench
