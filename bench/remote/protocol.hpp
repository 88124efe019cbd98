// SPDX-License-Identifier: MIT
// The control protocol between `socklab-bench --peer=HOST:PORT` (the client, which measures) and
// `socklab-bench --serve` (the server, which receives or echoes and reports what arrived): JSON
// messages in length-prefixed frames (socklab/framing.hpp) on one TCP connection.
//
//   client: {"version":2,"type":"hello","context":{...},"nonce":NC}
//   server: {"version":2,"type":"hello","context":{...},"nonce":NS,"auth":"none"|"hmac-sha256"}
//   ... with a key, the challenge-response of remote/handshake.hpp ...
//   client: {"version":2,"type":"test","family":"tcp_stream","size":65536,"duration_s":2,...}
//           (tcp_stream_reverse: the server sends, iperf3 -R; tcp_stream_bidir: both at once)
//           (datagram tests announce "data_port": the port of the client's data socket)
//   server: {"version":2,"type":"ready","port":P}   or   {"version":2,"type":"error","message":"..."}
//   ... the data phase on port P (datagram tests end it with {"type":"done","sent":N}) ...
//   server: {"version":2,"type":"result","bytes":B,"messages":M,"seconds":S,"foreign":F}
//           (what the server received; a server that sent adds "sent_bytes" and "sent_seconds")
//   client: {"version":2,"type":"bye"}
// Version 2 added the handshake, data_port and the foreign count; a version-1 peer is told the
// version this side speaks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "socklab/socket.hpp"

namespace socklab::bench::remote {

inline constexpr int protocol_version = 2;
/// Control messages are small: a frame announcing more is refused before it is read.
inline constexpr std::size_t control_max_frame = std::size_t{64} * 1024;

/// One test the client asks for, checked field by field.
struct test_request {
  std::string family;  // tcp_stream(_reverse, _bidir), udp_stream, tcp_pingpong, udp_pingpong
  std::size_t size = 0;
  double duration_s = 0;
  std::uint64_t rate_bps = 0;  // datagram pacing, bits per second (0: as fast as the sender can)
  std::optional<int> sndbuf;
  std::optional<int> rcvbuf;
  std::optional<int> data_port;  // datagram tests: the client's data socket, the only source admitted
};

bool is_datagram(const std::string& family);
/// Which ends send data in a stream test: the server in tcp_stream_reverse and _bidir, the client
/// in all but tcp_stream_reverse.
bool server_sends(const std::string& family);
bool client_sends(const std::string& family);

/// A message of this protocol's version with a string "type"; returns the type. Throws
/// std::invalid_argument with a one-line reason (not an object, wrong version, no type).
std::string check_envelope(const nlohmann::json& message);

/// The test a "test" message asks for. Throws std::invalid_argument naming the field and its
/// allowed range (unknown family, size out of range for the family, duration, buffers, rate).
test_request parse_test(const nlohmann::json& message);

nlohmann::json to_json(const test_request& t);

/// `a` (IPv4 or IPv6) with another port.
address with_port(const address& a, int port);

/// Sets the socket buffer sizes the test asks for, on either end.
void apply_buffers(socket& s, const test_request& t);

/// A message of this protocol: {"version":1,"type":type} plus `fields`.
nlohmann::json message(const std::string& type, nlohmann::json fields = nlohmann::json::object());

}  // namespace socklab::bench::remote
