// SPDX-License-Identifier: MIT
// socklab::socket: Python's socket.socket as a move-only C++ value that owns its descriptor.
//
// Timeouts follow Python exactly ("Notes on socket timeouts"):
//   gettimeout() == std::nullopt  blocking mode: calls wait in the kernel as long as needed;
//   gettimeout() == 0             non-blocking: a call that would wait throws blocking_io_error;
//   gettimeout() > 0              timeout mode: the descriptor is O_NONBLOCK underneath and each
//                                 call polls against one deadline, throwing timeout_error.
// Signals never break a call (EINTR is retried with the remaining time, PEP 475), and writing to a
// closed peer raises broken_pipe_error/connection_reset_error instead of killing the process.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "socklab/address.hpp"
#include "socklab/errors.hpp"
#include "socklab/result.hpp"
#include "socklab/vocabulary.hpp"

namespace socklab {

class socket;
struct accept_result;

class socket {
 public:
  /// Python: socket.socket(family, type, proto). Close-on-exec; takes getdefaulttimeout().
  /// Throws error (EAFNOSUPPORT, EPROTONOSUPPORT, EMFILE, permission_error for raw sockets, ...).
  explicit socket(socklab::family f = socklab::family::inet, socklab::type t = socklab::type::stream,
                  int proto = 0);
  /// Python: socket.socket(fileno=fd). Takes ownership of `fd` and detects family, type and protocol.
  /// Throws std::invalid_argument for a negative fd, error(EBADF/ENOTSOCK) for a bad one, and error
  /// (EAFNOSUPPORT) for a family socklab does not model; `fd` is left open when it throws.
  static socket from_fd(int fd);

  ~socket();  // closes; errors are swallowed (a destructor cannot report them: call close() first)
  socket(socket&& other) noexcept;
  socket& operator=(socket&& other) noexcept;  // closes the current descriptor first
  socket(const socket&) = delete;
  socket& operator=(const socket&) = delete;

  socklab::family family() const noexcept { return family_; }
  socklab::type type() const noexcept { return type_; }  // never carries NONBLOCK/CLOEXEC bits
  int proto() const noexcept { return proto_; }

  /// Python: bind(address). Throws error (EADDRINUSE, EINVAL when already bound, EACCES, ...).
  void bind(const address& local);
  /// Python: listen([backlog]). Omitted: min(SOMAXCONN, 128); negative is clamped to 0 (FreeBSD
  /// would read it as "maximum"); the kernel caps silently at its own limit (somaxconn).
  void listen(std::optional<int> backlog = std::nullopt);
  /// Python: accept() -> (conn, address). The new socket is close-on-exec and takes
  /// getdefaulttimeout(), or blocking mode when that is none, on every OS (Python's rule).
  /// Throws timeout_error / blocking_io_error per this socket's timeout, error(EINVAL) if not listening.
  accept_result accept();
  result<accept_result> try_accept() noexcept;

  /// Python: connect(address). In timeout mode: a non-blocking connect plus a bounded wait, then
  /// SO_ERROR. Non-blocking mode throws blocking_io_error (EINPROGRESS). An EINTR waits for the
  /// connection in flight instead of calling connect() again.
  void connect(const address& peer);
  /// Python: connect_ex(address): 0 or the errno instead of throwing (EWOULDBLOCK on timeout,
  /// EINPROGRESS in non-blocking mode). Argument errors still throw.
  int connect_ex(const address& peer);

  // Each try_* form is the implementation and its throwing form a thin wrapper: the same checks,
  // in the same order; what the throwing form throws, the try_* form returns as a code (an OS
  // error's errno, or a socklab_errc for a bad argument, which the throwing form throws as
  // std::invalid_argument).

  /// Python: send(data[, flags]) -> bytes the kernel accepted, possibly fewer than data.size().
  std::size_t send(std::span<const std::byte> data, int flags = 0);
  result<std::size_t> try_send(std::span<const std::byte> data, int flags = 0) noexcept;
  /// Python: sendall(data[, flags]): sends every byte or throws. The timeout bounds the whole call,
  /// not each chunk. Unlike Python, the exception's bytes_sent() says how many bytes went out.
  void sendall(std::span<const std::byte> data, int flags = 0);
  /// Python: sendfile(file[, offset[, count]]) -> bytes sent: the file descriptor's bytes from
  /// `offset` (count bytes, or to end of file) through the kernel's zero-copy sendfile(2) where it
  /// can, a read-and-send loop where it cannot (a pipe, an OS without it), as Python does; then the
  /// file's position is offset + bytes sent, as Python's file.seek() leaves it. The timeout bounds
  /// the whole call, as sendall's (Python's bounds each wait); a non-blocking socket is
  /// std::invalid_argument (Python's ValueError). Throws error, keeping bytes_sent().
  std::size_t sendfile(int file, std::uint64_t offset = 0, std::optional<std::size_t> count = std::nullopt);
  /// Python: sendto(data, address) -> bytes sent (a datagram is sent whole or fails, EMSGSIZE).
  std::size_t sendto(std::span<const std::byte> data, const address& to, int flags = 0);
  result<std::size_t> try_sendto(std::span<const std::byte> data, const address& to, int flags = 0) noexcept;

  /// Python: recv(bufsize[, flags]) -> at most bufsize bytes; empty on orderly shutdown (and for
  /// a zero-length datagram). recv(0) returns empty without a system call, so it never consumes a
  /// datagram. Throws std::invalid_argument for a negative bufsize. One allocation.
  std::vector<std::byte> recv(std::ptrdiff_t bufsize, int flags = 0);
  /// Python: recv_into(buffer[, nbytes[, flags]]): nbytes 0 means buffer.size(); more than
  /// buffer.size() or negative throws std::invalid_argument. No allocation.
  std::size_t recv_into(std::span<std::byte> buffer, std::ptrdiff_t nbytes = 0, int flags = 0);
  result<std::size_t> try_recv_into(std::span<std::byte> buffer, std::ptrdiff_t nbytes = 0,
                                    int flags = 0) noexcept;
  /// Python: recvfrom(bufsize) -> (data, sender). Always makes the system call, even for 0.
  /// A datagram longer than bufsize is truncated and its rest discarded (POSIX semantics).
  recvfrom_result recvfrom(std::ptrdiff_t bufsize, int flags = 0);
  /// Python: recvfrom_into(buffer[, nbytes[, flags]]) -> (nbytes, sender). No allocation.
  recvfrom_into_result recvfrom_into(std::span<std::byte> buffer, std::ptrdiff_t nbytes = 0, int flags = 0);
  result<recvfrom_into_result> try_recvfrom_into(std::span<std::byte> buffer, std::ptrdiff_t nbytes = 0,
                                                 int flags = 0) noexcept;

  /// Python: sendmsg(buffers[, ancdata[, flags[, address]]]) -> bytes sent: the buffers gathered in
  /// one call, with ancillary items (see socklab/descriptors.hpp for descriptors). Waits and times
  /// out as send() does; an address of another family is std::invalid_argument.
  std::size_t sendmsg(std::span<const std::span<const std::byte>> buffers,
                      std::span<const control_message> ancdata = {}, int flags = 0,
                      const std::optional<address>& to = std::nullopt);
  result<std::size_t> try_sendmsg(std::span<const std::span<const std::byte>> buffers,
                                  std::span<const control_message> ancdata = {}, int flags = 0,
                                  const std::optional<address>& to = std::nullopt) noexcept;
  /// Python: recvmsg(bufsize[, ancbufsize[, flags]]): up to bufsize bytes and up to ancbufsize bytes
  /// of control buffer (cmsg_space(n) holds one item of n bytes). Descriptors that arrive are
  /// close-on-exec (MSG_CMSG_CLOEXEC), unlike Python's, and the caller owns them. Negative bufsize
  /// is std::invalid_argument. Waits and times out as recv() does.
  recvmsg_result recvmsg(std::ptrdiff_t bufsize, std::size_t ancbufsize = 0, int flags = 0);
  /// Python: recvmsg_into(buffers[, ancbufsize[, flags]]): scatters into the buffers in order.
  recvmsg_into_result recvmsg_into(std::span<const std::span<std::byte>> buffers, std::size_t ancbufsize = 0,
                                   int flags = 0);

  /// Python: shutdown(how). Throws error(ENOTCONN) on an unconnected socket.
  void shutdown(shut how);
  /// Python: close(). Idempotent; reports a close() failure except ECONNRESET; never retries EINTR
  /// (the descriptor is gone either way on Linux, and a retry could close a recycled one).
  void close();
  /// Python: detach() -> the descriptor, which the caller now owns; fileno() becomes -1.
  int detach() noexcept;
  /// Python: fileno(); -1 once closed or detached.
  int fileno() const noexcept { return fd_; }
  /// Python: dup(): a new, independent socket object on the same endpoint (close-on-exec).
  socket dup() const;

  /// Python: settimeout(). Throws std::invalid_argument for a negative duration.
  void settimeout(timeout t);
  timeout gettimeout() const noexcept { return timeout_; }
  /// Python: setblocking(flag): true == settimeout(nullopt), false == settimeout(0).
  void setblocking(bool flag) { settimeout(flag ? timeout{} : timeout{std::chrono::nanoseconds::zero()}); }
  /// Python: getblocking() == (gettimeout() != 0): true in timeout mode too.
  bool getblocking() const noexcept { return !timeout_ || timeout_->count() != 0; }

  /// Python: get_inheritable()/set_inheritable(): whether the descriptor survives exec.
  bool get_inheritable() const;
  void set_inheritable(bool inheritable);

  /// Python: getsockname(), getpeername(). An unbound AF_UNIX socket reports the unnamed address.
  address getsockname() const;
  address getpeername() const;

  /// Typed options; bool options read back as 0/1.
  void setsockopt(option opt, int value);
  int getsockopt(option opt) const;
  /// Raw escape hatch: any level/name, with an int or a byte buffer (e.g. TCP_CONGESTION).
  void setsockopt(int level, int name, int value);
  void setsockopt(int level, int name, std::span<const std::byte> value);
  int getsockopt(int level, int name) const;
  /// Fills `buffer`, returns the option's length.
  std::size_t getsockopt(int level, int name, std::span<std::byte> buffer) const;

 private:
  socket(int fd, socklab::family f, socklab::type t, int proto, timeout t_mode) noexcept;
  friend std::pair<socket, socket> socketpair(socklab::family, socklab::type, int);

  int fd_ = -1;  // owned; -1 once closed, detached or moved from
  socklab::family family_ = socklab::family::inet;
  socklab::type type_ = socklab::type::stream;
  int proto_ = 0;
  timeout timeout_;
};

/// Python: (conn, address) = accept(); `auto [conn, addr] = server.accept();`
struct accept_result {
  socket conn;
  address addr;
};

/// Python-style repr: "<socklab.socket fd=3, family=inet, type=stream, proto=0, laddr=127.0.0.1:5000>".
std::string to_string(const socket& s);
std::ostream& operator<<(std::ostream& os, const socket& s);
std::string_view to_string(socklab::type t) noexcept;

/// Python: setdefaulttimeout()/getdefaulttimeout(): applies to sockets created afterwards
/// (including accepted ones and create_connection's). Throws std::invalid_argument when negative.
void setdefaulttimeout(timeout t);
timeout getdefaulttimeout() noexcept;

/// Python: socketpair([family[, type[, proto]]]): two connected sockets (AF_UNIX where it exists).
std::pair<socket, socket> socketpair(socklab::family f = family::unix_domain, socklab::type t = type::stream,
                                     int proto = 0);

/// Bytes of a string, for send(as_bytes("ping")).
inline std::span<const std::byte> as_bytes(std::string_view s) noexcept {
  return std::as_bytes(std::span{s.data(), s.size()});
}
/// A view of bytes as text; the bytes must outlive the view.
inline std::string_view as_text(std::span<const std::byte> b) noexcept {
  return {reinterpret_cast<const char*>(b.data()),
          b.size()};  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
}
/// A view of a temporary would dangle (`std::string_view s = as_text(b.recv(16));` was a
/// use-after-free): refused at compile time. Use decode(), which owns its text.
std::string_view as_text(std::vector<std::byte>&&) = delete;

/// Python: data.decode(): the bytes as a string of their own, safe on a temporary
/// (`decode(s.recv(16)) == "ping"`). No character set is applied: the bytes are copied as they are.
inline std::string decode(std::span<const std::byte> b) { return std::string(as_text(b)); }

}  // namespace socklab
