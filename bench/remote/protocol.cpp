// SPDX-License-Identifier: MIT
#include "remote/protocol.hpp"

#include <cmath>
#include <stdexcept>
#include <type_traits>
#include <variant>

namespace socklab::bench::remote {
namespace {

constexpr const char* families[] = {"tcp_stream", "tcp_stream_reverse", "tcp_stream_bidir",
                                    "udp_stream", "tcp_pingpong",       "udp_pingpong"};

std::int64_t integer_field(const nlohmann::json& m, const char* key, std::int64_t low, std::int64_t high) {
  const auto it = m.find(key);
  if (it == m.end() || !it->is_number_integer())
    throw std::invalid_argument(std::string("'") + key + "' must be an integer");
  const auto v = it->get<std::int64_t>();
  if (v < low || v > high ||
      (it->is_number_unsigned() && it->get<std::uint64_t>() > static_cast<std::uint64_t>(high)))
    throw std::invalid_argument(std::string("'") + key + "' must be from " + std::to_string(low) + " to " +
                                std::to_string(high) + ", got " + it->dump());
  return v;
}

std::optional<int> optional_buffer(const nlohmann::json& m, const char* key) {
  if (!m.contains(key) || m[key].is_null()) return std::nullopt;
  return static_cast<int>(integer_field(m, key, 1024, 64 << 20));
}

}  // namespace

bool is_datagram(const std::string& family) { return family.rfind("udp_", 0) == 0; }
bool server_sends(const std::string& family) {
  return family == "tcp_stream_reverse" || family == "tcp_stream_bidir";
}
bool client_sends(const std::string& family) { return family != "tcp_stream_reverse"; }

std::string check_envelope(const nlohmann::json& m) {
  if (!m.is_object()) throw std::invalid_argument("a message must be a JSON object");
  const auto v = m.find("version");
  if (v == m.end() || !v->is_number_integer() || v->get<std::int64_t>() != protocol_version)
    throw std::invalid_argument("unsupported protocol version " +
                                (v == m.end() ? std::string("(none)") : v->dump()) +
                                "; this side speaks version " + std::to_string(protocol_version));
  const auto t = m.find("type");
  if (t == m.end() || !t->is_string()) throw std::invalid_argument("a message needs a string 'type'");
  return t->get<std::string>();
}

test_request parse_test(const nlohmann::json& m) {
  test_request t;
  const auto f = m.find("family");
  if (f == m.end() || !f->is_string()) throw std::invalid_argument("'family' must be a string");
  t.family = f->get<std::string>();
  bool known = false;
  for (const char* name : families) known = known || t.family == name;
  if (!known)
    throw std::invalid_argument(
        "unknown test family '" + t.family +
        "' (tcp_stream, tcp_stream_reverse, tcp_stream_bidir, udp_stream, tcp_pingpong, udp_pingpong)");
  t.size = static_cast<std::size_t>(integer_field(m, "size", 1, is_datagram(t.family) ? 65507 : 1 << 20));
  const auto d = m.find("duration_s");
  if (d == m.end() || !d->is_number() || !std::isfinite(d->get<double>()) || d->get<double>() < 0.1 ||
      d->get<double>() > 60)
    throw std::invalid_argument("'duration_s' must be a number from 0.1 to 60");
  t.duration_s = d->get<double>();
  if (m.contains("rate_bps"))
    t.rate_bps = static_cast<std::uint64_t>(integer_field(m, "rate_bps", 0, std::int64_t{100'000'000'000}));
  t.sndbuf = optional_buffer(m, "sndbuf");
  t.rcvbuf = optional_buffer(m, "rcvbuf");
  if (m.contains("data_port")) t.data_port = static_cast<int>(integer_field(m, "data_port", 1, 65535));
  return t;
}

nlohmann::json to_json(const test_request& t) {
  auto j = message(
      "test",
      {{"family", t.family}, {"size", t.size}, {"duration_s", t.duration_s}, {"rate_bps", t.rate_bps}});
  if (t.sndbuf) j["sndbuf"] = *t.sndbuf;
  if (t.rcvbuf) j["rcvbuf"] = *t.rcvbuf;
  if (t.data_port) j["data_port"] = *t.data_port;
  return j;
}

address with_port(const address& a, int port) {
  return std::visit(
      [port](auto copy) -> address {
        if constexpr (std::is_same_v<decltype(copy), unix_address>)
          throw std::invalid_argument("a cross-host peer needs an IP address, not " + copy.to_string());
        else
          copy.port = port;
        return copy;
      },
      a);
}

void apply_buffers(socket& s, const test_request& t) {
  if (t.sndbuf) s.setsockopt(option::sndbuf, *t.sndbuf);
  if (t.rcvbuf) s.setsockopt(option::rcvbuf, *t.rcvbuf);
}

nlohmann::json message(const std::string& type, nlohmann::json fields) {
  fields["version"] = protocol_version;
  fields["type"] = type;
  return fields;
}

}  // namespace socklab::bench::remote
