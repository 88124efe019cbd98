// SPDX-License-Identifier: MIT
// The two implementations every family is measured with, behind one interface, so that a family's
// code is written once: via_socklab calls the library; via_posix makes the same system calls by
// hand (and counts them, as socklab counts its own). Both block in the kernel (the watchdog is
// SO_RCVTIMEO/SO_SNDTIMEO) and both throw on error.
#pragma once

// clang-format off: the include sorter would move it after linux/errqueue.h
#include <time.h>  // before linux/errqueue.h, which uses struct timespec without it
// clang-format on
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <span>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "endpoints.hpp"
#include "engine/cost.hpp"
#include "socklab/fast_paths.hpp"
#include "socklab/selector.hpp"
#include "socklab/socket.hpp"

namespace socklab::bench {

#if defined(MSG_NOSIGNAL)
inline constexpr int raw_send_flags = MSG_NOSIGNAL;
#else
inline constexpr int raw_send_flags = 0;  // macOS: the raw twin relies on SIGPIPE being ignored
#endif

/// Testing the gate: a known slowdown planted in the socklab twin (see options::plant_family).
/// Every 64 calls, the measuring thread idles for fraction/(1-fraction) of the wall time since its
/// last idle, so its calls take 1/(1-fraction) as long; the peer never idles. A benchmark's result
/// is that thread's wall time, so it moves by about the fraction asked for (15 % read -14.6 %, the
/// median of 20 A/B runs on one CPU; a peer on another CPU can catch up during the idle and shrink
/// it). A plant on the CPU time of both ends, tried first, read anything from -11 % to -33 % for
/// "15 %": no ground truth to measure a detector against. Reading the clock once per 64 calls
/// keeps the planting itself out of the slowdown.
struct planted_slowdown {
  double fraction = 0.0;
  unsigned calls = 0;
  std::chrono::steady_clock::time_point since{};
};
extern thread_local planted_slowdown planted;
void plant_slowdown(double fraction);  // this thread's, from now on (0: none)
void planted_idle();

template <class F>
auto then_idle(F&& call) {
  struct idle_after {
    ~idle_after() { planted_idle(); }
  } idle;
  return call();
}

struct via_socklab {
  static constexpr const char* name = "socklab";
  static void send_all(socket& s, std::span<const std::byte> b) { s.sendall(b); }
  static std::size_t recv_some(socket& s, std::span<std::byte> b) { return s.recv_into(b); }
  /// One datagram on a connected socket; whether the kernel took it (here always: errors throw).
  static bool send(socket& s, std::span<const std::byte> b) { return s.send(b) == b.size(); }
  static void send_to(socket& s, std::span<const std::byte> b, const target& to) { s.sendto(b, to.addr); }
  static std::size_t recv_from(socket& s, std::span<std::byte> b) { return s.recvfrom_into(b).nbytes; }
  /// One connection's life: socket, watchdog, connect, a transaction if `request` is not empty
  /// (send it, read `reply.size()` bytes back), wait for the server's close, close.
  static void connect_cycle(const target& to, std::span<const std::byte> request = {},
                            std::span<std::byte> reply = {}) {
    socket c(family_of(to.addr), type::stream);
    set_watchdog(c.fileno());  // the same two setsockopt calls as the raw twin
    c.connect(to.addr);
    if (!request.empty()) {
      c.sendall(request);
      for (std::size_t got = 0; got < reply.size();) {
        const auto n = c.recv_into(reply.subspan(got));
        if (n == 0) throw std::runtime_error("the server closed before its whole reply");
        got += n;
      }
    }
    std::byte b{};
    c.recv_into(std::span(&b, 1));
    c.close();
  }
  /// Accepts one connection; if `buf` is not empty, reads that many bytes and sends them back;
  /// closes it.
  static void accept_and_close(socket& listener, std::span<std::byte> buf = {}) {
    auto c = listener.accept().conn;
    if (!buf.empty()) {
      for (std::size_t got = 0; got < buf.size();) {
        const auto n = c.recv_into(buf.subspan(got));
        if (n == 0) throw std::runtime_error("the client closed before its whole request");
        got += n;
      }
      c.sendall(buf);
    }
    c.close();
  }
  // The fast paths (socklab/fast_paths.hpp): datagrams the kernel took, or what one read returned.
  static std::size_t send_batch(socket& s, std::span<const std::span<const std::byte>> d) {
    return socklab::send_batch(s, d);
  }
  static std::size_t recv_batch(socket& s, std::span<const std::span<std::byte>> b,
                                std::span<std::size_t> sizes) {
    return socklab::recv_batch(s, b, sizes);
  }
  static void send_segmented(socket& s, std::span<const std::byte> d, std::uint16_t segment) {
    socklab::send_segmented(s, d, segment);
  }
  static coalesced recv_coalesced(socket& s, std::span<std::byte> b) { return socklab::recv_coalesced(s, b); }
  static std::size_t send_zerocopy(socket& s, std::span<const std::byte> b) {
    return socklab::send_zerocopy(s, b);
  }
  static std::optional<zerocopy_done> read_zerocopy_done(socket& s) { return socklab::read_zerocopy_done(s); }
  static void set_busy_poll(socket& s, std::chrono::microseconds spin) { socklab::set_busy_poll(s, spin); }

  // Many flows on non-blocking sockets (socklab/selector.hpp): one readiness set per thread, and
  // calls that say "would block" (std::nullopt) instead of waiting.
  using readiness = selector;
  using ready = ready_event;
  static readiness new_readiness() { return selector(); }
  static void watch(readiness& r, socket& s, std::uint64_t key, bool writing, bool edge) {
    r.add(s, writing ? interest::writable : interest::readable, key, edge ? trigger::edge : trigger::level);
  }
  static std::size_t wait_ready(readiness& r, std::span<ready> out, std::chrono::nanoseconds t) {
    return r.wait(out, t);
  }
  static std::uint64_t key_of(const ready& e) { return e.key; }
  static std::optional<std::size_t> send_now(socket& s, std::span<const std::byte> b) {
    return unless_would_block(s.try_send(b), "send");
  }
  static std::optional<std::size_t> recv_now(socket& s, std::span<std::byte> b) {
    return unless_would_block(s.try_recv_into(b), "recv");
  }

 private:
  static std::optional<std::size_t> unless_would_block(result<std::size_t> r, const char* op) {
    if (r) return *r;
    if (r.error() == std::errc::operation_would_block ||
        r.error() == std::errc::resource_unavailable_try_again)
      return std::nullopt;
    throw std::system_error(r.error(), op);
  }
};

/// The socklab twin with the planted slowdown, registered in its place (under the same name) only
/// for the family --plant-slowdown names: the twin that is measured for real pays nothing for it.
struct via_socklab_slowed : via_socklab {
  static void send_all(socket& s, std::span<const std::byte> b) {
    then_idle([&] { via_socklab::send_all(s, b); });
  }
  static std::size_t recv_some(socket& s, std::span<std::byte> b) {
    return then_idle([&] { return via_socklab::recv_some(s, b); });
  }
  static bool send(socket& s, std::span<const std::byte> b) {
    return then_idle([&] { return via_socklab::send(s, b); });
  }
  static void send_to(socket& s, std::span<const std::byte> b, const target& to) {
    then_idle([&] { via_socklab::send_to(s, b, to); });
  }
  static std::size_t recv_from(socket& s, std::span<std::byte> b) {
    return then_idle([&] { return via_socklab::recv_from(s, b); });
  }
  static void connect_cycle(const target& to, std::span<const std::byte> request = {},
                            std::span<std::byte> reply = {}) {
    then_idle([&] { via_socklab::connect_cycle(to, request, reply); });
  }
  static std::size_t send_batch(socket& s, std::span<const std::span<const std::byte>> d) {
    return then_idle([&] { return via_socklab::send_batch(s, d); });
  }
  static std::size_t recv_batch(socket& s, std::span<const std::span<std::byte>> b,
                                std::span<std::size_t> sizes) {
    return then_idle([&] { return via_socklab::recv_batch(s, b, sizes); });
  }
  static void send_segmented(socket& s, std::span<const std::byte> d, std::uint16_t segment) {
    then_idle([&] { via_socklab::send_segmented(s, d, segment); });
  }
  static coalesced recv_coalesced(socket& s, std::span<std::byte> b) {
    return then_idle([&] { return via_socklab::recv_coalesced(s, b); });
  }
  static std::size_t send_zerocopy(socket& s, std::span<const std::byte> b) {
    return then_idle([&] { return via_socklab::send_zerocopy(s, b); });
  }
};

/// The cross-host client's sender: on a real interface a full queue refuses a datagram (ENOBUFS);
/// that datagram is not sent and not counted, instead of ending the test.
struct via_socklab_lenient : via_socklab {
  static bool send(socket& s, std::span<const std::byte> b) { return s.try_send(b).has_value(); }
};

struct via_posix {
  static constexpr const char* name = "raw";
  [[noreturn]] static void fail(const char* op) {
    throw std::system_error(errno, std::system_category(), op);
  }
  /// Makes one system call and counts it (retries after EINTR count again, as socklab's do).
  template <class Call>
  static auto counted(Call call) {
    ++raw_syscalls;
    return call();
  }

  static void send_all(socket& s, std::span<const std::byte> b) {
    const int fd = s.fileno();
    std::size_t sent = 0;
    do {
      const auto n = counted([&] { return ::send(fd, b.data() + sent, b.size() - sent, raw_send_flags); });
      if (n >= 0) {
        sent += static_cast<std::size_t>(n);
      } else if (errno != EINTR) {
        fail("send");
      }
    } while (sent < b.size());
  }
  static std::size_t recv_some(socket& s, std::span<std::byte> b) {
    for (;;) {
      const auto n = counted([&] { return ::recv(s.fileno(), b.data(), b.size(), 0); });
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR) fail("recv");
    }
  }
  static bool send(socket& s, std::span<const std::byte> b) {
    for (;;) {
      const auto n = counted([&] { return ::send(s.fileno(), b.data(), b.size(), raw_send_flags); });
      if (n >= 0) return static_cast<std::size_t>(n) == b.size();
      if (errno != EINTR) fail("send");
    }
  }
  static void send_to(socket& s, std::span<const std::byte> b, const target& to) {
    while (counted([&] {
             return ::sendto(s.fileno(), b.data(), b.size(), raw_send_flags,
                             reinterpret_cast<const sockaddr*>(&to.native), to.native_len);
           }) < 0)
      if (errno != EINTR) fail("sendto");
  }
  static std::size_t recv_from(socket& s, std::span<std::byte> b) {
    sockaddr_storage from{};
    for (;;) {
      socklen_t len = sizeof from;
      const auto n = counted([&] {
        return ::recvfrom(s.fileno(), b.data(), b.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
      });
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR) fail("recvfrom");
    }
  }
  // Blocking send and recv loops on a bare descriptor (a connection's whole life is raw here).
  static void send_all_fd(int fd, std::span<const std::byte> b) {
    for (std::size_t sent = 0; sent < b.size();) {
      const auto n = counted([&] { return ::send(fd, b.data() + sent, b.size() - sent, raw_send_flags); });
      if (n >= 0) {
        sent += static_cast<std::size_t>(n);
      } else if (errno != EINTR) {
        fail("send");
      }
    }
  }
  static void recv_exact_fd(int fd, std::span<std::byte> b) {
    for (std::size_t got = 0; got < b.size();) {
      const auto n = counted([&] { return ::recv(fd, b.data() + got, b.size() - got, 0); });
      if (n > 0) {
        got += static_cast<std::size_t>(n);
      } else if (n == 0) {
        throw std::runtime_error("the other end closed in the middle of a message");
      } else if (errno != EINTR) {
        fail("recv");
      }
    }
  }
  struct closer {
    int fd;
    ~closer() {
      counted([&] { return ::close(fd); });
    }
  };
  static void connect_cycle(const target& to, std::span<const std::byte> request = {},
                            std::span<std::byte> reply = {}) {
    const int fd = counted([&] { return ::socket(to.native.ss_family, SOCK_STREAM, 0); });
    if (fd < 0) fail("socket");
    const closer guard{fd};
    set_watchdog(fd);
    while (counted([&] {
             return ::connect(fd, reinterpret_cast<const sockaddr*>(&to.native), to.native_len);
           }) != 0)
      if (errno != EINTR) fail("connect");
    if (!request.empty()) {
      send_all_fd(fd, request);
      recv_exact_fd(fd, reply);
    }
    char b = 0;
    while (counted([&] { return ::recv(fd, &b, 1, 0); }) < 0)
      if (errno != EINTR) fail("recv");
  }
  static void accept_and_close(socket& listener, std::span<std::byte> buf = {}) {
    for (;;) {
      const int fd = counted([&] { return ::accept(listener.fileno(), nullptr, nullptr); });
      if (fd >= 0) {
        const closer guard{fd};
        if (!buf.empty()) {
          recv_exact_fd(fd, buf);
          send_all_fd(fd, buf);
        }
        return;
      }
      if (errno != EINTR) fail("accept");
    }
  }

  // The fast paths by hand, as the kernel's selftests (udpgso_bench_tx/rx) make them.
  template <class Buffer>
  static std::size_t batch_headers(std::span<const Buffer> buffers, std::array<mmsghdr, batch_limit>& msgs,
                                   std::array<iovec, batch_limit>& iov) {
    const auto n = std::min(buffers.size(), batch_limit);
    for (std::size_t i = 0; i < n; ++i) {
      iov[i] = {const_cast<std::byte*>(buffers[i].data()), buffers[i].size()};  // NOLINT: iovec is not const
      msgs[i] = mmsghdr{};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    return n;
  }
  static std::size_t send_batch(socket& s, std::span<const std::span<const std::byte>> d) {
    std::array<mmsghdr, batch_limit> msgs;  // NOLINT(cppcoreguidelines-pro-type-member-init): filled here
    std::array<iovec, batch_limit> iov;     // NOLINT(cppcoreguidelines-pro-type-member-init)
    const auto n = static_cast<unsigned>(batch_headers(d, msgs, iov));
    for (;;) {
      const int sent = counted([&] { return ::sendmmsg(s.fileno(), msgs.data(), n, raw_send_flags); });
      if (sent >= 0) return static_cast<std::size_t>(sent);
      if (errno != EINTR) fail("sendmmsg");
    }
  }
  static std::size_t recv_batch(socket& s, std::span<const std::span<std::byte>> b,
                                std::span<std::size_t> sizes) {
    std::array<mmsghdr, batch_limit> msgs;  // NOLINT(cppcoreguidelines-pro-type-member-init): filled here
    std::array<iovec, batch_limit> iov;     // NOLINT(cppcoreguidelines-pro-type-member-init)
    const auto n = static_cast<unsigned>(batch_headers(b, msgs, iov));
    for (;;) {
      const int got =
          counted([&] { return ::recvmmsg(s.fileno(), msgs.data(), n, MSG_WAITFORONE, nullptr); });
      if (got >= 0) {
        for (int i = 0; i < got; ++i) sizes[i] = std::min<std::size_t>(msgs[i].msg_len, b[i].size());
        return static_cast<std::size_t>(got);
      }
      if (errno != EINTR) fail("recvmmsg");
    }
  }
  static void send_segmented(socket& s, std::span<const std::byte> d, std::uint16_t segment) {
    std::array<char, CMSG_SPACE(sizeof segment)> control{};
    iovec iov{const_cast<std::byte*>(d.data()), d.size()};  // NOLINT: iovec is not const
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control.data();
    m.msg_controllen = control.size();
    cmsghdr* item = CMSG_FIRSTHDR(&m);
    item->cmsg_level = SOL_UDP;
    item->cmsg_type = UDP_SEGMENT;
    item->cmsg_len = CMSG_LEN(sizeof segment);
    std::memcpy(CMSG_DATA(item), &segment, sizeof segment);
    while (counted([&] { return ::sendmsg(s.fileno(), &m, raw_send_flags); }) < 0)
      if (errno != EINTR) fail("sendmsg");
  }
  static coalesced recv_coalesced(socket& s, std::span<std::byte> b) {
    std::array<char, CMSG_SPACE(sizeof(int))> control{};
    iovec iov{b.data(), b.size()};
    for (;;) {
      msghdr m{};
      m.msg_iov = &iov;
      m.msg_iovlen = 1;
      m.msg_control = control.data();
      m.msg_controllen = control.size();
      const auto n = counted([&] { return ::recvmsg(s.fileno(), &m, 0); });
      if (n < 0) {
        if (errno != EINTR) fail("recvmsg");
        continue;
      }
      coalesced out{static_cast<std::size_t>(n), 0};
      for (cmsghdr* item = CMSG_FIRSTHDR(&m); item != nullptr; item = CMSG_NXTHDR(&m, item)) {
        int segment = 0;
        if (item->cmsg_level != SOL_UDP || item->cmsg_type != UDP_GRO) continue;
        std::memcpy(&segment, CMSG_DATA(item), sizeof segment);
        if (segment > 0 && out.bytes > static_cast<std::size_t>(segment))
          out.segment = static_cast<std::size_t>(segment);
      }
      return out;
    }
  }
  static std::size_t send_zerocopy(socket& s, std::span<const std::byte> b) {
    for (;;) {
      const auto n =
          counted([&] { return ::send(s.fileno(), b.data(), b.size(), raw_send_flags | MSG_ZEROCOPY); });
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR) fail("send");
    }
  }
  static void set_busy_poll(socket& s, std::chrono::microseconds spin) {
    const int value = static_cast<int>(spin.count());
    if (::setsockopt(s.fileno(), SOL_SOCKET, SO_BUSY_POLL, &value, sizeof value) != 0)
      fail("setsockopt(SO_BUSY_POLL)");
  }
  static std::optional<zerocopy_done> read_zerocopy_done(socket& s) {
    std::array<char, CMSG_SPACE(sizeof(sock_extended_err) + sizeof(sockaddr_in6))> control{};
    msghdr m{};
    m.msg_control = control.data();
    m.msg_controllen = control.size();
    for (;;) {
      if (counted([&] { return ::recvmsg(s.fileno(), &m, MSG_ERRQUEUE | MSG_DONTWAIT); }) >= 0) break;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return std::nullopt;
      if (errno != EINTR) fail("recvmsg");
    }
    for (cmsghdr* item = CMSG_FIRSTHDR(&m); item != nullptr; item = CMSG_NXTHDR(&m, item)) {
      sock_extended_err e{};
      if (item->cmsg_len < CMSG_LEN(sizeof e)) continue;
      std::memcpy(&e, CMSG_DATA(item), sizeof e);
      if (e.ee_origin == SO_EE_ORIGIN_ZEROCOPY)
        return zerocopy_done{e.ee_info, e.ee_data, (e.ee_code & SO_EE_CODE_ZEROCOPY_COPIED) != 0};
    }
    throw std::runtime_error("the error queue held something other than a zerocopy completion");
  }

  // Many flows: epoll and MSG_DONTWAIT by hand.
  class readiness {
   public:
    readiness() : fd_(::epoll_create1(EPOLL_CLOEXEC)) {
      if (fd_ < 0) fail("epoll_create1");
    }
    ~readiness() { ::close(fd_); }
    readiness(readiness&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    readiness& operator=(readiness&&) = delete;
    int fd() const { return fd_; }

   private:
    int fd_;
  };
  using ready = epoll_event;
  static readiness new_readiness() { return readiness(); }
  static void watch(readiness& r, socket& s, std::uint64_t key, bool writing, bool edge) {
    epoll_event e{};
    e.events = (writing ? EPOLLOUT : EPOLLIN) | (edge ? EPOLLET : 0u);
    e.data.u64 = key;
    if (counted([&] { return ::epoll_ctl(r.fd(), EPOLL_CTL_ADD, s.fileno(), &e); }) < 0) fail("epoll_ctl");
  }
  static std::size_t wait_ready(readiness& r, std::span<ready> out, std::chrono::nanoseconds t) {
    const timespec ts{static_cast<time_t>(t.count() / 1'000'000'000),
                      static_cast<long>(t.count() % 1'000'000'000)};
    for (;;) {
      const auto n = counted([&] {
        return ::syscall(SYS_epoll_pwait2, r.fd(), out.data(), static_cast<int>(out.size()), &ts, nullptr, 0);
      });
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR) fail("epoll_pwait2");
    }
  }
  static std::uint64_t key_of(const ready& e) { return e.data.u64; }
  static std::optional<std::size_t> send_now(socket& s, std::span<const std::byte> b) {
    for (;;) {
      const auto n =
          counted([&] { return ::send(s.fileno(), b.data(), b.size(), raw_send_flags | MSG_DONTWAIT); });
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno == EAGAIN || errno == EWOULDBLOCK) return std::nullopt;
      if (errno != EINTR) fail("send");
    }
  }
  static std::optional<std::size_t> recv_now(socket& s, std::span<std::byte> b) {
    for (;;) {
      const auto n = counted([&] { return ::recv(s.fileno(), b.data(), b.size(), MSG_DONTWAIT); });
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno == EAGAIN || errno == EWOULDBLOCK) return std::nullopt;
      if (errno != EINTR) fail("recv");
    }
  }
};

}  // namespace socklab::bench
