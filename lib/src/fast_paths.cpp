// SPDX-License-Identifier: MIT
#include "socklab/fast_paths.hpp"

#include <array>
#include <climits>
#include <stdexcept>

#include "sys/sys.hpp"

namespace socklab {

namespace {

sys::wait_policy policy_of(const socket& s) { return sys::wait_policy::from(s.gettimeout()); }

// Whether `call` on a fresh UDP socket (bound to loopback, connected to itself) gets further than
// "no such call or option".
template <class Call>
bool offered(Call call) noexcept {
  try {
    socket s(family::inet, type::dgram);
    s.bind(ipv4_address::loopback());
    s.connect(s.getsockname());
    s.setblocking(false);
    const auto ec = call(s);
    return !ec || (ec != std::errc::not_supported && ec != std::errc::no_protocol_option &&
                   ec != std::errc::function_not_supported && ec != std::errc::operation_not_supported);
  } catch (...) {
    return false;
  }
}

}  // namespace

fast_path_support probe_fast_paths() noexcept {
  const std::array<std::byte, 2> two{};
  return {
      offered([&](socket& s) {
        const std::span<const std::byte> one(two);
        return sys::send_batch(s.fileno(), std::span(&one, 1), 0, {}).error();
      }),
      offered([&](socket& s) { return sys::send_segmented(s.fileno(), two, 1, 0, {}).error(); }),
      offered([](socket& s) { return sys::set_coalescing(s.fileno(), true); }),
      offered([](socket& s) { return sys::set_zerocopy(s.fileno(), true); }),
      offered([](socket& s) {  // without the right to raise it, it is not on offer either
        const auto ec = sys::set_busy_poll(s.fileno(), 50);
        return ec == std::errc::operation_not_permitted ? std::make_error_code(std::errc::not_supported) : ec;
      }),
  };
}

result<std::size_t> try_send_batch(socket& s, std::span<const std::span<const std::byte>> datagrams,
                                   int flags) noexcept {
  return sys::send_batch(s.fileno(), datagrams, flags, policy_of(s));
}
std::size_t send_batch(socket& s, std::span<const std::span<const std::byte>> datagrams, int flags) {
  return try_send_batch(s, datagrams, flags).value_or_throw("sendmmsg");
}

result<std::size_t> try_recv_batch(socket& s, std::span<const std::span<std::byte>> buffers,
                                   std::span<std::size_t> sizes, int flags) noexcept {
  return sys::recv_batch(s.fileno(), buffers, sizes, flags, policy_of(s));
}
std::size_t recv_batch(socket& s, std::span<const std::span<std::byte>> buffers, std::span<std::size_t> sizes,
                       int flags) {
  return try_recv_batch(s, buffers, sizes, flags).value_or_throw("recvmmsg");
}

result<std::size_t> try_send_segmented(socket& s, std::span<const std::byte> data, std::uint16_t segment,
                                       int flags) noexcept {
  return sys::send_segmented(s.fileno(), data, segment, flags, policy_of(s));
}
std::size_t send_segmented(socket& s, std::span<const std::byte> data, std::uint16_t segment, int flags) {
  return try_send_segmented(s, data, segment, flags).value_or_throw("sendmsg(UDP_SEGMENT)");
}

void set_coalescing(socket& s, bool on) {
  if (const auto ec = sys::set_coalescing(s.fileno(), on)) throw_error(ec, "setsockopt(UDP_GRO)");
}

result<coalesced> try_recv_coalesced(socket& s, std::span<std::byte> buffer, int flags) noexcept {
  return sys::recv_coalesced(s.fileno(), buffer, flags, policy_of(s));
}
coalesced recv_coalesced(socket& s, std::span<std::byte> buffer, int flags) {
  return try_recv_coalesced(s, buffer, flags).value_or_throw("recvmsg(UDP_GRO)");
}

void set_busy_poll(socket& s, std::chrono::microseconds spin) {
  if (spin.count() < 0 || spin.count() > INT_MAX)
    throw std::invalid_argument("set_busy_poll: the spin must be 0 to INT_MAX microseconds");
  if (const auto ec = sys::set_busy_poll(s.fileno(), static_cast<int>(spin.count())))
    throw_error(ec, "setsockopt(SO_BUSY_POLL)");
}

void set_zerocopy(socket& s, bool on) {
  if (const auto ec = sys::set_zerocopy(s.fileno(), on)) throw_error(ec, "setsockopt(SO_ZEROCOPY)");
}

result<std::size_t> try_send_zerocopy(socket& s, std::span<const std::byte> data, int flags) noexcept {
  return sys::send_zerocopy(s.fileno(), data, flags, policy_of(s));
}
std::size_t send_zerocopy(socket& s, std::span<const std::byte> data, int flags) {
  return try_send_zerocopy(s, data, flags).value_or_throw("send(MSG_ZEROCOPY)");
}

result<std::optional<zerocopy_done>> try_read_zerocopy_done(socket& s) noexcept {
  return sys::read_zerocopy_done(s.fileno());
}
std::optional<zerocopy_done> read_zerocopy_done(socket& s) {
  return try_read_zerocopy_done(s).value_or_throw("recvmsg(MSG_ERRQUEUE)");
}

}  // namespace socklab
