// SPDX-License-Identifier: MIT
// The socket-kind matrix (gVisor's SocketPairKind): a behaviour that holds for several kinds of
// connected pair names them in the catalog ("kinds": kind or kind-set names), and its one test
// body runs once per kind, each run an instance of the behaviour in the report.
//
//   KIND_TEST(PeekOverKinds, FLAG_01_PeekLeavesTheDataForTheNextRecv) {
//     auto [a, b] = pair();   // two connected sockets of this instance's kind
//     ...
//   }
//
// registers FLAG_01_PeekLeavesTheDataForTheNextRecv/<kind> for every kind the catalog gives FLAG-01.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "socklab/socket.hpp"
#include "support/behaviour.hpp"

namespace socklab::conformance {

/// One instance of a behaviour: a kind from the catalog's "kinds" table, perhaps with its two ends
/// swapped (for behaviours the catalog marks "symmetric").
struct socket_kind {
  std::string kind;  // the catalog's name: "tcp4"
  std::string name;  // the instance's: "tcp4", or "tcp4_swapped"
  socklab::family family = socklab::family::inet;
  socklab::type type = socklab::type::stream;
  std::string made_by;  // socketpair, loopback, v4_mapped, path, abstract
  bool swapped = false;
};

/// The instances the built-in catalog gives behaviour `id`, in the catalog's order: its kinds
/// (kind sets expanded), then each again swapped when the entry is symmetric. Empty when the entry
/// has no kinds or the catalog cannot be read (GoogleTest then fails the uninstantiated test).
std::vector<socket_kind> kinds_of(const std::string& id);

/// Two connected sockets of kind `k` (swapped if the instance says so), both with the loopback
/// timeout. For a listener-made kind the first is the connecting end, the second the accepted one.
std::pair<socket, socket> pair_of(const socket_kind& k);

/// An abstract AF_UNIX name no other test of this process (or another process) holds.
std::string fresh_abstract_name();

/// A third socket of kind `k`'s family and type, bound (loopback, or a fresh abstract name) but
/// connected to nothing: somewhere else to send to.
socket unconnected_of(const socket_kind& k);

/// Why this machine cannot make kind `k` (no IPv6 loopback, no dual stack), or empty.
std::string unavailable_reason(const socket_kind& k);

/// GoogleTest's name for an instance: its name.
std::string instance_name(const ::testing::TestParamInfo<socket_kind>& info);
void PrintTo(const socket_kind& k, std::ostream* os);

/// The fixture of a test over kinds: records the instance for the report, skips a kind the
/// machine lacks, and makes its pairs.
class kind_test : public ::testing::TestWithParam<socket_kind> {
 protected:
  void SetUp() override;
  const socket_kind& kind() const { return GetParam(); }
  std::pair<socket, socket> pair() const { return pair_of(GetParam()); }
};

}  // namespace socklab::conformance

// A behaviour's test over the catalog's kinds for it; the body follows, as after TEST_P. The
// fixture name must be unique; the test name starts with the behaviour's ID, as every test's.
// NOLINTBEGIN(bugprone-macro-parentheses): the arguments are names, which parentheses would break
#define KIND_TEST(fixture, name)                                                           \
  class fixture : public ::socklab::conformance::kind_test {};                             \
  INSTANTIATE_TEST_SUITE_P(Kinds, fixture,                                                 \
                           ::testing::ValuesIn(::socklab::conformance::kinds_of(           \
                               ::socklab::conformance::behaviour_id(#name).value_or(""))), \
                           ::socklab::conformance::instance_name);                         \
  TEST_P(fixture, name)
// NOLINTEND(bugprone-macro-parentheses)
