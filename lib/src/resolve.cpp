// SPDX-License-Identifier: MIT
#include "socklab/resolve.hpp"

#include <stdexcept>
#include <string>
#include <utility>

#include "socklab/errors.hpp"
#include "sys/sys.hpp"

namespace socklab {

std::vector<addrinfo> getaddrinfo(std::optional<std::string_view> host, std::string_view port,
                                  std::optional<socklab::family> family, std::optional<socklab::type> type,
                                  int proto, int flags) {
  std::optional<std::string> h;
  if (host) h.emplace(*host);
  auto rows = sys::getaddrinfo(h, std::string(port), family, type, proto, flags);
  if (!rows) throw_error(rows.error(), "getaddrinfo(" + h.value_or("None") + ", " + std::string(port) + ")");
  return std::move(*rows);
}

std::vector<addrinfo> getaddrinfo(std::optional<std::string_view> host, int port,
                                  std::optional<socklab::family> family, std::optional<socklab::type> type,
                                  int proto, int flags) {
  if (port < 0 || port > 65535)
    throw std::out_of_range("getaddrinfo: port must be 0-65535, got " + std::to_string(port));
  return getaddrinfo(host, std::to_string(port), family, type, proto, flags);
}

std::string gethostname() { return sys::gethostname().value_or_throw("gethostname"); }

namespace {

std::optional<std::string> owned(std::optional<std::string_view> s) {
  return s ? std::optional<std::string>(std::string(*s)) : std::nullopt;
}

}  // namespace

std::pair<std::string, std::string> getnameinfo(const address& a, int flags) {
  if (family_of(a) == family::unix_domain)
    throw std::invalid_argument("getnameinfo: an IP address is needed, not " + to_string(a));
  return sys::getnameinfo(a, flags).value_or_throw("getnameinfo(" + to_string(a) + ")");
}

int getservbyname(std::string_view name, std::optional<std::string_view> proto) {
  return sys::getservbyname(std::string(name), owned(proto))
      .value_or_throw("getservbyname(" + std::string(name) + "): service/proto");
}

std::string getservbyport(int port, std::optional<std::string_view> proto) {
  if (port < 0 || port > 65535)
    throw std::out_of_range("getservbyport: port must be 0-65535, got " + std::to_string(port));
  return sys::getservbyport(port, owned(proto))
      .value_or_throw("getservbyport(" + std::to_string(port) + "): port/proto");
}

std::string gethostbyname(std::string_view name) { return ipv4_address(std::string(name), 0).host_string(); }

host_entry gethostbyname_ex(std::string_view name) {
  (void)gethostbyname(name);  // as Python: a name that does not resolve is a gai_error first
  return sys::gethostbyname_ex(std::string(name))
      .value_or_throw("gethostbyname_ex(" + std::string(name) + ")");
}

host_entry gethostbyaddr(std::string_view ip) {
  const auto rows = getaddrinfo(ip, 0);
  return sys::gethostbyaddr(rows.front().addr).value_or_throw("gethostbyaddr(" + std::string(ip) + ")");
}

std::vector<network_interface> if_nameindex() { return sys::if_nameindex().value_or_throw("if_nameindex"); }

unsigned if_nametoindex(std::string_view name) {
  return sys::if_nametoindex(std::string(name))
      .value_or_throw("if_nametoindex(" + std::string(name) + "): no interface with this name");
}

std::string if_indextoname(unsigned index) {
  return sys::if_indextoname(index).value_or_throw("if_indextoname(" + std::to_string(index) + ")");
}

}  // namespace socklab
