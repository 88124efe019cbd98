// SPDX-License-Identifier: MIT
// POSIX implementation of the OS layer (Linux, macOS, FreeBSD).
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "socklab/counters.hpp"
#include "sys/sys.hpp"

namespace socklab {

namespace msg {
const int peek = MSG_PEEK;
const int waitall = MSG_WAITALL;
const int dontwait = MSG_DONTWAIT;
const int oob = MSG_OOB;
const int trunc = MSG_TRUNC;
}  // namespace msg

namespace sys {
namespace {

thread_local std::uint64_t calls_made = 0;

#if defined(MSG_NOSIGNAL)
constexpr int no_sigpipe_flag = MSG_NOSIGNAL;  // per call, never the process-wide disposition
#else
constexpr int no_sigpipe_flag = 0;  // macOS: SO_NOSIGPIPE is set on the socket instead
#endif

std::error_code last_error() noexcept { return {errno, std::system_category()}; }

// Every system call of this layer goes through here, so that thread_syscalls() counts each one.
template <class Fn, class... Args>
auto counted(Fn fn, Args... args) noexcept {
  ++calls_made;
  return fn(args...);
}

bool would_block(int err) noexcept { return err == EAGAIN || err == EWOULDBLOCK; }

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

// Runs one system call under the socket's wait policy, the way CPython's sock_call_ex does, but
// calling first: on the fast path that saves a poll() per call. EINTR is retried (PEP 475); in
// timeout mode EAGAIN waits for readiness until the one deadline, so a false wake-up loops
// instead of surfacing as would-block.
template <class Call>
result<std::size_t> run_io(int fd, short events, const wait_policy& w, Call call) noexcept {
  for (;;) {
    const auto n = call();
    if (n >= 0) return static_cast<std::size_t>(n);
    const int err = errno;
    if (err == EINTR) continue;
    if (!would_block(err) || w.how != wait_policy::mode::deadline)
      return std::error_code(err, std::system_category());
    if (auto ec = wait_ready(fd, events, w)) return ec;
  }
}

// Not zeroed: the kernel writes the `length` bytes a call returns, and to_native() zeroes what it
// sends. Clearing 128 bytes twice per sendto()/recvfrom() pair had been a tenth of their cost.
struct native_address {
  sockaddr_storage storage;  // NOLINT(cppcoreguidelines-pro-type-member-init)
  socklen_t length = 0;
  sockaddr* get() noexcept { return reinterpret_cast<sockaddr*>(&storage); }
  const sockaddr* get() const noexcept { return reinterpret_cast<const sockaddr*>(&storage); }
};

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

}  // namespace

result<int> open_socket(family f, type t, int proto) noexcept {
#if defined(SOCK_CLOEXEC)
  const int fd = counted(::socket, native_family(f), native_type(t) | SOCK_CLOEXEC, proto);
  if (fd < 0) return last_error();
#else
  const int fd = counted(::socket, native_family(f), native_type(t), proto);
  if (fd < 0) return last_error();
  if (auto ec = set_inheritable(fd, false)) {
    counted(::close, fd);
    return ec;
  }
#endif
#if defined(SO_NOSIGPIPE)
  const int one = 1;
  counted(::setsockopt, fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
  return fd;
}

result<std::pair<int, int>> open_socketpair(family f, type t, int proto) noexcept {
  int fds[2] = {-1, -1};
#if defined(SOCK_CLOEXEC)
  if (counted(::socketpair, native_family(f), native_type(t) | SOCK_CLOEXEC, proto, fds) != 0)
    return last_error();
#else
  if (counted(::socketpair, native_family(f), native_type(t), proto, fds) != 0) return last_error();
  set_inheritable(fds[0], false);
  set_inheritable(fds[1], false);
#endif
  return std::pair{fds[0], fds[1]};
}

std::error_code close_fd(int fd) noexcept {
  if (counted(::close, fd) == 0) return {};
  return last_error();
}

result<int> dup_fd(int fd) noexcept {
  const int d = counted(::fcntl, fd, F_DUPFD_CLOEXEC, 0);
  if (d < 0) return last_error();
  return d;
}

std::error_code set_nonblocking(int fd, bool on) noexcept {
  const int flags = counted(::fcntl, fd, F_GETFL);
  if (flags < 0) return last_error();
  const int wanted = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  if (wanted != flags && counted(::fcntl, fd, F_SETFL, wanted) < 0) return last_error();
  return {};
}

result<bool> get_inheritable(int fd) noexcept {
  const int flags = counted(::fcntl, fd, F_GETFD);
  if (flags < 0) return last_error();
  return (flags & FD_CLOEXEC) == 0;
}

std::error_code set_inheritable(int fd, bool on) noexcept {
  const int flags = counted(::fcntl, fd, F_GETFD);
  if (flags < 0) return last_error();
  const int wanted = on ? (flags & ~FD_CLOEXEC) : (flags | FD_CLOEXEC);
  if (counted(::fcntl, fd, F_SETFD, wanted) < 0) return last_error();
  return {};
}

result<socket_identity> identify(int fd) noexcept {
  int value = 0;
  socklen_t len = sizeof value;
  if (counted(::getsockopt, fd, SOL_SOCKET, SO_TYPE, &value, &len) != 0) return last_error();
  const auto t = from_native_type(value);
  if (!t) return std::error_code(ESOCKTNOSUPPORT, std::system_category());
  native_address n;
  n.length = sizeof n.storage;
  if (counted(::getsockname, fd, n.get(), &n.length) != 0) return last_error();
  const auto f = from_native_family(n.storage.ss_family);
  if (!f) return std::error_code(EAFNOSUPPORT, std::system_category());
  int proto = 0;
#if defined(SO_PROTOCOL)
  len = sizeof proto;
  if (counted(::getsockopt, fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) != 0) proto = 0;
#endif
  return socket_identity{*f, *t, proto};
}

std::error_code bind(int fd, const address& a) noexcept {
  const auto n = to_native(a);
  if (counted(::bind, fd, n.get(), n.length) != 0) return last_error();
  return {};
}

std::error_code listen(int fd, int backlog) noexcept {
  if (counted(::listen, fd, backlog) != 0) return last_error();
  return {};
}

int default_backlog() noexcept { return std::min(SOMAXCONN, 128); }

std::error_code connect(int fd, const address& a, const wait_policy& w) noexcept {
  const auto n = to_native(a);
  if (counted(::connect, fd, n.get(), n.length) == 0) return {};
  const int err = errno;
  // A connect interrupted by a signal goes on in the kernel: calling connect() again would give
  // EALREADY/EISCONN, so wait for it to finish and read its outcome from SO_ERROR (SIG-05).
  const bool in_flight = (err == EINPROGRESS && w.how == wait_policy::mode::deadline) ||
                         (err == EINTR && w.how != wait_policy::mode::nonblock);
  if (!in_flight) return {err, std::system_category()};
  if (auto ec = wait_ready(fd, POLLOUT, w)) return ec;
  int so_error = 0;
  socklen_t len = sizeof so_error;
  if (counted(::getsockopt, fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0) return last_error();
  if (so_error != 0) return {so_error, std::system_category()};
  return {};
}

result<accepted> accept(int fd, family f, const wait_policy& w) noexcept {
  native_address n;
  auto r = run_io(fd, POLLIN, w, [&] {
    n.length = sizeof n.storage;
#if defined(__linux__) || defined(__FreeBSD__)
    return counted(::accept4, fd, n.get(), &n.length, SOCK_CLOEXEC);
#else
    return counted(::accept, fd, n.get(), &n.length);
#endif
  });
  if (!r) return r.error();
  const int conn = static_cast<int>(*r);
#if !(defined(__linux__) || defined(__FreeBSD__))
  set_inheritable(conn, false);
#endif
#if defined(SO_NOSIGPIPE)
  const int one = 1;
  counted(::setsockopt, conn, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
  auto peer = from_native(n, f);
  if (!peer) {
    counted(::close, conn);
    return peer.error();
  }
  if (!*peer) {
    // Unnamed peers have an empty address of the listener's family.
    if (f == family::unix_domain) return accepted{conn, unix_address{}};
    counted(::close, conn);
    return std::error_code(EAFNOSUPPORT, std::system_category());
  }
  return accepted{conn, std::move(**peer)};
}

std::error_code shutdown(int fd, shut how) noexcept {
  const int native = how == shut::rd ? SHUT_RD : how == shut::wr ? SHUT_WR : SHUT_RDWR;
  if (counted(::shutdown, fd, native) != 0) return last_error();
  return {};
}

result<address> getsockname(int fd, family f) noexcept {
  native_address n;
  n.length = sizeof n.storage;
  if (counted(::getsockname, fd, n.get(), &n.length) != 0) return last_error();
  return required(from_native(n, f));
}

result<address> getpeername(int fd, family f) noexcept {
  native_address n;
  n.length = sizeof n.storage;
  if (counted(::getpeername, fd, n.get(), &n.length) != 0) return last_error();
  return required(from_native(n, f));
}

result<std::size_t> send(int fd, std::span<const std::byte> data, int flags, const wait_policy& w) noexcept {
  return run_io(fd, POLLOUT, w,
                [&] { return counted(::send, fd, data.data(), data.size(), flags | no_sigpipe_flag); });
}

result<std::size_t> sendto(int fd, std::span<const std::byte> data, const address& to, int flags,
                           const wait_policy& w) noexcept {
  const auto n = to_native(to);
  return run_io(fd, POLLOUT, w, [&] {
    return counted(::sendto, fd, data.data(), data.size(), flags | no_sigpipe_flag, n.get(), n.length);
  });
}

result<std::size_t> recv(int fd, std::span<std::byte> buf, int flags, const wait_policy& w) noexcept {
  return run_io(fd, POLLIN, w, [&] { return counted(::recv, fd, buf.data(), buf.size(), flags); });
}

result<recvfrom_into_result> recvfrom(int fd, family f, std::span<std::byte> buf, int flags,
                                      const wait_policy& w) noexcept {
  native_address n;
  auto r = run_io(fd, POLLIN, w, [&] {
    n.length = sizeof n.storage;
    return counted(::recvfrom, fd, buf.data(), buf.size(), flags, n.get(), &n.length);
  });
  if (!r) return r.error();
  auto from = from_native(n, f);
  if (!from) return from.error();
  return recvfrom_into_result{*r, std::move(*from)};
}

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

std::optional<std::array<std::uint8_t, 4>> parse_ipv4(const std::string& host) noexcept {
  std::array<std::uint8_t, 4> out{};
  if (::inet_pton(AF_INET, host.c_str(), out.data()) != 1) return std::nullopt;
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

std::optional<std::uint32_t> scope_id_of(const std::string& name) noexcept {
  if (name.empty()) return std::nullopt;
  if (std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (name.size() > 10) return std::nullopt;
    const unsigned long long v = std::stoull(name);
    if (v > UINT32_MAX) return std::nullopt;
    return static_cast<std::uint32_t>(v);
  }
  const unsigned index = ::if_nametoindex(name.c_str());
  if (index == 0) return std::nullopt;
  return index;
}

std::size_t unix_path_capacity() noexcept { return sizeof(sockaddr_un::sun_path); }

result<std::vector<addrinfo>> getaddrinfo(const std::optional<std::string>& host, const std::string& port,
                                          std::optional<family> f, std::optional<type> t, int proto,
                                          int flags) noexcept {
  ::addrinfo hints{};
  hints.ai_family = f ? native_family(*f) : AF_UNSPEC;
  hints.ai_socktype = t ? native_type(*t) : 0;
  hints.ai_protocol = proto;
  const std::pair<int, int> flag_map[] = {{ai::passive, AI_PASSIVE},
                                          {ai::canonname, AI_CANONNAME},
                                          {ai::numerichost, AI_NUMERICHOST},
                                          {ai::numericserv, AI_NUMERICSERV},
                                          {ai::addrconfig, AI_ADDRCONFIG},
                                          {ai::v4mapped, AI_V4MAPPED},
                                          {ai::all, AI_ALL}};
  for (const auto& [ours, native] : flag_map)
    if ((flags & ours) != 0) hints.ai_flags |= native;
  ::addrinfo* list = nullptr;
  const int rc =
      ::getaddrinfo(host ? host->c_str() : nullptr, port.empty() ? nullptr : port.c_str(), &hints, &list);
  if (rc == EAI_SYSTEM) return last_error();
  if (rc != 0) return std::error_code(rc, gai_category());
  std::vector<addrinfo> out;
  for (const ::addrinfo* p = list; p != nullptr; p = p->ai_next) {
    const auto fam = from_native_family(p->ai_family);
    const auto typ = from_native_type(p->ai_socktype);
    if (!fam || !typ || p->ai_addrlen > sizeof(sockaddr_storage)) continue;
    native_address n;
    std::memcpy(&n.storage, p->ai_addr, p->ai_addrlen);
    n.length = p->ai_addrlen;
    auto a = from_native(n, *fam);
    if (!a || !*a) continue;
    out.push_back({*fam, *typ, p->ai_protocol, p->ai_canonname ? p->ai_canonname : "", std::move(**a)});
  }
  ::freeaddrinfo(list);
  if (out.empty())
    return std::error_code(EAI_NONAME, gai_category());  // only families socklab does not model
  return out;
}

result<std::string> gethostname() noexcept {
  char buf[256] = {};
  if (counted(::gethostname, buf, sizeof buf - 1) != 0) return last_error();
  return std::string(buf);
}

}  // namespace sys

std::uint64_t thread_syscalls() noexcept { return sys::calls_made; }

const std::error_category& gai_category() noexcept {
  struct category final : std::error_category {
    const char* name() const noexcept override { return "getaddrinfo"; }
    std::string message(int code) const override { return ::gai_strerror(code); }
  };
  static const category instance;
  return instance;
}

}  // namespace socklab
