// SPDX-License-Identifier: MIT
// What socklab's calls cost in system calls: not part of Python's socket module, but what a
// benchmark needs to show that a wrapper adds no hidden call (a poll() before each send, say).
#pragma once

#include <cstdint>

namespace socklab {

/// The number of system calls the calling thread has made through socklab since it started: every
/// call of the OS layer, each EINTR retry and each poll() of a timeout wait included. Resolver
/// calls (getaddrinfo) and pure conversions (inet_pton) are not system calls and do not count.
std::uint64_t thread_syscalls() noexcept;

}  // namespace socklab
