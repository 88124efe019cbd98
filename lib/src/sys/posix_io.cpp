// SPDX-License-Identifier: MIT
// POSIX: sending and receiving, each call under the socket's wait policy.
#include "sys/posix.hpp"

namespace socklab {

namespace msg {
const int peek = MSG_PEEK;
const int waitall = MSG_WAITALL;
const int dontwait = MSG_DONTWAIT;
const int oob = MSG_OOB;
const int trunc = MSG_TRUNC;
}  // namespace msg

namespace sys {

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
  // No address from the OS (a connected stream socket, an unbound AF_UNIX datagram sender):
  // Python's None, whatever the family.
  if (n.length == 0) return recvfrom_into_result{*r, std::nullopt};
  auto from = from_native(n, f);
  if (!from) return from.error();
  return recvfrom_into_result{*r, std::move(*from)};
}

}  // namespace sys
}  // namespace socklab
