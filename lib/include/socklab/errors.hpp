// SPDX-License-Identifier: MIT
// Exceptions that mirror Python's OSError hierarchy (PEP 3151), built on std::system_error so that
// the errno is never lost: catch socklab::error where Python catches OSError, and the subclasses
// where Python catches ConnectionRefusedError, TimeoutError, BlockingIOError, ...
#pragma once

#include <cstddef>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace socklab {

/// Category of socklab's own conditions. `timed_out` is the library's internal timeout (Python
/// raises TimeoutError("timed out") with errno None for it); it compares equal to
/// std::errc::timed_out, so `e.code() == std::errc::timed_out` holds for internal and kernel
/// (ETIMEDOUT) timeouts alike. The others are bad arguments, found before any system call (Python
/// raises TypeError or ValueError for them): a try_* call returns them, its throwing form throws
/// std::invalid_argument; they compare equal to std::errc::address_family_not_supported and
/// std::errc::invalid_argument.
const std::error_category& socklab_category() noexcept;
enum class socklab_errc {
  timed_out = 1,
  family_mismatch,
  negative_size,
  nbytes_over_buffer,
  not_found,
  read_after_timeout,  // socket_file: a read after one timed out (Python's OSError without an errno)
};
std::error_code make_error_code(socklab_errc e) noexcept;

/// Category for getaddrinfo() EAI_* codes; message() comes from gai_strerror().
const std::error_category& gai_category() noexcept;
/// Category for the old resolver's h_errno codes (gethostbyname_ex, gethostbyaddr); message() from
/// hstrerror().
const std::error_category& herror_category() noexcept;

/// Python: OSError (socket.error). what() is "<operation>: <cause>", e.g. "connect: Connection refused".
class error : public std::system_error {
 public:
  error(std::error_code ec, const std::string& operation,
        std::optional<std::size_t> bytes_sent = std::nullopt)
      : std::system_error(ec, operation), operation_(operation), bytes_sent_(bytes_sent) {}
  /// The call that failed ("connect", "sendall", ...).
  const std::string& operation() const noexcept { return operation_; }
  /// sendall() only: how many bytes the kernel accepted before the failure (Python offers no way to
  /// learn this; the peer may have received any prefix of them).
  std::optional<std::size_t> bytes_sent() const noexcept { return bytes_sent_; }

 private:
  std::string operation_;
  std::optional<std::size_t> bytes_sent_;
};

/// Python: BlockingIOError (EAGAIN, EWOULDBLOCK, EINPROGRESS, EALREADY): a non-blocking call would block.
class blocking_io_error : public error {
  using error::error;
};
/// Python: InterruptedError. socklab retries EINTR itself (PEP 475), so this surfaces only from
/// calls that must not be retried.
class interrupted_error : public error {
  using error::error;
};
/// Python: ConnectionError, base of the four below.
class connection_error : public error {
  using error::error;
};
/// Python: BrokenPipeError (EPIPE, ESHUTDOWN): writing to a connection the peer has closed.
class broken_pipe_error : public connection_error {
  using connection_error::connection_error;
};
/// Python: ConnectionAbortedError (ECONNABORTED).
class connection_aborted_error : public connection_error {
  using connection_error::connection_error;
};
/// Python: ConnectionRefusedError (ECONNREFUSED).
class connection_refused_error : public connection_error {
  using connection_error::connection_error;
};
/// Python: ConnectionResetError (ECONNRESET).
class connection_reset_error : public connection_error {
  using connection_error::connection_error;
};
/// Python: TimeoutError / socket.timeout. Raised by the library's own deadline (code() is
/// socklab_errc::timed_out, what() ends in "timed out") and by a kernel ETIMEDOUT.
class timeout_error : public error {
  using error::error;
};
/// Python: FileNotFoundError (ENOENT), e.g. connecting to a missing AF_UNIX path.
class file_not_found_error : public error {
  using error::error;
};
/// Python: PermissionError (EACCES, EPERM), e.g. a raw socket without CAP_NET_RAW.
class permission_error : public error {
  using error::error;
};
/// Python: ProcessLookupError (ESRCH), e.g. SCM_CREDENTIALS naming a pid no process has.
class process_lookup_error : public error {
  using error::error;
};
/// Python: socket.gaierror. code() is in gai_category(); EAI_SYSTEM is reported as the errno it wraps.
class gai_error : public error {
  using error::error;
};

/// Python: socket.herror. code() is in herror_category() (HOST_NOT_FOUND, TRY_AGAIN, ...).
class herror : public error {
  using error::error;
};

/// Python: ExceptionGroup, from create_connection(..., all_errors=True): every candidate's
/// exception in the order the candidates were tried (rethrow one to catch it by its type). Not an
/// OSError, as in Python.
class error_group : public std::runtime_error {
 public:
  error_group(const std::string& what, std::vector<std::exception_ptr> exceptions)
      : std::runtime_error(what), exceptions_(std::move(exceptions)) {}
  const std::vector<std::exception_ptr>& exceptions() const noexcept { return exceptions_; }

 private:
  std::vector<std::exception_ptr> exceptions_;
};

/// Malformed or truncated data in socklab's message framing (Python would raise ValueError).
class protocol_error : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Throws the exception class that Python would raise for `ec` (the one place where codes become
/// exceptions, so every call maps errors the same way).
[[noreturn]] void throw_error(std::error_code ec, const std::string& operation,
                              std::optional<std::size_t> bytes_sent = std::nullopt);

}  // namespace socklab

template <>
struct std::is_error_code_enum<socklab::socklab_errc> : std::true_type {};
