// SPDX-License-Identifier: MIT
// POSIX: sendmsg/recvmsg and their control buffers — the one place that knows the cmsghdr layout.
#include <algorithm>
#include <cstring>
#include <new>

#include "sys/posix.hpp"

namespace socklab {

namespace msg {
const int ctrunc = MSG_CTRUNC;
const int eor = MSG_EOR;
}  // namespace msg

namespace scm {
const int sol_socket = SOL_SOCKET;
const int rights = SCM_RIGHTS;
#ifdef SCM_CREDENTIALS
const int credentials = SCM_CREDENTIALS;
#else
const int credentials = -1;  // no such item on this OS
#endif
}  // namespace scm

namespace sys {
namespace {

#ifdef MSG_CMSG_CLOEXEC
constexpr int cloexec_flag = MSG_CMSG_CLOEXEC;
#else
constexpr int cloexec_flag = 0;
#endif

// iovec arrays are allocated: a call with too many buffers for memory is ENOMEM, not a throw.
template <class Buffer>
result<std::vector<iovec>> iovecs_of(std::span<const Buffer> buffers) noexcept {
  try {
    std::vector<iovec> out(buffers.size());
    for (std::size_t i = 0; i < buffers.size(); ++i)
      out[i] = {const_cast<std::byte*>(buffers[i].data()), buffers[i].size()};  // NOLINT: iovec is not const
    return out;
  } catch (const std::bad_alloc&) {
    return std::error_code(ENOMEM, std::system_category());
  }
}

}  // namespace

std::size_t control_length(std::size_t data) noexcept { return CMSG_LEN(data); }
std::size_t control_space(std::size_t data) noexcept { return CMSG_SPACE(data); }

std::vector<std::byte> pack_control(std::span<const control_message> items) {
  std::size_t total = 0;
  for (const auto& item : items) total += CMSG_SPACE(item.data.size());
  std::vector<std::byte> buffer(total);  // zeroed: the padding goes out as zeros
  std::size_t offset = 0;
  for (const auto& item : items) {
    cmsghdr header{};
    header.cmsg_len = CMSG_LEN(item.data.size());
    header.cmsg_level = item.level;
    header.cmsg_type = item.type;
    std::memcpy(buffer.data() + offset, &header, sizeof header);
    if (!item.data.empty())
      std::memcpy(buffer.data() + offset + CMSG_LEN(0), item.data.data(), item.data.size());
    offset += CMSG_SPACE(item.data.size());
  }
  return buffer;
}

std::vector<control_message> unpack_control(std::span<const std::byte> control) {
  std::vector<control_message> items;
  std::size_t offset = 0;
  while (offset + CMSG_LEN(0) <= control.size()) {
    cmsghdr header{};
    std::memcpy(&header, control.data() + offset, sizeof header);
    if (header.cmsg_len < CMSG_LEN(0)) break;  // malformed: nothing after it can be trusted
    const auto end = std::min<std::size_t>(offset + header.cmsg_len, control.size());
    const auto* data = control.data() + offset + CMSG_LEN(0);
    items.push_back({header.cmsg_level, header.cmsg_type, {data, control.data() + end}});
    offset += CMSG_ALIGN(header.cmsg_len);
  }
  return items;
}

result<std::size_t> sendmsg(int fd, std::span<const std::span<const std::byte>> buffers,
                            std::span<const std::byte> control, const address* to, int flags,
                            const wait_policy& w) noexcept {
  auto iov = iovecs_of(buffers);
  if (!iov) return iov.error();
  native_address peer;
  msghdr m{};
  if (to) {
    peer = to_native(*to);
    m.msg_name = peer.get();
    m.msg_namelen = peer.length;
  }
  m.msg_iov = iov->data();
  m.msg_iovlen = iov->size();
  if (!control.empty()) {
    m.msg_control = const_cast<std::byte*>(control.data());  // NOLINT: msghdr is not const
    m.msg_controllen = control.size();
  }
  return run_io(fd, POLLOUT, w, [&] { return counted(::sendmsg, fd, &m, flags | no_sigpipe_flag); });
}

result<received_message> recvmsg(int fd, family f, std::span<const std::span<std::byte>> buffers,
                                 std::span<std::byte> control, int flags, const wait_policy& w) noexcept {
  auto iov = iovecs_of(buffers);
  if (!iov) return iov.error();
  native_address n;
  msghdr m{};
  auto r = run_io(fd, POLLIN, w, [&] {
    m = msghdr{};
    n.length = sizeof n.storage;
    m.msg_name = n.get();
    m.msg_namelen = n.length;
    m.msg_iov = iov->data();
    m.msg_iovlen = iov->size();
    m.msg_control = control.empty() ? nullptr : control.data();
    m.msg_controllen = control.size();
    return counted(::recvmsg, fd, &m, flags | cloexec_flag);
  });
  if (!r) return r.error();
  // Linux echoes MSG_CMSG_CLOEXEC in msg_flags: it is socklab's request, not news about the message.
  received_message out{*r, m.msg_flags & ~cloexec_flag, static_cast<std::size_t>(m.msg_controllen),
                       std::nullopt};
  n.length = m.msg_namelen;
  if (n.length == 0) return out;  // no sender address: a connected stream, an unbound AF_UNIX peer
  auto from = from_native(n, f);
  if (!from) return from.error();
  out.addr = std::move(*from);
  return out;
}

}  // namespace sys
}  // namespace socklab
