// SPDX-License-Identifier: MIT
// The OS layer: every system call socklab makes goes through here, so that EINTR retry, deadlines
// and SIGPIPE suppression live once, and a Winsock port would replace only this folder. Its
// interface speaks socklab's own types; platform headers stay inside posix.hpp and the posix_*.cpp files.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "socklab/address.hpp"
#include "socklab/fast_paths.hpp"
#include "socklab/result.hpp"
#include "socklab/selector.hpp"
#include "socklab/vocabulary.hpp"

namespace socklab::sys {

using clock = std::chrono::steady_clock;

/// How one call may wait, fixed when the call starts: the socket's timeout turned into a deadline
/// once, so that retries after EINTR or false wake-ups never stretch it.
struct wait_policy {
  enum class mode { block, nonblock, deadline } how = mode::block;
  clock::time_point until{};

  static wait_policy from(const timeout& t) noexcept {
    if (!t) return {};
    if (t->count() == 0) return {mode::nonblock, {}};
    return {mode::deadline, clock::now() + std::chrono::duration_cast<clock::duration>(*t)};
  }
};

struct socket_identity {
  family fam;
  type typ;
  int proto;
};

// Descriptors.
result<int> open_socket(family f, type t, int proto) noexcept;  // close-on-exec, no SIGPIPE
result<std::pair<int, int>> open_socketpair(family f, type t, int proto) noexcept;
std::error_code close_fd(int fd) noexcept;  // never retried: the descriptor is gone even on EINTR
result<int> dup_fd(int fd) noexcept;
std::error_code set_nonblocking(int fd, bool on) noexcept;
result<bool> get_inheritable(int fd) noexcept;
std::error_code set_inheritable(int fd, bool on) noexcept;
result<socket_identity> identify(int fd) noexcept;

// Endpoints.
std::error_code bind(int fd, const address& a) noexcept;
std::error_code listen(int fd, int backlog) noexcept;
int default_backlog() noexcept;  // min(SOMAXCONN, 128), Python's listen() default
std::error_code connect(int fd, const address& a, const wait_policy& w) noexcept;
struct accepted {
  int fd;
  address addr;
};
result<accepted> accept(int fd, family f, const wait_policy& w) noexcept;
std::error_code shutdown(int fd, shut how) noexcept;
result<address> getsockname(int fd, family f) noexcept;
result<address> getpeername(int fd, family f) noexcept;

// Data. Each returns the byte count or the error, waiting as `w` allows.
result<std::size_t> send(int fd, std::span<const std::byte> data, int flags, const wait_policy& w) noexcept;
result<std::size_t> sendto(int fd, std::span<const std::byte> data, const address& to, int flags,
                           const wait_policy& w) noexcept;
result<std::size_t> recv(int fd, std::span<std::byte> buf, int flags, const wait_policy& w) noexcept;
// Up to `count` bytes of `file` from `offset` through sendfile(2); EINVAL/ENOSYS/ENOTSUP where the
// kernel cannot (the caller then falls back to pread_at + send).
result<std::size_t> sendfile(int fd, int file, std::uint64_t offset, std::size_t count,
                             const wait_policy& w) noexcept;
// pread(2): up to buf.size() bytes of `file` at `offset` (0 at end of file), EINTR retried; ESPIPE
// for a pipe, which read_at then reads sequentially.
result<std::size_t> read_at(int file, std::span<std::byte> buf, std::uint64_t offset) noexcept;
std::error_code seek_to(int file, std::uint64_t offset) noexcept;
result<recvfrom_into_result> recvfrom(int fd, family f, std::span<std::byte> buf, int flags,
                                      const wait_policy& w) noexcept;

// Messages with ancillary data. The control buffer is packed and parsed here, so that the cmsghdr
// layout (lengths, alignment, padding) is written once.
std::size_t control_length(std::size_t data) noexcept;  // CMSG_LEN
std::size_t control_space(std::size_t data) noexcept;   // CMSG_SPACE
std::vector<std::byte> pack_control(std::span<const control_message> items);
// The items of the first `length` bytes that the kernel wrote; a truncated last item keeps the
// bytes that fit.
std::vector<control_message> unpack_control(std::span<const std::byte> control);
result<std::size_t> sendmsg(int fd, std::span<const std::span<const std::byte>> buffers,
                            std::span<const std::byte> control, const address* to, int flags,
                            const wait_policy& w) noexcept;
struct received_message {
  std::size_t nbytes;
  int msg_flags;
  std::size_t control_length;  // bytes of the control buffer the kernel filled
  std::optional<address> addr;
};
// Descriptors that arrive are close-on-exec where the OS can (MSG_CMSG_CLOEXEC).
result<received_message> recvmsg(int fd, family f, std::span<const std::span<std::byte>> buffers,
                                 std::span<std::byte> control, int flags, const wait_policy& w) noexcept;

// Options.
std::pair<int, int> option_level_name(option opt) noexcept;
result<peer_credentials> peer_credentials_of(int fd) noexcept;

// Linux's batched and offloaded datagram paths (socklab/fast_paths.hpp); ENOTSUP elsewhere.
result<std::size_t> send_batch(int fd, std::span<const std::span<const std::byte>> datagrams, int flags,
                               const wait_policy& w) noexcept;
result<std::size_t> recv_batch(int fd, std::span<const std::span<std::byte>> buffers,
                               std::span<std::size_t> sizes, int flags, const wait_policy& w) noexcept;
result<std::size_t> send_segmented(int fd, std::span<const std::byte> data, std::uint16_t segment, int flags,
                                   const wait_policy& w) noexcept;
std::error_code set_coalescing(int fd, bool on) noexcept;
result<coalesced> recv_coalesced(int fd, std::span<std::byte> buf, int flags, const wait_policy& w) noexcept;
std::error_code set_zerocopy(int fd, bool on) noexcept;
std::error_code set_busy_poll(int fd, int microseconds) noexcept;
result<std::size_t> send_zerocopy(int fd, std::span<const std::byte> data, int flags,
                                  const wait_policy& w) noexcept;
result<std::optional<zerocopy_done>> read_zerocopy_done(int fd) noexcept;
// Readiness sets (socklab/selector.hpp): epoll on Linux.
enum class selector_change { add, modify, remove };
result<int> open_selector() noexcept;  // close-on-exec
std::error_code control_selector(int epfd, selector_change change, int fd, interest events, std::uint64_t key,
                                 trigger how) noexcept;
result<std::size_t> wait_selector(int epfd, std::span<ready_event> out, const wait_policy& w) noexcept;

std::error_code setsockopt(int fd, int level, int name, std::span<const std::byte> value) noexcept;
result<std::size_t> getsockopt(int fd, int level, int name, std::span<std::byte> buf) noexcept;

// Addresses and names.
std::optional<std::array<std::uint8_t, 4>> parse_ipv4(const std::string& host) noexcept;
// inet_aton(): IPv4 with the classic shorthands ("127.1", "0x7f.0.0.1").
std::optional<std::array<std::uint8_t, 4>> parse_ipv4_shorthand(const std::string& host) noexcept;
std::optional<std::array<std::uint8_t, 16>> parse_ipv6(const std::string& host) noexcept;
std::string format_ipv4(const std::array<std::uint8_t, 4>& host);
std::string format_ipv6(const std::array<std::uint8_t, 16>& host);
/// Interface name or decimal index to a scope id; std::nullopt if unknown.
result<std::uint32_t> scope_id_of(const std::string& name) noexcept;  // a gai_category() code if unknown
std::size_t unix_path_capacity() noexcept;                            // sizeof(sun_path)
result<std::vector<addrinfo>> getaddrinfo(const std::optional<std::string>& host, const std::string& port,
                                          std::optional<family> f, std::optional<type> t, int proto,
                                          int flags) noexcept;
result<std::string> gethostname() noexcept;
// (host, service) of an address, as the flags (ni::*) ask; a gai_category() code on failure.
result<std::pair<std::string, std::string>> getnameinfo(const address& a, int flags) noexcept;
// The services database; socklab_errc::not_found when it has no such entry.
result<int> getservbyname(const std::string& name, const std::optional<std::string>& proto) noexcept;
result<std::string> getservbyport(int port, const std::optional<std::string>& proto) noexcept;
// The old resolver (hosts file, then DNS per nsswitch); an herror_category() code on failure.
result<host_entry> gethostbyname_ex(const std::string& name) noexcept;
result<host_entry> gethostbyaddr(const address& a) noexcept;
result<std::vector<network_interface>> if_nameindex() noexcept;
result<unsigned> if_nametoindex(const std::string& name) noexcept;  // socklab_errc::not_found if none
result<std::string> if_indextoname(unsigned index) noexcept;

}  // namespace socklab::sys
