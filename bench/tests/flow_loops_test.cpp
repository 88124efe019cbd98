// SPDX-License-Identifier: MIT
// The many-flows loops through both twins and both triggerings: every byte written to a flow is the
// byte its receiver counts for that flow, flows that end are closed and left, a flow whose receiver
// never reads stops the sender within its limit instead of hanging it, and a receiver that fails is
// reported to the waiting side.
#include <gtest/gtest.h>

#include <numeric>
#include <thread>
#include <vector>

#include "support.hpp"
#include "support/flows.hpp"
#include "support/io.hpp"

namespace socklab::bench {
namespace {

using namespace std::chrono_literals;

/// receive_flows over `far` on a thread of its own, stopped and joined when this goes; a failure
/// reaches `progress` (and so the waiting side).
template <class Io>
class far_end {
 public:
  far_end(std::vector<socket>& far, const std::vector<std::size_t>& keys, bool edge, bool echo,
          flow_progress& progress)
      : thread_([&far, &keys, edge, echo, &progress, this] {
          try {
            auto r = Io::new_readiness();
            for (std::size_t k = 0; k < far.size(); ++k) Io::watch(r, far[k], k, false, edge);
            std::vector<std::byte> buf(4096);
            receive_flows<Io>(0, r, far, keys, buf, edge, echo, stop_, progress);
          } catch (...) {
            progress.failed(std::current_exception());
          }
        }) {}
  ~far_end() {
    stop_ = true;
    thread_.join();
  }
  far_end(const far_end&) = delete;
  far_end& operator=(const far_end&) = delete;

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;  // last: it uses stop_
};

template <class Io>
class FlowLoops : public ::testing::Test {
 protected:
  // `flows` connected TCP pairs, both ends non-blocking.
  void open(std::size_t flows) {
    for (std::size_t i = 0; i < flows; ++i) {
      auto [c, s] = test::tcp_pair();
      c.setblocking(false);
      s.setblocking(false);
      near.push_back(std::move(c));
      far.push_back(std::move(s));
      keys.push_back(i);
    }
  }
  // Sends `bytes` over every flow from one thread and receives on another, then checks the counts.
  void round_trip(bool edge, std::uint64_t bytes) {
    flow_progress progress(near.size());
    const far_end<Io> receiver(far, keys, edge, /*echo=*/false, progress);
    auto r = Io::new_readiness();
    for (std::size_t i = 0; i < near.size(); ++i) Io::watch(r, near[i], i, true, edge);
    std::vector<std::uint64_t> sent(near.size(), 0);
    const auto msg = pattern(1000);  // not a divisor of the budget: flows end mid-message
    send_flows<Io>(r, near, keys, sent, msg, bytes, edge, 10s);
    progress.await(bytes, 10s);
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < near.size(); ++i) {
      EXPECT_EQ(progress.flow(i), sent[i]) << "flow " << i;
      total += sent[i];
    }
    EXPECT_EQ(total, bytes);
    std::size_t busy = 0;
    for (const auto s : sent) busy += s > 0 ? 1 : 0;
    EXPECT_EQ(busy, near.size()) << "round-robin: every flow carried some";
  }
  std::vector<socket> near;
  std::vector<socket> far;
  std::vector<std::size_t> keys;
};

using Twins = ::testing::Types<via_socklab, via_posix>;
TYPED_TEST_SUITE(FlowLoops, Twins);

TYPED_TEST(FlowLoops, EdgeTriggeredEveryByteOfEveryFlowIsCounted) {
  this->open(200);
  this->round_trip(/*edge=*/true, 20'000'123);
}

TYPED_TEST(FlowLoops, LevelTriggeredEveryByteOfEveryFlowIsCounted) {
  this->open(200);
  this->round_trip(/*edge=*/false, 20'000'123);
}

TYPED_TEST(FlowLoops, RequestResponseCountsEveryTransactionOfEveryFlowOnBothEnds) {
  for (const bool edge : {true, false}) {
    this->near.clear();
    this->far.clear();
    this->keys.clear();
    this->open(50);
    flow_progress echoed(50);
    const far_end<TypeParam> echo(this->far, this->keys, edge, /*echo=*/true, echoed);
    auto r = TypeParam::new_readiness();
    for (std::size_t i = 0; i < this->near.size(); ++i) TypeParam::watch(r, this->near[i], i, false, edge);
    std::vector<std::uint64_t> done(50, 0);
    const auto request = pattern(64);
    std::vector<std::byte> reply(64);
    latency_histogram h;
    request_flows<TypeParam>(r, this->near, this->keys, done, request, reply, 5000, edge, h, 10s);
    EXPECT_EQ(h.count(), 5000u);
    EXPECT_EQ(std::accumulate(done.begin(), done.end(), std::uint64_t{0}), 5000u);
    echoed.await(5000 * 64, 10s);  // the far end counted every request, each on its own flow
    for (std::size_t i = 0; i < done.size(); ++i) {
      EXPECT_GT(done[i], 0u) << "flow " << i;
      EXPECT_EQ(echoed.flow(i), done[i] * 64) << "flow " << i;
    }
    EXPECT_EQ(std::vector<std::byte>(reply.begin(), reply.end()),
              std::vector<std::byte>(request.begin(), request.end()));  // the last answer is the echo
  }
}

TYPED_TEST(FlowLoops, AReceiverThatNeverReadsStopsTheSenderWithinItsLimit) {
  this->open(3);
  auto r = TypeParam::new_readiness();
  for (std::size_t i = 0; i < this->near.size(); ++i) TypeParam::watch(r, this->near[i], i, true, true);
  std::vector<std::uint64_t> sent(3, 0);
  const auto msg = pattern(65536);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(
      send_flows<TypeParam>(r, this->near, this->keys, sent, msg, std::uint64_t{1} << 40, true, 300ms),
      std::runtime_error);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  EXPECT_GT(sent[0], 0u);  // it did fill the buffers before it gave up
}

TYPED_TEST(FlowLoops, EndedFlowsAreClosedAndAFailedReceiverReachesTheWaitingSide) {
  this->open(4);
  flow_progress progress(4);
  std::atomic<bool> stop{false};
  for (auto& s : this->near) s.close();  // every flow ends at once
  auto r = TypeParam::new_readiness();
  for (std::size_t k = 0; k < this->far.size(); ++k) TypeParam::watch(r, this->far[k], k, false, true);
  std::thread receiver([&] {
    std::vector<std::byte> buf(4096);
    receive_flows<TypeParam>(0, r, this->far, this->keys, buf, true, /*echo=*/false, stop, progress);
  });
  // All four ends were pending before the receiver started, so its first wait reports them all.
  // A cost request is answered at the top of each pass: the third answer comes after two passes.
  for (int pass = 0; pass < 3; ++pass) {
    progress.ask_costs(1);
    (void)progress.costs(10s);
  }
  stop = true;
  receiver.join();
  const auto all_closed = [&] {
    for (const auto& s : this->far)
      if (s.fileno() >= 0) return false;
    return true;
  };
  EXPECT_TRUE(all_closed());
  flow_progress failing(1);
  failing.failed(std::make_exception_ptr(std::runtime_error("receiver broke")));
  EXPECT_THROW(failing.await(1, 10s), std::runtime_error);
  flow_progress silent(1);
  EXPECT_THROW(silent.await(1, 50ms), std::runtime_error);  // nothing arrives: bounded, then an error
}

}  // namespace
}  // namespace socklab::bench
