// SPDX-License-Identifier: MIT
// Linux's fast paths, beyond Python's socket module (which has none of them): many datagrams per
// system call with sendmmsg/recvmmsg; UDP segmentation offload, where one send carries many equal
// datagrams (GSO, UDP_SEGMENT) and one read may return many (GRO, UDP_GRO); and MSG_ZEROCOPY, where
// the kernel sends from the caller's pages and says when it has let them go. Each call waits and
// times out as the socket's send() or recv() does. Where the OS lacks a path the call fails with
// error(ENOTSUP), and probe_fast_paths() says so beforehand.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "socklab/result.hpp"
#include "socklab/socket.hpp"

namespace socklab {

/// Which paths this kernel offers, found by trying them on throwaway UDP sockets.
struct fast_path_support {
  bool batches = false;       // sendmmsg/recvmmsg (Linux 3.0)
  bool segmentation = false;  // UDP_SEGMENT (Linux 4.18)
  bool coalescing = false;    // UDP_GRO (Linux 5.0)
  bool zerocopy = false;      // SO_ZEROCOPY on TCP (Linux 4.14)
  bool busy_poll = false;     // SO_BUSY_POLL (Linux 3.11), and the right to raise it
};
fast_path_support probe_fast_paths() noexcept;

/// The most datagrams one send_batch or recv_batch call hands the kernel; more are the caller's to
/// send (or read) with another call, as a partial send() leaves the rest to the caller.
inline constexpr std::size_t batch_limit = 128;

/// sendmmsg: each buffer goes as one datagram, up to batch_limit of them in one call. Returns how
/// many the kernel took (at least one, or an error).
std::size_t send_batch(socket& s, std::span<const std::span<const std::byte>> datagrams, int flags = 0);
result<std::size_t> try_send_batch(socket& s, std::span<const std::span<const std::byte>> datagrams,
                                   int flags = 0) noexcept;

/// recvmmsg: waits for one datagram, then takes every one already queued, up to buffers.size() and
/// batch_limit, one per buffer; sizes[i] is the length of the i-th (cut to its buffer, as recv_into
/// cuts). sizes must be as long as buffers. Returns how many arrived.
std::size_t recv_batch(socket& s, std::span<const std::span<std::byte>> buffers, std::span<std::size_t> sizes,
                       int flags = 0);
result<std::size_t> try_recv_batch(socket& s, std::span<const std::span<std::byte>> buffers,
                                   std::span<std::size_t> sizes, int flags = 0) noexcept;

/// UDP GSO: sends `data` as datagrams of `segment` bytes each (the last may be shorter) in one
/// call; the kernel splits it. At most 64 KiB and the kernel's segment limit (64 before Linux 6.x,
/// 128 after) per call, else EINVAL or EMSGSIZE. Returns data.size().
std::size_t send_segmented(socket& s, std::span<const std::byte> data, std::uint16_t segment, int flags = 0);
result<std::size_t> try_send_segmented(socket& s, std::span<const std::byte> data, std::uint16_t segment,
                                       int flags = 0) noexcept;

/// UDP GRO on a receiving UDP socket: the kernel may then hand several datagrams of one flow to
/// one read, each `segment` bytes but the last (see recv_coalesced).
void set_coalescing(socket& s, bool on);

/// What one read of a coalescing socket returned: `bytes` in all, made of datagrams of `segment`
/// bytes, the last one possibly shorter; `segment` 0 when it is a single datagram.
struct coalesced {
  std::size_t bytes = 0;
  std::size_t segment = 0;
  std::size_t datagrams() const noexcept { return segment == 0 ? 1 : (bytes + segment - 1) / segment; }
};
/// One read with room for a coalesced buffer (give it 64 KiB), and its segment size.
coalesced recv_coalesced(socket& s, std::span<std::byte> buffer, int flags = 0);
result<coalesced> try_recv_coalesced(socket& s, std::span<std::byte> buffer, int flags = 0) noexcept;

/// SO_BUSY_POLL: a blocking read on this socket first spins on the device's receive queue for up to
/// `spin` (0: off) before it sleeps, trading CPU for wake-up latency. Only drivers with NAPI busy
/// polling take part; loopback has none, so there it changes nothing (measured: see the README).
/// Raising it above net.core.busy_read needs CAP_NET_ADMIN, else error(EPERM). Python: setsockopt
/// (SOL_SOCKET, SO_BUSY_POLL, usec), where the constant exists (Linux, Python 3.x builds vary).
void set_busy_poll(socket& s, std::chrono::microseconds spin);

/// SO_ZEROCOPY: lets send_zerocopy() on this socket (TCP or UDP) send from the caller's pages.
void set_zerocopy(socket& s, bool on);

/// send(MSG_ZEROCOPY): as send(), but the kernel may keep referring to `data` after the call
/// returns: it must stay unchanged until a completion (read_zerocopy_done) covers this call. The
/// calls are numbered from 0 per socket, each call that sent something taking the next number.
/// Without SO_ZEROCOPY the flag is ignored: an ordinary send, with no number and no completion.
std::size_t send_zerocopy(socket& s, std::span<const std::byte> data, int flags = 0);
result<std::size_t> try_send_zerocopy(socket& s, std::span<const std::byte> data, int flags = 0) noexcept;

/// One completion notification: zerocopy sends number `first` to `last` are done with their
/// buffers; `copied` when the kernel copied the data after all (loopback always does: the
/// receiver would otherwise hold the sender's pages).
struct zerocopy_done {
  std::uint32_t first = 0;
  std::uint32_t last = 0;
  bool copied = false;
  std::uint64_t calls() const noexcept { return std::uint64_t{last} - first + 1; }
};
/// The next completion from the socket's error queue, without waiting; std::nullopt when none is
/// there yet (it arrives once the data has left, on loopback once the receiver has read it). An
/// error queue item of another kind (an ICMP error, a timestamp) is refused with EPROTO, as a
/// caller that mixes them must read the queue itself.
std::optional<zerocopy_done> read_zerocopy_done(socket& s);
result<std::optional<zerocopy_done>> try_read_zerocopy_done(socket& s) noexcept;

}  // namespace socklab
