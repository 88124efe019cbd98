// SPDX-License-Identifier: MIT
// result<T>: a value or an error code, for the non-throwing try_* calls. Member names follow
// std::expected so that a C++23 build could swap it in.
#pragma once

#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>

#include "socklab/errors.hpp"

namespace socklab {

template <class T>
class [[nodiscard]] result {
 public:
  result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(google-explicit-constructor)
  result(std::error_code ec) : v_(std::in_place_index<1>, ec) {}     // NOLINT(google-explicit-constructor)

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  /// The error; a default (success) code when has_value().
  std::error_code error() const noexcept { return has_value() ? std::error_code{} : std::get<1>(v_); }

  /// The value, or the Python-equivalent exception naming `operation`. The name becomes a string
  /// only on the error path: a successful call costs no strlen and no copy (a send or recv of a
  /// small datagram is a few hundred nanoseconds, and that copy had been a sixth of socklab's part).
  T value_or_throw(std::string_view operation) && {
    if (!has_value()) throw_error(std::get<1>(v_), std::string(operation));
    return std::get<0>(std::move(v_));
  }

 private:
  std::variant<T, std::error_code> v_;  // unlike sockpp's result, T need not be default-constructible
};

}  // namespace socklab
