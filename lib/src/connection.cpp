// SPDX-License-Identifier: MIT
#include "socklab/connection.hpp"

#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "socklab/resolve.hpp"

namespace socklab {

socket create_connection(const address& peer, timeout t, const std::optional<address>& source_address) {
  socket s(family_of(peer), type::stream);
  s.settimeout(t);
  if (source_address) s.bind(*source_address);
  s.connect(peer);
  return s;
}

socket create_connection(std::string_view host, int port, timeout t,
                         const std::optional<address>& source_address, bool all_errors) {
  std::vector<std::exception_ptr> failed;  // each keeps its type: a timeout stays timeout_error
  for (const auto& entry : getaddrinfo(host, port, std::nullopt, type::stream)) {
    // A source address only fits candidates of its own family (Python skips the others too).
    if (source_address && family_of(*source_address) != entry.family) continue;
    try {
      return create_connection(entry.addr, t, source_address);
    } catch (const error&) {
      failed.push_back(std::current_exception());
    }
  }
  if (!failed.empty() && all_errors) {
    // The message first: the order in which a call's arguments are evaluated is unspecified.
    auto what = "create_connection(" + std::string(host) + ", " + std::to_string(port) + "): all " +
                std::to_string(failed.size()) + " candidates failed";
    throw error_group(what, std::move(failed));
  }
  if (!failed.empty()) std::rethrow_exception(failed.back());
  // Python: OSError("getaddrinfo returns an empty list") when no candidate was tried.
  throw_error(
      std::make_error_code(std::errc::address_family_not_supported),
      "create_connection: no address of " + std::string(host) + " matches the source address's family");
}

socket create_connection(std::string_view host, int port) {
  return create_connection(host, port, getdefaulttimeout());
}

socket create_server(const address& local, const server_options& options) {
  const family f = family_of(local);
  if (options.dualstack_ipv6 && f != family::inet6)
    throw std::invalid_argument("create_server: dualstack_ipv6 needs an IPv6 address");
  socket s(f, type::stream);
  // Python sets SO_REUSEADDR on POSIX so that a restarted server can rebind a port in TIME_WAIT.
  if (f != family::unix_domain) s.setsockopt(option::reuse_addr, 1);
  if (options.reuse_port) s.setsockopt(option::reuse_port, 1);
  if (f == family::inet6) s.setsockopt(option::ipv6_v6only, options.dualstack_ipv6 ? 0 : 1);
  s.bind(local);
  s.listen(options.backlog);
  return s;
}

socket create_server(std::string_view host, int port, family f, const server_options& options) {
  if (f != family::inet && f != family::inet6)
    throw std::invalid_argument("create_server: a host and port need family inet or inet6");
  address local;
  try {
    local = f == family::inet ? address(ipv4_address(host, port)) : address(ipv6_address(host, port));
  } catch (const gai_error& e) {
    // Python's create_server re-raises a failed bind's error as a plain OSError with its errno.
    throw error(e.code(), "create_server: " + e.code().message() +
                              " (while attempting to bind on address ('" + std::string(host) + "', " +
                              std::to_string(port) + "))");
  }
  return create_server(local, options);
}

bool has_dualstack_ipv6() {
  try {
    socket s(family::inet6, type::stream);
    s.setsockopt(option::ipv6_v6only, 0);
    return true;
  } catch (const error&) {
    return false;
  }
}

}  // namespace socklab
