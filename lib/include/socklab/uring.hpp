// SPDX-License-Identifier: MIT
// io_uring for sockets, beyond Python's socket module (which has no equivalent): operations are
// queued in memory shared with the kernel and submitted many at a time, so one system call can
// carry a batch of sends, or a send and the receive of its answer. Two of its features matter to
// sockets and are offered here:
// - registered buffers: pinned once (register_buffers), then named by index, so the kernel does
//   not map the caller's pages on every call;
// - multishot receive with provided buffers: one request keeps receiving into buffers the ring
//   owns (provide_buffers), one completion per arrival, until the caller stops it or the buffers
//   run out.
// Completions carry the caller's tag and the kernel's result (bytes, or a negated errno: an
// operation's own failure is data, not an exception). The ring is for one thread at a time.
// Where the OS or the build lacks io_uring, or the system forbids it (io_uring_disabled, seccomp),
// the constructor fails with error(ENOTSUP) or the kernel's refusal, and probe_uring() says so.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>

#include "socklab/result.hpp"
#include "socklab/socket.hpp"

namespace socklab {

/// What this system offers, found by trying it on a throwaway ring and socket pair.
struct uring_support {
  bool rings = false;               // io_uring_setup (Linux 5.1), and the right to use it
  bool registered_buffers = false;  // READ_FIXED, and SEND_ZC from them (Linux 6.0)
  bool multishot_receive = false;   // RECV with IORING_RECV_MULTISHOT and a buffer ring (Linux 6.0)
  std::string why_not;              // the first thing that failed, for a run's record
  /// All of the above: what socklab's io_uring benchmarks use.
  bool complete() const noexcept { return rings && registered_buffers && multishot_receive; }
};
uring_support probe_uring();

/// One finished operation (or, for a multishot receive, one arrival).
struct uring_completion {
  std::uint64_t tag = 0;
  int result = 0;                       // bytes moved (0: end of stream), or -errno
  std::optional<std::uint16_t> buffer;  // the provided buffer a multishot receive filled
  bool more = false;                    // another completion of this operation follows
  bool notification = false;            // a registered send's second completion: its buffer is free again
  bool failed() const noexcept { return result < 0; }
  std::error_code error() const noexcept {
    return failed() ? std::error_code(-result, std::generic_category()) : std::error_code{};
  }
  std::size_t bytes() const noexcept { return failed() ? 0 : static_cast<std::size_t>(result); }
};

/// Whether an operation must finish in full before the next queued one starts (IOSQE_IO_LINK).
/// A linked send that falls short or fails cancels the rest of its chain (their result is
/// -ECANCELED), so a stream's bytes never go out of order: resubmit from where it stopped.
enum class chain { none, linked };

class uring {
 public:
  /// A ring with room for `entries` queued operations (rounded up to a power of two by the
  /// kernel). Throws error naming "uring" if the system refuses.
  explicit uring(unsigned entries = 64);
  /// Closing the ring cancels what is still queued or in flight. A moved-from ring may only be
  /// destroyed or assigned to.
  ~uring();
  uring(uring&& other) noexcept;
  uring& operator=(uring&& other) noexcept;
  uring(const uring&) = delete;
  uring& operator=(const uring&) = delete;

  /// Pins `buffers` for send_registered/recv_registered, which name them by index. Once per
  /// ring (error(EBUSY) the second time); the buffers must outlive the ring.
  void register_buffers(std::span<const std::span<std::byte>> buffers);

  /// `count` buffers of `size` bytes, owned by the ring, for recv_multishot. `count` is a power of
  /// two up to 32,768 (else std::invalid_argument); once per ring.
  void provide_buffers(std::uint16_t count, std::size_t size);
  /// The first `bytes` of provided buffer `id`, as a completion named it.
  std::span<const std::byte> provided(std::uint16_t id, std::size_t bytes) const;
  /// Hands provided buffer `id` back to the kernel once its data has been used.
  void give_back(std::uint16_t id);

  /// Queue an operation; nothing happens until submit or wait. A full queue is submitted first.
  /// The socket and the buffer must stay valid until the operation's completion.
  /// send is Python's sendall, without SIGPIPE: the kernel goes on until all of `data` is sent or
  /// an error stops it (MSG_WAITALL). recv is recv_into: what has arrived, up to buffer.size().
  void send(const socket& s, std::span<const std::byte> data, std::uint64_t tag, chain c = chain::none);
  void recv(const socket& s, std::span<std::byte> buffer, std::uint64_t tag, chain c = chain::none);
  /// send from part of registered buffer `index`, from its pinned pages without a copy where the
  /// path allows (IORING_OP_SEND_ZC): a completion with `more` set is followed by a notification,
  /// after which the buffer may change. Loopback copies anyway. TCP and UDP
  /// only: on AF_UNIX the completion fails with EOPNOTSUPP.
  void send_registered(const socket& s, std::span<const std::byte> data, unsigned index, std::uint64_t tag,
                       chain c = chain::none);
  /// recv into part of registered buffer `index` (IORING_OP_READ_FIXED).
  void recv_registered(const socket& s, std::span<std::byte> buffer, unsigned index, std::uint64_t tag,
                       chain c = chain::none);
  /// Receives into provided buffers, one completion per arrival, while `more` is set; a completion
  /// without it ends the request (end of stream: result 0; no buffer left: -ENOBUFS).
  void recv_multishot(const socket& s, std::uint64_t tag);

  /// Hands the queued operations to the kernel; how many it took.
  std::size_t submit();
  /// Submits what is queued, then waits until at least `min` completions are there (or the
  /// timeout passes; std::nullopt waits for ever), and takes up to out.size() of them. Returns
  /// how many; fewer than `min` only on timeout. A signal does not end the wait (PEP 475).
  std::size_t wait(std::span<uring_completion> out, std::size_t min = 1,
                   std::optional<std::chrono::nanoseconds> timeout = std::nullopt);
  result<std::size_t> try_wait(std::span<uring_completion> out, std::size_t min = 1,
                               std::optional<std::chrono::nanoseconds> timeout = std::nullopt) noexcept;

 private:
  struct state;
  std::unique_ptr<state> state_;
};

}  // namespace socklab
