// SPDX-License-Identifier: MIT
// Fixtures only the conformance suite needs: accept-queue probes, eventual failures. The general
// ones come from test_support/: support.hpp (peer threads, loopback pairs, slow readers) and
// blocked_calls.hpp (the signal storm, waiting until a thread is blocked).
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "blocked_calls.hpp"
#include "run_context.hpp"
#include "support.hpp"
#include "support/behaviour.hpp"
#include "timing_window.hpp"

namespace socklab::conformance {

using namespace socklab::test;

/// Repeats `call` (at most `attempts` times) until it throws `Expected`; false if it never does.
/// Any other exception propagates and fails the test. Buffers and TCP windows grow under
/// autotuning, so "the next call fails" only holds as "some call soon fails" (CPython's pattern).
template <class Expected, class F>
bool eventually_throws(int attempts, F&& call) {
  for (int i = 0; i < attempts; ++i) {
    try {
      call();
    } catch (const Expected&) {
      return true;
    }
  }
  return false;
}

/// Whether `s` becomes writable (a non-blocking connect finished) within `limit`.
inline bool writable_within(const socket& s, std::chrono::milliseconds limit) {
  pollfd p{s.fileno(), POLLOUT, 0};
  return ::poll(&p, 1, static_cast<int>(limit.count())) == 1 && (p.revents & POLLOUT) != 0;
}

/// How many TCP connections `listener` (never accepting meanwhile) admits, counted on the server
/// side: `attempts` non-blocking connects, a bounded wait for those the kernel completes, then
/// non-blocking accepts until none is left. The clients are returned so they stay open.
inline int tcp_accept_queue_capacity(socket& listener, int attempts, std::vector<socket>& clients) {
  const auto where = listener.getsockname();
  for (int i = 0; i < attempts; ++i) {
    socket c(family_of(where), type::stream);
    c.setblocking(false);
    c.connect_ex(where);
    clients.push_back(std::move(c));
  }
  // Admitted handshakes finish in microseconds on loopback; dropped SYNs are retried after ~1 s,
  // so a 300 ms window separates the two cleanly.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
  for (auto& c : clients) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    writable_within(c, std::max(left, std::chrono::milliseconds(0)));
  }
  listener.setblocking(false);
  int accepted = 0;
  while (listener.try_accept()) ++accepted;
  return accepted;
}

/// What poll() reports for `s` now, asked for reading, writing and the peer's half-close, as the
/// sorted names of the bits set (POLLIN, POLLOUT, POLLERR, POLLHUP, POLLRDHUP).
inline std::vector<std::string> poll_events(const socket& s) {
  pollfd p{s.fileno(), POLLIN | POLLOUT | POLLRDHUP, 0};
  if (::poll(&p, 1, 0) < 0) throw std::runtime_error("poll failed");
  std::vector<std::string> names;
  for (const auto& [bit, name] :
       {std::pair{POLLIN, "POLLIN"}, std::pair{POLLOUT, "POLLOUT"}, std::pair{POLLERR, "POLLERR"},
        std::pair{POLLHUP, "POLLHUP"}, std::pair{POLLRDHUP, "POLLRDHUP"}})
    if ((p.revents & bit) != 0) names.emplace_back(name);
  return names;
}

/// Whether poll() reports any of `events` for `s` within `limit` (what a peer did reaches this end
/// asynchronously, if within microseconds on loopback).
inline bool polls_within(const socket& s, short events,
                         std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  pollfd p{s.fileno(), events, 0};
  return ::poll(&p, 1, static_cast<int>(limit.count())) == 1 && (p.revents & events) != 0;
}

/// The class Python raises for the error `e` stands for (errors.hpp mirrors its hierarchy).
inline std::string python_class_of(const error& e) {
  if (dynamic_cast<const timeout_error*>(&e)) return "TimeoutError";
  if (dynamic_cast<const blocking_io_error*>(&e)) return "BlockingIOError";
  if (dynamic_cast<const interrupted_error*>(&e)) return "InterruptedError";
  if (dynamic_cast<const broken_pipe_error*>(&e)) return "BrokenPipeError";
  if (dynamic_cast<const connection_reset_error*>(&e)) return "ConnectionResetError";
  if (dynamic_cast<const connection_refused_error*>(&e)) return "ConnectionRefusedError";
  if (dynamic_cast<const connection_aborted_error*>(&e)) return "ConnectionAbortedError";
  if (dynamic_cast<const file_not_found_error*>(&e)) return "FileNotFoundError";
  if (dynamic_cast<const permission_error*>(&e)) return "PermissionError";
  if (dynamic_cast<const process_lookup_error*>(&e)) return "ProcessLookupError";
  if (dynamic_cast<const gai_error*>(&e)) return "gaierror";
  if (dynamic_cast<const herror*>(&e)) return "herror";
  return "OSError";
}

/// An errno's name as Python's errno.errorcode gives it (95 is ENOTSUP there), else its number.
inline std::string errno_name_of(int value) {
  static const std::map<int, std::string> names = {{EPERM, "EPERM"},
                                                   {ESRCH, "ESRCH"},
                                                   {ENOENT, "ENOENT"},
                                                   {EINTR, "EINTR"},
                                                   {EBADF, "EBADF"},
                                                   {EAGAIN, "EAGAIN"},
                                                   {EACCES, "EACCES"},
                                                   {EINVAL, "EINVAL"},
                                                   {EPIPE, "EPIPE"},
                                                   {ENOTSOCK, "ENOTSOCK"},
                                                   {EDESTADDRREQ, "EDESTADDRREQ"},
                                                   {EMSGSIZE, "EMSGSIZE"},
                                                   {ENOPROTOOPT, "ENOPROTOOPT"},
                                                   {EOPNOTSUPP, "ENOTSUP"},
                                                   {EAFNOSUPPORT, "EAFNOSUPPORT"},
                                                   {EADDRINUSE, "EADDRINUSE"},
                                                   {EADDRNOTAVAIL, "EADDRNOTAVAIL"},
                                                   {ECONNABORTED, "ECONNABORTED"},
                                                   {ECONNRESET, "ECONNRESET"},
                                                   {EISCONN, "EISCONN"},
                                                   {ENOTCONN, "ENOTCONN"},
                                                   {ESHUTDOWN, "ESHUTDOWN"},
                                                   {ETIMEDOUT, "ETIMEDOUT"},
                                                   {ECONNREFUSED, "ECONNREFUSED"},
                                                   {EALREADY, "EALREADY"},
                                                   {EINPROGRESS, "EINPROGRESS"},
                                                   {ENETUNREACH, "ENETUNREACH"},
                                                   {EHOSTUNREACH, "EHOSTUNREACH"},
                                                   {ENOBUFS, "ENOBUFS"},
                                                   {EDOM, "EDOM"},
                                                   {ERANGE, "ERANGE"},
                                                   {ENOTDIR, "ENOTDIR"},
                                                   {EEXIST, "EEXIST"},
                                                   {EFAULT, "EFAULT"},
                                                   {ENOMEM, "ENOMEM"},
                                                   {ENODEV, "ENODEV"},
                                                   {ENXIO, "ENXIO"},
                                                   {ENFILE, "ENFILE"},
                                                   {EMFILE, "EMFILE"},
                                                   {EPROTONOSUPPORT, "EPROTONOSUPPORT"},
                                                   {EPROTOTYPE, "EPROTOTYPE"},
                                                   {ESOCKTNOSUPPORT, "ESOCKTNOSUPPORT"},
                                                   {ENETDOWN, "ENETDOWN"}};
  const auto it = names.find(value);
  return it == names.end() ? std::to_string(value) : it->second;
}

/// The Python name and errno name of what `call` threw ("BrokenPipeError EPIPE"), or "none".
template <class F>
std::string outcome_of(F&& call) {
  try {
    call();
  } catch (const error& e) {
    std::string errno_name =
        e.code().category() == socklab_category() ? "None" : errno_name_of(e.code().value());
    return python_class_of(e) + " " + errno_name;
  }
  return "none";
}

/// What setting option (level, name) of `s` to each of `values` does, in order, as
/// "value:outcome" joined by spaces ("0:OSError EINVAL 1:none").
inline std::string setting_outcomes(socket& s, int level, int name, std::initializer_list<int> values) {
  std::string out;
  for (const int v : values)
    out += (out.empty() ? "" : " ") + std::to_string(v) + ":" +
           outcome_of([&] { s.setsockopt(level, name, v); });
  return out;
}

/// What option (level, name) of `s` reads back after setting it to each of `values`, in order, as
/// "value:read" joined by spaces ("2:3 4:7"); a setting that fails shows its outcome instead.
inline std::string read_backs(socket& s, int level, int name, std::initializer_list<int> values) {
  std::string out;
  for (const int v : values) {
    auto got = outcome_of([&] { s.setsockopt(level, name, v); });
    if (got == "none") got = std::to_string(s.getsockopt(level, name));
    out += (out.empty() ? "" : " ") + std::to_string(v) + ":" + got;
  }
  return out;
}

/// The numbers of a sysctl ("net/ipv4/tcp_rmem" gives its three); throws if it cannot be read.
inline std::vector<long> sysctl_numbers(const std::string& name) {
  const auto text = harness::read_sysctl(name);
  if (!text) throw std::runtime_error("cannot read the sysctl " + name);
  std::istringstream in(*text);
  std::vector<long> numbers;
  for (long v = 0; in >> v;) numbers.push_back(v);
  if (numbers.empty()) throw std::runtime_error("the sysctl " + name + " holds no number");
  return numbers;
}

/// The ancillary items of one datagram that `sender` sends to `receiver` (loopback timeout).
inline std::vector<control_message> items_of_a_datagram(socket& sender, socket& receiver) {
  sender.sendto(as_bytes("x"), receiver.getsockname());
  receiver.settimeout(loopback_timeout);
  return receiver.recvmsg(16, 256).ancdata;
}

/// Ancillary items as "level/type:size" (Python's (level, type, data) tuples, compared alike).
inline std::vector<std::string> item_names(const std::vector<control_message>& items) {
  std::vector<std::string> names;
  names.reserve(items.size());
  for (const auto& m : items)
    names.push_back(std::to_string(m.level) + "/" + std::to_string(m.type) + ":" +
                    std::to_string(m.data.size()));
  return names;
}

/// The data of the first item of (level, type), or empty.
inline std::vector<std::byte> item_data(const std::vector<control_message>& items, int level, int type) {
  for (const auto& m : items)
    if (m.level == level && m.type == type) return m.data;
  return {};
}

/// The native-endian int at `offset` of `data` (ancillary items carry C structs), or -1 if short.
inline int int_at(const std::vector<std::byte>& data, std::size_t offset = 0) {
  int v = -1;
  if (data.size() >= offset + sizeof v) std::memcpy(&v, data.data() + offset, sizeof v);
  return v;
}

/// FIONREAD: the bytes waiting to be read (a stream's and SEQPACKET's all, a datagram socket's
/// next datagram).
inline int queued_bytes(const socket& s) {
  int n = 0;
  if (::ioctl(s.fileno(), FIONREAD, &n) != 0) throw std::runtime_error("ioctl(FIONREAD) failed");
  return n;
}

/// Whether at least `n` bytes are waiting in `s` within `limit` (bounded poll of FIONREAD: loopback
/// TCP may deliver a segment a moment after send() returns).
inline bool queued_within(const socket& s, int n,
                          std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (queued_bytes(s) < n) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

}  // namespace socklab::conformance
