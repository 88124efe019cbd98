// SPDX-License-Identifier: MIT
#pragma once

#include <string_view>

namespace socklab {

/// The library's version ("0.1.0") and the git commit it was built from ("unknown" outside git).
std::string_view version() noexcept;
std::string_view git_commit() noexcept;

}  // namespace socklab
