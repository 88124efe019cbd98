// SPDX-License-Identifier: MIT
#include "socklab/errors.hpp"

#include <cerrno>

namespace socklab {

const std::error_category& socklab_category() noexcept {
  struct category final : std::error_category {
    const char* name() const noexcept override { return "socklab"; }
    std::string message(int code) const override {
      return code == static_cast<int>(socklab_errc::timed_out) ? "timed out" : "unknown socklab error";
    }
    bool equivalent(int code, const std::error_condition& cond) const noexcept override {
      return code == static_cast<int>(socklab_errc::timed_out) && cond == std::errc::timed_out;
    }
  };
  static const category instance;
  return instance;
}

std::error_code make_error_code(socklab_errc e) noexcept { return {static_cast<int>(e), socklab_category()}; }

void throw_error(std::error_code ec, const std::string& operation, std::optional<std::size_t> bytes_sent) {
  if (ec.category() == gai_category()) throw gai_error(ec, operation);
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
      default:
        break;
    }
  }
  throw error(ec, operation, bytes_sent);
}

}  // namespace socklab
