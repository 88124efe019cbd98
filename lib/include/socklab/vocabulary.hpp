// SPDX-License-Identifier: MIT
// The words socket.hpp, resolve.hpp and the OS layer (lib/src/sys/) share: socket types, flags,
// options, timeouts and the results of receiving and resolving. Below all three, so that the OS
// layer needs neither public header and every include points one way.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "socklab/address.hpp"

namespace socklab {

/// Python: SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, SOCK_SEQPACKET.
enum class type { stream, dgram, raw, seqpacket };
/// Python: SHUT_RD, SHUT_WR, SHUT_RDWR.
enum class shut { rd, wr, rdwr };

/// std::nullopt = blocking, zero = non-blocking, positive = timeout mode.
using timeout = std::optional<std::chrono::nanoseconds>;

/// Send/recv flags, passed through to the OS (Python: socket.MSG_*).
namespace msg {
extern const int peek;      // MSG_PEEK
extern const int waitall;   // MSG_WAITALL: best effort; a no-op in timeout and non-blocking mode
extern const int dontwait;  // MSG_DONTWAIT
extern const int oob;       // MSG_OOB
extern const int trunc;     // MSG_TRUNC (Linux: recv returns the real datagram length); in
                            // recvmsg's msg_flags: the datagram did not fit
extern const int ctrunc;    // MSG_CTRUNC, in recvmsg's msg_flags: the ancillary data did not fit
extern const int eor;       // MSG_EOR
}  // namespace msg

/// Ancillary data levels and types (Python: socket.SOL_SOCKET, SCM_RIGHTS, SCM_CREDENTIALS).
namespace scm {
extern const int sol_socket;   // SOL_SOCKET: the level of the items below
extern const int rights;       // SCM_RIGHTS: descriptors (int each)
extern const int credentials;  // SCM_CREDENTIALS (Linux): a struct ucred
}  // namespace scm

/// One ancillary data item, Python's (cmsg_level, cmsg_type, cmsg_data). socklab packs and parses
/// the control buffer: no cmsghdr arithmetic in user code.
struct control_message {
  int level = 0;
  int type = 0;
  std::vector<std::byte> data;
  bool operator==(const control_message&) const = default;
};

/// Python: recvmsg() -> (data, ancdata, msg_flags, address). A truncated item keeps the bytes that
/// fit, as Python's does, and msg_flags has msg::ctrunc.
struct recvmsg_result {
  std::vector<std::byte> data;
  std::vector<control_message> ancdata;
  int msg_flags = 0;
  std::optional<address> addr;
};
/// Python: recvmsg_into() -> (nbytes, ancdata, msg_flags, address).
struct recvmsg_into_result {
  std::size_t nbytes = 0;
  std::vector<control_message> ancdata;
  int msg_flags = 0;
  std::optional<address> addr;
};

/// The common socket options, typed; anything else goes through the raw (level, name) overloads.
enum class option {
  reuse_addr,   // SOL_SOCKET SO_REUSEADDR (bool)
  reuse_port,   // SOL_SOCKET SO_REUSEPORT (bool)
  keepalive,    // SOL_SOCKET SO_KEEPALIVE (bool)
  broadcast,    // SOL_SOCKET SO_BROADCAST (bool)
  sndbuf,       // SOL_SOCKET SO_SNDBUF (bytes; Linux reads back double the value set)
  rcvbuf,       // SOL_SOCKET SO_RCVBUF (bytes; Linux reads back double the value set)
  rcvlowat,     // SOL_SOCKET SO_RCVLOWAT (bytes)
  error,        // SOL_SOCKET SO_ERROR (errno, read-only; reading clears it)
  acceptconn,   // SOL_SOCKET SO_ACCEPTCONN (bool, read-only)
  tcp_nodelay,  // IPPROTO_TCP TCP_NODELAY (bool)
  ipv6_v6only,  // IPPROTO_IPV6 IPV6_V6ONLY (bool)
};

/// The sender is std::nullopt where Python returns None: the OS gave no address (a connected
/// stream socket, an unbound AF_UNIX datagram sender).
struct recvfrom_result {
  std::vector<std::byte> data;
  std::optional<address> addr;
};
struct recvfrom_into_result {
  std::size_t nbytes;
  std::optional<address> addr;
};

/// getaddrinfo() flags (Python: socket.AI_*); combine with |.
namespace ai {
inline constexpr int passive = 1 << 0;
inline constexpr int canonname = 1 << 1;
inline constexpr int numerichost = 1 << 2;
inline constexpr int numericserv = 1 << 3;
inline constexpr int addrconfig = 1 << 4;
inline constexpr int v4mapped = 1 << 5;
inline constexpr int all = 1 << 6;
}  // namespace ai

/// Who is at the other end of a connected AF_UNIX socket (SO_PEERCRED: the peer's credentials when
/// it connected, or when the pair was made).
struct peer_credentials {
  int pid = 0;
  unsigned uid = 0;
  unsigned gid = 0;
};

/// Python's (hostname, aliaslist, ipaddrlist) from gethostbyname_ex() and gethostbyaddr().
struct host_entry {
  std::string hostname;
  std::vector<std::string> aliases;
  std::vector<std::string> addresses;
  bool operator==(const host_entry&) const = default;
};

/// One row of if_nameindex(): Python's (index, name).
struct network_interface {
  unsigned index = 0;
  std::string name;
  bool operator==(const network_interface&) const = default;
};

/// getnameinfo() flags (Python: socket.NI_*); combine with |.
namespace ni {
inline constexpr int numerichost = 1 << 0;
inline constexpr int numericserv = 1 << 1;
inline constexpr int namereqd = 1 << 2;
inline constexpr int nofqdn = 1 << 3;
inline constexpr int dgram = 1 << 4;
}  // namespace ni

/// One row of getaddrinfo(): Python's (family, type, proto, canonname, sockaddr).
struct addrinfo {
  socklab::family family;
  socklab::type type;
  int proto;
  std::string canonname;
  address addr;
};

}  // namespace socklab
