// SPDX-License-Identifier: MIT
// POSIX: socklab's families, types and addresses as the platform's, and the wait for readiness.
#include <algorithm>
#include <climits>
#include <cstring>

#include "socklab/counters.hpp"
#include "sys/posix.hpp"

namespace socklab::sys {

int native_family(family f) noexcept {
  switch (f) {
    case family::inet:
      return AF_INET;
    case family::inet6:
      return AF_INET6;
    case family::unix_domain:
      return AF_UNIX;
  }
  return AF_UNSPEC;
}

std::optional<family> from_native_family(int f) noexcept {
  switch (f) {
    case AF_INET:
      return family::inet;
    case AF_INET6:
      return family::inet6;
    case AF_UNIX:
      return family::unix_domain;
    default:
      return std::nullopt;
  }
}

int native_type(type t) noexcept {
  switch (t) {
    case type::stream:
      return SOCK_STREAM;
    case type::dgram:
      return SOCK_DGRAM;
    case type::raw:
      return SOCK_RAW;
    case type::seqpacket:
      return SOCK_SEQPACKET;
  }
  return -1;
}

std::optional<type> from_native_type(int t) noexcept {
  switch (t) {
    case SOCK_STREAM:
      return type::stream;
    case SOCK_DGRAM:
      return type::dgram;
    case SOCK_RAW:
      return type::raw;
    case SOCK_SEQPACKET:
      return type::seqpacket;
    default:
      return std::nullopt;
  }
}

// Waits until fd is ready for `events` or the deadline passes. poll() counts in milliseconds, so
// the remaining time is rounded up: a timeout may end late by under 1 ms, never early.
std::error_code wait_ready(int fd, short events, const wait_policy& w) noexcept {
  for (;;) {
    int ms = -1;
    if (w.how == wait_policy::mode::deadline) {
      const auto left = w.until - clock::now();
      if (left <= clock::duration::zero()) return socklab_errc::timed_out;
      ms = static_cast<int>(
          std::min<long long>(std::chrono::ceil<std::chrono::milliseconds>(left).count(), INT_MAX));
    }
    pollfd p{fd, events, 0};
    const int rc = counted(::poll, &p, 1, ms);
    if (rc > 0) return {};  // ready, or POLLERR/POLLHUP: the retried call reports which
    if (rc == 0) continue;  // the deadline check above decides; guards against early wake-ups
    if (errno != EINTR) return last_error();
  }
}

native_address to_native(const address& a) noexcept {
  native_address n;
  if (const auto* v4 = std::get_if<ipv4_address>(&a)) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(v4->port);
    std::memcpy(&sin.sin_addr, v4->host.data(), 4);
    std::memcpy(&n.storage, &sin, sizeof sin);
    n.length = sizeof sin;
  } else if (const auto* v6 = std::get_if<ipv6_address>(&a)) {
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(v6->port);
    sin6.sin6_flowinfo = htonl(v6->flowinfo);
    sin6.sin6_scope_id = v6->scope_id;
    std::memcpy(&sin6.sin6_addr, v6->host.data(), 16);
    std::memcpy(&n.storage, &sin6, sizeof sin6);
    n.length = sizeof sin6;
  } else {
    // The length comes from the name's size, never strlen: abstract names hold NULs.
    const auto& path = std::get<unix_address>(a).path;
    std::memset(&n.storage, 0, sizeof n.storage);  // a pathname's terminating NUL included
    auto* sun = reinterpret_cast<sockaddr_un*>(&n.storage);
    sun->sun_family = AF_UNIX;
    std::memcpy(sun->sun_path, path.data(), path.size());  // size checked by unix_address
    n.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
    if (!path.empty() && path.front() != '\0') n.length += 1;  // the pathname's terminating NUL
  }
  return n;
}

// `hint` is the socket's family: it decides what an empty (length 0) address means.
result<std::optional<address>> from_native(const native_address& n, family hint) noexcept {
  if (n.length == 0) {
    if (hint == family::unix_domain) return std::optional<address>(unix_address{});
    return std::optional<address>{};
  }
  switch (n.storage.ss_family) {
    case AF_INET: {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(&n.storage);
      ipv4_address a;
      std::memcpy(a.host.data(), &sin->sin_addr, 4);
      a.port = ntohs(sin->sin_port);
      return std::optional<address>(a);
    }
    case AF_INET6: {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&n.storage);
      ipv6_address a;
      std::memcpy(a.host.data(), &sin6->sin6_addr, 16);
      a.port = ntohs(sin6->sin6_port);
      a.flowinfo = ntohl(sin6->sin6_flowinfo);
      a.scope_id = sin6->sin6_scope_id;
      return std::optional<address>(a);
    }
    case AF_UNIX:
    case AF_UNSPEC: {  // macOS reports an unbound AF_UNIX sender as AF_UNSPEC
      const auto* sun = reinterpret_cast<const sockaddr_un*>(&n.storage);
      const auto offset = offsetof(sockaddr_un, sun_path);
      std::size_t len = n.length > offset ? n.length - offset : 0;
      len = std::min(len, sizeof(sun->sun_path));
      std::string path(sun->sun_path, len);
      // Pathnames may come back with their terminating NUL(s); abstract names keep every byte.
      if (!path.empty() && path.front() != '\0') path.resize(std::strlen(path.c_str()));
      unix_address u;
      u.path = std::move(path);
      return std::optional<address>(std::move(u));
    }
    default:
      return std::error_code(EAFNOSUPPORT, std::system_category());
  }
}

result<address> required(result<std::optional<address>> r) noexcept {
  if (!r) return r.error();
  if (!*r) return std::error_code(ENOTCONN, std::system_category());
  return std::move(**r);
}

}  // namespace socklab::sys

namespace socklab {

// The counter every call of this layer bumps (posix::counted).
std::uint64_t thread_syscalls() noexcept { return sys::calls_made; }

}  // namespace socklab
