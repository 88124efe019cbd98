// SPDX-License-Identifier: MIT
// The io_uring loops of tcp_stream_uring and tcp_pingpong_uring, through socklab's ring and the
// raw one: every byte sent arrives, in order, also when the receiver's provided buffers run out
// and its multishot receive must be armed again; every round trip is answered with the request's
// bytes and timed; the peers end at the end of the stream.
#include "support/uring_loops.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "support.hpp"
#include "support/loops.hpp"
#include "support/peer.hpp"
#include "support/raw_uring.hpp"

namespace socklab::bench {
namespace {

using namespace std::chrono_literals;
constexpr auto patience = std::chrono::duration_cast<std::chrono::milliseconds>(test::loopback_timeout);

// Keeps what a receiving loop hands it. A timeout is a failure here: nothing is idle in these tests.
struct keeping_sink {
  std::vector<std::byte> data;
  std::uint64_t messages = 0;
  void got(std::size_t n, std::span<const std::byte> d) {
    data.insert(data.end(), d.begin(), d.begin() + static_cast<std::ptrdiff_t>(n));
    ++messages;
  }
  template <class F>
  auto patiently(F&& io) -> std::optional<decltype(io())> {
    return io();
  }
};

// A sink that goes on waiting past its patience, as a peer does while other benchmarks run.
struct idling_sink : keeping_sink {
  std::atomic<int> timeouts{0};
  template <class F>
  auto patiently(F&& io) -> std::optional<decltype(io())> {
    for (int i = 0; i < 1000; ++i) {  // bounded: 1000 waits of 5 ms
      try {
        return io();
      } catch (const std::system_error& e) {
        if (!timed_out(e)) throw;
        ++timeouts;
      }
    }
    return std::nullopt;
  }
};

template <class Ring>
class UringLoops : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto offered = probe_uring();
    if (!offered.complete()) GTEST_SKIP() << "io_uring is not fully available here: " << offered.why_not;
  }
  test::connected_pair pair = test::tcp_pair();
};

// The requesting side: `size`-byte requests, the answers read into a registered buffer.
template <class Ring>
struct requester {
  explicit requester(std::size_t size) : msg(pattern(size)), reply(size) {
    const std::array<std::span<std::byte>, 1> registered{std::span(reply)};
    r.register_buffers(registered);
  }
  std::uint64_t trips(const socket& s, std::uint64_t n, std::chrono::milliseconds wait = patience) {
    return round_trips_uring(r, s, msg, reply, h, wait, count{n});
  }
  Ring r{8};
  buffer msg;
  buffer reply;
  latency_histogram h;
};

using Rings = ::testing::Types<uring, raw_ring>;
TYPED_TEST_SUITE(UringLoops, Rings);

// Sends `count` messages of `size` bytes, each filled with its number, and receives them with
// `buffers` provided buffers of `buffer_size` bytes; what the receiver kept.
template <class Ring>
std::vector<std::byte> stream_through(test::connected_pair& pair, std::size_t count, std::size_t size,
                                      std::uint16_t buffers, std::size_t buffer_size, keeping_sink& sink) {
  test::peer receiver(
      [&] { receive_stream_on_own_ring<Ring>(pair.server, buffers, buffer_size, sink, patience); });
  std::vector<std::byte> sent;
  Ring r(64);
  buffer msg(size);
  const std::array<std::span<std::byte>, 1> registered{std::span(msg)};
  r.register_buffers(registered);
  std::uint64_t i = 0;
  // One message per call, so that each can carry its own number.
  for (; i < count; ++i) {
    std::fill(msg.begin(), msg.end(), static_cast<std::byte>(i));
    EXPECT_EQ(send_stream_uring(r, pair.client, msg, patience, ::socklab::bench::count{1}), 1U);
    sent.insert(sent.end(), msg.begin(), msg.end());
  }
  pair.client.shutdown(shut::wr);
  receiver.join();
  return sent;
}

TYPED_TEST(UringLoops, AStreamArrivesWholeAndInOrder) {
  keeping_sink sink;
  const auto sent = stream_through<TypeParam>(this->pair, 40, 4096, 8, 4096, sink);
  EXPECT_EQ(sink.data.size(), sent.size());
  EXPECT_TRUE(sink.data == sent) << "the receiver's bytes differ from the sender's";
}

TYPED_TEST(UringLoops, AReceiveThatRunsOutOfBuffersIsArmedAgain) {
  keeping_sink sink;
  // 256 KiB per message into four 512-byte buffers: the multishot receive ends with ENOBUFS.
  const auto sent = stream_through<TypeParam>(this->pair, 8, 256 * 1024, 4, 512, sink);
  EXPECT_EQ(sink.data.size(), sent.size());
  EXPECT_TRUE(sink.data == sent) << "the receiver's bytes differ from the sender's";
}

TYPED_TEST(UringLoops, ChainsSendEveryMessageOfACount) {
  keeping_sink sink;
  test::peer receiver(
      [&] { receive_stream_on_own_ring<TypeParam>(this->pair.server, 16, 65536, sink, patience); });
  TypeParam r(64);
  buffer msg = pattern(1000);
  const std::array<std::span<std::byte>, 1> registered{std::span(msg)};
  r.register_buffers(registered);
  const std::uint64_t n = 3 * uring_chain + 5;  // whole chains and a short one
  EXPECT_EQ(send_stream_uring(r, this->pair.client, msg, patience, count{n}), n);
  this->pair.client.shutdown(shut::wr);
  receiver.join();
  EXPECT_EQ(sink.data.size(), n * msg.size());
}

TYPED_TEST(UringLoops, EveryRoundTripIsAnsweredWithItsRequest) {
  constexpr std::size_t size = 300;
  keeping_sink echoed;
  test::peer echo([&] { echo_stream_on_own_ring<TypeParam>(this->pair.server, size, echoed, patience); });
  requester<TypeParam> ask(size);
  EXPECT_EQ(ask.trips(this->pair.client, 50), 50U);
  EXPECT_EQ(ask.h.count(), 50U);
  EXPECT_TRUE(ask.reply == ask.msg);
  this->pair.client.shutdown(shut::wr);
  echo.join();
  EXPECT_EQ(echoed.messages, 50U);
  EXPECT_EQ(echoed.data.size(), 50 * size);
}

// An echo that idles past its patience between two requests (as a peer does while other
// benchmarks run) keeps what it had taken: the second round trip is answered too.
TYPED_TEST(UringLoops, AnEchoIdleBeyondItsPatienceLosesNoCompletion) {
  constexpr std::size_t size = 64;
  idling_sink sink;
  test::peer echo([&] { echo_stream_on_own_ring<TypeParam>(this->pair.server, size, sink, 5ms); });
  requester<TypeParam> ask(size);
  EXPECT_EQ(ask.trips(this->pair.client, 1), 1U);
  const int before = sink.timeouts.load();
  const auto give_up = std::chrono::steady_clock::now() + test::loopback_timeout;
  while (sink.timeouts.load() < before + 2 && std::chrono::steady_clock::now() < give_up)
    std::this_thread::yield();
  EXPECT_GE(sink.timeouts.load(), before + 2) << "the echo never waited past its patience";
  EXPECT_EQ(ask.trips(this->pair.client, 1, 2000ms), 1U);
  this->pair.client.shutdown(shut::wr);
  echo.join();
  EXPECT_EQ(sink.messages, 2U);
}

}  // namespace
}  // namespace socklab::bench
