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

result<std::size_t> sendfile(int fd, int file, std::uint64_t offset, std::size_t count,
                             const wait_policy& w) noexcept {
#ifdef __linux__
  auto off = static_cast<off_t>(offset);
  return run_io(fd, POLLOUT, w, [&] { return counted(::sendfile, fd, file, &off, count); });
#else
  (void)fd, (void)file, (void)offset, (void)count, (void)w;
  return std::error_code(ENOSYS, std::system_category());
#endif
}

result<std::size_t> read_at(int file, std::span<std::byte> buf, std::uint64_t offset) noexcept {
  for (;;) {
    auto n = counted(::pread, file, buf.data(), buf.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == ESPIPE) n = counted(::read, file, buf.data(), buf.size());  // a pipe: in order
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) return last_error();
  }
}

std::error_code seek_to(int file, std::uint64_t offset) noexcept {
  if (::lseek(file, static_cast<off_t>(offset), SEEK_SET) < 0 && errno != ESPIPE) return last_error();
  return {};
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
