// SPDX-License-Identifier: MIT
// Python's convenience constructors: create_connection() and create_server().
#pragma once

#include <optional>
#include <string_view>

#include "socklab/address.hpp"
#include "socklab/socket.hpp"

namespace socklab {

/// Python: create_connection((host, port), timeout, source_address, all_errors). Tries every
/// address that getaddrinfo() gives for host in turn and returns the first connected socket; when
/// all fail, throws the last error (a timeout stays timeout_error), or with all_errors an
/// error_group of every candidate's. The one-argument-pair form uses getdefaulttimeout(); the
/// others use the timeout given (std::nullopt = blocking).
socket create_connection(std::string_view host, int port);
socket create_connection(std::string_view host, int port, timeout t,
                         const std::optional<address>& source_address = std::nullopt,
                         bool all_errors = false);
/// Connects to exactly this address (no resolution).
socket create_connection(const address& peer, timeout t,
                         const std::optional<address>& source_address = std::nullopt);

struct server_options {
  std::optional<int> backlog;   // listen()'s default when omitted
  bool reuse_port = false;      // SO_REUSEPORT
  bool dualstack_ipv6 = false;  // IPv6 listener that also accepts IPv4 (IPV6_V6ONLY = 0)
};

/// Python: create_server(address, family, backlog, reuse_port, dualstack_ipv6): a bound, listening
/// socket (SO_REUSEADDR on POSIX; IPV6_V6ONLY = 1 for IPv6 unless dualstack). Throws
/// std::invalid_argument for dualstack on a non-IPv6 address or where unsupported, error otherwise.
socket create_server(const address& local, const server_options& options = {});
/// Python: create_server((host, port), family=...): the host resolved within `f` as Python's
/// bind() resolves it ("" is the family's wildcard, "<broadcast>" IPv4's broadcast address, a name
/// through getaddrinfo). A host with no address of that family throws a plain error carrying the
/// resolver's code (Python re-raises it as OSError, not gaierror); a family other than inet and
/// inet6 is std::invalid_argument (bind an AF_UNIX address with the form above).
socket create_server(std::string_view host, int port, family f = family::inet,
                     const server_options& options = {});

/// Python: has_dualstack_ipv6().
bool has_dualstack_ipv6();

}  // namespace socklab
