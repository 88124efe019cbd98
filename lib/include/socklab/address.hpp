// SPDX-License-Identifier: MIT
// Socket addresses as plain value types. Python spells them as tuples and strings:
//   AF_INET  ("127.0.0.1", 80)           -> ipv4_address("127.0.0.1", 80)
//   AF_INET6 ("::1", 80, flowinfo, scope) -> ipv6_address("::1", 80, 0, 0)
//   AF_UNIX  "/run/x.sock", b"\0name"     -> unix_address("/run/x.sock"), unix_address::abstract("name")
// Every range check happens here, before any system call (Python raises OverflowError/OSError).
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace socklab {

/// Python: AF_INET, AF_INET6, AF_UNIX. (Not spelled `unix`: GNU modes predefine that as a macro.)
enum class family { inet, inet6, unix_domain };

struct ipv4_address {
  std::array<std::uint8_t, 4> host{};  // network order: 127.0.0.1 is {127, 0, 0, 1}
  std::uint16_t port = 0;

  ipv4_address() = default;
  /// host: a dotted quad, "" (INADDR_ANY), "<broadcast>" (INADDR_BROADCAST) or a name resolved
  /// with getaddrinfo (AF_INET only). Throws std::out_of_range for a port outside 0..65535 and
  /// gai_error when the name does not resolve.
  ipv4_address(std::string_view host, int port);
  static ipv4_address loopback(int port = 0);  // 127.0.0.1
  static ipv4_address any(int port = 0);       // 0.0.0.0

  std::string host_string() const;  // Python: addr[0], "127.0.0.1"
  std::string to_string() const;    // "127.0.0.1:80"
  auto operator<=>(const ipv4_address&) const = default;
};

struct ipv6_address {
  std::array<std::uint8_t, 16> host{};
  std::uint16_t port = 0;
  std::uint32_t flowinfo = 0;  // 20 bits, as in Python's 4-tuple (host, port, flowinfo, scope_id)
  std::uint32_t scope_id = 0;

  ipv6_address() = default;
  /// host: numeric IPv6, optionally with "%scope" (an interface name or index), "" (in6addr_any),
  /// or a name resolved with getaddrinfo (AF_INET6 only). Throws std::out_of_range for a port
  /// outside 0..65535, a flowinfo outside 0..2^20-1 or a scope_id outside 32 bits; gai_error when
  /// the name does not resolve.
  ipv6_address(std::string_view host, int port, std::int64_t flowinfo = 0, std::int64_t scope_id = 0);
  static ipv6_address loopback(int port = 0);  // ::1
  static ipv6_address any(int port = 0);       // ::

  std::string host_string() const;  // "::1", or "fe80::1%2" with a scope id
  std::string to_string() const;    // "[::1]:80"
  bool is_v4_mapped() const noexcept;
  auto operator<=>(const ipv6_address&) const = default;
};

struct unix_address {
  /// Raw name bytes: a filesystem path, or (Linux) a leading '\0' and an abstract name whose
  /// embedded NULs are significant. Empty means unnamed (an unbound socket, a socketpair end, or
  /// an unbound datagram sender); binding to it autobinds on Linux.
  std::string path;

  unix_address() = default;
  /// Throws socklab::error (ENAMETOOLONG; Python: OSError) when the name does not fit sockaddr_un
  /// (pathnames need a terminating NUL: 107 bytes on Linux, 103 on macOS; abstract names may use
  /// all 108).
  explicit unix_address(std::string path);
  /// Linux abstract namespace: unix_address(std::string("\0", 1) + name).
  static unix_address abstract(std::string_view name);
  /// The longest pathname the OS accepts (sizeof(sun_path) - 1).
  static std::size_t max_path_length() noexcept;

  bool is_abstract() const noexcept { return !path.empty() && path.front() == '\0'; }
  bool is_unnamed() const noexcept { return path.empty(); }
  /// The path; abstract names as "@name" with non-printable bytes as \xNN; "<unnamed>" when empty.
  std::string to_string() const;
  auto operator<=>(const unix_address&) const = default;
};

/// Any socket address; std::monostate never appears (every socket family maps to one of these).
using address = std::variant<ipv4_address, ipv6_address, unix_address>;

family family_of(const address& a) noexcept;
std::string to_string(const address& a);

/// Python: addr[0] of an address: the host of an IP address ("127.0.0.1", "fe80::1%2"), the name
/// of a unix_address (Python gives the whole address as that str).
std::string host_of(const address& a);
/// Python: addr[1], the port of an IP address (getsockname()[1]). Throws std::invalid_argument
/// for a unix_address, which has none (in Python, an AF_UNIX address is a str, not a tuple).
int port_of(const address& a);
std::string_view to_string(family f) noexcept;  // "inet", "inet6", "unix"

/// Python: inet_pton(family, ip_string): the packed address, 4 or 16 bytes in network order.
/// Throws error (EINVAL; Python: OSError "illegal IP address string") for text that is not an
/// address of that family, error (EAFNOSUPPORT) for family::unix_domain, std::invalid_argument
/// (Python: ValueError) for text with a NUL byte.
std::vector<std::byte> inet_pton(family f, std::string_view text);
/// Python: inet_ntop(family, packed_ip). Throws std::invalid_argument (Python: ValueError) for a
/// packed address of the wrong length for the family, or family::unix_domain.
std::string inet_ntop(family f, std::span<const std::byte> packed);
/// Python: inet_aton(ip_string): IPv4 only, with the classic shorthands ("127.1", "0x7f.1").
/// Throws error (EINVAL; Python: OSError) for text it cannot read.
std::vector<std::byte> inet_aton(std::string_view text);
/// Python: inet_ntoa(packed_ip): exactly 4 bytes, else error (EINVAL; Python: OSError).
std::string inet_ntoa(std::span<const std::byte> packed);

/// Parses the textual forms that to_string() prints, numeric hosts only (no DNS):
/// "127.0.0.1:80", "[::1]:80", "[fe80::1%lo]:80", "/path/to.sock", "@abstract" (where "\\xHH" is
/// one byte of the name, as to_string() writes bytes outside printable ASCII and the backslash).
/// Throws std::invalid_argument naming the problem, std::out_of_range for a bad port,
/// socklab::error (ENAMETOOLONG) for a path or abstract name longer than sun_path holds.
address parse_address(std::string_view text);

std::ostream& operator<<(std::ostream& os, const ipv4_address& a);
std::ostream& operator<<(std::ostream& os, const ipv6_address& a);
std::ostream& operator<<(std::ostream& os, const unix_address& a);
std::ostream& operator<<(std::ostream& os, const address& a);
std::ostream& operator<<(std::ostream& os, family f);

}  // namespace socklab

template <>
struct std::hash<socklab::ipv4_address> {
  std::size_t operator()(const socklab::ipv4_address& a) const noexcept;
};
template <>
struct std::hash<socklab::ipv6_address> {
  std::size_t operator()(const socklab::ipv6_address& a) const noexcept;
};
template <>
struct std::hash<socklab::unix_address> {
  std::size_t operator()(const socklab::unix_address& a) const noexcept;
};
