// SPDX-License-Identifier: MIT
// socklab::uring where the build has no liburing (another OS, or Linux without liburing-dev): every
// ring fails to open with ENOTSUP, and probe_uring() says why.
#include <cerrno>

#include "socklab/uring.hpp"

namespace socklab {

struct uring::state {};

uring::uring(unsigned /*entries*/) {
  throw_error(std::error_code(ENOTSUP, std::generic_category()), "uring");
}
uring::~uring() = default;
uring::uring(uring&& other) noexcept = default;
uring& uring::operator=(uring&& other) noexcept = default;

// A ring never exists, so none of these can be reached.
void uring::register_buffers(std::span<const std::span<std::byte>> /*buffers*/) {}
void uring::provide_buffers(std::uint16_t /*count*/, std::size_t /*size*/) {}
std::span<const std::byte> uring::provided(std::uint16_t /*id*/, std::size_t /*bytes*/) const { return {}; }
void uring::give_back(std::uint16_t /*id*/) {}
void uring::send(const socket& /*s*/, std::span<const std::byte> /*data*/, std::uint64_t /*tag*/,
                 chain /*c*/) {}
void uring::recv(const socket& /*s*/, std::span<std::byte> /*buffer*/, std::uint64_t /*tag*/, chain /*c*/) {}
void uring::send_registered(const socket& /*s*/, std::span<const std::byte> /*data*/, unsigned /*index*/,
                            std::uint64_t /*tag*/, chain /*c*/) {}
void uring::recv_registered(const socket& /*s*/, std::span<std::byte> /*buffer*/, unsigned /*index*/,
                            std::uint64_t /*tag*/, chain /*c*/) {}
void uring::recv_multishot(const socket& /*s*/, std::uint64_t /*tag*/) {}
std::size_t uring::submit() { return 0; }
result<std::size_t> uring::try_wait(std::span<uring_completion> /*out*/, std::size_t /*min*/,
                                    std::optional<std::chrono::nanoseconds> /*timeout*/) noexcept {
  return std::error_code(ENOTSUP, std::generic_category());
}
std::size_t uring::wait(std::span<uring_completion> out, std::size_t min,
                        std::optional<std::chrono::nanoseconds> timeout) {
  return try_wait(out, min, timeout).value_or_throw("uring wait");
}

uring_support probe_uring() {
  uring_support s;
  s.why_not = "built without liburing";
  return s;
}

}  // namespace socklab
