// SPDX-License-Identifier: MIT
// Soak: many loopback connections open at once, a hundred thousand framed messages through the
// library, every byte checked end to end. One thread sends round-robin over all connections with
// send_frame(); the test thread polls every accepted socket, feeds a frame_decoder per connection
// and checks each message's connection, sequence number and checksum.
#include "socklab/socket.hpp"

#include <poll.h>
#include <sys/resource.h>

#include <cstring>
#include <random>
#include <vector>

#include "support.hpp"

namespace socklab::test {
namespace {

constexpr std::size_t connections = 600;      // 1,200 connected sockets plus the listener
constexpr std::uint32_t messages_each = 170;  // 102,000 messages in all
constexpr auto soak_limit = std::chrono::seconds(90);

std::uint64_t fnv1a(std::span<const std::byte> data) {
  std::uint64_t h = 1469598103934665603ULL;
  for (const auto b : data) h = (h ^ std::to_integer<std::uint64_t>(b)) * 1099511628211ULL;
  return h;
}

// Message layout: connection (4 bytes), sequence (4), checksum of the body (8), body (0-1000 bytes).
constexpr std::size_t header = 16;

std::vector<std::byte> make_message(std::uint32_t conn, std::uint32_t seq, std::mt19937& rng) {
  std::vector<std::byte> m(header + rng() % 1001);
  for (std::size_t i = header; i < m.size(); ++i) m[i] = static_cast<std::byte>(rng());
  const auto sum = fnv1a(std::span(m).subspan(header));
  std::memcpy(m.data(), &conn, 4);
  std::memcpy(m.data() + 4, &seq, 4);
  std::memcpy(m.data() + 8, &sum, 8);
  return m;
}

struct receiver_side {
  socket sock;
  frame_decoder decoder;
  std::uint32_t next_seq = 0;
};

TEST(Soak, ThousandsOfSocketsAndAHundredThousandMessagesArriveIntact) {
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  const rlim_t needed = 2 * connections + 64;
  if (lim.rlim_cur < needed && lim.rlim_max >= needed) {
    lim.rlim_cur = needed;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
  if (lim.rlim_cur < needed)
    GTEST_SKIP() << "needs " << needed << " descriptors; the limit is " << lim.rlim_cur;

  auto l = listener();
  l.settimeout(loopback_timeout);
  std::vector<socket> senders;
  std::vector<receiver_side> receivers;
  for (std::size_t i = 0; i < connections; ++i) {
    socket c;
    c.settimeout(loopback_timeout);  // a stalled receiver fails the test, never hangs it
    c.connect(l.getsockname());
    auto [conn, addr] = l.accept();
    conn.setblocking(false);
    senders.push_back(std::move(c));
    receivers.push_back({std::move(conn), frame_decoder(4096), 0});
  }
  const std::size_t sockets_open = open_fds().size();
  RecordProperty("sockets_open_at_once", static_cast<int>(sockets_open));
  EXPECT_GE(sockets_open, 1000u);

  const auto deadline = std::chrono::steady_clock::now() + soak_limit;
  peer sender([&] {
    std::mt19937 rng(7);
    for (std::uint32_t seq = 0; seq < messages_each; ++seq)
      for (std::uint32_t c = 0; c < connections; ++c) send_frame(senders[c], make_message(c, seq, rng), 4096);
  });

  std::vector<pollfd> fds(connections);
  for (std::size_t i = 0; i < connections; ++i) fds[i] = {receivers[i].sock.fileno(), POLLIN, 0};
  std::vector<std::byte> buf(1 << 16);
  std::uint64_t received = 0, bytes = 0, corrupt = 0;
  const std::uint64_t expected = std::uint64_t{connections} * messages_each;
  while (received < expected && std::chrono::steady_clock::now() < deadline) {
    if (::poll(fds.data(), fds.size(), 1000) < 0 && errno != EINTR)
      FAIL() << "poll: " << std::strerror(errno);
    for (std::size_t i = 0; i < connections; ++i) {
      if ((fds[i].revents & POLLIN) == 0) continue;
      auto& r = receivers[i];
      auto n = r.sock.try_recv_into(buf);
      if (!n) {
        ASSERT_EQ(n.error(), std::errc::resource_unavailable_try_again) << "connection " << i;
        continue;
      }
      ASSERT_NE(*n, 0u) << "connection " << i << " closed early";
      bytes += *n;
      r.decoder.feed(std::span(buf).first(*n));
      while (auto m = r.decoder.next()) {
        ++received;
        std::uint32_t conn = 0, seq = 0;
        std::uint64_t sum = 0;
        if (m->size() < header) {
          ++corrupt;
          continue;
        }
        std::memcpy(&conn, m->data(), 4);
        std::memcpy(&seq, m->data() + 4, 4);
        std::memcpy(&sum, m->data() + 8, 8);
        if (conn != i || seq != r.next_seq || sum != fnv1a(std::span(*m).subspan(header))) ++corrupt;
        r.next_seq = seq + 1;
      }
    }
  }
  sender.join();
  RecordProperty("messages_checked", static_cast<int>(received));
  RecordProperty("bytes_checked", std::to_string(bytes));
  std::cout << "soak: " << connections << " connections, " << sockets_open << " sockets open at once, "
            << received << " messages (" << bytes << " bytes) checked, " << corrupt << " corrupt\n";
  EXPECT_EQ(received, expected) << "messages lost (or the soak ran past " << soak_limit.count() << " s)";
  EXPECT_EQ(corrupt, 0u);
  for (const auto& r : receivers) EXPECT_EQ(r.decoder.pending(), 0u);
}

}  // namespace
}  // namespace socklab::test
