// SPDX-License-Identifier: MIT
// The peer runner in both modes: results come back, errors come back, a stalled peer is bounded.
#include "support/peer.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "support/options.hpp"

namespace socklab::bench {
namespace {

using namespace std::chrono_literals;

class PeerModes : public ::testing::TestWithParam<peer_mode> {};

TEST_P(PeerModes, ResultTravelsBack) {
  auto [near, far] = socketpair();
  peer_runner peer(GetParam(), std::nullopt, std::move(far), [](peer_context& ctx) {
    std::array<std::byte, 64> buf{};
    for (auto n = ctx.sock.recv_into(buf); n != 0; n = ctx.sock.recv_into(buf)) ctx.result.bytes += n;
    ctx.result.messages = 7;
  });
  near.sendall(as_bytes("twelve bytes"));
  near.shutdown(shut::wr);
  const auto r = peer.join(5s);
  EXPECT_STREQ(r.error, "");
  EXPECT_EQ(r.bytes, 12u);
  EXPECT_EQ(r.messages, 7u);
}

TEST_P(PeerModes, ExceptionsBecomeErrors) {
  auto [near, far] = socketpair();
  peer_runner peer(GetParam(), std::nullopt, std::move(far),
                   [](peer_context&) { throw std::runtime_error("boom"); });
  EXPECT_STREQ(peer.join(5s).error, "peer: boom");
}

TEST_P(PeerModes, StopRequestReachesThePeer) {
  auto [near, far] = socketpair();
  peer_runner peer(GetParam(), std::nullopt, std::move(far), [](peer_context& ctx) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!ctx.stop_requested() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    ctx.result.messages = ctx.stop_requested() ? 1 : 0;
  });
  peer.request_stop();
  EXPECT_EQ(peer.join(5s).messages, 1u);
}

TEST_P(PeerModes, AStalledPeerIsAnErrorWithinTheLimit) {
  auto [near, far] = socketpair();
  // The peer waits for data that never comes; its socket's own timeout ends it later.
  far.settimeout(3s);
  peer_runner peer(GetParam(), std::nullopt, std::move(far), [](peer_context& ctx) {
    std::array<std::byte, 8> buf{};
    ctx.sock.recv_into(buf);
  });
  const auto start = std::chrono::steady_clock::now();
  const auto r = peer.join(200ms);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_NE(std::string(r.error).find("did not finish within 200 ms"), std::string::npos) << r.error;
}

INSTANTIATE_TEST_SUITE_P(Modes, PeerModes, ::testing::Values(peer_mode::thread, peer_mode::process),
                         [](const auto& info) { return to_string(info.param); });

}  // namespace
}  // namespace socklab::bench
