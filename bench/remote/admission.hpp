// SPDX-License-Identifier: MIT
// Who the benchmark server lets in: the address ranges its owner allows (--allow), and, in a data
// phase, only the host of the control connection. IPv4 peers of a dual-stack (IPv6) server arrive
// as v4-mapped addresses (::ffff:a.b.c.d); both spellings of one host are the same host here.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "socklab/address.hpp"

namespace socklab::bench::remote {

/// An address range: "10.0.0.0/8", "2001:db8::/32", or one host ("127.0.0.1", "::1").
struct cidr {
  std::array<std::uint8_t, 16> prefix{};  // IPv4 ranges as v4-mapped IPv6
  int bits = 128;
  std::string text;  // as given, for messages

  bool contains(const address& a) const;
};

/// Parses "CIDR[,CIDR...]"; std::invalid_argument naming the bad item (not an address, a prefix
/// length out of range, host bits set, an empty item).
std::vector<cidr> parse_allow(std::string_view list);

/// Whether `a` lies in one of `ranges`; every address when `ranges` is empty (no --allow given).
bool allowed(const std::vector<cidr>& ranges, const address& a);

/// Whether two IP addresses name the same host, ports aside (v4 and v4-mapped v6 alike).
bool same_host(const address& a, const address& b);

}  // namespace socklab::bench::remote
