// SPDX-License-Identifier: MIT
// The planted slowdown the gate's detection is measured against: the measuring thread idles for
// its share of the wall time; the peer, thread or process, never does.
#include <gtest/gtest.h>

#include "support/harness.hpp"

namespace socklab::bench {
namespace {

using namespace std::chrono_literals;

TEST(PlantedSlowdown, IdlesItsShareOfTheWallTime) {
  plant_slowdown(0.5);
  const auto start = clock::now();
  clock::duration work{};
  for (int i = 0; i < 64 * 20; ++i) {
    const auto t0 = clock::now();
    while (clock::now() - t0 < 5us) {
    }
    work += clock::now() - t0;
    planted_idle();
  }
  const auto total = clock::now() - start;
  plant_slowdown(0.0);
  // At one half, every 64 calls are followed by an idle at least as long as they took.
  EXPECT_GE(total, 2 * work);
}

class PlantedPeer : public ::testing::TestWithParam<peer_mode> {};

TEST_P(PlantedPeer, PeerNeverInheritsIt) {
  plant_slowdown(0.5);
  auto [near, far] = socketpair();
  peer_runner peer(GetParam(), std::nullopt, std::move(far), [](peer_context&) {
    if (planted.fraction != 0.0) throw std::runtime_error("the peer inherited the planted slowdown");
  });
  const auto why = peer.join(5s);
  plant_slowdown(0.0);
  EXPECT_EQ(why, "");
}

INSTANTIATE_TEST_SUITE_P(Modes, PlantedPeer, ::testing::Values(peer_mode::thread, peer_mode::process),
                         [](const auto& info) { return to_string(info.param); });

}  // namespace
}  // namespace socklab::bench
