// SPDX-License-Identifier: MIT
// socklab::socket_file: Python's socket.makefile() — a buffered byte stream over a connected socket
// (Python's BufferedReader / BufferedWriter / BufferedRWPair over a SocketIO).
//
// Ownership replaces Python's reference counting: the file owns the socket it was made from, so it
// can never outlive it. Python keeps the connection open until both the socket and every file made
// from it are closed; here closing (or destroying) the file closes the socket, and sock() reaches
// it for settimeout(), shutdown() or getpeername() in between.
//
// Timeouts are the socket's, per call to the OS, as in Python: read(n) that needs several recv()
// calls may wait up to its timeout in each. After a read has timed out the file refuses to read
// again (Python: OSError "cannot read from timed out object"), because a timed-out buffered read
// may have lost bytes it had already taken from the socket; the socket itself still reads.
//
// On a non-blocking socket a read returns what it could get, and throws blocking_io_error when that
// is nothing (Python returns None); a flush that would block throws blocking_io_error and keeps
// what was not sent. Reads and writes on a closed file, reads on a write-only file and writes on a
// read-only one throw std::invalid_argument (Python: ValueError, io.UnsupportedOperation).
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "socklab/socket.hpp"

namespace socklab {

class socket_file {
 public:
  /// Python: io.DEFAULT_BUFFER_SIZE, makefile()'s buffer size when buffering is omitted.
  static constexpr std::size_t default_buffer_size = 8192;

  /// Python: sock.makefile(mode, buffering). `mode` is made of 'r', 'w' and 'b' ("r" when empty,
  /// as Python's default); the file is always binary (decode() the bytes for text). Throws
  /// std::invalid_argument for another character or for buffering 0 (Python's unbuffered SocketIO:
  /// use the socket's own recv/send instead).
  explicit socket_file(socklab::socket&& s, std::string_view mode = "r",
                       std::optional<std::size_t> buffering = std::nullopt);
  /// Flushes (errors swallowed, as Python's finaliser does) and closes the socket.
  ~socket_file();
  socket_file(socket_file&& other) noexcept;
  socket_file& operator=(socket_file&& other) noexcept;
  socket_file(const socket_file&) = delete;
  socket_file& operator=(const socket_file&) = delete;

  /// Python: read(n): exactly n bytes, fewer only at end of stream (then empty once all is read);
  /// std::nullopt (Python's read() / read(-1)) reads to end of stream.
  std::vector<std::byte> read(std::optional<std::size_t> n = std::nullopt);
  /// Python: read1(n): at most n bytes with at most one recv(): what is buffered, or one call's worth.
  std::vector<std::byte> read1(std::size_t n);
  /// Python: readinto(b): fills the buffer, fewer only at end of stream; returns how many.
  std::size_t readinto(std::span<std::byte> buffer);
  /// Python: readline([limit]): through the next b"\n" (kept), or up to `limit` bytes, or to end of
  /// stream; empty at end of stream.
  std::vector<std::byte> readline(std::optional<std::size_t> limit = std::nullopt);

  /// Python: write(b) -> len(b): buffered; the buffer goes out when full, on flush() and on close().
  /// A write whose flush throws has still taken `data`: it stays buffered with the rest unsent.
  std::size_t write(std::span<const std::byte> data);
  /// Python: flush(): sends everything buffered. On failure the bytes not sent stay buffered.
  void flush();

  /// Python: close(): flushes, then closes the socket even when the flush failed (and rethrows
  /// that failure). Idempotent.
  void close();
  bool closed() const noexcept { return !open_; }
  bool readable() const noexcept { return reads_; }
  bool writable() const noexcept { return writes_; }
  /// Python: fileno().
  int fileno() const noexcept { return socket_.fileno(); }
  /// The socket the file reads and writes (Python's file._sock); bytes the file has buffered are
  /// not seen by the socket's own recv().
  socklab::socket& sock() noexcept { return socket_; }

 private:
  // Reads may proceed: open, readable, not timed out. Throws otherwise.
  void check_readable(const char* operation) const;
  // One recv() into `into`, recording a timeout; 0 at end of stream.
  std::size_t receive(std::span<std::byte> into);
  // Refills the empty buffer with one recv(); false at end of stream.
  bool refill();
  std::span<const std::byte> buffered() const noexcept;
  std::size_t take(std::span<std::byte> into) noexcept;

  socklab::socket socket_;
  std::size_t capacity_;
  bool reads_ = false;
  bool writes_ = false;
  bool open_ = true;
  bool timed_out_ = false;
  std::vector<std::byte> in_;  // read-ahead: in_[in_pos_, in_end_) not yet handed out
  std::size_t in_pos_ = 0;
  std::size_t in_end_ = 0;
  std::vector<std::byte> out_;  // written, not yet sent
};

/// Python: sock.makefile(mode, buffering), with the socket moved into the file.
inline socket_file makefile(socket&& s, std::string_view mode = "r",
                            std::optional<std::size_t> buffering = std::nullopt) {
  return socket_file(std::move(s), mode, buffering);
}

}  // namespace socklab
