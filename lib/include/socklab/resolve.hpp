// SPDX-License-Identifier: MIT
// Name resolution: Python's getaddrinfo() and gethostname(). The only place socklab touches DNS:
// the address constructors that take a host name resolve it through getaddrinfo() here.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "socklab/address.hpp"
#include "socklab/vocabulary.hpp"

namespace socklab {

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
