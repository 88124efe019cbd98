// SPDX-License-Identifier: MIT
// The context of a run (OS, kernel, CPU, compiler, socklab build, networking sysctls), recorded in
// every result file so that results from different machines are never compared blindly.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace socklab::harness {

/// A JSON object describing this machine and build; keys absent where the OS does not say.
nlohmann::json run_context();

/// The first line of a /proc/sys file (e.g. "net/core/somaxconn"), if readable here.
std::optional<std::string> read_sysctl(const std::string& name);

/// Writes `text` to `path` through a temporary file and a rename, so that a failure never leaves a
/// half-written file where a good one was. Throws std::runtime_error naming the path and the cause.
void write_file_atomically(const std::string& path, const std::string& text);

/// Why `path` could not be written later ("" if its folder exists and is writable): checked
/// before a long run, so that a typo costs nothing.
std::string unwritable_reason(const std::string& path);

}  // namespace socklab::harness
