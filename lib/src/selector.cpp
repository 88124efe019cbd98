// SPDX-License-Identifier: MIT
#include "socklab/selector.hpp"

#include <utility>

#include "sys/sys.hpp"

namespace socklab {

selector::selector() : fd_(sys::open_selector().value_or_throw("selector")) {}

selector::~selector() {
  if (fd_ >= 0) sys::close_fd(fd_);
}

selector::selector(selector&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

selector& selector::operator=(selector&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) sys::close_fd(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

std::error_code selector::try_add(const socket& s, interest events, std::uint64_t key, trigger how) noexcept {
  return sys::control_selector(fd_, sys::selector_change::add, s.fileno(), events, key, how);
}
void selector::add(const socket& s, interest events, std::uint64_t key, trigger how) {
  if (const auto ec = try_add(s, events, key, how)) throw_error(ec, "selector add");
}

std::error_code selector::try_modify(const socket& s, interest events, std::uint64_t key,
                                     trigger how) noexcept {
  return sys::control_selector(fd_, sys::selector_change::modify, s.fileno(), events, key, how);
}
void selector::modify(const socket& s, interest events, std::uint64_t key, trigger how) {
  if (const auto ec = try_modify(s, events, key, how)) throw_error(ec, "selector modify");
}

std::error_code selector::try_remove(const socket& s) noexcept {
  return sys::control_selector(fd_, sys::selector_change::remove, s.fileno(), interest{}, 0, trigger::level);
}
void selector::remove(const socket& s) {
  if (const auto ec = try_remove(s)) throw_error(ec, "selector remove");
}

result<std::size_t> selector::try_wait(std::span<ready_event> out, timeout t) noexcept {
  return sys::wait_selector(fd_, out, sys::wait_policy::from(t));
}
std::size_t selector::wait(std::span<ready_event> out, timeout t) {
  return try_wait(out, t).value_or_throw("select");
}

}  // namespace socklab
