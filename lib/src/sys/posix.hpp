// SPDX-License-Identifier: MIT
// What the POSIX files of the OS layer share: the call counter every system call goes through,
// conversions between socklab's types and the platform's, and the one wait-and-retry loop. Only
// lib/src/sys/posix_*.cpp include it; the rest of socklab sees sys.hpp.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#ifdef __linux__
#include <sys/sendfile.h>
#endif
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <utility>

#include "sys/sys.hpp"

namespace socklab::sys {

inline thread_local std::uint64_t calls_made = 0;

#if defined(MSG_NOSIGNAL)
constexpr int no_sigpipe_flag = MSG_NOSIGNAL;  // per call, never the process-wide disposition
#else
constexpr int no_sigpipe_flag = 0;  // macOS: SO_NOSIGPIPE is set on the socket instead
#endif

inline std::error_code last_error() noexcept { return {errno, std::system_category()}; }

// Every system call of this layer goes through here, so that thread_syscalls() counts each one.
template <class Fn, class... Args>
auto counted(Fn fn, Args... args) noexcept {
  ++calls_made;
  return fn(args...);
}

inline bool would_block(int err) noexcept { return err == EAGAIN || err == EWOULDBLOCK; }

// socklab's flag bits (ai::*, ni::*) as the OS's, through a table of (ours, native) pairs.
inline int native_flags(int flags, std::span<const std::pair<int, int>> table) noexcept {
  int native = 0;
  for (const auto& [ours, theirs] : table)
    if ((flags & ours) != 0) native |= theirs;
  return native;
}

// An error category whose messages come from a C library function (gai_strerror, hstrerror).
class c_message_category final : public std::error_category {
 public:
  constexpr c_message_category(const char* name, const char* (*message)(int)) noexcept
      : name_(name), message_(message) {}
  const char* name() const noexcept override { return name_; }
  std::string message(int code) const override { return message_(code); }

 private:
  const char* name_;
  const char* (*message_)(int);
};

int native_family(family f) noexcept;
std::optional<family> from_native_family(int f) noexcept;
int native_type(type t) noexcept;
std::optional<type> from_native_type(int t) noexcept;

// Waits until fd is ready for `events` or the deadline passes (rounded up to whole milliseconds:
// a timeout may end late by under 1 ms, never early).
std::error_code wait_ready(int fd, short events, const wait_policy& w) noexcept;

// Runs one system call under the socket's wait policy, the way CPython's sock_call_ex does, but
// calling first: on the fast path that saves a poll() per call. EINTR is retried (PEP 475); in
// timeout mode EAGAIN waits for readiness until the one deadline, so a false wake-up loops
// instead of surfacing as would-block.
template <class Call>
result<std::size_t> run_io(int fd, short events, const wait_policy& w, Call call) noexcept {
  for (;;) {
    const auto n = call();
    if (n >= 0) return static_cast<std::size_t>(n);
    const int err = errno;
    if (err == EINTR) continue;
    if (!would_block(err) || w.how != wait_policy::mode::deadline)
      return std::error_code(err, std::system_category());
    if (auto ec = wait_ready(fd, events, w)) return ec;
  }
}

// Not zeroed: the kernel writes the `length` bytes a call returns, and to_native() zeroes what it
// sends. Clearing 128 bytes twice per sendto()/recvfrom() pair had been a tenth of their cost.
struct native_address {
  sockaddr_storage storage;  // NOLINT(cppcoreguidelines-pro-type-member-init)
  socklen_t length = 0;
  sockaddr* get() noexcept { return reinterpret_cast<sockaddr*>(&storage); }
  const sockaddr* get() const noexcept { return reinterpret_cast<const sockaddr*>(&storage); }
};

native_address to_native(const address& a) noexcept;
// `hint` is the socket's family: it decides what an empty (length 0) address means.
result<std::optional<address>> from_native(const native_address& n, family hint) noexcept;
// An address the call must have produced: ENOTCONN when the OS gave none.
result<address> required(result<std::optional<address>> r) noexcept;

}  // namespace socklab::sys
