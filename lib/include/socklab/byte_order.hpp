// SPDX-License-Identifier: MIT
// Python's htons/htonl and ntohs/ntohl: host to network byte order (big-endian) and back. C++20
// has std::endian but not std::byteswap (C++23), so socklab spells them out once, constexpr. They
// are not called htons & co. because the C library may define those as function-like macros,
// which would rewrite any call of the same name, qualified or not.
#pragma once

#include <bit>
#include <cstdint>

namespace socklab {

namespace detail {
template <class T>
constexpr T reverse_bytes(T value) noexcept {
  T out = 0;
  for (unsigned i = 0; i < sizeof(T); ++i) {
    out = static_cast<T>((out << 8U) | (value & 0xffU));
    value = static_cast<T>(value >> 8U);
  }
  return out;
}
template <class T>
constexpr T swapped_unless_big_endian(T value) noexcept {
  static_assert(std::endian::native == std::endian::little || std::endian::native == std::endian::big,
                "a mixed-endian machine");
  return std::endian::native == std::endian::big ? value : reverse_bytes(value);
}
}  // namespace detail

/// Python: socket.htons(x) and socket.htonl(x). The fixed-width parameter types stand where
/// Python raises OverflowError for a value too wide.
constexpr std::uint16_t to_network_order(std::uint16_t x) noexcept {
  return detail::swapped_unless_big_endian(x);
}
constexpr std::uint32_t to_network_order(std::uint32_t x) noexcept {
  return detail::swapped_unless_big_endian(x);
}
/// Python: socket.ntohs(x) and socket.ntohl(x).
constexpr std::uint16_t from_network_order(std::uint16_t x) noexcept {
  return detail::swapped_unless_big_endian(x);
}
constexpr std::uint32_t from_network_order(std::uint32_t x) noexcept {
  return detail::swapped_unless_big_endian(x);
}

}  // namespace socklab
