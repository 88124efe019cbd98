// SPDX-License-Identifier: MIT
#include "socklab/socket.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <ostream>
#include <sstream>
#include <stdexcept>

#include "sys/sys.hpp"

namespace socklab {
namespace {

// Nanoseconds, or -1 for "none" (blocking): one atomic word, so any thread may read or set it.
std::atomic<std::int64_t> default_timeout_ns{-1};

void require_non_negative(const timeout& t, const char* operation) {
  if (t && t->count() < 0)
    throw std::invalid_argument(std::string(operation) + ": timeout must be non-negative");
}

// Argument checks Python makes before any system call. Each is one error code: a try_* form
// returns it, a throwing form throws it (throw_error makes it std::invalid_argument).
std::error_code family_check(const address& a, family f) noexcept {
  return family_of(a) == f ? std::error_code{} : make_error_code(socklab_errc::family_mismatch);
}

void require_family(const address& a, family f, const char* operation) {
  if (auto ec = family_check(a, f)) throw_error(ec, operation);
}

std::size_t checked_size(std::ptrdiff_t n, const char* operation) {
  if (n < 0) throw_error(make_error_code(socklab_errc::negative_size), operation);
  return static_cast<std::size_t>(n);
}

// Python's recv_into(buffer, nbytes): 0 means the whole buffer; more than the buffer is an error.
result<std::span<std::byte>> window_of(std::span<std::byte> buffer, std::ptrdiff_t nbytes) noexcept {
  if (nbytes < 0) return make_error_code(socklab_errc::negative_size);
  const auto n = static_cast<std::size_t>(nbytes);
  if (n > buffer.size()) return make_error_code(socklab_errc::nbytes_over_buffer);
  return n == 0 ? buffer : buffer.first(n);
}

// A string_view parameter: the literal's length is known where it is written, not counted per call.
template <class T>
T unwrap(result<T>&& r, std::string_view operation) {
  return std::move(r).value_or_throw(operation);
}

void check(std::error_code ec, const char* operation) {
  if (ec) throw_error(ec, operation);
}

// Sends every byte of `data` under one wait policy, or throws with the count sent so far (`before`
// bytes went out in earlier calls of the same operation). Like CPython's sendall, an empty payload
// still makes one send(), so errors on a dead socket surface.
void send_everything(int fd, std::span<const std::byte> data, int flags, const sys::wait_policy& w,
                     const char* operation, std::size_t before) {
  std::size_t sent = 0;
  do {
    auto r = sys::send(fd, data.subspan(sent), flags, w);
    if (!r) throw_error(r.error(), operation, before + sent);
    sent += *r;
  } while (sent < data.size());
}

}  // namespace

// ---- lifetime ----

socket::socket(int fd, socklab::family f, socklab::type t, int proto, timeout t_mode) noexcept
    : fd_(fd), family_(f), type_(t), proto_(proto), timeout_(t_mode) {}

socket::socket(socklab::family f, socklab::type t, int proto)
    : fd_(unwrap(sys::open_socket(f, t, proto), "socket")), family_(f), type_(t), proto_(proto) {
  // A new descriptor is blocking already: only a default timeout needs a system call.
  if (const auto t = getdefaulttimeout()) {
    try {
      settimeout(t);
    } catch (...) {
      sys::close_fd(std::exchange(fd_, -1));
      throw;
    }
  }
}

socket socket::from_fd(int fd) {
  if (fd < 0) throw std::invalid_argument("socket(fileno): negative file descriptor");
  const auto id = unwrap(sys::identify(fd), "socket(fileno)");
  socket s(fd, id.fam, id.typ, id.proto, std::nullopt);
  try {
    s.settimeout(getdefaulttimeout());
  } catch (...) {
    s.detach();  // the caller still owns fd when we throw
    throw;
  }
  return s;
}

socket::~socket() {
  if (fd_ >= 0) sys::close_fd(fd_);
}

socket::socket(socket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      family_(other.family_),
      type_(other.type_),
      proto_(other.proto_),
      timeout_(other.timeout_) {}

socket& socket::operator=(socket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) sys::close_fd(fd_);
    fd_ = std::exchange(other.fd_, -1);
    family_ = other.family_;
    type_ = other.type_;
    proto_ = other.proto_;
    timeout_ = other.timeout_;
  }
  return *this;
}

void socket::close() {
  // -1 first, so that a concurrent close or detach can never act on a recycled descriptor.
  const int fd = std::exchange(fd_, -1);
  if (fd < 0) return;
  const auto ec = sys::close_fd(fd);
  if (ec && ec != std::errc::connection_reset) throw_error(ec, "close");
}

int socket::detach() noexcept { return std::exchange(fd_, -1); }

socket socket::dup() const {
  const int d = unwrap(sys::dup_fd(fd_), "dup");
  return {d, family_, type_, proto_, timeout_};  // O_NONBLOCK is shared by both descriptors anyway
}

// ---- endpoints ----

void socket::bind(const address& local) {
  require_family(local, family_, "bind");
  check(sys::bind(fd_, local), "bind");
}

void socket::listen(std::optional<int> backlog) {
  const int n = backlog ? std::max(*backlog, 0) : sys::default_backlog();
  check(sys::listen(fd_, n), "listen");
}

result<accept_result> socket::try_accept() noexcept {
  auto r = sys::accept(fd_, family_, sys::wait_policy::from(timeout_));
  if (!r) return r.error();
  // Python's rule, made explicit because BSDs let the new descriptor inherit O_NONBLOCK and Linux
  // does not: the accepted socket takes the default timeout, else blocking mode.
  const timeout t = getdefaulttimeout();
  socket conn(r->fd, family_, type_, proto_, t);
  if (auto ec = sys::set_nonblocking(r->fd, t.has_value())) return ec;  // conn closes the fd
  return accept_result{std::move(conn), std::move(r->addr)};
}

accept_result socket::accept() { return unwrap(try_accept(), "accept"); }

void socket::connect(const address& peer) {
  require_family(peer, family_, "connect");
  check(sys::connect(fd_, peer, sys::wait_policy::from(timeout_)), "connect");
}

int socket::connect_ex(const address& peer) {
  require_family(peer, family_, "connect_ex");
  const auto ec = sys::connect(fd_, peer, sys::wait_policy::from(timeout_));
  if (ec == socklab_errc::timed_out) return EWOULDBLOCK;  // Python's connect_ex on timeout
  return ec.value();
}

void socket::shutdown(shut how) { check(sys::shutdown(fd_, how), "shutdown"); }

address socket::getsockname() const { return unwrap(sys::getsockname(fd_, family_), "getsockname"); }
address socket::getpeername() const { return unwrap(sys::getpeername(fd_, family_), "getpeername"); }

// ---- data ----

result<std::size_t> socket::try_send(std::span<const std::byte> data, int flags) noexcept {
  return sys::send(fd_, data, flags, sys::wait_policy::from(timeout_));
}

std::size_t socket::send(std::span<const std::byte> data, int flags) {
  return unwrap(try_send(data, flags), "send");
}

void socket::sendall(std::span<const std::byte> data, int flags) {
  // One deadline for the whole call (Python >= 3.5): a slow reader cannot stretch it chunk by chunk.
  send_everything(fd_, data, flags, sys::wait_policy::from(timeout_), "sendall", 0);
}

std::size_t socket::sendfile(int file, std::uint64_t offset, std::optional<std::size_t> count) {
  if (timeout_ && timeout_->count() == 0)
    throw std::invalid_argument("sendfile: non-blocking sockets are not supported");
  const auto w = sys::wait_policy::from(timeout_);     // one deadline for the whole call
  constexpr std::size_t block = std::size_t{1} << 30;  // Python's largest sendfile() chunk
  std::size_t sent = 0;
  const auto left = [&] { return count ? *count - sent : block; };
  bool zero_copy = true;
  while (left() > 0) {
    if (zero_copy) {
      auto r = sys::sendfile(fd_, file, offset + sent, std::min(left(), block), w);
      if (r) {
        if (*r == 0) break;  // end of file
        sent += *r;
        continue;
      }
      const int e = r.error().value();
      // What the kernel cannot sendfile(2) (a pipe, a socket as the source, no such call), a
      // read-and-send loop can, as Python falls back; any other error is the call's.
      if (sent == 0 && r.error().category() == std::system_category() &&
          (e == EINVAL || e == ENOSYS || e == ENOTSUP || e == EOVERFLOW || e == ESPIPE)) {
        zero_copy = false;
        continue;
      }
      throw_error(r.error(), "sendfile", sent);
    }
    std::array<std::byte, 64 * 1024> chunk;
    auto n = sys::read_at(file, std::span(chunk).first(std::min(left(), chunk.size())), offset + sent);
    if (!n) throw_error(n.error(), "sendfile: read", sent);
    if (*n == 0) break;
    send_everything(fd_, std::span(chunk).first(*n), 0, w, "sendfile", sent);
    sent += *n;
  }
  if (sent > 0)
    if (auto ec = sys::seek_to(file, offset + sent)) throw_error(ec, "sendfile", sent);
  return sent;
}

result<std::size_t> socket::try_sendto(std::span<const std::byte> data, const address& to,
                                       int flags) noexcept {
  if (auto ec = family_check(to, family_)) return ec;
  return sys::sendto(fd_, data, to, flags, sys::wait_policy::from(timeout_));
}

std::size_t socket::sendto(std::span<const std::byte> data, const address& to, int flags) {
  return unwrap(try_sendto(data, to, flags), "sendto");
}

std::vector<std::byte> socket::recv(std::ptrdiff_t bufsize, int flags) {
  const auto n = checked_size(bufsize, "recv");
  if (n == 0) return {};  // Python makes no system call: a pending datagram is not consumed
  std::vector<std::byte> data(n);
  // MSG_TRUNC may report a datagram's real, longer length: only what arrived is returned (CPython
  // grows its buffer to that length and hands out uninitialised bytes).
  data.resize(std::min(unwrap(try_recv_into(data, 0, flags), "recv"), n));
  return data;
}

result<std::size_t> socket::try_recv_into(std::span<std::byte> buffer, std::ptrdiff_t nbytes,
                                          int flags) noexcept {
  auto window = window_of(buffer, nbytes);
  if (!window) return window.error();
  if (window->empty()) return std::size_t{0};  // Python makes no system call for an empty buffer
  return sys::recv(fd_, *window, flags, sys::wait_policy::from(timeout_));
}

std::size_t socket::recv_into(std::span<std::byte> buffer, std::ptrdiff_t nbytes, int flags) {
  return unwrap(try_recv_into(buffer, nbytes, flags), "recv_into");
}

result<recvfrom_into_result> socket::try_recvfrom_into(std::span<std::byte> buffer, std::ptrdiff_t nbytes,
                                                       int flags) noexcept {
  auto window = window_of(buffer, nbytes);
  if (!window) return window.error();
  return sys::recvfrom(fd_, family_, *window, flags, sys::wait_policy::from(timeout_));
}

recvfrom_result socket::recvfrom(std::ptrdiff_t bufsize, int flags) {
  std::vector<std::byte> data(checked_size(bufsize, "recvfrom"));
  auto r = unwrap(try_recvfrom_into(data, 0, flags), "recvfrom");
  data.resize(std::min(r.nbytes, data.size()));  // MSG_TRUNC may report the longer real length
  return {std::move(data), std::move(r.addr)};
}

recvfrom_into_result socket::recvfrom_into(std::span<std::byte> buffer, std::ptrdiff_t nbytes, int flags) {
  return unwrap(try_recvfrom_into(buffer, nbytes, flags), "recvfrom_into");
}

result<std::size_t> socket::try_sendmsg(std::span<const std::span<const std::byte>> buffers,
                                        std::span<const control_message> ancdata, int flags,
                                        const std::optional<address>& to) noexcept {
  if (to)
    if (auto ec = family_check(*to, family_)) return ec;
  std::vector<std::byte> control;
  try {
    control = sys::pack_control(ancdata);
  } catch (const std::bad_alloc&) {
    return std::error_code(ENOMEM, std::system_category());
  }
  return sys::sendmsg(fd_, buffers, control, to ? &*to : nullptr, flags, sys::wait_policy::from(timeout_));
}

std::size_t socket::sendmsg(std::span<const std::span<const std::byte>> buffers,
                            std::span<const control_message> ancdata, int flags,
                            const std::optional<address>& to) {
  return unwrap(try_sendmsg(buffers, ancdata, flags, to), "sendmsg");
}

recvmsg_into_result socket::recvmsg_into(std::span<const std::span<std::byte>> buffers,
                                         std::size_t ancbufsize, int flags) {
  std::vector<std::byte> control(ancbufsize);
  auto r = unwrap(sys::recvmsg(fd_, family_, buffers, control, flags, sys::wait_policy::from(timeout_)),
                  "recvmsg");
  return {r.nbytes, sys::unpack_control(std::span(control).first(std::min(r.control_length, control.size()))),
          r.msg_flags, std::move(r.addr)};
}

recvmsg_result socket::recvmsg(std::ptrdiff_t bufsize, std::size_t ancbufsize, int flags) {
  std::vector<std::byte> data(checked_size(bufsize, "recvmsg"));
  const std::span<std::byte> whole(data);
  auto r = recvmsg_into(std::span(&whole, 1), ancbufsize, flags);
  data.resize(std::min(r.nbytes, data.size()));  // MSG_TRUNC may report the longer real length
  return {std::move(data), std::move(r.ancdata), r.msg_flags, std::move(r.addr)};
}

// ---- modes and options ----

void socket::settimeout(timeout t) {
  require_non_negative(t, "settimeout");
  // Timeout mode and non-blocking mode are both O_NONBLOCK underneath; only blocking mode is not.
  check(sys::set_nonblocking(fd_, t.has_value()), "settimeout");
  timeout_ = t;
}

bool socket::get_inheritable() const { return unwrap(sys::get_inheritable(fd_), "get_inheritable"); }
void socket::set_inheritable(bool inheritable) {
  check(sys::set_inheritable(fd_, inheritable), "set_inheritable");
}

void socket::setsockopt(option opt, int value) {
  const auto [level, name] = sys::option_level_name(opt);
  setsockopt(level, name, value);
}

int socket::getsockopt(option opt) const {
  const auto [level, name] = sys::option_level_name(opt);
  const int value = getsockopt(level, name);
  switch (opt) {
    case option::reuse_addr:
    case option::reuse_port:
    case option::keepalive:
    case option::broadcast:
    case option::acceptconn:
    case option::tcp_nodelay:
    case option::ipv6_v6only:
      return value != 0 ? 1 : 0;  // macOS returns the flag's bit value
    default:
      return value;
  }
}

void socket::setsockopt(int level, int name, int value) {
  setsockopt(level, name, std::as_bytes(std::span{&value, 1}));
}

void socket::setsockopt(int level, int name, std::span<const std::byte> value) {
  check(sys::setsockopt(fd_, level, name, value), "setsockopt");
}

int socket::getsockopt(int level, int name) const {
  int value = 0;
  getsockopt(level, name, std::as_writable_bytes(std::span{&value, 1}));
  return value;
}

std::size_t socket::getsockopt(int level, int name, std::span<std::byte> buffer) const {
  return unwrap(sys::getsockopt(fd_, level, name, buffer), "getsockopt");
}

// ---- module level ----

void setdefaulttimeout(timeout t) {
  require_non_negative(t, "setdefaulttimeout");
  default_timeout_ns.store(t ? t->count() : -1);
}

timeout getdefaulttimeout() noexcept {
  const auto ns = default_timeout_ns.load();
  if (ns < 0) return std::nullopt;
  return std::chrono::nanoseconds(ns);
}

std::pair<socket, socket> socketpair(socklab::family f, socklab::type t, int proto) {
  const auto [a, b] = unwrap(sys::open_socketpair(f, t, proto), "socketpair");
  std::pair<socket, socket> pair{socket(a, f, t, proto, std::nullopt), socket(b, f, t, proto, std::nullopt)};
  if (const auto t = getdefaulttimeout()) {
    pair.first.settimeout(t);
    pair.second.settimeout(t);
  }
  return pair;
}

std::string_view to_string(socklab::type t) noexcept {
  switch (t) {
    case type::stream:
      return "stream";
    case type::dgram:
      return "dgram";
    case type::raw:
      return "raw";
    case type::seqpacket:
      return "seqpacket";
  }
  return "?";
}

std::string to_string(const socket& s) {
  std::ostringstream out;
  out << "<socklab.socket" << (s.fileno() < 0 ? " [closed]" : "") << " fd=" << s.fileno()
      << ", family=" << to_string(s.family()) << ", type=" << to_string(s.type()) << ", proto=" << s.proto();
  if (s.fileno() >= 0) {
    if (auto local = sys::getsockname(s.fileno(), s.family())) out << ", laddr=" << *local;
    if (auto peer = sys::getpeername(s.fileno(), s.family())) out << ", raddr=" << *peer;
  }
  out << '>';
  return out.str();
}

std::ostream& operator<<(std::ostream& os, const socket& s) { return os << to_string(s); }

}  // namespace socklab
