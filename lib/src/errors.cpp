// SPDX-License-Identifier: MIT
#include "socklab/errors.hpp"

#include <cerrno>
#include <stdexcept>

namespace socklab {

const std::error_category& socklab_category() noexcept {
  struct category final : std::error_category {
    const char* name() const noexcept override { return "socklab"; }
    std::string message(int code) const override {
      switch (static_cast<socklab_errc>(code)) {
        case socklab_errc::timed_out:
          return "timed out";
        case socklab_errc::family_mismatch:
          return "the address's family is not the socket's";
        case socklab_errc::negative_size:
          return "negative buffer size";
        case socklab_errc::nbytes_over_buffer:
          return "nbytes is larger than the buffer";
        case socklab_errc::not_found:
          return "not found";
        case socklab_errc::read_after_timeout:
          return "cannot read from timed out object";
      }
      return "unknown socklab error";
    }
    bool equivalent(int code, const std::error_condition& cond) const noexcept override {
      switch (static_cast<socklab_errc>(code)) {
        case socklab_errc::timed_out:
          return cond == std::errc::timed_out;
        case socklab_errc::family_mismatch:
          return cond == std::errc::address_family_not_supported;
        case socklab_errc::negative_size:
        case socklab_errc::nbytes_over_buffer:
          return cond == std::errc::invalid_argument;
        case socklab_errc::not_found:  // Python's OSError with no errno
        case socklab_errc::read_after_timeout:
          return false;
      }
      return false;
    }
  };
  static const category instance;
  return instance;
}

std::error_code make_error_code(socklab_errc e) noexcept { return {static_cast<int>(e), socklab_category()}; }

void throw_error(std::error_code ec, const std::string& operation, std::optional<std::size_t> bytes_sent) {
  if (ec.category() == gai_category()) throw gai_error(ec, operation);
  if (ec.category() == herror_category()) throw herror(ec, operation);
  if (ec == socklab_errc::not_found || ec == socklab_errc::read_after_timeout)
    throw error(ec, operation);  // Python: OSError(message), no errno
  if (ec.category() == socklab_category() && ec != socklab_errc::timed_out)
    throw std::invalid_argument(operation + ": " + ec.message());  // Python: TypeError / ValueError
  if (ec == std::errc::timed_out) throw timeout_error(ec, operation, bytes_sent);
  if (ec.category() == std::system_category() || ec.category() == std::generic_category()) {
    switch (ec.value()) {
      case EAGAIN:
#if EWOULDBLOCK != EAGAIN
      case EWOULDBLOCK:
#endif
      case EINPROGRESS:
      case EALREADY:
        throw blocking_io_error(ec, operation, bytes_sent);
      case EINTR:
        throw interrupted_error(ec, operation, bytes_sent);
      case EPIPE:
      case ESHUTDOWN:
        throw broken_pipe_error(ec, operation, bytes_sent);
      case ECONNABORTED:
        throw connection_aborted_error(ec, operation, bytes_sent);
      case ECONNREFUSED:
        throw connection_refused_error(ec, operation, bytes_sent);
      case ECONNRESET:
        throw connection_reset_error(ec, operation, bytes_sent);
      case ENOENT:
        throw file_not_found_error(ec, operation, bytes_sent);
      case EACCES:
      case EPERM:
        throw permission_error(ec, operation, bytes_sent);
      case ESRCH:
        throw process_lookup_error(ec, operation, bytes_sent);
      default:
        break;
    }
  }
  throw error(ec, operation, bytes_sent);
}

}  // namespace socklab
