// SPDX-License-Identifier: MIT
// M. EINTR and signals (SIG-*): a handler installed without SA_RESTART fires about every
// millisecond at the thread making the call; calls must complete or time out as if it did not.
#include "support/fixtures.hpp"

namespace socklab::conformance {
namespace {

TEST(Signals, SIG_01_BlockingRecvIsRetriedTransparently) {
  auto [a, b] = socketpair();
  const int receiver = current_tid();
  const long before = signal_storm::delivered();
  std::vector<std::byte> got;
  {
    signal_storm storm;
    // The data comes only once the receiver is asleep in recv and has been interrupted many times.
    peer sender([&, &b = b] {
      const bool ok = wait_until_blocked(receiver) && storm_reached(before, 50);
      b.sendall(as_bytes("after the storm"));  // sent either way, so recv always returns
      if (!ok) throw std::runtime_error("the receiver was never seen blocked under the storm");
    });
    got = a.recv(64);
    sender.join();
  }
  const long during = signal_storm::delivered() - before;
  observe("signals_delivered", during);
  EXPECT_EQ(as_text(got), "after the storm");
  EXPECT_GE(during, 50);
}

TEST(Signals, SIG_03_SendallUnderSignalsDeliversEveryByte) {
  auto [a, b] = socketpair();
  std::vector<std::byte> payload(std::size_t{32} << 20);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::byte>((i * 131) >> 7);
  std::size_t received = 0;
  bool in_order = true;
  // A paced reader, so that sendall spends a long time blocked and is interrupted often.
  peer reader([&, &b = b] {
    b.settimeout(loopback_timeout);
    std::vector<std::byte> buf(std::size_t{64} << 10);
    std::mutex m;
    std::condition_variable never;
    for (std::size_t n = b.recv_into(buf); n != 0; n = b.recv_into(buf)) {
      for (std::size_t i = 0; i < n && in_order; ++i) in_order = buf[i] == payload[received + i];
      received += n;
      std::unique_lock lock(m);
      never.wait_for(lock, 200us);  // pacing only: nothing signals it
    }
  });
  const long before = signal_storm::delivered();
  {
    signal_storm storm;
    a.sendall(payload);
  }
  a.close();
  reader.join();
  const long during = signal_storm::delivered() - before;
  observe("signals_delivered", during);
  EXPECT_GT(during, 0);
  EXPECT_EQ(received, payload.size());
  EXPECT_TRUE(in_order) << "a chunk was lost, repeated or reordered";
}

TEST(Signals, SIG_04_SignalsDoNotStretchTimeouts) {
  auto [a, b] = socketpair();
  const long before = signal_storm::delivered();
  double recv_elapsed = 0, sendall_elapsed = 0;
  {
    signal_storm storm;
    a.settimeout(300ms);
    recv_elapsed = seconds_taken([&, &a = a] { EXPECT_THROW(a.recv(16), timeout_error); });
    std::vector<std::byte> big(std::size_t{64} << 20);  // far more than the buffers hold
    sendall_elapsed = seconds_taken([&, &a = a] { EXPECT_THROW(a.sendall(big), timeout_error); });
  }
  observe("signals_delivered", signal_storm::delivered() - before);
  EXPECT_GT(signal_storm::delivered() - before, 10);
  for (const double elapsed : {recv_elapsed, sendall_elapsed}) {
    expect_window(elapsed, 0.298, 2.3, "a call with a 300 ms timeout under signals");
  }
}

TEST(Signals, SIG_05_InterruptedConnectWaitsForTheConnectionInFlight) {
  socket server;
  server.bind(ipv4_address::loopback());
  server.listen(0);
  socket first;
  first.connect(server.getsockname());  // fills the queue: Linux admits backlog + 1 = 1
  const int connector = current_tid();
  const long before = signal_storm::delivered();
  socket c;  // blocking: connect() itself sleeps in the kernel and returns EINTR to a signal
  {
    signal_storm storm;
    peer drainer([&] {
      const bool ok = wait_until_blocked(connector) && storm_reached(before, 20);
      server.setblocking(false);
      server.accept();  // frees the queue: the SYN retransmit (~1 s) then completes the connect
      if (!ok) throw std::runtime_error("the connect was never seen blocked under the storm");
    });
    EXPECT_NO_THROW(c.connect(server.getsockname()));
    drainer.join();
  }
  observe("signals_delivered", signal_storm::delivered() - before);
  EXPECT_GT(signal_storm::delivered() - before, 20);
  EXPECT_EQ(c.getpeername(), server.getsockname());
}

}  // namespace
}  // namespace socklab::conformance
