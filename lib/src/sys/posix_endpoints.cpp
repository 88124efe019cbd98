// SPDX-License-Identifier: MIT
// POSIX: bind, listen, connect, accept, shutdown and the names of a socket's ends.
#include <algorithm>

#include "sys/posix.hpp"

namespace socklab::sys {

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

}  // namespace socklab::sys
