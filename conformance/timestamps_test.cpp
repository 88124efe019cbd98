// SPDX-License-Identifier: MIT
// Z. Receive timestamps (TS-*): SO_TIMESTAMP and SO_TIMESTAMPNS on each kind of connected socket.
#include <sys/socket.h>
#include <sys/time.h>

#include <chrono>
#include <cstring>
#include <string>

#include "support/fixtures.hpp"
#include "support/socket_kinds.hpp"

namespace socklab::conformance {
namespace {

using wall = std::chrono::system_clock;

// The time in a struct timeval (SCM_TIMESTAMP) or timespec (SCM_TIMESTAMPNS) item.
wall::time_point stamp_of(const std::vector<std::byte>& data, int kind) {
  if (kind == SCM_TIMESTAMP) {
    timeval tv{};
    std::memcpy(&tv, data.data(), std::min(data.size(), sizeof tv));
    return wall::time_point(std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec));
  }
  timespec ts{};
  std::memcpy(&ts, data.data(), std::min(data.size(), sizeof ts));
  return wall::time_point(std::chrono::duration_cast<wall::duration>(std::chrono::seconds(ts.tv_sec) +
                                                                     std::chrono::nanoseconds(ts.tv_nsec)));
}

// Linux switches receive timestamping on for the whole system lazily, from a work queue (a
// deferred static key): a TCP segment that arrives before that carries no stamp, so the first check
// of a fresh machine would depend on that race. This holds a TCP pair with SO_TIMESTAMP on (which
// keeps the key on) until one of its segments comes stamped, a bounded wait.
class timestamping_switched_on {
 public:
  timestamping_switched_on() {
    pair_.server.setsockopt(SOL_SOCKET, SO_TIMESTAMP, 1);
    const auto deadline = std::chrono::steady_clock::now() + loopback_timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      pair_.client.send(as_bytes("w"));
      if (!pair_.server.recvmsg(16, 256).ancdata.empty()) return;
    }
    throw std::runtime_error("receive timestamping never came on");
  }

 private:
  connected_pair pair_ = tcp_pair();
};

// One message from a to b with `option` on at b: what b's read carries, and whether its stamp lies
// within a second of the send and the read (a generous window: the realtime clock may be stepped).
void check_stamps(const socket_kind& k, socket& a, socket& b, int option, int item) {
  const timestamping_switched_on on;
  b.setsockopt(SOL_SOCKET, option, 1);
  const auto before = wall::now();
  a.send(as_bytes("t"));
  const auto items = b.recvmsg(16, 256).ancdata;
  const auto after = wall::now();
  const auto data = item_data(items, SOL_SOCKET, item);
  const bool in_window = !data.empty() && stamp_of(data, item) >= before - std::chrono::seconds(1) &&
                         stamp_of(data, item) <= after + std::chrono::seconds(1);
  observe("items", item_names(items));
  observe("in_window", in_window);
  if (k.family == family::unix_domain && k.type == type::stream) {
    EXPECT_TRUE(items.empty()) << "AF_UNIX streams carry no timestamps";
  } else {
    EXPECT_EQ(items.size(), 1U);
    EXPECT_EQ(data.size(), 16U);
    EXPECT_TRUE(in_window);
  }
}

KIND_TEST(TimestampOverKinds, TS_01_SoTimestampStampsEachMessage) {
  auto [a, b] = pair();
  check_stamps(kind(), a, b, SO_TIMESTAMP, SCM_TIMESTAMP);
}

KIND_TEST(TimestampNsOverKinds, TS_02_SoTimestampnsStampsEachMessageInNanoseconds) {
  auto [a, b] = pair();
  check_stamps(kind(), a, b, SO_TIMESTAMPNS, SCM_TIMESTAMPNS);
}

TEST(Timestamps, TS_03_TimestampAndTimestampnsAreOneSetting) {
  socket r(family::inet, type::dgram), w(family::inet, type::dgram);
  r.bind(ipv4_address::loopback());
  const auto both = [&] {
    return std::to_string(r.getsockopt(SOL_SOCKET, SO_TIMESTAMP)) + " " +
           std::to_string(r.getsockopt(SOL_SOCKET, SO_TIMESTAMPNS));
  };
  observe("new", both());
  r.setsockopt(SOL_SOCKET, SO_TIMESTAMP, 7);
  observe("after_timestamp", both());
  r.setsockopt(SOL_SOCKET, SO_TIMESTAMPNS, 1);
  observe("after_both", both());
  const auto items = items_of_a_datagram(w, r);
  observe("items", item_names(items));
  EXPECT_EQ(both(), "0 1");
  ASSERT_EQ(items.size(), 1U);
  EXPECT_EQ(items[0].type, SCM_TIMESTAMPNS);
}

}  // namespace
}  // namespace socklab::conformance
