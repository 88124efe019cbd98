// SPDX-License-Identifier: MIT
#include "remote/admission.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <stdexcept>
#include <variant>

namespace socklab::bench::remote {
namespace {

// The host of an IP address as 16 bytes, IPv4 v4-mapped; nullopt for a Unix address.
std::optional<std::array<std::uint8_t, 16>> host_bytes(const address& a) {
  if (const auto* v4 = std::get_if<ipv4_address>(&a)) {
    std::array<std::uint8_t, 16> out{};
    out[10] = out[11] = 0xff;
    std::copy(v4->host.begin(), v4->host.end(), out.begin() + 12);
    return out;
  }
  if (const auto* v6 = std::get_if<ipv6_address>(&a)) return v6->host;
  return std::nullopt;
}

// The mask of byte `i` of a 16-byte address under a prefix of `bits` bits.
std::uint8_t mask_of(int i, int bits) {
  const int left = bits - 8 * i;
  return left >= 8 ? 0xff : left > 0 ? static_cast<std::uint8_t>(0xff << (8 - left)) : 0;
}

bool prefix_matches(const std::array<std::uint8_t, 16>& host, const std::array<std::uint8_t, 16>& prefix,
                    int bits) {
  for (int i = 0; i < 16; ++i)
    if ((host[i] & mask_of(i, bits)) != (prefix[i] & mask_of(i, bits))) return false;
  return true;
}

cidr parse_one(std::string_view item) {
  cidr c;
  c.text = std::string(item);
  const auto slash = item.find('/');
  const auto host = item.substr(0, slash);
  const bool v6 = host.find(':') != std::string_view::npos;
  std::vector<std::byte> packed;
  try {
    packed = inet_pton(v6 ? family::inet6 : family::inet, host);
  } catch (const std::exception&) {
    throw std::invalid_argument("--allow: '" + c.text + "' is not an IP address or CIDR range");
  }
  const int max_bits = v6 ? 128 : 32;
  int bits = max_bits;
  if (slash != std::string_view::npos) {
    const auto len = item.substr(slash + 1);
    const auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), bits);
    if (len.empty() || ec != std::errc{} || end != len.data() + len.size() || bits < 0 || bits > max_bits)
      throw std::invalid_argument("--allow: '" + c.text + "' needs a prefix length from 0 to " +
                                  std::to_string(max_bits));
  }
  const int offset = v6 ? 0 : 12;
  if (!v6) c.prefix[10] = c.prefix[11] = 0xff;
  for (std::size_t i = 0; i < packed.size(); ++i) c.prefix[offset + i] = static_cast<std::uint8_t>(packed[i]);
  c.bits = bits + (v6 ? 0 : 96);
  // 10.1.2.3/8 is more likely a typo than a range: say so rather than guess.
  for (int i = 0; i < 16; ++i)
    if ((c.prefix[i] & ~mask_of(i, c.bits)) != 0)
      throw std::invalid_argument("--allow: '" + c.text + "' has host bits set beyond its prefix");
  return c;
}

}  // namespace

bool cidr::contains(const address& a) const {
  const auto host = host_bytes(a);
  return host && prefix_matches(*host, prefix, bits);
}

std::vector<cidr> parse_allow(std::string_view list) {
  std::vector<cidr> out;
  for (std::size_t start = 0; start <= list.size();) {
    const auto comma = std::min(list.find(',', start), list.size());
    const auto item = list.substr(start, comma - start);
    if (item.empty()) throw std::invalid_argument("--allow: an empty range in '" + std::string(list) + "'");
    out.push_back(parse_one(item));
    start = comma + 1;
  }
  return out;
}

bool allowed(const std::vector<cidr>& ranges, const address& a) {
  return ranges.empty() ||
         std::any_of(ranges.begin(), ranges.end(), [&](const cidr& c) { return c.contains(a); });
}

bool same_host(const address& a, const address& b) {
  const auto x = host_bytes(a), y = host_bytes(b);
  return x && y && *x == *y;
}

}  // namespace socklab::bench::remote
