// SPDX-License-Identifier: MIT
// Name resolution: Python's getaddrinfo() and gethostname(). The only place socklab touches DNS.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "socklab/address.hpp"
#include "socklab/socket.hpp"

namespace socklab {

/// getaddrinfo() flags (Python: socket.AI_*); combine with |.
namespace ai {
inline constexpr int passive = 1 << 0;
inline constexpr int canonname = 1 << 1;
inline constexpr int numerichost = 1 << 2;
inline constexpr int numericserv = 1 << 3;
inline constexpr int addrconfig = 1 << 4;
inline constexpr int v4mapped = 1 << 5;
inline constexpr int all = 1 << 6;
}  // namespace ai

/// One row of getaddrinfo(): Python's (family, type, proto, canonname, sockaddr).
struct addrinfo {
  socklab::family family;
  socklab::type type;
  int proto;
  std::string canonname;
  address addr;
};

/// Python: getaddrinfo(host, port, family=0, type=0, proto=0, flags=0). host std::nullopt is
/// Python's None (loopback, or the wildcard with ai::passive); port is a number or a service name.
/// Families socklab does not model are left out. Throws gai_error (code in gai_category()).
std::vector<addrinfo> getaddrinfo(std::optional<std::string_view> host, std::string_view port,
                                  std::optional<socklab::family> family = std::nullopt,
                                  std::optional<socklab::type> type = std::nullopt, int proto = 0,
                                  int flags = 0);
std::vector<addrinfo> getaddrinfo(std::optional<std::string_view> host, int port,
                                  std::optional<socklab::family> family = std::nullopt,
                                  std::optional<socklab::type> type = std::nullopt, int proto = 0,
                                  int flags = 0);

/// Python: gethostname(). Throws error.
std::string gethostname();

}  // namespace socklab
