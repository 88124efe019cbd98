// SPDX-License-Identifier: MIT
// POSIX: opening, duplicating, closing and inspecting descriptors.
#include "sys/posix.hpp"

namespace socklab::sys {

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

}  // namespace socklab::sys
