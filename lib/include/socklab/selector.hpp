// SPDX-License-Identifier: MIT
// Python's selectors.DefaultSelector for socklab sockets: one kernel readiness set (epoll on
// Linux) that a thread waits on for many sockets at once. As in Python, a socket is registered
// with the events it waits for and a caller's key (Python's `data`), wait() returns the ready
// ones, a timeout of std::nullopt waits for ever and 0 only looks, and a wait interrupted by a
// signal goes on with the time left (PEP 475). Beyond Python: edge-triggered registration, and
// nanosecond timeouts where the kernel has epoll_pwait2 (Linux 5.11; else rounded up to 1 ms).
// wait() fills a caller's array: no allocation per call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "socklab/result.hpp"
#include "socklab/socket.hpp"

namespace socklab {

/// What a registration waits for: Python's EVENT_READ and EVENT_WRITE, combined with |.
enum class interest : unsigned { readable = 1, writable = 2 };
constexpr interest operator|(interest a, interest b) noexcept {
  return static_cast<interest>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}
constexpr bool has(interest set, interest one) noexcept {
  return (static_cast<unsigned>(set) & static_cast<unsigned>(one)) != 0;
}

/// level: reported while the condition holds (Python's only mode). edge: reported when it
/// becomes true, so the caller must read or write until the call would block before waiting again.
enum class trigger { level, edge };

/// One ready socket. An error or hang-up is reported as readable and writable too, as Python's
/// EpollSelector does, so that the next call on the socket raises the error or sees the end.
struct ready_event {
  std::uint64_t key = 0;
  bool readable = false;
  bool writable = false;
  bool error = false;   // EPOLLERR: the next call fails with the socket's pending error
  bool hangup = false;  // EPOLLHUP: both directions are shut, or the connection is gone
};

class selector {
 public:
  /// A new, empty set (close-on-exec). Throws error naming "selector" if the OS refuses.
  selector();
  ~selector();
  selector(selector&& other) noexcept;
  selector& operator=(selector&& other) noexcept;
  selector(const selector&) = delete;
  selector& operator=(const selector&) = delete;

  /// Python: register(sock, events, data). error(EEXIST) if `s` is registered already.
  void add(const socket& s, interest events, std::uint64_t key, trigger how = trigger::level);
  /// The try_ forms return the error instead of throwing it (a default code on success).
  std::error_code try_add(const socket& s, interest events, std::uint64_t key,
                          trigger how = trigger::level) noexcept;
  /// Python: modify(sock, events, data). error(ENOENT) if `s` is not registered.
  void modify(const socket& s, interest events, std::uint64_t key, trigger how = trigger::level);
  std::error_code try_modify(const socket& s, interest events, std::uint64_t key,
                             trigger how = trigger::level) noexcept;
  /// Python: unregister(sock). error(ENOENT) if `s` is not registered. Closing a socket removes it
  /// too (when no duplicate of its descriptor is open).
  void remove(const socket& s);
  std::error_code try_remove(const socket& s) noexcept;

  /// Python: select(timeout): waits until at least one registered socket is ready or the timeout
  /// passes, then writes up to out.size() ready sockets into `out` and returns how many (0: the
  /// timeout passed). Sockets left over are reported by the next call.
  std::size_t wait(std::span<ready_event> out, timeout t = std::nullopt);
  result<std::size_t> try_wait(std::span<ready_event> out, timeout t = std::nullopt) noexcept;

  /// The kernel object's descriptor (Python: EpollSelector's fileno()); -1 after a move.
  int fileno() const noexcept { return fd_; }

 private:
  int fd_ = -1;
};

}  // namespace socklab
