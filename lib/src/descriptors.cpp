// SPDX-License-Identifier: MIT
#include "socklab/descriptors.hpp"

#include <cstring>
#include <stdexcept>

#include "sys/sys.hpp"

namespace socklab {

void unique_fd::reset(int fd) noexcept {
  if (fd_ >= 0) (void)sys::close_fd(fd_);
  fd_ = fd;
}

std::size_t cmsg_len(std::size_t n) { return sys::control_length(n); }
std::size_t cmsg_space(std::size_t n) { return sys::control_space(n); }

control_message rights(std::span<const int> fds) {
  control_message item{scm::sol_socket, scm::rights, std::vector<std::byte>(fds.size_bytes())};
  if (!fds.empty()) std::memcpy(item.data.data(), fds.data(), fds.size_bytes());
  return item;
}

std::vector<int> rights_of(const control_message& item) {
  if (item.level != scm::sol_socket || item.type != scm::rights)
    throw std::invalid_argument("rights_of: not an SCM_RIGHTS item (level " + std::to_string(item.level) +
                                ", type " + std::to_string(item.type) + ")");
  std::vector<int> fds(item.data.size() / sizeof(int));
  if (!fds.empty()) std::memcpy(fds.data(), item.data.data(), fds.size() * sizeof(int));
  return fds;
}

peer_credentials peer_credentials_of(const socket& s) {
  return sys::peer_credentials_of(s.fileno()).value_or_throw("getsockopt(SO_PEERCRED)");
}

std::size_t send_fds(socket& s, std::span<const std::span<const std::byte>> buffers, std::span<const int> fds,
                     int flags, const std::optional<address>& to) {
  const control_message item = rights(fds);
  return s.sendmsg(buffers, std::span(&item, 1), flags, to);
}

recv_fds_result recv_fds(socket& s, std::ptrdiff_t bufsize, std::size_t maxfds, int flags) {
  // Python sizes the buffer with CMSG_LEN, not CMSG_SPACE: the same descriptors fit either way.
  auto m = s.recvmsg(bufsize, cmsg_len(maxfds * sizeof(int)), flags);
  recv_fds_result out{std::move(m.data), {}, m.msg_flags, std::move(m.addr)};
  // Owned before anything can throw: every descriptor that arrived is closed on every path.
  for (const auto& item : m.ancdata)
    if (item.level == scm::sol_socket && item.type == scm::rights)
      for (const int fd : rights_of(item)) out.fds.emplace_back(fd);
  return out;
}

}  // namespace socklab
