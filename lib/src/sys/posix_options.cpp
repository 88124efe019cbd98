// SPDX-License-Identifier: MIT
// POSIX: socket options, the typed ones mapped to their (level, name), and SO_PEERCRED.
#include "sys/posix.hpp"

namespace socklab::sys {

std::pair<int, int> option_level_name(option opt) noexcept {
  switch (opt) {
    case option::reuse_addr:
      return {SOL_SOCKET, SO_REUSEADDR};
    case option::reuse_port:
#if defined(SO_REUSEPORT)
      return {SOL_SOCKET, SO_REUSEPORT};
#else
      return {SOL_SOCKET, -1};
#endif
    case option::keepalive:
      return {SOL_SOCKET, SO_KEEPALIVE};
    case option::broadcast:
      return {SOL_SOCKET, SO_BROADCAST};
    case option::sndbuf:
      return {SOL_SOCKET, SO_SNDBUF};
    case option::rcvbuf:
      return {SOL_SOCKET, SO_RCVBUF};
    case option::rcvlowat:
      return {SOL_SOCKET, SO_RCVLOWAT};
    case option::error:
      return {SOL_SOCKET, SO_ERROR};
    case option::acceptconn:
      return {SOL_SOCKET, SO_ACCEPTCONN};
    case option::tcp_nodelay:
      return {IPPROTO_TCP, TCP_NODELAY};
    case option::ipv6_v6only:
      return {IPPROTO_IPV6, IPV6_V6ONLY};
  }
  return {SOL_SOCKET, -1};
}

std::error_code setsockopt(int fd, int level, int name, std::span<const std::byte> value) noexcept {
  if (name < 0) return {ENOPROTOOPT, std::system_category()};
  if (counted(::setsockopt, fd, level, name, value.data(), static_cast<socklen_t>(value.size())) != 0)
    return last_error();
  return {};
}

result<std::size_t> getsockopt(int fd, int level, int name, std::span<std::byte> buf) noexcept {
  if (name < 0) return std::error_code(ENOPROTOOPT, std::system_category());
  auto len = static_cast<socklen_t>(buf.size());
  if (counted(::getsockopt, fd, level, name, buf.data(), &len) != 0) return last_error();
  return static_cast<std::size_t>(len);
}

result<peer_credentials> peer_credentials_of(int fd) noexcept {
#ifdef SO_PEERCRED
  ucred c{};
  socklen_t len = sizeof c;
  if (counted(::getsockopt, fd, SOL_SOCKET, SO_PEERCRED, static_cast<void*>(&c), &len) != 0)
    return last_error();
  return peer_credentials{static_cast<int>(c.pid), static_cast<unsigned>(c.uid),
                          static_cast<unsigned>(c.gid)};
#else
  (void)fd;
  return std::error_code(ENOPROTOOPT, std::system_category());
#endif
}

}  // namespace socklab::sys
