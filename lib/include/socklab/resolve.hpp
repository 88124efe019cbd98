// SPDX-License-Identifier: MIT
// Name resolution and the name databases: Python's getaddrinfo(), gethostname(), getnameinfo(),
// getservbyname/port(), gethostbyname(_ex)(), gethostbyaddr() and if_nameindex() & co. The only
// place socklab touches DNS: the address constructors that take a host name resolve it here.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
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

/// Python: getnameinfo(sockaddr, flags) -> (host, port): names from the hosts and services
/// databases unless ni::numerichost / ni::numericserv. Throws gai_error.
std::pair<std::string, std::string> getnameinfo(const address& a, int flags = 0);

/// Python: getservbyname(servicename[, protocolname]) -> port. Throws error ("not found") when the
/// services database has no such entry.
int getservbyname(std::string_view name, std::optional<std::string_view> proto = std::nullopt);
/// Python: getservbyport(port[, protocolname]) -> service name. std::out_of_range outside 0-65535
/// (Python's OverflowError); error ("not found").
std::string getservbyport(int port, std::optional<std::string_view> proto = std::nullopt);

/// Python: gethostbyname(hostname) -> IPv4 address text ("" is 0.0.0.0, "<broadcast>"
/// 255.255.255.255). Throws gai_error.
std::string gethostbyname(std::string_view name);
/// Python: gethostbyname_ex(hostname) -> (hostname, aliaslist, ipaddrlist). Throws gai_error when
/// the name does not resolve, herror when the old resolver has no entry.
host_entry gethostbyname_ex(std::string_view name);
/// Python: gethostbyaddr(ip_address) -> (hostname, aliaslist, ipaddrlist). Throws gai_error for a
/// text that is no address, herror when no name is known for it.
host_entry gethostbyaddr(std::string_view ip);

/// Python: if_nameindex() -> [(index, name)]. Throws error.
std::vector<network_interface> if_nameindex();
/// Python: if_nametoindex(name). Throws error ("not found") for an unknown interface.
unsigned if_nametoindex(std::string_view name);
/// Python: if_indextoname(index). Throws error (ENXIO) for an unknown index.
std::string if_indextoname(unsigned index);

}  // namespace socklab
