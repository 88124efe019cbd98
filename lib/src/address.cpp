// SPDX-License-Identifier: MIT
#include "socklab/address.hpp"

#include <charconv>
#include <cstring>
#include <ostream>
#include <stdexcept>
#include <type_traits>
#include <variant>

#include "socklab/errors.hpp"
#include "socklab/resolve.hpp"
#include "sys/sys.hpp"

namespace socklab {
namespace {

std::uint16_t checked_port(std::int64_t port, const char* operation) {
  if (port < 0 || port > 65535)
    throw std::out_of_range(std::string(operation) + ": port must be 0-65535, got " + std::to_string(port));
  return static_cast<std::uint16_t>(port);
}

// The first address getaddrinfo() gives for `host` in family `f`, or gai_error: resolve.cpp is
// the one place that resolves names.
address resolve_one(std::string_view host, family f) {
  return getaddrinfo(host, 0, f, type::stream).front().addr;  // never empty: EAI_NONAME instead
}

std::size_t hash_bytes(std::string_view bytes, std::size_t seed) noexcept {
  return seed ^ (std::hash<std::string_view>{}(bytes) + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2));
}

std::uint16_t parse_port_text(std::string_view text, std::string_view whole) {
  std::int64_t value = -1;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec == std::errc::invalid_argument || ptr != end)
    throw std::invalid_argument("parse_address: bad port in '" + std::string(whole) + "'");
  if (ec == std::errc::result_out_of_range)
    throw std::out_of_range("parse_address: port out of range in '" + std::string(whole) + "'");
  return checked_port(value, "parse_address");
}

}  // namespace

// ---- IPv4 ----

ipv4_address::ipv4_address(std::string_view h, int p) : port(checked_port(p, "ipv4_address")) {
  if (h.empty()) return;  // INADDR_ANY
  if (h == "<broadcast>") {
    host = {255, 255, 255, 255};
    return;
  }
  if (auto parsed = sys::parse_ipv4(std::string(h))) {
    host = *parsed;
    return;
  }
  host = std::get<ipv4_address>(resolve_one(h, family::inet)).host;
}

ipv4_address ipv4_address::loopback(int p) { return ipv4_address("127.0.0.1", p); }
ipv4_address ipv4_address::any(int p) { return ipv4_address("", p); }
std::string ipv4_address::host_string() const { return sys::format_ipv4(host); }
std::string ipv4_address::to_string() const { return host_string() + ":" + std::to_string(port); }

// ---- IPv6 ----

ipv6_address::ipv6_address(std::string_view h, int p, std::int64_t flow, std::int64_t scope)
    : port(checked_port(p, "ipv6_address")) {
  if (flow < 0 || flow > 0xFFFFF)
    throw std::out_of_range("flowinfo must be 0-1048575, got " + std::to_string(flow));
  if (scope < 0 || scope > 0xFFFFFFFFLL)
    throw std::out_of_range("scope_id must fit 32 bits, got " + std::to_string(scope));
  flowinfo = static_cast<std::uint32_t>(flow);
  scope_id = static_cast<std::uint32_t>(scope);
  if (h.empty()) return;  // in6addr_any
  std::string_view numeric = h;
  if (const auto pct = h.find('%'); pct != std::string_view::npos) {
    numeric = h.substr(0, pct);
    const auto id = sys::scope_id_of(std::string(h.substr(pct + 1)));
    // Python resolves the scope with getaddrinfo: an unknown interface is a gaierror.
    if (!id) throw_error(id.error(), "ipv6_address: unknown scope '" + std::string(h.substr(pct + 1)) + "'");
    if (scope_id == 0) scope_id = *id;
  }
  if (auto parsed = sys::parse_ipv6(std::string(numeric))) {
    host = *parsed;
    return;
  }
  host = std::get<ipv6_address>(resolve_one(h, family::inet6)).host;
}

ipv6_address ipv6_address::loopback(int p) { return ipv6_address("::1", p); }
ipv6_address ipv6_address::any(int p) { return ipv6_address("", p); }

std::string ipv6_address::host_string() const {
  auto text = sys::format_ipv6(host);
  if (scope_id != 0) text += "%" + std::to_string(scope_id);
  return text;
}

std::string ipv6_address::to_string() const { return "[" + host_string() + "]:" + std::to_string(port); }

bool ipv6_address::is_v4_mapped() const noexcept {
  for (int i = 0; i < 10; ++i)
    if (host[i] != 0) return false;
  return host[10] == 0xff && host[11] == 0xff;
}

// ---- Unix ----

unix_address::unix_address(std::string p) : path(std::move(p)) {
  const std::size_t capacity = sys::unix_path_capacity();
  if (is_abstract()) {
    if (path.size() > capacity)
      throw_error(std::make_error_code(std::errc::filename_too_long),
                  "unix_address: AF_UNIX abstract name of " + std::to_string(path.size()) +
                      " bytes, at most " + std::to_string(capacity));
    return;
  }
  // Python raises OSError ("AF_UNIX path too long"): catchable as socklab::error here too.
  if (path.size() > capacity - 1)
    throw_error(std::make_error_code(std::errc::filename_too_long),
                "unix_address: AF_UNIX path of " + std::to_string(path.size()) + " bytes, at most " +
                    std::to_string(capacity - 1));
  if (path.find('\0') != std::string::npos)
    throw std::invalid_argument("AF_UNIX path has an embedded NUL byte");
}

unix_address unix_address::abstract(std::string_view name) {
  return unix_address(std::string(1, '\0') + std::string(name));
}

std::size_t unix_address::max_path_length() noexcept { return sys::unix_path_capacity() - 1; }

std::string unix_address::to_string() const {
  if (is_unnamed()) return "<unnamed>";
  if (!is_abstract()) return path;
  std::string out = "@";
  for (std::size_t i = 1; i < path.size(); ++i) {
    const auto c = static_cast<unsigned char>(path[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      constexpr std::string_view hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xf];
    }
  }
  return out;
}

// ---- address ----

family family_of(const address& a) noexcept {
  switch (a.index()) {
    case 0:
      return family::inet;
    case 1:
      return family::inet6;
    default:
      return family::unix_domain;
  }
}

std::string to_string(const address& a) {
  return std::visit([](const auto& alt) { return alt.to_string(); }, a);
}

// ---- Python's inet_* functions ----

namespace {

template <std::size_t N>
std::vector<std::byte> packed(const std::array<std::uint8_t, N>& host) {
  std::vector<std::byte> out(N);
  std::memcpy(out.data(), host.data(), N);
  return out;
}

template <std::size_t N>
std::array<std::uint8_t, N> unpacked(std::span<const std::byte> bytes) {
  std::array<std::uint8_t, N> out{};
  std::memcpy(out.data(), bytes.data(), N);
  return out;
}

std::string text_without_nul(std::string_view text, const char* operation) {
  if (text.find('\0') != std::string_view::npos)
    throw std::invalid_argument(std::string(operation) + ": embedded NUL byte");
  return std::string(text);
}

[[noreturn]] void illegal_text(const char* operation, std::string_view text) {
  throw_error(std::make_error_code(std::errc::invalid_argument),
              std::string(operation) + ": illegal IP address string '" + std::string(text) + "'");
}

}  // namespace

std::vector<std::byte> inet_pton(family f, std::string_view text) {
  const auto host = text_without_nul(text, "inet_pton");
  if (f == family::inet) {
    if (auto v4 = sys::parse_ipv4(host)) return packed(*v4);
  } else if (f == family::inet6) {
    if (auto v6 = sys::parse_ipv6(host)) return packed(*v6);
  } else {
    throw_error(std::make_error_code(std::errc::address_family_not_supported), "inet_pton");
  }
  illegal_text("inet_pton", text);
}

std::string inet_ntop(family f, std::span<const std::byte> bytes) {
  const std::size_t want = f == family::inet ? 4 : f == family::inet6 ? 16 : 0;
  if (want == 0)
    throw std::invalid_argument("inet_ntop: unknown address family " + std::string(to_string(f)));
  if (bytes.size() != want)
    throw std::invalid_argument("inet_ntop: invalid length of packed IP address (" +
                                std::to_string(bytes.size()) + " bytes, " + std::to_string(want) +
                                " expected)");
  return want == 4 ? sys::format_ipv4(unpacked<4>(bytes)) : sys::format_ipv6(unpacked<16>(bytes));
}

std::vector<std::byte> inet_aton(std::string_view text) {
  if (auto v4 = sys::parse_ipv4_shorthand(text_without_nul(text, "inet_aton"))) return packed(*v4);
  illegal_text("inet_aton", text);
}

std::string inet_ntoa(std::span<const std::byte> bytes) {
  if (bytes.size() != 4)
    throw_error(std::make_error_code(std::errc::invalid_argument),
                "inet_ntoa: packed IP wrong length (" + std::to_string(bytes.size()) + " bytes, 4 expected)");
  return sys::format_ipv4(unpacked<4>(bytes));
}

std::string host_of(const address& a) {
  return std::visit(
      [](const auto& alt) -> std::string {
        if constexpr (std::is_same_v<std::decay_t<decltype(alt)>, unix_address>)
          return alt.path;
        else
          return alt.host_string();
      },
      a);
}

int port_of(const address& a) {
  if (const auto* v4 = std::get_if<ipv4_address>(&a)) return v4->port;
  if (const auto* v6 = std::get_if<ipv6_address>(&a)) return v6->port;
  throw std::invalid_argument("port_of: " + to_string(a) + " is an AF_UNIX address, which has no port");
}

std::string_view to_string(family f) noexcept {
  switch (f) {
    case family::inet:
      return "inet";
    case family::inet6:
      return "inet6";
    case family::unix_domain:
      return "unix";
  }
  return "?";
}

namespace {

// Undoes unix_address::to_string()'s escaping of an abstract name: "\xHH" is one byte, and a
// backslash means nothing else (to_string() writes a backslash itself as "\x5c").
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string unescape_abstract(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    const bool complete = i + 3 < text.size() && text[i + 1] == 'x';
    const int hi = complete ? hex_value(text[i + 2]) : -1;
    const int lo = complete ? hex_value(text[i + 3]) : -1;
    if (hi < 0 || lo < 0)
      throw std::invalid_argument(
          "parse_address: in an abstract name, '\\' must start '\\xHH' (two hex digits)");
    out += static_cast<char>(hi * 16 + lo);
    i += 3;
  }
  return out;
}

}  // namespace

address parse_address(std::string_view text) {
  if (text.empty()) throw std::invalid_argument("parse_address: empty address");
  if (text.front() == '/' || text.front() == '.') return unix_address(std::string(text));
  if (text.front() == '@') return unix_address::abstract(unescape_abstract(text.substr(1)));
  if (text.front() == '[') {
    const auto close = text.find("]:");
    if (close == std::string_view::npos)
      throw std::invalid_argument("parse_address: expected '[host]:port' in '" + std::string(text) + "'");
    const auto host = text.substr(1, close - 1);
    const auto port = parse_port_text(text.substr(close + 2), text);
    if (!sys::parse_ipv6(std::string(host.substr(0, host.find('%')))))
      throw std::invalid_argument("parse_address: not a numeric IPv6 host in '" + std::string(text) + "'");
    return ipv6_address(host, port);
  }
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos)
    throw std::invalid_argument("parse_address: expected 'host:port', '[host]:port' or a path, got '" +
                                std::string(text) + "'");
  const auto host = text.substr(0, colon);
  if (host.find(':') != std::string_view::npos)
    throw std::invalid_argument("parse_address: IPv6 hosts need brackets, as in '[::1]:80', got '" +
                                std::string(text) + "'");
  const auto port = parse_port_text(text.substr(colon + 1), text);
  if (!sys::parse_ipv4(std::string(host)))
    throw std::invalid_argument("parse_address: not a numeric IPv4 host in '" + std::string(text) + "'");
  return ipv4_address(host, port);
}

std::ostream& operator<<(std::ostream& os, const ipv4_address& a) { return os << a.to_string(); }
std::ostream& operator<<(std::ostream& os, const ipv6_address& a) { return os << a.to_string(); }
std::ostream& operator<<(std::ostream& os, const unix_address& a) { return os << a.to_string(); }
std::ostream& operator<<(std::ostream& os, const address& a) { return os << to_string(a); }
std::ostream& operator<<(std::ostream& os, family f) { return os << to_string(f); }

}  // namespace socklab

std::size_t std::hash<socklab::ipv4_address>::operator()(const socklab::ipv4_address& a) const noexcept {
  const std::string_view bytes(reinterpret_cast<const char*>(a.host.data()), a.host.size());
  return socklab::hash_bytes(bytes, a.port);
}

std::size_t std::hash<socklab::ipv6_address>::operator()(const socklab::ipv6_address& a) const noexcept {
  const std::string_view bytes(reinterpret_cast<const char*>(a.host.data()), a.host.size());
  return socklab::hash_bytes(bytes,
                             (std::size_t{a.port} << 52) ^ (std::size_t{a.flowinfo} << 32) ^ a.scope_id);
}

std::size_t std::hash<socklab::unix_address>::operator()(const socklab::unix_address& a) const noexcept {
  return socklab::hash_bytes(a.path, 0x756e6978);
}
