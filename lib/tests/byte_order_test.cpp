// SPDX-License-Identifier: MIT
// to_network_order / from_network_order (Python's htons, htonl, ntohs, ntohl): big-endian bytes,
// round trips, and no clash with the C library's htons macros.
#include "socklab/byte_order.hpp"

#include <arpa/inet.h>  // the C functions (and, with optimisation on, macros) this must not collide with
#include <gtest/gtest.h>

#include <array>
#include <cstring>

namespace socklab {
namespace {

static_assert(from_network_order(to_network_order(std::uint16_t{0x1234})) == 0x1234);
static_assert(from_network_order(to_network_order(std::uint32_t{0x12345678})) == 0x12345678);

template <class T>
std::array<unsigned char, sizeof(T)> bytes_of(T value) {
  std::array<unsigned char, sizeof(T)> out{};
  std::memcpy(out.data(), &value, sizeof(T));
  return out;
}

TEST(ByteOrder, NetworkOrderIsBigEndianInMemory) {
  EXPECT_EQ(bytes_of(to_network_order(std::uint16_t{0x1234})), (std::array<unsigned char, 2>{0x12, 0x34}));
  EXPECT_EQ(bytes_of(to_network_order(std::uint32_t{0x12345678})),
            (std::array<unsigned char, 4>{0x12, 0x34, 0x56, 0x78}));
}

TEST(ByteOrder, AgreesWithTheCLibraryOnEveryShortAndASpreadOfLongs) {
  for (std::uint32_t v = 0; v <= 0xffff; ++v) {
    const auto s = static_cast<std::uint16_t>(v);
    ASSERT_EQ(to_network_order(s), htons(s)) << v;
    ASSERT_EQ(from_network_order(s), ntohs(s)) << v;
  }
  for (std::uint64_t v = 0; v <= 0xffffffffULL; v += 0x01010101ULL + 7) {
    const auto l = static_cast<std::uint32_t>(v);
    ASSERT_EQ(to_network_order(l), htonl(l)) << v;
    ASSERT_EQ(from_network_order(l), ntohl(l)) << v;
  }
}

}  // namespace
}  // namespace socklab
