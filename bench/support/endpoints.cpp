// SPDX-License-Identifier: MIT
#include "endpoints.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>

#include "engine/cost.hpp"
#include "options.hpp"

namespace socklab::bench {
namespace {

void set_congestion(socket& s) {
#if defined(TCP_CONGESTION)
  if (const auto& cc = current().tcp_congestion) s.setsockopt(IPPROTO_TCP, TCP_CONGESTION, as_bytes(*cc));
#endif
}

void fill_targets(endpoint_pair& p) {
  p.near_target = target::of(p.near);
  p.far_target = target::of(p.far);
}

// AF_UNIX datagram sockets need names; each pair gets fresh ones in a folder removed at exit.
std::string unix_dgram_path(const char* role) {
  static const std::filesystem::path dir = [] {
    std::string pattern = (std::filesystem::temp_directory_path() / "socklab-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::system_error(errno, std::system_category(), "mkdtemp");
    static struct cleanup {
      std::string path;
      ~cleanup() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
      }
    } remover{pattern};
    return std::filesystem::path(pattern);
  }();
  static std::atomic<unsigned> counter{0};
  return (dir / (std::string(role) + std::to_string(counter++))).string();
}

}  // namespace

void set_watchdog(int fd) {
  raw_syscalls += 2;  // made by hand, in both twins alike
  const auto ms = current().watchdog.count();
  const timeval tv{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0)
    throw std::system_error(errno, std::system_category(), "setsockopt(SO_RCVTIMEO/SO_SNDTIMEO)");
}

target target::of(const socket& s) {
  target t;
  t.addr = s.getsockname();
  t.native_len = sizeof t.native;
  if (::getsockname(s.fileno(), reinterpret_cast<sockaddr*>(&t.native), &t.native_len) != 0)
    throw std::system_error(errno, std::system_category(), "getsockname");
  return t;
}

void apply_socket_options(socket& s) {
  set_watchdog(s.fileno());
  if (const auto& b = current().sndbuf) s.setsockopt(option::sndbuf, *b);
  if (const auto& b = current().rcvbuf) s.setsockopt(option::rcvbuf, *b);
  if (s.family() != family::unix_domain && s.type() == type::stream) set_congestion(s);
}

endpoint_pair stream_pair(family f, bool nodelay) {
  endpoint_pair p;
  if (f == family::unix_domain) {
    auto [a, b] = socketpair(family::unix_domain, type::stream);
    p.near = std::move(a);
    p.far = std::move(b);
  } else {
    socket l(f, type::stream);
    // Buffer sizes set on the listener before listen() are inherited and fix the window scale.
    apply_socket_options(l);
    l.bind(f == family::inet6 ? address(ipv6_address::loopback()) : address(ipv4_address::loopback()));
    l.listen(1);
    socket c(f, type::stream);
    apply_socket_options(c);
    c.connect(l.getsockname());
    p.near = std::move(c);
    p.far = std::move(l.accept().conn);
    if (nodelay) {
      p.near.setsockopt(option::tcp_nodelay, 1);
      p.far.setsockopt(option::tcp_nodelay, 1);
    }
  }
  apply_socket_options(p.near);
  apply_socket_options(p.far);
  fill_targets(p);
  return p;
}

endpoint_pair dgram_pair(family f, bool connected) {
  endpoint_pair p;
  p.near = socket(f, type::dgram);
  p.far = socket(f, type::dgram);
  if (f == family::unix_domain) {
    p.near.bind(unix_address(unix_dgram_path("tx")));
    p.far.bind(unix_address(unix_dgram_path("rx")));
  } else {
    p.near.bind(ipv4_address::loopback());
    p.far.bind(ipv4_address::loopback());
  }
  apply_socket_options(p.near);
  apply_socket_options(p.far);
  fill_targets(p);
  if (connected) {
    p.near.connect(p.far_target.addr);
    p.far.connect(p.near_target.addr);
  }
  return p;
}

std::string tcp_congestion_of(const socket& s) {
#if defined(TCP_CONGESTION)
  char name[32] = {};
  try {
    s.getsockopt(IPPROTO_TCP, TCP_CONGESTION, std::as_writable_bytes(std::span{name}));
  } catch (const error&) {
    return "";
  }
  return std::string(name, strnlen(name, sizeof name));
#else
  (void)s;
  return "";
#endif
}

}  // namespace socklab::bench
