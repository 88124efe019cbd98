// SPDX-License-Identifier: MIT
// S. Readiness (POLL-*): what poll() reports on each kind of connected socket as the connection
// goes through data, half-close, close, shutdown and reset.
#include <poll.h>

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "support/fixtures.hpp"
#include "support/socket_kinds.hpp"

namespace socklab::conformance {
namespace {

using events = std::vector<std::string>;

bool has(const events& e, const std::string& name) { return std::find(e.begin(), e.end(), name) != e.end(); }

KIND_TEST(PollFresh, POLL_01_AFreshPairIsWritableNotReadable) {
  auto [a, b] = pair();
  const auto e = poll_events(b);
  observe("events", e);
  EXPECT_TRUE(has(e, "POLLOUT") && !has(e, "POLLIN"));
}

KIND_TEST(PollData, POLL_02_DataMakesItReadable) {
  auto [a, b] = pair();
  a.send(as_bytes("x"));
  ASSERT_TRUE(polls_within(b, POLLIN));
  const auto e = poll_events(b);
  observe("events", e);
  EXPECT_TRUE(has(e, "POLLOUT"));
}

KIND_TEST(PollHalfClose, POLL_03_ThePeersHalfCloseIsReadableAndRdhup) {
  auto [a, b] = pair();
  a.shutdown(shut::wr);
  ASSERT_TRUE(polls_within(b, POLLRDHUP));
  const auto peer = poll_events(b), self = poll_events(a);
  observe("peer", peer);
  observe("self", self);
  EXPECT_TRUE(has(peer, "POLLIN"));
  EXPECT_FALSE(has(self, "POLLRDHUP") || has(self, "POLLHUP"));
}

KIND_TEST(PollPeerClosed, POLL_04_APeerThatClosed) {
  auto [a, b] = pair();
  a.close();
  ASSERT_TRUE(polls_within(b, POLLRDHUP));
  const auto e = poll_events(b);
  observe("events", e);
  EXPECT_TRUE(has(e, "POLLIN"));
  EXPECT_EQ(has(e, "POLLHUP"), kind().family == family::unix_domain)
      << "AF_UNIX's close shuts both directions";
}

KIND_TEST(PollOwnShutdown, POLL_05_AfterItsOwnShutdownOfBothDirections) {
  auto [a, b] = pair();
  b.shutdown(shut::rdwr);
  const auto e = poll_events(b);
  observe("events", e);
  EXPECT_TRUE(has(e, "POLLHUP"));
}

KIND_TEST(PollReset, POLL_06_AReset) {
  auto [a, b] = pair();
  b.send(as_bytes("unread"));
  a.close();  // with unread data: TCP sends RST, AF_UNIX flags ECONNRESET
  ASSERT_TRUE(polls_within(b, POLLERR));
  const auto e = poll_events(b);
  observe("events", e);
  EXPECT_TRUE(has(e, "POLLHUP") && has(e, "POLLIN"));
}

KIND_TEST(PollUnconnected, POLL_07_AnUnconnectedSocket) {
  const socket fresh(kind().family, kind().type);
  const auto bound = unconnected_of(kind());
  const auto fresh_events = poll_events(fresh), bound_events = poll_events(bound);
  observe("fresh", fresh_events);
  observe("bound", bound_events);
  // A connection-oriented socket that is not connected is hung up (its state is CLOSE) but
  // writable, so a writer finds out at once; a datagram socket is just writable.
  const auto expected = kind().type == type::dgram ? events{"POLLOUT"} : events{"POLLOUT", "POLLHUP"};
  EXPECT_EQ(fresh_events, expected);
  EXPECT_EQ(bound_events, fresh_events);
}

TEST(Readiness, POLL_08_AListenerPollsReadableOnlyWithAConnectionWaiting) {
  for (const auto& [name, f, t] :
       {std::tuple{"tcp4", family::inet, type::stream}, std::tuple{"tcp6", family::inet6, type::stream},
        std::tuple{"unix_stream", family::unix_domain, type::stream},
        std::tuple{"unix_seqpacket", family::unix_domain, type::seqpacket}}) {
    socket l(f, t);
    if (f == family::unix_domain)
      l.bind(unix_address::abstract(fresh_abstract_name()));
    else
      l.bind(loopback_of(f));
    l.listen(1);
    const auto idle = poll_events(l);
    socket client(f, t);
    client.settimeout(loopback_timeout);
    client.connect(l.getsockname());
    ASSERT_TRUE(polls_within(l, POLLIN)) << name;
    const auto waiting = poll_events(l);
    observe(std::string(name) + "_idle", idle);
    observe(std::string(name) + "_waiting", waiting);
    EXPECT_EQ(idle, events{}) << name << ": not writable, not hung up";
    EXPECT_EQ(waiting, events{"POLLIN"}) << name;
  }
}

}  // namespace
}  // namespace socklab::conformance
