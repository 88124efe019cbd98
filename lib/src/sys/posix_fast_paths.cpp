// SPDX-License-Identifier: MIT
// POSIX (Linux): sendmmsg/recvmmsg, UDP segmentation offload and MSG_ZEROCOPY — the one place that
// knows their structures. Their arrays live on the stack, a batch at a time: these paths exist to
// save work per datagram, and an allocation per call would spend it again.
// clang-format off: the include sorter would move it after linux/errqueue.h
#include <time.h>  // before linux/errqueue.h, which uses struct timespec without it
// clang-format on
#include <linux/errqueue.h>
#include <netinet/udp.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "sys/posix.hpp"

namespace socklab::sys {

#if defined(__linux__) && defined(UDP_SEGMENT) && defined(UDP_GRO) && defined(MSG_ZEROCOPY) && \
    defined(SO_ZEROCOPY)

namespace {

template <class Buffer>
std::size_t fill_batch(std::span<const Buffer> buffers, std::array<mmsghdr, batch_limit>& msgs,
                       std::array<iovec, batch_limit>& iov) noexcept {
  const auto n = std::min(buffers.size(), batch_limit);
  for (std::size_t i = 0; i < n; ++i) {
    iov[i] = {const_cast<std::byte*>(buffers[i].data()), buffers[i].size()};  // NOLINT: iovec is not const
    msgs[i] = mmsghdr{};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  return n;
}

}  // namespace

result<std::size_t> send_batch(int fd, std::span<const std::span<const std::byte>> datagrams, int flags,
                               const wait_policy& w) noexcept {
  if (datagrams.empty()) return std::size_t{0};
  std::array<mmsghdr, batch_limit> msgs;  // NOLINT(cppcoreguidelines-pro-type-member-init): filled below
  std::array<iovec, batch_limit> iov;     // NOLINT(cppcoreguidelines-pro-type-member-init)
  const auto n = fill_batch(datagrams, msgs, iov);
  return run_io(fd, POLLOUT, w, [&] {
    return counted(::sendmmsg, fd, msgs.data(), static_cast<unsigned>(n), flags | no_sigpipe_flag);
  });
}

result<std::size_t> recv_batch(int fd, std::span<const std::span<std::byte>> buffers,
                               std::span<std::size_t> sizes, int flags, const wait_policy& w) noexcept {
  if (sizes.size() < buffers.size()) return std::error_code(EINVAL, std::system_category());
  if (buffers.empty()) return std::size_t{0};
  std::array<mmsghdr, batch_limit> msgs;  // NOLINT(cppcoreguidelines-pro-type-member-init): filled below
  std::array<iovec, batch_limit> iov;     // NOLINT(cppcoreguidelines-pro-type-member-init)
  const auto n = fill_batch(buffers, msgs, iov);
  // MSG_WAITFORONE: wait as recv() waits, for the first datagram only, then take what is queued.
  auto got = run_io(fd, POLLIN, w, [&] {
    return counted(::recvmmsg, fd, msgs.data(), static_cast<unsigned>(n), flags | MSG_WAITFORONE,
                   static_cast<timespec*>(nullptr));
  });
  if (!got) return got;
  for (std::size_t i = 0; i < *got; ++i) sizes[i] = std::min<std::size_t>(msgs[i].msg_len, buffers[i].size());
  return got;
}

result<std::size_t> send_segmented(int fd, std::span<const std::byte> data, std::uint16_t segment, int flags,
                                   const wait_policy& w) noexcept {
  std::array<std::byte, CMSG_SPACE(sizeof(std::uint16_t))> control{};
  iovec iov{const_cast<std::byte*>(data.data()), data.size()};  // NOLINT: iovec is not const
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
  return run_io(fd, POLLOUT, w, [&] { return counted(::sendmsg, fd, &m, flags | no_sigpipe_flag); });
}

std::error_code set_coalescing(int fd, bool on) noexcept {
  const int value = on ? 1 : 0;
  if (counted(::setsockopt, fd, SOL_UDP, UDP_GRO, &value, static_cast<socklen_t>(sizeof value)) != 0)
    return last_error();
  return {};
}

result<coalesced> recv_coalesced(int fd, std::span<std::byte> buf, int flags, const wait_policy& w) noexcept {
  std::array<std::byte, CMSG_SPACE(sizeof(int))> control;  // NOLINT(cppcoreguidelines-pro-type-member-init)
  iovec iov{buf.data(), buf.size()};
  msghdr m{};
  auto got = run_io(fd, POLLIN, w, [&] {
    m = msghdr{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control.data();
    m.msg_controllen = control.size();
    return counted(::recvmsg, fd, &m, flags);
  });
  if (!got) return got.error();
  coalesced out{std::min(*got, buf.size()), 0};
  for (cmsghdr* item = CMSG_FIRSTHDR(&m); item != nullptr; item = CMSG_NXTHDR(&m, item)) {
    if (item->cmsg_level == SOL_UDP && item->cmsg_type == UDP_GRO &&
        item->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int segment = 0;
      std::memcpy(&segment, CMSG_DATA(item), sizeof segment);
      // The kernel names the segment size even when one datagram arrived alone: only a buffer that
      // holds more than one segment is coalesced.
      if (segment > 0 && out.bytes > static_cast<std::size_t>(segment))
        out.segment = static_cast<std::size_t>(segment);
    }
  }
  return out;
}

std::error_code set_busy_poll(int fd, int microseconds) noexcept {
  if (counted(::setsockopt, fd, SOL_SOCKET, SO_BUSY_POLL, &microseconds,
              static_cast<socklen_t>(sizeof microseconds)) != 0)
    return last_error();
  return {};
}

std::error_code set_zerocopy(int fd, bool on) noexcept {
  const int value = on ? 1 : 0;
  if (counted(::setsockopt, fd, SOL_SOCKET, SO_ZEROCOPY, &value, static_cast<socklen_t>(sizeof value)) != 0)
    return last_error();
  return {};
}

result<std::size_t> send_zerocopy(int fd, std::span<const std::byte> data, int flags,
                                  const wait_policy& w) noexcept {
  return run_io(fd, POLLOUT, w, [&] {
    return counted(::send, fd, data.data(), data.size(), flags | MSG_ZEROCOPY | no_sigpipe_flag);
  });
}

result<std::optional<zerocopy_done>> read_zerocopy_done(int fd) noexcept {
  std::array<std::byte, CMSG_SPACE(sizeof(sock_extended_err) + sizeof(sockaddr_in6))> control;  // NOLINT
  msghdr m{};
  m.msg_control = control.data();
  m.msg_controllen = control.size();
  ssize_t n = 0;
  do {
    n = counted(::recvmsg, fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (would_block(errno)) return std::optional<zerocopy_done>{};
    return last_error();
  }
  for (cmsghdr* item = CMSG_FIRSTHDR(&m); item != nullptr; item = CMSG_NXTHDR(&m, item)) {
    const bool recverr = (item->cmsg_level == SOL_IP && item->cmsg_type == IP_RECVERR) ||
                         (item->cmsg_level == SOL_IPV6 && item->cmsg_type == IPV6_RECVERR);
    if (!recverr || item->cmsg_len < CMSG_LEN(sizeof(sock_extended_err))) continue;
    sock_extended_err e{};
    std::memcpy(&e, CMSG_DATA(item), sizeof e);
    if (e.ee_origin != SO_EE_ORIGIN_ZEROCOPY || e.ee_errno != 0) break;
    return std::optional<zerocopy_done>{
        zerocopy_done{e.ee_info, e.ee_data, (e.ee_code & SO_EE_CODE_ZEROCOPY_COPIED) != 0}};
  }
  return std::error_code(EPROTO, std::system_category());  // an error-queue item of another kind
}

#else  // no such paths on this OS

namespace {
std::error_code unsupported() noexcept { return std::make_error_code(std::errc::not_supported); }
}  // namespace

result<std::size_t> send_batch(int, std::span<const std::span<const std::byte>>, int,
                               const wait_policy&) noexcept {
  return unsupported();
}
result<std::size_t> recv_batch(int, std::span<const std::span<std::byte>>, std::span<std::size_t>, int,
                               const wait_policy&) noexcept {
  return unsupported();
}
result<std::size_t> send_segmented(int, std::span<const std::byte>, std::uint16_t, int,
                                   const wait_policy&) noexcept {
  return unsupported();
}
std::error_code set_coalescing(int, bool) noexcept { return unsupported(); }
result<coalesced> recv_coalesced(int, std::span<std::byte>, int, const wait_policy&) noexcept {
  return unsupported();
}
std::error_code set_zerocopy(int, bool) noexcept { return unsupported(); }
std::error_code set_busy_poll(int, int) noexcept { return unsupported(); }
result<std::size_t> send_zerocopy(int, std::span<const std::byte>, int, const wait_policy&) noexcept {
  return unsupported();
}
result<std::optional<zerocopy_done>> read_zerocopy_done(int) noexcept { return unsupported(); }

#endif

}  // namespace socklab::sys
