// SPDX-License-Identifier: MIT
// io_uring for sockets: every completion carries its tag and its bytes; linked sends keep a
// stream in order; registered and provided buffers hold what was sent; a multishot receive goes
// on across more arrivals than it has buffers, and stops at the end or when the buffers run out;
// an operation's failure comes back as its completion's error.
#include "socklab/uring.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <optional>
#include <vector>

#include "support.hpp"

namespace socklab {
namespace {

using namespace test;
using namespace std::chrono_literals;

std::vector<std::byte> filled(std::size_t n, unsigned char value) {
  return std::vector<std::byte>(n, std::byte{value});
}

class Uring : public ::testing::Test {
 protected:
  void SetUp() override {
    support = probe_uring();
    if (!support.complete()) GTEST_SKIP() << "io_uring is not fully available here: " << support.why_not;
  }

  // Waits for completions until `n` have come (each wait bounded), keyed by tag in arrival order.
  std::vector<uring_completion> collect(uring& r, std::size_t n) {
    std::vector<uring_completion> all;
    std::array<uring_completion, 16> got{};
    while (all.size() < n) {
      const auto k = r.wait(std::span(got).first(std::min(got.size(), n - all.size())), 1, loopback_timeout);
      if (k == 0) {
        ADD_FAILURE() << "only " << all.size() << " of " << n << " completions came";
        break;
      }
      all.insert(all.end(), got.begin(), got.begin() + static_cast<std::ptrdiff_t>(k));
    }
    return all;
  }

  uring_support support;
};

TEST(UringProbe, ARingOpensExactlyWhenTheProbeSaysSo) {
  const auto support = probe_uring();
  if (support.rings) {
    EXPECT_NO_THROW(uring r(8));
  } else {
    EXPECT_FALSE(support.why_not.empty());
    EXPECT_THROW(uring r(8), std::system_error);
  }
}

TEST_F(Uring, SendAndRecvCompleteWithTheirTagsAndBytes) {
  auto [a, b] = socketpair();
  uring r;
  const auto out = filled(5, 'h');
  std::array<std::byte, 8> in{};
  r.send(a, out, 7);
  r.recv(b, in, 8);
  std::map<std::uint64_t, int> results;
  for (const auto& c : collect(r, 2)) results[c.tag] = c.result;
  EXPECT_EQ(results, (std::map<std::uint64_t, int>{{7, 5}, {8, 5}}));
  EXPECT_TRUE(std::equal(out.begin(), out.end(), in.begin()));
}

TEST_F(Uring, LinkedSendsKeepAStreamInOrderThroughFullBuffers) {
  auto [client, server] = tcp_pair();
  constexpr std::size_t messages = 64;
  constexpr std::size_t size = 65536;  // 4 MiB in all: far more than the socket buffers hold
  std::vector<std::vector<std::byte>> out;
  for (std::size_t i = 0; i < messages; ++i) out.push_back(filled(size, static_cast<unsigned char>(i)));
  uring r(128);
  for (std::size_t i = 0; i < messages; ++i)
    r.send(client, out[i], i, i + 1 < messages ? chain::linked : chain::none);
  r.submit();
  server.settimeout(loopback_timeout);
  std::vector<std::byte> in(messages * size);
  for (std::size_t got = 0; got < in.size();) {
    const auto n = server.recv_into(std::span(in).subspan(got));
    ASSERT_GT(n, 0U) << "the stream ended after " << got << " bytes";
    got += n;
  }
  for (std::size_t i = 0; i < messages; ++i)
    ASSERT_TRUE(std::all_of(in.begin() + static_cast<std::ptrdiff_t>(i * size),
                            in.begin() + static_cast<std::ptrdiff_t>((i + 1) * size),
                            [i](std::byte x) { return x == std::byte{static_cast<unsigned char>(i)}; }))
        << "message " << i << " is not where it was sent";
  for (const auto& c : collect(r, messages)) EXPECT_EQ(c.result, static_cast<int>(size)) << "send " << c.tag;
}

TEST_F(Uring, ALinkedOperationThatFailsCancelsTheRestOfItsChain) {
  auto [a, b] = socketpair();
  socket closed(family::inet, type::stream);
  closed.close();
  uring r;
  const auto out = filled(4, 'c');
  std::array<std::byte, 4> in{};
  r.send(closed, out, 1, chain::linked);
  r.send(a, out, 2);  // never starts: the link before it failed
  r.recv(b, in, 3, chain::none);
  a.sendall(out);  // what the receive gets instead
  std::map<std::uint64_t, std::error_code> errors;
  for (const auto& c : collect(r, 3)) errors[c.tag] = c.error();
  EXPECT_EQ(errors[1], std::errc::bad_file_descriptor);
  EXPECT_EQ(errors[2], std::errc::operation_canceled);
  EXPECT_EQ(errors[3], std::error_code{});
}

TEST_F(Uring, RegisteredBuffersSendAndReceiveTheirBytes) {
  auto [a, b] = tcp_pair();  // a zero-copy send needs TCP or UDP
  auto out = filled(4096, 0);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::byte>(i * 7);
  std::vector<std::byte> in(4096);
  const std::array<std::span<std::byte>, 2> buffers{std::span(out), std::span(in)};
  uring r;
  r.register_buffers(buffers);
  r.send_registered(a, out, 0, 1);
  r.recv_registered(b, in, 1, 2);
  std::size_t received = 0;
  std::optional<uring_completion> send;
  bool released = false;
  // The receive may come in pieces (each piece queues the rest), the send as a result and, if it
  // says `more`, a notification that its buffer is free.
  for (int round = 0; round < 100 && (received < in.size() || !send || (send->more && !released)); ++round) {
    const auto done = collect(r, 1);
    ASSERT_EQ(done.size(), 1U);
    const auto& c = done[0];
    ASSERT_FALSE(c.failed()) << "operation " << c.tag << ": " << c.error().message();
    if (c.tag == 2) {
      ASSERT_GT(c.bytes(), 0U);
      received += c.bytes();
      if (received < in.size()) r.recv_registered(b, std::span(in).subspan(received), 1, 2);
    } else if (c.notification) {
      released = true;
    } else {
      send = c;
    }
  }
  ASSERT_TRUE(send.has_value());
  EXPECT_EQ(send->bytes(), out.size());
  EXPECT_TRUE(!send->more || released) << "no notification followed a send that promised one";
  EXPECT_EQ(in, out);
}

TEST_F(Uring, AMultishotReceiveGoesOnAcrossMoreArrivalsThanBuffersAndEndsAtTheEnd) {
  auto [a, b] = socketpair();
  uring r;
  r.provide_buffers(4, 1024);
  r.recv_multishot(b, 9);
  r.submit();
  for (unsigned i = 0; i < 20; ++i) {  // five times the buffers: each must come back to be reused
    a.sendall(filled(512, static_cast<unsigned char>(i)));
    const auto done = collect(r, 1);
    ASSERT_EQ(done.size(), 1U);
    const auto& c = done[0];
    ASSERT_EQ(c.tag, 9U);
    ASSERT_EQ(c.result, 512) << c.error().message();
    ASSERT_TRUE(c.more) << "the receive ended after " << i << " arrivals";
    ASSERT_TRUE(c.buffer.has_value());
    const auto data = r.provided(*c.buffer, c.bytes());
    EXPECT_EQ(std::vector<std::byte>(data.begin(), data.end()), filled(512, static_cast<unsigned char>(i)))
        << "arrival " << i;
    r.give_back(*c.buffer);
  }
  a.close();
  const auto end = collect(r, 1);
  ASSERT_EQ(end.size(), 1U);
  EXPECT_EQ(end[0].result, 0);
  EXPECT_FALSE(end[0].more);
}

TEST_F(Uring, AMultishotReceiveStopsWithEnobufsWhenNoBufferIsGivenBack) {
  auto [a, b] = socketpair();
  uring r;
  r.provide_buffers(2, 64);
  r.recv_multishot(b, 3);
  r.submit();
  std::vector<uring_completion> seen;
  for (int i = 0; i < 3 && (seen.empty() || seen.back().more); ++i) {
    a.sendall(filled(10, 'x'));
    const auto done = collect(r, 1);
    ASSERT_EQ(done.size(), 1U);
    seen.push_back(done[0]);
  }
  ASSERT_EQ(seen.size(), 3U);
  EXPECT_EQ(seen[0].result, 10);
  EXPECT_EQ(seen[1].result, 10);
  EXPECT_EQ(seen[2].error(), std::errc::no_buffer_space);
  EXPECT_FALSE(seen[2].more);
}

TEST_F(Uring, AWaitWithNothingToCompleteEndsAtItsTimeout) {
  auto [a, b] = socketpair();
  uring r;
  std::array<std::byte, 4> in{};
  r.recv(b, in, 1);
  std::array<uring_completion, 1> got{};
  std::size_t n = 1;
  const auto took = seconds_taken([&] { n = r.wait(got, 1, 50ms); });
  EXPECT_EQ(n, 0U);
  EXPECT_GE(took, 0.045);
  EXPECT_LT(took, 5.0);
  a.sendall(filled(4, 'z'));  // the receive was still pending
  const auto late = collect(r, 1);
  ASSERT_EQ(late.size(), 1U);
  EXPECT_EQ(late[0].result, 4);
}

TEST_F(Uring, ARegisteredSendOnAUnixSocketIsRefusedInItsCompletion) {
  auto [a, b] = socketpair();
  auto out = filled(64, 'u');
  const std::array<std::span<std::byte>, 1> buffers{std::span(out)};
  uring r;
  r.register_buffers(buffers);
  r.send_registered(a, out, 0, 6);
  const auto done = collect(r, 1);
  ASSERT_EQ(done.size(), 1U);
  EXPECT_EQ(done[0].error(), std::errc::operation_not_supported);
}

TEST_F(Uring, AClosedSocketFailsInItsCompletionNotInTheCall) {
  socket closed(family::inet, type::stream);
  closed.close();
  uring r;
  std::array<std::byte, 4> in{};
  r.recv(closed, in, 5);
  const auto done = collect(r, 1);
  ASSERT_EQ(done.size(), 1U);
  EXPECT_EQ(done[0].tag, 5U);
  EXPECT_EQ(done[0].error(), std::errc::bad_file_descriptor);
  EXPECT_EQ(done[0].bytes(), 0U);
}

TEST_F(Uring, BuffersAreCheckedAndSetUpOnce) {
  uring r;
  EXPECT_THROW(r.provide_buffers(3, 64), std::invalid_argument);
  EXPECT_THROW(r.register_buffers({}), std::invalid_argument);
  EXPECT_THROW(r.recv_multishot(socket(family::inet, type::stream), 1), std::logic_error);
  r.provide_buffers(2, 64);
  EXPECT_THROW((void)r.provided(2, 1), std::out_of_range);
  EXPECT_THROW((void)r.provided(0, 65), std::out_of_range);
  EXPECT_THROW(r.give_back(7), std::out_of_range);
  std::vector<std::byte> mem(64);
  const std::array<std::span<std::byte>, 1> one{std::span(mem)};
  r.register_buffers(one);
  try {
    r.register_buffers(one);
    ADD_FAILURE() << "a second registration was accepted";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::device_or_resource_busy);
    EXPECT_NE(std::string(e.what()).find("uring register_buffers"), std::string::npos) << e.what();
  }
}

TEST_F(Uring, AMovedRingKeepsItsQueueAndBuffers) {
  auto [a, b] = socketpair();
  uring first;
  first.provide_buffers(2, 64);
  first.recv_multishot(b, 4);
  uring second(std::move(first));
  a.sendall(filled(3, 'm'));
  const auto done = collect(second, 1);
  ASSERT_EQ(done.size(), 1U);
  ASSERT_EQ(done[0].result, 3);
  EXPECT_EQ(second.provided(*done[0].buffer, 3)[0], std::byte{'m'});
}

}  // namespace
}  // namespace socklab
