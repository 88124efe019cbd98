// SPDX-License-Identifier: MIT
// The hot calls allocate nothing: send, sendto, recv_into and recvfrom_into on IP sockets, the
// batched and offloaded datagram paths, and recv allocates once. Counted by replacing the global operator new
// in this test binary only.
#include "socklab/socket.hpp"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <new>
#include <span>

#include "socklab/fast_paths.hpp"

namespace {
std::atomic<long> allocations{0};
}  // namespace

// GCC 12 sees free() on memory from the operator new below and warns; the pairing is deliberate.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace socklab {
namespace {

template <class F>
long allocations_during(F&& body) {
  const long before = allocations.load();
  body();
  return allocations.load() - before;
}

TEST(Allocation, DatagramHotCallsAllocateNothing) {
  socket a(family::inet, type::dgram);
  socket b(family::inet, type::dgram);
  a.bind(ipv4_address::loopback());
  b.bind(ipv4_address::loopback());
  const address to = b.getsockname();
  std::array<std::byte, 64> buf{};
  const std::array<std::byte, 32> payload{};
  const long n = allocations_during([&] {
    for (int i = 0; i < 100; ++i) {
      a.sendto(payload, to);
      const auto r = b.recvfrom_into(buf);
      ASSERT_EQ(r.nbytes, payload.size());
    }
  });
  EXPECT_EQ(n, 0);
}

TEST(Allocation, FastPathsAllocateNothing) {
  socket a(family::inet, type::dgram);
  socket b(family::inet, type::dgram);
  a.bind(ipv4_address::loopback());
  b.bind(ipv4_address::loopback());
  a.connect(b.getsockname());
  set_coalescing(b, true);
  const std::array<std::byte, 32> payload{};
  const std::array<std::span<const std::byte>, 4> datagrams{payload, payload, payload, payload};
  std::array<std::array<std::byte, 64>, 4> room{};
  const std::array<std::span<std::byte>, 4> buffers{room[0], room[1], room[2], room[3]};
  std::array<std::size_t, 4> sizes{};
  std::array<std::byte, 65536> big{};
  constexpr std::size_t segments_bytes = std::size_t{8} * 64;  // eight datagrams of 64 B
  const long n = allocations_during([&] {
    for (int i = 0; i < 100; ++i) {
      ASSERT_EQ(send_batch(a, datagrams), 4U);
      for (std::size_t got = 0; got < 4;)
        got += recv_batch(b, std::span(buffers).subspan(got), std::span(sizes).subspan(got));
      ASSERT_EQ(send_segmented(a, std::span(big).first(segments_bytes), 64), segments_bytes);
      for (std::size_t got = 0; got < segments_bytes;) got += recv_coalesced(b, big).bytes;
    }
  });
  EXPECT_EQ(n, 0);
}

TEST(Allocation, StreamHotCallsAllocateNothingAndRecvOnce) {
  auto [a, b] = socketpair(family::unix_domain, type::stream);
  std::array<std::byte, 64> buf{};
  const std::array<std::byte, 32> payload{};
  EXPECT_EQ(allocations_during([&, &a = a, &b = b] {
              for (int i = 0; i < 100; ++i) {
                a.send(payload);
                a.sendall(payload);
                ASSERT_GT(b.recv_into(buf), 0u);
              }
            }),
            0);
  a.sendall(payload);
  EXPECT_EQ(allocations_during([&, &b = b] { ASSERT_FALSE(b.recv(4096).empty()); }), 1);
}

}  // namespace
}  // namespace socklab
