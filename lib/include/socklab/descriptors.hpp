// SPDX-License-Identifier: MIT
// AF_UNIX's process-to-process extras. Passing descriptors (SCM_RIGHTS), Python's send_fds and
// recv_fds, with the received descriptors owned: each arrives close-on-exec in a unique_fd that
// closes it, so that neither an exception nor an exec leaks one. Also the control-buffer sizes
// (Python's CMSG_LEN / CMSG_SPACE) and the SCM_RIGHTS item's builder and parser; and the peer's
// credentials (SO_PEERCRED).
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "socklab/socket.hpp"

namespace socklab {

/// A descriptor owned: closed when destroyed (errors ignored, as close() on a socket's destructor).
class unique_fd {
 public:
  unique_fd() = default;
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  ~unique_fd() { reset(); }
  unique_fd(unique_fd&& other) noexcept : fd_(other.release()) {}
  unique_fd& operator=(unique_fd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  /// Gives the descriptor up (the caller closes it); -1 after.
  int release() noexcept {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  /// Closes the current descriptor, if any, and owns `fd`.
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

/// Python: CMSG_LEN(n): the length of an item of n data bytes, without trailing padding.
std::size_t cmsg_len(std::size_t n);
/// Python: CMSG_SPACE(n): the control-buffer bytes an item of n data bytes takes, padding included.
std::size_t cmsg_space(std::size_t n);

/// The SCM_RIGHTS item that passes `fds` (they stay open and owned by the caller).
control_message rights(std::span<const int> fds);
/// The descriptors of an SCM_RIGHTS item; a truncated trailing int is dropped (Python's recv_fds).
/// std::invalid_argument for an item of another level or type.
std::vector<int> rights_of(const control_message& item);

/// The peer's credentials on a connected AF_UNIX socket (Linux SO_PEERCRED; Python reads the same
/// with getsockopt(SOL_SOCKET, SO_PEERCRED, 12) and struct.unpack("3i")). Throws error
/// (ENOPROTOOPT where the OS has no such option).
peer_credentials peer_credentials_of(const socket& s);

/// Python: socket.send_fds(sock, buffers, fds[, flags[, address]]) -> bytes sent.
std::size_t send_fds(socket& s, std::span<const std::span<const std::byte>> buffers, std::span<const int> fds,
                     int flags = 0, const std::optional<address>& to = std::nullopt);

struct recv_fds_result {
  std::vector<std::byte> data;
  std::vector<unique_fd> fds;  // close-on-exec
  int msg_flags = 0;           // msg::ctrunc: more descriptors were sent than maxfds (the kernel closed them)
  std::optional<address> addr;
};
/// Python: socket.recv_fds(sock, bufsize, maxfds[, flags]) -> (data, fds, msg_flags, address).
recv_fds_result recv_fds(socket& s, std::ptrdiff_t bufsize, std::size_t maxfds, int flags = 0);

}  // namespace socklab
