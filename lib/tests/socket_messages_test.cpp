// SPDX-License-Identifier: MIT
// sendmsg / recvmsg / recvmsg_into: gathering and scattering, ancillary items, truncation flags
// as Python reports them, senders' addresses, timeouts and EINTR.
#include "socklab/socket.hpp"

#include <gtest/gtest.h>

#include <array>
#include <stdexcept>
#include <string>

#include "blocked_calls.hpp"
#include "support.hpp"

namespace socklab {
namespace {

using namespace test;
using namespace std::chrono_literals;

std::span<const std::byte> bytes(const std::string& s) { return as_bytes(s); }

TEST(Sendmsg, GathersBuffersAndRecvmsgIntoScattersThem) {
  auto [a, b] = socketpair(family::unix_domain, type::stream);
  b.settimeout(loopback_timeout);
  const std::string one = "abc", two = "defgh";
  const std::array<std::span<const std::byte>, 2> out{bytes(one), bytes(two)};
  EXPECT_EQ(a.sendmsg(out), 8u);
  std::array<std::byte, 2> x{};
  std::array<std::byte, 10> y{};
  const std::array<std::span<std::byte>, 2> in{std::span(x), std::span(y)};
  const auto r = b.recvmsg_into(in);
  EXPECT_EQ(r.nbytes, 8u);
  EXPECT_EQ(as_text(x), "ab");
  EXPECT_EQ(as_text(std::span(y).first(6)), "cdefgh");
  EXPECT_TRUE(r.ancdata.empty());
  EXPECT_EQ(r.msg_flags, 0);
  EXPECT_FALSE(r.addr.has_value());  // a connected stream gives no sender
}

TEST(Sendmsg, ToAnAddressAndRecvmsgNamesTheSender) {
  socket server(family::inet, type::dgram), client(family::inet, type::dgram);
  server.settimeout(loopback_timeout);
  server.bind(ipv4_address::loopback());
  client.bind(ipv4_address::loopback());
  const std::string ping = "ping";
  const std::array<std::span<const std::byte>, 1> out{bytes(ping)};
  EXPECT_EQ(client.sendmsg(out, {}, 0, server.getsockname()), 4u);
  const auto r = server.recvmsg(64);
  EXPECT_EQ(as_text(r.data), "ping");
  ASSERT_TRUE(r.addr.has_value());
  EXPECT_EQ(*r.addr, client.getsockname());
}

TEST(Recvmsg, ADatagramLongerThanTheBufferIsTruncatedAndSaysSo) {
  socket server(family::inet, type::dgram), client(family::inet, type::dgram);
  server.settimeout(loopback_timeout);
  server.bind(ipv4_address::loopback());
  client.sendto(as_bytes("0123456789"), server.getsockname());
  const auto r = server.recvmsg(4);
  EXPECT_EQ(as_text(r.data), "0123");
  EXPECT_TRUE(r.msg_flags & msg::trunc);
}

TEST(Recvmsg, TimesOutAndDoesNotBlockAsRecvDoes) {
  auto [a, b] = socketpair(family::unix_domain, type::stream);
  b.settimeout(50ms);
  const auto took = seconds_taken([&] { EXPECT_THROW((void)b.recvmsg(8), timeout_error); });
  EXPECT_GE(took, 0.045);
  EXPECT_LT(took, 5.0);
  b.settimeout(0s);
  EXPECT_THROW((void)b.recvmsg(8), blocking_io_error);
  EXPECT_THROW((void)b.recvmsg(-1), std::invalid_argument);
}

TEST(Recvmsg, ASignalStormDoesNotBreakABlockingCall) {
  auto [a, b] = socketpair(family::unix_domain, type::stream);
  const int reader = current_tid();
  const long before = signal_storm::delivered();
  {
    signal_storm storm;
    peer writer([&] {
      const bool ok = wait_until_blocked(reader) && storm_reached(before, 50);
      a.send(as_bytes("late"));  // sent either way, so recvmsg returns
      if (!ok) throw std::runtime_error("recvmsg was never seen blocked under the storm");
    });
    EXPECT_EQ(decode(b.recvmsg(16).data), "late");
    writer.join();
  }
  EXPECT_GE(signal_storm::delivered() - before, 50);
}

TEST(Sendmsg, AnAddressOfAnotherFamilyIsAnArgumentError) {
  socket s(family::inet, type::dgram);
  const std::string x = "x";
  const std::array<std::span<const std::byte>, 1> out{bytes(x)};
  EXPECT_THROW((void)s.sendmsg(out, {}, 0, unix_address("/nonexistent")), std::invalid_argument);
  const auto r = s.try_sendmsg(out, {}, 0, unix_address("/nonexistent"));
  EXPECT_EQ(r.error(), make_error_code(socklab_errc::family_mismatch));
}

TEST(Sendmsg, ASendmsgOnAClosedPeerIsBrokenPipeNotSigpipe) {
  auto [a, b] = socketpair(family::unix_domain, type::stream);
  b.close();
  const std::string x = "x";
  const std::array<std::span<const std::byte>, 1> out{bytes(x)};
  EXPECT_THROW((void)a.sendmsg(out), broken_pipe_error);
}

}  // namespace
}  // namespace socklab
