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

}  // namespace socklab
