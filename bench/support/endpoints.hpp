// SPDX-License-Identifier: MIT
// Connected endpoints for the benchmark families, with the run's options applied to both ends:
// buffer sizes, TCP congestion control, TCP_NODELAY, and kernel send/receive timeouts that act as
// the watchdog (a blocking call on a silent peer fails instead of hanging) for both twins alike.
#pragma once

#include <sys/socket.h>

#include <string>

#include "socklab/socket.hpp"

namespace socklab::bench {

/// Where to send or connect, in both forms: socklab's address and the raw twin's sockaddr.
struct target {
  address addr{};
  sockaddr_storage native{};
  socklen_t native_len = 0;
  /// The local address of `s`.
  static target of(const socket& s);
};

struct endpoint_pair {
  socket near;  // the measuring side
  socket far;   // handed to the peer
  target near_target;
  target far_target;
};

/// A connected stream pair: TCP over 127.0.0.1, or AF_UNIX.
endpoint_pair stream_pair(family f, bool nodelay);
/// Two bound datagram sockets: UDP on 127.0.0.1, or AF_UNIX with paths in a private folder;
/// `connected`: each connected to the other.
endpoint_pair dgram_pair(family f, bool connected);

/// The congestion control a TCP socket really uses ("" where the OS cannot say).
std::string tcp_congestion_of(const socket& s);

/// Applies the watchdog timeouts and buffer sizes to a socket made elsewhere (connection benches).
void apply_socket_options(socket& s);
/// The watchdog alone, on a raw descriptor (the POSIX twin's sockets).
void set_watchdog(int fd);

}  // namespace socklab::bench
