// SPDX-License-Identifier: MIT
// POSIX: numeric addresses as text and back, interface names, the size of sun_path.
#include <cstring>

#include "sys/posix.hpp"

namespace socklab::sys {

std::optional<std::array<std::uint8_t, 4>> parse_ipv4(const std::string& host) noexcept {
  std::array<std::uint8_t, 4> out{};
  if (::inet_pton(AF_INET, host.c_str(), out.data()) != 1) return std::nullopt;
  return out;
}

std::optional<std::array<std::uint8_t, 4>> parse_ipv4_shorthand(const std::string& host) noexcept {
  in_addr a{};
  if (::inet_aton(host.c_str(), &a) == 0) return std::nullopt;
  std::array<std::uint8_t, 4> out{};
  std::memcpy(out.data(), &a, out.size());
  return out;
}

std::optional<std::array<std::uint8_t, 16>> parse_ipv6(const std::string& host) noexcept {
  std::array<std::uint8_t, 16> out{};
  if (::inet_pton(AF_INET6, host.c_str(), out.data()) != 1) return std::nullopt;
  return out;
}

std::string format_ipv4(const std::array<std::uint8_t, 4>& host) {
  char buf[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, host.data(), buf, sizeof buf);
  return buf;
}

std::string format_ipv6(const std::array<std::uint8_t, 16>& host) {
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET6, host.data(), buf, sizeof buf);
  return buf;
}

result<std::uint32_t> scope_id_of(const std::string& name) noexcept {
  // What getaddrinfo() says of such a scope, as Python would report it (a gaierror).
  const std::error_code unknown(EAI_NONAME, gai_category());
  if (name.empty()) return unknown;
  if (std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (name.size() > 10) return unknown;
    const unsigned long long v = std::stoull(name);
    if (v > UINT32_MAX) return unknown;
    return static_cast<std::uint32_t>(v);
  }
  const unsigned index = ::if_nametoindex(name.c_str());
  if (index == 0) return unknown;
  return std::uint32_t{index};
}

std::size_t unix_path_capacity() noexcept { return sizeof(sockaddr_un::sun_path); }

}  // namespace socklab::sys
