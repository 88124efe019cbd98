// SPDX-License-Identifier: MIT
// V. Sharing an address (REUSE-*): what SO_REUSEADDR and SO_REUSEPORT let a second socket bind,
// listen on and receive, for TCP and UDP over both loopbacks.
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <chrono>
#include <string>
#include <tuple>
#include <vector>

#include "socklab/connection.hpp"
#include "support/fixtures.hpp"

namespace socklab::conformance {
namespace {

struct sharing {
  bool reuse_addr = false;
  bool reuse_port = false;
};

socket sharing_socket(family f, type t, sharing how) {
  socket s(f, t);
  if (how.reuse_addr) s.setsockopt(option::reuse_addr, 1);
  if (how.reuse_port) s.setsockopt(option::reuse_port, 1);
  return s;
}

// A socket of this family and type bound to the loopback (kernel-chosen port) with `how`.
socket bound_first(family f, type t, sharing how) {
  auto s = sharing_socket(f, t, how);
  s.bind(loopback_of(f));
  return s;
}

struct transport {
  const char* name;
  family f;
  type t;
};
constexpr std::array transports{
    transport{"tcp4", family::inet, type::stream}, transport{"udp4", family::inet, type::dgram},
    transport{"tcp6", family::inet6, type::stream}, transport{"udp6", family::inet6, type::dgram}};

bool skip_v6(const transport& tr) { return tr.f == family::inet6 && !ipv6_available(); }

TEST(Reuse, REUSE_01_WithoutSharingASecondBindFails) {
  for (const auto& tr : transports) {
    if (skip_v6(tr)) continue;
    auto first = bound_first(tr.f, tr.t, {});
    socket second(tr.f, tr.t);
    const auto got = outcome_of([&] { second.bind(first.getsockname()); });
    observe(tr.name, got);
    EXPECT_EQ(got, "OSError EADDRINUSE") << tr.name;
  }
}

TEST(Reuse, REUSE_02_ReuseAddrSharesATcpPortUntilOneListens) {
  for (const auto& tr : transports) {
    if (tr.t != type::stream || skip_v6(tr)) continue;
    auto first = bound_first(tr.f, tr.t, {.reuse_addr = true});
    auto second = sharing_socket(tr.f, tr.t, {.reuse_addr = true});
    const std::string name = tr.name;
    const auto bind = outcome_of([&] { second.bind(first.getsockname()); });
    observe(name + "_second_bind", bind);
    EXPECT_EQ(bind, "none");
    observe(name + "_first_listen", outcome_of([&] { first.listen(); }));
    const auto listen = outcome_of([&] { second.listen(); });
    observe(name + "_second_listen", listen);
    EXPECT_EQ(listen, "OSError EADDRINUSE") << "one port, one listener";
  }
}

TEST(Reuse, REUSE_03_ReuseAddrDoesNotShareAListeningPort) {
  auto listening = bound_first(family::inet, type::stream, {.reuse_addr = true});
  listening.listen();
  const int port = port_of(listening.getsockname());
  auto same = sharing_socket(family::inet, type::stream, {.reuse_addr = true});
  const auto same_address = outcome_of([&] { same.bind(ipv4_address::loopback(port)); });
  auto wildcard = sharing_socket(family::inet, type::stream, {.reuse_addr = true});
  const auto any_address = outcome_of([&] { wildcard.bind(ipv4_address::any(port)); });
  observe("same_address", same_address);
  observe("wildcard", any_address);
  EXPECT_EQ(same_address, "OSError EADDRINUSE");
  EXPECT_EQ(any_address, "OSError EADDRINUSE");
}

TEST(Reuse, REUSE_04_ReuseAddrSharesAUdpPort) {
  for (const auto& tr : transports) {
    if (tr.t != type::dgram || skip_v6(tr)) continue;
    auto first = bound_first(tr.f, tr.t, {.reuse_addr = true});
    auto second = sharing_socket(tr.f, tr.t, {.reuse_addr = true});
    const auto got = outcome_of([&] { second.bind(first.getsockname()); });
    observe(tr.name, got);
    EXPECT_EQ(got, "none") << tr.name;
  }
}

TEST(Reuse, REUSE_05_ReusePortLetsTwoSocketsListenOnOnePort) {
  for (const auto& tr : transports) {
    if (skip_v6(tr)) continue;
    auto first = bound_first(tr.f, tr.t, {.reuse_port = true});
    auto second = sharing_socket(tr.f, tr.t, {.reuse_port = true});
    const std::string name = tr.name;
    auto got = outcome_of([&] { second.bind(first.getsockname()); });
    if (tr.t == type::stream && got == "none") {
      first.listen();
      got = outcome_of([&] { second.listen(); });
    }
    observe(name, got);
    EXPECT_EQ(got, "none") << name;
  }
}

TEST(Reuse, REUSE_06_ReusePortMustBeSetOnEverySocket) {
  for (const auto& [first_how, second_how, name] :
       {std::tuple{sharing{.reuse_port = true}, sharing{}, "second_without"},
        std::tuple{sharing{}, sharing{.reuse_port = true}, "first_without"}}) {
    auto first = bound_first(family::inet, type::stream, first_how);
    auto second = sharing_socket(family::inet, type::stream, second_how);
    const auto got = outcome_of([&] { second.bind(first.getsockname()); });
    observe(name, got);
    EXPECT_EQ(got, "OSError EADDRINUSE") << name;
  }
}

// Whichever of `sockets` polls readable within the loopback timeout, by index; -1 if none.
int first_readable(const std::vector<socket>& sockets) {
  std::vector<::pollfd> fds;
  for (const auto& s : sockets) fds.push_back({s.fileno(), POLLIN, 0});
  const int limit = static_cast<int>(std::chrono::milliseconds(loopback_timeout).count());
  if (::poll(fds.data(), fds.size(), limit) <= 0) return -1;
  for (std::size_t i = 0; i < fds.size(); ++i)
    if ((fds[i].revents & POLLIN) != 0) return static_cast<int>(i);
  return -1;
}

constexpr int spread_count = 32;  // all 32 on one socket by chance: 2 in 2^32

// Takes `spread_count` arrivals from `receivers` with `take` (accept or recv); how many each got.
template <class Take>
std::vector<int> arrivals(std::vector<socket>& receivers, Take take) {
  std::vector<int> got(receivers.size());
  for (int n = 0; n < spread_count; ++n) {
    const int i = first_readable(receivers);
    if (i < 0) break;
    take(receivers[static_cast<std::size_t>(i)]);
    ++got[static_cast<std::size_t>(i)];
  }
  return got;
}

// Two IPv4 sockets of type `t` bound to one loopback port with SO_REUSEPORT.
std::vector<socket> two_on_one_port(type t) {
  std::vector<socket> two;
  two.push_back(bound_first(family::inet, t, {.reuse_port = true}));
  two.push_back(sharing_socket(family::inet, t, {.reuse_port = true}));
  two[1].bind(two[0].getsockname());
  return two;
}

void observe_spread(const std::vector<int>& got, const std::string& total, const std::string& used) {
  observe(total, got[0] + got[1]);
  observe(used, (got[0] > 0 ? 1 : 0) + (got[1] > 0 ? 1 : 0));
  EXPECT_EQ(got[0] + got[1], spread_count);
  EXPECT_GT(got[0], 0) << "every arrival went to the second socket";
  EXPECT_GT(got[1], 0) << "every arrival went to the first socket";
}

TEST(Reuse, REUSE_07_ReusePortSpreadsConnectionsOverTheListeners) {
  auto listeners = two_on_one_port(type::stream);
  for (auto& l : listeners) l.listen(spread_count);
  std::vector<socket> clients, accepted;
  for (int n = 0; n < spread_count; ++n)
    clients.push_back(create_connection(listeners[0].getsockname(), loopback_timeout));
  const auto got = arrivals(listeners, [&accepted](socket& l) { accepted.push_back(l.accept().conn); });
  observe_spread(got, "accepted", "listeners_used");
}

TEST(Reuse, REUSE_08_ReusePortSpreadsDatagramsBySender) {
  auto receivers = two_on_one_port(type::dgram);
  for (int n = 0; n < spread_count; ++n) {
    socket sender(family::inet, type::dgram);
    sender.sendto(as_bytes("x"), receivers[0].getsockname());
  }
  const auto got = arrivals(receivers, [](socket& r) { r.recv(16, MSG_DONTWAIT); });
  observe_spread(got, "received", "receivers_used");
}

TEST(Reuse, REUSE_09_AClosedConnectionHoldsItsPortUnlessBothSidesShare) {
  for (const bool old_shares : {false, true}) {
    for (const bool new_shares : {false, true}) {
      auto l = bound_first(family::inet, type::stream, {.reuse_addr = old_shares});
      l.listen();
      const auto at = l.getsockname();
      {
        auto client = create_connection(at, loopback_timeout);
        l.settimeout(loopback_timeout);
        auto server = l.accept().conn;
        server.close();  // the listening port's side closes first: it is left in FIN_WAIT/TIME_WAIT
        EXPECT_TRUE(client.recv(1).empty());
      }
      l.close();
      auto again = sharing_socket(family::inet, type::stream, {.reuse_addr = new_shares});
      const auto got = outcome_of([&] { again.bind(at); });
      const std::string name = std::string(old_shares ? "old_shares" : "old_alone") + "_" +
                               (new_shares ? "new_shares" : "new_alone");
      observe(name, got);
      EXPECT_EQ(got, old_shares && new_shares ? "none" : "OSError EADDRINUSE") << name;
    }
  }
}

TEST(Reuse, REUSE_10_TheWildcardConflictsWithEveryAddress) {
  // Stream sockets that never listen: bound to the wildcard, they are reachable from nowhere.
  socket any(family::inet, type::stream);
  any.bind(ipv4_address::any());
  const int port = port_of(any.getsockname());
  socket specific(family::inet, type::stream);
  const auto after_any = outcome_of([&] { specific.bind(ipv4_address::loopback(port)); });
  any.close();
  specific.close();
  socket one(family::inet, type::stream), two(family::inet, type::stream),
      wildcard(family::inet, type::stream);
  // 127.0.0.1 first: its ephemeral ports are busy with other tests' connections, while nothing that
  // runs beside this test binds 127.0.0.2, so the second bind can only fail for the rule under test.
  one.bind(ipv4_address::loopback(0));
  const int other = port_of(one.getsockname());
  const auto other_loopback = outcome_of([&] { two.bind(ipv4_address("127.0.0.2", other)); });
  const auto any_after = outcome_of([&] { wildcard.bind(ipv4_address::any(other)); });
  observe("specific_after_wildcard", after_any);
  observe("another_loopback_address", other_loopback);
  observe("wildcard_after_specific", any_after);
  EXPECT_EQ(after_any, "OSError EADDRINUSE");
  EXPECT_EQ(other_loopback, "none") << "127.0.0.2 and 127.0.0.1 are different addresses";
  EXPECT_EQ(any_after, "OSError EADDRINUSE");
}

}  // namespace
}  // namespace socklab::conformance
