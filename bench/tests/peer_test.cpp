// SPDX-License-Identifier: MIT
// The peer runner in both modes: a request is acknowledged when its count arrives, with the
// peer's counts; stale markers are ignored; errors come back; a stalled peer is bounded.
#include "support/peer.hpp"

#include <gtest/gtest.h>

#include <array>
#include <thread>

#include "support.hpp"
#include "support/loops.hpp"
#include "support/options.hpp"

namespace socklab::bench {
namespace {

using namespace std::chrono_literals;

class PeerModes : public ::testing::TestWithParam<peer_mode> {};

TEST_P(PeerModes, ARequestIsAcknowledgedWhenItsBytesHaveArrived) {
  auto [near, far] = socketpair();
  auto peer = peer_runner(
      GetParam(), std::nullopt, std::move(far),
      [](peer_context& ctx) {
        std::array<std::byte, 64> buf{};
        receive_stream<via_socklab>(ctx.sock, buf, ctx);
      },
      /*verify=*/true);
  peer.expect_bytes(12);
  near.sendall(as_bytes("twelve bytes"));
  const auto first = peer.acknowledged(5s);
  EXPECT_EQ(first.bytes, 12u);
  EXPECT_EQ(first.checksum, byte_sum(as_bytes("twelve bytes")));
  // The next request counts on from there: the peer lives across repetitions.
  peer.expect_bytes(15);
  near.sendall(as_bytes("abc"));
  EXPECT_EQ(peer.acknowledged(5s).bytes, 15u);
  near.shutdown(shut::wr);
  EXPECT_EQ(peer.join(5s), "");
}

TEST_P(PeerModes, NoAcknowledgementBeforeTheCountIsReached) {
  auto [near, far] = socketpair();
  auto peer = peer_runner(GetParam(), std::nullopt, std::move(far), [](peer_context& ctx) {
    std::array<std::byte, 64> buf{};
    receive_stream<via_socklab>(ctx.sock, buf, ctx);
  });
  peer.expect_bytes(100);
  near.sendall(as_bytes("only ten b"));
  EXPECT_THROW(peer.acknowledged(200ms), std::runtime_error);  // 10 of 100: it must not answer
  near.shutdown(shut::wr);
  EXPECT_EQ(peer.join(5s), "");
}

TEST_P(PeerModes, AStaleMarkerDoesNotEndTheNextRepetition) {
  auto [near, far] = socketpair(family::unix_domain, type::dgram);
  auto peer = peer_runner(GetParam(), std::nullopt, std::move(far), [](peer_context& ctx) {
    std::array<std::byte, 64> buf{};
    receive_datagrams<via_socklab>(ctx.sock, buf, 4, /*from=*/false, ctx);
  });
  const auto first = peer.expect_marker(4);
  near.sendall(as_bytes("data"));
  near.send(first);
  EXPECT_EQ(peer.acknowledged(5s).messages, 1u);
  // The first marker again (as a resend would be), then the second request's data: the stale
  // marker is not the second request's end.
  const auto second = peer.expect_marker(4);
  near.send(first);
  EXPECT_THROW(peer.acknowledged(200ms), std::runtime_error);
  near.sendall(as_bytes("more"));
  near.send(second);
  EXPECT_EQ(peer.acknowledged(5s).messages, 2u);
  peer.request_stop();
  const auto stop = marker_datagram(0, 4);
  EXPECT_EQ(peer.join(5s, [&] { (void)near.try_send(stop); }), "");
}

TEST_P(PeerModes, ThePeersCostIsItsOwn) {
  auto [near, far] = socketpair();
  auto peer = peer_runner(GetParam(), std::nullopt, std::move(far), [](peer_context& ctx) {
    std::array<std::byte, 64> buf{};
    receive_stream<via_socklab>(ctx.sock, buf, ctx);
  });
  peer.expect_bytes(3);
  near.sendall(as_bytes("one"));
  const auto a = peer.acknowledged(5s);
  peer.expect_bytes(6);
  near.sendall(as_bytes("two"));
  const auto b = peer.acknowledged(5s);
  // Between the two acknowledgements the peer made exactly one recv through socklab.
  EXPECT_EQ(b.cost.syscalls - a.cost.syscalls, 1u);
  near.shutdown(shut::wr);
  EXPECT_EQ(peer.join(5s), "");
}

TEST_P(PeerModes, ExceptionsBecomeErrors) {
  auto [near, far] = socketpair();
  peer_runner peer(GetParam(), std::nullopt, std::move(far),
                   [](peer_context&) { throw std::runtime_error("boom"); });
  peer.expect_bytes(1);
  try {
    (void)peer.acknowledged(5s);
    ADD_FAILURE() << "a failed peer acknowledged";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "peer: boom");  // at once: the peer's end wakes the waiting side
  }
  EXPECT_EQ(peer.join(5s), "peer: boom");
}

TEST_P(PeerModes, StopRequestReachesThePeer) {
  auto [near, far] = socketpair();
  peer_runner peer(GetParam(), std::nullopt, std::move(far), [](peer_context& ctx) {
    if (!ctx.wait_for_stop(5s)) throw std::runtime_error("no stop request");
  });
  peer.request_stop();
  EXPECT_EQ(peer.join(5s), "");
}

TEST_P(PeerModes, AStalledPeerIsAnErrorWithinTheLimit) {
  const auto before = test::open_fds();
  auto [near, far] = socketpair();
  // The peer waits for data that never comes; its socket's own timeout ends it later.
  far.settimeout(3s);
  peer_runner peer(GetParam(), std::nullopt, std::move(far), [](peer_context& ctx) {
    std::array<std::byte, 8> buf{};
    ctx.sock.recv_into(buf);
  });
  const auto start = std::chrono::steady_clock::now();
  const auto why = peer.join(200ms);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_NE(why.find("did not finish within 200 ms"), std::string::npos) << why;
  // End the stall (end of file) and wait, bounded, for the let-go thread to close what it holds.
  near.close();
  const auto settled_by = std::chrono::steady_clock::now() + 2s;
  while (test::open_fds() != before && std::chrono::steady_clock::now() < settled_by)
    std::this_thread::sleep_for(1ms);  // a bounded poll of the process's descriptor table
}

INSTANTIATE_TEST_SUITE_P(Modes, PeerModes, ::testing::Values(peer_mode::thread, peer_mode::process),
                         [](const auto& info) { return to_string(info.param); });

}  // namespace
}  // namespace socklab::bench
