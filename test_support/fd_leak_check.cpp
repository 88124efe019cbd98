// SPDX-License-Identifier: MIT
// Fails any test that ends with more open descriptors than it started with, also when the test's
// operation threw. Linked into every unit and conformance test binary; it registers itself.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "support.hpp"

namespace {

class fd_leak_check : public ::testing::EmptyTestEventListener {
  void OnTestStart(const ::testing::TestInfo&) override { before_ = socklab::test::open_fds(); }
  void OnTestEnd(const ::testing::TestInfo&) override {
    std::string leaked;
    for (const int fd : socklab::test::open_fds())
      if (!before_.count(fd)) leaked += " " + std::to_string(fd);
    // Each listing holds one descriptor of its own while it runs; it is closed by now, so any
    // descriptor new since the start belongs to the test.
    if (!leaked.empty()) ADD_FAILURE() << "descriptor(s) left open by this test:" << leaked;
  }
  std::set<int> before_;
};

const bool registered = [] {
  ::testing::UnitTest::GetInstance()->listeners().Append(new fd_leak_check);
  return true;
}();

}  // namespace
