// SPDX-License-Identifier: MIT
// X. TCP's own options (TCP-INFO-*, TCP-OPT-*): the state TCP_INFO reports through a connection's
// life, and the bounds of the options a TCP socket takes.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <array>
#include <fstream>
#include <span>
#include <string>
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

}  // namespace
}  // namespace socklab::conformance
