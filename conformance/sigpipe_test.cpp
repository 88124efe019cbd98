// SPDX-License-Identifier: MIT
// D. Writing to dead connections (TCP-SEND-04, TCP-SEND-05): an error, never SIGPIPE. These tests
// run with SIGPIPE at its default disposition, so a leak would kill the test process loudly.
#include <signal.h>

#include "support/fixtures.hpp"

namespace socklab::conformance {
namespace {

class Sigpipe : public ::testing::Test {
 protected:
  void SetUp() override {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    ::sigaction(SIGPIPE, &dfl, &saved_);
  }
  void TearDown() override { ::sigaction(SIGPIPE, &saved_, nullptr); }

 private:
  struct sigaction saved_ {};
};

TEST_F(Sigpipe, TCP_SEND_04_ClosedPeerRaisesInsteadOfKilling) {
  auto pair = tcp_pair();
  pair.server.close();
  bool raised = false;
  for (int i = 0; i < 1000 && !raised; ++i) {
    try {
      pair.client.send(as_bytes(std::string(1024, 'x')));
    } catch (const broken_pipe_error&) {
      raised = true;
    } catch (const connection_reset_error&) {
      raised = true;
    }
  }
  EXPECT_TRUE(raised);
  auto [a, b] = socketpair();
  b.close();
  EXPECT_THROW(a.sendall(as_bytes("x")), broken_pipe_error);
}

TEST_F(Sigpipe, TCP_SEND_05_SendOnANeverConnectedSocketFails) {
  socket s;
  try {
    s.sendall(as_bytes("foo"));
    FAIL() << "send on an unconnected TCP socket succeeded";
  } catch (const error& e) {
#if defined(__linux__)
    EXPECT_EQ(e.code(), std::errc::broken_pipe);
#else
    EXPECT_EQ(e.code(), std::errc::not_connected);
#endif
  }
}

}  // namespace
}  // namespace socklab::conformance
