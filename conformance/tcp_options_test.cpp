// SPDX-License-Identifier: MIT
// X. TCP's own options (TCP-INFO-*, TCP-OPT-*): the state TCP_INFO reports through a connection's
// life, and the bounds of the options a TCP socket takes.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <array>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <utility>

#include "support/fixtures.hpp"

namespace socklab::conformance {
namespace {

// tcpi_state, by the name Linux's include/net/tcp_states.h gives it; FIN_WAIT1 and FIN_WAIT2 are
// one name, as a FIN's ACK may or may not have been processed when the state is read.
std::string tcp_state(const socket& s) {
  std::array<std::byte, sizeof(::tcp_info)> raw{};
  s.getsockopt(IPPROTO_TCP, TCP_INFO, raw);
  switch (std::to_integer<int>(raw[0])) {
    case 1:
      return "ESTABLISHED";
    case 4:
    case 5:
      return "FIN_WAIT";
    case 7:
      return "CLOSE";
    case 8:
      return "CLOSE_WAIT";
    case 10:
      return "LISTEN";
    default:
      return std::to_string(std::to_integer<int>(raw[0]));
  }
}

TEST(TcpOptions, TCP_INFO_01_TcpInfoSaysWhetherASocketIsClosedListeningOrConnected) {
  const socket fresh(family::inet, type::stream);
  const auto l = listener();
  auto [client, server] = tcp_pair();
  observe("fresh", tcp_state(fresh));
  observe("listener", tcp_state(l));
  observe("client", tcp_state(client));
  observe("server", tcp_state(server));
  const socket udp(family::inet, type::dgram);
  const auto on_udp = outcome_of([&] { (void)tcp_state(udp); });
  observe("on_udp", on_udp);
  EXPECT_EQ(tcp_state(fresh), "CLOSE");
  EXPECT_EQ(tcp_state(l), "LISTEN");
  EXPECT_EQ(tcp_state(server), "ESTABLISHED");
  EXPECT_EQ(on_udp, "OSError ENOTSUP");
}

TEST(TcpOptions, TCP_INFO_02_AHalfCloseShowsInBothEndsStates) {
  auto [client, server] = tcp_pair();
  client.shutdown(shut::wr);
  server.settimeout(loopback_timeout);
  ASSERT_TRUE(server.recv(1).empty());
  observe("closer", tcp_state(client));
  observe("peer", tcp_state(server));
  EXPECT_EQ(tcp_state(client), "FIN_WAIT");
  EXPECT_EQ(tcp_state(server), "CLOSE_WAIT");
}

TEST(TcpOptions, TCP_OPT_01_KeepaliveTimingsHaveBounds) {
  socket s(family::inet, type::stream);
  for (const auto& [name, opt] : {std::pair{"keepidle", TCP_KEEPIDLE}, std::pair{"keepintvl", TCP_KEEPINTVL},
                                  std::pair{"keepcnt", TCP_KEEPCNT}}) {
    observe(std::string(name) + "_default", s.getsockopt(IPPROTO_TCP, opt));
    observe(name, setting_outcomes(s, IPPROTO_TCP, opt, {-1, 0, 1, 127, 128, 32767, 32768}));
  }
  EXPECT_EQ(setting_outcomes(s, IPPROTO_TCP, TCP_KEEPCNT, {0, 128}), "0:OSError EINVAL 128:OSError EINVAL");
  EXPECT_EQ(setting_outcomes(s, IPPROTO_TCP, TCP_KEEPIDLE, {32767, 32768}),
            "32767:none 32768:OSError EINVAL");
}

TEST(TcpOptions, TCP_OPT_02_MaxsegBeforeConnectTakesZeroOrAtLeast88) {
  socket s(family::inet, type::stream);
  observe("default", s.getsockopt(IPPROTO_TCP, TCP_MAXSEG));
  const auto got = setting_outcomes(s, IPPROTO_TCP, TCP_MAXSEG, {0, 1, 87, 88, 1460, 65535});
  observe("settings", got);
  EXPECT_EQ(got, "0:none 1:OSError EINVAL 87:OSError EINVAL 88:none 1460:none 65535:OSError EINVAL");
}

TEST(TcpOptions, TCP_OPT_03_FlagOptionsReadBackOneForAnyNonZeroValue) {
  socket s(family::inet, type::stream);
  for (const auto& [name, level, opt] :
       {std::tuple{"nodelay", int{IPPROTO_TCP}, TCP_NODELAY}, std::tuple{"cork", int{IPPROTO_TCP}, TCP_CORK},
        std::tuple{"keepalive", SOL_SOCKET, SO_KEEPALIVE}}) {
    s.setsockopt(level, opt, 7);
    observe(name, s.getsockopt(level, opt));
    EXPECT_EQ(s.getsockopt(level, opt), 1) << name;
  }
}

TEST(TcpOptions, TCP_OPT_04_SynRetriesAndUserTimeoutHaveBounds) {
  socket s(family::inet, type::stream);
  observe("syncnt_default", s.getsockopt(IPPROTO_TCP, TCP_SYNCNT));
  observe("syncnt", setting_outcomes(s, IPPROTO_TCP, TCP_SYNCNT, {0, 1, 127, 128}));
  observe("user_timeout_default", s.getsockopt(IPPROTO_TCP, TCP_USER_TIMEOUT));
  const auto timeouts = setting_outcomes(s, IPPROTO_TCP, TCP_USER_TIMEOUT, {-1, 0, 1000});
  observe("user_timeout", timeouts);
  EXPECT_EQ(timeouts, "-1:OSError EINVAL 0:none 1000:none");
}

// A TCP_CONGESTION value as text (the kernel pads it with NULs).
std::string congestion_of(const socket& s) {
  std::array<std::byte, 16> raw{};
  const auto n = s.getsockopt(IPPROTO_TCP, TCP_CONGESTION, raw);
  const std::string text(as_text(std::span(raw).first(n)));
  return text.substr(0, text.find('\0'));
}

TEST(TcpOptions, TCP_OPT_05_CongestionControlDefaultsToTheSysctl) {
  socket s(family::inet, type::stream);
  std::ifstream sysctl("/proc/sys/net/ipv4/tcp_congestion_control");
  std::string configured;
  sysctl >> configured;
  const auto initial = congestion_of(s);
  s.setsockopt(IPPROTO_TCP, TCP_CONGESTION, as_bytes("reno"));
  const auto after_reno = congestion_of(s);
  const auto unknown = outcome_of([&] { s.setsockopt(IPPROTO_TCP, TCP_CONGESTION, as_bytes("no-such-cc")); });
  observe("default", initial);
  observe("default_is_sysctl", initial == configured);
  observe("after_reno", after_reno);
  observe("unknown", unknown);
  EXPECT_EQ(initial, configured);
  EXPECT_EQ(after_reno, "reno");
  EXPECT_EQ(unknown, "FileNotFoundError ENOENT");
}

// struct tcp_info's RFC 4898 byte counters, by their offsets in linux/tcp.h (glibc's copy of the
// struct stops before them, and the two headers cannot be included together).
constexpr std::size_t bytes_acked_at = 120, bytes_received_at = 128, bytes_sent_at = 200;

std::uint64_t tcp_info_u64(const socket& s, std::size_t offset) {
  std::array<std::byte, 232> raw{};
  const auto n = s.getsockopt(IPPROTO_TCP, TCP_INFO, raw);
  std::uint64_t v = 0;
  if (n < offset + sizeof v) throw std::runtime_error("TCP_INFO is too short for its byte counters");
  std::memcpy(&v, raw.data() + offset, sizeof v);
  return v;
}

TEST(TcpOptions, TCP_INFO_03_TcpInfoCountsTheBytes) {
  auto [client, server] = tcp_pair();
  const std::string data(100000, 'x');
  client.sendall(as_bytes(data));
  server.settimeout(loopback_timeout);
  std::size_t got = 0;
  while (got < data.size()) got += server.recv(65536).size();
  // The SYN takes a sequence number, so the ACKs cover one byte more than the data; the last ACK
  // may follow the data by a delayed-ACK interval: wait for it, bounded.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (tcp_info_u64(client, bytes_acked_at) < data.size() + 1 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  const auto acked = tcp_info_u64(client, bytes_acked_at), sent = tcp_info_u64(client, bytes_sent_at),
             received = tcp_info_u64(server, bytes_received_at);
  observe("sender_bytes_sent", sent);
  observe("sender_bytes_acked", acked);
  observe("receiver_bytes_received", received);
  observe("receiver_bytes_sent", tcp_info_u64(server, bytes_sent_at));
  EXPECT_EQ(sent, data.size());
  EXPECT_EQ(acked, data.size() + 1);
  EXPECT_EQ(received, data.size());
}

TEST(TcpOptions, TCP_OPT_06_DeferAcceptRoundsUpToTheRetransmissionSchedule) {
  socket s(family::inet, type::stream);
  const auto settings =
      read_backs(s, IPPROTO_TCP, TCP_DEFER_ACCEPT, {0, 1, 2, 3, 4, 7, 10, 30, 100, 1000, -1});
  observe("settings", settings);
  // Kept as a number of SYN-ACK retransmissions (1 s, doubling up to TCP_RTO_MAX's 120 s) and read
  // back as the seconds they take: 1, 3, 7, 15, 31, 63, 127, then 120 s more each.
  EXPECT_EQ(settings, "0:0 1:1 2:3 3:3 4:7 7:7 10:15 30:31 100:127 1000:1087 -1:0");
}

TEST(TcpOptions, TCP_OPT_07_Linger2IsCappedAndZeroMeansTheSysctl) {
  socket s(family::inet, type::stream);
  const long fin_timeout = sysctl_numbers("net/ipv4/tcp_fin_timeout").front();
  const int initially = s.getsockopt(IPPROTO_TCP, TCP_LINGER2);
  const auto settings = read_backs(s, IPPROTO_TCP, TCP_LINGER2, {1, 60, 120, 121, 1000, 0, -1, -5});
  observe("default_is_sysctl", initially == fin_timeout);
  observe("settings", settings);
  const auto f = std::to_string(fin_timeout);
  EXPECT_EQ(initially, fin_timeout);
  EXPECT_EQ(settings, "1:1 60:60 120:120 121:120 1000:120 0:" + f + " -1:-1 -5:-1");
}

TEST(TcpOptions, TCP_OPT_08_NotsentLowatKeepsAnyValue) {
  socket s(family::inet, type::stream);
  observe("default", s.getsockopt(IPPROTO_TCP, TCP_NOTSENT_LOWAT));
  const auto settings = read_backs(s, IPPROTO_TCP, TCP_NOTSENT_LOWAT, {1, 16384, -1, INT_MAX, 0});
  observe("settings", settings);
  EXPECT_EQ(s.getsockopt(IPPROTO_TCP, TCP_NOTSENT_LOWAT), 0);
  EXPECT_EQ(settings, "1:1 16384:16384 -1:-1 2147483647:2147483647 0:0");
}

TEST(TcpOptions, TCP_OPT_09_WindowClampHasAFloor) {
  socket s(family::inet, type::stream);
  socket smallest(family::inet, type::stream);
  smallest.setsockopt(option::rcvbuf, 1);
  const int floor = smallest.getsockopt(option::rcvbuf) / 2;  // half the minimum receive buffer
  observe("default", s.getsockopt(IPPROTO_TCP, TCP_WINDOW_CLAMP));
  const auto settings =
      read_backs(s, IPPROTO_TCP, TCP_WINDOW_CLAMP, {0, 1, 100, floor - 1, floor, 5000, INT_MAX, -1});
  observe("floor", floor);
  observe("settings", settings);
  const auto f = std::to_string(floor);
  EXPECT_EQ(settings, "0:0 1:" + f + " 100:" + f + " " + std::to_string(floor - 1) + ":" + f + " " + f + ":" +
                          f + " 5000:5000 2147483647:2147483647 -1:" + f);
}

TEST(TcpOptions, TCP_OPT_10_MaxsegBeforeConnectClampsBothEnds) {
  const bool timestamps = sysctl_numbers("net/ipv4/tcp_timestamps").front() != 0;
  for (const int mss : {1000, 88}) {
    auto l = listener();
    l.settimeout(loopback_timeout);
    socket client(family::inet, type::stream);
    client.setsockopt(IPPROTO_TCP, TCP_MAXSEG, mss);
    client.settimeout(loopback_timeout);
    client.connect(l.getsockname());
    auto [server, from] = l.accept();
    const int client_mss = client.getsockopt(IPPROTO_TCP, TCP_MAXSEG);
    const int server_mss = server.getsockopt(IPPROTO_TCP, TCP_MAXSEG);
    const auto later = outcome_of([&] { client.setsockopt(IPPROTO_TCP, TCP_MAXSEG, 500); });
    observe("client_" + std::to_string(mss), client_mss);
    observe("server_" + std::to_string(mss), server_mss);
    observe("set_when_connected_" + std::to_string(mss),
            later + " " + std::to_string(client.getsockopt(IPPROTO_TCP, TCP_MAXSEG)));
    // The client announced its clamp as its MSS; each end then leaves room for the timestamp
    // option (12 bytes) in every segment.
    const int expected = timestamps ? mss - 12 : mss;
    EXPECT_EQ(client_mss, expected);
    EXPECT_EQ(server_mss, expected);
    EXPECT_EQ(client.getsockopt(IPPROTO_TCP, TCP_MAXSEG), client_mss)
        << "a later clamp does not change a connection";
  }
}

TEST(TcpOptions, TCP_OPT_11_FastopenQueueIsCappedBySomaxconn) {
  socket s(family::inet, type::stream);
  const long somaxconn = sysctl_numbers("net/core/somaxconn").front();
  const auto queue = read_backs(s, IPPROTO_TCP, TCP_FASTOPEN, {0, 1, 5, 100000, -1});
  const auto connect = read_backs(s, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, {1, 0, 2});
  observe("queue", queue);
  observe("connect", connect);
  EXPECT_EQ(queue, "0:0 1:1 5:5 100000:" + std::to_string(somaxconn) + " -1:OSError EINVAL");
  EXPECT_EQ(connect, "1:1 0:0 2:OSError EINVAL");
}

}  // namespace
}  // namespace socklab::conformance
