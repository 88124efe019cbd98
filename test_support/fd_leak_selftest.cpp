// SPDX-License-Identifier: MIT
// Proves the descriptor-leak check can fail: this test leaks one socket on purpose, and CTest
// expects the binary to fail (WILL_FAIL). A check that never fires would turn it green.
#include <gtest/gtest.h>

#include "socklab/socket.hpp"

TEST(FdLeakCheck, ALeakedSocketFailsTheTest) {
  socklab::socket s;
  (void)s.detach();  // the descriptor stays open and nobody owns it
}
